import { describe, expect, it } from 'vitest';
import type { DicomJson } from '../../core/dicom-json';
import { calibrationOf, lengthScale, peakGradientMmHg, velocityAt } from './calibration';
import { Concepts, PRIVATE_SCHEME, angleDegrees, measure, polygonArea, polygonPerimeter } from './geometry';

const region = (o: Record<string, number>): DicomJson =>
  Object.fromEntries(
    Object.entries(o).map(([tag, v]) => [tag, { vr: tag.startsWith('00186') && tag >= '0018602' ? 'FD' : 'US', Value: [v] }]),
  );
// The regions of the HP echo in the test data (orthanc__Issue16.dcm): a 2D
// tissue region in cm, anisotropic, and an ECG strip in seconds.
const tissue = region({ '00186018': 42, '0018601A': 4, '0018601C': 438, '0018601E': 353, '00186012': 1, '00186014': 1, '00186024': 3, '00186026': 3, '0018602C': 0.02857142857142857, '0018602E': 0.022857142857142857 });
const ecg = region({ '00186018': 40, '0018601A': 374, '0018601C': 257, '0018601E': 406, '00186012': 4, '00186014': 10, '00186024': 4, '00186026': 0, '0018602C': 0.005, '0018602E': 0 });
const doppler = region({ '00186018': 0, '0018601A': 360, '0018601C': 479, '0018601E': 429, '00186012': 3, '00186014': 3, '00186024': 4, '00186026': 7, '0018602C': 0.01, '0018602E': -2, '00186020': 0, '00186022': 20 });
const us = (...regions: DicomJson[]): DicomJson => ({ '00186011': { vr: 'SQ', Value: regions } });

describe('calibration', () => {
  it('measures a distance inside one region with its anisotropic scale', () => {
    const cal = calibrationOf(us(tissue, ecg));
    const r = measure('distance', [{ x: 100, y: 100 }, { x: 200, y: 200 }], cal);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value[0]!.unit).toBe('cm');
    expect(r.value[0]!.value).toBeCloseTo(Math.hypot(100 * 0.02857142857142857, 100 * 0.022857142857142857), 10);
  });
  it('refuses a distance spanning two regions', () => {
    const r = measure('distance', [{ x: 100, y: 100 }, { x: 100, y: 390 }], calibrationOf(us(tissue, ecg)));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/spans two/);
  });
  it('refuses a distance outside every calibrated region', () => {
    const r = measure('distance', [{ x: 5, y: 5 }, { x: 10, y: 10 }], calibrationOf(us(tissue)));
    expect(r.ok).toBe(false);
  });
  it('refuses an uncalibrated image', () => {
    const r = measure('distance', [{ x: 1, y: 1 }, { x: 10, y: 10 }], calibrationOf({}));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/not calibrated/i);
  });
  it('uses PixelSpacing (row, column) in mm, then ImagerPixelSpacing', () => {
    const cal = calibrationOf({ '00280030': { vr: 'DS', Value: ['0.5', '0.25'] } });
    const s = lengthScale(cal, []);
    expect(s.ok && s.value.perPixelX).toBe(0.25);
    expect(s.ok && s.value.perPixelY).toBe(0.5);
    const imager = lengthScale(calibrationOf({ '00181164': { vr: 'DS', Value: [0.2, 0.2] } }), []);
    expect(imager.ok && imager.value.note).toBe('at detector');
  });
  it("prefers a frame's own region list", () => {
    const ds: DicomJson = {
      ...us(tissue),
      '52009230': { vr: 'SQ', Value: [{}, us(ecg)] },
    };
    expect(calibrationOf(ds, 0).kind === 'regions' && (calibrationOf(ds, 0) as { regions: unknown[] }).regions.length).toBe(1);
    const second = calibrationOf(ds, 1);
    expect(second.kind === 'regions' && second.regions[0]!.dataType).toBe(10);
  });
  it('reads Doppler velocity from the baseline and the peak gradient', () => {
    const cal = calibrationOf(us(tissue, doppler));
    const v = velocityAt(cal, { x: 50.5, y: 410.5 }); // 30 rows below the baseline (row 380)
    expect(v.ok && v.value.cmPerSecond).toBe(-60);
    expect(peakGradientMmHg(200)).toBeCloseTo(16, 10);
    const m = measure('velocity', [{ x: 50, y: 330 }], cal); // in the 2D region: refused
    expect(m.ok).toBe(false);
  });
});

describe('geometry', () => {
  it('area and perimeter of a square, angle', () => {
    const sq = [{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 10, y: 10 }, { x: 0, y: 10 }];
    expect(polygonArea(sq, 0.1, 0.1)).toBeCloseTo(1, 10);
    expect(polygonPerimeter(sq, 0.1, 0.1)).toBeCloseTo(4, 10);
    expect(angleDegrees({ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 0, y: 10 })).toBeCloseTo(90, 10);
    expect(angleDegrees({ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 10, y: 10 }, 1, 2)).toBeCloseTo((Math.atan(2) * 180) / Math.PI, 10);
  });
});

import { writePart10 } from '../../core/dicom-writer';
import { buildMeasurementReport, readMeasurementReport } from './measurement-report';

describe('measurement report (TID 1500)', () => {
  const study: DicomJson = {
    '0020000D': { vr: 'UI', Value: ['1.2.3'] },
    '00100010': { vr: 'PN', Value: [{ Alphabetic: 'DOE^JANE' }] },
    '00100020': { vr: 'LO', Value: ['P1'] },
  };
  const measurement = {
    kind: 'area' as const,
    points: [{ x: 10.5, y: 20.25 }, { x: 30, y: 20 }, { x: 30, y: 40 }],
    frame: 4,
    values: [{ concept: { value: '42798000', scheme: 'SCT' as const, meaning: 'Area' }, value: 1.2345678901234567, unit: 'cm2' }],
    trackingId: 'A1',
    trackingUid: '2.25.1',
  };
  const report = buildMeasurementReport({
    studyAttributes: study,
    measurements: [{ image: { sopClassUID: '1.2.840.10008.5.1.4.1.1.3.1', sopInstanceUID: '1.2.3.4', seriesInstanceUID: '1.2.3.5' }, measurement }],
    sopInstanceUID: '1.2.3.6',
    seriesInstanceUID: '1.2.3.7',
    now: new Date(2024, 0, 31, 12, 0, 0),
  });
  it('reads back what it wrote: points, frame, tracking identifiers, values', () => {
    const [back] = readMeasurementReport(report);
    expect(back?.sopInstanceUID).toBe('1.2.3.4');
    expect(back?.measurement.points).toEqual(measurement.points);
    expect(back?.measurement.frame).toBe(4);
    expect(back?.measurement.trackingUid).toBe('2.25.1');
    expect(back?.measurement.values[0]?.unit).toBe('cm2');
  });
  it('writes Part 10 bytes with a preamble, the meta header and even-length values', () => {
    const bytes = writePart10(report);
    expect(new TextDecoder().decode(bytes.slice(128, 132))).toBe('DICM');
    expect(bytes.length % 2).toBe(0);
    const text = new TextDecoder('latin1').decode(bytes);
    expect(text).toContain('1.2.840.10008.5.1.4.1.1.88.33');
    expect(text).toContain('1.234567890123'); // DS kept within 16 characters
  });
});

describe('Doppler time tools', () => {
  // The spectral region: x 0..479 at 10 ms per pixel; baseline row 380, -2 cm/s per row.
  const cal = calibrationOf(us(tissue, doppler));
  it('a time interval from PhysicalDeltaX, in ms', () => {
    const r = measure('time', [{ x: 150.5, y: 365.5 }, { x: 100.5, y: 370.5 }], cal);
    expect(r.ok && r.value[0]).toEqual({ concept: Concepts.timeInterval, value: 500, unit: 'ms' });
  });
  it('refuses a time interval where x is not time, or across regions', () => {
    const r = measure('time', [{ x: 100, y: 100 }, { x: 200, y: 100 }], cal);
    expect(!r.ok && r.reason).toMatch(/outside the ultrasound region calibrated for time/);
    const across = measure('time', [{ x: 100, y: 100 }, { x: 200, y: 400 }], cal);
    expect(!across.ok && across.reason).toMatch(/spans two/);
    const none = measure('time', [{ x: 1, y: 1 }, { x: 9, y: 1 }], calibrationOf({ '00280030': { vr: 'DS', Value: [0.5, 0.5] } }));
    expect(!none.ok && none.reason).toMatch(/Not calibrated for time/);
  });
  it('a deceleration slope from the peak to the baseline, and its deceleration time', () => {
    // Peak 36 cm/s (row 362) at x 100, baseline (row 380) at x 190: 0.9 s.
    const r = measure('slope', [{ x: 100.5, y: 362.5 }, { x: 190.5, y: 380.5 }], cal);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value[0]!.unit).toBe('cm/s2');
    expect(r.value[0]!.value).toBeCloseTo(40, 9);
    expect(r.value[1]!.value).toBeCloseTo(900, 9);
    // Halfway down the slope: the same slope, DT extrapolated to the baseline.
    const half = measure('slope', [{ x: 100.5, y: 362.5 }, { x: 145.5, y: 371.5 }], cal);
    expect(half.ok && half.value[1]!.value).toBeCloseTo(900, 9);
  });
  it('refuses a rising slope, one crossing the baseline, or one in a region without velocity', () => {
    expect(measure('slope', [{ x: 190.5, y: 362.5 }, { x: 100.5, y: 380.5 }], cal).ok).toBe(false);
    expect(measure('slope', [{ x: 100.5, y: 362.5 }, { x: 190.5, y: 400.5 }], cal).ok).toBe(false);
    const strip = measure('slope', [{ x: 50, y: 380 }, { x: 150, y: 390 }], calibrationOf(us(ecg)));
    expect(!strip.ok && strip.reason).toMatch(/spectral Doppler region/);
  });
  it('is saved with UCUM ms and cm/s2, the private scheme identified, and read back', () => {
    const slope = measure('slope', [{ x: 100.5, y: 362.5 }, { x: 190.5, y: 380.5 }], cal);
    const time = measure('time', [{ x: 100.5, y: 370.5 }, { x: 150.5, y: 370.5 }], cal);
    if (!slope.ok || !time.ok) throw new Error('not measured');
    const image = { sopClassUID: '1.2.840.10008.5.1.4.1.1.6.1', sopInstanceUID: '1.2.9', seriesInstanceUID: '1.2.8', multiFrame: false };
    const ds = buildMeasurementReport({
      studyAttributes: { '0020000D': { vr: 'UI', Value: ['1.2.3'] } },
      measurements: [
        { image, measurement: { kind: 'time', points: [{ x: 100.5, y: 370.5 }, { x: 150.5, y: 370.5 }], frame: 0, values: time.value, trackingId: 'T1', trackingUid: '2.25.7' } },
        { image, measurement: { kind: 'slope', points: [{ x: 100.5, y: 362.5 }, { x: 190.5, y: 380.5 }], frame: 0, values: slope.value, trackingId: 'DS1', trackingUid: '2.25.8', site: 'MV' } },
      ],
      sopInstanceUID: '1.2.10',
      seriesInstanceUID: '1.2.11',
      now: new Date(2024, 0, 31),
    });
    expect((ds['00080110']?.Value?.[0] as DicomJson)['00080102']?.Value).toEqual([PRIVATE_SCHEME]);
    expect(JSON.stringify(ds)).not.toContain('"00081160"'); // no frame number for a single-frame image
    const back = readMeasurementReport(ds);
    expect(back.map((b) => b.measurement.kind)).toEqual(['time', 'slope']);
    expect(back[1]!.measurement.values.map((v) => [v.concept.value, v.unit])).toEqual([['20216-8', 'cm/s2'], ['20217-6', 'ms']]);
    // The site: Finding Site = Mitral valve on the slope's group only, and read back.
    expect(back.map((b) => b.measurement.site)).toEqual([undefined, 'MV']);
    const groups = ((ds['0040A730']!.Value!.at(-1) as DicomJson)['0040A730']!.Value ?? []) as DicomJson[];
    const sites = groups.map((g) =>
      ((g['0040A730']!.Value ?? []) as DicomJson[])
        .filter((c) => (c['0040A043']!.Value![0] as DicomJson)['00080100']!.Value![0] === '363698007')
        .map((c) => (c['0040A168']!.Value![0] as DicomJson)['00080100']!.Value![0]),
    );
    expect(sites).toEqual([[], ['91134007']]);
  });
});
