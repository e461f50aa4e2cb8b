// Simpson's biplane over a study: which apical view a loop shows, which
// traces are end-diastole and end-systole, and the resulting volumes. Pure;
// unit-tested.
//
// View: View Code Sequence (0054,0220; SCT 399214001 apical four chamber,
// 399232001 apical two chamber), else ViewName (0008,2127) or
// SeriesDescription reading A4C / 4CH / "apical 4", A2C / 2CH / "apical 2".
// Phase of a trace: the frame marked ED or ES by the reader (E / Shift+E), else
// the R wave frame (R Wave Pointer) as ED; what is still open is decided by
// area per view: the largest trace is ED, the smallest ES (ASE: ED = largest,
// ES = smallest LV dimension).

import { Tag, nums, str, type DicomJson } from '../../core/dicom-json';
import { calibrationOf, lengthScale } from '../measurements/calibration';
import type { ApicalView, CardiacPhase, Measurement } from '../measurements/geometry';
import { lvVolumes, traceAxis, type LvResult, type PhaseTraces, type TraceAxis } from './discs';

const VIEW_CODES: Record<string, ApicalView> = { '399214001': 'A4C', '399232001': 'A2C' };

export function apicalView(ds: DicomJson): ApicalView | undefined {
  for (const item of (ds['00540220']?.Value ?? []) as DicomJson[]) {
    const view = VIEW_CODES[str(item, '00080100')];
    if (view) return view;
  }
  for (const text of [str(ds, Tag.ViewName), str(ds, Tag.SeriesDescription)]) {
    const t = text.toUpperCase();
    if (/\bA4C\b|\b4 ?CH|APICAL ?4|FOUR[- ]CHAMBER/.test(t)) return 'A4C';
    if (/\bA2C\b|\b2 ?CH|APICAL ?2|TWO[- ]CHAMBER/.test(t)) return 'A2C';
  }
  return undefined;
}

// Frames marked by the reader, per SOP instance (0-based).
export interface PhaseMarks {
  ed?: number;
  es?: number;
}

// The phase of a trace drawn on `frame`: a reader's mark, else ED on an R wave.
export function phaseOfFrame(frame: number, marks: PhaseMarks | undefined, ds: DicomJson): CardiacPhase | undefined {
  if (marks?.ed === frame) return 'ED';
  if (marks?.es === frame) return 'ES';
  if (nums(ds, Tag.RWavePointer).some((f) => Math.round(f) - 1 === frame)) return 'ED';
  return undefined;
}

// The frame to suggest as ED: the reader's mark, else the first R wave.
export function suggestedEdFrame(marks: PhaseMarks | undefined, ds: DicomJson): number | undefined {
  if (marks?.ed !== undefined) return marks.ed;
  const r = nums(ds, Tag.RWavePointer).map((f) => Math.round(f) - 1).filter((f) => f >= 0);
  return r.length > 0 ? Math.min(...r) : undefined;
}

export interface LvTrace {
  sopInstanceUID: string;
  measurement: Measurement;
  view: ApicalView;
  phase: CardiacPhase;
  axis: TraceAxis;
  areaCm2: number;
}

export interface SimpsonSummary {
  traces: LvTrace[]; // the ones used, with their resolved phase
  result: LvResult | undefined;
  missing: string[]; // e.g. "A2C ES", for the display
}

// lv measurements of the study, with their loop's metadata.
export function simpsonOfStudy(entries: { metadata: DicomJson; sopInstanceUID: string; measurement: Measurement }[]): SimpsonSummary {
  const byView = new Map<ApicalView, { entry: (typeof entries)[number]; axis: TraceAxis; area: number }[]>();
  for (const e of entries) {
    const m = e.measurement;
    if (m.kind !== 'lv' || !m.view) continue;
    const scale = lengthScale(calibrationOf(e.metadata, m.frame), m.points);
    if (!scale.ok) continue;
    const toCm = scale.value.unit === 'mm' ? 0.1 : 1;
    const sx = scale.value.perPixelX * toCm;
    const sy = scale.value.perPixelY * toCm;
    const axis = traceAxis(m.points.map((p) => ({ x: p.x * sx, y: p.y * sy })));
    if (!axis.ok) continue;
    const area = m.values.find((v) => v.unit === 'cm2')?.value ?? 0;
    const list = byView.get(m.view) ?? [];
    list.push({ entry: e, axis: axis.value, area });
    byView.set(m.view, list);
  }
  const traces: LvTrace[] = [];
  const ed: PhaseTraces = {};
  const es: PhaseTraces = {};
  for (const [view, list] of byView) {
    const chosen = new Map<CardiacPhase, (typeof list)[number]>();
    // Explicit phases: the latest trace of each phase wins.
    for (const t of list) if (t.entry.measurement.phase) chosen.set(t.entry.measurement.phase, t);
    const open = list.filter((t) => !t.entry.measurement.phase).sort((a, b) => b.area - a.area);
    if (!chosen.has('ED') && open.length > 0) chosen.set('ED', open.shift()!);
    if (!chosen.has('ES') && open.length > 0) chosen.set('ES', open.pop()!);
    for (const [phase, t] of chosen) {
      traces.push({ sopInstanceUID: t.entry.sopInstanceUID, measurement: t.entry.measurement, view, phase, axis: t.axis, areaCm2: t.area });
      const key = view === 'A4C' ? 'a4c' : 'a2c';
      (phase === 'ED' ? ed : es)[key] = t.axis;
    }
  }
  const missing: string[] = [];
  for (const view of ['A4C', 'A2C'] as const)
    for (const phase of ['ED', 'ES'] as const)
      if (!traces.some((t) => t.view === view && t.phase === phase)) missing.push(`${view} ${phase}`);
  return { traces, result: lvVolumes(ed, es), missing };
}
