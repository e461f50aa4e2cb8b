// One viewer-bench measurement: opens a study in headless Debian Chromium
// (--headless --no-sandbox --disable-gpu, playwright-core), lets its loop play,
// and writes what the outside probe (probe.js) and the network saw, plus
// window.__systoleStats when the page has it. See bench/viewer/README.md.
//
// node measure.mjs --viewer systole|ohif --url URL --frames N --frame-time MS
//   [--viewport 1400x900] [--steady-s 12] [--timeout-s 120] [--opens N] --out FILE.json [--shot FILE.png]
// --opens N: N more opens, each in a fresh browser, for the start-up figures alone (first picture;
// Systole's loopReadyMs; the bare page's loop bytes): they vary run to run on a 2-core machine far
// more than between builds. In the JSON as "opens" (every open's figures, the first one's included).
// --viewer floor --floor-instance INSTANCE_URL: no viewer, the machine's floor — a bare page at
// --url (served by Playwright, on the server's origin) holding the first rendered frame as an
// <img> (Element Timing: when it was painted) and fetching every rendered frame of the loop
// in one multipart request from an inline script (when the last byte was in).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { analyse } from './analyse.mjs';
import { busyPerThread } from './trace_busy.mjs';

const { values: a } = parseArgs({
  options: {
    viewer: { type: 'string' },
    url: { type: 'string' },
    frames: { type: 'string' },
    'frame-time': { type: 'string' },
    viewport: { type: 'string', default: '1400x900' },
    'steady-s': { type: 'string', default: '12' },
    'timeout-s': { type: 'string', default: '120' },
    out: { type: 'string' },
    shot: { type: 'string' },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    // profile the steady window with a devtools.timeline trace (its cost changes the figures:
    // use in a separate run); writes FILE and adds busy ms per second per thread kind
    trace: { type: 'string' },
    'floor-instance': { type: 'string' },
    opens: { type: 'string', default: '0' },
  },
});
for (const k of ['viewer', 'url', 'frames', 'frame-time', 'out'])
  if (!a[k]) throw new Error(`--${k} is required`);
const frames = Number(a.frames);
const frameTimeMs = Number(a['frame-time']);
const [vw, vh] = a.viewport.split('x').map(Number);
const steadyMs = Number(a['steady-s']) * 1000;
let deadline = Date.now() + Number(a['timeout-s']) * 1000;
const loopMs = frames * frameTimeMs;
const here = dirname(fileURLToPath(import.meta.url));

const flags = ['--headless', '--no-sandbox', '--disable-gpu'];
const browser = await chromium.launch({ executablePath: a.chromium, args: flags });
const result = {
  viewer: a.viewer, url: a.url, viewport: a.viewport, frames, frameTimeMs, acquiredFps: 1000 / frameTimeMs,
  chromium: browser.version(), flags, startedAt: new Date().toISOString(), loadavgAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  notes: [],
};
try {
  const context = await browser.newContext({ viewport: { width: vw, height: vh } });
  await context.addInitScript({ path: join(here, 'probe.js') });
  const page = await context.newPage();
  page.on('pageerror', (e) => result.notes.push(`pageerror: ${String(e).slice(0, 200)}`));
  // Pixel data on the wire: frames (WADO-RS /frames/, rendered or not) or whole instances.
  const pixelRequests = [];
  page.on('requestfinished', (request) => {
    const url = request.url();
    if (!/\/frames\/|\/bulkdata|\/instances\/[^/?]+(\?|$)/.test(url)) return;
    const t = request.timing();
    pixelRequests.push({ url, endEpochMs: t.startTime + t.responseEnd });
  });

  if (a.viewer === 'floor') await measureFloor(page);
  else await measureViewer(page, pixelRequests);
} catch (e) {
  result.error = String(e?.stack ?? e);
  if (a.shot) await browser.contexts()[0]?.pages()[0]?.screenshot({ path: a.shot }).catch(() => {});
  result.systoleStatsAtError = await browser.contexts()[0]?.pages()[0]
    ?.evaluate(() => window.__systoleStats ?? null).catch(() => null) ?? null;
} finally {
  await browser.close();
  writeFileSync(a.out, JSON.stringify(result, null, 2));
}
if (result.error) {
  console.error(`${a.viewer} ${a.viewport}: ${result.error}`);
  process.exit(1);
}
if (Number(a.opens) > 0) {
  result.opens = { firstFrameMs: [result.firstFrameMs], playableMs: [startupPlayable(result)] };
  for (let i = 0; i < Number(a.opens); i++) {
    deadline = Date.now() + 60000;
    const b = await chromium.launch({ executablePath: a.chromium, args: flags });
    try {
      const context = await b.newContext({ viewport: { width: vw, height: vh } });
      await context.addInitScript({ path: join(here, 'probe.js') });
      const open = await openOnce(await context.newPage());
      result.opens.firstFrameMs.push(open.firstFrameMs);
      result.opens.playableMs.push(open.playableMs);
    } catch (e) {
      result.notes.push(`open ${i + 2}: ${String(e).slice(0, 200)}`);
    } finally {
      await b.close();
    }
  }
  writeFileSync(a.out, JSON.stringify(result, null, 2));
}

// The "playable" start-up figure of a run: Systole's loopReadyMs, the bare page's loop bytes, none for OHIF.
function startupPlayable(run) {
  if (a.viewer === 'floor') return run.pixelDataLoadedMs ?? null;
  return run.systoleStats?.loopReadyMs ?? null;
}

// One more open for the start-up figures: the first picture, and Systole's loopReadyMs.
async function openOnce(page) {
  if (a.viewer === 'floor') {
    const floor = await floorOpen(page);
    return { firstFrameMs: floor.firstFrameMs, playableMs: floor.loopBytesMs };
  }
  await page.goto(a.url, { waitUntil: 'commit', timeout: 60000 });
  await page.waitForFunction(
    (systole) => window.__viewerBenchProbe?.firstPaintMs != null && (!systole || window.__systoleStats?.cells?.[0]?.loopReadyMs != null),
    a.viewer === 'systole',
    { timeout: Math.max(1000, deadline - Date.now()) },
  );
  await page.waitForTimeout(300); // an earlier image paint is reported after the fact (Element Timing)
  return page.evaluate(() => ({
    firstFrameMs: window.__viewerBenchProbe.firstPaintMs,
    playableMs: window.__systoleStats?.cells?.[0]?.loopReadyMs ?? null,
  }));
}

// A viewer: open, first picture, playback, every frame once, the steady window; into `result`.
async function measureViewer(page, pixelRequests) {
  await page.goto(a.url, { waitUntil: 'commit', timeout: 60000 });
  const timeOrigin = await page.evaluate(() => performance.timeOrigin);
  const probe = () => page.evaluate(() => window.__viewerBenchProbe);
  const sleep = (ms) => page.waitForTimeout(ms);
  const stats = () => page.evaluate(() => (window.__systoleStats ? JSON.parse(JSON.stringify(window.__systoleStats)) : null));

  // 1. first picture on the viewport canvas
  while ((await probe())?.firstPaintMs == null) {
    if (Date.now() > deadline) throw new Error('no picture on any canvas before the timeout');
    await sleep(100);
  }
  // 2. playback: Systole plays on open; OHIF shows its cine player: press play if the
  //    picture does not change by itself within 1.5 s of the first picture.
  if (a.viewer === 'ohif') {
    const skip = page.getByText('Skip all');
    if (await skip.isVisible().catch(() => false)) await skip.click().catch(() => {});
    await sleep(1500);
    if ((await probe()).changes.length <= 1) {
      const play = page.locator('[data-cy="cine-player-play-pause"]');
      await play.waitFor({ timeout: Math.max(1000, deadline - Date.now()) });
      await play.click();
      result.playPressedMs = await page.evaluate(() => performance.now());
    } else result.notes.push('OHIF played by itself');
    // the frame rate OHIF's cine player was set to (its FPS field)
    result.ohifCineFps = await page.evaluate(() => {
      const box = document.querySelector('[data-cy="cine-player-play-pause"]')?.closest('div:has(input)');
      return box?.querySelector('input')?.value ?? null;
    });
  }
  // 3. every frame shown once: the number of distinct pictures reaches the frame
  //    count (or stops growing for 3 loop durations: a loop with identical frames)
  let grewAt = Date.now();
  let distinct = 0;
  for (;;) {
    const p = await probe();
    const d = new Set(p.changes.map((c) => c[1])).size;
    if (d > distinct) {
      distinct = d;
      grewAt = Date.now();
    }
    if (d >= frames) break;
    if (Date.now() - grewAt > Math.max(4000, 3 * loopMs)) {
      result.notes.push(`distinct pictures stopped at ${d} of ${frames} frames`);
      break;
    }
    if (Date.now() > deadline) {
      result.notes.push(`timeout: ${d} of ${frames} frames shown`);
      break;
    }
    await sleep(250);
  }
  // 4. steady playback window
  await sleep(500);
  const windowStartMs = await page.evaluate(() => performance.now());
  const statsBefore = await stats();
  if (a.trace) await browser.startTracing(page, { categories: ['devtools.timeline', 'toplevel'] });
  await sleep(steadyMs);
  // a slow player: extend the window (up to 40 s) until it holds 2.2 loop cycles,
  // so that the cycle (speed, drops) can be found in it
  const inWindow = async () =>
    page.evaluate((t0) => window.__viewerBenchProbe.changes.filter((c) => c[0] >= t0).length, windowStartMs);
  while ((await inWindow()) < 2.2 * frames) {
    if ((await page.evaluate(() => performance.now())) - windowStartMs > 40000) break;
    await sleep(500);
  }
  const windowEndMs = await page.evaluate(() => performance.now());
  const statsAfter = await stats();
  if (a.trace) {
    const trace = await browser.stopTracing();
    writeFileSync(a.trace, trace);
    result.profile = busyPerThread(JSON.parse(trace.toString()));
  }
  const p = await probe();
  if (a.shot) await page.screenshot({ path: a.shot });

  const lastPixelMs = pixelRequests.length
    ? Math.max(...pixelRequests.map((r) => r.endEpochMs)) - timeOrigin : null;
  Object.assign(result, analyse({ probe: p, frames, frameTimeMs, windowStartMs, windowEndMs }), {
    pixelRequests: pixelRequests.length,
    pixelDataLoadedMs: lastPixelMs,
    probeCanvas: p.canvas,
  });
  if (statsAfter) result.systoleStats = summariseStats(statsBefore, statsAfter, windowEndMs - windowStartMs);
  // The viewer's own start-up marks (performance.mark 'systole:*', ms from navigation start).
  result.marks = await page.evaluate(() =>
    Object.fromEntries(performance.getEntriesByType('mark').filter((m) => m.name.startsWith('systole:')).map((m) => [m.name, Math.round(m.startTime)])),
  );
}

// The floor: the bare page (see the header), its figures into `result`.
async function measureFloor(page) {
  const floor = await floorOpen(page);
  if (a.shot) await page.screenshot({ path: a.shot });
  Object.assign(result, { firstFrameMs: floor.firstFrameMs, pixelDataLoadedMs: floor.loopBytesMs, loopBytes: floor.loopBytes });
}

// The bare page opened: {firstFrameMs, loopBytesMs, loopBytes}.
async function floorOpen(page) {
  if (!a['floor-instance']) throw new Error('--floor-instance is required with --viewer floor');
  const first = `${a['floor-instance']}/frames/1/rendered`;
  const all = `${a['floor-instance']}/frames/${Array.from({ length: frames }, (_, i) => i + 1).join(',')}/rendered`;
  const html = `<!doctype html><meta charset="utf-8"><title>floor</title>
<body style="margin:0;background:#000">
<img elementtiming="first-frame" src="${first}" style="position:fixed;left:150px;top:88px;width:calc(100vw - 150px);height:calc(100vh - 88px);object-fit:contain">
<script>
window.__floor = {};
new PerformanceObserver((l) => { const e = l.getEntries()[0]; __floor.firstFrameMs = e.renderTime || e.loadTime; }).observe({ type: 'element', buffered: true });
fetch(${JSON.stringify(all)}, { headers: { Accept: 'multipart/related; type="image/jpeg"' } })
  .then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error('HTTP ' + r.status))))
  .then((b) => { __floor.loopBytes = b.byteLength; __floor.loopBytesMs = performance.now(); }, (e) => { __floor.error = String(e); });
</script>`;
  await page.route(a.url, (route) => route.fulfill({ contentType: 'text/html; charset=utf-8', body: html }));
  await page.goto(a.url, { waitUntil: 'commit', timeout: 60000 });
  let floor;
  for (;;) {
    floor = await page.evaluate(() => window.__floor);
    if (floor?.error) throw new Error(floor.error);
    if (floor?.firstFrameMs != null && floor.loopBytesMs != null) break;
    if (Date.now() > deadline) throw new Error('the bare page did not paint the frame and fetch the loop before the timeout');
    await page.waitForTimeout(100);
  }
  return floor;
}

// Systole's own counters over the steady window (cell 0), beside the probe's.
function summariseStats(before, after, durationMs) {
  const b = before?.cells?.[0];
  const c = after.cells?.[0];
  if (!c) return { cells: 0 };
  const delta = (k) => (b ? c[k] - b[k] : null);
  return {
    firstFramePaintedMs: c.firstFramePaintedMs,
    loopReadyMs: c.loopReadyMs,
    viewerOpenedMs: after.viewerOpenedMs,
    frameCount: c.frameCount,
    acquiredFps: c.acquiredFps,
    timingSource: c.timingSource,
    windowFramesPresented: delta('framesPresented'),
    windowFramesDropped: delta('framesDropped'),
    windowFramesRepeated: delta('framesRepeated'),
    windowFramesDelayed: delta('framesDelayed'),
    windowPresentedFps: b ? (delta('framesPresented') * 1000) / durationMs : null,
    totalFramesPresented: c.framesPresented,
    totalFramesDropped: c.framesDropped,
    totalFramesRepeated: c.framesRepeated,
    error: c.error,
  };
}
