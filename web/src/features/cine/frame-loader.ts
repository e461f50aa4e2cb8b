// FrameLoader: loads the frames of a loop as ImageBitmaps through the page's decode workers
// (decoder-pool). The first frame is asked for at once (or taken decoded from boot.ts's
// prefetch); the others follow in playback order, several frames per
// request (a multipart/related response of rendered frames) when the source offers it, one
// request per frame otherwise and for any frame a multipart request did not deliver — so a
// frame that cannot be loaded is reported on its own. Shared by every cell of a viewer.

import { onSessionRestored } from '../../core/session-watch';
import { decoderPool, type DecoderPool } from './decoder-pool';
import type { DecodeReply, DecodeSize } from './frame-decoder.worker';

export interface FrameSource {
  frameCount: number;
  url: (frame: number) => string; // frame 0-based
  accept: string;
  // Several frames (0-based) in one multipart response, with its Accept; absent: one by one.
  listUrl?: (frames: number[]) => string;
  listAccept?: string;
  // Decode scaled to this size (device pixels); absent: as acquired.
  size?: DecodeSize;
}

export class LoopFrames {
  readonly bitmaps: (ImageBitmap | undefined)[];
  readonly errors: (string | undefined)[];
  decodedCount = 0;
  closed = false;
  onFrame: ((frame: number) => void) | undefined;
  onComplete: (() => void) | undefined;

  constructor(readonly source: FrameSource) {
    this.bitmaps = new Array<ImageBitmap | undefined>(source.frameCount);
    this.errors = new Array<string | undefined>(source.frameCount);
  }
  isDecoded = (frame: number): boolean => this.bitmaps[frame] !== undefined;
  get complete(): boolean {
    return this.decodedCount === this.source.frameCount;
  }
  get failedCount(): number {
    return this.errors.filter(Boolean).length;
  }
  close(): void {
    this.closed = true;
    for (const b of this.bitmaps) b?.close();
    this.bitmaps.fill(undefined);
  }

  // A decoded frame arrived (a late one for a closed loop is released at once).
  deliver(frame: number, bitmap: ImageBitmap): void {
    if (this.closed || this.bitmaps[frame] !== undefined) {
      bitmap.close();
      return;
    }
    this.bitmaps[frame] = bitmap;
    this.errors[frame] = undefined;
    this.decodedCount++;
    this.onFrame?.(frame);
    if (this.complete) this.onComplete?.();
  }

  fail(frame: number, error: string): void {
    if (this.closed) return;
    this.errors[frame] = error;
    this.onFrame?.(frame);
  }
}

interface Job {
  loop: LoopFrames;
  frames: number[]; // one frame, or the parts of a multipart request in order
  retries?: number;
}

// Frames per multipart request: small enough that the workers share a loop and frames arrive
// in playback order, large enough that a loop is a handful of requests.
const FRAMES_PER_REQUEST = 16;

export class FrameLoader {
  private readonly queue: Job[] = [];
  private readonly inFlight = new Map<number, Job>();
  private readonly parked: Job[] = []; // refused 401: asked again once the session is back
  private readonly unsubscribe: () => void;

  constructor(
    private readonly pool: DecoderPool = decoderPool(),
    private readonly maxInFlight = 6,
    onRestored: (listener: () => void) => () => void = onSessionRestored,
  ) {
    this.unsubscribe = onRestored(() => {
      this.queue.push(...this.parked.splice(0));
      this.pump();
    });
  }

  // Starts the first frame now; the others follow it, queued behind frames already queued.
  load(source: FrameSource): LoopFrames {
    const loop = new LoopFrames(source);
    if (source.frameCount === 0) return loop;
    // The other frames wait for the first: it alone decides when the picture appears.
    void this.loadFirst(loop).finally(() => this.loadRest(loop));
    return loop;
  }

  // Drops the queued frames of a loop no longer shown.
  cancel(loop: LoopFrames): void {
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]?.loop === loop) this.queue.splice(i, 1);
  }

  // Stops this loader's requests (the shared workers stay for the next page).
  dispose(): void {
    for (const id of this.inFlight.keys()) this.pool.forget(id);
    this.queue.length = 0;
    this.parked.length = 0;
    this.inFlight.clear();
    this.unsubscribe();
  }

  private async loadFirst(loop: LoopFrames): Promise<void> {
    const { url, accept, size } = loop.source;
    performance.mark('systole:first-frame-request');
    const bitmap = (await this.pool.take(url(0), accept)) ?? (await this.pool.decode(url(0), accept, size).catch(() => null));
    if (bitmap) {
      performance.mark('systole:first-frame-decoded');
      loop.deliver(0, bitmap);
    } else {
      this.queue.unshift({ loop, frames: [0], retries: 1 }); // retried once more, then reported with the server's message
      this.pump();
    }
  }

  private loadRest(loop: LoopFrames): void {
    const { source } = loop;
    if (loop.closed) return;
    const rest = Array.from({ length: source.frameCount - 1 }, (_, i) => i + 1);
    if (source.listUrl && source.listAccept) {
      for (let i = 0; i < rest.length; i += FRAMES_PER_REQUEST) this.queue.push({ loop, frames: rest.slice(i, i + FRAMES_PER_REQUEST) });
    } else {
      for (const f of rest) this.queue.push({ loop, frames: [f] });
    }
    this.pump();
  }

  private pump(): void {
    while (this.inFlight.size < this.maxInFlight && this.queue.length > 0) {
      const job = this.queue.shift()!;
      if (job.loop.closed) continue;
      const { source } = job.loop;
      const several = job.frames.length > 1 && source.listUrl && source.listAccept;
      const request = {
        ...(several
          ? { url: source.listUrl!(job.frames), accept: source.listAccept!, parts: job.frames.length }
          : { url: source.url(job.frames[0]!), accept: source.accept }),
        ...(source.size ? { size: source.size } : {}),
      };
      const id = this.pool.send(request, (reply) => this.onReply(id, job, reply));
      this.inFlight.set(id, job);
    }
  }

  private onReply(id: number, job: Job, reply: DecodeReply): void {
    const { loop, frames } = job;
    if ('bitmap' in reply) {
      const frame = frames['part' in reply ? reply.part : 0];
      if (frame === undefined) reply.bitmap.close();
      else loop.deliver(frame, reply.bitmap);
      if (frames.length > 1) return; // more parts follow, then "done"
    }
    this.inFlight.delete(id);
    const missing = frames.filter((f) => loop.bitmaps[f] === undefined);
    if (frames.length > 1) {
      // A multipart request ended (complete, short or refused): what it did not deliver is
      // asked for frame by frame, so each problem is reported with its own frame.
      if (!loop.closed) for (const f of missing) this.queue.push({ loop, frames: [f] });
    } else if ('error' in reply) {
      if (reply.status === 401) {
        this.parked.push(job); // the session ended: the app asks for a sign-in over the page
      } else if ((job.retries ?? 0) < 2 && reply.status !== 404) {
        // Two retries: the server may fail a frame transiently (seen with
        // concurrent cold renders); a third failure is reported.
        this.queue.push({ loop, frames, retries: (job.retries ?? 0) + 1 });
      } else {
        for (const f of missing) loop.fail(f, reply.error);
      }
    }
    this.pump();
  }
}
