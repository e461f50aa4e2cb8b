import { describe, expect, it } from 'vitest';
import type { DicomJson } from '../../core/dicom-json';
import { loopsOfStudy } from '../../core/study-model';
import { latestPrior, pairPrior } from './prior-pairing';

function ds(uid: string, series: number, o: { view?: string; code?: string; description?: string } = {}): DicomJson {
  const d: DicomJson = {
    '00080018': { vr: 'UI', Value: [uid] },
    '00080060': { vr: 'CS', Value: ['US'] },
    '00200011': { vr: 'IS', Value: [series] },
    '00280008': { vr: 'IS', Value: [20] },
    '7FE00010': { vr: 'OB', BulkDataURI: 'x' },
  };
  if (o.view) d['00082127'] = { vr: 'SH', Value: [o.view] };
  if (o.code) d['00540220'] = { vr: 'SQ', Value: [{ '00080100': { vr: 'SH', Value: [o.code] } }] };
  if (o.description) d['0008103E'] = { vr: 'LO', Value: [o.description] };
  return d;
}

describe('pairing a loop with a prior study', () => {
  const current = loopsOfStudy([ds('c1', 1, { view: 'PLAX' }), ds('c2', 2, { code: '399214001' }), ds('c3', 3, { description: 'Doppler MV' }), ds('c4', 4)]);
  const prior = loopsOfStudy([ds('p1', 1, { code: '399214001' }), ds('p2', 2, { description: 'doppler  mv' }), ds('p3', 3, { view: 'plax' }), ds('p4', 4)]);
  const pair = (uid: string) => pairPrior(current.find((l) => l.sopInstanceUID === uid)!, current, prior)?.sopInstanceUID;

  it('by view code, ViewName, then SeriesDescription (case and spaces ignored)', () => {
    expect(pair('c1')).toBe('p3');
    expect(pair('c2')).toBe('p1');
    expect(pair('c3')).toBe('p2');
  });
  it('else by position', () => {
    expect(pair('c4')).toBe('p4');
  });
  it('the most recent earlier study of the patient', () => {
    const study = (uid: string, date: string): DicomJson => ({ '0020000D': { vr: 'UI', Value: [uid] }, '00080020': { vr: 'DA', Value: [date] } });
    const list = [study('a', '20230309'), study('now', '20240314'), study('b', '20230901'), study('later', '20250101')];
    expect(latestPrior(list, 'now', '20240314')?.['0020000D']?.Value?.[0]).toBe('b');
    expect(latestPrior([study('now', '20240314')], 'now', '20240314')).toBeUndefined();
  });
});
