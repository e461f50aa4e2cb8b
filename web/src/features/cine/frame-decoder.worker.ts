// Fetches rendered frames and decodes them to ImageBitmaps off the main thread.
// A request names one frame ({id, url, accept}) or several ({id, url, accept, parts}: a
// multipart/related response, one part per frame, decoded as each part arrives, at most
// MAX_DECODING at a time). Replies: {id, part, bitmap} per frame (the bitmap is transferred,
// not copied), then {id, done, parts} for a multipart request; {id, error, status} when the
// request failed (parts already sent stay good).

import { DicomWebClient } from '../../core/dicomweb';
import type { DicomJson } from '../../core/dicom-json';
import { loopsOfStudy } from '../../core/study-model';
import { serverMessage } from '../../core/server-message';
import { MultipartReader } from './multipart-reader';

export interface DecodeRequest {
  id: number;
  url: string;
  accept: string;
  parts?: number; // a multipart response with this many parts
  size?: DecodeSize; // decode scaled to this size (a loop shown smaller than it was acquired)
  // A viewer's start (boot.ts): url is the study metadata; the worker fetches and decodes
  // frame 1 of the loop shown first ({part: 0, bitmap, frameUrl}), else {done}.
  boot?: { frameAccept: string };
}
export interface DecodeSize {
  width: number;
  height: number;
}
export type DecodeReply =
  | { id: number; part: number; bitmap: ImageBitmap; frameUrl?: string }
  | { id: number; done: true; parts: number }
  | { id: number; error: string; status: number };

// One decode at a time per worker: Chromium decodes on the thread pool its compositor rasters on, so
// more concurrent decodes on 2 cores starve the commit of each new cine frame (measured: long commits
// of 120–180 ms and a dropped frame in early playback with 2 per worker; none with 1, loop ready as fast).
const MAX_DECODING = 1;
const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = async (event: MessageEvent<DecodeRequest>) => {
  const { id, url, accept, parts, boot, size } = event.data;
  const bitmapOf = (blob: Blob) =>
    size ? createImageBitmap(blob, { resizeWidth: size.width, resizeHeight: size.height, resizeQuality: 'medium' }) : createImageBitmap(blob);
  try {
    if (boot) {
      await startViewer(id, url, accept, boot.frameAccept);
      return;
    }
    const response = await fetch(url, { headers: { Accept: accept } });
    if (!response.ok) {
      scope.postMessage({ id, error: await serverMessage(response), status: response.status } satisfies DecodeReply);
      return;
    }
    if (parts === undefined) {
      const bitmap = await bitmapOf(await response.blob());
      scope.postMessage({ id, part: 0, bitmap } satisfies DecodeReply, [bitmap]);
      return;
    }
    const boundary = /boundary="?([^";]+)"?/i.exec(response.headers.get('content-type') ?? '')?.[1];
    if (!boundary || !response.body) throw new Error('multipart response without a boundary');
    const reader = new MultipartReader(boundary);
    const decoding = new Set<Promise<void>>();
    let count = 0;
    const decode = (body: Uint8Array<ArrayBuffer>, type: string) => {
      const part = count++;
      const job = bitmapOf(new Blob([body], { type })).then((bitmap) => {
        scope.postMessage({ id, part, bitmap } satisfies DecodeReply, [bitmap]);
      });
      const tracked = job.finally(() => decoding.delete(tracked));
      decoding.add(tracked);
    };
    const stream = response.body.getReader();
    for (;;) {
      const { done, value } = await stream.read();
      if (done) break;
      for (const p of reader.push(value)) {
        decode(p.body, p.type);
        while (decoding.size >= MAX_DECODING) await Promise.race(decoding);
      }
    }
    await Promise.all(decoding);
    scope.postMessage({ id, done: true, parts: count } satisfies DecodeReply);
  } catch (error) {
    scope.postMessage({ id, error: String(error), status: 0 } satisfies DecodeReply);
  }
};

// The first frame of the loop the viewer will show first (study-model's order), decoded;
// {done} when there is none.
async function startViewer(id: number, metadataUrl: string, accept: string, frameAccept: string): Promise<void> {
  const response = await fetch(metadataUrl, { headers: { Accept: accept } });
  const first = response.ok ? loopsOfStudy((await response.json()) as DicomJson[]).find((l) => !l.problem) : undefined;
  if (!first) {
    scope.postMessage({ id, done: true, parts: 0 } satisfies DecodeReply);
    return;
  }
  const frameUrl = new DicomWebClient().renderedFrameUrl(first.studyInstanceUID, first.seriesInstanceUID, first.sopInstanceUID, 1);
  const frame = await fetch(frameUrl, { headers: { Accept: frameAccept } });
  if (!frame.ok) {
    scope.postMessage({ id, error: `HTTP ${frame.status}`, status: frame.status } satisfies DecodeReply);
    return;
  }
  const bitmap = await createImageBitmap(await frame.blob());
  scope.postMessage({ id, part: 0, bitmap, frameUrl } satisfies DecodeReply, [bitmap]);
}
