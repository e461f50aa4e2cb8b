// CinePlayback: decides, at each display refresh, which frame of a loop to
// show, against the acquisition timeline (not a fixed timer), and counts
// what was presented, dropped and repeated. Pure: no DOM, no clock of its own
// (the caller passes requestAnimationFrame's time), so it is unit-tested.
//
// Frames are numbered along an unbounded "absolute" axis (pass k, frame i is
// k * frameCount + i), so wrap-around needs no special case. Media time runs
// at `speed` times wall time while playing. At each tick:
//   - the frame due now is shown if it is decoded; acquisition frames whose
//     slot passed between two ticks without being shown are *dropped* (the
//     display is slower than the loop, e.g. 4x on a 60 Hz screen);
//   - except after a hiccup the loop can absorb, when the display can show
//     every frame at this rate: a refresh came late by < MAX_SLIP_MS, or by
//     any time during the start-up pass (the first pass after the loop is in,
//     while the page still settles and stalls are common). Then
//     the next frame is shown late — held for while it is not decoded (a loop
//     decoded just in time lags after a stall) — at the end of its slot, so
//     the next one follows at the next refresh, and the clock slips by the
//     rest of the delay (counted as framesDelayed / slipMs): a cine must not
//     lose frames to a busy main thread. A longer stall later resynchronises
//     (and drops);
//   - a frame that is due but not decoded yet is never skipped: the clock
//     holds at its start (buffering) and the tick counts as *repeated*; the
//     latest decoded frame before it is shown meanwhile;
//   - while the loop is still loading, every frame is shown in turn and the
//     clock follows the frames rather than the wall (the first pass is off
//     the acquisition clock anyway): a stall of the page, when decoders,
//     network and layout compete for the CPU, delays the next frame
//     (framesDelayed) instead of dropping frames.

import { frameAt, type FrameTimeline } from '../../core/frame-timing';

export interface PlaybackCounters {
  framesPresented: number;
  framesDropped: number;
  framesRepeated: number;
  framesDelayed: number; // shown late after a hiccup, the clock slipped
  slipMs: number; // total slip of the media clock (wall ms)
}

// Longest display hiccup absorbed by delaying the loop instead of dropping frames.
export const MAX_SLIP_MS = 150;
// A frame shown late is placed this far before the end of its slot (media ms).
const SLOT_END_MS = 0.5;

export const MIN_SPEED = 0.25;
export const MAX_SPEED = 4;

export class CinePlayback {
  readonly counters: PlaybackCounters = {
    framesPresented: 0,
    framesDropped: 0,
    framesRepeated: 0,
    framesDelayed: 0,
    slipMs: 0,
  };
  playing = false;
  private speedValue = 1;
  private mediaMs = 0; // absolute media time (passes * durationMs + offset)
  private shown = -1; // absolute index of the frame on screen; -1 = none yet
  private pending = -1; // paused: absolute frame wanted on screen (step/seek), -1 = none
  private lastNow: number | undefined;
  private refreshMs = 1000 / 60; // display refresh interval, learnt from ticks
  // Synchronized review: when not null, the absolute media time (ms) due now,
  // set by the master clock before each tick; the loop's own clock is unused.
  follow: number | null = null;
  // Frames played in synchronized review (0-based, inclusive); frames outside
  // (before the first R wave, after the last) are skipped, not dropped.
  window = { first: 0, last: -1 };
  private jump = false; // next follow tick may move anywhere (no drops counted)
  private allDecoded = false;
  private startUpUntil = -1; // absolute frame ending the start-up pass (set once the loop is in)

  // isDecoded: whether a frame can be shown now; isLoaded: whether the whole loop is here (for a
  // loop decoded just in time, its bytes; by default, every frame decoded).
  constructor(
    readonly timeline: FrameTimeline,
    private readonly isDecoded: (frame: number) => boolean,
    private readonly isLoaded?: () => boolean,
  ) {}

  get frameCount(): number {
    return this.timeline.frameCount;
  }
  get speed(): number {
    return this.speedValue;
  }
  set speed(value: number) {
    this.speedValue = Math.min(MAX_SPEED, Math.max(MIN_SPEED, value));
  }
  // Frame on screen (0-based within the loop), or -1 before the first paint.
  get currentFrame(): number {
    return this.shown < 0 ? -1 : this.shown % this.frameCount;
  }

  play(): void {
    if (this.playing) return;
    this.playing = true;
    this.lastNow = undefined;
    if (this.shown >= 0) this.mediaMs = this.startOf(this.shown);
    this.pending = -1;
    this.jump = true;
  }
  // The master clock moved discontinuously (sync switched on, rebased).
  resync(): void {
    this.jump = true;
  }
  // Synchronized review: the master clock held at this refresh (a loop was not ready). The
  // refresh counts as repeated here when this loop's next frame was due by `mediaMs`, so that a
  // loop held back by another shows its slow motion in its counters.
  held(mediaMs: number): void {
    if (this.playing && this.shown >= 0 && this.absoluteFrameAt(mediaMs) > this.shown) this.counters.framesRepeated++;
  }
  // Whether every frame from the one after the frame on screen up to the one
  // due at absolute media time `mediaMs` is decoded (the master waits otherwise).
  isReadyAt(mediaMs: number): boolean {
    const target = this.absoluteFrameAt(mediaMs);
    const from = this.jump || target <= this.shown ? target : this.shown + 1;
    const limit = Math.min(target, from + this.frameCount);
    for (let a = from; a <= limit; a++) if (!this.isDecoded(a % this.frameCount)) return false;
    return true;
  }
  pause(): void {
    this.playing = false;
    this.lastNow = undefined;
  }
  toggle(): void {
    if (this.playing) this.pause();
    else this.play();
  }
  // Pauses and moves by `delta` frames (wrapping) from the frame on screen.
  step(delta: number): void {
    this.pause();
    let next = (this.pending >= 0 ? this.pending : Math.max(0, this.shown)) + Math.trunc(delta);
    if (next < 0) next += this.frameCount * Math.ceil(-next / this.frameCount);
    this.pending = next;
  }
  // Pauses on `frame` (0-based; clamped).
  seek(frame: number): void {
    this.pause();
    const f = Math.min(this.frameCount - 1, Math.max(0, Math.round(frame)));
    this.pending = Math.floor(Math.max(0, this.shown) / this.frameCount) * this.frameCount + f;
  }
  // The frame a paused loop is moving to, else the frame on screen (0-based).
  get targetFrame(): number {
    const a = this.pending >= 0 ? this.pending : this.shown;
    return a < 0 ? -1 : a % this.frameCount;
  }

  // The frame due now (0-based): following a master clock, at its time; else the target frame.
  get dueFrame(): number {
    return this.follow !== null ? this.absoluteFrameAt(this.follow) % this.frameCount : this.targetFrame;
  }

  // The frames (0-based) to have decoded for the next `aheadMs` of wall time, most urgent first
  // (at most `max`): paused, the frame on screen or wanted and its neighbours; playing, the frame
  // on screen and every frame due by then (a loop decoded just in time).
  upcoming(aheadMs: number, max: number): number[] {
    const n = this.frameCount;
    const out: number[] = [];
    const add = (absolute: number) => {
      const f = ((absolute % n) + n) % n;
      if (!out.includes(f)) out.push(f);
    };
    if (!this.playing) {
      const at = this.pending >= 0 ? this.pending : Math.max(0, this.shown);
      for (const a of [at, at + 1, at - 1]) add(a);
      return out;
    }
    const media = this.follow ?? this.mediaMs;
    // Following a master clock, the loop may jump (sync switched on): from the frame due now.
    const from = this.follow !== null || this.shown < 0 ? Math.max(0, this.absoluteFrameAt(media)) : this.shown;
    const to = Math.max(from + 1, this.absoluteFrameAt(media + aheadMs * this.speedValue));
    for (let a = from; a <= to && out.length < Math.min(max, n); a++) add(a);
    return out;
  }

  // Called once per display refresh with its timestamp (ms). Returns the
  // frame (0-based) to paint now, or -1 when the screen stays as it is.
  tick(nowMs: number): number {
    if (!this.playing) {
      this.lastNow = undefined;
      const want = this.pending >= 0 ? this.pending : this.shown < 0 ? 0 : -1;
      if (want < 0 || !this.isDecoded(want % this.frameCount)) return -1;
      this.pending = -1;
      return this.present(want);
    }
    const elapsed = this.lastNow === undefined ? 0 : Math.max(0, nowMs - this.lastNow);
    this.lastNow = nowMs;
    if (elapsed > 2 && elapsed < 50) this.refreshMs += (elapsed - this.refreshMs) * 0.05;
    if (this.follow !== null) return this.tickFollow(this.follow);
    const candidate = this.mediaMs + elapsed * this.speedValue;
    const target = this.absoluteFrameAt(candidate);
    if (target <= this.shown) {
      this.mediaMs = candidate;
      return -1;
    }
    const first = this.shown + 1;
    const loading = this.shown >= 0 && !this.loaded();
    if (!loading && this.startUpUntil < 0) this.startUpUntil = Math.max(0, this.shown) + this.frameCount;
    if (this.shown >= 0 && (loading || (target > first && this.mayDelay(candidate, first)))) {
      // Every frame in turn, none skipped — while loading, and after a hiccup the loop may absorb:
      // the next frame comes late and the clock slips; hold on one not decoded yet.
      if (!this.isDecoded(first % this.frameCount)) {
        this.mediaMs = this.startOf(first);
        this.counters.framesRepeated++;
        return -1;
      }
      if (target > first) {
        // Shown at the end of its slot: the clock slips by no more than the frames skipped would
        // have lasted, and the next frame follows at the next refresh.
        const late = Math.max(this.startOf(first), this.startOf(first + 1) - SLOT_END_MS);
        this.counters.framesDelayed++;
        this.counters.slipMs += (candidate - late) / this.speedValue;
        this.mediaMs = late;
      } else this.mediaMs = candidate;
      return this.present(first);
    }
    // The first frame after the one on screen that is not decoded yet, if
    // it is due by now: hold there (never skip a frame for lack of data).
    const limit = Math.min(target, first + this.frameCount); // one pass is enough to find a gap
    for (let a = first; a <= limit; a++) {
      if (this.isDecoded(a % this.frameCount)) continue;
      this.mediaMs = this.startOf(a);
      if (a - 1 > this.shown) return this.present(a - 1);
      if (this.shown >= 0) this.counters.framesRepeated++;
      return -1;
    }
    this.mediaMs = candidate;
    return this.present(target);
  }

  // Whether the loop may show `next` late (due since media time `candidate`) rather than skip
  // to the frame due: the display can show every frame at this rate, and the delay is a short
  // hiccup — or any stall during the start-up pass.
  private mayDelay(candidate: number, next: number): boolean {
    const lateMs = (candidate - this.startOf(next)) / this.speedValue;
    const frameWallMs = this.timeline.durationMs / this.frameCount / this.speedValue;
    return frameWallMs >= this.refreshMs * 1.2 && (lateMs <= MAX_SLIP_MS || this.shown < this.startUpUntil);
  }

  private tickFollow(mediaMs: number): number {
    const target = this.absoluteFrameAt(mediaMs);
    this.mediaMs = mediaMs;
    if (!this.jump && target <= this.shown) return -1;
    if (!this.isDecoded(target % this.frameCount)) {
      if (this.shown >= 0) this.counters.framesRepeated++;
      return -1;
    }
    const jumped = this.jump;
    this.jump = false;
    return this.present(target, !jumped);
  }

  private present(absolute: number, countDrops = true): number {
    if (countDrops && this.shown >= 0 && this.playing && absolute > this.shown + 1) {
      const n = this.frameCount;
      const { first, last } = this.window;
      if (last < 0 || (first <= 0 && last >= n - 1)) this.counters.framesDropped += absolute - this.shown - 1;
      else
        for (let a = this.shown + 1; a < absolute && a <= this.shown + 2 * n; a++) {
          const f = a % n;
          if (f >= first && f <= last) this.counters.framesDropped++;
        }
    }
    this.shown = absolute;
    this.counters.framesPresented++;
    return absolute % this.frameCount;
  }

  // Whether the whole loop is here (once true, stays true).
  private loaded(): boolean {
    if (this.allDecoded) return true;
    if (this.isLoaded) return (this.allDecoded = this.isLoaded());
    for (let f = 0; f < this.frameCount; f++) if (!this.isDecoded(f)) return false;
    return (this.allDecoded = true);
  }

  private startOf(absolute: number): number {
    const n = this.frameCount;
    return Math.floor(absolute / n) * this.timeline.durationMs + (this.timeline.startsMs[absolute % n] ?? 0);
  }

  private absoluteFrameAt(mediaMs: number): number {
    const d = this.timeline.durationMs;
    const pass = Math.floor(mediaMs / d);
    return pass * this.frameCount + frameAt(this.timeline, mediaMs - pass * d);
  }
}
