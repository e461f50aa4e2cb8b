// The ECG a cine object carries itself (ultrasound / XA multi-frame with a
// Waveform Sequence (5400,0100) in the same instance), and the R waves of a
// loop for synchronized review. Pure; unit-tested.
//
// An embedded waveform shares the loop's clock: loop time t is waveform time
// t − MultiplexGroupTimeOffset. Its WaveformData comes inline in the WADO-RS
// metadata (the server puts bulk data of sequence items inline), so this is
// synchronous. Older curve data (50xx) is not read.
//
// R waves, first source that gives at least two: R Wave Pointer (0028,6040,
// frame numbers), R Wave Time Vector (0018,6060, ms from the first frame),
// then R peaks found in the embedded ECG.

import { Tag, hasPixelData, nums, type DicomJson } from '../../core/dicom-json';
import { frameAt, type FrameTimeline } from '../../core/frame-timing';
import { decodeChannel, inlineBytes, preferredChannel, waveformGroup, type Alignment, type Trace } from './waveform';

const RWaveTimeVector = '00186060';

export interface LoopEcg {
  trace: Trace;
  align: Alignment;
}

// The loop's own ECG; null when the object carries none, a string when it
// carries one that cannot be read.
export function embeddedEcg(ds: DicomJson): LoopEcg | string | null {
  if (!hasPixelData(ds)) return null;
  const group = waveformGroup(ds);
  if (!group) return null;
  const bytes = inlineBytes(group);
  if (!bytes) return "the loop's waveform data is not in its metadata";
  const trace = decodeChannel(group, bytes, preferredChannel(group));
  if (typeof trace === 'string') return trace;
  return { trace, align: { loopStartMs: Math.max(0, -trace.offsetMs), byTime: true, embedded: true } };
}

// R peaks (ms from the first sample): local maxima above 60 % of the way from
// the median to the maximum, at least 250 ms apart (the taller one wins).
export function rPeaksMs(trace: Trace): number[] {
  const v = trace.microvolts;
  if (v.length < 3) return [];
  const sorted = Float32Array.from(v).sort();
  const median = sorted[sorted.length >> 1]!;
  const max = sorted[sorted.length - 1]!;
  if (max - median < 100) return []; // under 0.1 mV: no QRS to find
  const threshold = median + 0.6 * (max - median);
  const refractory = Math.round(0.25 * trace.samplingHz);
  const peaks: number[] = [];
  for (let i = 1; i < v.length - 1; i++) {
    if (v[i]! < threshold || v[i]! < v[i - 1]! || v[i]! < v[i + 1]!) continue;
    const last = peaks[peaks.length - 1];
    if (last !== undefined && i - last < refractory) {
      if (v[i]! > v[last]!) peaks[peaks.length - 1] = i;
    } else peaks.push(i);
  }
  return peaks.map((i) => (i / trace.samplingHz) * 1000);
}

export interface RWaves {
  frames: number[]; // 1-based, as R Wave Pointer, ascending
  timesMs: number[]; // on the loop's timeline (a pointer gives its frames' start times)
}

// The R waves of a loop, from the first source that has two or more in the loop.
export function rWaves(ds: DicomJson, timeline: FrameTimeline): RWaves {
  const fromTimes = (times: number[]): RWaves => {
    const timesMs = times.filter((t) => t >= 0 && t < timeline.durationMs).sort((a, b) => a - b);
    return { frames: [...new Set(timesMs.map((t) => frameAt(timeline, t) + 1))], timesMs };
  };
  const pointer = nums(ds, Tag.RWavePointer);
  if (pointer.length >= 2) return { frames: pointer, timesMs: pointer.map((f) => timeline.startsMs[Math.round(f) - 1] ?? NaN).filter(Number.isFinite) };
  const vector = fromTimes(nums(ds, RWaveTimeVector));
  if (vector.frames.length >= 2) return vector;
  const own = embeddedEcg(ds);
  if (own && typeof own !== 'string') {
    const peaks = fromTimes(rPeaksMs(own.trace).map((t) => t - own.align.loopStartMs));
    if (peaks.frames.length >= 2) return peaks;
  }
  return { frames: pointer, timesMs: [] };
}

// Mean heart rate (beats per minute) from R waves at these times (ms, ascending).
export function heartRateBpm(timesMs: number[]): number | undefined {
  if (timesMs.length < 2) return undefined;
  const meanRR = (timesMs[timesMs.length - 1]! - timesMs[0]!) / (timesMs.length - 1);
  return meanRR > 0 ? 60000 / meanRR : undefined;
}
