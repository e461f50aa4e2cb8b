// The measurement report of one study, from the measurements of the session:
// only those drawn on that study's own loops, with its own patient and study
// attributes (StudyInstanceUID among them). Saving with a prior open side by
// side builds one per study, so a measurement on a prior loop is stored in
// the prior study, never in the current one. Pure.

import type { DicomJson } from '../../core/dicom-json';
import type { Loop } from '../../core/study-model';
import type { Measurement } from './geometry';
import { buildMeasurementReport } from './measurement-report';

export interface StudyReport {
  studyInstanceUID: string;
  count: number; // measurements in it
  report: DicomJson;
}

// null when none of `measured` lies on one of `studyLoops`, unless `cleared`: the reader
// removed the study's measurements since the last save, and a report without any (the
// latest, so the study reopens without them) replaces the one saved before.
export function studyMeasurementReport(
  studyLoops: Loop[],
  measured: [string, Measurement[]][], // per SOP Instance UID
  newUid: () => string,
  now: Date,
  extraGroups: DicomJson[] = [],
  cleared = false,
): StudyReport | null {
  const byUid = new Map(studyLoops.map((l) => [l.sopInstanceUID, l]));
  const items = measured.flatMap(([sop, list]) => {
    const loop = byUid.get(sop);
    return loop
      ? list.map((measurement) => ({
          image: {
            sopClassUID: loop.sopClassUID,
            sopInstanceUID: sop,
            seriesInstanceUID: loop.seriesInstanceUID,
            multiFrame: loop.frameCount > 1,
          },
          measurement,
        }))
      : [];
  });
  const first = studyLoops.find((l) => !l.problem) ?? studyLoops[0];
  if ((items.length === 0 && extraGroups.length === 0 && !cleared) || !first) return null;
  const report = buildMeasurementReport({
    studyAttributes: first.metadata,
    measurements: items,
    sopInstanceUID: newUid(),
    seriesInstanceUID: newUid(),
    now,
    extraGroups,
  });
  return { studyInstanceUID: first.studyInstanceUID, count: items.length, report };
}
