// FrameLoader: loads the frames of one loop as ImageBitmaps through a small
// pool of decode workers, first frame first, then in playback order, with a
// bounded number of requests in flight (the browser allows ~6 per origin).
// Shared by every cell of a viewer so requests are not multiplied.

import type { DecodeReply, DecodeRequest } from './frame-decoder.worker';

export interface FrameSource {
  frameCount: number;
  url: (frame: number) => string; // frame 0-based
  accept: string;
}

export class LoopFrames {
  readonly bitmaps: (ImageBitmap | undefined)[];
  readonly errors: (string | undefined)[];
  decodedCount = 0;
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
    for (const b of this.bitmaps) b?.close();
    this.bitmaps.fill(undefined);
  }
}

interface Job {
  loop: LoopFrames;
  frame: number;
  retries?: number;
}

export class FrameLoader {
  private readonly workers: Worker[] = [];
  private readonly queue: Job[] = [];
  private readonly inFlight = new Map<number, Job>();
  private nextId = 1;
  private nextWorker = 0;

  constructor(
    workerCount = Math.min(4, Math.max(2, (navigator.hardwareConcurrency || 2) - 1)),
    private readonly maxInFlight = 6,
  ) {
    for (let i = 0; i < workerCount; i++) {
      const worker = new Worker(new URL('./frame-decoder.worker.ts', import.meta.url), { type: 'module' });
      worker.onmessage = (event: MessageEvent<DecodeReply>) => this.onReply(event.data);
      this.workers.push(worker);
    }
  }

  // Queues every frame of a loop (first frame ahead of everything queued).
  load(source: FrameSource): LoopFrames {
    const loop = new LoopFrames(source);
    this.queue.unshift({ loop, frame: 0 });
    for (let f = 1; f < source.frameCount; f++) this.queue.push({ loop, frame: f });
    this.pump();
    return loop;
  }

  // Drops the queued frames of a loop no longer shown.
  cancel(loop: LoopFrames): void {
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]?.loop === loop) this.queue.splice(i, 1);
  }

  dispose(): void {
    for (const w of this.workers) w.terminate();
    this.queue.length = 0;
    this.inFlight.clear();
  }

  private pump(): void {
    while (this.inFlight.size < this.maxInFlight && this.queue.length > 0) {
      const job = this.queue.shift()!;
      const id = this.nextId++;
      this.inFlight.set(id, job);
      const request: DecodeRequest = { id, url: job.loop.source.url(job.frame), accept: job.loop.source.accept };
      const worker = this.workers[this.nextWorker++ % this.workers.length]!;
      worker.postMessage(request);
    }
  }

  private onReply(reply: DecodeReply): void {
    const job = this.inFlight.get(reply.id);
    this.inFlight.delete(reply.id);
    if (job) {
      const { loop, frame } = job;
      if ('bitmap' in reply) {
        loop.bitmaps[frame] = reply.bitmap;
        loop.decodedCount++;
        loop.onFrame?.(frame);
        if (loop.complete) loop.onComplete?.();
      } else if ((job.retries ?? 0) < 2 && reply.status !== 404) {
        // Two retries: the server may fail a frame transiently (seen with
        // concurrent cold renders); a third failure is reported.
        this.queue.push({ loop, frame, retries: (job.retries ?? 0) + 1 });
      } else {
        loop.errors[frame] = reply.error;
        loop.onFrame?.(frame);
      }
    }
    this.pump();
  }
}
