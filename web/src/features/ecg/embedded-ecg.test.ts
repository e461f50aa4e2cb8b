import { describe, expect, it } from 'vitest';
import type { DicomJson } from '../../core/dicom-json';
import { timelineFromFrameTime } from '../../core/frame-timing';
import { embeddedEcg, heartRateBpm, rPeaksMs, rWaves } from './embedded-ecg';

// A loop of 50 frames at 20 ms (1 s) carrying one ECG channel at 500 Hz, R
// spikes of 1.5 mV at 100 ms and 900 ms, in units of 5 µV.
const HZ = 500;
function cine(extra: DicomJson = {}, offsetMs = 0): DicomJson {
  const samples = new Int16Array(HZ);
  for (const r of [100, 900]) for (let k = -3; k <= 3; k++) samples[(r * HZ) / 1000 + k] = 300 - 80 * Math.abs(k);
  const b64 = btoa(String.fromCharCode(...new Uint8Array(samples.buffer)));
  return {
    '7FE00010': { vr: 'OB', BulkDataURI: 'http://x/bulk/7FE00010' },
    '54000100': {
      vr: 'SQ',
      Value: [
        {
          '00181068': { vr: 'DS', Value: [offsetMs] },
          '003A0005': { vr: 'US', Value: [1] },
          '003A0010': { vr: 'UL', Value: [HZ] },
          '003A001A': { vr: 'DS', Value: [HZ] },
          '54001004': { vr: 'US', Value: [16] },
          '54001006': { vr: 'CS', Value: ['SS'] },
          '003A0200': { vr: 'SQ', Value: [{ '003A0210': { vr: 'DS', Value: [5] } }] },
          '54001010': { vr: 'OW', InlineBinary: b64 },
        },
      ],
    },
    ...extra,
  };
}
const timeline = timelineFromFrameTime(50, 20, 'FrameTime');

describe('ECG carried in the cine object', () => {
  it('decodes the waveform of the loop itself, on the same clock', () => {
    const e = embeddedEcg(cine());
    if (!e || typeof e === 'string') throw new Error(String(e));
    expect(e.trace.samplingHz).toBe(HZ);
    expect(e.trace.microvolts[50]).toBe(1500);
    expect(e.align).toEqual({ loopStartMs: 0, byTime: true, embedded: true });
    // A waveform starting before the loop: the loop starts that far into it.
    const early = embeddedEcg(cine({}, -40));
    expect(early && typeof early !== 'string' && early.align.loopStartMs).toBe(40);
  });
  it('is not a loop ECG without pixel data (a waveform object) or without a waveform', () => {
    const { ['7FE00010']: _, ...waveformOnly } = cine();
    expect(embeddedEcg(waveformOnly)).toBeNull();
    expect(embeddedEcg({ '7FE00010': { vr: 'OB' } })).toBeNull();
  });
  it('finds the R peaks and the heart rate', () => {
    const e = embeddedEcg(cine());
    if (!e || typeof e === 'string') throw new Error('no ECG');
    expect(rPeaksMs(e.trace)).toEqual([100, 900]);
    expect(heartRateBpm([100, 900])).toBe(75);
    expect(heartRateBpm([100])).toBeUndefined();
  });
  it('R-wave frames: R Wave Pointer, else R Wave Time Vector, else the embedded ECG', () => {
    expect(rWaves(cine({ '00286040': { vr: 'US', Value: [3, 43] } }), timeline).frames).toEqual([3, 43]);
    expect(rWaves(cine({ '00186060': { vr: 'FL', Value: [200, 1000] } }), timeline).frames).toEqual([6, 46]); // 1000 ms is past the loop: one R wave left, the ECG's instead
    expect(rWaves(cine({ '00186060': { vr: 'FL', Value: [200, 600] } }), timeline).frames).toEqual([11, 31]);
    expect(rWaves(cine(), timeline).frames).toEqual([6, 46]);
    expect(rWaves({}, timeline).frames).toEqual([]);
    // Times for the heart rate: exact from the vector or the ECG, frame starts from a pointer.
    expect(rWaves(cine(), timeline).timesMs).toEqual([100, 900]);
    expect(rWaves(cine({ '00186060': { vr: 'FL', Value: [610, 210] } }), timeline).timesMs).toEqual([210, 610]);
    expect(rWaves(cine({ '00286040': { vr: 'US', Value: [3, 43] } }), timeline).timesMs).toEqual([40, 840]);
  });
});
