// The ECG of older multi-frame objects (XA, US) kept as curve data in the
// retired repeating group 50xx (Curve module, PS3.3 2003 C.10.2): the first
// group with TypeOfData "ECG". Decoding is pure (unit-tested); the samples
// come inline or from their BulkDataURI.
//
// Read: 1-D curves, and 2-D curves whose x is given by interval spacing
// (CurveDataDescriptor 0\1: only the y values are stored). Values US, SS,
// FL, FD or SL (DataValueRepresentation 0–4). Time axis: CoordinateStepValue
// when AxisUnits says SEC or MSEC; otherwise (e.g. DPPS, NONE) the curve is
// taken to span the loop — the strip's label says which. Amplitudes without
// units are scaled to a 1.5 mV-high trace (shape only).

import { num, str, strs, type DicomJson } from '../../core/dicom-json';
import type { LoopEcg } from './embedded-ecg';
import { base64Bytes, type Trace } from './waveform';

export interface CurveGroup {
  group: string; // "5000", "5002", ...
  dimensions: number;
  points: number;
  representation: number;
  xUnit: string;
  yUnit: string;
  intervalX: boolean; // x by interval spacing: only y values stored
  stepX: number | undefined;
  data: DicomJson[string] | undefined; // CurveData (50xx,3000)
}

export function ecgCurve(ds: DicomJson): CurveGroup | undefined {
  for (let g = 0x5000; g <= 0x501e; g += 2) {
    const group = g.toString(16).toUpperCase();
    const tag = (element: string) => `${group}${element}`;
    if (!ds[tag('3000')] || str(ds, tag('0020')).trim().toUpperCase() !== 'ECG') continue;
    const [xUnit = '', yUnit = ''] = strs(ds, tag('0030')).map((u) => u.trim().toUpperCase());
    const descriptor = strs(ds, tag('0110')).map(Number);
    return {
      group,
      dimensions: num(ds, tag('0005')) ?? 1,
      points: num(ds, tag('0010')) ?? 0,
      representation: num(ds, tag('0103')) ?? 0,
      xUnit,
      yUnit,
      intervalX: descriptor[0] === 0,
      stepX: num(ds, tag('0114')),
      data: ds[tag('3000')],
    };
  }
  return undefined;
}

const WIDTH = [2, 2, 4, 8, 4];

export function decodeCurve(curve: CurveGroup, bytes: Uint8Array, loopDurationMs: number): LoopEcg | string {
  const { dimensions, points, representation } = curve;
  if (!(points > 0) || !(representation >= 0 && representation <= 4)) return 'the ECG curve has no points or an unknown value representation';
  if (dimensions !== 1 && !(dimensions === 2 && curve.intervalX)) return `ECG curves with ${dimensions} stored dimensions are not read`;
  const width = WIDTH[representation]!;
  if (bytes.length < points * width) return `CurveData is too short (${bytes.length} bytes for ${points} points)`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = [
    (at: number) => view.getUint16(at, true),
    (at: number) => view.getInt16(at, true),
    (at: number) => view.getFloat32(at, true),
    (at: number) => view.getFloat64(at, true),
    (at: number) => view.getInt32(at, true),
  ][representation]!;
  const values = new Float32Array(points);
  for (let i = 0; i < points; i++) values[i] = read(i * width);
  const toMicro = curve.yUnit === 'MV' ? 1000 : curve.yUnit === 'UV' ? 1 : undefined;
  let scale = toMicro;
  if (scale === undefined) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of values) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    scale = hi > lo ? 1500 / (hi - lo) : 1;
  }
  for (let i = 0; i < points; i++) values[i] = values[i]! * scale;
  const stepMs = curve.stepX && curve.stepX > 0 ? (curve.xUnit === 'SEC' ? curve.stepX * 1000 : curve.xUnit === 'MSEC' ? curve.stepX : undefined) : undefined;
  const timed = stepMs !== undefined;
  if (!timed && !(loopDurationMs > 0)) return 'the ECG curve has no time axis';
  const trace: Trace = {
    label: `ECG curve (group ${curve.group})${timed ? '' : ', spread over the loop'}`,
    samplingHz: timed ? 1000 / stepMs : (points * 1000) / loopDurationMs,
    offsetMs: 0,
    microvolts: values,
  };
  return { trace, align: { loopStartMs: 0, byTime: true, embedded: true } };
}

// The curve's data when the metadata carries it inline (else see its BulkDataURI).
export function inlineCurveBytes(curve: CurveGroup): Uint8Array | undefined {
  return curve.data?.InlineBinary ? base64Bytes(curve.data.InlineBinary) : undefined;
}
