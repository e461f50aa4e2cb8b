// Doppler time measurements (pure; unit-tested): a time interval between two
// points along a region's time axis, and a deceleration slope between two
// points of a spectral Doppler envelope with its deceleration time.
//
// Scale: the one ultrasound region holding both points (never two regions:
// mixing scales is refused, see calibration.regionFor). A time interval needs
// a region whose PhysicalUnitsXDirection is seconds (spectral Doppler, M-mode,
// an ECG strip): Δt = |Δcolumns| × PhysicalDeltaX. A slope also needs
// PhysicalUnitsYDirection cm/s (spectral Doppler): the velocities of both
// points against the baseline (velocityAt), slope = Δv / Δt in cm/s², and the
// deceleration time DT = |v1| / |slope| — the time the line from the first
// point (the peak) takes to reach the baseline, as read on an E wave.

import { PhysicalUnits, regionFor, velocityAt, type Calibration, type Point, type Scaled, type UltrasoundRegion } from './calibration';

export interface TimeInterval {
  ms: number;
  region: UltrasoundRegion;
}

const isTimeRegion = (r: UltrasoundRegion) => r.unitsX === PhysicalUnits.seconds && r.deltaX !== 0;

const NOT_TIME =
  'Not calibrated for time: this image has no ultrasound region whose horizontal axis is time (spectral Doppler, M-mode).';

export function timeInterval(cal: Calibration, a: Point, b: Point): Scaled<TimeInterval> {
  if (cal.kind !== 'regions') return { ok: false, reason: NOT_TIME };
  const found = regionFor(cal.regions, [a, b], isTimeRegion, 'time (seconds along x)');
  if (!found.ok) return found;
  const r = found.value;
  return { ok: true, value: { ms: Math.abs(b.x - a.x) * Math.abs(r.deltaX) * 1000, region: r } };
}

export interface Deceleration {
  cmPerSecond2: number; // the slope's magnitude
  decelerationMs: number;
  fromCmPerSecond: number; // the earlier point (the peak)
  toCmPerSecond: number;
}

export function decelerationSlope(cal: Calibration, a: Point, b: Point): Scaled<Deceleration> {
  const t = timeInterval(cal, a, b);
  if (!t.ok) return t;
  if (t.value.region.unitsY !== PhysicalUnits.cmPerSecond || t.value.region.deltaY === 0)
    return { ok: false, reason: 'Refused: a slope needs a spectral Doppler region (velocity in cm/s along y, time along x).' };
  if (t.value.ms === 0) return { ok: false, reason: 'Refused: the two points of a slope must lie at different times.' };
  const [first, second] = a.x <= b.x ? [a, b] : [b, a];
  const v1 = velocityAt(cal, first);
  const v2 = velocityAt(cal, second);
  if (!v1.ok) return v1;
  if (!v2.ok) return v2;
  const from = v1.value.cmPerSecond;
  const to = v2.value.cmPerSecond;
  // The speed must fall towards the baseline, on one side of it.
  if (from === 0 || Math.abs(to) >= Math.abs(from) || (to !== 0 && Math.sign(to) !== Math.sign(from)))
    return { ok: false, reason: 'Refused: a deceleration slope runs from the peak down towards the baseline, later in time.' };
  const slope = Math.abs(to - from) / (t.value.ms / 1000);
  return {
    ok: true,
    value: { cmPerSecond2: slope, decelerationMs: (Math.abs(from) / slope) * 1000, fromCmPerSecond: from, toCmPerSecond: to },
  };
}
