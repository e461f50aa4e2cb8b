// End-to-end: the viewer in Debian's Chromium (headless, software rendering,
// 1400x900) against a real `systole serve` holding real echo cines.
//
// Environment: SYSTOLE_BINARY (default build/systole), SYSTOLE_TESTDATA
// (default ../shared/testdata), E2E_ARTIFACTS (screenshots and the server
// log; default a temp dir), CHROMIUM (default /usr/bin/chromium).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ECHO, binary, cellMapping as cellMappingOf, dciodvfy, dicomGeometry, drag as dragOn, finishRun, here, launchBrowser, repo, retrieveInstance,
  startServer, stow as stowFiles, testdata,
} from './harness.mjs';

const artifacts = process.env.E2E_ARTIFACTS ?? mkdtempSync(join(tmpdir(), 'systole-e2e-artifacts-'));
const cine = join(testdata, 'dicom/cine');

// The loop under test (harness ECHO).
const { file: LOOP, patientId: LOOP_PATIENT_ID, fps: LOOP_FPS, frames: LOOP_FRAMES } = ECHO;
const OTHERS = ['pydicom__examples_ybr_color.dcm', 'dicomparser__IM00001_jpeg_baseline_fragmented_nobot.dcm'];

let work, server, base, browser, page, generatedDir;
const figures = {};
const cspViolations = [];

const stow = (files) => stowFiles(base, files);

const stats = () => page.evaluate(() => JSON.parse(JSON.stringify({ now: performance.now(), ...window.__systoleStats })));
const frameNumber = async (cell = 0) => {
  const text = await page.locator(`.cell[data-cell="${cell}"] [data-testid="frame-number"]`).textContent();
  const m = /^(\d+) \/ (\d+)$/.exec(text.trim());
  assert.ok(m, `frame overlay reads "${text}"`);
  return Number(m[1]);
};
const cellMapping = (cell, geometry) => cellMappingOf(page, cell, geometry);

const drag = (from, to) => dragOn(page, from, to);

const measurementTexts = (cell = 0) =>
  page.locator(`.cell[data-cell="${cell}"] [data-testid="measurement"]`).allTextContents();

const shot = (name) => page.screenshot({ path: join(artifacts, `${name}.png`) });

before(async () => {
  assert.ok(existsSync(binary), `no server binary at ${binary} (run make build)`);
  assert.ok(existsSync(join(repo, 'web/dist/index.html')), 'the viewer is not built (run make build)');
  mkdirSync(artifacts, { recursive: true });
  work = mkdtempSync(join(tmpdir(), 'systole-e2e-'));
  server = await startServer(binary, join(work, 'data'));
  base = `http://127.0.0.1:${server.port}`;
  const generated = join(work, 'generated');
  const gen = spawnSync('/usr/bin/python3', [join(here, 'make_test_study.py'), LOOP, generated], { encoding: 'utf8' });
  assert.equal(gen.status, 0, gen.stderr);
  await stow([
    LOOP,
    join(generated, 'second_loop.dcm'),
    join(generated, 'no_pixels.dcm'),
    join(generated, 'doppler.dcm'),
    join(generated, 'uncalibrated.dcm'),
    join(generated, 'sync_rest.dcm'),
    join(generated, 'sync_peak.dcm'),
    ...OTHERS.map((f) => join(cine, f)),
  ]);
  generatedDir = generated;
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e));
  // The server's Content-Security-Policy must not block anything the viewer does.
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
});

after(async () => {
  await finishRun({ browser, server, artifacts, prefix: '', figures, work });
  console.log('artefacts in', artifacts);
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
  // The rate is measured once the start-up pass (the first pass after the loop is in) is over: in it
  // a stall delays the next frame instead of dropping frames (playback.ts), by design, and on two
  // busy cores one clean-clone run in six measured 29.6 fps over the 2.5 s right after ready.
  await page.waitForTimeout((1000 * LOOP_FRAMES) / LOOP_FPS);
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
    framesRepeatedWhileLoading: ready.cells[0].framesRepeated,
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
  // The page of a viewer URL carries the study's first image (src/server/viewer_page.h), which the
  // browser paints while the app loads; the first cell takes it over as its first frame on screen,
  // then its frame canvas takes over with the same frame (?autoplay=0: the loop loads, shows its
  // first frame, and waits): no poster left, the frame canvas visible and showing the image.
  const html = await (await fetch(`${base}/viewer/${encodeURIComponent(uid)}`)).text();
  assert.match(html, new RegExp(`<img id="boot-poster"[^>]* src="/dicomweb/studies/${uid.replaceAll('.', '\\.')}/thumbnail\\?viewport=4096,4096">`));
  await page.addInitScript(() => {
    window.__posters = { adopted: 0, canvas: 0, paintedMs: null };
    new MutationObserver((records) => {
      for (const r of records)
        for (const n of r.addedNodes) {
          if (n.nodeName === 'CANVAS' && n.classList.contains('poster')) window.__posters.canvas++;
          if (n.nodeName === 'IMG' && n.classList.contains('poster') && n.closest('.cell[data-cell="0"]')) window.__posters.adopted++;
        }
    }).observe(document, { subtree: true, childList: true });
    new PerformanceObserver((list) => {
      // its first paint (moved into the cell, it is painted, and reported, again)
      for (const e of list.getEntries()) if (e.identifier === 'boot-poster') window.__posters.paintedMs ??= e.renderTime;
    }).observe({ type: 'element', buffered: true });
  });
  await page.goto(`${base}/viewer/${encodeURIComponent(uid)}?autoplay=0`);
  await page.waitForFunction(() => window.__systoleStats?.cells?.[0]?.loopReadyMs != null, null, { timeout: 15000 });
  await page.waitForTimeout(300);
  const still = (await stats()).cells[0];
  assert.equal(still.playing, false);
  assert.ok(still.firstFramePaintedMs != null && still.framesPresented <= 1, JSON.stringify(still));
  const handOver = await page.evaluate(() => {
    const frame = document.querySelector('.cell[data-cell="0"] canvas.frame');
    const d = frame.getContext('2d').getImageData(0, 0, frame.width, frame.height).data;
    let lit = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 72) lit++;
    return { ...window.__posters, left: document.querySelectorAll('.poster, .boot-poster').length, visibility: frame.style.visibility, lit };
  });
  figures.poster = handOver;
  assert.equal(handOver.adopted, 1, "the first cell took the page's image over");
  assert.equal(handOver.canvas, 0, 'no second poster');
  assert.ok(handOver.paintedMs > 0, 'the browser painted the image');
  assert.equal(still.firstFramePaintedMs, handOver.paintedMs, "the cell's first paint is the image's");
  assert.ok(still.firstFramePaintedMs <= still.loopReadyMs);
  assert.equal(handOver.left, 0, 'the frame canvas took over');
  assert.notEqual(handOver.visibility, 'hidden');
  assert.ok(handOver.lit > 1000, `the frame canvas shows the first frame (${handOver.lit} lit pixels)`);
  // The image is the first frame of the loop in the first cell (the server's order is the viewer's).
  const metadata = await (await fetch(`${base}/dicomweb/studies/${uid}/metadata`)).json();
  const shown = metadata.find((ds) => ds['00080018'].Value[0] === still.sopInstanceUID);
  const frameUrl = `${base}/dicomweb/studies/${uid}/series/${shown['0020000E'].Value[0]}/instances/${still.sopInstanceUID}/frames/1/rendered`;
  const bytes = async (url) => Buffer.from(await (await fetch(url, { headers: { Accept: 'image/jpeg' } })).arrayBuffer());
  assert.ok((await bytes(`${base}/dicomweb/studies/${uid}/thumbnail?viewport=4096,4096`)).equals(await bytes(frameUrl)));
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

test('3x3: a loop put in a small cell is decoded at the size shown and plays; zoomed in, it is decoded again at full size', async () => {
  await page.keyboard.press('9');
  await page.waitForFunction(() => document.querySelectorAll('.cell').length === 9);
  // The loops already shown keep their frames; the echo put into the empty cell 4 is new there.
  await page.locator('.cell[data-cell="4"]').click();
  await page.locator(`.thumb[data-sop="${dicomGeometry(LOOP).sop}"]`).click();
  await page.waitForFunction(() => window.__systoleStats.cells.length === 4 && window.__systoleStats.cells.every((c) => c.loopReadyMs != null || c.error), null, { timeout: 15000 });
  const small = await page.locator('.cell[data-cell="4"]').evaluate((el) => ({
    index: el.dataset.cell,
    decoded: el.dataset.decoded,
    canvas: [el.querySelector('canvas.frame').width, el.querySelector('canvas.frame').height],
  }));
  assert.match(small.decoded ?? '', /^\d+x\d+$/, JSON.stringify(small));
  const [w, h] = small.decoded.split('x').map(Number);
  assert.ok(w < 480 && h < 430, `decoded ${small.decoded}, acquired 480x430`);
  assert.ok(w <= small.canvas[0] + 1 && h <= small.canvas[1] + 1, `decoded ${small.decoded} for a ${small.canvas.join('x')} canvas`);
  figures.grid3x3 = small;
  const label = page.locator(`.cell[data-cell="${small.index}"] [data-testid="frame-number"]`);
  const before = await label.textContent();
  await page.waitForFunction(([i, t]) => document.querySelector(`.cell[data-cell="${i}"] [data-testid="frame-number"]`).textContent !== t, [small.index, before]);
  await shot('05b-layout-3x3');
  const box = await page.locator(`.cell[data-cell="${small.index}"] canvas.frame`).boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -500);
  await page.waitForFunction((i) => document.querySelector(`.cell[data-cell="${i}"]`).dataset.decoded === 'full', small.index, { timeout: 15000 });
  await page.keyboard.press('r');
});

test('a calibrated distance on the echo matches its ultrasound region calibration within 1%', async () => {
  await page.keyboard.press('1');
  await page.waitForFunction(() => document.querySelectorAll('.cell').length === 1);
  await page.keyboard.press('Space'); // pause (measuring also pauses)
  const geometry = dicomGeometry(LOOP);
  const tissue = geometry.regions.find((r) => r.unitsX === 3 && r.unitsY === 3);
  assert.ok(tissue, 'the test loop has a 2D region in cm');
  const map = await cellMapping(0, geometry);
  const from = map.toPage(tissue.minX + 60, tissue.minY + 50);
  const to = map.toPage(tissue.maxX - 40, tissue.maxY - 30);
  await page.keyboard.press('d');
  await drag(from, to);
  const item = page.locator('.cell[data-cell="0"] [data-testid="measurement"]').first();
  await item.waitFor();
  const a = map.toImage(from);
  const b = map.toImage(to);
  const expected = Math.hypot((b.x - a.x) * Math.abs(tissue.dx), (b.y - a.y) * Math.abs(tissue.dy));
  const shown = Number(/([\d.]+) cm/.exec(await item.textContent())?.[1]);
  figures.distance = { expectedCm: expected, shownCm: shown };
  assert.ok(Math.abs(shown - expected) / expected <= 0.01, `shown ${shown} cm, expected ${expected.toFixed(3)} cm`);
  await shot('06-distance');

  // From the 2D image into the ECG strip: two regions, two scales — refused.
  const ecg = geometry.regions.find((r) => r !== tissue);
  await drag(map.toPage(tissue.minX + 100, tissue.maxY - 20), map.toPage(ecg.minX + 100, ecg.minY + 10));
  const refusal = page.locator('.cell[data-cell="0"] [data-testid="measure-message"]');
  await refusal.waitFor();
  assert.match(await refusal.textContent(), /spans two ultrasound regions/);
  assert.equal((await measurementTexts(0)).length, 1, 'the refused drawing added nothing');
  await shot('07-distance-refused');
  await page.keyboard.press('Escape'); // tool off
});

test('measurements saved as a DICOM SR come back when the study is reopened; the SR passes dciodvfy', async () => {
  const before = await measurementTexts(0);
  assert.equal(before.length, 1);
  await page.keyboard.press('s');
  await page.waitForFunction(() => /Saved 1 measurement/.test(document.querySelector('[data-testid="save-state"]')?.textContent ?? ''), null, { timeout: 10000 });
  await page.reload();
  await page.waitForFunction(() => window.__systoleStats?.cells?.[0]?.firstFramePaintedMs != null, null, { timeout: 15000 });
  const item = page.locator('.cell[data-cell="0"] [data-testid="measurement"]').first();
  await item.waitFor();
  assert.deepEqual(await measurementTexts(0), before, 'the same measurement, read back from the SR');
  await shot('08-measurement-reloaded');

  // The stored SR, as the archive returns it, validated by dicom3tools.
  const uid = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
  const metadata = await (await fetch(`${base}/dicomweb/studies/${uid}/metadata`)).json();
  const sr = metadata.find((ds) => ds['00080060']?.Value?.[0] === 'SR');
  assert.ok(sr, 'an SR instance is in the study');
  const [series, sop] = [sr['0020000E'].Value[0], sr['00080018'].Value[0]];
  const file = join(artifacts, 'measurements-sr.dcm');
  await retrieveInstance(base, uid, series, sop, file);
  const check = dciodvfy(file);
  if (!check) {
    figures.dciodvfy = 'not installed';
  } else {
    writeFileSync(join(artifacts, 'measurements-sr.dciodvfy.txt'), check.out);
    figures.dciodvfy = { errors: check.errors.length, warnings: check.warnings.length };
    assert.deepEqual(check.errors, [], check.out);
  }

  // Deleting the measurement and saving stores a report without it: the study reopens without it.
  await page.keyboard.press('Delete'); // the last measurement of the active cell (the first)
  await page.waitForFunction(() => document.querySelectorAll('.cell[data-cell="0"] [data-testid="measurement"]').length === 0);
  await page.keyboard.press('s');
  await page.waitForFunction(() => /no measurements left/.test(document.querySelector('[data-testid="save-state"]')?.textContent ?? ''), null, { timeout: 10000 });
  await page.reload();
  await page.waitForFunction(() => window.__systoleStats?.cells?.[0]?.firstFramePaintedMs != null, null, { timeout: 15000 });
  await page.waitForTimeout(500);
  assert.deepEqual(await measurementTexts(0), [], 'the deleted measurement stays deleted');
  const emptied = (await (await fetch(`${base}/dicomweb/studies/${uid}/metadata`)).json()).filter((ds) => ds['00080060']?.Value?.[0] === 'SR');
  assert.equal(emptied.length, 2, 'the first report is kept; the new one is the latest');
  const latest = emptied.find((ds) => ds['00080018'].Value[0] !== sop);
  const emptyFile = join(artifacts, 'measurements-cleared-sr.dcm');
  await retrieveInstance(base, uid, latest['0020000E'].Value[0], latest['00080018'].Value[0], emptyFile);
  const emptyCheck = dciodvfy(emptyFile);
  if (emptyCheck) assert.deepEqual(emptyCheck.errors, [], emptyCheck.out);
});

test('Doppler velocity and peak gradient; an uncalibrated image refuses to measure', async () => {
  const doppler = dicomGeometry(join(generatedDir, 'doppler.dcm'));
  await page.goto(`${base}/viewer/${encodeURIComponent(doppler.study)}`);
  await page.waitForFunction(() => window.__systoleStats?.cells?.[0]?.firstFramePaintedMs != null, null, { timeout: 15000 });
  await page.keyboard.press('Space');
  const spectrum = doppler.regions.find((r) => r.unitsY === 7);
  const map = await cellMapping(0, doppler);
  const at = map.toPage(spectrum.minX + 150, spectrum.minY + spectrum.refY + 30.5);
  await page.keyboard.press('v');
  await page.mouse.click(at.x, at.y);
  const item = page.locator('.cell[data-cell="0"] [data-testid="measurement"]').first();
  await item.waitFor();
  const row = Math.floor(map.toImage(at).y);
  const expectedV = (row - (spectrum.minY + spectrum.refY)) * spectrum.dy;
  const text = await item.textContent();
  const v = Number(/(-?[\d.]+) cm\/s/.exec(text)?.[1]);
  const g = Number(/([\d.]+) mmHg/.exec(text)?.[1]);
  figures.doppler = { expectedCmPerS: expectedV, shownCmPerS: v, shownMmHg: g };
  assert.ok(Math.abs(v - expectedV) <= Math.abs(spectrum.dy) + 0.05, `velocity ${v}, expected ${expectedV}`);
  assert.ok(Math.abs(g - 4 * (v / 100) ** 2) < 0.06, `gradient ${g} from ${v} cm/s`);
  await shot('09-doppler');

  await page.keyboard.press('2');
  await page.waitForFunction(() => window.__systoleStats.cells.length === 2 && window.__systoleStats.cells[1].firstFramePaintedMs != null, null, { timeout: 15000 });
  const map2 = await cellMapping(1, doppler);
  await page.keyboard.press('d');
  await drag(map2.toPage(150, 100), map2.toPage(300, 250));
  const refusal = page.locator('.cell[data-cell="1"] [data-testid="measure-message"]');
  await refusal.waitFor();
  assert.match(await refusal.textContent(), /not calibrated/i);
  assert.equal((await measurementTexts(1)).length, 0);
  await shot('10-uncalibrated-refused');
  await page.keyboard.press('Escape');
});

test('zoom while playing keeps the acquired rate; window/level and invert apply; R resets', async () => {
  await page.keyboard.press('1');
  await page.waitForFunction(() => document.querySelectorAll('.cell').length === 1);
  const cell = page.locator('.cell[data-cell="0"]');
  const canvasFilter = () => page.locator('.cell[data-cell="0"] canvas.frame').evaluate((el) => el.style.filter);
  const box = await cell.boundingBox();
  const c = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  await page.mouse.move(c.x, c.y);
  await page.mouse.wheel(0, -300);
  await page.waitForFunction(() => Number(document.querySelector('.cell[data-cell="0"]').dataset.zoom) > 1.2);
  // Play (the loop may already play: the 1×2 of the previous test was synchronized, which plays all loops).
  if (!(await stats()).cells[0].playing) await page.keyboard.press('Space');
  await page.waitForFunction(() => window.__systoleStats.cells[0].playing);
  const played = async () => {
    await page.waitForTimeout(300);
    const t0 = await stats();
    await page.waitForTimeout(2000);
    const t1 = await stats();
    return {
      fps: (t1.cells[0].framesPresented - t0.cells[0].framesPresented) / ((t1.now - t0.now) / 1000),
      framesDropped: t1.cells[0].framesDropped - t0.cells[0].framesDropped,
    };
  };
  const zoomed = await played();
  figures.zoomedPlayback = { ...zoomed, zoom: Number(await cell.getAttribute('data-zoom')) };
  assert.ok(Math.abs(zoomed.fps - LOOP_FPS) / LOOP_FPS <= 0.1, `played ${zoomed.fps.toFixed(1)} fps zoomed, acquired ${LOOP_FPS.toFixed(1)}`);
  assert.equal(zoomed.framesDropped, 0);

  // Window/level and invert: the pixels drawn are the stored ones through the window (one frame,
  // paused), and playing through them keeps the acquired rate.
  await page.keyboard.press('Space');
  await page.waitForFunction(() => !window.__systoleStats.cells[0].playing);
  const pixels = () =>
    page.locator('.cell[data-cell="0"] canvas.frame').evaluate((el) => {
      // the middle of the zoomed image (no letterbox there), every 13th pixel's R, G, B
      const [x, y, w, h] = [el.width * 0.2, el.height * 0.2, el.width * 0.6, el.height * 0.6].map(Math.floor);
      const d = el.getContext('2d').getImageData(x, y, w, h).data;
      return Array.from(d).filter((_, i) => (i >> 2) % 13 === 0 && i % 4 !== 3);
    });
  const stored = await pixels();
  await drag(c, { x: c.x - 80, y: c.y - 40 }); // narrower window, darker
  await page.keyboard.press('i');
  assert.equal(await cell.getAttribute('data-invert'), 'true');
  const [center, width] = (await cell.getAttribute('data-window')).split(',').map(Number);
  assert.ok(width < 255 && center > 128, `window ${center},${width}`);
  const shown = await pixels();
  const through = (v) => 255 - 255 * Math.min(1, Math.max(0, (v - (center - width / 2)) / width));
  const misses = stored.map((v, i) => Math.abs(shown[i] - through(v))).filter((d) => d > 4);
  assert.ok(stored.some((v) => v > 60), 'the probed square shows part of the image');
  assert.equal(misses.length, 0, `${misses.length} of ${stored.length} values off the window (worst ${Math.max(...misses)})`);
  assert.equal(await canvasFilter(), '');
  await page.keyboard.press('Space');
  const windowed = await played();
  figures.windowInvertPlayback = windowed;
  assert.ok(Math.abs(windowed.fps - LOOP_FPS) / LOOP_FPS <= 0.1, `played ${windowed.fps.toFixed(1)} fps windowed, acquired ${LOOP_FPS.toFixed(1)}`);
  assert.equal(windowed.framesDropped, 0);
  await shot('11-window-invert-zoom');
  await page.keyboard.press('r');
  assert.equal(await cell.getAttribute('data-zoom'), '1.000');
  assert.equal(await cell.getAttribute('data-window'), '128,255');
  assert.equal(await cell.getAttribute('data-invert'), 'false');
  assert.equal(await canvasFilter(), '');

  // The frame on screen (JPEG decoded in a worker by libjpeg-turbo/WebAssembly, kept as pixels) is
  // the picture the browser's own decoder makes of the same rendered frame, drawn the same way.
  if ((await stats()).cells[0].playing) await page.keyboard.press('Space');
  await page.waitForFunction(() => !window.__systoleStats.cells[0].playing);
  for (let i = 0; i < 7; i++) await page.keyboard.press('ArrowRight'); // a frame decoded anew, not the first
  await page.waitForTimeout(300);
  const fidelity = await page.evaluate(async () => {
    const { sopInstanceUID: sop, currentFrame } = window.__systoleStats.cells[0];
    const study = location.pathname.split('/').pop();
    const metadata = await (await fetch(`/dicomweb/studies/${study}/metadata`, { headers: { Accept: 'application/dicom+json' } })).json();
    const series = metadata.find((m) => m['00080018'].Value[0] === sop)['0020000E'].Value[0];
    const url = `/dicomweb/studies/${study}/series/${series}/instances/${sop}/frames/${currentFrame + 1}/rendered`;
    const bitmap = await createImageBitmap(await (await fetch(url, { headers: { Accept: 'image/jpeg' } })).blob());
    const el = document.querySelector('.cell[data-cell="0"] canvas.frame');
    const scale = Math.min(el.width / bitmap.width, el.height / bitmap.height);
    const [w, h] = [Math.round(bitmap.width * scale), Math.round(bitmap.height * scale)];
    const [x, y] = [Math.floor((el.width - w) / 2), Math.floor((el.height - h) / 2)];
    const reference = new OffscreenCanvas(el.width, el.height).getContext('2d');
    reference.imageSmoothingQuality = 'medium';
    reference.drawImage(bitmap, x, y, w, h);
    const area = [x + w * 0.1, y + h * 0.1, w * 0.8, h * 0.8].map(Math.floor);
    const a = el.getContext('2d').getImageData(...area).data;
    const b = reference.getImageData(...area).data;
    let sum = 0;
    let worst = 0;
    let lit = 0;
    for (let i = 0; i < a.length; i++) {
      if (i % 4 === 3) continue;
      const d = Math.abs(a[i] - b[i]);
      sum += d;
      worst = Math.max(worst, d);
      if (b[i] > 60) lit++;
    }
    return { frame: currentFrame, meanDifference: sum / ((a.length / 4) * 3), worst, lit, decoded: el.parentElement.dataset.decoded };
  });
  figures.decodeFidelity = fidelity;
  assert.equal(fidelity.decoded, 'full');
  assert.ok(fidelity.lit > 1000, 'the compared area shows the image');
  assert.ok(fidelity.meanDifference < 1.5 && fidelity.worst <= 24, `frame ${fidelity.frame}: mean difference ${fidelity.meanDifference}, worst ${fidelity.worst}`);
});

test('2x2 synchronized review: loops of different lengths and rates stay in phase, no dropped frames', async () => {
  // The sync study (make_test_study.py): rest = 34 frames at 30 ms, peak = 24 frames at 45 ms.
  const studies = await (await fetch(`${base}/dicomweb/studies?PatientID=SYSTOLE_SYNC`, { headers: { Accept: 'application/dicom+json' } })).json();
  assert.equal(studies.length, 1);
  const uid = studies[0]['0020000D'].Value[0];
  await page.goto(`${base}/viewer/${encodeURIComponent(uid)}`);
  await page.waitForFunction(() => window.__systoleStats?.cells?.length === 1);
  await page.keyboard.press('g'); // stress quad: this view (A4C) across stages, 2x2, synchronized
  await page.waitForFunction(() => document.querySelectorAll('.cell').length === 4);
  await page.waitForFunction(
    () => window.__systoleStats.cells.length === 2 && window.__systoleStats.cells.every((c) => c.loopReadyMs != null && c.playing),
    null,
    { timeout: 15000 },
  );
  assert.equal(await page.locator('[data-testid="sync"]').getAttribute('class'), 'on');
  // each cell says which stage and view it shows (StageName, ViewName)
  const labels = await page.locator('.cell .overlay .label').allTextContents();
  assert.deepEqual(labels.map((l) => l.split(' · ').slice(0, 2).join(' · ')).sort(), ['PEAK · A4C', 'REST · A4C']);
  await page.waitForTimeout(300);
  // loaded: no cell says it is loading any more
  assert.deepEqual((await page.locator('.cell .overlay .rate').allTextContents()).filter((t) => /loading/.test(t)), []);
  const t0 = await stats();
  assert.deepEqual(t0.cells.map((c) => c.frameCount).sort(), [24, 34]);
  // Tolerance: one frame of the slower loop, as phase (45 ms of 1080 ms).
  const tolerance = Math.max(...t0.cells.map((c) => 1 / c.frameCount)) + 1e-6;
  let worst = 0;
  const samples = [];
  const end = Date.now() + 2000;
  while (Date.now() < end) {
    const s = await page.evaluate(() => window.__systoleStats.cells.map((c) => c.phase));
    const d = Math.abs(s[0] - s[1]);
    worst = Math.max(worst, Math.min(d, 1 - d));
    samples.push(s);
    await page.waitForTimeout(25);
  }
  const t1 = await stats();
  await shot('12-sync-2x2');
  const seconds = (t1.now - t0.now) / 1000;
  figures.sync = {
    samples: samples.length,
    worstPhaseDifference: worst,
    tolerance,
    // dropped in the sampled window (loading, before t0, is not what this test examines)
    framesDropped: t1.cells.map((c, i) => c.framesDropped - t0.cells[i].framesDropped),
    fps: t1.cells.map((c, i) => (c.framesPresented - t0.cells[i].framesPresented) / seconds),
    // in step, each loop's cycle lasts as long as the slowest one's (no loop plays faster than acquired)
    expectedFps: t1.cells.map((c) => c.frameCount / Math.max(...t1.cells.map((d) => d.frameCount / d.acquiredFps))),
    // refreshes the master clock held because a loop was not ready (slow motion)
    framesRepeated: t1.cells.map((c, i) => c.framesRepeated - t0.cells[i].framesRepeated),
    cycleSource: t1.cells.map((c) => c.cycleSource),
  };
  assert.ok(samples.length >= 20, `only ${samples.length} samples`);
  assert.ok(new Set(samples.map((s) => s[0].toFixed(3))).size > 10, 'the loops advance');
  assert.ok(worst <= tolerance, `phases ${worst.toFixed(4)} apart, tolerance ${tolerance.toFixed(4)}`);
  assert.deepEqual(figures.sync.framesDropped, [0, 0]);
  figures.sync.fps.forEach((fps, i) => {
    const expected = figures.sync.expectedFps[i];
    assert.ok(Math.abs(fps - expected) <= expected * 0.1, `loop ${i} played ${fps.toFixed(1)} fps in step, expected ${expected.toFixed(1)} (real time)`);
  });
  // Pause applies to both cells; Y switches sync off.
  await page.keyboard.press('Space');
  await page.waitForFunction(() => window.__systoleStats.cells.every((c) => !c.playing));
  await page.keyboard.press('y');
  assert.equal(await page.locator('[data-testid="sync"]').getAttribute('class'), '');
});

test('no Content-Security-Policy violation while the viewer was used', () => {
  assert.deepEqual(cspViolations, []);
});
