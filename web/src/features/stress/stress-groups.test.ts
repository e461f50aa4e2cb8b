import { describe, expect, it } from 'vitest';
import type { DicomJson } from '../../core/dicom-json';
import { loopsOfStudy } from '../../core/study-model';
import { quadLoops } from './stress-groups';

function ds(uid: string, series: number, stage?: [string, number] | null, view?: string): DicomJson {
  const d: DicomJson = {
    '00080018': { vr: 'UI', Value: [uid] },
    '00080060': { vr: 'CS', Value: ['US'] },
    '00200011': { vr: 'IS', Value: [series] },
    '00280008': { vr: 'IS', Value: [20] },
    '7FE00010': { vr: 'OB', BulkDataURI: 'x' },
  };
  if (stage) {
    d['00082120'] = { vr: 'SH', Value: [stage[0]] };
    d['00082122'] = { vr: 'IS', Value: [stage[1]] };
  }
  if (view) d['00082127'] = { vr: 'SH', Value: [view] };
  return d;
}

const stages: [string, number][] = [
  ['REST', 1],
  ['LOW DOSE', 2],
  ['PEAK', 3],
  ['RECOVERY', 4],
];
const views = ['A4C', 'A2C', 'PLAX', 'PSAX'];
// Acquired stage by stage; recovery acquired before peak (order ≠ stage number).
const order = [0, 1, 3, 2];
const study = loopsOfStudy(
  order.flatMap((s, k) => views.map((v, j) => ds(`${stages[s]![1]}.${j}`, k * 4 + j + 1, stages[s], v))),
);

describe('stress echo quad', () => {
  it('one view across stages, by stage number', () => {
    expect(quadLoops(study, '3.1', 'view')).toEqual(['1.1', '2.1', '3.1', '4.1']);
  });
  it('one stage across views, in acquisition order', () => {
    expect(quadLoops(study, '3.1', 'stage')).toEqual(['3.0', '3.1', '3.2', '3.3']);
  });
  it('labels a loop by its stage and view first (StageName, else the stage number; ViewName)', () => {
    expect(study.find((l) => l.sopInstanceUID === '2.3')!.label).toMatch(/^LOW DOSE · PSAX · US\b/);
    const numbered = loopsOfStudy([{ ...ds('n1', 1), '00082122': { vr: 'IS', Value: [2] } }]);
    expect(numbered[0]!.label).toBe('Stage 2 · US');
    expect(loopsOfStudy([1].map((n) => ds(`p${n}`, n)))[0]!.label).toMatch(/^US\b/);
  });
  it('falls back to acquisition order without stage/view attributes', () => {
    const plain = loopsOfStudy([1, 2, 3, 4, 5].map((n) => ds(`p${n}`, n)));
    expect(quadLoops(plain, 'p2', 'view')).toEqual(['p2', 'p3', 'p4', 'p5']);
    expect(quadLoops(plain, 'p5', 'stage')).toEqual(['p5', 'p1', 'p2', 'p3']);
  });
});
