// Priors side by side: the loop of a prior study that pairs with a loop of
// the current one. Pure; unit-tested.
//
// Pairing key, in order: the apical/standard view (View Code Sequence code,
// else ViewName), the SeriesDescription, the ProtocolName — each compared
// case- and space-insensitively; the first prior loop with the same key wins.
// Without any match: the prior loop at the same position (acquisition order,
// images first as in the strip), else the prior's first loop.

import { Tag, str, type DicomJson } from '../../core/dicom-json';
import type { Loop } from '../../core/study-model';

const norm = (s: string) => s.trim().toUpperCase().replace(/\s+/g, ' ');

function viewKey(ds: DicomJson): string {
  const code = ((ds['00540220']?.Value ?? []) as DicomJson[])[0];
  const value = code ? str(code, '00080100') : '';
  return value ? `code:${value}` : norm(str(ds, Tag.ViewName));
}

const KEYS: ((ds: DicomJson) => string)[] = [viewKey, (ds) => norm(str(ds, Tag.SeriesDescription)), (ds) => norm(str(ds, '00181030'))];

export function pairPrior(current: Loop, currentLoops: Loop[], prior: Loop[]): Loop | undefined {
  const images = prior.filter((l) => !l.problem);
  for (const key of KEYS) {
    const k = key(current.metadata);
    if (!k) continue;
    const match = images.find((l) => key(l.metadata) === k);
    if (match) return match;
  }
  const position = currentLoops.filter((l) => !l.problem).findIndex((l) => l.sopInstanceUID === current.sopInstanceUID);
  return images[position] ?? images[0];
}

// The most recent other study of the patient (QIDO rows), or undefined.
export function latestPrior(studies: DicomJson[], currentStudyUid: string, currentDate: string): DicomJson | undefined {
  return studies
    .filter((s) => str(s, Tag.StudyInstanceUID) !== currentStudyUid)
    .sort((a, b) => (str(b, Tag.StudyDate) + str(b, Tag.StudyTime)).localeCompare(str(a, Tag.StudyDate) + str(a, Tag.StudyTime)))
    .find((s) => !currentDate || str(s, Tag.StudyDate) <= currentDate);
}
