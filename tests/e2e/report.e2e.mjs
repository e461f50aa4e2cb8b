// End-to-end: the report editor in Debian's Chromium against a real
// `systole serve`. A study holding device SRs (TID 5200/5300, made by
// tools/make_echo_sr.py) is opened in the viewer, its report created from the
// TTE template: the fields are filled with source badges; one is changed
// (badge "typed"), the report is signed and its PDF served.
//
// Environment as viewer.e2e.mjs (SYSTOLE_BINARY, E2E_ARTIFACTS, CHROMIUM).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeRun, launchBrowser, startServer, stow } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const binary = process.env.SYSTOLE_BINARY ?? join(repo, 'build/systole');
const artifacts = process.env.E2E_ARTIFACTS ?? mkdtempSync(join(tmpdir(), 'systole-e2e-artifacts-'));
const STUDY = '2.25.190000000000000000000000000000000000001';

let work, server, browser, page;
const shot = (name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
const api = async (path, init) => {
  const response = await fetch(server.base + path, init);
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type') ?? '', text, json: () => JSON.parse(text) };
};

before(async () => {
  assert.ok(existsSync(binary), `no server binary at ${binary} (run make build)`);
  mkdirSync(artifacts, { recursive: true });
  work = mkdtempSync(join(tmpdir(), 'systole-e2e-report-'));
  server = await startServer(binary, join(work, 'data'), { demoUser: true }); // signs as "demo"
  server.base = `http://127.0.0.1:${server.port}`;
  const srDir = join(work, 'sr');
  const gen = spawnSync('/usr/bin/python3', [join(repo, 'tools/make_echo_sr.py'), '--out', srDir, '--study-uid', STUDY, '--patient-id', 'E2EREPORT'], {
    encoding: 'utf8',
  });
  assert.equal(gen.status, 0, gen.stderr);
  await stow(
    server.base,
    readdirSync(srDir)
      .filter((f) => f.endsWith('.dcm'))
      .map((f) => join(srDir, f)),
  );
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
});

after(() => closeRun({ browser, server, work }));

test('device SR → report fields with source badges → change one → sign → PDF', async () => {
  await page.goto(`${server.base}/viewer/${STUDY}`);
  await page.locator('[data-testid="open-report"]').click();
  await page.waitForURL(/\/report\//);
  await page.locator('[data-testid="template"]').selectOption('tte');
  await page.locator('[data-testid="create-report"]').click();
  const editor = page.locator('[data-testid="report-editor"]');
  await editor.waitFor();
  assert.equal(await editor.getAttribute('data-status'), 'draft');

  // What the server filled from the device SRs, checked against what the page shows.
  const reportId = new URL(page.url()).searchParams.get('id');
  assert.ok(reportId, `the page URL names the report: ${page.url()}`);
  const report = (await api(`/api/reports/${reportId}`)).json();
  const fromDevice = report.fields.filter((f) => f.value !== null && f.source === 'device');
  assert.ok(fromDevice.length >= 3, `fields filled from the device SR: ${fromDevice.map((f) => f.id)}`);
  for (const field of fromDevice) {
    const row = page.locator(`tr[data-field="${field.id}"]`);
    assert.equal(await row.locator('input').inputValue(), field.value, `value of ${field.id}`);
    assert.equal((await row.locator('[data-testid="source-badge"]').textContent()).trim(), 'device', `badge of ${field.id}`);
  }
  await shot('report-draft');

  // The reader changes one device value: it becomes "typed".
  const changed = fromDevice[0];
  const newValue = String(Number(changed.value) + 1);
  const input = page.locator(`tr[data-field="${changed.id}"] input`);
  await input.fill(newValue);
  await input.press('Enter');
  await page.locator(`tr[data-field="${changed.id}"] [data-testid="source-badge"]`, { hasText: 'typed' }).waitFor();
  const afterEdit = (await api(`/api/reports/${reportId}`)).json();
  const edited = afterEdit.fields.find((f) => f.id === changed.id);
  assert.equal(edited.value, newValue);
  assert.equal(edited.source, 'typed');

  // Sign: final, read-only, signature shown; the PDF is served.
  await page.locator('[data-testid="sign"]').click();
  await page.locator('[data-testid="report-editor"][data-status="final"]').waitFor();
  assert.match(await page.locator('[data-testid="signature"]').textContent(), /Signed by demo/);
  assert.equal(await page.locator(`tr[data-field="${changed.id}"] input`).getAttribute('readonly'), '');
  await shot('report-final');
  const href = await page.locator('[data-testid="pdf-link"]').getAttribute('href');
  const pdf = await fetch(server.base + href);
  assert.equal(pdf.status, 200);
  assert.match(pdf.headers.get('content-type'), /application\/pdf/);
  const bytes = Buffer.from(await pdf.arrayBuffer());
  assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
  // The PDF as the reader sees it, rendered to PNG (kept as an artefact) and not blank.
  writeFileSync(join(artifacts, 'report.pdf'), bytes);
  const png = spawnSync('pdftoppm', ['-png', '-r', '60', '-singlefile', join(artifacts, 'report.pdf'), join(artifacts, 'report-pdf')], { encoding: 'utf8' });
  assert.equal(png.status, 0, png.stderr);
  const text = spawnSync('pdftotext', [join(artifacts, 'report.pdf'), '-'], { encoding: 'utf8' });
  assert.ok(text.stdout.includes(newValue), `the PDF shows the changed value ${newValue}`);

  // A signed report refuses edits with a clear error.
  const refused = await api(`/api/reports/${reportId}/fields/${changed.id}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ value: '1' }),
  });
  assert.equal(refused.status, 409);
  assert.match(refused.json().error, /addendum/i);
});
