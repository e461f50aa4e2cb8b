import { describe, expect, it } from 'vitest';
import { loopsOfStudy } from '../../core/study-model';
import type { DicomJson } from '../../core/dicom-json';
import { Concepts, type Measurement } from './geometry';
import { readMeasurementReport } from './measurement-report';
import { studyMeasurementReport } from './study-report';

const instance = (study: string, sop: string, frames: number): DicomJson => ({
  '0020000D': { vr: 'UI', Value: [study] },
  '0020000E': { vr: 'UI', Value: [`${sop}.9`] },
  '00080018': { vr: 'UI', Value: [sop] },
  '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.3.1'] },
  '00280008': { vr: 'IS', Value: [frames] },
  '7FE00010': { vr: 'OB', BulkDataURI: 'x' },
});
const distance = (uid: string): Measurement => ({
  kind: 'distance',
  points: [{ x: 1, y: 1 }, { x: 5, y: 1 }],
  frame: 2,
  values: [{ concept: Concepts.length, value: 0.4, unit: 'cm' }],
  trackingId: 'D1',
  trackingUid: uid,
});

describe('one measurement report per study', () => {
  const current = loopsOfStudy([instance('1.1', '1.1.1', 10)]);
  const prior = loopsOfStudy([instance('2.2', '2.2.1', 10)]);
  const measured: [string, Measurement[]][] = [
    ['1.1.1', [distance('2.25.1')]],
    ['2.2.1', [distance('2.25.2'), distance('2.25.3')]],
  ];
  let n = 0;
  const uid = () => `2.25.100${n++}`;
  it("keeps a prior's measurements in the prior study, referencing its own instance", () => {
    const r = studyMeasurementReport(prior, measured, uid, new Date(2026, 0, 1));
    expect(r?.studyInstanceUID).toBe('2.2');
    expect(r?.count).toBe(2);
    expect(r?.report['0020000D']?.Value).toEqual(['2.2']);
    expect(readMeasurementReport(r!.report).map((m) => [m.sopInstanceUID, m.measurement.trackingUid, m.measurement.frame])).toEqual([
      ['2.2.1', '2.25.2', 2],
      ['2.2.1', '2.25.3', 2],
    ]);
    expect(studyMeasurementReport(current, measured, uid, new Date())?.count).toBe(1);
  });
  it('is null for a study without measurements', () => {
    expect(studyMeasurementReport(current, [['2.2.1', [distance('2.25.4')]]], uid, new Date())).toBeNull();
  });
  it('says "no measurements" when the reader removed them all since the last save', () => {
    const r = studyMeasurementReport(current, [['2.2.1', [distance('2.25.4')]]], uid, new Date(), [], true);
    expect(r?.count).toBe(0);
    expect(r?.studyInstanceUID).toBe('1.1');
    expect(readMeasurementReport(r!.report)).toEqual([]);
    expect(r!.report['0040A375']).toBeUndefined(); // no evidence: nothing measured (type 1C)
    const container = r!.report['0040A730']!.Value!.at(-1) as DicomJson;
    expect((container['0040A043']!.Value![0] as DicomJson)['00080100']!.Value).toEqual(['126010']);
    expect(container['0040A730']).toBeUndefined(); // an empty container has no Content Sequence
  });
});
