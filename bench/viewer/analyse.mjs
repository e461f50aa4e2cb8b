// Figures of one viewer-bench run from the outside probe's record (probe.js):
// no knowledge of the viewer, only what the page painted and when.
//
//   firstFrameMs     first picture on the viewport canvas
//   allFramesShownMs when the last of the loop's distinct pictures first appeared
//                    (every frame shown once; for a real-time player this is at
//                    least one loop duration after playback starts)
//   steady window:   presentedFps (picture changes / s), rafPerS (rAF callbacks / s),
//                    the loop's cycle found in the sequence of pictures: framesPerCycle
//                    (distinct pictures shown per loop), cycleMs (median wall time per loop),
//                    speed (loop cycles played in the window x acquired loop duration /
//                    window: 1 = real time, stalls included),
//                    droppedPerCycle (distinct frames of the loop never shown in a
//                    cycle: the run's distinct pictures, at most the loop's frame count —
//                    a picture shown only while starting up, e.g. a first frame scaled by
//                    other means, is not a frame of the loop), droppedInWindow, maxGapMs (longest time one picture stayed),
//                    longFramesPerS / longFrameMsPerS (long animation frames: main thread
//                    busy > 50 ms between two paints, count and ms per second).

export function analyse({ probe, frames, frameTimeMs, windowStartMs, windowEndMs }) {
  const changes = probe.changes;
  const hashes = new Map(); // hash -> first time shown
  for (const [t, h] of changes) if (!hashes.has(h)) hashes.set(h, t);
  const distinctFrames = hashes.size;
  const allFramesShownMs = distinctFrames > 0 ? Math.max(...hashes.values()) : null;

  const durationMs = windowEndMs - windowStartMs;
  const inWindow = changes.filter(([t]) => t >= windowStartMs && t < windowEndMs);
  const rafs = probe.rafs.filter((t) => t >= windowStartMs && t < windowEndMs);
  const seq = inWindow.map((c) => c[1]);
  const times = inWindow.map((c) => c[0]);
  const cycle = findCycle(seq, times);
  const loopMs = frames * frameTimeMs;
  let maxGapMs = 0;
  for (let i = 1; i < times.length; i++) maxGapMs = Math.max(maxGapMs, times[i] - times[i - 1]);

  const longFrames = (probe.longFrames ?? []).filter(([t]) => t >= windowStartMs && t < windowEndMs);
  const out = {
    firstFrameMs: probe.firstPaintMs,
    // its two parts: the canvas read back, and a large image's paint (Element Timing)
    firstCanvasFrameMs: probe.canvasPaintMs ?? null,
    firstImageFrameMs: probe.imagePaintMs ?? null,
    allFramesShownMs,
    distinctFrames,
    windowMs: durationMs,
    presentedFps: (inWindow.length * 1000) / durationMs,
    rafPerS: (rafs.length * 1000) / durationMs,
    maxGapMs,
    longFramesPerS: probe.longFrames ? (longFrames.length * 1000) / durationMs : null,
    longFrameMsPerS: probe.longFrames ? (longFrames.reduce((sum, f) => sum + f[1], 0) * 1000) / durationMs : null,
    framesPerCycle: null,
    cycleMs: null,
    speed: null,
    droppedPerCycle: null,
    droppedInWindow: null,
  };
  if (cycle) {
    out.framesPerCycle = cycle.length;
    out.cycleMs = cycle.periodMs;
    // mean speed over the window (stalls included): cycles played x loop duration / wall time
    out.speed = ((inWindow.length / cycle.length) * loopMs) / durationMs;
    out.droppedPerCycle = Math.max(0, Math.min(frames, distinctFrames) - cycle.length);
    out.droppedInWindow = Math.round((out.droppedPerCycle * durationMs) / cycle.periodMs);
  } else if (inWindow.length > 0) {
    // No full loop within the window (too slow to complete one): speed from
    // the rate at which pictures change, no drop figure.
    out.speed = out.presentedFps / (1000 / frameTimeMs);
  }
  return out;
}

// The smallest L for which the picture sequence repeats itself after L changes
// (seq[k + L] === seq[k] for >= 90 % of k, at least one full repeat), and the
// median wall time of one repeat.
export function findCycle(seq, times) {
  for (let L = 2; L <= seq.length / 2; L++) {
    let match = 0;
    const periods = [];
    for (let k = 0; k + L < seq.length; k++) {
      if (seq[k + L] === seq[k]) {
        match++;
        periods.push(times[k + L] - times[k]);
      }
    }
    const n = seq.length - L;
    if (n > 0 && match / n >= 0.9) {
      periods.sort((x, y) => x - y);
      return { length: L, periodMs: periods[Math.floor(periods.length / 2)] };
    }
  }
  return null;
}
