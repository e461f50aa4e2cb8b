// Measurements: what the reader drew (image coordinates) and their calibrated
// values. Pure; unit-tested.

import { traceAxis } from '../simpson/discs';
import { lengthScale, peakGradientMmHg, velocityAt, type Calibration, type Point, type Scaled } from './calibration';
import { decelerationSlope, timeInterval } from './doppler-time';
import type { Site } from './sites';

// lv: an LV endocardial trace for Simpson's method of discs (features/simpson).
// time: a time interval along a region's time axis; slope: a Doppler
// deceleration slope and time (features/measurements/doppler-time).
export type MeasurementKind = 'distance' | 'area' | 'angle' | 'velocity' | 'lv' | 'time' | 'slope';

export type CardiacPhase = 'ED' | 'ES';
export type ApicalView = 'A4C' | 'A2C';

// One number of a measurement, with its UCUM unit and SNOMED CT / LOINC concept
// (what the SR stores).
export interface MeasuredValue {
  concept: Concept;
  value: number;
  unit: string; // UCUM code
}

export interface Concept {
  value: string;
  scheme: 'SCT' | 'LN' | 'DCM' | typeof PRIVATE_SCHEME;
  meaning: string;
}

// Systole's own codes, for concepts without a standard code (declared in the
// SR's Coding Scheme Identification Sequence).
export const PRIVATE_SCHEME = '99SYSTOLE';

export const Concepts = {
  length: { value: '410668003', scheme: 'SCT', meaning: 'Length' },
  area: { value: '42798000', scheme: 'SCT', meaning: 'Area' },
  perimeter: { value: '131191004', scheme: 'SCT', meaning: 'Perimeter' },
  angle: { value: '1483009', scheme: 'SCT', meaning: 'Angle' },
  velocity: { value: '11726-7', scheme: 'LN', meaning: 'Peak Velocity' },
  gradient: { value: '20247-3', scheme: 'LN', meaning: 'Peak Gradient' },
  longAxis: { value: '103339001', scheme: 'SCT', meaning: 'Long Axis' },
  timeInterval: { value: 'DOPPLER-TI', scheme: PRIVATE_SCHEME, meaning: 'Doppler time interval' },
  decelerationSlope: { value: '20216-8', scheme: 'LN', meaning: 'Deceleration Slope' },
  decelerationTime: { value: '20217-6', scheme: 'LN', meaning: 'Deceleration Time' },
} as const satisfies Record<string, Concept>;

export interface Measurement {
  kind: MeasurementKind;
  points: Point[];
  frame: number; // 0-based frame it was drawn on
  values: MeasuredValue[];
  // SR tracking identifiers (set when created, kept through save and reload).
  trackingId: string;
  trackingUid: string;
  // lv traces: the view (from the loop) and the phase marked for the frame
  // (absent: decided by area, largest = ED, smallest = ES).
  view?: ApicalView;
  phase?: CardiacPhase;
  // Doppler measurements: the valve or tract the reader said they are of (sites.ts).
  site?: Site;
}

export function distancePx(a: Point, b: Point, sx = 1, sy = 1): number {
  return Math.hypot((b.x - a.x) * sx, (b.y - a.y) * sy);
}

// Shoelace area of a closed polygon, scaled.
export function polygonArea(points: Point[], sx = 1, sy = 1): number {
  let twice = 0;
  for (let i = 0; i < points.length; i++) {
    const a = points[i]!;
    const b = points[(i + 1) % points.length]!;
    twice += a.x * b.y - b.x * a.y;
  }
  return (Math.abs(twice) / 2) * sx * sy;
}

export function polygonPerimeter(points: Point[], sx = 1, sy = 1): number {
  let sum = 0;
  for (let i = 0; i < points.length; i++) sum += distancePx(points[i]!, points[(i + 1) % points.length]!, sx, sy);
  return sum;
}

// The angle at vertex b between rays b→a and b→c, in degrees, in physical
// space (anisotropic pixels change angles).
export function angleDegrees(a: Point, b: Point, c: Point, sx = 1, sy = 1): number {
  const ux = (a.x - b.x) * sx;
  const uy = (a.y - b.y) * sy;
  const vx = (c.x - b.x) * sx;
  const vy = (c.y - b.y) * sy;
  const cos = (ux * vx + uy * vy) / (Math.hypot(ux, uy) * Math.hypot(vx, vy));
  return (Math.acos(Math.min(1, Math.max(-1, cos))) * 180) / Math.PI;
}

export const POINTS_NEEDED: Record<MeasurementKind, number> = { distance: 2, angle: 3, velocity: 1, area: 3, lv: 5, time: 2, slope: 2 };

// The calibrated values of a drawing, or why it cannot be measured.
export function measure(kind: MeasurementKind, points: Point[], cal: Calibration): Scaled<MeasuredValue[]> {
  if (points.length < POINTS_NEEDED[kind]) return { ok: false, reason: `A ${kind} needs ${POINTS_NEEDED[kind]} points.` };
  if (kind === 'velocity') {
    const v = velocityAt(cal, points[0]!);
    if (!v.ok) return v;
    return {
      ok: true,
      value: [
        { concept: Concepts.velocity, value: v.value.cmPerSecond, unit: 'cm/s' },
        { concept: Concepts.gradient, value: peakGradientMmHg(v.value.cmPerSecond), unit: 'mm[Hg]' },
      ],
    };
  }
  if (kind === 'time') {
    const t = timeInterval(cal, points[0]!, points[1]!);
    return t.ok ? { ok: true, value: [{ concept: Concepts.timeInterval, value: t.value.ms, unit: 'ms' }] } : t;
  }
  if (kind === 'slope') {
    const d = decelerationSlope(cal, points[0]!, points[1]!);
    if (!d.ok) return d;
    return {
      ok: true,
      value: [
        { concept: Concepts.decelerationSlope, value: d.value.cmPerSecond2, unit: 'cm/s2' },
        { concept: Concepts.decelerationTime, value: d.value.decelerationMs, unit: 'ms' },
      ],
    };
  }
  const scale = lengthScale(cal, points);
  if (!scale.ok) return scale;
  const { perPixelX: sx, perPixelY: sy, unit } = scale.value;
  switch (kind) {
    case 'distance':
      return { ok: true, value: [{ concept: Concepts.length, value: distancePx(points[0]!, points[1]!, sx, sy), unit }] };
    case 'angle':
      return { ok: true, value: [{ concept: Concepts.angle, value: angleDegrees(points[0]!, points[1]!, points[2]!, sx, sy), unit: 'deg' }] };
    case 'lv': {
      const toCm = unit === 'mm' ? 0.1 : 1;
      const axis = traceAxis(points.map((p) => ({ x: p.x * sx * toCm, y: p.y * sy * toCm })));
      if (!axis.ok) return axis;
      return {
        ok: true,
        value: [
          { concept: Concepts.area, value: polygonArea(points, sx * toCm, sy * toCm), unit: 'cm2' },
          { concept: Concepts.longAxis, value: axis.value.lengthCm, unit: 'cm' },
        ],
      };
    }
    case 'area':
      return {
        ok: true,
        value: [
          { concept: Concepts.area, value: polygonArea(points, sx, sy), unit: `${unit}2` },
          { concept: Concepts.perimeter, value: polygonPerimeter(points, sx, sy), unit },
        ],
      };
  }
}

const UNIT_LABEL: Record<string, string> = { 'mm[Hg]': 'mmHg', cm2: 'cm²', mm2: 'mm²', deg: '°', 'cm/s2': 'cm/s²' };

export function formatValue(v: MeasuredValue): string {
  if (v.unit === 'ms' || v.unit === 'cm/s2') return `${v.value.toFixed(0)} ${UNIT_LABEL[v.unit] ?? v.unit}`;
  const digits = v.unit === 'deg' || v.unit === 'cm/s' || v.unit === 'mm[Hg]' ? 1 : v.unit === 'mm' || v.unit === 'mm2' ? 1 : 2;
  const unit = UNIT_LABEL[v.unit] ?? v.unit;
  return `${v.value.toFixed(digits)} ${unit}`;
}

export function formatMeasurement(m: Measurement): string {
  // A slope's second value is its deceleration time.
  const values = m.values.map((v, i) => (m.kind === 'slope' && i === 1 ? `DT ${formatValue(v)}` : formatValue(v))).join(' · ');
  return m.kind === 'lv' ? `${[m.phase ?? 'ED/ES?', m.view].filter(Boolean).join(' ')} · ${values}` : values;
}
