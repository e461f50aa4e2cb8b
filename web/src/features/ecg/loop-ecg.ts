// Which ECG goes under a loop: its own (a Waveform Sequence in the loop's
// object, else curve data 50xx), else the study's waveform object aligned by
// acquisition time. Problems are logged, never shown as an ECG.

import type { DicomJson } from '../../core/dicom-json';
import { curveEcgOf, type StudyEcg } from './ecg-source';
import { embeddedEcg, type LoopEcg } from './embedded-ecg';
import { alignment } from './waveform';

export async function loopEcg(metadata: DicomJson, loopDurationMs: number, study: StudyEcg | null): Promise<LoopEcg | null> {
  const own = embeddedEcg(metadata) ?? (await curveEcgOf(metadata, loopDurationMs));
  if (typeof own === 'string') console.warn(`The loop's own ECG is not shown: ${own}`);
  else if (own) return own;
  return study && { trace: study.trace, align: alignment(metadata, study.waveform, study.trace) };
}
