// Shared by the browser tests: starts runtime_harness (the real emsgw runtime and its dashboard on
// the project's simulators over loopback) and a headless Chromium with a fresh profile.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const password = 'dashboard test password';

export function makeChecker() {
  const c = { failures: 0 };
  c.check = (ok, what) => { console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); if (!ok) c.failures += 1; };
  return c;
}

/// Resolves with { child, url, control } once the harness prints its addresses.
export function startHarness(extraArgs = []) {
  const args = ['--listen', '127.0.0.1:0', '--password', password, ...extraArgs];
  const child = spawn(process.env.EMSGW_HARNESS, args, { stdio: ['ignore', 'pipe', 'inherit'] });
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

/// A persistent Chromium context on a fresh profile; `options` go to launchPersistentContext
/// (viewport, locale…). Returns { browser, close }.
export async function startBrowser(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'emsgw-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.EMSGW_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1366, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    ...options,
  });
  return { browser, close: async () => { await browser.close(); rmSync(profile, { recursive: true, force: true }); } };
}

/// Collects page errors, 404/5xx answers and requests that leave the box.
export function watchErrors(page, baseUrl, allowed = /status of (401|403|422)/) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !allowed.test(m.text())) errors.push(m.text()); });
  page.on('response', (r) => { if (r.status() === 404 || r.status() >= 500) errors.push(`${r.status()} for ${r.url()}`); });
  page.on('request', (r) => { if (!r.url().startsWith(baseUrl)) errors.push(`request outside the box: ${r.url()}`); });
  return errors;
}

export async function login(page) {
  await page.click('#login-button');
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForFunction(() => document.body.classList.contains('logged-in'));
}
