// The acquisition timeline of a multi-frame instance: when each frame was
// acquired, relative to the first, from (in order of preference)
// FrameTimeVector (0018,1065), FrameTime (0018,1063), CineRate (0018,0040),
// RecommendedDisplayFrameRate (0008,2144); otherwise a stated default.

import { Tag, num, nums, type DicomJson } from './dicom-json';

export type TimingSource = 'FrameTimeVector' | 'FrameTime' | 'CineRate' | 'RecommendedDisplayFrameRate' | 'default';

export interface FrameTimeline {
  frameCount: number;
  // startsMs[i]: when frame i is due, from the start of the loop (startsMs[0] = 0).
  startsMs: Float64Array;
  // One pass of the loop: the last frame's start plus its duration.
  durationMs: number;
  source: TimingSource;
  // Mean acquired rate, frames per second (frameCount / duration).
  fps: number;
}

export const DEFAULT_FPS = 30;

export function timelineFromFrameTime(frameCount: number, frameTimeMs: number, source: TimingSource): FrameTimeline {
  const n = Math.max(1, frameCount);
  const startsMs = new Float64Array(n);
  for (let i = 0; i < n; i++) startsMs[i] = i * frameTimeMs;
  return { frameCount: n, startsMs, durationMs: n * frameTimeMs, source, fps: 1000 / frameTimeMs };
}

// FrameTimeVector: value i is the time since frame i-1 (the first is 0 by
// definition; some devices put the first interval there instead, which we
// treat the same). The last frame lasts the mean interval.
export function timelineFromFrameTimeVector(frameCount: number, vector: number[]): FrameTimeline | undefined {
  const n = Math.max(1, frameCount);
  if (vector.length !== n || vector.some((v) => !(v >= 0))) return undefined;
  const intervals = vector.slice(1);
  if (n > 1 && intervals.some((v) => v <= 0)) return undefined;
  const mean = n > 1 ? intervals.reduce((a, b) => a + b, 0) / intervals.length : (vector[0] ?? 0) || 1000 / DEFAULT_FPS;
  const startsMs = new Float64Array(n);
  for (let i = 1; i < n; i++) startsMs[i] = (startsMs[i - 1] ?? 0) + (vector[i] ?? 0);
  const durationMs = (startsMs[n - 1] ?? 0) + mean;
  return { frameCount: n, startsMs, durationMs, source: 'FrameTimeVector', fps: (n * 1000) / durationMs };
}

export function frameTimeline(ds: DicomJson): FrameTimeline {
  const frameCount = Math.max(1, Math.round(num(ds, Tag.NumberOfFrames) ?? 1));
  const vector = nums(ds, Tag.FrameTimeVector);
  if (vector.length > 0) {
    const t = timelineFromFrameTimeVector(frameCount, vector);
    if (t) return t;
  }
  const frameTime = num(ds, Tag.FrameTime);
  if (frameTime !== undefined && frameTime > 0) return timelineFromFrameTime(frameCount, frameTime, 'FrameTime');
  const cineRate = num(ds, Tag.CineRate);
  if (cineRate !== undefined && cineRate > 0) return timelineFromFrameTime(frameCount, 1000 / cineRate, 'CineRate');
  const recommended = num(ds, Tag.RecommendedDisplayFrameRate);
  if (recommended !== undefined && recommended > 0)
    return timelineFromFrameTime(frameCount, 1000 / recommended, 'RecommendedDisplayFrameRate');
  return timelineFromFrameTime(frameCount, 1000 / DEFAULT_FPS, 'default');
}

// The frame due at time t (ms, 0 <= t < durationMs): the last i with startsMs[i] <= t.
export function frameAt(timeline: FrameTimeline, tMs: number): number {
  const s = timeline.startsMs;
  let lo = 0;
  let hi = s.length - 1;
  if (tMs <= 0) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((s[mid] ?? 0) <= tMs) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
