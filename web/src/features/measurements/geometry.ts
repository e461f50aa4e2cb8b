// Measurements: what the reader drew (image coordinates) and their calibrated
// values. Pure; unit-tested.

import { lengthScale, peakGradientMmHg, velocityAt, type Calibration, type Point, type Scaled } from './calibration';

export type MeasurementKind = 'distance' | 'area' | 'angle' | 'velocity';

// One number of a measurement, with its UCUM unit and SNOMED CT / LOINC concept
// (what the SR stores).
export interface MeasuredValue {
  concept: Concept;
  value: number;
  unit: string; // UCUM code
}

export interface Concept {
  value: string;
  scheme: 'SCT' | 'LN' | 'DCM';
  meaning: string;
}

export const Concepts = {
  length: { value: '410668003', scheme: 'SCT', meaning: 'Length' },
  area: { value: '42798000', scheme: 'SCT', meaning: 'Area' },
  perimeter: { value: '131191004', scheme: 'SCT', meaning: 'Perimeter' },
  angle: { value: '1483009', scheme: 'SCT', meaning: 'Angle' },
  velocity: { value: '11726-7', scheme: 'LN', meaning: 'Peak Velocity' },
  gradient: { value: '20247-3', scheme: 'LN', meaning: 'Peak Gradient' },
} as const satisfies Record<string, Concept>;

export interface Measurement {
  kind: MeasurementKind;
  points: Point[];
  frame: number; // 0-based frame it was drawn on
  values: MeasuredValue[];
  // SR tracking identifiers (set when created, kept through save and reload).
  trackingId: string;
  trackingUid: string;
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

export const POINTS_NEEDED: Record<MeasurementKind, number> = { distance: 2, angle: 3, velocity: 1, area: 3 };

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
  const scale = lengthScale(cal, points);
  if (!scale.ok) return scale;
  const { perPixelX: sx, perPixelY: sy, unit } = scale.value;
  switch (kind) {
    case 'distance':
      return { ok: true, value: [{ concept: Concepts.length, value: distancePx(points[0]!, points[1]!, sx, sy), unit }] };
    case 'angle':
      return { ok: true, value: [{ concept: Concepts.angle, value: angleDegrees(points[0]!, points[1]!, points[2]!, sx, sy), unit: 'deg' }] };
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

const UNIT_LABEL: Record<string, string> = { 'mm[Hg]': 'mmHg', cm2: 'cm²', mm2: 'mm²', deg: '°' };

export function formatValue(v: MeasuredValue): string {
  const digits = v.unit === 'deg' || v.unit === 'cm/s' || v.unit === 'mm[Hg]' ? 1 : v.unit === 'mm' || v.unit === 'mm2' ? 1 : 2;
  const unit = UNIT_LABEL[v.unit] ?? v.unit;
  return `${v.value.toFixed(digits)} ${unit}`;
}

export function formatMeasurement(m: Measurement): string {
  return m.values.map(formatValue).join(' · ');
}
