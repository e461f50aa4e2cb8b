// End-to-end in the second browser engine the viewer must work in: Debian's Firefox ESR
// (headless, software rendering, 1400x900), driven over WebDriver BiDi by puppeteer-core,
// against a real `systole serve` holding the real HP echo loop. The core of viewer.e2e.mjs:
// search and open, real-time playback with no dropped frames, frame stepping, a calibrated
// distance, window/level and invert drawn exactly, a 2x2 layout with a clear message for an
// instance without pixels — and not one script error.
//
// Environment: SYSTOLE_BINARY, SYSTOLE_TESTDATA, E2E_ARTIFACTS (as viewer.e2e.mjs), FIREFOX
// (default /usr/bin/firefox-esr).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { ECHO, binary, dicomGeometry, drag as dragOn, finishRun, here, startServer, stow } from './harness.mjs';

const artifacts = process.env.E2E_ARTIFACTS ?? mkdtempSync(join(tmpdir(), 'systole-e2e-firefox-'));

const { file: LOOP, patientId: LOOP_PATIENT_ID, fps: LOOP_FPS, frames: LOOP_FRAMES } = ECHO;

let work, server, base, browser, page;
const figures = {};
const scriptErrors = [];

const stats = () => page.evaluate(() => JSON.parse(JSON.stringify({ now: performance.now(), ...window.__systoleStats })));
const waitFor = (fn, arg, timeout = 15000) => page.waitForFunction(fn, { timeout, polling: 50 }, arg);
const frameNumber = () => page.$eval('.cell[data-cell="0"] [data-testid="frame-number"]', (el) => Number(el.textContent.split('/')[0]));
const shot = (name) => page.screenshot({ path: join(artifacts, `${name}.png`) });

const drag = (from, to) => dragOn(page, from, to);

// Frames presented per second over `ms` of playback, and frames dropped meanwhile.
async function played(ms = 2500) {
  await new Promise((r) => setTimeout(r, 300));
  const t0 = await stats();
  await new Promise((r) => setTimeout(r, ms));
  const t1 = await stats();
  return {
    fps: (t1.cells[0].framesPresented - t0.cells[0].framesPresented) / ((t1.now - t0.now) / 1000),
    framesDropped: t1.cells[0].framesDropped - t0.cells[0].framesDropped,
  };
}

before(async () => {
  assert.ok(existsSync(binary), `no server binary at ${binary} (run make build)`);
  mkdirSync(artifacts, { recursive: true });
  work = mkdtempSync(join(tmpdir(), 'systole-e2e-firefox-'));
  server = await startServer(binary, join(work, 'data'));
  base = `http://127.0.0.1:${server.port}`;
  const generated = join(work, 'generated');
  const gen = spawnSync('/usr/bin/python3', [join(here, 'make_test_study.py'), LOOP, generated], { encoding: 'utf8' });
  assert.equal(gen.status, 0, gen.stderr);
  await stow(base, [LOOP, join(generated, 'second_loop.dcm'), join(generated, 'no_pixels.dcm')]);
  browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: process.env.FIREFOX ?? '/usr/bin/firefox-esr',
    headless: true,
    args: ['--width=1400', '--height=900'],
  });
  figures.browser = await browser.version();
  page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  page.on('pageerror', (e) => scriptErrors.push(String(e?.message ?? e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|status of 4\d\d/.test(m.text())) scriptErrors.push(m.text());
  });
});

after(async () => {
  await finishRun({ browser, server, artifacts, prefix: 'firefox-', figures, work });
});

test('Firefox: the study list finds the patient and Enter opens the study', async () => {
  await page.goto(`${base}/`);
  await page.waitForSelector('.study-table tbody tr');
  await page.type('input[name="patientId"]', LOOP_PATIENT_ID);
  await page.keyboard.press('Enter');
  await waitFor(
    (id) => [...document.querySelectorAll('.study-table tbody tr')].every((tr) => tr.children[1]?.textContent === id),
    LOOP_PATIENT_ID,
  );
  assert.equal((await page.$$('.study-table tbody tr')).length, 1);
  await shot('firefox-01-study-list');
  await page.keyboard.press('Enter');
  await waitFor(() => location.pathname.startsWith('/viewer/'));
});

test('Firefox: the loop plays at the acquired rate with no dropped frames', async () => {
  await waitFor(() => window.__systoleStats?.cells?.[0]?.loopReadyMs != null);
  const s = await stats();
  assert.equal(s.cells[0].frameCount, LOOP_FRAMES);
  figures.firstFramePaintedMsAfterOpen = s.cells[0].firstFramePaintedMs - s.viewerOpenedMs;
  figures.loopReadyMsAfterOpen = s.cells[0].loopReadyMs - s.viewerOpenedMs;
  const p = await played();
  figures.playback = p;
  assert.ok(Math.abs(p.fps - LOOP_FPS) / LOOP_FPS <= 0.1, `played ${p.fps.toFixed(1)} fps, acquired ${LOOP_FPS.toFixed(1)}`);
  assert.equal(p.framesDropped, 0);
  await shot('firefox-02-playing');
});

test('Firefox: pause, then step forward and back by exactly one frame', async () => {
  await page.keyboard.press(' ');
  await waitFor(() => window.__systoleStats.cells[0].playing === false);
  const paused = await frameNumber();
  await page.keyboard.press('ArrowRight');
  await waitFor((f) => !document.querySelector('.cell[data-cell="0"] [data-testid="frame-number"]').textContent.startsWith(`${f} /`), paused);
  assert.equal(await frameNumber(), (paused % LOOP_FRAMES) + 1);
  await page.keyboard.press('ArrowLeft');
  await waitFor((f) => document.querySelector('.cell[data-cell="0"] [data-testid="frame-number"]').textContent.startsWith(`${f} /`), paused);
  assert.equal(await frameNumber(), paused);
});

test('Firefox: a calibrated distance matches the ultrasound region calibration within 1%', async () => {
  const geometry = dicomGeometry(LOOP);
  const tissue = geometry.regions.find((r) => r.unitsX === 3 && r.unitsY === 3);
  assert.ok(tissue, 'the loop has a 2D region in cm');
  const box = await (await page.$('.cell[data-cell="0"] canvas.frame')).boundingBox();
  const scale = Math.min(box.width / geometry.columns, box.height / geometry.rows);
  const ox = box.x + (box.width - geometry.columns * scale) / 2;
  const oy = box.y + (box.height - geometry.rows * scale) / 2;
  const toPage = (x, y) => ({ x: Math.round(ox + x * scale), y: Math.round(oy + y * scale) });
  const from = toPage(tissue.minX + 60, tissue.minY + 50);
  const to = toPage(tissue.maxX - 40, tissue.maxY - 30);
  await page.keyboard.press('d');
  await drag(from, to);
  await page.waitForSelector('.cell[data-cell="0"] [data-testid="measurement"]');
  const text = await page.$eval('.cell[data-cell="0"] [data-testid="measurement"]', (el) => el.textContent);
  const dx = ((to.x - from.x) / scale) * Math.abs(tissue.dx);
  const dy = ((to.y - from.y) / scale) * Math.abs(tissue.dy);
  const expected = Math.hypot(dx, dy);
  const shown = Number(/([\d.]+) cm/.exec(text)?.[1]);
  figures.distance = { expectedCm: expected, shownCm: shown };
  assert.ok(Math.abs(shown - expected) / expected <= 0.01, `shown ${shown} cm, expected ${expected.toFixed(3)} cm`);
  await shot('firefox-03-distance');
  await page.keyboard.press('Escape');
});

test('Firefox: window/level and invert draw the stored pixels through the window; playback keeps its rate', async () => {
  const pixels = () =>
    page.$eval('.cell[data-cell="0"] canvas.frame', (el) => {
      const [x, y, w, h] = [el.width * 0.3, el.height * 0.2, el.width * 0.4, el.height * 0.6].map(Math.floor);
      const d = el.getContext('2d').getImageData(x, y, w, h).data;
      return Array.from(d).filter((_, i) => (i >> 2) % 13 === 0 && i % 4 !== 3);
    });
  const stored = await pixels();
  assert.ok(stored.some((v) => v > 60), 'the probed area shows part of the image');
  const box = await (await page.$('.cell[data-cell="0"] canvas.frame')).boundingBox();
  const c = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  await drag(c, { x: c.x - 80, y: c.y - 40 }); // narrower window, darker
  await page.keyboard.press('i');
  const [center, width] = (await page.$eval('.cell[data-cell="0"]', (el) => el.dataset.window)).split(',').map(Number);
  assert.ok(width < 255 && center > 128, `window ${center},${width}`);
  const shown = await pixels();
  const through = (v) => 255 - 255 * Math.min(1, Math.max(0, (v - (center - width / 2)) / width));
  const misses = stored.map((v, i) => Math.abs(shown[i] - through(v))).filter((d) => d > 4);
  assert.equal(misses.length, 0, `${misses.length} of ${stored.length} values off the window (worst ${Math.max(...misses)})`);
  await page.keyboard.press(' ');
  const p = await played();
  figures.windowInvertPlayback = p;
  assert.ok(Math.abs(p.fps - LOOP_FPS) / LOOP_FPS <= 0.1, `played ${p.fps.toFixed(1)} fps windowed, acquired ${LOOP_FPS.toFixed(1)}`);
  assert.equal(p.framesDropped, 0);
  await shot('firefox-04-window-invert');
  await page.keyboard.press('r');
});

test('Firefox: 2x2 layout plays the second loop and says why the instance without pixels shows nothing', async () => {
  await page.keyboard.press('4');
  await waitFor(() => window.__systoleStats.cells.length === 3 && window.__systoleStats.cells[1].loopReadyMs != null);
  await page.waitForSelector('.cell-message:not([hidden])');
  assert.match(await page.$eval('.cell-message:not([hidden])', (el) => el.textContent), /no pixel data/i);
  await new Promise((r) => setTimeout(r, 1000));
  const s = await stats();
  assert.ok(s.cells[1].playing && s.cells[1].framesPresented > 10, 'the second loop plays');
  await shot('firefox-05-layout-2x2');
});

test('Firefox: no script error on any page', () => {
  assert.deepEqual(scriptErrors, []);
});
