// End-to-end: Doppler time tools on a synthetic spectral Doppler image with a
// known time scale (tools/make_doppler_ecg.py), the ECG a cine carries in its
// own Waveform Sequence, and measurements on a prior study's loop saved into
// the prior study — Debian's Chromium against a real `systole serve`.
//
// Environment: as viewer.e2e.mjs (SYSTOLE_BINARY, SYSTOLE_TESTDATA, E2E_ARTIFACTS, CHROMIUM).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cellMapping, dciodvfy, finishRun, launchBrowser, newViewerPage, retrieveInstance, startServer, stow } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const binary = process.env.SYSTOLE_BINARY ?? join(repo, 'build/systole');
const testdata = process.env.SYSTOLE_TESTDATA ?? resolve(repo, '../shared/testdata');
const XA_WITH_CURVE = join(testdata, 'dicom/xa/fodicom__HasFragmentSequence.dcm'); // 96 frames, ECG as curve data (5000,xxxx)
const artifacts = process.env.E2E_ARTIFACTS ?? mkdtempSync(join(tmpdir(), 'systole-e2e-artifacts-'));

let work, server, base, browser, page, objects, phantom, priorPhantom;
const figures = {};

function python(args) {
  const r = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const stats = () => page.evaluate(() => JSON.parse(JSON.stringify(window.__systoleStats)));
const shot = (name) => page.screenshot({ path: join(artifacts, `${name}.png`) });
const metadataOf = async (study) => (await fetch(`${base}/dicomweb/studies/${study}/metadata`)).json();
const srOf = (metadata) => metadata.filter((ds) => ds['00080060']?.Value?.[0] === 'SR');

before(async () => {
  assert.ok(existsSync(binary), `no server binary at ${binary} (run make build)`);
  assert.ok(existsSync(join(repo, 'web/dist/index.html')), 'the viewer is not built (run make build)');
  mkdirSync(artifacts, { recursive: true });
  work = mkdtempSync(join(tmpdir(), 'systole-e2e-doppler-'));
  server = await startServer(binary, join(work, 'data'));
  base = `http://127.0.0.1:${server.port}`;
  objects = python([join(repo, 'tools/make_doppler_ecg.py'), join(work, 'doppler')]);
  phantom = python([join(repo, 'tools/make_lv_phantom.py'), join(work, 'phantom')]);
  priorPhantom = python([join(repo, 'tools/make_lv_phantom.py'), join(work, 'prior'), '--study-date', '20250301', '--es-radii', '2.0', '1.8']);
  await stow(base, [objects.doppler.file, objects.ecgCine.file]);
  await stow(base, [phantom.loops.A4C.file, priorPhantom.loops.A4C.file, XA_WITH_CURVE]);
  browser = await launchBrowser();
  page = await newViewerPage(browser);
});

after(() => finishRun({ browser, server, artifacts, prefix: 'doppler-', figures, work }));

async function openStudy(uid, sop) {
  await page.goto(`${base}/viewer/${encodeURIComponent(uid)}`);
  await page.waitForFunction(() => window.__systoleStats?.cells?.[0]?.firstFramePaintedMs != null, null, { timeout: 15000 });
  if (sop) {
    await page.locator(`.thumb[data-sop="${sop}"]`).click();
    await page.waitForFunction((u) => window.__systoleStats.cells[0]?.sopInstanceUID === u && window.__systoleStats.cells[0].loopReadyMs != null, sop, {
      timeout: 15000,
    });
  }
}

// Drags with the current tool in cell `cell` from image point a to b.
async function drag(cell, geometry, a, b) {
  const map = await cellMapping(page, cell, geometry);
  const p = map.toPage(...a);
  const q = map.toPage(...b);
  await page.mouse.move(p.x, p.y);
  await page.mouse.down();
  await page.mouse.move(q.x, q.y, { steps: 4 });
  await page.mouse.up();
  return map.scale;
}

const item = (cell, kind) => page.locator(`.cell[data-cell="${cell}"] [data-testid="measurement"][data-kind="${kind}"]`);
const numbers = async (locator) => [...(await locator.textContent()).matchAll(/(-?\d+(?:\.\d+)?) (ms|cm\/s²|cm)/g)].map((m) => Number(m[1]));

// Waits until cell `cell` shows a refusal matching `expected` (an earlier one may still be up).
async function assertRefused(cell, expected) {
  const text = () => page.locator(`.cell[data-cell="${cell}"] [data-testid="measure-message"]:not([hidden])`).textContent({ timeout: 5000 });
  for (let end = Date.now() + 5000; Date.now() < end; await page.waitForTimeout(50)) if (expected.test(await text())) return;
  assert.match(await text(), expected);
}

test('Doppler time interval and deceleration slope in the spectral region, from PhysicalDeltaX; refused outside it; saved and reloaded', async () => {
  const d = objects.doppler;
  await openStudy(objects.studyInstanceUID, d.sopInstanceUID);
  const geometry = { columns: d.columns, rows: d.rows };
  const pixelMs = d.sPerPixel * 1000;

  await page.keyboard.press('t');
  await drag(0, geometry, d.peak, d.nextPeak);
  await item(0, 'time').waitFor({ timeout: 5000 });
  const [interval] = await numbers(item(0, 'time'));
  figures.timeInterval = { measuredMs: interval, expectedMs: d.expected.peakToPeakMs, pixelMs };
  assert.ok(Math.abs(interval - d.expected.peakToPeakMs) <= pixelMs + 0.5, `interval ${interval} ms vs ${d.expected.peakToPeakMs}`);

  // Outside the region whose x is time (the 2D region above), and across both regions: refused.
  await drag(0, geometry, [100.5, 60.5], [300.5, 60.5]);
  await assertRefused(0, /outside the ultrasound region calibrated for time/);
  await drag(0, geometry, [100.5, 150.5], [300.5, 250.5]);
  await assertRefused(0, /spans two ultrasound regions/);
  assert.equal(await item(0, 'time').count(), 1, 'refused intervals are not kept');

  // The spectrum is mitral inflow: X sets the site of the next Doppler measurements.
  await page.keyboard.press('x');
  assert.equal(await page.locator('[data-testid="doppler-site"]').inputValue(), 'MV');
  await page.keyboard.press('k');
  await drag(0, geometry, d.peak, d.decelerationEnd);
  await item(0, 'slope').waitFor({ timeout: 5000 });
  const [slope, dt] = await numbers(item(0, 'slope'));
  figures.deceleration = { slope, dt, expected: d.expected };
  assert.ok(Math.abs(slope - d.expected.slopeCmPerSecond2) / d.expected.slopeCmPerSecond2 <= 0.03, `slope ${slope} vs ${d.expected.slopeCmPerSecond2}`);
  assert.ok(Math.abs(dt - d.expected.decelerationMs) <= pixelMs + 0.5, `DT ${dt} vs ${d.expected.decelerationMs}`);
  // A slope must run down towards the baseline, later in time: the E wave's upstroke is refused.
  await drag(0, geometry, d.peak, [d.peak[0] - 40, d.baselineRow + 0.5]);
  await assertRefused(0, /deceleration slope runs from the peak down/);
  assert.equal(await item(0, 'slope').count(), 1);
  await shot('30-doppler-time');

  await page.keyboard.press('k');
  await page.keyboard.press('s');
  await page.waitForFunction(() => /Saved 2 measurements/.test(document.querySelector('[data-testid="save-state"]')?.textContent ?? ''), null, {
    timeout: 10000,
  });
  const [sr] = srOf(await metadataOf(objects.studyInstanceUID));
  const file = join(artifacts, 'doppler-sr.dcm');
  await retrieveInstance(base, objects.studyInstanceUID, sr['0020000E'].Value[0], sr['00080018'].Value[0], file);
  const check = dciodvfy(file);
  if (check) {
    writeFileSync(join(artifacts, 'doppler-sr.dciodvfy.txt'), check.out);
    assert.deepEqual(check.errors, [], check.out);
  }
  await page.reload();
  await item(0, 'slope').waitFor({ timeout: 15000 });
  assert.deepEqual(await numbers(item(0, 'slope')), [slope, dt], 'the slope comes back from the SR');
  assert.equal(await item(0, 'slope').getAttribute('data-site'), 'MV', 'and its site');
  assert.deepEqual(await numbers(item(0, 'time')), [interval]);
  // Captured once: a TTE report of the study gets the mitral deceleration time from the viewer's SR.
  const created = await fetch(`${base}/api/studies/${objects.studyInstanceUID}/reports`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ template: 'tte' }),
  });
  assert.equal(created.status, 201);
  const field = (await created.json()).fields.find((f) => f.id === 'mv.deceleration_time');
  figures.reportDecelerationTime = field;
  assert.equal(field.value, String(Math.round(dt)), JSON.stringify(field));
  assert.equal(field.unit, 'ms');
});

test("ECG carried in the cine's own Waveform Sequence: drawn under its cell, cursor at the frame time, R waves drive the cycles", async () => {
  const c = objects.ecgCine;
  await openStudy(objects.studyInstanceUID, c.sopInstanceUID);
  const strip = page.locator('.cell[data-cell="0"] [data-testid="ecg"]');
  await strip.waitFor({ timeout: 10000 });
  assert.equal(await strip.getAttribute('data-aligned'), 'embedded');
  assert.equal(await strip.getAttribute('data-lead'), 'Lead II');
  const cell = (await stats()).cells[0];
  assert.equal(cell.cycleSource, 'R-wave', 'R waves found in the embedded ECG');
  assert.match(await page.locator('.cell[data-cell="0"] .rate').textContent(), /HR 75\b/);
  if ((await stats()).cells[0].playing) await page.keyboard.press('Space');
  await page.keyboard.press('Home');
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.querySelector('.cell[data-cell="0"] [data-testid="frame-number"]').textContent.startsWith('6 /'));
  assert.equal(Number(await strip.getAttribute('data-cursor-ms')), 5 * c.frameTimeMs, 'frame 6 is 100 ms into the loop and its ECG');
  // The strip has the bottom of the cell to itself: the image and the frame label lie above it.
  const stripBox = await strip.boundingBox();
  const imageBox = await page.locator('.cell[data-cell="0"] > canvas.frame').boundingBox();
  const labelBox = await page.locator('.cell[data-cell="0"] [data-testid="frame-number"]').boundingBox();
  assert.ok(imageBox.y + imageBox.height <= stripBox.y + 0.5, `image ${JSON.stringify(imageBox)} overlaps the ECG ${JSON.stringify(stripBox)}`);
  assert.ok(labelBox.y + labelBox.height <= stripBox.y + 0.5, 'the frame label is above the ECG');
  figures.embeddedEcg = { cycleSource: cell.cycleSource, rWavesMs: c.rWavesMs };
  await shot('31-embedded-ecg');
  // Its thumbnail plays while hovered, and shows the first frame again after.
  const thumb = page.locator(`.thumb[data-sop="${c.sopInstanceUID}"] img`);
  await page.mouse.move(700, 400); // off the strip (the click that opened the loop left it there)
  const still = await thumb.getAttribute('src');
  assert.match(still, /thumbnail/);
  await thumb.hover();
  await page.waitForFunction((sop) => Number(document.querySelector(`.thumb[data-sop="${sop}"] img`)?.dataset.previewFrame) > 1, c.sopInstanceUID, {
    timeout: 5000,
  });
  await page.mouse.move(700, 400);
  assert.equal(await thumb.getAttribute('src'), still);
  assert.equal(await thumb.getAttribute('data-preview-frame'), null);
});

test("a measurement on the prior's loop (side by side) is saved into the prior study and shows again when reopened", async () => {
  const current = phantom.loops.A4C.sopInstanceUID;
  const priorSop = priorPhantom.loops.A4C.sopInstanceUID;
  await openStudy(phantom.studyInstanceUID, current);
  await page.locator('[data-testid="prior-select"] option:nth-child(2)').waitFor({ state: 'attached' });
  await page.keyboard.press('p');
  await page.waitForFunction((want) => window.__systoleStats.cells.map((c) => c.sopInstanceUID).join() === want && window.__systoleStats.cells.every((c) => c.loopReadyMs != null), [current, priorSop].join(), {
    timeout: 15000,
  });
  await page.keyboard.press('d');
  const geometry = { columns: phantom.columns, rows: phantom.rows };
  await drag(1, geometry, [100.5, 100.5], [200.5, 100.5]);
  await item(1, 'distance').waitFor({ timeout: 5000 });
  const [cm] = await numbers(item(1, 'distance'));
  assert.ok(Math.abs(cm - 100 * phantom.cmPerPixel) <= 2 * phantom.cmPerPixel, `distance ${cm} cm`);
  const trackingUid = await item(1, 'distance').getAttribute('data-tracking-uid');
  await page.keyboard.press('d');
  await page.keyboard.press('s');
  await page.waitForFunction(() => /Saved 1 measurement \(SR\), 1 of them in the prior study/.test(document.querySelector('[data-testid="save-state"]')?.textContent ?? ''), null, {
    timeout: 10000,
  });
  assert.equal(srOf(await metadataOf(phantom.studyInstanceUID)).length, 0, 'nothing stored in the current study');
  const [sr] = srOf(await metadataOf(priorPhantom.studyInstanceUID));
  assert.ok(sr, 'the SR is stored in the prior study');
  assert.equal(sr['0020000D'].Value[0], priorPhantom.studyInstanceUID);
  const evidence = sr['0040A375'].Value[0];
  assert.equal(evidence['0020000D'].Value[0], priorPhantom.studyInstanceUID);
  assert.equal(evidence['00081115'].Value[0]['00081199'].Value[0]['00081155'].Value[0], priorSop, "it references the prior's own instance");
  await shot('32-prior-measurement');

  await page.reload();
  await page.waitForFunction(() => window.__systoleStats?.cells?.[0]?.firstFramePaintedMs != null, null, { timeout: 15000 });
  await page.locator('[data-testid="prior-select"] option:nth-child(2)').waitFor({ state: 'attached' });
  await page.keyboard.press('p');
  await item(1, 'distance').waitFor({ timeout: 15000 });
  assert.equal(await item(1, 'distance').getAttribute('data-tracking-uid'), trackingUid, 'the same measurement, read back from the prior study');
  assert.equal(await item(0, 'distance').count(), 0);
  // Saving a new measurement of the current study leaves the prior study alone (no second SR there).
  await page.keyboard.press('d');
  await drag(0, geometry, [100.5, 150.5], [200.5, 150.5]);
  await item(0, 'distance').waitFor({ timeout: 5000 });
  await page.keyboard.press('d');
  await page.keyboard.press('s');
  await page.waitForFunction(() => /^Saved 1 measurement \(SR\)$/.test(document.querySelector('[data-testid="save-state"]')?.textContent ?? ''), null, {
    timeout: 10000,
  });
  assert.equal(srOf(await metadataOf(phantom.studyInstanceUID)).length, 1);
  assert.equal(srOf(await metadataOf(priorPhantom.studyInstanceUID)).length, 1, 'the unchanged prior gets no new SR');
});

test('a real XA run with its ECG as curve data (50xx): drawn under its cell, cursor following the frames', async () => {
  const r = await fetch(`${base}/dicomweb/studies?ModalitiesInStudy=XA`, { headers: { Accept: 'application/dicom+json' } });
  const [study] = await r.json();
  await openStudy(study['0020000D'].Value[0]);
  const strip = page.locator('.cell[data-cell="0"] [data-testid="ecg"]');
  await strip.waitFor({ timeout: 10000 });
  assert.equal(await strip.getAttribute('data-aligned'), 'embedded');
  assert.match(await strip.getAttribute('data-lead'), /ECG curve \(group 5000\)/);
  assert.equal((await stats()).cells[0].cycleSource, 'R-wave');
  if ((await stats()).cells[0].playing) await page.keyboard.press('Space');
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.querySelector('.cell[data-cell="0"] [data-testid="frame-number"]').textContent.startsWith('2 /'));
  assert.equal(Number(await strip.getAttribute('data-cursor-ms')), 33, 'frame 2 of a 33 ms run');
  await shot('33-xa-curve-ecg');
});
