// Simpson's biplane in the TID 1500 measurement report.
//
// Each LV trace is a measurement group like an area (NUM area and long axis
// inferred from the POLYGON SCOORD on its frame) with concept modifiers
// Finding Site = Left ventricle structure and Image View = apical 4/2 chamber;
// its phase (ED/ES) follows the tracking identifier ("LV1 ED"), as PS3.16 has
// no current (non-retired) DCM code for the cardiac phase of a content item.
// The volumes are one more group without an image: NUM EDV (LOINC 18026-5),
// ESV (18148-7), SV (20562-5) and EF (18043-0), Finding Site Left ventricle,
// Measurement Method (SCT 370129005) = Method of Disks, Biplane (DCM 125207)
// or Single Plane (DCM 125208) (CID 12227 Echocardiography Measurement Method).

import { str, type DicomJson } from '../../core/dicom-json';
import type { ApicalView, CardiacPhase, Measurement } from '../measurements/geometry';
import { T, a, children, code, item, nameOf, sq } from '../measurements/sr-items';
import type { LvResult } from './discs';

const FINDING_SITE = () => code('363698007', 'SCT', 'Finding Site');
const LEFT_VENTRICLE = () => code('87878005', 'SCT', 'Left ventricle structure');
const IMAGE_VIEW = () => code('111031', 'DCM', 'Image View');
const VIEW_CODE: Record<ApicalView, [string, string]> = {
  A4C: ['399214001', 'Apical four chamber'],
  A2C: ['399232001', 'Apical two chamber'],
};
export const METHOD = {
  biplane: ['125207', 'Method of Disks, Biplane'],
  monoplane: ['125208', 'Method of Disks, Single Plane'],
} as const;

const mod = (name: DicomJson, value: DicomJson) => item('HAS CONCEPT MOD', 'CODE', name, { [T.ConceptCodeSequence]: sq(value) });

export function lvTrackingText(m: Measurement): string {
  return [m.trackingId, m.phase].filter(Boolean).join(' ');
}

export function lvModifiers(m: Measurement): DicomJson[] {
  const out = [mod(FINDING_SITE(), LEFT_VENTRICLE())];
  if (m.view) out.push(mod(IMAGE_VIEW(), code(VIEW_CODE[m.view][0], 'SCT', VIEW_CODE[m.view][1])));
  return out;
}

// The view and phase of an LV trace group, or undefined when the group is not one.
export function readLvModifiers(items: DicomJson[]): { view?: ApicalView; phase?: CardiacPhase } | undefined {
  const codeOf = (c: DicomJson) => str((c[T.ConceptCodeSequence]?.Value?.[0] ?? {}) as DicomJson, T.CodeValue);
  const site = items.find((c) => nameOf(c) === '363698007:SCT');
  if (!site || codeOf(site) !== '87878005') return undefined;
  const out: { view?: ApicalView; phase?: CardiacPhase } = {};
  const view = items.find((c) => nameOf(c) === '111031:DCM');
  const viewCode = view ? codeOf(view) : '';
  for (const [v, [c]] of Object.entries(VIEW_CODE)) if (c === viewCode) out.view = v as ApicalView;
  const tracking = items.find((c) => nameOf(c) === '112039:DCM');
  const phase = tracking ? /\b(ED|ES)\b/.exec(str(tracking, T.TextValue))?.[1] : undefined;
  if (phase) out.phase = phase as CardiacPhase;
  return out;
}

const num = (concept: [string, string, string], value: number, unit: string, unitMeaning: string) =>
  item('CONTAINS', 'NUM', code(...concept), {
    [T.MeasuredValueSequence]: sq({
      [T.MeasurementUnitsCodeSequence]: sq(code(unit, 'UCUM', unitMeaning)),
      [T.NumericValue]: a('DS', Number(value.toFixed(2))),
    }),
  });

// The LV volumes measurement group.
export function lvVolumesGroup(r: LvResult, trackingUid: string): DicomJson {
  const [methodCode, methodMeaning] = METHOD[r.method];
  return item('CONTAINS', 'CONTAINER', code('125007', 'DCM', 'Measurement Group'), {
    [T.ContinuityOfContent]: a('CS', 'SEPARATE'),
    [T.ContentSequence]: sq(
      item('HAS OBS CONTEXT', 'TEXT', code('112039', 'DCM', 'Tracking Identifier'), { [T.TextValue]: a('UT', 'LV volumes (Simpson)') }),
      item('HAS OBS CONTEXT', 'UIDREF', code('112040', 'DCM', 'Tracking Unique Identifier'), { [T.UID]: a('UI', trackingUid) }),
      mod(FINDING_SITE(), LEFT_VENTRICLE()),
      mod(code('370129005', 'SCT', 'Measurement Method'), code(methodCode, 'DCM', methodMeaning)),
      num(['18026-5', 'LN', 'Left ventricular end diastolic volume'], r.edvMl, 'ml', 'milliliter'),
      num(['18148-7', 'LN', 'Left ventricular end systolic volume'], r.esvMl, 'ml', 'milliliter'),
      num(['20562-5', 'LN', 'Left ventricular stroke volume'], r.svMl, 'ml', 'milliliter'),
      num(['18043-0', 'LN', 'Left ventricular ejection fraction'], r.efPercent, '%', 'percent'),
    ),
  });
}

// LV volumes stored in a report (the latest group), for display after reopening.
export function readLvVolumes(report: DicomJson): { method: string; values: Record<string, number> } | undefined {
  const groups = children(report)
    .filter((c) => nameOf(c) === '126010:DCM')
    .flatMap(children)
    .filter((g) => nameOf(g) === '125007:DCM' && children(g).some((c) => nameOf(c) === '370129005:SCT'));
  const g = groups[groups.length - 1];
  if (!g) return undefined;
  const values: Record<string, number> = {};
  for (const c of children(g))
    if (str(c, T.ValueType) === 'NUM')
      values[nameOf(c).split(':')[0]!] = Number(str((c[T.MeasuredValueSequence]?.Value?.[0] ?? {}) as DicomJson, T.NumericValue));
  const m = children(g).find((c) => nameOf(c) === '370129005:SCT')!;
  const method = str((m[T.ConceptCodeSequence]?.Value?.[0] ?? {}) as DicomJson, T.CodeMeaning);
  return { method, values };
}
