// Building blocks of SR content items as DICOM JSON (shared by the
// measurement report and the Simpson groups).

import { str, type DicomAttribute, type DicomJson } from '../../core/dicom-json';

export const T = {
  ReferencedSOPClassUID: '00081150',
  ReferencedSOPInstanceUID: '00081155',
  ReferencedFrameNumber: '00081160',
  ReferencedSOPSequence: '00081199',
  ReferencedSeriesSequence: '00081115',
  CodeValue: '00080100',
  CodingSchemeDesignator: '00080102',
  CodeMeaning: '00080104',
  RelationshipType: '0040A010',
  ValueType: '0040A040',
  ConceptNameCodeSequence: '0040A043',
  ContinuityOfContent: '0040A050',
  PersonName: '0040A123',
  UID: '0040A124',
  TextValue: '0040A160',
  ConceptCodeSequence: '0040A168',
  MeasuredValueSequence: '0040A300',
  NumericValue: '0040A30A',
  MeasurementUnitsCodeSequence: '004008EA',
  ContentSequence: '0040A730',
  GraphicData: '00700022',
  GraphicType: '00700023',
} as const;

export const a = (vr: string, ...values: unknown[]): DicomAttribute => ({ vr, Value: values });
export const sq = (...items: DicomJson[]): DicomAttribute => ({ vr: 'SQ', Value: items });
export const code = (value: string, scheme: string, meaning: string): DicomJson => ({
  [T.CodeValue]: a('SH', value),
  [T.CodingSchemeDesignator]: a('SH', scheme),
  [T.CodeMeaning]: a('LO', meaning),
});

export function item(relationship: string | null, valueType: string, name: DicomJson, rest: DicomJson = {}): DicomJson {
  const ds: DicomJson = { [T.ValueType]: a('CS', valueType), [T.ConceptNameCodeSequence]: sq(name), ...rest };
  if (relationship) ds[T.RelationshipType] = a('CS', relationship);
  return ds;
}

export const children = (ds: DicomJson): DicomJson[] => (ds[T.ContentSequence]?.Value ?? []) as DicomJson[];
export const nameOf = (ds: DicomJson): string => {
  const c = (ds[T.ConceptNameCodeSequence]?.Value?.[0] ?? {}) as DicomJson;
  return `${str(c, T.CodeValue)}:${str(c, T.CodingSchemeDesignator)}`;
};
