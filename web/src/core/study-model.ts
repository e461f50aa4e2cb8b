// The loops (instances with images) of a study, from WADO-RS study metadata.

import { Tag, hasPixelData, num, str, type DicomJson } from './dicom-json';
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
      label: [modality, description].filter(Boolean).join(' · ') || 'instance',
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
