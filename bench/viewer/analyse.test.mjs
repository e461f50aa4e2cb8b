// node --test bench/viewer/analyse.test.mjs: the probe's figures on made-up
// records of a real-time player, a slow-motion player and a dropping player.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse, findCycle } from './analyse.mjs';

// A player showing frame `frameAt(t)` of a loop on a 60 Hz refresh from t0 on.
function record({ frames, frameTimeMs, speed = 1, skip = () => false, t0 = 200, endMs = 20000 }) {
  const rafs = [];
  const changes = [];
  let last = -1;
  for (let t = 0; t < endMs; t += 1000 / 60) {
    rafs.push(t);
    if (t < t0) continue;
    let f = Math.floor(((t - t0) * speed) / frameTimeMs) % frames;
    while (skip(f)) f = (f + 1) % frames;
    if (f !== last) changes.push([t, 1000 + f]);
    last = f;
  }
  return { rafs, changes, firstPaintMs: t0 };
}
const window = { windowStartMs: 8000, windowEndMs: 20000 };

test('a real-time player: speed 1, every frame of each cycle, nothing dropped', () => {
  const r = analyse({ probe: record({ frames: 87, frameTimeMs: 35 }), frames: 87, frameTimeMs: 35, ...window });
  assert.equal(r.firstFrameMs, 200);
  assert.equal(r.distinctFrames, 87);
  assert.ok(Math.abs(r.allFramesShownMs - (200 + 86 * 35)) < 17, `all shown at ${r.allFramesShownMs}`);
  assert.equal(r.framesPerCycle, 87);
  assert.ok(Math.abs(r.speed - 1) < 0.01, `speed ${r.speed}`);
  assert.ok(Math.abs(r.presentedFps - 1000 / 35) < 0.5, `fps ${r.presentedFps}`);
  assert.equal(r.droppedInWindow, 0);
  assert.ok(Math.abs(r.rafPerS - 60) < 0.5);
});

test('slow motion at 58 %: speed 0.58, no frame dropped', () => {
  const r = analyse({ probe: record({ frames: 87, frameTimeMs: 35, speed: 0.58, endMs: 30000 }), frames: 87, frameTimeMs: 35,
    windowStartMs: 10000, windowEndMs: 30000 });
  assert.ok(Math.abs(r.speed - 0.58) < 0.01, `speed ${r.speed}`);
  assert.equal(r.droppedPerCycle, 0);
  assert.ok(Math.abs(r.presentedFps - 16.6) < 0.5, `fps ${r.presentedFps}`);
});

test('a real-time player skipping 2 frames per loop: 2 dropped per cycle', () => {
  const r = analyse({ probe: record({ frames: 30, frameTimeMs: 35, skip: (f) => f === 7 || f === 19 }), frames: 30,
    frameTimeMs: 35, ...window });
  // the skipped frames were never shown at all: 28 distinct pictures, cycle of 28
  assert.equal(r.framesPerCycle, 28);
  assert.ok(Math.abs(r.speed - 1) < 0.01);
  assert.equal(r.droppedPerCycle, 0, 'frames never shown are not counted as distinct');
  const shownOnce = analyse({ probe: { ...record({ frames: 30, frameTimeMs: 35, skip: (f) => f === 7 || f === 19 }),
    changes: [[100, 1007], [110, 1019], ...record({ frames: 30, frameTimeMs: 35, skip: (f) => f === 7 || f === 19 }).changes] },
    frames: 30, frameTimeMs: 35, ...window });
  assert.equal(shownOnce.droppedPerCycle, 2);
  assert.equal(shownOnce.droppedInWindow, Math.round((2 * 12000) / (30 * 35)));
});

test('a picture shown once while starting up (the first frame drawn another way) is not a dropped frame', () => {
  const r0 = record({ frames: 30, frameTimeMs: 35 });
  const withPoster = { ...r0, changes: [[150, 999], ...r0.changes] };
  const r = analyse({ probe: withPoster, frames: 30, frameTimeMs: 35, ...window });
  assert.equal(r.distinctFrames, 31);
  assert.equal(r.framesPerCycle, 30);
  assert.equal(r.droppedPerCycle, 0);
  // ... while a frame dropped in every cycle still counts, poster or not
  const skip = (f) => f === 7;
  const r1 = record({ frames: 30, frameTimeMs: 35, skip });
  const both = { ...r1, changes: [[150, 999], [160, 1007], ...r1.changes] };
  assert.equal(analyse({ probe: both, frames: 30, frameTimeMs: 35, ...window }).droppedPerCycle, 1);
});

test('findCycle: no repeat within the sequence gives null', () => {
  assert.equal(findCycle([1, 2, 3, 4, 5], [0, 1, 2, 3, 4]), null);
  assert.deepEqual(findCycle([1, 2, 3, 1, 2, 3, 1], [0, 1, 2, 3, 4, 5, 6]), { length: 3, periodMs: 3 });
});
