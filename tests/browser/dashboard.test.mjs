// End-to-end: the real web server on a simulated site (webui_harness), Debian's Chromium driven by
// playwright-core. Logs in, watches live values move, changes a socket's mode and sees the
// simulated site take it, checks the configuration pages and the degraded banner, and saves
// screenshots. Any failed check exits non-zero.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const harnessPath = process.env.EMSGW_HARNESS;
const shots = process.env.EMSGW_SCREENSHOTS;
const password = 'dashboard test password';
let failures = 0;
const check = (ok, what) => { console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); if (!ok) failures += 1; };

function startHarness() {
  const args = ['--listen', '127.0.0.1:0', '--password', password, '--step-ms', '250'];
  if (process.env.EMSGW_CONFIG) args.push('--config', process.env.EMSGW_CONFIG);
  const child = spawn(harnessPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('harness did not start within 10 s')), 10000);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[\d.]+:\d+)/);
      if (m) { clearTimeout(timer); resolve({ child, url: m[1] }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`harness exited with ${code}`)); });
  });
}

const profile = mkdtempSync(join(tmpdir(), 'emsgw-chromium-'));
let harness;
let browser;
try {
  harness = await startHarness();
  // A fresh profile directory (--user-data-dir) per run, passed the way playwright wants it.
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.EMSGW_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1366, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Refusals the test provokes (401 wrong password, 403 missing CSRF token, 422 invalid setting)
  // show as console errors; anything else, and any 404 or 5xx, is a failure.
  page.on('console', (m) => { if (m.type() === 'error' && !/status of (401|403|422)/.test(m.text())) errors.push(m.text()); });
  page.on('response', (r) => { if (r.status() === 404 || r.status() >= 500) errors.push(`${r.status()} for ${r.url()}`); });
  page.on('request', (r) => { if (!r.url().startsWith(harness.url)) errors.push(`request outside the box: ${r.url()}`); });

  await page.goto(harness.url + '/');
  await page.waitForSelector('#live.pill-ok', { timeout: 10000 });
  check(true, 'live stream connected');
  await page.waitForSelector('.socket[data-socket="1"]');
  check(await page.locator('.socket').count() === 2, 'one card per socket');
  check((await page.textContent('#site-name')) === 'home', 'site name shown');

  // Live values move.
  const reading = async () => page.evaluate(() => [...document.querySelectorAll('#phases .val b')].map((b) => b.textContent).join('|'));
  const first = await reading();
  await page.waitForFunction((before) => [...document.querySelectorAll('#phases .val b')].map((b) => b.textContent).join('|') !== before, first, { timeout: 5000 });
  check(true, `grid currents move (${first} → ${await reading()})`);
  const state1 = (await page.textContent('.socket[data-socket="1"] .state')).trim();
  check(state1.length > 0 && !/unknown/i.test(state1), `socket 1 state in words: "${state1}"`);
  check((await page.textContent('.socket[data-socket="1"] .reason')).trim().length > 0, 'socket 1 shows the reason that bound it');

  // Read-only until logged in.
  check(await page.locator('.socket[data-socket="1"] [data-mode="off"]').isDisabled(), 'mode buttons disabled before login');
  await page.screenshot({ path: join(shots, '01-dashboard.png'), fullPage: true });

  // Wrong password, then the right one.
  await page.click('#login-button');
  await page.fill('#login-password', 'wrong password');
  await page.click('#login-submit');
  await page.waitForFunction(() => document.querySelector('#login-error').textContent.includes('wrong password'));
  check(true, 'wrong password refused with a message');
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForFunction(() => document.querySelector('#login-button').textContent === 'Log out');
  check(true, 'logged in');
  const cookies = await browser.cookies();
  const session = cookies.find((c) => c.name === 'emsgw_session');
  check(session && session.httpOnly && session.sameSite === 'Strict', 'session cookie is HttpOnly and SameSite=Strict');
  check(await page.evaluate(() => document.cookie.includes('emsgw_session')) === false, 'page script cannot read the session cookie');

  // Change socket 1's mode to off; the simulated site takes it and the card follows.
  await page.click('.socket[data-socket="1"] [data-mode="off"]');
  await page.waitForFunction(() => {
    const card = document.querySelector('.socket[data-socket="1"]');
    return card.querySelector('[data-mode="off"]').classList.contains('on') && /^Off/.test(card.querySelector('.state').textContent);
  }, null, { timeout: 5000 });
  check(true, 'socket 1 switched off and shows "Off"');
  const status = await page.evaluate(async () => (await fetch('/api/status')).json());
  const s1 = status.sockets.find((s) => s.id === 1);
  check(s1.mode === 'off' && s1.setpoint_a === 0, `the site applied it: mode ${s1.mode}, set-point ${s1.setpoint_a} A`);
  await page.click('.socket[data-socket="1"] [data-mode="now"]');
  await page.waitForFunction(() => document.querySelector('.socket[data-socket="1"] [data-mode="now"]').classList.contains('on'), null, { timeout: 5000 });
  check(true, 'socket 1 back to "now"');
  await page.waitForTimeout(600);
  await page.screenshot({ path: join(shots, '02-dashboard-logged-in.png'), fullPage: true });

  // A cross-site style request without the CSRF token is refused even with the cookie.
  const forged = await page.evaluate(async () => (await fetch('/api/commands', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"command":"suspend"}' })).status);
  check(forged === 403, `write without the CSRF token refused (${forged})`);

  // History charts (uPlot, bundled).
  await page.click('nav a[data-page="history"]');
  await page.waitForSelector('#chart-grid .uplot canvas', { timeout: 5000 });
  check(await page.locator('.uplot').count() === 3, 'three history charts drawn');
  await page.click('#range [data-range="day"]');
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(shots, '03-history.png'), fullPage: true });

  await page.click('nav a[data-page="events"]');
  await page.waitForSelector('#events li .x');
  check(await page.locator('#events li').count() >= 3, 'events listed with explanations');
  await page.screenshot({ path: join(shots, '04-events.png'), fullPage: true });

  // Settings: an invalid limit is refused by the validator and marked on the field.
  await page.click('nav a[data-page="settings"]');
  await page.waitForSelector('#settings .card');
  const limit = page.locator('label[data-issue-key="grid_max_current_a"] input');
  await limit.fill('0');
  await limit.dispatchEvent('change');
  await page.locator('#settings > .card').first().locator('button:has-text("Save")').click();
  await page.waitForSelector('label.bad[data-issue-key="grid_max_current_a"]', { timeout: 5000 });
  check(true, 'invalid site limit refused and marked on the field');
  await limit.fill('32');
  await limit.dispatchEvent('change');
  await page.locator('#settings > .card').first().locator('button:has-text("Save")').click();
  await page.waitForFunction(() => !document.querySelector('label.bad[data-issue-key="grid_max_current_a"]'));
  const cfg = await page.evaluate(async () => (await fetch('/api/config')).json());
  check(cfg.site.grid_max_current_a === 32, 'valid site limit saved');
  await page.click('button:has-text("Test meter")');
  await page.waitForSelector('.probe.ok', { timeout: 5000 });
  check((await page.textContent('.probe.ok')).includes('L1'), 'Test meter shows per-phase currents');
  check(await page.locator('button:has-text("Use L3L1L2")').count() >= 0, 'phase mapping picker rendered');
  await page.screenshot({ path: join(shots, '05-settings.png'), fullPage: true });

  // Degraded/suspended banner.
  await page.click('nav a[data-page="dashboard"]');
  const suspended = await page.evaluate(async () => {
    const s = await (await fetch('/api/session')).json();
    return (await fetch('/api/commands', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token }, body: '{"command":"suspend"}' })).status;
  });
  check(suspended === 200, 'suspend accepted');
  await page.waitForSelector('#banner:not([hidden])', { timeout: 5000 });
  check((await page.textContent('#banner')).includes('suspended'), 'banner says charging is suspended');
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(shots, '06-banner.png'), fullPage: true });

  check(errors.length === 0, `no page errors or outside requests${errors.length ? ': ' + errors.join('; ') : ''}`);
} catch (e) {
  console.log(`FAIL ${e.stack || e}`);
  failures += 1;
} finally {
  if (browser) await browser.close();
  if (harness) harness.child.kill('SIGTERM');
  rmSync(profile, { recursive: true, force: true });
}
console.log(failures === 0 ? 'browser tests: all passed' : `browser tests: ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
