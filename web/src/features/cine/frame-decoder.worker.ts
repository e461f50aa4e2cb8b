// Fetches rendered frames and decodes them off the main thread: JPEG to RGBA pixels with
// libjpeg-turbo (jpeg-wasm.ts), anything else to an ImageBitmap.
// Requests:
//   {id, url, accept}: one frame, fetched and decoded ({keepEncoded}: its bytes come back too);
//   {id, url, accept, parts}: a multipart/related response, one part per frame, each decoded as
//     it arrives (at most MAX_DECODING at a time) — or, with {keepEncoded}, only its bytes sent;
//   {id, url: '', accept: '', bytes}: a frame's bytes the page holds, decoded (into the page's
//     spare pixel buffer when it sends one: frames decoded just in time reuse their memory);
// A viewer's start is not a request: the first worker finds it in its name (see startViewer).
// Replies: {id, part, frame?, encoded?} per frame (transferred, not copied), then {id, done, parts}
// for a multipart request; {id, error, status} when the request failed (parts already sent stay good).

import { DicomWebClient } from '../../core/dicomweb';
import type { DicomJson } from '../../core/dicom-json';
import { loopsOfStudy } from '../../core/study-model';
import { serverMessage } from '../../core/server-message';
import { MultipartReader } from './multipart-reader';
import type { EncodedFrame, WireFrame } from './decoded-frame';
import { decodeJpeg, jpegReady, warmUp } from './jpeg-wasm';
import { BOOT_ID, bootOf } from './worker-boot';

export interface DecodeRequest {
  id: number;
  url: string;
  accept: string;
  parts?: number; // a multipart response with this many parts
  size?: DecodeSize; // decode scaled to this size (a loop shown smaller than it was acquired)
  keepEncoded?: boolean; // reply with the frame's bytes (multipart: the bytes only, no decode)
  bytes?: EncodedFrame & { into?: ArrayBuffer };
}
export interface DecodeSize {
  width: number;
  height: number;
}
export type DecodeReply =
  | { id: number; part: number; frame?: WireFrame; encoded?: EncodedFrame; frameUrl?: string }
  | { id: number; done: true; parts: number }
  | { id: number; error: string; status: number };

// One decode at a time per worker: Chromium decodes on the thread pool its compositor rasters on, so
// more concurrent decodes on 2 cores starve the commit of each new cine frame (measured: long commits
// of 120–180 ms and a dropped frame in early playback with 2 per worker; none with 1, loop ready as fast).
const MAX_DECODING = 1;
const scope = self as unknown as DedicatedWorkerGlobalScope;

// One frame's bytes decoded (made smaller to `size` when given): JPEG by libjpeg-turbo unless it
// refused it, else by the browser — which also decodes a frame fetched while libjpeg-turbo is not
// compiled yet (`urgent`: the viewer's first frame does not wait for it).
async function decode(body: Uint8Array<ArrayBuffer>, type: string, size?: DecodeSize, into?: ArrayBuffer, urgent = true): Promise<WireFrame> {
  if ((jpegReady() || !urgent) && /^image\/jpeg/i.test(type)) {
    try {
      return await decodeJpeg(body, into, size);
    } catch {
      // the browser's decoder has the last word (and the error message)
    }
  }
  const options: ImageBitmapOptions | undefined = size ? { resizeWidth: size.width, resizeHeight: size.height, resizeQuality: 'medium' } : undefined;
  if (typeof ImageDecoder === 'function') {
    // WebCodecs decodes the bytes where they are; createImageBitmap(Blob) first hands them to the
    // browser's blob store and reads them back (measured at a viewer's start: 70-110 ms against 180-430).
    let decoder: ImageDecoder | undefined;
    try {
      decoder = new ImageDecoder({ data: body, type });
      const { image } = await decoder.decode();
      try {
        return await createImageBitmap(image, options);
      } finally {
        image.close();
      }
    } catch {
      // the blob path below has the last word (and the error message)
    } finally {
      decoder?.close();
    }
  }
  const blob = new Blob([body], { type });
  return createImageBitmap(blob, options);
}

function reply(id: number, part: number, frame?: WireFrame, encoded?: EncodedFrame, frameUrl?: string): void {
  const transfer: Transferable[] = [];
  if (frame) transfer.push('rgba' in frame ? frame.rgba : frame);
  if (encoded) transfer.push(encoded.data);
  scope.postMessage({ id, part, ...(frame ? { frame } : {}), ...(encoded ? { encoded } : {}), ...(frameUrl ? { frameUrl } : {}) } satisfies DecodeReply, transfer);
}

// A fetched frame decoded, with its bytes when asked (the decoders copy what they read).
async function fetchedFrame(id: number, response: Response, keepEncoded: boolean, size?: DecodeSize, frameUrl?: string): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  const type = response.headers.get('content-type') ?? '';
  const frame = await decode(body, type, size);
  reply(id, 0, frame, keepEncoded ? { data: body.buffer, type } : undefined, frameUrl);
}

// Runs a request's work; a failure is its error reply (parts already sent stay good).
async function answering(id: number, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    scope.postMessage({ id, error: String(error), status: 0 } satisfies DecodeReply);
  }
}

async function handle(request: DecodeRequest): Promise<void> {
  const { id, url, accept, parts, size, bytes, keepEncoded = false } = request;
  // libjpeg-turbo is compiled with the first request, not before: at a viewer's start the two
  // cores have the page to build.
  warmUp();
  if (bytes) {
    reply(id, 0, await decode(new Uint8Array(bytes.data), bytes.type, size, bytes.into, false));
    return;
  }
  const response = await fetch(url, { headers: { Accept: accept } });
  if (!response.ok) {
    scope.postMessage({ id, error: await serverMessage(response), status: response.status } satisfies DecodeReply);
    return;
  }
  if (parts === undefined) {
    await fetchedFrame(id, response, keepEncoded, size);
    return;
  }
  const decoding = new Set<Promise<void>>();
  const count = await eachPart(response, async (body, type, part) => {
    if (keepEncoded) {
      reply(id, part, undefined, { data: body.buffer, type });
      return;
    }
    const tracked = decode(body, type, size)
      .then((frame) => reply(id, part, frame))
      .finally(() => decoding.delete(tracked));
    decoding.add(tracked);
    while (decoding.size >= MAX_DECODING) await Promise.race(decoding);
  });
  await Promise.all(decoding);
  scope.postMessage({ id, done: true, parts: count } satisfies DecodeReply);
}

scope.onmessage = (event: MessageEvent<DecodeRequest>) => void answering(event.data.id, () => handle(event.data));
// A viewer's start comes in the worker's name (worker-boot.ts), not as a message.
const start = bootOf(scope.name);
if (start) void answering(BOOT_ID, () => startViewer(BOOT_ID, start.metadataUrl, start.accept, start.frameAccept));

// The parts of a multipart/related response as they arrive (the next part is read once onPart
// has settled); their number.
async function eachPart(response: Response, onPart: (body: Uint8Array<ArrayBuffer>, type: string, part: number) => Promise<void>): Promise<number> {
  const boundary = /boundary="?([^";]+)"?/i.exec(response.headers.get('content-type') ?? '')?.[1];
  if (!boundary || !response.body) throw new Error('multipart response without a boundary');
  const reader = new MultipartReader(boundary);
  const stream = response.body.getReader();
  let count = 0;
  for (;;) {
    const { done, value } = await stream.read();
    if (done) return count;
    for (const p of reader.push(value)) await onPart(p.body, p.type, count++);
  }
}

// The first frame of the loop the viewer will show first (study-model's order), decoded, with
// its bytes ({part: 0, frame, encoded, frameUrl}); for a JPEG loop (decoded just in time) the
// bytes of its other frames follow ({part: frame (0-based), encoded} each); then {done}.
async function startViewer(id: number, metadataUrl: string, accept: string, frameAccept: string): Promise<void> {
  const response = await fetch(metadataUrl, { headers: { Accept: accept } });
  const first = response.ok ? loopsOfStudy((await response.json()) as DicomJson[]).find((l) => !l.problem) : undefined;
  if (!first) {
    scope.postMessage({ id, done: true, parts: 0 } satisfies DecodeReply);
    return;
  }
  const client = new DicomWebClient();
  const { studyInstanceUID: study, seriesInstanceUID: series, sopInstanceUID: sop, frameCount } = first;
  const frameUrl = client.renderedFrameUrl(study, series, sop, 1);
  if (frameAccept === 'image/jpeg' && frameCount > 1) {
    // The whole loop in one response: its first part is the first frame, decoded at once.
    const all = Array.from({ length: frameCount }, (_, i) => i + 1);
    const frames = await fetch(client.renderedFramesUrl(study, series, sop, all), { headers: { Accept: `multipart/related; type="${frameAccept}"` } });
    if (!frames.ok) throw new Error(`HTTP ${frames.status}`);
    const parts = await eachPart(frames, async (body, type, part) => {
      if (part > 0) reply(id, part, undefined, { data: body.buffer, type });
      else reply(id, 0, await decode(body, type), { data: body.buffer, type }, frameUrl);
    });
    scope.postMessage({ id, done: true, parts } satisfies DecodeReply);
    return;
  }
  const frame = await fetch(frameUrl, { headers: { Accept: frameAccept } });
  if (!frame.ok) {
    scope.postMessage({ id, error: `HTTP ${frame.status}`, status: frame.status } satisfies DecodeReply);
    return;
  }
  await fetchedFrame(id, frame, true, undefined, frameUrl);
  scope.postMessage({ id, done: true, parts: 1 } satisfies DecodeReply);
}
