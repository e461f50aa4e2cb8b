import { describe, expect, it } from 'vitest';
import { CinePlayback } from './playback';
import { timelineFromFrameTime } from '../../core/frame-timing';

const VSYNC = 1000 / 60;

// Runs `seconds` of 60 Hz refreshes; returns the frames painted.
function run(p: CinePlayback, seconds: number, start = 0): number[] {
  const painted: number[] = [];
  for (let i = 0; i <= Math.round(seconds * 60); i++) {
    const f = p.tick(start + i * VSYNC);
    if (f >= 0) painted.push(f);
  }
  return painted;
}

describe('CinePlayback', () => {
  it('plays a 30 fps loop on a 60 Hz display: every frame once, none dropped or repeated', () => {
    const p = new CinePlayback(timelineFromFrameTime(30, 1000 / 30, 'FrameTime'), () => true);
    p.play();
    const painted = run(p, 2);
    expect(painted.slice(0, 31)).toEqual([...Array.from({ length: 30 }, (_, i) => i), 0]);
    expect(p.counters.framesPresented).toBe(61); // frames due at 0..2000 ms inclusive
    expect(p.counters.framesDropped).toBe(0);
    expect(p.counters.framesRepeated).toBe(0);
  });

  it('plays 33.3 fps (FrameTime 30 ms) at the acquired rate', () => {
    const p = new CinePlayback(timelineFromFrameTime(34, 30, 'FrameTime'), () => true);
    p.play();
    run(p, 3);
    expect(p.counters.framesPresented / 3).toBeCloseTo(33.3, 0);
    expect(p.counters.framesDropped).toBe(0);
  });

  it('drops frames a 60 Hz display cannot show (120 fps loop) and stays real time', () => {
    const p = new CinePlayback(timelineFromFrameTime(120, 1000 / 120, 'FrameTime'), () => true);
    p.play();
    run(p, 1);
    expect(p.counters.framesPresented).toBe(61);
    expect(p.counters.framesDropped).toBe(60);
  });

  it('scales time with speed', () => {
    const p = new CinePlayback(timelineFromFrameTime(30, 1000 / 30, 'FrameTime'), () => true);
    p.speed = 0.5;
    p.play();
    run(p, 2);
    expect(p.counters.framesPresented).toBe(31);
    p.speed = 10;
    expect(p.speed).toBe(4);
  });

  it('holds on a frame that is not decoded yet (repeats, never skips), then resumes', () => {
    const decoded = new Set([0, 1, 2]);
    const p = new CinePlayback(timelineFromFrameTime(10, 100, 'FrameTime'), (f) => decoded.has(f));
    p.play();
    const painted = run(p, 1);
    expect(painted).toEqual([0, 1, 2]);
    expect(p.counters.framesRepeated).toBeGreaterThan(40);
    expect(p.counters.framesDropped).toBe(0);
    for (let i = 3; i < 10; i++) decoded.add(i);
    const later = run(p, 0.25, 1000 + VSYNC);
    expect(later[0]).toBe(3); // frame 3 comes next, shown for its full slot
    expect(later.slice(0, 3)).toEqual([3, 4, 5]);
    expect(p.counters.framesDropped).toBe(0);
  });

  it('while loading, shows every decoded frame in turn even when the display is slower than the loop', () => {
    const decoded = new Set([0, 1, 2, 3]);
    const p = new CinePlayback(timelineFromFrameTime(10, 10, 'FrameTime'), (f) => decoded.has(f));
    p.play();
    expect(p.tick(0)).toBe(0);
    expect([p.tick(45), p.tick(60), p.tick(75)]).toEqual([1, 2, 3]); // late, none dropped
    expect(p.counters.framesDropped).toBe(0);
    expect(p.counters.framesDelayed).toBe(3); // each came late: the clock slips as little as it can
    expect(p.tick(90)).toBe(-1); // frame 4 is missing: hold
    expect(p.counters.framesRepeated).toBe(1);
    for (let i = 4; i < 10; i++) decoded.add(i);
    expect(p.tick(105)).toBe(5); // loaded: a display slower than the loop drops frames again
    expect(p.counters.framesDropped).toBe(1);
  });

  it('steps by exactly one frame while paused, wrapping at both ends', () => {
    const p = new CinePlayback(timelineFromFrameTime(5, 40, 'FrameTime'), () => true);
    expect(p.tick(0)).toBe(0); // paused: the first frame is painted
    p.step(1);
    expect(p.tick(10)).toBe(1);
    p.step(-1);
    expect(p.tick(20)).toBe(0);
    p.step(-1);
    expect(p.tick(30)).toBe(4);
    p.step(1);
    expect(p.tick(40)).toBe(0);
    p.seek(99);
    expect(p.tick(50)).toBe(4);
    expect(p.counters.framesDropped).toBe(0);
  });

  it('resumes playback from the frame on screen', () => {
    const p = new CinePlayback(timelineFromFrameTime(10, 100, 'FrameTime'), () => true);
    p.seek(5);
    expect(p.tick(0)).toBe(5);
    p.play();
    expect(p.tick(1000)).toBe(-1); // first tick after play only sets the clock
    expect(p.tick(1100)).toBe(6);
    expect(p.counters.framesDropped).toBe(0);
  });

  it('absorbs a short hiccup by delaying the loop, never dropping a frame', () => {
    const p = new CinePlayback(timelineFromFrameTime(30, 30, 'FrameTime'), () => true);
    p.play();
    const painted: number[] = [];
    let now = 0;
    for (let i = 0; i < 60; i++) {
      now += i === 30 ? 100 : VSYNC; // one 100 ms stall of the main thread
      const f = p.tick(now);
      if (f >= 0) painted.push(f);
    }
    expect(p.counters.framesDropped).toBe(0);
    expect(p.counters.framesDelayed).toBeGreaterThan(0);
    for (let i = 1; i < painted.length; i++) expect(painted[i]).toBe((painted[i - 1]! + 1) % 30);
  });

  it('resynchronises after a long stall once started up (and counts the frames it dropped)', () => {
    const p = new CinePlayback(timelineFromFrameTime(30, 30, 'FrameTime'), () => true);
    p.play();
    run(p, 1.2); // the start-up pass (30 frames of 30 ms) and 10 frames more: frame 40 on screen at 1200 ms
    expect(p.counters.framesDropped).toBe(0);
    expect(p.tick(1800)).toBe(0); // 600 ms later frame 60 (0 of the third pass) is due
    expect(p.counters.framesDropped).toBe(19);
  });

  it('after a hiccup, a loop decoded just in time shows the next frame late rather than skip to the last one decoded', () => {
    const decoded = new Set<number>();
    const p = new CinePlayback(timelineFromFrameTime(30, 30, 'FrameTime'), (f) => decoded.has(f), () => true);
    p.play();
    let now = 0;
    for (let i = 0; i < 100; i++, now += VSYNC) {
      const shown = Math.max(0, p.currentFrame);
      decoded.clear();
      for (let f = shown; f <= shown + 2; f++) decoded.add(f % 30); // two frames ahead, no more
      p.tick(now);
    }
    const before = p.currentFrame;
    decoded.clear();
    for (let f = before; f <= before + 2; f++) decoded.add(f % 30);
    expect(p.tick(now + 80)).toBe((before + 1) % 30); // 96 ms late: frame before+3 due, not decoded yet
    expect(p.counters.framesDropped).toBe(0);
    expect(p.counters.framesDelayed).toBe(1);
  });

  it('during the start-up pass, a long stall delays the loop instead of dropping', () => {
    const p = new CinePlayback(timelineFromFrameTime(30, 30, 'FrameTime'), () => true);
    p.play();
    p.tick(0);
    p.tick(VSYNC);
    expect(p.tick(VSYNC + 600)).toBe(1); // 616.7 ms: frame 20 is due, frame 1 comes next, late
    expect(p.counters.framesDropped).toBe(0);
    expect(p.counters.framesDelayed).toBe(1);
    expect(p.counters.slipMs).toBeGreaterThan(500);
    const painted = run(p, 1, VSYNC + 600 + VSYNC);
    for (let i = 1; i < painted.length; i++) expect(painted[i]).toBe((painted[i - 1]! + 1) % 30);
  });

  it('while the loop is still loading, a long stall delays the next frame instead of dropping', () => {
    const decoded = new Set([...Array(25).keys()]); // frames 25..29 still loading
    const p = new CinePlayback(timelineFromFrameTime(30, 30, 'FrameTime'), (f) => decoded.has(f));
    p.play();
    expect(p.tick(0)).toBe(0);
    expect(p.tick(VSYNC)).toBe(-1);
    expect(p.tick(VSYNC + 250)).toBe(1); // 266.7 ms: frame 8 is due, frame 1 comes next, late
    expect(p.counters.framesDropped).toBe(0);
    expect(p.counters.framesDelayed).toBe(1);
    for (let i = 25; i < 30; i++) decoded.add(i);
    p.tick(2 * VSYNC + 250);
    const before = p.currentFrame;
    expect(p.tick(2 * VSYNC + 850)).toBe(before + 1); // loaded, starting up: the next frame, late
    expect(p.counters.framesDropped).toBe(0);
    run(p, 1.2, 2 * VSYNC + 850 + VSYNC); // a pass since the loop is in: started up
    const t = 2 * VSYNC + 850 + VSYNC + 1200;
    expect(p.tick(t + 600)).toBeGreaterThan(-1);
    expect(p.counters.framesDropped).toBeGreaterThan(0); // a long stall resynchronises again
  });

  it('still drops at 4x on a 60 Hz display (the display cannot show 133 fps)', () => {
    const p = new CinePlayback(timelineFromFrameTime(30, 30, 'FrameTime'), () => true);
    p.speed = 4;
    p.play();
    run(p, 1);
    expect(p.counters.framesDelayed).toBe(0);
    expect(p.counters.framesDropped).toBeGreaterThan(60);
  });

  it('following a master clock that holds: a refresh whose next frame was due counts as repeated', () => {
    const p = new CinePlayback(timelineFromFrameTime(30, 30, 'FrameTime'), () => true);
    p.play();
    p.follow = 0;
    expect(p.tick(0)).toBe(0);
    p.held(20); // still frame 0's slot: nothing was due
    expect(p.counters.framesRepeated).toBe(0);
    p.held(31); // frame 1 was due, the master held (another loop was not ready)
    p.held(48);
    expect(p.counters.framesRepeated).toBe(2);
    p.pause();
    p.held(95);
    expect(p.counters.framesRepeated).toBe(2); // paused: nothing is due
  });
});

describe('CinePlayback.upcoming (frames decoded just in time)', () => {
  const loop = () => timelineFromFrameTime(87, 35, 'FrameTime'); // 28.6 fps, 3045 ms

  it('paused: the frame on screen (or stepped to) and its neighbours, wrapping', () => {
    const p = new CinePlayback(loop(), () => true);
    expect(p.upcoming(400, 48)).toEqual([0, 1, 86]);
    p.step(5);
    expect(p.upcoming(400, 48)).toEqual([5, 6, 4]);
  });

  it('playing: the frame on screen and every frame due in the next 400 ms at the speed, across the loop end, at most max', () => {
    const p = new CinePlayback(loop(), () => true);
    p.seek(80);
    p.tick(0);
    p.play();
    expect(p.upcoming(400, 48)).toEqual([80, 81, 82, 83, 84, 85, 86, 0, 1, 2, 3, 4]); // 400 ms = 11.4 frames
    p.speed = 4;
    const fast = p.upcoming(400, 48);
    expect(fast.length).toBe(46); // 80 (at 2800 ms) to 38 of the next pass (4400 ms), every one: the display shows half
    expect(p.upcoming(400, 10).length).toBe(10);
  });

  it('following a master clock: from the frame due at its time (the loop may jump there)', () => {
    const p = new CinePlayback(loop(), () => true);
    p.play();
    p.tick(0);
    p.follow = 40 * 35 + 1;
    expect(p.upcoming(100, 48)).toEqual([40, 41, 42]); // 1401 ms to 1501 ms
    expect(p.dueFrame).toBe(40);
  });

  it('plays a loop decoded only where upcoming() asks, a refresh late, with no frame dropped or repeated after the first', () => {
    const decoded = new Set<number>([0]);
    const p = new CinePlayback(loop(), (f) => decoded.has(f), () => true);
    p.play();
    let asked: number[] = [];
    const painted: number[] = [];
    for (let i = 0; i <= 4 * 60; i++) {
      for (const f of asked) decoded.add(f); // what was asked a refresh ago is decoded now
      const f = p.tick(i * VSYNC);
      if (f >= 0) painted.push(f);
      asked = p.upcoming(400, 48);
      for (const d of [...decoded]) if (!asked.includes(d)) decoded.delete(d);
    }
    expect(p.counters.framesDropped).toBe(0);
    expect(p.counters.framesRepeated).toBeLessThanOrEqual(1);
    expect(painted.slice(0, 88)).toEqual([...Array.from({ length: 87 }, (_, i) => i), 0]);
    expect(painted.length).toBeGreaterThan(4 * 28);
  });
});

