// Calibration of image measurements (pure; unit-tested).
//
// Where a measurement's scale comes from, in this order:
//   1. the ultrasound regions of the frame (0018,6011 Sequence of Ultrasound
//      Regions; a frame's own list in the per-frame functional groups when the
//      object has one, else the instance's) — a measurement uses the one region
//      all its points lie in; one that would span regions is refused, never
//      measured with mixed scales;
//   2. PixelSpacing (0028,0030; or the Pixel Measures functional group);
//   3. ImagerPixelSpacing (0018,1164), labelled as measured at the detector.
// Otherwise the image is uncalibrated and measuring is refused.
//
// Coordinates are DICOM image coordinates (column x, row y, continuous; pixel
// i spans [i, i+1), so (0.5, 0.5) is the centre of the top-left pixel, as
// in SR SCOORD GraphicData).

import { nums, num, type DicomJson } from '../../core/dicom-json';

export interface Point {
  x: number;
  y: number;
}

// PS3.3 C.8.5.5.1.15 Physical Units X/Y Direction.
export const PhysicalUnits = {
  none: 0,
  percent: 1,
  dB: 2,
  cm: 3,
  seconds: 4,
  hertz: 5,
  cmPerSecond: 7,
} as const;

export interface UltrasoundRegion {
  index: number; // position in the sequence (0-based)
  minX: number; // RegionLocationMinX0
  minY: number;
  maxX: number; // RegionLocationMaxX1 (inclusive pixel index)
  maxY: number;
  spatialFormat: number; // RegionSpatialFormat: 1 = 2D, 2 = M-mode, 3 = spectral, 4 = waveform
  dataType: number; // RegionDataType: 1 = tissue, 3 = PW Doppler, 4 = CW Doppler, ...
  unitsX: number;
  unitsY: number;
  deltaX: number; // PhysicalDeltaX: units per pixel
  deltaY: number;
  refX: number | undefined; // ReferencePixelX0, relative to the region's corner
  refY: number | undefined;
  refValueX: number; // ReferencePixelPhysicalValueX
  refValueY: number;
}

export type Calibration =
  | { kind: 'regions'; regions: UltrasoundRegion[] }
  // Millimetres per pixel along x (columns) and y (rows).
  | { kind: 'spacing'; mmPerPixelX: number; mmPerPixelY: number; source: 'PixelSpacing' | 'ImagerPixelSpacing' }
  | { kind: 'none' };

const T = {
  SequenceOfUltrasoundRegions: '00186011',
  RegionLocationMinX0: '00186018',
  RegionLocationMinY0: '0018601A',
  RegionLocationMaxX1: '0018601C',
  RegionLocationMaxY1: '0018601E',
  RegionSpatialFormat: '00186012',
  RegionDataType: '00186014',
  PhysicalUnitsXDirection: '00186024',
  PhysicalUnitsYDirection: '00186026',
  ReferencePixelX0: '00186020',
  ReferencePixelY0: '00186022',
  ReferencePixelPhysicalValueX: '00186028',
  ReferencePixelPhysicalValueY: '0018602A',
  PhysicalDeltaX: '0018602C',
  PhysicalDeltaY: '0018602E',
  PixelSpacing: '00280030',
  ImagerPixelSpacing: '00181164',
  SharedFunctionalGroupsSequence: '52009229',
  PerFrameFunctionalGroupsSequence: '52009230',
  PixelMeasuresSequence: '00289110',
} as const;

function items(ds: DicomJson | undefined, tag: string): DicomJson[] {
  return ((ds?.[tag]?.Value ?? []) as DicomJson[]).filter((v) => v && typeof v === 'object');
}

function parseRegions(list: DicomJson[]): UltrasoundRegion[] {
  return list.map((r, index) => ({
    index,
    minX: num(r, T.RegionLocationMinX0) ?? 0,
    minY: num(r, T.RegionLocationMinY0) ?? 0,
    maxX: num(r, T.RegionLocationMaxX1) ?? -1,
    maxY: num(r, T.RegionLocationMaxY1) ?? -1,
    spatialFormat: num(r, T.RegionSpatialFormat) ?? 0,
    dataType: num(r, T.RegionDataType) ?? 0,
    unitsX: num(r, T.PhysicalUnitsXDirection) ?? 0,
    unitsY: num(r, T.PhysicalUnitsYDirection) ?? 0,
    deltaX: num(r, T.PhysicalDeltaX) ?? 0,
    deltaY: num(r, T.PhysicalDeltaY) ?? 0,
    refX: num(r, T.ReferencePixelX0),
    refY: num(r, T.ReferencePixelY0),
    refValueX: num(r, T.ReferencePixelPhysicalValueX) ?? 0,
    refValueY: num(r, T.ReferencePixelPhysicalValueY) ?? 0,
  }));
}

function spacing(ds: DicomJson | undefined, tag: string): [number, number] | undefined {
  if (!ds) return undefined;
  const v = nums(ds, tag);
  // Row spacing (between rows, i.e. along y) first, then column spacing (along x).
  if (v.length >= 2 && v[0]! > 0 && v[1]! > 0) return [v[0]!, v[1]!];
  return undefined;
}

// The calibration of frame `frame` (0-based) of an instance, from its metadata.
export function calibrationOf(ds: DicomJson, frame = 0): Calibration {
  const perFrame = items(ds, T.PerFrameFunctionalGroupsSequence)[frame];
  const shared = items(ds, T.SharedFunctionalGroupsSequence)[0];
  const frameRegions = items(perFrame, T.SequenceOfUltrasoundRegions);
  const regions = frameRegions.length > 0 ? frameRegions : items(ds, T.SequenceOfUltrasoundRegions);
  if (regions.length > 0) return { kind: 'regions', regions: parseRegions(regions) };
  const measures =
    spacing(items(perFrame, T.PixelMeasuresSequence)[0], T.PixelSpacing) ??
    spacing(items(shared, T.PixelMeasuresSequence)[0], T.PixelSpacing) ??
    spacing(ds, T.PixelSpacing);
  if (measures) return { kind: 'spacing', mmPerPixelY: measures[0], mmPerPixelX: measures[1], source: 'PixelSpacing' };
  const imager = spacing(ds, T.ImagerPixelSpacing);
  if (imager) return { kind: 'spacing', mmPerPixelY: imager[0], mmPerPixelX: imager[1], source: 'ImagerPixelSpacing' };
  return { kind: 'none' };
}

export function regionContains(r: UltrasoundRegion, p: Point): boolean {
  return p.x >= r.minX && p.x < r.maxX + 1 && p.y >= r.minY && p.y < r.maxY + 1;
}

// A scale for lengths: physical units per pixel along x and y.
export interface LengthScale {
  perPixelX: number;
  perPixelY: number;
  unit: 'cm' | 'mm';
  note: string; // where the scale comes from, for the display
  region: UltrasoundRegion | undefined;
}

export type Scaled<T> = { ok: true; value: T } | { ok: false; reason: string };

const isLengthRegion = (r: UltrasoundRegion) =>
  r.unitsX === PhysicalUnits.cm && r.unitsY === PhysicalUnits.cm && r.deltaX !== 0 && r.deltaY !== 0;

// The one region that holds every point and calibrates quantity `usable`;
// refuses points spread over regions, or outside any such region.
export function regionFor(
  regions: UltrasoundRegion[],
  points: Point[],
  usable: (r: UltrasoundRegion) => boolean,
  what: string,
): Scaled<UltrasoundRegion> {
  const calibrated = regions.filter(usable);
  if (calibrated.length === 0) return { ok: false, reason: `No ultrasound region of this image is calibrated for ${what}.` };
  const holding = calibrated.filter((r) => points.every((p) => regionContains(r, p)));
  if (holding.length > 0) {
    // Overlapping regions holding every point: only when they agree on the scale.
    const first = holding[0]!;
    const agree = holding.every(
      (r) => r.deltaX === first.deltaX && r.deltaY === first.deltaY && r.unitsX === first.unitsX && r.unitsY === first.unitsY,
    );
    if (!agree) return { ok: false, reason: 'Refused: this spot lies in overlapping ultrasound regions with different calibrations.' };
    return { ok: true, value: first };
  }
  const touched = new Set<number>();
  for (const p of points) for (const r of regions) if (regionContains(r, p)) touched.add(r.index);
  if (points.every((p) => regions.some((r) => regionContains(r, p))) && touched.size > 1)
    return { ok: false, reason: 'Refused: the measurement spans two ultrasound regions (different scales). Measure within one region.' };
  return { ok: false, reason: `Refused: the measurement lies outside the ultrasound region calibrated for ${what}.` };
}

export function lengthScale(cal: Calibration, points: Point[]): Scaled<LengthScale> {
  if (cal.kind === 'none')
    return { ok: false, reason: 'Not calibrated: this image has no pixel spacing or ultrasound calibration; nothing can be measured.' };
  if (cal.kind === 'spacing')
    return {
      ok: true,
      value: {
        perPixelX: cal.mmPerPixelX,
        perPixelY: cal.mmPerPixelY,
        unit: 'mm',
        note: cal.source === 'ImagerPixelSpacing' ? 'at detector' : '',
        region: undefined,
      },
    };
  const found = regionFor(cal.regions, points, isLengthRegion, 'distance');
  if (!found.ok) return found;
  const r = found.value;
  return { ok: true, value: { perPixelX: Math.abs(r.deltaX), perPixelY: Math.abs(r.deltaY), unit: 'cm', note: '', region: r } };
}

// Doppler: the velocity at a point of a spectral region (units cm/s along y),
// from the region's reference pixel (the baseline) and PhysicalDeltaY.
export interface Velocity {
  cmPerSecond: number;
  region: UltrasoundRegion;
}

const isVelocityRegion = (r: UltrasoundRegion) => r.unitsY === PhysicalUnits.cmPerSecond && r.deltaY !== 0;

export function velocityAt(cal: Calibration, p: Point): Scaled<Velocity> {
  if (cal.kind !== 'regions')
    return { ok: false, reason: 'Not calibrated for velocity: this image has no Doppler (cm/s) ultrasound region.' };
  const found = regionFor(cal.regions, [p], isVelocityRegion, 'velocity (cm/s)');
  if (!found.ok) return found;
  const r = found.value;
  // Reference pixel coordinates are relative to the region's top-left corner;
  // a pixel's value is taken at its centre.
  const baselineY = r.minY + (r.refY ?? 0);
  const row = Math.floor(p.y);
  return { ok: true, value: { cmPerSecond: r.refValueY + (row - baselineY) * r.deltaY, region: r } };
}

// Simplified Bernoulli: peak gradient (mmHg) = 4 v², v in m/s.
export function peakGradientMmHg(cmPerSecond: number): number {
  const v = cmPerSecond / 100;
  return 4 * v * v;
}
