// Stress-echo quad: a study of four loops opened in Systole's viewer, the quad of one view across
// stages (key G: 2×2, synchronized), measured from Systole's own counters (window.__systoleStats):
// when each loop is playable, then, over a steady window, each loop's presented frames/s against
// the rate it should have in step (the slowest cycle sets the pace), dropped and repeated frames
// (a repeated refresh: the synchronized clock waited for a loop — slow motion). Systole only: the
// issue names no anchor for this; OHIF has no synchronized quad to compare with here.
//
// Usage: node quad.mjs --url VIEWER_URL --out FILE [--shot PNG] [--viewport 1400x900]
//                      [--steady-s 6] [--timeout-s 120] [--chromium /usr/bin/chromium]
import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const { values: a } = parseArgs({
  options: {
    url: { type: 'string' },
    out: { type: 'string' },
    shot: { type: 'string' },
    viewport: { type: 'string', default: '1400x900' },
    'steady-s': { type: 'string', default: '6' },
    'timeout-s': { type: 'string', default: '120' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
});
if (!a.url || !a.out) throw new Error('--url and --out are required');
const [vw, vh] = a.viewport.split('x').map(Number);
const flags = ['--headless', '--no-sandbox', '--disable-gpu'];
const browser = await chromium.launch({ executablePath: a.chromium, args: flags });
const result = { url: a.url, viewport: a.viewport, flags, chromium: browser.version(), loadavgAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') };
try {
  const page = await (await browser.newContext({ viewport: { width: vw, height: vh } })).newPage();
  const stats = () => page.evaluate(() => JSON.parse(JSON.stringify(window.__systoleStats)));
  const timeout = Number(a['timeout-s']) * 1000;
  await page.goto(a.url);
  await page.waitForFunction(() => window.__systoleStats?.cells?.[0]?.firstFramePaintedMs != null, null, { timeout });
  result.quadAskedMs = await page.evaluate(() => performance.now());
  await page.keyboard.press('g');
  await page.waitForFunction(() => window.__systoleStats.cells.length === 4 && window.__systoleStats.cells.every((c) => c.loopReadyMs != null && c.playing), null, { timeout });
  const ready = await stats();
  result.cells = ready.cells.map((c) => ({ sopInstanceUID: c.sopInstanceUID, frameCount: c.frameCount, acquiredFps: c.acquiredFps, firstFramePaintedMs: c.firstFramePaintedMs, loopReadyMs: c.loopReadyMs }));
  result.allReadyMs = Math.max(...ready.cells.map((c) => c.loopReadyMs));
  result.allReadyAfterQuadMs = result.allReadyMs - result.quadAskedMs;
  result.decodedSizes = await page.evaluate(() => [...document.querySelectorAll('.cell[data-decoded]')].map((e) => e.dataset.decoded));
  await page.waitForTimeout(500);
  const t0 = await stats();
  const w0 = await page.evaluate(() => performance.now());
  await page.waitForTimeout(Number(a['steady-s']) * 1000);
  const t1 = await stats();
  const seconds = ((await page.evaluate(() => performance.now())) - w0) / 1000;
  const cycleS = Math.max(...t1.cells.map((c) => c.frameCount / c.acquiredFps));
  result.steady = t1.cells.map((c, i) => {
    const fps = (c.framesPresented - t0.cells[i].framesPresented) / seconds;
    const expectedFps = c.frameCount / cycleS;
    return { fps, expectedFps, speed: fps / expectedFps, dropped: c.framesDropped - t0.cells[i].framesDropped, repeated: c.framesRepeated - t0.cells[i].framesRepeated };
  });
  result.steadySeconds = seconds;
  if (a.shot) await page.screenshot({ path: a.shot });
} catch (e) {
  result.error = String(e?.stack ?? e);
} finally {
  await browser.close();
  writeFileSync(a.out, JSON.stringify(result, null, 2));
}
if (result.error) {
  console.error(`quad: ${result.error}`);
  process.exit(1);
}
const r = (v) => Math.round(v);
console.log(`quad ${a.viewport}: all four playable ${r(result.allReadyAfterQuadMs)} ms after G; steady speed ${result.steady.map((s) => s.speed.toFixed(2)).join(' ')}, dropped ${result.steady.map((s) => s.dropped).join(' ')}, repeated ${result.steady.map((s) => s.repeated).join(' ')}`);
