// ECG waveforms from DICOM JSON (12-lead / General ECG, Hemodynamic, or a
// cine's synchronized waveform): one channel (lead II, else the first) of the
// first multiplex group, scaled to microvolts, and where a cine loop's time
// falls on it. Pure; unit-tested.
//
// Samples: WaveformData (5400,1010), interleaved channel by channel, as
// InlineBinary in the metadata or fetched from its BulkDataURI; signed or
// unsigned 8/16-bit (WaveformSampleInterpretation SB/UB/SS/US). Value in µV =
// (sample + ChannelBaseline) × ChannelSensitivity × correction factor (units
// from ChannelSensitivityUnitsSequence; mV are converted).
//
// Alignment with a loop: both start times from AcquisitionDateTime, else
// ContentDate + ContentTime; the loop's frame time t falls at
// (loop start − waveform start) + t on the waveform (plus the group's
// MultiplexGroupTimeOffset). Without both times, the loop start is taken as
// the waveform start — the overlay says which.

import { num, str, type DicomJson } from '../../core/dicom-json';

const T = {
  WaveformSequence: '54000100',
  WaveformData: '54001010',
  WaveformBitsAllocated: '54001004',
  WaveformSampleInterpretation: '54001006',
  NumberOfWaveformChannels: '003A0005',
  NumberOfWaveformSamples: '003A0010',
  SamplingFrequency: '003A001A',
  MultiplexGroupTimeOffset: '00181068',
  ChannelDefinitionSequence: '003A0200',
  ChannelSourceSequence: '003A0208',
  ChannelSensitivity: '003A0210',
  ChannelSensitivityUnitsSequence: '003A0211',
  ChannelSensitivityCorrectionFactor: '003A0212',
  ChannelBaseline: '003A0213',
  CodeValue: '00080100',
  CodeMeaning: '00080104',
  AcquisitionDateTime: '0008002A',
  ContentDate: '00080023',
  ContentTime: '00080033',
  SOPClassUID: '00080016',
} as const;

export function isWaveform(ds: DicomJson): boolean {
  return str(ds, T.SOPClassUID).startsWith('1.2.840.10008.5.1.4.1.1.9.') || (ds[T.WaveformSequence]?.Value?.length ?? 0) > 0;
}

const items = (ds: DicomJson | undefined, tag: string): DicomJson[] => ((ds?.[tag]?.Value ?? []) as DicomJson[]).filter(Boolean);

export interface Trace {
  label: string; // e.g. "Lead II"
  samplingHz: number;
  offsetMs: number; // MultiplexGroupTimeOffset
  microvolts: Float32Array;
}

export type WaveformBytes = (group: DicomJson) => Promise<Uint8Array | undefined>;

// The bytes of a group's WaveformData when they are inline (InlineBinary).
export function inlineBytes(group: DicomJson): Uint8Array | undefined {
  const b64 = group[T.WaveformData]?.InlineBinary;
  return b64 ? base64Bytes(b64) : undefined;
}

export function base64Bytes(b64: string): Uint8Array {
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

export function waveformGroup(ds: DicomJson): DicomJson | undefined {
  return items(ds, T.WaveformSequence)[0];
}

// Lead II when a channel is labelled so (SCPECG 5.6.3-9-2 or "Lead II"), else the first.
export function preferredChannel(group: DicomJson): number {
  const defs = items(group, T.ChannelDefinitionSequence);
  const i = defs.findIndex((d) => {
    const source = items(d, T.ChannelSourceSequence)[0];
    return str(source ?? {}, T.CodeValue) === '5.6.3-9-2' || /^lead ii\b/i.test(str(source ?? {}, T.CodeMeaning).trim());
  });
  return Math.max(0, i);
}

export function decodeChannel(group: DicomJson, bytes: Uint8Array, channel: number): Trace | string {
  const channels = num(group, T.NumberOfWaveformChannels) ?? 0;
  const samples = num(group, T.NumberOfWaveformSamples) ?? 0;
  const hz = num(group, T.SamplingFrequency) ?? 0;
  const bits = num(group, T.WaveformBitsAllocated) ?? 16;
  const interpretation = str(group, T.WaveformSampleInterpretation) || 'SS';
  if (!(channels > 0 && samples > 0 && hz > 0)) return 'the waveform has no channels, samples or sampling frequency';
  if (channel >= channels) return `channel ${channel + 1} does not exist`;
  const width = bits / 8;
  if ((width !== 1 && width !== 2) || !['SS', 'US', 'SB', 'UB'].includes(interpretation))
    return `unsupported waveform samples (${bits} bits, ${interpretation})`;
  if (bytes.length < channels * samples * width) return `WaveformData is too short (${bytes.length} bytes for ${channels} × ${samples})`;
  const def = items(group, T.ChannelDefinitionSequence)[channel] ?? {};
  const source = items(def, T.ChannelSourceSequence)[0] ?? {};
  const unit = str(items(def, T.ChannelSensitivityUnitsSequence)[0] ?? {}, T.CodeValue);
  const toMicro = unit === 'mV' ? 1000 : unit === 'V' ? 1e6 : 1;
  const scale = (num(def, T.ChannelSensitivity) ?? 1) * (num(def, T.ChannelSensitivityCorrectionFactor) ?? 1) * toMicro;
  const baseline = num(def, T.ChannelBaseline) ?? 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(samples);
  for (let s = 0; s < samples; s++) {
    const at = (s * channels + channel) * width;
    const raw =
      interpretation === 'SS' ? view.getInt16(at, true) : interpretation === 'US' ? view.getUint16(at, true) : interpretation === 'SB' ? view.getInt8(at) : view.getUint8(at);
    out[s] = (raw + baseline) * scale;
  }
  return {
    label: str(source, T.CodeMeaning) || `channel ${channel + 1}`,
    samplingHz: hz,
    offsetMs: num(group, T.MultiplexGroupTimeOffset) ?? 0,
    microvolts: out,
  };
}

// Milliseconds since the epoch of a DICOM DT / DA+TM (no time zone: both
// sides are read the same way, only their difference matters).
export function startTimeMs(ds: DicomJson): number | undefined {
  const dt = str(ds, T.AcquisitionDateTime) || (str(ds, T.ContentDate) && str(ds, T.ContentTime) ? str(ds, T.ContentDate) + str(ds, T.ContentTime) : '');
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,6}))?/.exec(dt.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0'] = m;
  return Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +s) + Number(`0.${frac}`) * 1000;
}

export interface Alignment {
  // Waveform time (ms from its first sample) of the loop's time 0.
  loopStartMs: number;
  byTime: boolean; // false: loop start = waveform start, by assumption
  embedded?: boolean; // the loop's own waveform (same object, same clock)
}

export function alignment(loop: DicomJson, waveform: DicomJson, trace: Trace): Alignment {
  const a = startTimeMs(loop);
  const b = startTimeMs(waveform);
  const durationMs = (trace.microvolts.length / trace.samplingHz) * 1000;
  if (a !== undefined && b !== undefined) {
    const at = a - b - trace.offsetMs;
    // A start outside the recording is not an alignment: fall back.
    if (at >= 0 && at < durationMs) return { loopStartMs: at, byTime: true };
  }
  return { loopStartMs: 0, byTime: false };
}
