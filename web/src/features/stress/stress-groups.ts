// Stress echo: loops grouped by stage and view — StageName (0008,2120),
// StageNumber (0008,2122), ViewName (0008,2127) — falling back to
// acquisition order when the objects carry none. Pure, unit-tested.

import { Tag, num, str } from '../../core/dicom-json';
import type { Loop } from '../../core/study-model';

export interface StressInfo {
  stage: string; // '' when unknown
  stageNumber: number | null;
  view: string; // '' when unknown
  order: number; // acquisition order among the loops (index in the sorted list)
}

export function stressInfo(loop: Loop, order: number): StressInfo {
  return {
    stage: str(loop.metadata, Tag.StageName).trim(),
    stageNumber: num(loop.metadata, Tag.StageNumber) ?? null,
    view: str(loop.metadata, Tag.ViewName).trim(),
    order,
  };
}

const stageKey = (i: StressInfo) => (i.stageNumber !== null ? `#${i.stageNumber}` : i.stage ? `n:${i.stage.toUpperCase()}` : '');
const viewKey = (i: StressInfo) => i.view.toUpperCase();

function compareStage(a: StressInfo, b: StressInfo): number {
  const an = a.stageNumber ?? Infinity;
  const bn = b.stageNumber ?? Infinity;
  return an - bn || a.order - b.order;
}

export type QuadMode = 'view' | 'stage';

// The loops (SOP Instance UIDs, up to `count`) of a quad layout built around
// `reference`: mode 'view' = the reference's view across stages (one loop per
// stage, by StageNumber then acquisition order); mode 'stage' = the
// reference's stage across views (one loop per view, in acquisition order).
// Loops listed in acquisition order (the viewer's order). Without stage or
// view attributes: the multi-frame loops in acquisition order from the reference.
export function quadLoops(loops: Loop[], referenceUid: string, mode: QuadMode, count = 4): string[] {
  const playable = loops.filter((l) => !l.problem);
  const infos = playable.map((l, i) => ({ loop: l, info: stressInfo(l, i) }));
  const ref = infos.find((x) => x.loop.sopInstanceUID === referenceUid) ?? infos[0];
  if (!ref) return [];
  const key = mode === 'view' ? viewKey : stageKey;
  const other = mode === 'view' ? stageKey : viewKey;
  if (key(ref.info) === '' || infos.every((x) => other(x.info) === '')) {
    const multi = infos.filter((x) => x.loop.frameCount > 1);
    const pool = multi.length > 0 ? multi : infos;
    const start = Math.max(0, pool.indexOf(ref));
    return [...pool.slice(start), ...pool.slice(0, start)].slice(0, count).map((x) => x.loop.sopInstanceUID);
  }
  const same = infos.filter((x) => key(x.info) === key(ref.info));
  if (mode === 'view') same.sort((a, b) => compareStage(a.info, b.info));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const x of same) {
    const k = other(x.info);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(x.loop.sopInstanceUID);
    if (out.length === count) break;
  }
  return out;
}
