// The loops (instances with images) of a study, from WADO-RS study metadata.

import { Tag, hasPixelData, num, str, values, type DicomJson } from './dicom-json';
import { frameTimeline, type FrameTimeline } from './frame-timing';

export interface Loop {
  studyInstanceUID: string;
  seriesInstanceUID: string;
  sopInstanceUID: string;
  seriesNumber: number;
  instanceNumber: number;
  modality: string;
  label: string;
  rows: number;
  columns: number;
  frameCount: number;
  timeline: FrameTimeline;
  // Why it cannot be shown as an image (no pixel data), or null.
  problem: string | null;
  sopClassUID: string;
  // The instance's WADO-RS metadata (calibration, stage/view, timing).
  metadata: DicomJson;
}

// Structured reports (measurement reports among them) are not loops.
export function isStructuredReport(ds: DicomJson): boolean {
  return str(ds, Tag.Modality) === 'SR' || str(ds, Tag.SOPClassUID).startsWith('1.2.840.10008.5.1.4.1.1.88.');
}

// What the viewer says when a study has nothing to show in a cell: its structured reports by
// title (Concept Name Code Sequence (0040,A043)), or that it is empty.
export function noImagesMessage(metadata: DicomJson[]): string {
  const reports = metadata.filter(isStructuredReport);
  if (reports.length === 0) return 'This study has no instances.';
  const titles = [
    ...new Set(reports.map((ds) => str((values(ds, '0040A043')[0] ?? {}) as DicomJson, '00080104')).filter(Boolean)),
  ];
  const named = titles.length ? `: ${titles.join('; ')}` : '';
  return `This study holds no images, only ${reports.length} structured report${reports.length > 1 ? 's' : ''}${named}.`;
}

// A stress echo loop's stage and view, for labels ("PEAK · A4C"): StageName (0008,2120), else
// "Stage" and StageNumber (0008,2122); ViewName (0008,2127). Empty when the object has neither.
export function stageViewLabel(ds: DicomJson): string {
  const stageNumber = num(ds, Tag.StageNumber);
  const stage = str(ds, Tag.StageName).trim() || (stageNumber !== undefined ? `Stage ${stageNumber}` : '');
  return [stage, str(ds, Tag.ViewName).trim()].filter(Boolean).join(' · ');
}

export function loopsOfStudy(metadata: DicomJson[]): Loop[] {
  const loops = metadata.filter((ds) => !isStructuredReport(ds)).map((ds): Loop => {
    const timeline = frameTimeline(ds);
    const pixels = hasPixelData(ds);
    const modality = str(ds, Tag.Modality);
    const description = str(ds, Tag.SeriesDescription);
    return {
      studyInstanceUID: str(ds, Tag.StudyInstanceUID),
      seriesInstanceUID: str(ds, Tag.SeriesInstanceUID),
      sopInstanceUID: str(ds, Tag.SOPInstanceUID),
      seriesNumber: num(ds, Tag.SeriesNumber) ?? 0,
      instanceNumber: num(ds, Tag.InstanceNumber) ?? 0,
      modality,
      // stage and view first: what tells the loops of a stress quad apart
      label: [stageViewLabel(ds), modality, description].filter(Boolean).join(' · ') || 'instance',
      rows: num(ds, Tag.Rows) ?? 0,
      columns: num(ds, Tag.Columns) ?? 0,
      frameCount: timeline.frameCount,
      timeline,
      problem: pixels ? null : `No image in this instance (no pixel data; ${modality || 'unknown modality'})`,
      sopClassUID: str(ds, Tag.SOPClassUID),
      metadata: ds,
    };
  });
  // Images first (multi-frame loops before stills), then acquisition order.
  return loops.sort(
    (a, b) =>
      Number(a.problem !== null) - Number(b.problem !== null) ||
      a.seriesNumber - b.seriesNumber ||
      a.instanceNumber - b.instanceNumber,
  );
}
