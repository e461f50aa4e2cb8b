// Measurements as a DICOM SR: TID 1500 Measurement Report (Comprehensive SR),
// one Measurement Group (TID 1501) per measurement with its Tracking
// Identifier and Tracking Unique Identifier, each NUM (SCT/LOINC concept,
// UCUM unit) inferred from a SCOORD selected from the image and frame it was
// drawn on (TID 320). Built here as DICOM JSON (written to Part 10 by
// core/dicom-writer), and read back from WADO-RS metadata of the SR.

import { Tag, str, type DicomAttribute, type DicomJson } from '../../core/dicom-json';
import type { Point } from './calibration';
import { T, a, children, code, item, nameOf, sq } from './sr-items';
import { lvModifiers, lvTrackingText, readLvModifiers } from '../simpson/lv-report';
import { SITED, SITES, siteOfCode, type Site } from './sites';
import { Concepts, PRIVATE_SCHEME, type Concept, type MeasuredValue, type Measurement, type MeasurementKind } from './geometry';

export const ComprehensiveSRStorage = '1.2.840.10008.5.1.4.1.1.88.33';
export const REPORT_SERIES_DESCRIPTION = 'Systole measurements';

const UNIT_MEANING: Record<string, string> = {
  ml: 'milliliter',
  '%': 'percent',
  cm: 'centimeter',
  mm: 'millimeter',
  cm2: 'square centimeter',
  mm2: 'square millimeter',
  deg: 'degree',
  'cm/s': 'centimeter per second',
  'mm[Hg]': 'millimeter of mercury',
  ms: 'millisecond',
  'cm/s2': 'centimeter per second squared',
};

const conceptCode = (c: Concept) => code(c.value, c.scheme, c.meaning);

// SR SCOORD graphic types (PS3.3 C.18.6.1.2): a closed outline is a
// POLYLINE whose last point repeats the first (POLYGON is not an SR type).
const GRAPHIC: Record<MeasurementKind, string> = {
  distance: 'POLYLINE',
  angle: 'POLYLINE',
  area: 'POLYLINE',
  velocity: 'POINT',
  lv: 'POLYLINE',
  time: 'POLYLINE',
  slope: 'POLYLINE',
};
const CLOSED = new Set<MeasurementKind>(['area', 'lv']);

export interface ImageRef {
  sopClassUID: string;
  sopInstanceUID: string;
  seriesInstanceUID: string;
  // false for a single-frame image: no Referenced Frame Number then (PS3.3
  // C.17.3.2.2 forbids it for SOP classes that are not multi-frame).
  multiFrame?: boolean;
}

function measurementGroup(m: Measurement, image: ImageRef): DicomJson {
  const points = CLOSED.has(m.kind) ? [...m.points, m.points[0]!] : m.points;
  const scoord = item('INFERRED FROM', 'SCOORD', code('111030', 'DCM', 'Image Region'), {
    [T.GraphicType]: a('CS', GRAPHIC[m.kind]),
    [T.GraphicData]: a('FL', ...points.flatMap((p) => [p.x, p.y])),
    [T.ContentSequence]: sq(
      item('SELECTED FROM', 'IMAGE', code('260753009', 'SCT', 'Source'), {
        [T.ReferencedSOPSequence]: sq({
          [T.ReferencedSOPClassUID]: a('UI', image.sopClassUID),
          [T.ReferencedSOPInstanceUID]: a('UI', image.sopInstanceUID),
          ...(image.multiFrame === false ? {} : { [T.ReferencedFrameNumber]: a('IS', m.frame + 1) }),
        }),
      }),
    ),
  });
  const nums = m.values.map((v: MeasuredValue) =>
    item('CONTAINS', 'NUM', conceptCode(v.concept), {
      [T.MeasuredValueSequence]: sq({
        [T.MeasurementUnitsCodeSequence]: sq(code(v.unit, 'UCUM', UNIT_MEANING[v.unit] ?? v.unit)),
        [T.NumericValue]: a('DS', v.value),
      }),
      [T.ContentSequence]: sq(scoord),
    }),
  );
  return item('CONTAINS', 'CONTAINER', code('125007', 'DCM', 'Measurement Group'), {
    [T.ContinuityOfContent]: a('CS', 'SEPARATE'),
    [T.ContentSequence]: sq(
      item('HAS OBS CONTEXT', 'TEXT', code('112039', 'DCM', 'Tracking Identifier'), {
        [T.TextValue]: a('UT', m.kind === 'lv' ? lvTrackingText(m) : m.trackingId),
      }),
      item('HAS OBS CONTEXT', 'UIDREF', code('112040', 'DCM', 'Tracking Unique Identifier'), { [T.UID]: a('UI', m.trackingUid) }),
      ...(m.kind === 'lv' ? lvModifiers(m) : []),
      ...(m.site && m.kind !== 'lv'
        ? [item('HAS CONCEPT MOD', 'CODE', code('363698007', 'SCT', 'Finding Site'), {
            [T.ConceptCodeSequence]: sq(code(SITES[m.site].code, 'SCT', SITES[m.site].meaning)),
          })]
        : []),
      ...nums,
    ),
  });
}

function dicomDateTime(d: Date): [string, string] {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return [`${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}`, `${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`];
}

export interface ReportInput {
  // An image instance of the study (patient and study attributes are copied from it).
  studyAttributes: DicomJson;
  measurements: { image: ImageRef; measurement: Measurement }[];
  sopInstanceUID: string;
  seriesInstanceUID: string;
  now: Date;
  // Further measurement groups without an image of their own (e.g. LV volumes).
  extraGroups?: DicomJson[];
}

const COPIED = [
  Tag.PatientName, Tag.PatientID, Tag.PatientBirthDate, '00100040' /* PatientSex */,
  Tag.StudyInstanceUID, Tag.StudyDate, Tag.StudyTime, Tag.AccessionNumber, Tag.StudyID, '00080090' /* ReferringPhysicianName */,
];
const TYPE2_VR: Record<string, string> = {
  [Tag.PatientName]: 'PN', [Tag.PatientID]: 'LO', [Tag.PatientBirthDate]: 'DA', '00100040': 'CS', [Tag.StudyDate]: 'DA',
  [Tag.StudyTime]: 'TM', [Tag.AccessionNumber]: 'SH', [Tag.StudyID]: 'SH', '00080090': 'PN',
};

export function buildMeasurementReport(input: ReportInput): DicomJson {
  const [date, time] = dicomDateTime(input.now);
  const ds: DicomJson = {};
  for (const tag of COPIED) {
    const v = input.studyAttributes[tag];
    ds[tag] = v?.Value?.length ? { vr: v.vr, Value: v.Value } : { vr: TYPE2_VR[tag] ?? v?.vr ?? 'LO' };
  }
  const series = new Map<string, ImageRef[]>();
  for (const { image } of input.measurements) {
    const list = series.get(image.seriesInstanceUID) ?? [];
    if (!list.some((r) => r.sopInstanceUID === image.sopInstanceUID)) list.push(image);
    series.set(image.seriesInstanceUID, list);
  }
  const language = item('HAS CONCEPT MOD', 'CODE', code('121049', 'DCM', 'Language of Content Item and Descendants'), {
    [T.ConceptCodeSequence]: sq(code('en-US', 'RFC5646', 'English (United States)')),
  });
  const observer = [
    item('HAS OBS CONTEXT', 'CODE', code('121005', 'DCM', 'Observer Type'), { [T.ConceptCodeSequence]: sq(code('121006', 'DCM', 'Person')) }),
    item('HAS OBS CONTEXT', 'PNAME', code('121008', 'DCM', 'Person Observer Name'), { [T.PersonName]: a('PN', { Alphabetic: 'Systole^Reader' }) }),
  ];
  const procedure = item('HAS CONCEPT MOD', 'CODE', code('121058', 'DCM', 'Procedure reported'), {
    [T.ConceptCodeSequence]: sq(code('40701008', 'SCT', 'Echocardiography')),
  });
  // No groups: the reader removed every measurement (the report says so; Content Sequence is 1C).
  const groups = [...input.measurements.map(({ image, measurement }) => measurementGroup(measurement, image)), ...(input.extraGroups ?? [])];
  const measurements = item('CONTAINS', 'CONTAINER', code('126010', 'DCM', 'Imaging Measurements'), {
    [T.ContinuityOfContent]: a('CS', 'SEPARATE'),
    ...(groups.length ? { [T.ContentSequence]: sq(...groups) } : {}),
  });
  Object.assign(ds, {
    [Tag.SpecificCharacterSet]: a('CS', 'ISO_IR 192'),
    [Tag.SOPClassUID]: a('UI', ComprehensiveSRStorage),
    [Tag.SOPInstanceUID]: a('UI', input.sopInstanceUID),
    '00080023': a('DA', date), // ContentDate
    '00080033': a('TM', time), // ContentTime
    [Tag.Modality]: a('CS', 'SR'),
    '00080070': a('LO', 'Systole'), // Manufacturer
    [Tag.SeriesDescription]: a('LO', REPORT_SERIES_DESCRIPTION),
    '00081111': { vr: 'SQ', Value: [] }, // ReferencedPerformedProcedureStepSequence (type 2)
    [Tag.SeriesInstanceUID]: a('UI', input.seriesInstanceUID),
    [Tag.SeriesNumber]: a('IS', 900),
    [Tag.InstanceNumber]: a('IS', 1),
    [T.ValueType]: a('CS', 'CONTAINER'),
    [T.ConceptNameCodeSequence]: sq(code('126000', 'DCM', 'Imaging Measurement Report')),
    [T.ContinuityOfContent]: a('CS', 'SEPARATE'),
    '0040A491': a('CS', 'COMPLETE'), // CompletionFlag
    '0040A493': a('CS', 'UNVERIFIED'), // VerificationFlag
    '0040A372': { vr: 'SQ', Value: [] }, // PerformedProcedureCodeSequence (type 2)
    ...evidence(series, input.studyAttributes[Tag.StudyInstanceUID]!),
    ...privateSchemeIdentification(input.measurements.map((m) => m.measurement)),
    '0040A504': sq({ '00080105': a('CS', 'DCMR'), '0040DB00': a('CS', '1500') }), // ContentTemplateSequence
    [T.ContentSequence]: sq(language, ...observer, procedure, measurements),
  });
  return ds;
}

// CurrentRequestedProcedureEvidenceSequence: the images measured (1C: absent when none is).
function evidence(series: Map<string, ImageRef[]>, studyInstanceUID: DicomAttribute): DicomJson {
  if (series.size === 0) return {};
  return {
    '0040A375': sq({
      [T.ReferencedSeriesSequence]: sq(
        ...[...series.entries()].map(([seriesUid, refs]) => ({
          [Tag.SeriesInstanceUID]: a('UI', seriesUid),
          [T.ReferencedSOPSequence]: sq(
            ...refs.map((r) => ({ [T.ReferencedSOPClassUID]: a('UI', r.sopClassUID), [T.ReferencedSOPInstanceUID]: a('UI', r.sopInstanceUID) })),
          ),
        })),
      ),
      [Tag.StudyInstanceUID]: studyInstanceUID,
    }),
  };
}

// A private coding scheme used in the content is identified in the header
// (Coding Scheme Identification Sequence, PS3.3 C.12.1.1.4).
function privateSchemeIdentification(measurements: Measurement[]): DicomJson {
  if (!measurements.some((m) => m.values.some((v) => v.concept.scheme === PRIVATE_SCHEME))) return {};
  return {
    '00080110': sq({
      '00080102': a('SH', PRIVATE_SCHEME), // CodingSchemeDesignator
      '00080115': a('ST', 'Systole viewer measurements'), // CodingSchemeName
      '00080116': a('ST', 'Systole project'), // CodingSchemeResponsibleOrganization
    }),
  };
}

// ---- reading back ----

const KIND_OF: Record<string, MeasurementKind> = {
  [`${Concepts.length.value}:SCT`]: 'distance',
  [`${Concepts.area.value}:SCT`]: 'area',
  [`${Concepts.angle.value}:SCT`]: 'angle',
  [`${Concepts.velocity.value}:LN`]: 'velocity',
  [`${Concepts.timeInterval.value}:${PRIVATE_SCHEME}`]: 'time',
  [`${Concepts.decelerationSlope.value}:LN`]: 'slope',
};
const ALL_CONCEPTS: Concept[] = Object.values(Concepts);

export function isSystoleMeasurementReport(ds: DicomJson): boolean {
  return str(ds, Tag.SeriesDescription) === REPORT_SERIES_DESCRIPTION && nameOf(ds) === '126000:DCM';
}

// The measurements of a TID 1500 report, with the SOP instance each was drawn on.
export function readMeasurementReport(ds: DicomJson): { sopInstanceUID: string; measurement: Measurement }[] {
  const out: { sopInstanceUID: string; measurement: Measurement }[] = [];
  const containers = children(ds).filter((c) => nameOf(c) === '126010:DCM');
  for (const group of containers.flatMap(children).filter((c) => nameOf(c) === '125007:DCM')) {
    let trackingId = '';
    let trackingUid = '';
    let kind: MeasurementKind | undefined;
    let points: Point[] = [];
    let frame = 0;
    let sop = '';
    const values: MeasuredValue[] = [];
    const lv = readLvModifiers(children(group));
    let site: Site | undefined;
    for (const c of children(group)) {
      const name = nameOf(c);
      if (name === '363698007:SCT')
        site = siteOfCode(str((c[T.ConceptCodeSequence]?.Value?.[0] ?? {}) as DicomJson, T.CodeValue));
      else if (name === '112039:DCM') trackingId = str(c, T.TextValue);
      else if (name === '112040:DCM') trackingUid = str(c, T.UID);
      else if (str(c, T.ValueType) === 'NUM') {
        const mv = (c[T.MeasuredValueSequence]?.Value?.[0] ?? {}) as DicomJson;
        const unit = str((mv[T.MeasurementUnitsCodeSequence]?.Value?.[0] ?? {}) as DicomJson, T.CodeValue);
        const [value, scheme] = name.split(':');
        const concept = ALL_CONCEPTS.find((k) => k.value === value && k.scheme === scheme);
        const n = Number(str(mv, T.NumericValue));
        if (concept && Number.isFinite(n)) values.push({ concept, value: n, unit });
        kind ??= KIND_OF[name];
        const scoord = children(c).find((s) => str(s, T.ValueType) === 'SCOORD');
        if (scoord && points.length === 0) {
          const g = (scoord[T.GraphicData]?.Value ?? []).map(Number);
          for (let i = 0; i + 1 < g.length; i += 2) points.push({ x: g[i]!, y: g[i + 1]! });
          const image = children(scoord).find((s) => str(s, T.ValueType) === 'IMAGE');
          const ref = (image?.[T.ReferencedSOPSequence]?.Value?.[0] ?? {}) as DicomJson;
          sop = str(ref, T.ReferencedSOPInstanceUID);
          frame = Math.max(0, Number(str(ref, T.ReferencedFrameNumber) || '1') - 1);
        }
      }
    }
    if (lv) kind = 'lv';
    if (!kind || !sop || points.length === 0) continue;
    if (CLOSED.has(kind) && points.length > 3) {
      const [f, l] = [points[0]!, points[points.length - 1]!];
      if (f.x === l.x && f.y === l.y) points = points.slice(0, -1);
    }
    const measurement: Measurement = { kind, points, frame, values, trackingId, trackingUid };
    if (site && SITED.has(kind)) measurement.site = site;
    if (lv) Object.assign(measurement, lv, { trackingId: trackingId.split(' ')[0] ?? trackingId });
    out.push({ sopInstanceUID: sop, measurement });
  }
  return out;
}
