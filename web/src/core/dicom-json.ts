// Reading DICOM JSON (PS3.18 F.2): a dataset is { "ggggeeee": { vr, Value?, BulkDataURI? } }.
// Pure functions; tags are written as 8 upper-case hex digits.

export interface DicomAttribute {
  vr: string;
  Value?: unknown[];
  BulkDataURI?: string;
  InlineBinary?: string;
}
export type DicomJson = Record<string, DicomAttribute | undefined>;

export const Tag = {
  SpecificCharacterSet: '00080005',
  SOPClassUID: '00080016',
  SOPInstanceUID: '00080018',
  StudyDate: '00080020',
  StudyTime: '00080030',
  AccessionNumber: '00080050',
  Modality: '00080060',
  ModalitiesInStudy: '00080061',
  StudyDescription: '00081030',
  SeriesDescription: '0008103E',
  StageName: '00082120',
  StageNumber: '00082122',
  ViewName: '00082127',
  RecommendedDisplayFrameRate: '00082144',
  PatientName: '00100010',
  PatientID: '00100020',
  IssuerOfPatientID: '00100021',
  PatientBirthDate: '00100030',
  CineRate: '00180040',
  FrameTime: '00181063',
  FrameTimeVector: '00181065',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  StudyID: '00200010',
  SeriesNumber: '00200011',
  InstanceNumber: '00200013',
  NumberOfStudyRelatedSeries: '00201206',
  NumberOfStudyRelatedInstances: '00201208',
  NumberOfSeriesRelatedInstances: '00201209',
  NumberOfFrames: '00280008',
  Rows: '00280010',
  Columns: '00280011',
  RWavePointer: '00286040',
  PixelData: '7FE00010',
  FloatPixelData: '7FE00008',
  DoubleFloatPixelData: '7FE00009',
} as const;

export function values(ds: DicomJson, tag: string): unknown[] {
  return ds[tag]?.Value ?? [];
}

export function str(ds: DicomJson, tag: string): string {
  const v = values(ds, tag)[0];
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return personName(v);
  return String(v);
}

export function strs(ds: DicomJson, tag: string): string[] {
  return values(ds, tag).map((v) => (typeof v === 'object' && v !== null ? personName(v) : String(v)));
}

// A number, or undefined when absent or not numeric (IS/DS arrive as numbers or strings).
export function num(ds: DicomJson, tag: string): number | undefined {
  return toNumber(values(ds, tag)[0]);
}

export function nums(ds: DicomJson, tag: string): number[] {
  const out: number[] = [];
  for (const v of values(ds, tag)) {
    const n = toNumber(v);
    if (n !== undefined) out.push(n);
  }
  return out;
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function personName(v: object): string {
  const alphabetic = (v as { Alphabetic?: string }).Alphabetic;
  return alphabetic ?? '';
}

// "DOE^JOHN^^^" → "DOE, JOHN"
export function formatPersonName(pn: string): string {
  const [family = '', given = '', middle = ''] = pn.split('^');
  const rest = [given, middle].filter(Boolean).join(' ');
  return [family, rest].filter(Boolean).join(', ');
}

// "20240131" → "2024-01-31"
export function formatDate(da: string): string {
  return /^\d{8}$/.test(da) ? `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}` : da;
}

export function hasPixelData(ds: DicomJson): boolean {
  return (
    ds[Tag.PixelData] !== undefined || ds[Tag.FloatPixelData] !== undefined || ds[Tag.DoubleFloatPixelData] !== undefined
  );
}
