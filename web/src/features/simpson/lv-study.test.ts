import { describe, expect, it } from 'vitest';
import type { DicomJson } from '../../core/dicom-json';
import { calibrationOf } from '../measurements/calibration';
import { measure, type Measurement } from '../measurements/geometry';
import { buildMeasurementReport, readMeasurementReport } from '../measurements/measurement-report';
import { lvVolumesGroup, readLvVolumes } from './lv-report';
import { apicalView, phaseOfFrame, simpsonOfStudy, suggestedEdFrame } from './lv-study';

// A loop like tools/make_lv_phantom.py writes: one 2D region, 0.04 cm/pixel.
const CM = 0.04;
function loop(view: string, code?: string): DicomJson {
  const ds: DicomJson = {
    '00082127': { vr: 'SH', Value: [view] },
    '00286040': { vr: 'US', Value: [1] },
    '00186011': {
      vr: 'SQ',
      Value: [
        {
          '00186018': { vr: 'UL', Value: [0] }, '0018601A': { vr: 'UL', Value: [0] },
          '0018601C': { vr: 'UL', Value: [319] }, '0018601E': { vr: 'UL', Value: [399] },
          '00186012': { vr: 'US', Value: [1] }, '00186014': { vr: 'US', Value: [1] },
          '00186024': { vr: 'US', Value: [3] }, '00186026': { vr: 'US', Value: [3] },
          '0018602C': { vr: 'FD', Value: [CM] }, '0018602E': { vr: 'FD', Value: [CM] },
        },
      ],
    },
  };
  if (code) ds['00540220'] = { vr: 'SQ', Value: [{ '00080100': { vr: 'SH', Value: [code] } }] };
  return ds;
}
// The phantom's endocardial border in pixels: apex up, annulus at row 330.
function border(radiusCm: number, lengthCm: number, n = 41) {
  return Array.from({ length: n }, (_, k) => {
    const th = -Math.PI / 2 + (Math.PI * k) / (n - 1);
    return { x: 160 + (radiusCm * Math.sin(th)) / CM, y: 330 - (lengthCm * Math.cos(th)) / CM };
  });
}
let uid = 0;
function trace(ds: DicomJson, radius: number, length: number, frame: number, phase?: 'ED' | 'ES'): Measurement {
  const points = border(radius, length);
  const r = measure('lv', points, calibrationOf(ds, frame));
  if (!r.ok) throw new Error(r.reason);
  return { kind: 'lv', points, frame, values: r.value, trackingId: `LV${++uid}`, trackingUid: `2.25.${uid}`, view: apicalView(ds)!, ...(phase ? { phase } : {}) };
}
const half = (a: number, b: number, c: number) => (2 / 3) * Math.PI * a * b * c;

describe('apical view of a loop', () => {
  it('from the View Code Sequence, else ViewName / SeriesDescription', () => {
    expect(apicalView(loop('x', '399214001'))).toBe('A4C');
    expect(apicalView(loop('x', '399232001'))).toBe('A2C');
    expect(apicalView(loop('A4C'))).toBe('A4C');
    expect(apicalView(loop('apical 2 chamber'))).toBe('A2C');
    expect(apicalView(loop('PLAX'))).toBeUndefined();
  });
});

describe('ED / ES frames', () => {
  it("the reader's marks first, else the R wave frame is ED", () => {
    const ds = loop('A4C');
    expect(phaseOfFrame(0, undefined, ds)).toBe('ED');
    expect(phaseOfFrame(8, { es: 8 }, ds)).toBe('ES');
    expect(phaseOfFrame(3, { ed: 3 }, ds)).toBe('ED');
    expect(phaseOfFrame(5, undefined, ds)).toBeUndefined();
    expect(suggestedEdFrame(undefined, ds)).toBe(0);
    expect(suggestedEdFrame({ ed: 4 }, ds)).toBe(4);
  });
});

describe('Simpson over a study', () => {
  const a4c = loop('A4C', '399214001');
  const a2c = loop('A2C', '399232001');
  const entries = [
    { metadata: a4c, sopInstanceUID: '1.1', measurement: trace(a4c, 2.5, 8, 0, 'ED') },
    { metadata: a4c, sopInstanceUID: '1.1', measurement: trace(a4c, 1.7, 7, 8) }, // phase by area
    { metadata: a2c, sopInstanceUID: '1.2', measurement: trace(a2c, 1.5, 7, 8, 'ES') },
    { metadata: a2c, sopInstanceUID: '1.2', measurement: trace(a2c, 2.2, 8, 0) },
  ];

  it('biplane volumes of the phantom within 2 %, EF within 1 point', () => {
    const s = simpsonOfStudy(entries);
    expect(s.missing).toEqual([]);
    const r = s.result!;
    expect(r.method).toBe('biplane');
    const edv = half(2.5, 2.2, 8);
    const esv = half(1.7, 1.5, 7);
    expect(Math.abs(r.edvMl - edv) / edv).toBeLessThan(0.02);
    expect(Math.abs(r.esvMl - esv) / esv).toBeLessThan(0.02);
    expect(Math.abs(r.efPercent - ((edv - esv) / edv) * 100)).toBeLessThan(1);
  });

  it('monoplane with one view; says what is missing', () => {
    const s = simpsonOfStudy(entries.slice(0, 2));
    expect(s.result?.method).toBe('monoplane');
    expect(s.missing).toEqual(['A2C ED', 'A2C ES']);
    expect(simpsonOfStudy([]).result).toBeUndefined();
  });

  it('refuses a trace on an uncalibrated loop', () => {
    const r = measure('lv', border(2, 7), calibrationOf({ '00082127': { vr: 'SH', Value: ['A4C'] } }));
    expect(r.ok).toBe(false);
  });

  it('saves traces and volumes in the SR and reads the traces back with view and phase', () => {
    const s = simpsonOfStudy(entries);
    const report = buildMeasurementReport({
      studyAttributes: { '0020000D': { vr: 'UI', Value: ['1.2.3'] } },
      measurements: s.traces.map((t) => ({
        image: { sopClassUID: '1.2.840.10008.5.1.4.1.1.3.1', sopInstanceUID: t.sopInstanceUID, seriesInstanceUID: '9' },
        measurement: { ...t.measurement, phase: t.phase },
      })),
      sopInstanceUID: '1.2.3.6',
      seriesInstanceUID: '1.2.3.7',
      now: new Date(2026, 0, 1),
      extraGroups: [lvVolumesGroup(s.result!, '2.25.99')],
    });
    const back = readMeasurementReport(report);
    expect(back).toHaveLength(4);
    expect(back.every((b) => b.measurement.kind === 'lv')).toBe(true);
    expect(back.map((b) => `${b.measurement.view} ${b.measurement.phase}`).sort()).toEqual(['A2C ED', 'A2C ES', 'A4C ED', 'A4C ES']);
    const again = simpsonOfStudy(back.map((b) => ({ ...b, metadata: b.sopInstanceUID === '1.1' ? a4c : a2c })));
    expect(again.result!.efPercent).toBeCloseTo(s.result!.efPercent, 6);
    const volumes = readLvVolumes(report)!;
    expect(volumes.method).toBe('Method of Disks, Biplane');
    expect(volumes.values['18043-0']).toBeCloseTo(s.result!.efPercent, 1);
    expect(volumes.values['18026-5']).toBeCloseTo(s.result!.edvMl, 1);
  });
});
