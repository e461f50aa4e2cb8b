// The ECG of a study for the cine cells: the first waveform object in the
// study metadata, its lead II (or first channel) decoded, with WaveformData
// inline or fetched from its BulkDataURI (WADO-RS bulk data).

import { hasPixelData, type DicomJson } from '../../core/dicom-json';
import { decodeCurve, ecgCurve, inlineCurveBytes } from './curve-ecg';
import type { LoopEcg } from './embedded-ecg';
import { decodeChannel, inlineBytes, isWaveform, preferredChannel, waveformGroup, type Trace } from './waveform';

export interface StudyEcg {
  waveform: DicomJson; // the waveform instance's metadata
  trace: Trace;
}

export async function studyEcg(metadata: DicomJson[]): Promise<StudyEcg | string | null> {
  // A waveform object; a cine carrying its own ECG serves only its own cell (embedded-ecg).
  const waveform = metadata.find((ds) => isWaveform(ds) && !hasPixelData(ds));
  if (!waveform) return null;
  const group = waveformGroup(waveform);
  if (!group) return 'the waveform object has no waveform sequence';
  const bytes = inlineBytes(group) ?? (await bulkBytes(group['54001010']?.BulkDataURI));
  if (!bytes) return 'the waveform data could not be read';
  const trace = decodeChannel(group, bytes, preferredChannel(group));
  return typeof trace === 'string' ? trace : { waveform, trace };
}

// The ECG curve (50xx) of a loop, fetched when it is bulk data; null when it has none.
export async function curveEcgOf(ds: DicomJson, loopDurationMs: number): Promise<LoopEcg | string | null> {
  const curve = ecgCurve(ds);
  if (!curve) return null;
  const bytes = inlineCurveBytes(curve) ?? (await bulkBytes(curve.data?.BulkDataURI));
  return bytes ? decodeCurve(curve, bytes, loopDurationMs) : 'the ECG curve data could not be read';
}

async function bulkBytes(uri: string | undefined): Promise<Uint8Array | undefined> {
  if (!uri) return undefined;
  const response = await fetch(uri, { headers: { Accept: 'multipart/related; type="application/octet-stream"' } });
  if (!response.ok) return undefined;
  const body = new Uint8Array(await response.arrayBuffer());
  const boundary = /boundary="?([^";]+)"?/.exec(response.headers.get('Content-Type') ?? '')?.[1];
  if (!boundary) return body;
  // The first part: after its header block, up to the next boundary.
  const text = new TextDecoder('latin1').decode(body);
  const start = text.indexOf('\r\n\r\n', text.indexOf(`--${boundary}`)) + 4;
  const end = text.indexOf(`\r\n--${boundary}`, start);
  return start >= 4 && end > start ? body.slice(start, end) : undefined;
}
