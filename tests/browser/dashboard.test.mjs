// End-to-end: the real emsgw runtime and its dashboard on the project's simulators (runtime_harness:
// grid meter, an Alfen Eve Double with an EV at each socket, PV, all over loopback Modbus), driven in
// Debian's Chromium by playwright-core. Logs in, watches live values move, changes a socket's mode
// and sees the Alfen simulator take it (through the simulator's own control port), saves and clears
// a setting, runs the device tests, sees the banner, and saves screenshots. Any failed check exits
// non-zero.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
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
  const args = ['--listen', '127.0.0.1:0', '--password', password];
  const child = spawn(harnessPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('harness did not start within 20 s')), 20000);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[\d.]+:\d+)/);
      const c = out.match(/station garage control 127\.0\.0\.1:(\d+)/);
      if (m && c) { clearTimeout(timer); resolve({ child, url: m[1], control: Number(c[1]) }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`harness exited with ${code}`)); });
  });
}

// One line of the Alfen simulator's control port: "status" → per socket Mode 3 state, the set-point
// the station holds (1210), what it applies and what the EV draws.
function simStatus(port) {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.write('status\n'));
    let buf = '';
    sock.setTimeout(3000, () => { sock.destroy(); reject(new Error('simulator control port: no answer')); });
    sock.on('data', (d) => {
      buf += d;
      if (!buf.includes('\n')) return;
      sock.end();
      const sockets = {};
      for (const part of buf.split('\n')[0].replace(/^ok /, '').split(' | ')) {
        const m = part.match(/socket (\d+): (\S+) setpoint=([\d.]+)\S* .*applied=([\d.]+) drawn=([\d.]+)/);
        if (m) sockets[m[1]] = { mode3: m[2], setpoint: Number(m[3]), applied: Number(m[4]), drawn: Number(m[5]) };
      }
      resolve(sockets);
    });
    sock.on('error', reject);
  });
}
async function waitSim(port, pred, what, ms = 15000) {
  const until = Date.now() + ms;
  let last;
  while (Date.now() < until) {
    last = await simStatus(port);
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`simulator: ${what} not seen within ${ms / 1000} s (last: ${JSON.stringify(last)})`);
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
  // Refusals the test provokes (401 wrong password, 403 missing CSRF token, 409 a raise awaiting its
  // confirmation, 422 invalid setting)
  // show as console errors; anything else, and any 404 or 5xx, is a failure.
  page.on('console', (m) => { if (m.type() === 'error' && !/status of (401|403|409|422)/.test(m.text())) errors.push(m.text()); });
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

  // Both EVs charge in the simulator before anything is changed.
  const before = await waitSim(harness.control, (s) => s['1'] && s['1'].drawn > 1 && s['2'] && s['2'].drawn > 1, 'both EVs charging');
  check(true, `simulator: socket 1 draws ${before['1'].drawn} A, socket 2 ${before['2'].drawn} A`);

  // Change socket 1's mode to off; the runtime writes it to the station and the card follows.
  await page.click('.socket[data-socket="1"] [data-mode="off"]');
  await page.waitForFunction(() => {
    const card = document.querySelector('.socket[data-socket="1"]');
    return card.querySelector('[data-mode="off"]').classList.contains('on') && /^Off/.test(card.querySelector('.state').textContent);
  }, null, { timeout: 5000 });
  check(true, 'socket 1 switched off and shows "Off"');
  const status = await page.evaluate(async () => (await fetch('/api/status')).json());
  const s1 = status.sockets.find((s) => s.id === 1);
  check(s1.mode === 'off' && s1.setpoint_a === 0, `the runtime applied it: mode ${s1.mode}, set-point ${s1.setpoint_a} A`);
  const off = await waitSim(harness.control, (s) => s['1'].setpoint === 0 && s['1'].drawn === 0, 'socket 1 set to 0 A and its EV stopped');
  check(off['2'].drawn > 1, `simulator: socket 1 holds set-point 0 A and draws nothing; socket 2 still charges (${off['2'].drawn} A)`);
  await page.click('.socket[data-socket="1"] [data-mode="now"]');
  await page.waitForFunction(() => document.querySelector('.socket[data-socket="1"] [data-mode="now"]').classList.contains('on'), null, { timeout: 5000 });
  check(true, 'socket 1 back to "now"');
  const on = await waitSim(harness.control, (s) => s['1'].setpoint >= 6 && s['1'].drawn > 1, 'socket 1 charging again');
  check(true, `simulator: socket 1 charges again (set-point ${on['1'].setpoint} A, drawn ${on['1'].drawn} A)`);
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
  // The recorder writes events to SQLite once a second: reload the list until the mode change is in
  // (the mode in words, in any case: "set socket 1 mode to Now").
  let eventsText = '';
  for (let i = 0; i < 20 && !(/mode to off/i.test(eventsText) && /mode to now/i.test(eventsText)); ++i) {
    if (i) { await page.waitForTimeout(500); await page.evaluate(() => window.dispatchEvent(new HashChangeEvent('hashchange'))); }
    eventsText = await page.textContent('#events');
  }
  check(await page.locator('#events li .x').count() >= 2 && /mode to off/i.test(eventsText) && /mode to now/i.test(eventsText), `events listed with explanations, both mode changes among them (${eventsText.slice(0, 300)})`);
  await page.screenshot({ path: join(shots, '04-events.png'), fullPage: true });

  // Settings: an invalid limit is refused by the validator and marked on the field.
  await page.click('nav a[data-page="settings"]');
  await page.waitForSelector('#settings .card');
  const siteCard = () => page.locator('#settings > .card:has(h2:text-is("Site limits"))');
  const limit = page.locator('label[data-issue-key="grid_max_current_a"] input');
  await limit.fill('0');
  await limit.dispatchEvent('change');
  await siteCard().locator('button:has-text("Save")').click();
  await page.waitForSelector('label.bad[data-issue-key="grid_max_current_a"]', { timeout: 5000 });
  check(true, 'invalid site limit refused and marked on the field');
  await limit.fill('32');
  await limit.dispatchEvent('change');
  await siteCard().locator('button:has-text("Save")').click();
  // 32 A is above the file's 25 A: an installer-locked limit, applied only once confirmed.
  await page.waitForSelector('button[data-confirm-raise]', { timeout: 5000 });
  const unconfirmed = await page.evaluate(async () => (await fetch('/api/config')).json());
  check(unconfirmed.site.grid_max_current_a === 25, `a raise above the file waits for its confirmation (${unconfirmed.site.grid_max_current_a} A)`);
  await page.click('button[data-confirm-raise]');
  await page.waitForFunction(() => !document.querySelector('button[data-confirm-raise]'));
  await page.waitForFunction(() => !document.querySelector('label.bad[data-issue-key="grid_max_current_a"]'));
  const cfg = await page.evaluate(async () => (await fetch('/api/config')).json());
  check(cfg.site.grid_max_current_a === 32, 'valid site limit saved once confirmed');
  const kept = cfg.overrides.find((o) => o.key === 'site.grid_max_current_a');
  check(kept && kept.source === 'web (confirmed)' && Number(kept.value) === 32, `kept as a confirmed override set from the web (${JSON.stringify(kept)})`);
  const st = await page.evaluate(async () => (await fetch('/api/status')).json());
  check(st.grid_max_current_a === 32, `the running control loop uses it (status grid limit ${st.grid_max_current_a} A)`);
  await page.click('button:has-text("Test meter")');
  await page.waitForSelector('.probe.ok', { timeout: 10000 });
  check((await page.textContent('.probe.ok')).includes('L1'), 'Test meter reads the simulated grid meter: per-phase currents');
  await page.click('button:has-text("Test station garage")');
  await page.waitForFunction(() => [...document.querySelectorAll('.probe.ok')].some((e) => e.textContent.includes('station garage')), null, { timeout: 10000 });
  check(true, 'Test station reads the simulated Alfen station');
  // The device tests read as lists of findings in words, never as raw JSON.
  const meterProbe = await page.locator('.probe', { hasText: 'grid meter' }).first().innerText();
  check(/current per phase: L1 [\d.]+ A L2 [\d.]+ A L3 [\d.]+ A \(import \+, export -\)/.test(meterProbe) && meterProbe.includes('current on 3 phases'),
    `Test meter lists the phases and the sign convention in words (${JSON.stringify(meterProbe)})`);
  const stationProbe = await page.locator('.probe', { hasText: 'station garage' }).first().innerText();
  check(stationProbe.includes('answers: NG920 firmware') && stationProbe.includes('socket id 1 (unit 1): safe current 6 A as in the file') &&
    stationProbe.includes('maximum 32 A as in the file') && stationProbe.includes('socket unit 1: Mode 3 state'),
    `Test station lists reachability, model and firmware and each setting against the file in words (${JSON.stringify(stationProbe)})`);
  check(!/[{}]/.test(meterProbe) && !/[{}]/.test(stationProbe) && await page.locator('.probe pre').count() === 0,
    'no raw JSON brace in the device tests');
  // Guide 6.3/6.4: both sockets of a Double share one feeder and so one phase order (rotation is
  // from station to station): the first socket's L1L2L3 is recommended, the second socket's L3L1L2
  // is offered the station's L1L2L3.
  const rows = page.locator('.socket-row');
  const sameFeeder = await rows.count() === 2 && await rows.nth(0).locator('.hint:has-text("recommended")').count() === 1 &&
    await rows.nth(1).locator('button:has-text("Use L1L2L3")').count() === 1;
  check(sameFeeder, 'phase mapping picker recommends the same mapping for both sockets of one Double (L1L2L3, L1L2L3)' +
    (sameFeeder ? '' : `: ${JSON.stringify(await rows.allInnerTexts())}`));
  await page.waitForSelector('#overrides tr[data-override="site.grid_max_current_a"]');
  check(true, 'the override is listed under "Changed at runtime"');
  await page.screenshot({ path: join(shots, '05-settings.png'), fullPage: true });
  // Reset to the file: the override goes and the file's 25 A applies again.
  await page.click('#overrides tr[data-override="site.grid_max_current_a"] button:has-text("Reset to file")');
  await page.waitForFunction(() => !document.querySelector('#overrides tr[data-override="site.grid_max_current_a"]'), null, { timeout: 5000 });
  const reset = await page.evaluate(async () => [(await (await fetch('/api/config')).json()).site.grid_max_current_a, (await (await fetch('/api/status')).json()).grid_max_current_a]);
  check(reset[0] === 25 && reset[1] === 25, `reset to the file's limit: config ${reset[0]} A, control loop ${reset[1]} A`);

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
