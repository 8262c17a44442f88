// Layout on a phone and a desktop: every page of the dashboard on the real runtime (runtime_harness),
// in headless Chromium at 390×844 and 1366×900. Asserts that nothing makes the page scroll
// sideways (document scrollWidth ≤ viewport width), that no element reaches past the right edge
// outside a scrolling box, that the header's links and login button are on screen, that no card's
// content overflows the card, and that each page shows its key texts. Screenshots go to
// $EMSGW_SCREENSHOTS/layout-<width>-<page>.png. At phone width the settings form also shows labels
// with units and help from the configuration schema, and a password field for MQTT. Without circuits
// the dashboard has no tree of limits; a second site (runtime_harness --circuits) hangs the station
// from nested circuits: the dashboard then shows the tree, each node's bars per phase, the unmetered
// nodes' note and a mark on the node that bounds the sockets, without overflow at either width.
// That second site reads its grid from a DSMR 4 P1 port (runtime_harness --p1): the grid card then
// says the meter reports whole amperes and that a drawn phase is counted an ampere higher (the
// first site's Modbus meter has decimals: no such note).
import { join } from 'node:path';
import { login, makeChecker, startBrowser, startHarness, watchErrors } from './harness.mjs';

const shots = process.env.EMSGW_SCREENSHOTS;
const checker = makeChecker();
const { check } = checker;
const viewports = [{ width: 390, height: 844 }, { width: 1366, height: 900 }];
// Per page: what to wait for, and texts that must be visible.
const pages = [
  { name: 'dashboard', ready: '.socket[data-socket="2"] .state', texts: ['Grid connection', 'Charging sockets', 'Stations', 'garage'] },
  { name: 'history', ready: '#chart-grid .uplot canvas', texts: ['Grid current per phase', 'EV currents', 'PV production'] },
  { name: 'sessions', ready: '#sessions-table, #sessions-empty', texts: ['Charging sessions', 'Export CSV'] },
  { name: 'energy', ready: '#energy-table, #energy-empty', texts: ['Today', 'Energy per period', 'Solar', 'Home'] },
  { name: 'events', ready: '#events li', texts: ['Events'] },
  { name: 'settings', ready: '#settings .card .socket-row', texts: ['Site limits', 'Stations and sockets', 'Test station garage'] },
];

// Elements whose right edge passes the viewport, unless a scrolling/clipping ancestor holds them.
// Measured scrolled to the top left: a click may have scrolled a too-wide page sideways.
function offenders() {
  window.scrollTo(0, 0);
  const w = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= w + 0.5) continue;
    let clipped = false;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox !== 'visible') { clipped = true; break; }
    }
    if (!clipped) out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''} → ${Math.round(r.right)} px`);
  }
  return out.slice(0, 8);
}

// The settings form is built from the configuration schema: labels with units and help instead of
// raw keys, and the MQTT password as a password field that never shows the stored one.
async function checkSettingsForm(page) {
  const labelOf = (path) => page.evaluate((p) => {
    const l = document.querySelector(`label[data-setting="${p}"]`);
    if (!l) return null;
    const r = l.getBoundingClientRect();
    return { name: l.querySelector('.name').textContent, help: (l.querySelector('.help') || {}).textContent || '',
      onScreen: r.left >= 0 && r.right <= document.documentElement.clientWidth };
  }, path);
  for (const [path, label, unit] of [['site.grid_max_current_a', 'Grid limit per phase', '(A)'], ['surplus.start_delay_s', 'Start delay', '(s)'],
    ['mqtt.keepalive_s', 'Keep-alive', '(s)'], ['mqtt.measurement_interval_ms', 'Measurement interval', '(ms)'], ['influx.timeout_ms', 'Timeout', '(ms)']]) {
    const l = await labelOf(path);
    check(l && l.name.includes(label) && l.name.includes(unit) && l.onScreen, `390 px, settings: ${path} labelled "${label} ${unit}" on screen (${JSON.stringify(l)})`);
  }
  const limitHelp = await labelOf('site.grid_max_current_a');
  check(limitHelp && limitHelp.help.length > 20, `390 px, settings: the grid limit has its help text ("${limitHelp && limitHelp.help}")`);
  const raw = await page.evaluate(() => [...document.querySelectorAll('#settings label[data-setting] .name')].map((n) => n.textContent).filter((x) => /^[a-z0-9]+(_[a-z0-9]+)+/.test(x)));
  check(raw.length === 0, `390 px, settings: no raw keys as labels${raw.length ? ': ' + raw.join(', ') : ''}`);
  const pw = await page.evaluate(() => { const i = document.querySelector('label[data-setting="mqtt.password"] input'); return i && { type: i.type, value: i.value }; });
  check(pw && pw.type === 'password' && pw.value === '', `390 px, settings: MQTT password is a password field and shows nothing (${JSON.stringify(pw)})`);
}

// A DSMR 4 grid meter (whole amperes): the grid card says a drawn phase is counted 1 A higher, and
// the note fits at phone width.
async function checkWholeAmpereNote(browserSession, url) {
  const page = await browserSession.browser.newPage();
  const errors = watchErrors(page, url);
  await page.goto(url + '/');
  await page.waitForSelector('#live.pill-ok', { timeout: 10000 });
  await page.waitForFunction(() => /whole amperes/.test(document.querySelector('#grid-note').textContent), null, { timeout: 15000 }).catch(() => {});
  for (const vp of viewports) {
    await page.setViewportSize(vp);
    await page.waitForTimeout(300);
    const m = await page.evaluate(() => ({ note: document.querySelector('#grid-note').textContent, scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    check(/^Meter sample .* · the meter reports whole amperes: each drawn phase counted 1 A higher$/.test(m.note), `${vp.width} px, DSMR 4 meter: the grid card says so ("${m.note}")`);
    check(m.scroll <= m.inner, `${vp.width} px, DSMR 4 meter: no horizontal scrolling (page ${m.scroll} px wide in a ${m.inner} px window)`);
  }
  await page.screenshot({ path: join(shots, 'layout-1366-dashboard-p1.png'), fullPage: true });
  check(errors.length === 0, `DSMR 4 meter: no page errors or outside requests${errors.length ? ': ' + errors.join('; ') : ''}`);
  await page.close();
}

// The tree of limits on a site with nested circuits, at both widths.
async function checkTree(browserSession, url) {
  const page = await browserSession.browser.newPage();
  const errors = watchErrors(page, url);
  await page.goto(url + '/');
  await page.waitForSelector('#live.pill-ok', { timeout: 10000 });
  // The EVs draw, and the garage board (16 A, 9 kW) bounds both sockets.
  await page.waitForSelector('#tree .node.binding [data-test="binds"]', { timeout: 20000 });
  for (const vp of [{ width: 360, height: 740 }, ...viewports]) {
    await page.setViewportSize(vp);
    await page.waitForTimeout(300);
    const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    check(m.scroll <= m.inner, `${vp.width} px, tree: no horizontal scrolling (page ${m.scroll} px wide in a ${m.inner} px window)`);
    const off = await page.evaluate(offenders);
    check(off.length === 0, `${vp.width} px, tree: nothing reaches past the right edge${off.length ? ': ' + off.join(', ') : ''}`);
    const cards = await page.evaluate(() => [...document.querySelectorAll('.page:not([hidden]) .card')].filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => (c.querySelector('h2, .title') || c).textContent.trim().slice(0, 40)));
    check(cards.length === 0, `${vp.width} px, tree: no card's content overflows it${cards.length ? ': ' + cards.join(', ') : ''}`);
    const tree = await page.evaluate(() => {
      const node = (n) => document.querySelector(`#tree .node[data-node="${n}"]`);
      const text = (n) => (node(n) ? node(n).querySelector(':scope > .node-head').innerText + ' | ' + ((node(n).querySelector(':scope > .node-note') || {}).innerText || '') : null);
      const bars = (n) => (node(n) ? node(n).querySelectorAll(':scope > .node-bars .node-phase .bar').length : 0);
      const binding = [...document.querySelectorAll('#tree .node.binding')].map((x) => x.dataset.node);
      const reasons = [...document.querySelectorAll('.socket .reason')].map((x) => x.innerText);
      return {
        visible: !document.querySelector('#tree-card').hidden,
        house: text('house'), board: text('garage-board'), workshop: text('workshop'), root: text(''),
        nested: !!document.querySelector('#tree .node[data-node=""] .node[data-node="house"] .node[data-node="garage-board"] .leaf[data-station="garage"]'),
        workshopUnderRoot: node('workshop') && node('workshop').parentElement.closest('.node').dataset.node === '',
        bars: ['', 'house', 'garage-board', 'workshop'].map(bars),
        binding, reasons,
        inside: [...document.querySelectorAll('#tree .node')].every((n) => n.getBoundingClientRect().right <= document.documentElement.clientWidth),
      };
    });
    check(tree.visible && tree.nested && tree.workshopUnderRoot, `${vp.width} px, tree: garage-board under house under the grid connection, the station under garage-board, workshop beside house (${JSON.stringify({ nested: tree.nested, workshop: tree.workshopUnderRoot })})`);
    check(tree.bars.every((n) => n === 3), `${vp.width} px, tree: every node has a bar per phase (${tree.bars.join(', ')})`);
    check(tree.root && tree.root.includes('Grid connection') && tree.root.includes('25 A per phase'), `${vp.width} px, tree: the root is the grid connection with its fuse limit (${tree.root})`);
    check(tree.board && tree.board.includes('16 A per phase') && tree.board.includes('margin 0.5 A') && tree.board.includes('of 9.00 kW'), `${vp.width} px, tree: garage-board shows its current and power limits (${tree.board})`);
    check([tree.house, tree.board, tree.workshop].every((x) => x && x.includes('no meter: only the chargers below count')), `${vp.width} px, tree: unmetered nodes say only the chargers below count`);
    check(tree.binding.length === 1 && tree.binding[0] === 'garage-board' && tree.board.includes('bounds Socket 1') && tree.board.includes('Socket 2'),
      `${vp.width} px, tree: the node that bounds the sockets is marked and names them (${JSON.stringify(tree.binding)}: ${tree.board})`);
    check(tree.reasons.every((r) => r.includes('circuit garage-board')), `${vp.width} px, tree: the sockets' reasons name the marked node (${tree.reasons.join(' / ')})`);
    check(tree.inside, `${vp.width} px, tree: every node within the window`);
    await page.screenshot({ path: join(shots, `layout-${vp.width}-tree.png`), fullPage: true });
  }
  // German words are long: the tree at 360 px in German.
  await page.setViewportSize({ width: 360, height: 740 });
  await page.selectOption('#lang', 'de');
  await page.waitForFunction(() => document.querySelector('#tree-card h2').textContent === 'Baum der Grenzen');
  await page.waitForTimeout(300);
  const de = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
    note: (document.querySelector('#tree .node[data-node="house"] > .node-note') || {}).textContent,
    binds: (document.querySelector('#tree .node.binding [data-test="binds"]') || {}).textContent }));
  check(de.scroll <= de.inner, `360 px, tree in German: no horizontal scrolling (page ${de.scroll} px wide in a ${de.inner} px window)`);
  const offDe = await page.evaluate(offenders);
  check(offDe.length === 0, `360 px, tree in German: nothing reaches past the right edge${offDe.length ? ': ' + offDe.join(', ') : ''}`);
  check(de.note === 'kein Zähler: nur die Ladestationen darunter zählen' && /^begrenzt gerade Ladepunkt 1/.test(de.binds || ''), `360 px, tree in German: "${de.note}", "${de.binds}"`);
  await page.screenshot({ path: join(shots, 'layout-360-tree-de.png'), fullPage: true });
  await page.selectOption('#lang', 'en');
  check(errors.length === 0, `tree: no page errors or outside requests${errors.length ? ': ' + errors.join('; ') : ''}`);
  await page.close();
}

let harness;
let session;
try {
  harness = await startHarness();
  session = await startBrowser({ viewport: viewports[0], locale: 'en-GB' });
  const page = session.browser.pages()[0] || await session.browser.newPage();
  const errors = watchErrors(page, harness.url);
  await page.goto(harness.url + '/');
  await page.waitForSelector('#live.pill-ok', { timeout: 10000 });
  await login(page);
  for (const vp of viewports) {
    await page.setViewportSize(vp);
    for (const p of pages) {
      await page.evaluate((name) => { location.hash = '#' + name; }, p.name);
      await page.waitForSelector(p.ready, { timeout: 10000 });
      await page.waitForTimeout(300);  // charts and cards settle after a resize
      const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
      check(m.scroll <= m.inner, `${vp.width} px, ${p.name}: no horizontal scrolling (page ${m.scroll} px wide in a ${m.inner} px window)`);
      const off = await page.evaluate(offenders);
      check(off.length === 0, `${vp.width} px, ${p.name}: nothing reaches past the right edge${off.length ? ': ' + off.join(', ') : ''}`);
      const header = await page.evaluate(() => ['#login-button', 'nav a[data-page="settings"]', 'nav a[data-page="sessions"]', '#live'].map((s) => {
        const el = document.querySelector(s);
        if (!el) return { s, ok: false };
        window.scrollTo(0, 0);
        const r = el.getBoundingClientRect();
        return { s, ok: r.width > 0 && r.left >= 0 && r.right <= document.documentElement.clientWidth && r.top >= 0 };
      }));
      check(header.every((x) => x.ok), `${vp.width} px, ${p.name}: header links and login on screen (${header.filter((x) => !x.ok).map((x) => x.s).join(', ') || 'all'})`);
      const cards = await page.evaluate(() => [...document.querySelectorAll('.page:not([hidden]) .card')].filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => (c.querySelector('h2, .title') || c).textContent.trim().slice(0, 40)));
      check(cards.length === 0, `${vp.width} px, ${p.name}: no card's content overflows it${cards.length ? ': ' + cards.join(', ') : ''}`);
      const text = await page.evaluate(() => document.querySelector('.page:not([hidden])').innerText);
      // innerText is the rendered text: headings drawn in capitals compare without case.
      const missing = p.texts.filter((t) => !text.toLowerCase().includes(t.toLowerCase()));
      check(missing.length === 0, `${vp.width} px, ${p.name}: shows ${p.texts.join(', ')}${missing.length ? ' — missing: ' + missing.join(', ') : ''}`);
      if (p.name === 'settings' && vp.width === 390) await checkSettingsForm(page);
      if (p.name === 'dashboard') {
        const note = await page.evaluate(() => document.querySelector('#grid-note').textContent);
        check(/^Meter sample/.test(note) && !/whole amperes/.test(note), `${vp.width} px, dashboard: a meter with decimals gets no whole-ampere note ("${note}")`);
        const tree = await page.evaluate(() => ({ hidden: document.querySelector('#tree-card').hidden, nodes: document.querySelectorAll('#tree .node').length }));
        check(tree.hidden && tree.nodes === 0, `${vp.width} px, dashboard without circuits: no tree of limits (${JSON.stringify(tree)})`);
      }
      await page.screenshot({ path: join(shots, `layout-${vp.width}-${p.name}.png`), fullPage: true });
    }
  }
  check(errors.length === 0, `no page errors or outside requests${errors.length ? ': ' + errors.join('; ') : ''}`);
  harness.child.kill('SIGTERM');
  harness = await startHarness(['--circuits', '--p1']);
  await checkTree(session, harness.url);
  await checkWholeAmpereNote(session, harness.url);
} catch (e) {
  console.log(`FAIL ${e.stack || e}`);
  checker.failures += 1;
} finally {
  if (session) await session.close();
  if (harness) harness.child.kill('SIGTERM');
}
console.log(checker.failures === 0 ? 'layout tests: all passed' : `layout tests: ${checker.failures} failed`);
process.exit(checker.failures === 0 ? 0 : 1);
