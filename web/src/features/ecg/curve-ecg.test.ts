import { describe, expect, it } from 'vitest';
import type { DicomJson } from '../../core/dicom-json';
import { decodeCurve, ecgCurve, inlineCurveBytes } from './curve-ecg';

// As the XA run in the test data (fodicom HasFragmentSequence): group 5000,
// 2-D with x by interval spacing (descriptor 0\1), AxisUnits DPPS\NONE, US values.
function xa(units = ['DPPS', 'NONE'], step = 40): DicomJson {
  const values = new Uint16Array([0, 100, 255, 100, 0, 0, 100, 255]);
  return {
    '50020005': { vr: 'US', Value: [2] },
    '50020010': { vr: 'US', Value: [values.length] },
    '50020020': { vr: 'CS', Value: ['ECG '] },
    '50020030': { vr: 'SH', Value: units },
    '50020103': { vr: 'US', Value: [0] },
    '50020110': { vr: 'US', Value: [0, 1] },
    '50020114': { vr: 'US', Value: [step] },
    '50023000': { vr: 'OW', InlineBinary: btoa(String.fromCharCode(...new Uint8Array(values.buffer))) },
  };
}

describe('ECG curve data (50xx)', () => {
  it('finds the ECG group and spreads an untimed curve over the loop, scaled to 1.5 mV', () => {
    const curve = ecgCurve(xa())!;
    expect(curve.group).toBe('5002');
    const e = decodeCurve(curve, inlineCurveBytes(curve)!, 400);
    if (typeof e === 'string') throw new Error(e);
    expect(e.trace.samplingHz).toBe(20); // 8 points over 400 ms
    expect(e.trace.label).toMatch(/spread over the loop/);
    expect(Math.max(...e.trace.microvolts) - Math.min(...e.trace.microvolts)).toBeCloseTo(1500, 3);
    expect(e.align.embedded).toBe(true);
  });
  it('uses the step when x is in seconds or milliseconds, and mV amplitudes', () => {
    const curve = ecgCurve(xa(['MSEC', 'MV'], 2))!;
    const e = decodeCurve(curve, inlineCurveBytes(curve)!, 400);
    if (typeof e === 'string') throw new Error(e);
    expect(e.trace.samplingHz).toBe(500);
    expect(e.trace.microvolts[2]).toBe(255000);
  });
  it('refuses short data and explicit x values; ignores curves that are not ECG', () => {
    const curve = ecgCurve(xa())!;
    expect(decodeCurve(curve, new Uint8Array(4), 400)).toMatch(/too short/);
    expect(decodeCurve({ ...curve, intervalX: false }, inlineCurveBytes(curve)!, 400)).toMatch(/2 stored dimensions/);
    expect(ecgCurve({ ...xa(), '50020020': { vr: 'CS', Value: ['PRESSURE'] } })).toBeUndefined();
  });
});
