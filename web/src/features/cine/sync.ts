// Synchronized review: loops in several cells play in step by cardiac cycle.
// Pure (no DOM, no clock), unit-tested.
//
// Each loop gets a CycleMap: its cardiac cycles as boundaries on its own
// timeline — between consecutive R waves when the object has an R Wave
// Pointer (0028,6040) with at least two frames, otherwise the whole loop is
// one cycle (normalised loop phase t/T). One master position, counted in
// cycles (unbounded, c = k + f), drives every cell: cell i shows, in its
// cycle k mod m_i, the time at fraction f of that cycle. So loops of
// different lengths and rates start their cycles together.

import { frameAt, type FrameTimeline } from '../../core/frame-timing';

export interface CycleMap {
  // Cycle boundaries (ms on the loop's timeline), ascending, >= 2 values.
  boundsMs: number[];
  source: 'R-wave' | 'loop';
  // The frames inside the cycles (0-based, inclusive): frames outside are
  // skipped in synchronized playback (not counted as dropped).
  firstFrame: number;
  lastFrame: number;
}

// rWaveFrames: R Wave Pointer values (1-based frame numbers).
export function cycleMap(timeline: FrameTimeline, rWaveFrames: number[]): CycleMap {
  const n = timeline.frameCount;
  const frames = [...new Set(rWaveFrames.map((f) => Math.round(f) - 1).filter((f) => f >= 0 && f < n))].sort((a, b) => a - b);
  if (frames.length >= 2) {
    const first = frames[0]!;
    const last = frames[frames.length - 1]!;
    return {
      boundsMs: frames.map((f) => timeline.startsMs[f] ?? 0),
      source: 'R-wave',
      firstFrame: first,
      lastFrame: last - 1,
    };
  }
  return { boundsMs: [0, timeline.durationMs], source: 'loop', firstFrame: 0, lastFrame: n - 1 };
}

export function cycleCount(map: CycleMap): number {
  return map.boundsMs.length - 1;
}

// Mean cycle length (ms at 1×).
export function meanCycleMs(map: CycleMap): number {
  const b = map.boundsMs;
  return ((b[b.length - 1] ?? 0) - (b[0] ?? 0)) / cycleCount(map);
}

// Absolute media time (pass * durationMs + offset, the axis of CinePlayback)
// at master position c (cycles).
export function mediaAtPosition(map: CycleMap, timeline: FrameTimeline, c: number): number {
  const m = cycleCount(map);
  const k = Math.floor(c);
  const f = c - k;
  const j = ((k % m) + m) % m;
  const pass = Math.floor(k / m);
  const b = map.boundsMs;
  const start = b[j] ?? 0;
  const end = b[j + 1] ?? start;
  return pass * timeline.durationMs + start + f * (end - start);
}

// Phase (0..1) within its cycle of time t on the loop's timeline; times
// outside the cycles (before the first R wave, after the last) clamp to 0.
export function phaseOfTime(map: CycleMap, tMs: number): number {
  const b = map.boundsMs;
  if (tMs < (b[0] ?? 0) || tMs >= (b[b.length - 1] ?? 0)) return 0;
  let j = 0;
  while (j + 2 < b.length && (b[j + 1] ?? 0) <= tMs) j++;
  const start = b[j] ?? 0;
  const end = b[j + 1] ?? start;
  return end > start ? (tMs - start) / (end - start) : 0;
}

// Master position (cycles) at which a loop shows frame `frame` (start of the
// frame), in the cycle containing it.
export function positionOfFrame(map: CycleMap, timeline: FrameTimeline, frame: number): number {
  const t = timeline.startsMs[Math.min(timeline.frameCount - 1, Math.max(0, frame))] ?? 0;
  const b = map.boundsMs;
  let j = 0;
  while (j + 2 < b.length && (b[j + 1] ?? 0) <= t) j++;
  return j + phaseOfTime(map, t);
}

// The frame (0-based) a loop shows at master position c.
export function frameAtPosition(map: CycleMap, timeline: FrameTimeline, c: number): number {
  const t = mediaAtPosition(map, timeline, c);
  const d = timeline.durationMs;
  return frameAt(timeline, t - Math.floor(t / d) * d);
}

// The master clock: a position in cycles advancing at `speed` / cycleMs per
// wall ms. A display hiccup (a refresh later than usual, under maxSlipMs)
// advances it by at most `maxStepMs` (one frame of the fastest loop), so no
// frame is skipped for a busy main thread; the loops slip together instead.
export class SyncClock {
  position = 0;
  playing = true;
  speed = 1;
  cycleMs = 1000;
  maxStepMs = Infinity;
  maxSlipMs = 150;
  private lastNow: number | undefined;

  // The position due at `now` (not committed).
  candidate(nowMs: number): number {
    if (!this.playing) return this.position;
    const raw = this.lastNow === undefined ? 0 : Math.max(0, nowMs - this.lastNow);
    const elapsed = raw > this.maxStepMs && raw <= this.maxSlipMs ? this.maxStepMs : raw;
    return this.position + (elapsed * this.speed) / this.cycleMs;
  }
  commit(nowMs: number, position: number): void {
    this.position = position;
    this.lastNow = this.playing ? nowMs : undefined;
  }
  // Buffering: the time passes, the position stays.
  hold(nowMs: number): void {
    this.lastNow = this.playing ? nowMs : undefined;
  }
  play(): void {
    this.playing = true;
    this.lastNow = undefined;
  }
  pause(): void {
    this.playing = false;
    this.lastNow = undefined;
  }
}
