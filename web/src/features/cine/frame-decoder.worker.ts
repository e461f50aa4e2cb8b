// Fetches rendered frames and decodes them to ImageBitmaps off the main thread.
// A request names one frame ({id, url, accept}) or several ({id, url, accept, parts}: a
// multipart/related response, one part per frame, decoded as each part arrives, at most
// MAX_DECODING at a time). Replies: {id, part, bitmap} per frame (the bitmap is transferred,
// not copied), then {id, done, parts} for a multipart request; {id, error, status} when the
// request failed (parts already sent stay good).

import { MultipartReader } from './multipart-reader';

export interface DecodeRequest {
  id: number;
  url: string;
  accept: string;
  parts?: number; // a multipart response with this many parts
}
export type DecodeReply =
  | { id: number; part: number; bitmap: ImageBitmap }
  | { id: number; done: true; parts: number }
  | { id: number; error: string; status: number };

const MAX_DECODING = 2;
const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = async (event: MessageEvent<DecodeRequest>) => {
  const { id, url, accept, parts } = event.data;
  try {
    const response = await fetch(url, { headers: { Accept: accept } });
    if (!response.ok) {
      scope.postMessage({ id, error: await errorMessage(response), status: response.status } satisfies DecodeReply);
      return;
    }
    if (parts === undefined) {
      const bitmap = await createImageBitmap(await response.blob());
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
      const job = createImageBitmap(new Blob([body], { type })).then((bitmap) => {
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

async function errorMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    if (body.error?.message) return body.error.message;
  } catch {
    // not JSON: keep the status
  }
  return `HTTP ${response.status}`;
}
