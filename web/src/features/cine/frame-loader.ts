// FrameLoader: loads the frames of a loop through the page's decode workers (decoder-pool).
// The first frame is asked for at once (or taken decoded from boot.ts's prefetch); the others
// follow in playback order, several frames per request (a multipart/related response of rendered
// frames) when the source offers it, one request per frame otherwise and for any frame a multipart
// request did not deliver — so a frame that cannot be loaded is reported on its own. Shared by
// every cell of a viewer.
//
// A JPEG loop shown at its acquired size is kept as its JPEG frames (50 kB each for a 975×743 echo
// frame, against 2.9 MB decoded) and decoded just in time, a little ahead of playback, into reused
// pixel buffers (LoopFrames.want): the loop is playable as soon as its bytes are here. Decoding
// every frame to pixels up front touched 250 MB of fresh memory for an 87-frame loop, which alone
// took about a second of CPU in the VMs we measure on (4 ms per MB), and held it for as long as the
// loop was open. Other loops are decoded once, every frame kept: PNG, and loops shown smaller than
// acquired, whose frames the server scales to the size shown (PS3.18 viewport).

import { onSessionRestored } from '../../core/session-watch';
import { decoderPool, type DecoderPool, type PoolReply } from './decoder-pool';
import type { DecodeSize } from './frame-decoder.worker';
import { releaseFrame, type DecodedFrame, type EncodedFrame } from './decoded-frame';

export interface FrameSource {
  frameCount: number;
  // Frame 0-based, scaled by the server to fit `size` when given.
  url: (frame: number, size?: DecodeSize) => string;
  accept: string;
  // Several frames (0-based) in one multipart response, with its Accept; absent: one by one.
  listUrl?: (frames: number[], size?: DecodeSize) => string;
  listAccept?: string;
  // The size shown (device pixels) when smaller than acquired: the frames are fetched scaled to
  // fit it (the server scales a 975×743 JPEG frame to 531×405 in 4-5 ms; decoding it at full
  // size here and drawing it smaller took 37 ms a frame with both workers busy); absent: as acquired.
  size?: DecodeSize;
}

export type DecodeBytes = (encoded: EncodedFrame, into?: ArrayBuffer) => Promise<DecodedFrame>;

// Decodes in flight per loop decoded just in time (one per worker keeps both busy).
const DECODING_PER_LOOP = 2;
const SPARE_BUFFERS = 4;

export class LoopFrames {
  readonly decoded: (DecodedFrame | undefined)[];
  readonly errors: (string | undefined)[];
  // A JPEG loop: every frame's bytes, decoded here (decodeBytes) — just in time (`decoded` holds
  // the frames wanted now), or, shown smaller than acquired (keepAll), every frame once, kept.
  readonly encoded: (EncodedFrame | undefined)[] | undefined;
  readonly justInTime: boolean;
  availableCount = 0; // frames decoded (or, decoded just in time, whose bytes are here)
  closed = false;
  onFrame: ((frame: number) => void) | undefined;
  onComplete: (() => void) | undefined;
  private wanted: number[] = [0];
  private readonly decoding = new Set<number>();
  private readonly spare: ArrayBuffer[] = [];

  constructor(
    readonly source: FrameSource,
    private readonly decodeBytes?: DecodeBytes,
    keepAll = false,
  ) {
    this.decoded = new Array<DecodedFrame | undefined>(source.frameCount);
    this.errors = new Array<string | undefined>(source.frameCount);
    this.encoded = decodeBytes ? new Array<EncodedFrame | undefined>(source.frameCount) : undefined;
    this.justInTime = decodeBytes !== undefined && !keepAll;
  }
  isDecoded = (frame: number): boolean => this.decoded[frame] !== undefined;
  // Whether the frame is here (decoded, or its bytes to decode just in time).
  has(frame: number): boolean {
    return this.encoded ? this.encoded[frame] !== undefined : this.decoded[frame] !== undefined;
  }
  get complete(): boolean {
    return this.availableCount === this.source.frameCount;
  }
  get failedCount(): number {
    return this.errors.filter(Boolean).length;
  }
  close(): void {
    this.closed = true;
    for (const f of this.decoded) if (f) releaseFrame(f);
    this.decoded.fill(undefined);
    this.encoded?.fill(undefined);
    this.spare.length = 0;
  }

  // Decoded just in time: a decoded frame handed to the caller, who owns it now (undefined when
  // it is not decoded, or the loop keeps its frames); it is decoded again while wanted.
  handOver(frame: number): DecodedFrame | undefined {
    const decoded = this.justInTime ? this.decoded[frame] : undefined;
    if (!decoded) return undefined;
    this.decoded[frame] = undefined;
    this.pump();
    return decoded;
  }

  // A frame's bytes arrived (a JPEG loop).
  store(frame: number, encoded: EncodedFrame): void {
    if (this.closed || !this.encoded || this.encoded[frame] !== undefined) return;
    this.encoded[frame] = encoded;
    this.errors[frame] = undefined;
    this.pump();
    if (!this.justInTime) return;
    this.availableCount++;
    if (this.complete) this.onComplete?.();
  }

  // A decoded frame arrived (a late one for a closed loop, or one no longer wanted, is let go).
  deliver(frame: number, decoded: DecodedFrame): void {
    this.decoding.delete(frame);
    if (this.closed || this.decoded[frame] !== undefined || (this.justInTime && !this.wanted.includes(frame))) {
      this.recycle(decoded);
      this.pump();
      return;
    }
    this.decoded[frame] = decoded;
    this.errors[frame] = undefined;
    if (!this.justInTime) this.availableCount++;
    this.onFrame?.(frame);
    if (!this.justInTime && this.complete) this.onComplete?.();
    this.pump();
  }

  fail(frame: number, error: string): void {
    this.decoding.delete(frame);
    if (this.closed) return;
    this.errors[frame] = error;
    this.onFrame?.(frame);
  }

  // Decoded just in time: the frames to have decoded now, the most urgent first (the one on
  // screen, then those playback shows next); every other decoded frame is let go.
  want(frames: number[]): void {
    if (!this.justInTime || this.closed) return;
    this.wanted = frames;
    for (let f = 0; f < this.decoded.length; f++) {
      const d = this.decoded[f];
      if (d && !frames.includes(f)) {
        this.decoded[f] = undefined;
        this.recycle(d);
      }
    }
    this.pump();
  }

  private recycle(frame: DecodedFrame): void {
    if ('data' in frame && this.justInTime && !this.closed && this.spare.length < SPARE_BUFFERS) this.spare.push(frame.data.buffer as ArrayBuffer);
    else releaseFrame(frame);
  }

  // Decodes the next frames: the wanted ones, or (keepAll) every frame in order.
  private pump(): void {
    const decodeBytes = this.decodeBytes;
    if (!decodeBytes || !this.encoded || this.closed) return;
    const n = this.justInTime ? this.wanted.length : this.source.frameCount;
    for (let i = 0; i < n; i++) {
      if (this.decoding.size >= DECODING_PER_LOOP) return;
      const f = this.justInTime ? this.wanted[i]! : i;
      const encoded = this.encoded[f];
      if (!encoded || this.decoded[f] || this.decoding.has(f) || this.errors[f]) continue;
      this.decoding.add(f);
      decodeBytes(encoded, this.spare.pop()).then(
        (d) => this.deliver(f, d),
        (e: unknown) => this.fail(f, e instanceof Error ? e.message : String(e)),
      );
    }
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

  // Starts the first frame now; the others follow, queued behind frames already queued.
  load(source: FrameSource): LoopFrames {
    const jpeg = /image\/jpeg/i.test(source.accept);
    const { size } = source;
    const loop = new LoopFrames(source, jpeg ? (e, into) => this.pool.decodeBytes(e, into, size) : undefined, size !== undefined);
    if (source.frameCount === 0) return loop;
    void this.loadFirst(loop);
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

  // The first frame, then the others: they wait for it (it alone decides when the picture
  // appears; the network and the cores are shared) — unless the viewer's start is fetching them
  // already (a JPEG loop's bytes), then they are taken from it as they come.
  private async loadFirst(loop: LoopFrames): Promise<void> {
    const { url, accept, size } = loop.source;
    performance.mark('systole:first-frame-request');
    const keep = loop.encoded !== undefined;
    const taken = await this.pool.take(url(0, size), accept);
    const early = taken ? this.pool.adoptRest() : null; // let go unless this loop takes it
    if (early && keep)
      early.listen(
        (frame, encoded) => loop.store(frame, encoded),
        () => this.loadRest(loop), // whatever it did not bring
      );
    const first = taken ?? (await this.pool.fetchFrame(url(0, size), accept, size, keep).catch(() => null));
    if (first) {
      performance.mark('systole:first-frame-decoded');
      loop.deliver(0, first.frame);
      if (first.encoded) loop.store(0, first.encoded);
      if (keep && !first.encoded) {
        this.queue.unshift({ loop, frames: [0] }); // its bytes, for the next pass
        this.pump();
      }
    } else {
      this.queue.unshift({ loop, frames: [0], retries: 1 }); // retried once more, then reported with the server's message
      this.pump();
    }
    if (!(early && keep)) this.loadRest(loop);
  }

  private loadRest(loop: LoopFrames): void {
    const { source } = loop;
    if (loop.closed) return;
    const rest = Array.from({ length: source.frameCount - 1 }, (_, i) => i + 1).filter((f) => !loop.has(f));
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
          ? { url: source.listUrl!(job.frames, source.size), accept: source.listAccept!, parts: job.frames.length }
          : { url: source.url(job.frames[0]!, source.size), accept: source.accept }),
        ...(source.size ? { size: source.size } : {}),
        ...(job.loop.encoded ? { keepEncoded: true } : {}),
      };
      const id = this.pool.send(request, (reply) => this.onReply(id, job, reply));
      this.inFlight.set(id, job);
    }
  }

  private onReply(id: number, job: Job, reply: PoolReply): void {
    const { loop, frames } = job;
    if ('part' in reply) {
      const frame = frames[reply.part];
      if (frame !== undefined && reply.encoded) loop.store(frame, reply.encoded);
      if (reply.frame) {
        if (frame === undefined) releaseFrame(reply.frame);
        else loop.deliver(frame, reply.frame);
      }
      if (frames.length > 1) return; // more parts follow, then "done"
    }
    this.inFlight.delete(id);
    const missing = frames.filter((f) => !loop.has(f));
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
