import { describe, expect, it } from 'vitest';
import type { DicomJson } from '../../core/dicom-json';
import { alignment, decodeChannel, inlineBytes, isWaveform, preferredChannel, startTimeMs, waveformGroup } from './waveform';

const lead = (code: string, meaning: string, sensitivity: number, unit = 'uV'): DicomJson => ({
  '003A0208': { vr: 'SQ', Value: [{ '00080100': { vr: 'SH', Value: [code] }, '00080104': { vr: 'LO', Value: [meaning] } }] },
  '003A0210': { vr: 'DS', Value: [sensitivity] },
  '003A0211': { vr: 'SQ', Value: [{ '00080100': { vr: 'SH', Value: [unit] } }] },
  '003A0213': { vr: 'DS', Value: [0] },
});
// Two channels (lead I, lead II), 4 samples at 500 Hz, interleaved int16 LE.
function ecg(acquired?: string): DicomJson {
  const samples = new Int16Array([10, -100, 20, 200, 30, -300, 40, 400]);
  const b64 = btoa(String.fromCharCode(...new Uint8Array(samples.buffer)));
  const ds: DicomJson = {
    '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.9.1.1'] },
    '54000100': {
      vr: 'SQ',
      Value: [
        {
          '003A0005': { vr: 'US', Value: [2] },
          '003A0010': { vr: 'UL', Value: [4] },
          '003A001A': { vr: 'DS', Value: [500] },
          '54001004': { vr: 'US', Value: [16] },
          '54001006': { vr: 'CS', Value: ['SS'] },
          '003A0200': { vr: 'SQ', Value: [lead('5.6.3-9-1', 'Lead I (Einthoven)', 1.25), lead('5.6.3-9-2', 'Lead II', 0.005, 'mV')] },
          '54001010': { vr: 'OW', InlineBinary: b64 },
        },
      ],
    },
  };
  if (acquired) ds['0008002A'] = { vr: 'DT', Value: [acquired] };
  return ds;
}

describe('ECG waveform', () => {
  it('picks lead II and scales its samples to microvolts', () => {
    const ds = ecg();
    expect(isWaveform(ds)).toBe(true);
    const group = waveformGroup(ds)!;
    expect(preferredChannel(group)).toBe(1);
    const t = decodeChannel(group, inlineBytes(group)!, 1);
    if (typeof t === 'string') throw new Error(t);
    expect(t.label).toBe('Lead II');
    expect(t.samplingHz).toBe(500);
    expect([...t.microvolts]).toEqual([-500, 1000, -1500, 2000]); // 0.005 mV = 5 µV per unit
  });

  it('refuses data shorter than declared', () => {
    const group = waveformGroup(ecg())!;
    expect(decodeChannel(group, new Uint8Array(6), 0)).toMatch(/too short/);
  });

  it('aligns a loop by acquisition time, else loop start = waveform start', () => {
    const wave = ecg('20130125105919');
    const group = waveformGroup(wave)!;
    const t = decodeChannel(group, inlineBytes(group)!, 1);
    if (typeof t === 'string') throw new Error(t);
    // 4 samples at 500 Hz: an 8 ms recording.
    expect(alignment({ '0008002A': { vr: 'DT', Value: ['20130125105919.005'] } }, wave, t)).toEqual({ loopStartMs: 5, byTime: true });
    expect(alignment({ '0008002A': { vr: 'DT', Value: ['20130125105921'] } }, wave, t)).toEqual({ loopStartMs: 0, byTime: false });
    expect(alignment({}, wave, t)).toEqual({ loopStartMs: 0, byTime: false });
    expect(startTimeMs({ '00080023': { vr: 'DA', Value: ['20130125'] }, '00080033': { vr: 'TM', Value: ['105919.5'] } })).toBe(
      Date.UTC(2013, 0, 25, 10, 59, 19, 500),
    );
  });
});
