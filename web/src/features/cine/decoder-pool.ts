// The page's frame decode workers (frame-decoder.worker.ts), created once — by boot.ts on a
// viewer URL, so they are up before the app has rendered — and shared by every FrameLoader
// and by the first-frame prefetch. Each request gets its replies through its own handler.

import { prefetch } from '../../core/prefetch';
import type { DecodeReply, DecodeRequest, DecodeSize } from './frame-decoder.worker';
import { noteStatus } from '../../core/session-watch';

type Handler = (reply: DecodeReply) => void;
interface Pending {
  handler: Handler;
  single: boolean; // one frame: its one reply ends it; several: the done or error reply does
}

export class DecoderPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextWorker = 0;
  private early: Promise<{ url: string; accept: string; bitmap: ImageBitmap } | null> | null = null;

  constructor(workerCount = Math.min(4, Math.max(2, (navigator.hardwareConcurrency || 2) - 1))) {
    for (let i = 0; i < workerCount; i++) {
      const worker = new Worker(new URL('./frame-decoder.worker.ts', import.meta.url), { type: 'module' });
      worker.onmessage = (event: MessageEvent<DecodeReply>) => {
        const reply = event.data;
        if ('error' in reply) noteStatus(reply.status);
        const request = this.pending.get(reply.id);
        const last = 'error' in reply || 'done' in reply || ('bitmap' in reply && request?.single);
        if (last) this.pending.delete(reply.id);
        if (request) request.handler(reply);
        else if ('bitmap' in reply) reply.bitmap.close();
      };
      this.workers.push(worker);
    }
  }

  // Sends a request (its id is assigned here); returns the id.
  send(request: Omit<DecodeRequest, 'id'>, handler: Handler): number {
    const id = this.nextId++;
    this.pending.set(id, { handler, single: request.parts === undefined && !request.boot });
    this.workers[this.nextWorker++ % this.workers.length]!.postMessage({ ...request, id } satisfies DecodeRequest);
    return id;
  }

  // Stops delivering the replies of a request (its bitmaps are released on arrival).
  forget(id: number): void {
    this.pending.delete(id);
  }

  // A viewer's start (boot.ts): the page fetches the study metadata for the app (prefetch), and
  // a worker fetches it too, off the busy main thread, to decode the first frame of the loop
  // shown first, for take().
  startViewer(metadataUrl: string, accept: string, frameAccept: string): void {
    void prefetch(metadataUrl, accept);
    this.early = new Promise((resolve) => {
      this.send({ url: metadataUrl, accept, boot: { frameAccept } }, (reply) => {
        if ('bitmap' in reply && reply.frameUrl) {
          performance.mark('systole:prefetched-bitmap');
          resolve({ url: reply.frameUrl, accept: frameAccept, bitmap: reply.bitmap });
        } else resolve(null);
      });
    });
  }

  // The first frame decoded by startViewer, if it is url's; null otherwise (then ask for it).
  async take(url: string, accept: string): Promise<ImageBitmap | null> {
    const early = this.early;
    this.early = null;
    const found = early && (await early);
    if (!found) return null;
    if (found.url === url && found.accept === accept) return found.bitmap;
    found.bitmap.close();
    return null;
  }

  // One frame, fetched and decoded by a worker (scaled to `size` when given).
  decode(url: string, accept: string, size?: DecodeSize): Promise<ImageBitmap> {
    return new Promise((resolve, reject) =>
      this.send({ url, accept, ...(size ? { size } : {}) }, (reply) => {
        if ('bitmap' in reply) resolve(reply.bitmap);
        else if ('error' in reply) reject(Object.assign(new Error(reply.error), { status: reply.status }));
      }),
    );
  }
}

let pool: DecoderPool | undefined;

export function decoderPool(): DecoderPool {
  pool ??= new DecoderPool();
  return pool;
}
