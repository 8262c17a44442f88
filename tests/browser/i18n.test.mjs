// The dashboard in the browser's language: a German browser (locale de-DE) gets German pages,
// German state words and German dates; the switch in the header changes to French and the choice
// stays after a reload; a Dutch browser gets Dutch. Every page in German at 390 px wide (German
// words are long) must not scroll sideways. A socket cut because another socket's 14 A probing
// current took the rest names that socket in German; the Dutch browser shows the server's events
// (the car's plug-in) in Dutch. Runs on runtime_harness in headless Chromium.
import { connect } from 'node:net';
import { join } from 'node:path';
import { login, makeChecker, startBrowser, startHarness, watchErrors } from './harness.mjs';

const shots = process.env.EMSGW_SCREENSHOTS;
const checker = makeChecker();
const { check } = checker;
const navTexts = (page) => page.evaluate(() => [...document.querySelectorAll('#nav a')].map((a) => a.textContent.trim()));
const pageText = (page) => page.evaluate(() => document.querySelector('.page:not([hidden])').innerText);

// One command line to the Alfen simulator's control port ("plug 2 phases=1"); resolves with its answer.
function simCommand(port, line) {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.write(line + '\n'));
    let buf = '';
    sock.setTimeout(3000, () => { sock.destroy(); reject(new Error('simulator control port: no answer')); });
    sock.on('data', (d) => { buf += d; if (buf.includes('\n')) { sock.end(); resolve(buf.split('\n')[0]); } });
    sock.on('error', reject);
  });
}

let harness;
const sessions = [];
try {
  harness = await startHarness();

  // A German browser.
  const de = await startBrowser({ locale: 'de-DE', viewport: { width: 390, height: 844 } });
  sessions.push(de);
  const page = de.browser.pages()[0] || await de.browser.newPage();
  const errors = watchErrors(page, harness.url);
  await page.goto(harness.url + '/');
  await page.waitForSelector('#live.pill-ok', { timeout: 10000 });
  await page.waitForSelector('.socket[data-socket="2"] .state');
  check(await page.evaluate(() => document.documentElement.lang) === 'de', 'German browser: <html lang="de">');
  const nav = await navTexts(page);
  check(JSON.stringify(nav) === JSON.stringify(['Übersicht', 'Ladevorgänge', 'Energie', 'Verlauf', 'Ereignisse', 'Einstellungen']), `German navigation: ${nav.join(', ')}`);
  check((await page.textContent('#login-button')).trim() === 'Anmelden', 'login button in German');
  const dash = await pageText(page);
  check(['netzanschluss', 'ladepunkte', 'ladestationen'].every((x) => dash.toLowerCase().includes(x)), 'dashboard headings in German');
  const state1 = (await page.textContent('.socket[data-socket="1"] .state')).trim();
  check(/^(Lädt|Verbunden|Frei|Start|Pausiert|Wartet|Aus|Auf sicherem|Störung|Durch)/.test(state1), `socket state in German words: "${state1}"`);
  const mode3 = (await page.textContent('.socket[data-socket="1"] .mode3')).trim();
  check(mode3 === '' || /^[A-F]\d?: \S/.test(mode3) && !/charging|connected/.test(mode3), `Mode 3 code explained in German: "${mode3}"`);
  check((await page.textContent('.socket[data-socket="1"] .title')).startsWith('Ladepunkt 1 · garage'), 'socket named from the configuration, in German');
  // Socket 2's car is plugged in again: it probes at 14 A on L3, and socket 1 gets what is left of
  // L3; its reason names socket 2 and its minimum, in German.
  check((await simCommand(harness.control, 'unplug 2')).startsWith('ok'), 'simulator: socket 2 unplugged');
  await page.waitForFunction(() => /frei/i.test(document.querySelector('.socket[data-socket="2"] .state').textContent), null, { timeout: 15000 });
  check((await simCommand(harness.control, 'plug 2 phases=1')).startsWith('ok'), 'simulator: socket 2 plugged in again');
  const other = await page.waitForFunction(() => {
    const r = document.querySelector('.socket[data-socket="1"] .reason').textContent;
    return r.includes('Mindeststrom eines anderen Ladepunkts') ? r : null;
  }, null, { timeout: 30000 }).then((h) => h.jsonValue()).catch(() => page.textContent('.socket[data-socket="1"] .reason'));
  check(other.startsWith('begrenzt durch den Mindeststrom eines anderen Ladepunkts: Ladepunkt 2 · garage rechts auf seinem Minimum von 14 A'),
    `socket 1 cut for socket 2's probing current, in German: "${other}"`);
  await login(page);
  for (const p of ['dashboard', 'sessions', 'history', 'events', 'settings']) {
    await page.evaluate((name) => { location.hash = '#' + name; }, p);
    await page.waitForTimeout(700);
    const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    check(m.scroll <= m.inner, `German, 390 px, ${p}: no horizontal scrolling (${m.scroll} px in ${m.inner} px)`);
    await page.screenshot({ path: join(shots, `i18n-de-390-${p}.png`), fullPage: true });
  }
  // A setting changed at runtime makes an event; the list shows it with its date.
  const changed = await page.evaluate(async () => {
    const s = await (await fetch('/api/session')).json();
    return (await fetch('/api/sockets/1/mode', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token }, body: '{"mode":"minpv"}' })).status;
  });
  check(changed === 200, 'socket 1 set to Min+PV');
  await page.evaluate(() => { location.hash = '#events'; });
  for (let i = 0; i < 20 && await page.locator('#events li .t').count() === 0; ++i) {
    await page.waitForTimeout(500);
    await page.evaluate(() => window.dispatchEvent(new HashChangeEvent('hashchange')));
  }
  await page.waitForSelector('#events li .t');
  const when = (await page.textContent('#events li .t')).trim();
  check(/^\d{1,2}\.\d{1,2}\.\d{4}|^\d{1,2}\. \S+ \d{4}/.test(when), `event date in the German format: "${when}"`);
  await page.evaluate(() => { location.hash = '#sessions'; });
  check((await pageText(page)).toLowerCase().includes('csv exportieren'), 'sessions page in German');

  // The switch: French, kept after a reload.
  await page.selectOption('#lang', 'fr');
  await page.waitForFunction(() => document.querySelector('#nav a[data-page="settings"]').textContent === 'Réglages');
  check(true, 'switched to French: "Réglages"');
  await page.reload();
  await page.evaluate(() => { location.hash = '#dashboard'; });
  await page.waitForSelector('.socket[data-socket="1"] .state');
  const navFr = await navTexts(page);
  check(navFr[0] === 'Tableau de bord' && navFr[1] === 'Sessions', `French kept after a reload: ${navFr.join(', ')}`);
  check((await page.textContent('.socket[data-socket="1"] .title')).startsWith('Prise 1 · garage'), 'socket title in French');
  await page.screenshot({ path: join(shots, 'i18n-fr-390-dashboard.png'), fullPage: true });
  check(errors.length === 0, `no page errors (German/French)${errors.length ? ': ' + errors.join('; ') : ''}`);

  // A Dutch browser at desktop size; an English one stays English.
  const nl = await startBrowser({ locale: 'nl-NL' });
  sessions.push(nl);
  const p2 = nl.browser.pages()[0] || await nl.browser.newPage();
  await p2.goto(harness.url + '/');
  await p2.waitForSelector('.socket[data-socket="1"] .state');
  const navNl = await navTexts(p2);
  check(navNl.join(',') === 'Overzicht,Sessies,Energie,Geschiedenis,Gebeurtenissen,Instellingen', `Dutch browser: ${navNl.join(', ')}`);
  await p2.screenshot({ path: join(shots, 'i18n-nl-1366-dashboard.png'), fullPage: true });
  // The server's events in Dutch: socket 2's car plugged in again above, shown from its message
  // code and parameters, not in the server's English words.
  await login(p2);
  await p2.evaluate(() => { location.hash = '#events'; });
  const eventTexts = () => p2.evaluate(() => [...document.querySelectorAll('#events li > div:nth-child(2)')].map((d) => d.textContent));
  let texts = [];
  for (let i = 0; i < 20; ++i) {
    texts = await eventTexts();
    if (texts.some((x) => x.includes('auto aangesloten'))) break;
    await p2.waitForTimeout(500);
    await p2.evaluate(() => window.dispatchEvent(new HashChangeEvent('hashchange')));
  }
  const plugged = texts.find((x) => x.includes('auto aangesloten')) || texts.join(' | ');
  check(/^laadpunt 2 \([^)]+\): auto aangesloten$/.test(plugged), `Dutch browser: the plug-in event in Dutch: "${plugged}"`);
  check(texts.includes('laadpunt 1 op modus Min+PV gezet'), `Dutch browser: the German page's command in Dutch: ${texts.join(' | ')}`);
  check(texts.some((x) => /^laadpunt 1 \([^)]+\): modus: Nu → Min\+PV \(door dashboard\)$/.test(x)), `Dutch browser: the mode change with its modes in words: ${texts.join(' | ')}`);
  check(!texts.some((x) => /EV plugged in|EV unplugged|^set socket/.test(x)), `Dutch browser: no event in the server's English: ${texts.filter((x) => /EV /.test(x)).join(' | ')}`);
  await p2.screenshot({ path: join(shots, 'i18n-nl-1366-events.png'), fullPage: true });
  const en = await startBrowser({ locale: 'en-GB' });
  sessions.push(en);
  const p3 = en.browser.pages()[0] || await en.browser.newPage();
  await p3.goto(harness.url + '/');
  await p3.waitForSelector('.socket[data-socket="1"] .state');
  check((await navTexts(p3)).join(',') === 'Dashboard,Sessions,Energy,History,Events,Settings', 'English browser stays English');
} catch (e) {
  console.log(`FAIL ${e.stack || e}`);
  checker.failures += 1;
} finally {
  for (const s of sessions) await s.close();
  if (harness) harness.child.kill('SIGTERM');
}
console.log(checker.failures === 0 ? 'language tests: all passed' : `language tests: ${checker.failures} failed`);
process.exit(checker.failures === 0 ? 0 : 1);
