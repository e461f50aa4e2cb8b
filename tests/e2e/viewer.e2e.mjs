// End-to-end: the viewer in Debian's Chromium (headless, software rendering,
// 1400x900) against a real `systole serve` holding real echo cines.
//
// Environment: SYSTOLE_BINARY (default build/systole), SYSTOLE_TESTDATA
// (default ../shared/testdata), E2E_ARTIFACTS (screenshots and the server
// log; default a temp dir), CHROMIUM (default /usr/bin/chromium).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const binary = process.env.SYSTOLE_BINARY ?? join(repo, 'build/systole');
const testdata = process.env.SYSTOLE_TESTDATA ?? resolve(repo, '../shared/testdata');
const artifacts = process.env.E2E_ARTIFACTS ?? mkdtempSync(join(tmpdir(), 'systole-e2e-artifacts-'));
const cine = join(testdata, 'dicom/cine');

// The loop under test: HP pediatric echo, 34 frames JPEG baseline 480x430, FrameTime 30 ms (33.3 fps).
const LOOP = join(cine, 'orthanc__Issue16.dcm');
const LOOP_PATIENT_ID = 'HP_EXAMPLE';
const LOOP_FPS = 1000 / 30;
const LOOP_FRAMES = 34;
const OTHERS = ['pydicom__examples_ybr_color.dcm', 'dicomparser__IM00001_jpeg_baseline_fragmented_nobot.dcm'];

let work, server, serverLog, base, browser, page;
const figures = {};

function startServer(dataDir) {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(
      binary,
      ['serve', '--data', dataDir, '--dicom-port', '0', '--http-port', '0', '--no-auth'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    const onData = (chunk) => {
      log += chunk;
      serverLog = log;
      const m = /ready:.*http_port=(\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolvePromise({ proc, port: Number(m[1]) });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`systole exited with ${code}:\n${log}`)));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`systole not ready after 20 s:\n${log}`));
    }, 20000);
    proc.on('exit', () => clearTimeout(timer));
    server = proc; // stopped in after(), whatever happens next
  });
}

async function stow(files) {
  const boundary = `systole-e2e-${Date.now()}`;
  const parts = [];
  for (const f of files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`));
    parts.push(readFileSync(f));
    parts.push(Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  const response = await fetch(`${base}/dicomweb/studies`, {
    method: 'POST',
    headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`, Accept: 'application/dicom+json' },
    body: Buffer.concat(parts),
  });
  assert.equal(response.status, 200, `STOW-RS answered ${response.status}: ${await response.text()}`);
}

const stats = () => page.evaluate(() => JSON.parse(JSON.stringify({ now: performance.now(), ...window.__systoleStats })));
const frameNumber = async (cell = 0) => {
  const text = await page.locator(`.cell[data-cell="${cell}"] [data-testid="frame-number"]`).textContent();
  const m = /^(\d+) \/ (\d+)$/.exec(text.trim());
  assert.ok(m, `frame overlay reads "${text}"`);
  return Number(m[1]);
};
const shot = (name) => page.screenshot({ path: join(artifacts, `${name}.png`) });

before(async () => {
  assert.ok(existsSync(binary), `no server binary at ${binary} (run make build)`);
  assert.ok(existsSync(join(repo, 'web/dist/index.html')), 'the viewer is not built (run make build)');
  mkdirSync(artifacts, { recursive: true });
  work = mkdtempSync(join(tmpdir(), 'systole-e2e-'));
  ({ proc: server, port: base } = await startServer(join(work, 'data')));
  base = `http://127.0.0.1:${base}`;
  const generated = join(work, 'generated');
  const gen = spawnSync('/usr/bin/python3', [join(here, 'make_test_study.py'), LOOP, generated], { encoding: 'utf8' });
  assert.equal(gen.status, 0, gen.stderr);
  await stow([LOOP, join(generated, 'second_loop.dcm'), join(generated, 'no_pixels.dcm'), ...OTHERS.map((f) => join(cine, f))]);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e));
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => {
      server.once('exit', r);
      setTimeout(() => {
        server.kill('SIGKILL');
        r();
      }, 10000).unref();
    });
  }
  writeFileSync(join(artifacts, 'server.log'), serverLog ?? '');
  writeFileSync(join(artifacts, 'figures.json'), JSON.stringify(figures, null, 2));
  console.log('figures:', JSON.stringify(figures));
  console.log('artefacts in', artifacts);
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the study list finds the patient and Enter opens the study', async () => {
  await page.goto(`${base}/`);
  await page.locator('.study-table tbody tr').first().waitFor();
  await page.locator('input[name="patientId"]').fill(LOOP_PATIENT_ID);
  await page.locator('input[name="patientId"]').press('Enter');
  await page.waitForFunction(
    (id) => [...document.querySelectorAll('.study-table tbody tr')].every((tr) => tr.children[1]?.textContent === id),
    LOOP_PATIENT_ID,
  );
  const rows = page.locator('.study-table tbody tr');
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().textContent(), /US/);
  assert.equal((await rows.first().locator('td').nth(6).textContent()).trim(), '3'); // series
  await page.locator('.priors li').first().waitFor();
  await shot('01-study-list');
  await page.keyboard.press('Enter'); // the table has focus after the search
  await page.waitForURL(/\/viewer\//);
});

test('the loop plays at the acquired rate with no dropped frames', async () => {
  await page.waitForFunction(() => window.__systoleStats?.cells?.[0]?.loopReadyMs != null, null, { timeout: 15000 });
  const ready = await stats();
  const cell = ready.cells[0];
  assert.equal(cell.frameCount, LOOP_FRAMES);
  assert.equal(cell.timingSource, 'FrameTime');
  assert.ok(Math.abs(cell.acquiredFps - LOOP_FPS) < 0.01);
  figures.firstFramePaintedMsAfterOpen = cell.firstFramePaintedMs - ready.viewerOpenedMs;
  figures.loopReadyMsAfterOpen = cell.loopReadyMs - ready.viewerOpenedMs;
  const t0 = await stats();
  await page.waitForTimeout(2500);
  const t1 = await stats();
  const seconds = (t1.now - t0.now) / 1000;
  const presented = t1.cells[0].framesPresented - t0.cells[0].framesPresented;
  const fps = presented / seconds;
  Object.assign(figures, {
    acquiredFps: LOOP_FPS,
    playbackFps: fps,
    measuredSeconds: seconds,
    framesDropped: t1.cells[0].framesDropped,
    framesRepeatedWhileLoading: t0.cells[0].framesRepeated,
    framesRepeatedAfterReady: t1.cells[0].framesRepeated - t0.cells[0].framesRepeated,
    framesDelayed: t1.cells[0].framesDelayed,
    slipMs: t1.cells[0].slipMs,
  });
  await shot('02-viewer-playing');
  assert.ok(t1.cells[0].playing, 'auto-play on open');
  assert.ok(Math.abs(fps - LOOP_FPS) / LOOP_FPS <= 0.1, `played ${fps.toFixed(1)} fps, acquired ${LOOP_FPS.toFixed(1)}`);
  assert.equal(t1.cells[0].framesDropped, 0);
});

test('a direct open (EHR launch URL) paints the first frame quickly', async () => {
  const uid = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
  await page.goto(`${base}/viewer/${encodeURIComponent(uid)}`);
  await page.waitForFunction(() => window.__systoleStats?.cells?.[0]?.loopReadyMs != null, null, { timeout: 15000 });
  const s = await stats();
  figures.directOpen = { firstFramePaintedMs: s.cells[0].firstFramePaintedMs, loopReadyMs: s.cells[0].loopReadyMs };
});

test('pause, then step forward and back by exactly one frame', async () => {
  await page.keyboard.press('Space');
  await page.waitForFunction(() => window.__systoleStats.cells[0].playing === false);
  await page.waitForTimeout(100);
  const paused = await frameNumber();
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((f) => !document.querySelector('.cell[data-cell="0"] [data-testid="frame-number"]').textContent.startsWith(`${f} /`), paused);
  const next = await frameNumber();
  assert.equal(next, (paused % LOOP_FRAMES) + 1);
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction((f) => document.querySelector('.cell[data-cell="0"] [data-testid="frame-number"]').textContent.startsWith(`${f} /`), paused);
  assert.equal(await frameNumber(), paused);
  await page.keyboard.press('End');
  await page.waitForFunction((n) => document.querySelector('.cell[data-cell="0"] [data-testid="frame-number"]').textContent.startsWith(`${n} /`), LOOP_FRAMES);
  await page.keyboard.press('Home');
  await page.waitForFunction(() => document.querySelector('.cell[data-cell="0"] [data-testid="frame-number"]').textContent.startsWith('1 /'));
  await shot('03-paused-stepped');
});

test('2x2 layout: the loops of the study, and a clear message for the instance without pixels', async () => {
  await page.keyboard.press('4');
  await page.waitForFunction(() => document.querySelectorAll('.cell').length === 4);
  await page.waitForFunction(() => window.__systoleStats.cells.length === 3 && window.__systoleStats.cells[1].loopReadyMs != null, null, { timeout: 15000 });
  const message = page.locator('.cell-message:not([hidden])');
  await message.first().waitFor();
  assert.match(await message.first().textContent(), /no pixel data/i);
  await page.waitForTimeout(1000);
  const s = await stats();
  assert.ok(s.cells[1].playing && s.cells[1].framesPresented > 10, 'the second loop plays');
  await shot('04-layout-2x2');
  await page.keyboard.press('?');
  await page.locator('.help').waitFor();
  await shot('05-help');
  await page.keyboard.press('Escape');
});
