// The page's frame decode workers (frame-decoder.worker.ts), created once — by boot.ts on a
// viewer URL, so they are up before the app has rendered — and shared by every FrameLoader
// and by the first-frame prefetch. Each request gets its replies through its own handler.

import { prefetch } from '../../core/prefetch';
import type { DecodeReply, DecodeRequest, DecodeSize } from './frame-decoder.worker';
import { noteStatus } from '../../core/session-watch';
import { fromWire, releaseFrame, type DecodedFrame, type EncodedFrame } from './decoded-frame';
import { BOOT_ID, bootName, type BootRequest } from './worker-boot';

// A worker's reply with its frame made drawable.
export type PoolReply =
  | { id: number; part: number; frame?: DecodedFrame; encoded?: EncodedFrame; frameUrl?: string }
  | Exclude<DecodeReply, { part: number }>;
// One frame: decoded, and its bytes when they were asked for.
export interface Fetched {
  frame: DecodedFrame;
  encoded?: EncodedFrame;
}
type Handler = (reply: PoolReply) => void;
interface Pending {
  handler: Handler;
  single: boolean; // one frame: its one reply ends it; several: the done or error reply does
}

export class DecoderPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextWorker = 0;
  private early: Promise<{ url: string; accept: string; fetched: Fetched } | null> | null = null;
  private earlyRest: EarlyFrames | null = null;

  // `boot`: a viewer's start, given to the first worker with its creation (see startViewer).
  constructor(boot?: BootRequest, workerCount = Math.min(4, Math.max(2, (navigator.hardwareConcurrency || 2) - 1))) {
    if (boot) this.startViewer(boot);
    for (let i = 0; i < workerCount; i++) {
      const name = i === 0 && boot ? bootName(boot) : '';
      const worker = new Worker(new URL('./frame-decoder.worker.ts', import.meta.url), { type: 'module', name });
      worker.onmessage = (event: MessageEvent<DecodeReply>) => {
        const wire = event.data;
        const reply: PoolReply = 'part' in wire ? { ...wire, frame: wire.frame && fromWire(wire.frame) } : wire;
        if ('error' in reply) noteStatus(reply.status);
        const request = this.pending.get(reply.id);
        const last = 'error' in reply || 'done' in reply || ('part' in reply && request?.single);
        if (last) this.pending.delete(reply.id);
        if (request) request.handler(reply);
        else if ('part' in reply && reply.frame) releaseFrame(reply.frame);
      };
      this.workers.push(worker);
    }
  }

  // Sends a request (its id is assigned here); returns the id.
  send(request: Omit<DecodeRequest, 'id'>, handler: Handler): number {
    const id = this.nextId++;
    this.pending.set(id, { handler, single: request.parts === undefined });
    const transfer = request.bytes?.into ? [request.bytes.into] : [];
    this.workers[this.nextWorker++ % this.workers.length]!.postMessage({ ...request, id } satisfies DecodeRequest, transfer);
    return id;
  }

  // Stops delivering the replies of a request (its frames are released on arrival).
  forget(id: number): void {
    this.pending.delete(id);
  }

  // A viewer's start (boot.ts): the page fetches the study metadata for the app (prefetch), and
  // the first worker fetches it too, off the busy main thread, to decode the first frame of the
  // loop shown first, for take(), then to fetch the bytes of its other frames (a JPEG loop), for
  // adoptRest(). The request goes in the worker's name: a message would wait for the main thread
  // to pass it on once the worker is up, and at a viewer's start the main thread is busy building
  // the page (measured: the worker got it 100-280 ms after its script ran).
  private startViewer({ metadataUrl, accept, frameAccept }: BootRequest): void {
    void prefetch(metadataUrl, accept);
    const rest = new EarlyFrames();
    this.earlyRest = rest;
    this.early = new Promise((resolve) => {
      this.pending.set(BOOT_ID, {
        single: false,
        handler: (reply) => {
          if ('part' in reply && reply.frame && reply.frameUrl) {
            performance.mark('systole:prefetched-frame');
            resolve({ url: reply.frameUrl, accept: frameAccept, fetched: { frame: reply.frame, ...(reply.encoded ? { encoded: reply.encoded } : {}) } });
          } else if ('part' in reply && reply.encoded) {
            rest.add(reply.part, reply.encoded);
          } else {
            rest.end();
            resolve(null);
          }
        },
      });
    });
  }

  // The first frame decoded by startViewer, if it is url's; null otherwise (then ask for it).
  async take(url: string, accept: string): Promise<Fetched | null> {
    const early = this.early;
    this.early = null;
    const found = early && (await early);
    if (!found) return null;
    if (found.url === url && found.accept === accept) return found.fetched;
    releaseFrame(found.fetched.frame);
    this.earlyRest = null;
    return null;
  }

  // The other frames of the loop whose first frame take() gave, as startViewer fetches them.
  adoptRest(): EarlyFrames | null {
    const rest = this.earlyRest;
    this.earlyRest = null;
    return rest;
  }

  // One frame, fetched and decoded by a worker (scaled to `size` when given), with its bytes
  // when `keepEncoded`.
  fetchFrame(url: string, accept: string, size?: DecodeSize, keepEncoded = false): Promise<Fetched> {
    return this.expectFrame({ url, accept, ...(size ? { size } : {}), ...(keepEncoded ? { keepEncoded } : {}) });
  }

  // A frame's bytes decoded by a worker (made smaller to `size` when given), into `into` (a spare
  // pixel buffer of the frame's size; transferred).
  decodeBytes(encoded: EncodedFrame, into?: ArrayBuffer, size?: DecodeSize): Promise<DecodedFrame> {
    const bytes = { ...encoded, ...(into ? { into } : {}) };
    return this.expectFrame({ url: '', accept: '', bytes, ...(size ? { size } : {}) }).then((f) => f.frame);
  }

  private expectFrame(request: Omit<DecodeRequest, 'id'>): Promise<Fetched> {
    return new Promise((resolve, reject) =>
      this.send(request, (reply) => {
        if ('part' in reply && reply.frame) resolve({ frame: reply.frame, ...(reply.encoded ? { encoded: reply.encoded } : {}) });
        else if ('error' in reply) reject(Object.assign(new Error(reply.error), { status: reply.status }));
        else reject(new Error('no frame in the reply'));
      }),
    );
  }
}

// Frames' bytes arriving for a loop before a loader took it: kept until it listens, then passed on.
export class EarlyFrames {
  private readonly parts = new Map<number, EncodedFrame>();
  private ended = false;
  private onPart: ((frame: number, encoded: EncodedFrame) => void) | undefined;
  private onEnd: (() => void) | undefined;

  add(frame: number, encoded: EncodedFrame): void {
    if (this.onPart) this.onPart(frame, encoded);
    else this.parts.set(frame, encoded);
  }
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd?.();
  }
  // Every frame so far at once, then each as it comes; onEnd once the fetch ended (complete or not).
  listen(onPart: (frame: number, encoded: EncodedFrame) => void, onEnd: () => void): void {
    for (const [frame, encoded] of this.parts) onPart(frame, encoded);
    this.parts.clear();
    this.onPart = onPart;
    this.onEnd = onEnd;
    if (this.ended) onEnd();
  }
}

let pool: DecoderPool | undefined;

// The page's pool; boot.ts creates it with the viewer's start.
export function decoderPool(boot?: BootRequest): DecoderPool {
  pool ??= new DecoderPool(boot);
  return pool;
}
