// End-to-end: the viewer's clinical tools in Debian's Chromium against a real
// `systole serve` — Simpson's biplane on the synthetic LV phantom
// (tools/make_lv_phantom.py, analytic volumes), the ECG under the cine (a
// real 12-lead ECG), and bad data shown as a message in its cell while the
// rest keeps working.
//
// Environment: as viewer.e2e.mjs (SYSTOLE_BINARY, SYSTOLE_TESTDATA,
// E2E_ARTIFACTS, CHROMIUM).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cellMapping, dciodvfy, finishRun, launchBrowser, retrieveInstance, startServer, stow } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const binary = process.env.SYSTOLE_BINARY ?? join(repo, 'build/systole');
const testdata = process.env.SYSTOLE_TESTDATA ?? resolve(repo, '../shared/testdata');
const artifacts = process.env.E2E_ARTIFACTS ?? mkdtempSync(join(tmpdir(), 'systole-e2e-artifacts-'));
const JPEG_LOOP = join(testdata, 'dicom/cine/orthanc__Issue16.dcm'); // 34 frames, JPEG baseline, FrameTime 30 ms
const ECG = join(testdata, 'dicom/waveform/pydicom__waveform_ecg.dcm'); // 12 leads, 10 s at 1000 Hz

let work, server, base, browser, page, phantom, priorPhantom, bad;
const figures = {};

function python(args) {
  const r = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const stats = () => page.evaluate(() => JSON.parse(JSON.stringify(window.__systoleStats)));
const shot = (name) => page.screenshot({ path: join(artifacts, `${name}.png`) });
const frameText = (cell = 0) => page.locator(`.cell[data-cell="${cell}"] [data-testid="frame-number"]`).textContent();

before(async () => {
  assert.ok(existsSync(binary), `no server binary at ${binary} (run make build)`);
  assert.ok(existsSync(join(repo, 'web/dist/index.html')), 'the viewer is not built (run make build)');
  mkdirSync(artifacts, { recursive: true });
  work = mkdtempSync(join(tmpdir(), 'systole-e2e-clinical-'));
  server = await startServer(binary, join(work, 'data'));
  base = `http://127.0.0.1:${server.port}`;
  phantom = JSON.parse(python([join(repo, 'tools/make_lv_phantom.py'), join(work, 'phantom')]));
  // The same patient a year earlier, smaller EF: a prior study.
  priorPhantom = JSON.parse(
    python([join(repo, 'tools/make_lv_phantom.py'), join(work, 'prior'), '--study-date', '20250301', '--es-radii', '2.0', '1.8']),
  );
  bad = join(work, 'bad');
  python([join(here, 'make_clinical_objects.py'), JPEG_LOOP, ECG, bad]);
  await stow(base, [phantom.loops.A4C.file, phantom.loops.A2C.file, priorPhantom.loops.A4C.file, priorPhantom.loops.A2C.file]);
  await stow(base, ['good.dcm', 'broken_frame.dcm', 'unsupported_syntax.dcm', 'ecg_cine.dcm', 'ecg.dcm'].map((f) => join(bad, f)));
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e));
});

after(() => finishRun({ browser, server, artifacts, prefix: 'clinical-', figures, work }));

// Shows `sop` in the single cell, paused on frame `frame` (1-based).
async function showPaused(sop, frame) {
  await page.locator(`.thumb[data-sop="${sop}"]`).click();
  await page.waitForFunction((uid) => window.__systoleStats.cells[0]?.sopInstanceUID === uid && window.__systoleStats.cells[0].loopReadyMs != null, sop, {
    timeout: 15000,
  });
  if ((await stats()).cells[0].playing) await page.keyboard.press('Space');
  await page.keyboard.press('Home');
  for (let i = 1; i < frame; i++) await page.keyboard.press('ArrowRight');
  await page.waitForFunction((want) => document.querySelector('.cell[data-cell="0"] [data-testid="frame-number"]').textContent.trim() === want, `${frame} / ${phantom.frames}`);
}

// Traces the phantom's endocardial border (half an ellipse, annulus at
// baseRow) by clicking `n` points from one hinge round the apex to the
// other, then closes the trace by clicking the first point again.
async function traceBorder(radiusCm, lengthCm, n = 25) {
  const map = await cellMapping(page, 0, phantom);
  const px = 1 / phantom.cmPerPixel;
  const points = Array.from({ length: n }, (_, k) => {
    const th = -Math.PI / 2 + (Math.PI * k) / (n - 1);
    return map.toPage(phantom.centreColumn + radiusCm * px * Math.sin(th), phantom.baseRow - lengthCm * px * Math.cos(th));
  });
  for (const p of points) await page.mouse.click(p.x, p.y);
  await page.mouse.click(points[0].x, points[0].y);
}

const panelValue = async (id) => Number.parseFloat(await page.locator(`[data-testid="simpson"] [data-testid="${id}"]`).textContent());

test("Simpson's biplane on the LV phantom: EF within 3 points, volumes within 10 %; saved and reloaded", async () => {
  await page.goto(`${base}/viewer/${encodeURIComponent(phantom.studyInstanceUID)}`);
  await page.waitForFunction(() => window.__systoleStats?.cells?.[0]?.loopReadyMs != null, null, { timeout: 15000 });
  await page.keyboard.press('l'); // LV trace tool; the Simpson panel opens
  await page.locator('[data-testid="simpson"]').waitFor();
  const views = [
    ['A4C', phantom.loops.A4C],
    ['A2C', phantom.loops.A2C],
  ];
  for (const [view, loop] of views) {
    // ED on the R wave frame (suggested, no mark needed); ES marked by the reader.
    await showPaused(loop.sopInstanceUID, phantom.edFrame);
    await traceBorder(loop.edRadiusCm, phantom.edLengthCm);
    await showPaused(loop.sopInstanceUID, phantom.esFrame);
    await page.keyboard.press('Shift+E');
    await traceBorder(loop.esRadiusCm, phantom.esLengthCm);
    await page.waitForFunction((v) => !document.querySelector('[data-testid="simpson"] .missing')?.textContent.includes(`${v} E`), view);
  }
  await page.locator('[data-testid="simpson"] [data-testid="ef"]').waitFor();
  assert.match(await page.locator('[data-testid="simpson-method"]').textContent(), /biplane/);
  const measured = { edvMl: await panelValue('edv'), esvMl: await panelValue('esv'), efPercent: await panelValue('ef') };
  figures.simpson = { measured, expected: phantom.biplane };
  await shot('20-simpson-biplane');
  assert.ok(Math.abs(measured.efPercent - phantom.biplane.efPercent) <= 3, `EF ${measured.efPercent} vs ${phantom.biplane.efPercent}`);
  for (const k of ['edvMl', 'esvMl'])
    assert.ok(Math.abs(measured[k] - phantom.biplane[k]) / phantom.biplane[k] <= 0.1, `${k} ${measured[k]} vs ${phantom.biplane[k]}`);

  await page.keyboard.press('l'); // tool off
  await page.keyboard.press('s');
  await page.waitForFunction(() => /Saved 4 measurements/.test(document.querySelector('[data-testid="save-state"]')?.textContent ?? ''), null, {
    timeout: 10000,
  });
  // The stored SR passes dciodvfy.
  const metadata = await (await fetch(`${base}/dicomweb/studies/${phantom.studyInstanceUID}/metadata`)).json();
  const sr = metadata.find((ds) => ds['00080060']?.Value?.[0] === 'SR');
  const file = join(artifacts, 'simpson-sr.dcm');
  await retrieveInstance(base, phantom.studyInstanceUID, sr['0020000E'].Value[0], sr['00080018'].Value[0], file);
  const check = dciodvfy(file);
  if (check) {
    writeFileSync(join(artifacts, 'simpson-sr.dciodvfy.txt'), check.out);
    figures.simpsonSrDciodvfy = { errors: check.errors.length, warnings: check.warnings.length };
    assert.deepEqual(check.errors, [], check.out);
  }
  // Captured once: the viewer's SR feeds the measurement store, and a new report takes EF and volumes
  // from it, marked as measured in the viewer.
  const created = await fetch(`${base}/api/studies/${phantom.studyInstanceUID}/reports`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ template: 'tte' }),
  });
  assert.equal(created.status, 201);
  const report = await created.json();
  for (const [field, value] of [['lv.ef', measured.efPercent], ['lv.edv', measured.edvMl], ['lv.esv', measured.esvMl]]) {
    const f = report.fields.find((x) => x.id === field);
    assert.equal(f?.source, 'viewer', `${field} from the viewer's SR: ${JSON.stringify(f)}`);
    assert.ok(Math.abs(Number(f.value) - value) <= 0.51, `${field} ${f.value} vs ${value}`);
  }
  await page.reload();
  await page.locator('[data-testid="simpson"] [data-testid="ef"]').waitFor({ timeout: 15000 });
  assert.equal(await panelValue('ef'), measured.efPercent, 'the traces come back from the SR with their view and phase');
  assert.equal(await panelValue('edv'), measured.edvMl);
});

test('an uncalibrated or non-apical loop refuses an LV trace with a message', async () => {
  await page.goto(`${base}/viewer/${encodeURIComponent((await studyOf('SYSTOLE_BAD')))}`);
  await page.waitForFunction(() => window.__systoleStats?.cells?.[0]?.loopReadyMs != null, null, { timeout: 15000 });
  await page.keyboard.press('l');
  const box = await page.locator('.cell[data-cell="0"] canvas.frame').boundingBox();
  for (let k = 0; k < 6; k++) await page.mouse.click(box.x + box.width / 2 + 10 * k, box.y + box.height / 2 + (k % 2) * 20);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  const message = page.locator('.cell[data-cell="0"] [data-testid="measure-message"]:not([hidden])');
  await message.waitFor();
  assert.match(await message.textContent(), /apical 4- or 2-chamber/);
  await page.keyboard.press('l');
});

async function studyOf(patientId) {
  const r = await fetch(`${base}/dicomweb/studies?PatientID=${patientId}`, { headers: { Accept: 'application/dicom+json' } });
  const [study] = await r.json();
  return study['0020000D'].Value[0];
}

test('bad data: an undecodable frame and an unsupported transfer syntax say so in their cell; the good loop plays on', async () => {
  await page.goto(`${base}/viewer/${encodeURIComponent(await studyOf('SYSTOLE_BAD'))}`);
  await page.waitForFunction(() => window.__systoleStats?.cells?.[0]?.firstFramePaintedMs != null, null, { timeout: 15000 });
  await page.keyboard.press('4');
  await page.waitForFunction(() => document.querySelectorAll('.cell').length === 4 && window.__systoleStats.cells.length === 3);
  const messageOf = (description) =>
    page.locator(`.cell:has(.label:text-is("US · ${description}")) .cell-message:not([hidden])`);
  await messageOf('broken frame 3').waitFor({ timeout: 15000 });
  assert.match(await messageOf('broken frame 3').textContent(), /Frame 3 .*could not be (loaded|shown)/i);
  // Frames fail one by one (each retried), the message counting them; once every frame failed it
  // says the loop cannot be shown, and why.
  await messageOf('unsupported syntax').filter({ hasText: /cannot be shown/i }).waitFor({ timeout: 15000 });
  const unsupported = await messageOf('unsupported syntax').textContent();
  assert.match(unsupported, /1\.2\.840\.10008\.1\.2\.4\.112|JPEG XL|transfer syntax/i);
  const before = await stats();
  await page.waitForTimeout(1200);
  const later = await stats();
  const good = later.cells.findIndex((c) => c.error === null && c.framesPresented > 0 && c.frameCount === 34 && !c.failedFrames);
  assert.ok(good >= 0, 'a loop without errors plays');
  assert.ok(later.cells[good].framesPresented > before.cells[good].framesPresented + 10, 'the good loop keeps playing');
  // The broken loop plays its other frames.
  const broken = later.cells.find((c) => c.failedFrames === 1);
  assert.ok(broken && broken.framesPresented > 10, 'the loop with one bad frame plays the others');
  await shot('21-bad-data');
  // A loop dragged from the strip into the empty cell plays there.
  const goodSop = later.cells[good].sopInstanceUID;
  await page.locator(`.thumb[data-sop="${goodSop}"]`).dragTo(page.locator('.cell[data-cell="3"]'));
  await page.waitForFunction((uid) => document.querySelector('.cell[data-cell="3"]')?.dataset.sop === uid, goodSop, { timeout: 5000 });
});

test('ECG under the cine: lead II of the 12-lead ECG, aligned by acquisition time, cursor at the frame time', async () => {
  await page.goto(`${base}/viewer/${encodeURIComponent(await studyOf('SYSTOLE_ECG'))}`);
  await page.waitForFunction(() => window.__systoleStats?.cells?.[0]?.loopReadyMs != null, null, { timeout: 15000 });
  const strip = page.locator('.cell[data-cell="0"] [data-testid="ecg"]');
  await strip.waitFor({ timeout: 10000 });
  assert.equal(await strip.getAttribute('data-lead'), 'Lead II');
  assert.equal(await strip.getAttribute('data-aligned'), 'time');
  assert.equal(Number(await strip.getAttribute('data-loop-start-ms')), 2000); // the cine started 2 s into the ECG
  assert.match(await strip.locator('.ecg-label').textContent(), /aligned by acquisition time.*2\.000 s/);
  // Still playing: the cursor moves.
  const a = Number(await strip.getAttribute('data-cursor-ms'));
  await page.waitForTimeout(300);
  assert.notEqual(Number(await strip.getAttribute('data-cursor-ms')), a, 'the cursor follows the playing loop');
  if ((await stats()).cells[0].playing) await page.keyboard.press('Space');
  await page.keyboard.press('Home');
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.querySelector('.cell[data-cell="0"] [data-testid="frame-number"]').textContent.startsWith('4 /'));
  assert.equal(Number(await strip.getAttribute('data-cursor-ms')), 2090, 'frame 4 of a 30 ms loop is 90 ms after its start');
  figures.ecg = { lead: 'Lead II', loopStartMs: 2000 };
  await shot('22-ecg-under-cine');
});

test('priors side by side: P opens the latest prior of the patient next to the study, paired by view; both play', async () => {
  await page.goto(`${base}/viewer/${encodeURIComponent(phantom.studyInstanceUID)}`);
  await page.waitForFunction(() => window.__systoleStats?.cells?.[0]?.loopReadyMs != null, null, { timeout: 15000 });
  await page.locator('[data-testid="prior-select"] option:nth-child(2)').waitFor({ state: 'attached' });
  await page.locator(`.thumb[data-sop="${phantom.loops.A2C.sopInstanceUID}"]`).click();
  await page.keyboard.press('p');
  const shown = () => page.evaluate(() => window.__systoleStats.cells.map((c) => c.sopInstanceUID));
  await page.waitForFunction(() => window.__systoleStats.cells.length === 2 && window.__systoleStats.cells.every((c) => c.loopReadyMs != null), null, {
    timeout: 15000,
  });
  assert.deepEqual(await shown(), [phantom.loops.A2C.sopInstanceUID, priorPhantom.loops.A2C.sopInstanceUID]);
  assert.match(await page.locator('.cell[data-cell="1"] .label').textContent(), /^Prior /);
  const before = await stats();
  await page.waitForTimeout(1000);
  const later = await stats();
  for (const i of [0, 1]) assert.ok(later.cells[i].framesPresented > before.cells[i].framesPresented + 5, `cell ${i} plays`);
  await shot('23-priors-side-by-side');
  // Another loop of the current study brings its prior pair along.
  await page.locator(`.thumb[data-sop="${phantom.loops.A4C.sopInstanceUID}"]`).click();
  await page.waitForFunction((want) => window.__systoleStats.cells.map((c) => c.sopInstanceUID).join() === want, [phantom.loops.A4C.sopInstanceUID, priorPhantom.loops.A4C.sopInstanceUID].join(), {
    timeout: 10000,
  });
  await page.keyboard.press('p');
  await page.waitForFunction(() => document.querySelectorAll('.cell').length === 1);
});
