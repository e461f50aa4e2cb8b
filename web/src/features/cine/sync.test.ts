import { describe, expect, it } from 'vitest';
import { timelineFromFrameTime } from '../../core/frame-timing';
import { CinePlayback } from './playback';
import { SyncClock, cycleMap, frameAtPosition, mediaAtPosition, meanCycleMs, phaseOfTime, positionOfFrame } from './sync';

describe('cycle maps', () => {
  const t = timelineFromFrameTime(34, 30, 'FrameTime'); // 1020 ms
  it('without R waves the whole loop is one cycle (normalised phase)', () => {
    const m = cycleMap(t, []);
    expect(m.source).toBe('loop');
    expect(m.boundsMs).toEqual([0, 1020]);
    expect(phaseOfTime(m, 510)).toBeCloseTo(0.5);
    expect(mediaAtPosition(m, t, 2.25)).toBeCloseTo(2 * 1020 + 255);
  });
  it('R Wave Pointer frames (1-based) bound the cycles; a single R wave is not enough', () => {
    expect(cycleMap(t, [5]).source).toBe('loop');
    const m = cycleMap(t, [31, 1, 16, 99]); // out of range dropped, sorted
    expect(m.source).toBe('R-wave');
    expect(m.boundsMs).toEqual([0, 450, 900]);
    expect(m.firstFrame).toBe(0);
    expect(m.lastFrame).toBe(29);
    expect(meanCycleMs(m)).toBe(450);
    expect(phaseOfTime(m, 450 + 225)).toBeCloseTo(0.5);
    expect(phaseOfTime(m, 950)).toBe(0); // after the last R wave
    // Position 1.5: second cycle, half-way; position 2: the first cycle of the next pass.
    expect(mediaAtPosition(m, t, 1.5)).toBeCloseTo(675);
    expect(mediaAtPosition(m, t, 2)).toBeCloseTo(1020);
    expect(positionOfFrame(m, t, 15)).toBeCloseTo(1);
  });
  it('loops of different lengths and rates start their cycles together', () => {
    const a = timelineFromFrameTime(34, 30, 'FrameTime');
    const b = timelineFromFrameTime(24, 45, 'FrameTime');
    const ma = cycleMap(a, []);
    const mb = cycleMap(b, []);
    for (const c of [0, 1, 2, 7]) {
      expect(frameAtPosition(ma, a, c)).toBe(0);
      expect(frameAtPosition(mb, b, c)).toBe(0);
    }
    for (let c = 0; c < 3; c += 0.01) {
      const pa = phaseOfTime(ma, a.startsMs[frameAtPosition(ma, a, c)]!);
      const pb = phaseOfTime(mb, b.startsMs[frameAtPosition(mb, b, c)]!);
      const d = Math.abs(pa - pb);
      expect(Math.min(d, 1 - d)).toBeLessThanOrEqual(1 / 24 + 1e-9);
    }
  });
});

describe('SyncClock', () => {
  it('advances in cycles at speed / cycleMs; a hiccup advances one step at most', () => {
    const c = new SyncClock();
    c.cycleMs = 1000;
    c.maxStepMs = 30;
    c.commit(0, c.candidate(0));
    c.commit(16, c.candidate(16));
    expect(c.position).toBeCloseTo(0.016);
    c.commit(116, c.candidate(116)); // 100 ms late: 30 ms only
    expect(c.position).toBeCloseTo(0.046);
    c.commit(516, c.candidate(516)); // long stall: resynchronise
    expect(c.position).toBeCloseTo(0.446);
    c.pause();
    expect(c.candidate(1000)).toBeCloseTo(0.446);
  });
});

describe('CinePlayback following a master clock', () => {
  it('shows the frame due at the master time, with no drops at 60 Hz', () => {
    const t = timelineFromFrameTime(24, 45, 'FrameTime');
    const p = new CinePlayback(t, () => true);
    p.play();
    const m = cycleMap(t, []);
    const shown: number[] = [];
    for (let i = 0; i <= 130; i++) {
      const now = i * (1000 / 60);
      p.follow = mediaAtPosition(m, t, now / 1080);
      const f = p.tick(now);
      if (f >= 0) shown.push(f);
    }
    expect(p.counters.framesDropped).toBe(0);
    expect(shown.slice(0, 26)).toEqual([...Array.from({ length: 24 }, (_, i) => i), 0, 1]);
  });
  it('frames outside the R-wave cycles are skipped, not dropped', () => {
    const t = timelineFromFrameTime(34, 30, 'FrameTime');
    const m = cycleMap(t, [3, 18, 33]);
    const p = new CinePlayback(t, () => true);
    p.window = { first: m.firstFrame, last: m.lastFrame };
    p.play();
    for (let i = 0; i <= 200; i++) {
      const now = i * (1000 / 60);
      p.follow = mediaAtPosition(m, t, now / meanCycleMs(m));
      p.tick(now);
    }
    expect(p.counters.framesDropped).toBe(0);
    expect(p.isReadyAt(mediaAtPosition(m, t, 0.5))).toBe(true);
  });
});
