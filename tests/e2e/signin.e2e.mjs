// End-to-end: the browser sign-in with the demo login off. An admin is made
// with `systole admin user add` before the server starts; opening / shows the
// sign-in form (the viewer's files are open, /api/auth/me answers 401); a wrong
// password shows the server's reason and stores no cookie; the right one
// reloads into the study list with the user in the top bar; "Sign out" ends the
// session (the old cookie is refused) and shows the form again. A session that
// ends while a page is open brings the form over the page, which stays. After
// repeated failures the form says the account is locked.
//
// Environment as viewer.e2e.mjs (SYSTOLE_BINARY, E2E_ARTIFACTS, CHROMIUM).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeRun, launchBrowser, startServer } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const binary = process.env.SYSTOLE_BINARY ?? join(repo, 'build/systole');
const artifacts = process.env.E2E_ARTIFACTS ?? mkdtempSync(join(tmpdir(), 'systole-e2e-artifacts-'));
const PASSWORD = 'e2e-admin-password-1';

let work, server, browser, page;
const shot = (name) => page.screenshot({ path: join(artifacts, `signin-${name}.png`), fullPage: true });

before(async () => {
  assert.ok(existsSync(binary), `no server binary at ${binary} (run make build)`);
  mkdirSync(artifacts, { recursive: true });
  work = mkdtempSync(join(tmpdir(), 'systole-e2e-signin-'));
  const data = join(work, 'data');
  for (const [name, role] of [['alice', 'admin'], ['bob', 'cardiologist']]) {
    const add = spawnSync(binary, ['admin', 'user', 'add', '--data', data, '--name', name, '--role', role, '--password-stdin'], {
      input: `${PASSWORD}\n`,
      encoding: 'utf8',
    });
    assert.equal(add.status, 0, add.stderr);
  }
  server = await startServer(binary, data, { signIn: true });
  server.base = `http://127.0.0.1:${server.port}`;
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
});

after(() => closeRun({ browser, server, work }));

const cookies = async () => (await page.context().cookies()).filter((c) => c.name === 'systole_session');

test('sign-in form → wrong password → right password → study list → sign out', async () => {
  await page.goto(`${server.base}/`);
  const form = page.locator('form[aria-label="Sign in"]');
  await form.waitFor({ timeout: 10000 });
  assert.equal(await page.locator('.study-table').count(), 0, 'no study list before sign-in');

  await page.fill('input[name="user"]', 'alice');
  await page.fill('input[name="password"]', 'not-her-password');
  await page.click('button[type="submit"]');
  const error = page.locator('[data-testid="sign-in-error"]');
  await error.waitFor({ timeout: 10000 });
  assert.match(await error.textContent(), /wrong user name or password/);
  assert.equal((await cookies()).length, 0, 'no session cookie after a refused sign-in');
  await shot('wrong-password');

  await page.fill('input[name="password"]', PASSWORD);
  await page.click('button[type="submit"]');
  await page.locator('.study-table').waitFor({ timeout: 10000 });
  const control = page.locator('[data-testid="session-control"]');
  assert.match(await control.textContent(), /alice\s*\(admin\)/);
  const [session] = await cookies();
  assert.ok(session?.httpOnly, 'the session cookie is HttpOnly');
  await shot('signed-in');

  // The viewer's deep links keep the session.
  await page.goto(`${server.base}/viewer/2.25.1`);
  await page.locator('[data-testid="session-control"]').waitFor({ timeout: 10000 });

  await page.locator('[data-testid="session-control"] button', { hasText: 'Sign out' }).click();
  await form.waitFor({ timeout: 10000 });
  assert.equal((await cookies()).length, 0, 'the cookie is cleared');
  const replay = await fetch(`${server.base}/api/auth/me`, { headers: { Cookie: `systole_session=${session.value}` } });
  assert.equal(replay.status, 401, 'the signed-out session is refused');
  await shot('signed-out');
  // A viewer URL without a session: the study's image its page carries is refused, and goes; the
  // form is not under it.
  const refused = page.waitForResponse((r) => r.url().includes('/dicomweb/studies/2.25.1/thumbnail'));
  await page.goto(`${server.base}/viewer/2.25.1`);
  assert.equal((await refused).status(), 401);
  await form.waitFor({ timeout: 10000 });
  assert.equal(await page.locator('#boot-poster, .boot-poster').count(), 0, "no study image over the form");
  assert.match(server.log(), /alice \(role admin\) signed in/);
});

test('a session that ends while a page is open: the sign-in form comes over the page, which stays', async () => {
  await page.goto(`${server.base}/`);
  await page.locator('form[aria-label="Sign in"]').waitFor({ timeout: 10000 });
  await page.fill('input[name="user"]', 'alice');
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('button[type="submit"]');
  await page.locator('.study-table').waitFor({ timeout: 10000 });
  await page.evaluate(() => (window.__stillThisPage = true));
  const endSession = async () => {
    const [session] = await cookies();
    const out = await fetch(`${server.base}/api/auth/logout`, { method: 'POST', headers: { Cookie: `systole_session=${session.value}` } });
    assert.equal(out.status, 200); // ended on the server; the browser still holds its cookie
  };
  const overlay = page.locator('[data-testid="session-ended"]');
  const signInAgain = async () => {
    await overlay.locator('input[name="user"]').fill('alice');
    await overlay.locator('input[name="password"]').fill(PASSWORD);
    await overlay.locator('button[type="submit"]').click();
    await overlay.waitFor({ state: 'detached', timeout: 10000 });
    assert.equal(await page.evaluate(() => window.__stillThisPage), true, 'no reload: the page kept its state');
  };

  // Noticed when the window gets the focus back.
  await endSession();
  await page.evaluate(() => window.dispatchEvent(new Event('focus')));
  await overlay.waitFor({ timeout: 10000 });
  assert.match(await overlay.textContent(), /Your session has ended/);
  assert.equal(await page.locator('.study-table').count(), 1, 'the page is still under the form');
  await shot('session-ended');
  await signInAgain();

  // Noticed at once when an API call is answered 401 (a search here).
  await endSession();
  await page.locator('input[name="patientId"]').fill('NOBODY');
  await page.locator('input[name="patientId"]').press('Enter');
  await overlay.waitFor({ timeout: 10000 });
  await signInAgain();
  assert.match(await page.locator('[data-testid="session-control"]').textContent(), /alice/);
  await page.locator('[data-testid="session-control"] button', { hasText: 'Sign out' }).click();
  await page.locator('form[aria-label="Sign in"]').waitFor({ timeout: 10000 });
});

test('a locked account is named as locked', async () => {
  await page.goto(`${server.base}/`);
  const error = page.locator('[data-testid="sign-in-error"]');
  for (let attempt = 1; attempt <= 6; attempt++) {
    await page.fill('input[name="user"]', 'bob');
    await page.fill('input[name="password"]', `wrong-password-${attempt}`);
    await page.click('button[type="submit"]');
    await page.waitForFunction((n) => document.querySelector('button[type="submit"]')?.disabled === false && n > 0, attempt);
  }
  assert.match(await error.textContent(), /account locked after repeated failed sign-ins; try again after/);
  await shot('locked');
});
