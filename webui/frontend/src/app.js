// emsgw dashboard: live state over Server-Sent Events, history charts with uPlot, configuration
// pages that go through the gateway's validator. No framework, no CDN.
'use strict';

const $ = (sel) => document.querySelector(sel);
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}
// Language: the one chosen with the switch, else the browser's first of en, nl, de, fr (i18n.js).
const LANGS = ['en', 'nl', 'de', 'fr'];
function pickLang() {
  try { const saved = localStorage.getItem('emsgw.lang'); if (LANGS.includes(saved)) return saved; } catch (_) { /* no storage */ }
  for (const l of navigator.languages || [navigator.language]) { const c = String(l).slice(0, 2).toLowerCase(); if (LANGS.includes(c)) return c; }
  return 'en';
}
let LANG = pickLang();
/// The browser's own locale when it speaks the chosen language (nl-BE keeps its dates), else the language.
const locale = () => (navigator.languages || [navigator.language]).find((l) => String(l).toLowerCase().startsWith(LANG)) || LANG;
function t(s, vars) {
  let out = (LANG !== 'en' && window.I18N && I18N[LANG] && I18N[LANG][s]) || s;
  if (vars) out = out.replace(/\{(\w+)\}/g, (_, k) => (vars[k] === undefined ? '' : vars[k]));
  return out;
}
/// Who set or sent what an event tells, in words ("web" → "dashboard"); anything else (a file's
/// path) as it is.
function sourceWords(s) {
  switch (s) {
    case 'web': case 'the dashboard': return t('dashboard');
    case 'mqtt': return t('MQTT');
    case 'file': return t('configuration file');
    case 'relay': return t('relay contact');
    case 'api': return t('API');
    case 'failsafe': return t('failsafe');
    default: return s;
  }
}
/// A text of the server (a fault, an event) in the interface's language: the template of its message
/// code (MESSAGES in i18n.js) with its parameters, a setting's label and a charging mode in words;
/// the server's own English text for a code the dashboard does not know.
function serverText(x) {
  const tpl = x && x.message && window.MESSAGES ? MESSAGES[x.message] : undefined;
  if (!tpl) return (x && x.text) || '';
  const params = Object.assign({}, x.params || {});
  const modeWords = (v) => { const m = MODES.find(([k]) => k === v); return m ? t(m[1]) : v; };
  if (params.setting) params.setting = t(params.setting);
  if (params.mode) params.mode = modeWords(params.mode);
  if (params.source) params.source = sourceWords(params.source);
  if (x.message.startsWith('socket_mode_')) for (const k of ['old', 'new']) if (params[k]) params[k] = modeWords(params[k]);
  return t(tpl, params);
}
const fmtDate = (ms) => new Date(ms).toLocaleString(locale(), { dateStyle: 'medium', timeStyle: 'short' });
const fmtTime = (ms) => new Date(ms).toLocaleTimeString(locale());
const fmtDuration = (s) => { if (s === null || s === undefined) return '–'; const m = Math.round(s / 60); return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')}`; };
const money = (v, cur) => (v === null || v === undefined) ? '–' : new Intl.NumberFormat(locale(), { style: 'currency', currency: cur || 'EUR' }).format(v);
const fmt = (v, digits = 1, unit = '') => (v === null || v === undefined || Number.isNaN(v)) ? '–' : `${Number(v).toFixed(digits)}${unit}`;
const kw = (w) => (w === null || w === undefined) ? '–' : Math.abs(w) >= 1000 ? `${(w / 1000).toFixed(2)} kW` : `${Math.round(w)} W`;
const kwh = (wh) => (wh === null || wh === undefined) ? '–' : `${(wh / 1000).toFixed(2)} kWh`;
const PHASES = ['L1', 'L2', 'L3'];
const MODES = [['off', 'Off'], ['now', 'Now'], ['minpv', 'Min+PV'], ['pv', 'PV only']];
// IEC 61851 control-pilot states as stations report them (letter: vehicle; digit 2: current offered).
const MODE3 = {
  A: 'no EV connected', B1: 'EV connected, no current offered', B2: 'EV connected, current offered but not taken (full or waiting)',
  C1: 'EV asks to charge, no current offered', C2: 'charging', D1: 'EV asks to charge (ventilation), no current offered', D2: 'charging (ventilation)',
  E: 'no control pilot: cable or station error', F: 'station fault: not available',
};
const mode3Words = (c) => (c ? t(MODE3[c] || MODE3[c[0]] || c) : '');
// SocketStatus.state (API.md) in words.
const STATE_WORDS = {
  unknown: 'unknown', available: 'available', connected: 'connected', charging: 'charging', charging_reduced: 'charging at reduced current',
  probing: 'starting: learning what the EV takes', alternating: 'paused until its turn', waiting_for_power: 'waiting for power',
  suspended: 'suspended', fallback_safe: 'on its safe current', limited_by_schedule: 'limited by a schedule', off: 'off', fault: 'fault',
};
const stateWords = (so) => { const w = STATE_WORDS[so.state] ? t(STATE_WORDS[so.state]) : so.state_text; return w.charAt(0).toUpperCase() + w.slice(1); };
/// "Socket 1 · garage left": the station's name from the configuration, and the side of a Double.
function socketName(so, all) {
  const double = (all || []).filter((x) => x.station === so.station).length > 1;
  return `${t('Socket')} ${so.id} · ${so.station}${double ? ' ' + t(so.unit === 2 ? 'right' : 'left') : ''}`;
}
const LABELS = { base_topic: 'Base topic', enabled: 'Enabled', host: 'Host', port: 'Port', username: 'User name', url: 'URL', version: 'Version (1 or 2)', database: 'Database (v1)', org: 'Organisation (v2)', bucket: 'Bucket (v2)' };
const MODE_HELP = { off: 'does not charge', now: 'charges with all the grid allows', minpv: 'minimum now, more from solar surplus', pv: 'charges from solar surplus only' };

const state = { session: { logged_in: false, password_set: true, read_requires_login: false, csrf_token: null }, status: null, config: null, page: 'dashboard', range: 'hour', charts: {} };

// ---------------------------------------------------------------------------------------------
// API
async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
  if (method !== 'GET' && state.session.csrf_token) opts.headers['X-CSRF-Token'] = state.session.csrf_token;
  const res = await fetch(path, opts);
  let data = null;
  try { data = await res.json(); } catch (_) { /* empty body */ }
  if (res.status === 401 && path !== '/api/login') { state.session.logged_in = false; renderSession(); }
  return { ok: res.ok, status: res.status, data };
}
function toast(text, bad = false) {
  const t = $('#toast');
  t.textContent = text; t.className = bad ? 'toast bad' : 'toast'; t.hidden = false;
  clearTimeout(toast.timer); toast.timer = setTimeout(() => { t.hidden = true; }, 4000);
}

// ---------------------------------------------------------------------------------------------
// Session
async function loadSession() {
  const r = await api('GET', '/api/session');
  if (r.ok) state.session = r.data;
  renderSession();
  if (!state.session.password_set) openLogin(true);
  else if (state.session.read_requires_login && !state.session.logged_in) openLogin(false);
}
function renderSession() {
  const b = $('#login-button');
  b.textContent = state.session.logged_in ? t('Log out') : t('Log in');
  document.body.classList.toggle('logged-in', !!state.session.logged_in);
  document.querySelectorAll('[data-needs-login]').forEach((el) => { el.disabled = !state.session.logged_in; });
  $('#settings-hint').textContent = state.session.logged_in ? t('Every change is checked by the same validator as the configuration file before it takes effect.') : t('Log in to change settings. You can look at them without logging in.');
}
function openLogin(firstRun) {
  const d = $('#login-dialog');
  d.dataset.mode = firstRun ? 'setup' : 'login';
  $('#login-title').textContent = firstRun ? t('Set the dashboard password') : t('Log in');
  $('#login-text').textContent = firstRun ? t('No password is set yet. Choose one (at least 8 characters); it is stored as an Argon2 hash on the box.') : t('Changes to the site need the dashboard password.');
  $('#login-confirm-row').hidden = !firstRun;
  $('#login-submit').textContent = firstRun ? t('Set password') : t('Log in');
  $('#login-error').textContent = '';
  $('#login-password').value = ''; $('#login-confirm').value = '';
  if (!d.open) d.showModal();
  $('#login-password').focus();
}
async function submitLogin(ev) {
  ev.preventDefault();
  const d = $('#login-dialog');
  const pw = $('#login-password').value;
  if (d.dataset.mode === 'setup' && pw !== $('#login-confirm').value) { $('#login-error').textContent = t('The two passwords differ.'); return; }
  const r = await api('POST', d.dataset.mode === 'setup' ? '/api/setup' : '/api/login', { password: pw });
  if (!r.ok) { $('#login-error').textContent = (r.data && r.data.error) || `refused (HTTP ${r.status})`; return; }
  state.session = r.data; d.close(); renderSession(); toast(t('Logged in')); refreshPage();
  startStream();
}
async function logout() {
  await api('POST', '/api/logout');
  state.session.logged_in = false; state.session.csrf_token = null; renderSession(); toast(t('Logged out'));
}

// ---------------------------------------------------------------------------------------------
// Live state
let source = null;
function startStream() {
  if (source) source.close();
  source = new EventSource('/api/stream');
  source.addEventListener('status', (e) => { state.status = JSON.parse(e.data); renderStatus(); setLive(true); });
  source.onerror = () => setLive(false);
}
function setLive(ok) {
  const p = $('#live');
  if (ok && state.status && state.status.grid && state.status.grid.stale) { p.className = 'pill pill-bad'; p.textContent = t('meter stale'); return; }
  p.className = ok ? 'pill pill-ok' : 'pill pill-bad';
  if (ok) p.replaceChildren(t('live'), h('span', { class: 'when', text: ` · ${fmtTime(state.status.time_ms)}` }));
  else p.textContent = t('reconnecting…');
}

function renderStatus() {
  const s = state.status;
  if (!s) return;
  $('#site-name').textContent = s.site_name || 'emsgw';
  document.title = `emsgw · ${s.site_name}`;
  renderBanner(s); renderPhases(s); renderFlow(s); renderTree(s); renderSockets(s); renderStations(s);
}

function renderBanner(s) {
  const b = $('#banner');
  const items = [];
  if (s.suspended) items.push(t('Charging is suspended (by command or the grid operator).'));
  for (const r of s.degraded_reasons || []) items.push(r);
  for (const f of s.faults || []) items.push(`${serverText(f)} (${t('since')} ${fmtTime(f.since)})`);
  if (!s.degraded && !s.suspended && items.length === 0) { b.hidden = true; return; }
  b.hidden = false;
  b.className = s.degraded ? 'banner bad' : 'banner';
  b.replaceChildren(h('div', { text: s.degraded ? t('Control is degraded — sockets are held at safe currents where inputs are missing') : t('Attention') }), h('ul', {}, items.map((t) => h('li', { text: t }))));
}

function renderPhases(s) {
  const box = $('#phases');
  $('#grid-limit').textContent = t('limit {limit} per phase · margin {margin}', { limit: fmt(s.grid_max_current_a, 0, ' A'), margin: fmt(s.safety_margin_a, 1, ' A') });
  const scale = Math.max(s.grid_max_current_a * 1.15, 1);
  if (box.children.length !== 3 || box.dataset.lang !== LANG) {
    box.dataset.lang = LANG;
    box.parentElement.querySelectorAll('.legend').forEach((l) => l.remove());
    box.replaceChildren(...PHASES.map((p, i) => h('div', { class: 'phase', 'data-phase': i },
      h('span', { class: 'name', text: p }),
      h('div', { class: 'bar' }, h('div', { class: 'fill' }), h('div', { class: 'fill ev' }), h('div', { class: 'mark budget' }), h('div', { class: 'mark limit' })),
      h('span', { class: 'val' }))));
    box.after(h('div', { class: 'legend' }, h('span', {}, h('i', { style: 'background:var(--ok)' }), t('household')), h('span', {}, h('i', { style: 'background:var(--accent)' }), t('EVs')), h('span', {}, h('i', { style: 'background:var(--warn)' }), t('budget (limit − margin)')), h('span', {}, h('i', { style: 'background:var(--ink)' }), t('limit'))));
  }
  PHASES.forEach((_, i) => {
    const row = box.children[i];
    const a = s.grid.current_a[i];
    const pct = (v) => `${Math.max(0, Math.min(100, (v / scale) * 100))}%`;
    const fill = row.querySelector('.fill:not(.ev)');
    fill.style.width = a === null ? '0%' : pct(Math.max(a, 0));
    fill.className = 'fill' + (a !== null && a > s.grid_max_current_a ? ' bad' : a !== null && a > s.budget_a[i] ? ' warn' : '');
    // The EV share is drawn as the last part of the grid bar: household first, EVs on top of it.
    const ev = Math.min(Math.max(a || 0, 0), s.ev_allocated_a[i] || 0);
    const evFill = row.querySelector('.fill.ev');
    evFill.style.left = pct(Math.max(0, (a || 0) - ev));
    evFill.style.width = pct(ev);
    row.querySelector('.mark.budget').style.left = pct(s.budget_a[i]);
    row.querySelector('.mark.limit').style.left = pct(s.grid_max_current_a);
    row.querySelector('.val').replaceChildren(h('b', { text: fmt(a, 1) }), ` / ${fmt(s.grid_max_current_a, 0)} A`);
  });
  // A meter that reports whole amperes (DSMR 4, TIC) is counted one step higher where the site
  // draws: say so, or an installer wonders why an ampere stays free.
  const step = s.grid.current_step_a || 0;
  const stepNote = step > 0 ? ` · ${t('the meter reports whole amperes: each drawn phase counted {step} A higher', { step: fmt(step, 0) })}` : '';
  $('#grid-note').textContent = s.grid.stale ? t('The grid meter is stale: every socket is on its safe current.') : t('Meter sample {age} old · EVs allocated {ev} A', { age: fmt(s.grid.age_s, 1, ' s'), ev: s.ev_allocated_a.map((v) => fmt(v, 1)).join(' / ') }) + stepNote;
}

// Energy: today's figures for the power-flow tiles and the energy page (GET /api/energy).
const kwhOf = (v) => (v === null || v === undefined) ? '–' : `${Number(v).toFixed(2)} kWh`;
function localMidnight(d = new Date()) { return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime(); }
async function loadToday() {
  const r = await api('GET', `/api/energy?period=day&from=${localMidnight()}&to=${Date.now() + 60000}`);
  state.today = r.ok && r.data.periods.length ? r.data.total : null;
  return r;
}
const energyState = { period: 'day' };
async function loadEnergy() {
  const r = await loadToday();
  const d = state.today;
  const ownUse = d && d.pv_kwh ? d.self_consumed_kwh / d.pv_kwh : null;
  $('#energy-today').replaceChildren(
    h('div', { class: 'tile pv' }, h('div', { class: 'k', text: t('Solar') }), h('div', { class: 'v', 'data-test': 'today-solar', text: kwhOf(d && d.pv_kwh) }), h('div', { class: 's', text: ownUse === null ? '' : t('{p} used on site', { p: pct(ownUse) }) })),
    h('div', { class: 'tile' }, h('div', { class: 'k', text: t('Home') }), h('div', { class: 'v', 'data-test': 'today-home', text: kwhOf(d && d.home_kwh) })),
    h('div', { class: 'tile ev' }, h('div', { class: 'k', text: t('Electric vehicles') }), h('div', { class: 'v', text: kwhOf(d && d.ev_kwh) })),
    h('div', { class: 'tile grid-import' }, h('div', { class: 'k', text: t('Grid · import') }), h('div', { class: 'v', text: kwhOf(d && d.grid_import_kwh) })),
    h('div', { class: 'tile grid-export' }, h('div', { class: 'k', text: t('Grid · export') }), h('div', { class: 'v', text: kwhOf(d && d.grid_export_kwh) })));
  const now = new Date();
  const from = energyState.period === 'day' ? localMidnight(new Date(now.getFullYear(), now.getMonth(), now.getDate() - 30)) : new Date(now.getFullYear() - 1, now.getMonth(), 1).getTime();
  const list = await api('GET', `/api/energy?period=${energyState.period}&from=${from}&to=${Date.now() + 60000}`);
  const box = $('#energy-list');
  if (!list.ok) { box.replaceChildren(h('p', { class: 'error', text: (list.data && list.data.error) || (r.data && r.data.error) || t('energy unavailable') })); return; }
  const rows = list.data.periods.slice().reverse();
  if (rows.length === 0) { box.replaceChildren(h('p', { id: 'energy-empty', class: 'hint', text: t('No energy recorded yet: figures appear after the first minutes of operation with [storage].') })); return; }
  const cols = ['Period', 'Grid · import', 'Grid · export', 'Solar', 'Home', 'Electric vehicles', 'Sockets'];
  box.replaceChildren(h('div', { class: 'table-wrap' }, h('table', { class: 'table stack', id: 'energy-table' },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { text: t(c) })))),
    h('tbody', {}, rows.map((p) => {
      const cells = [p.period, kwhOf(p.grid_import_kwh), kwhOf(p.grid_export_kwh), kwhOf(p.pv_kwh), kwhOf(p.home_kwh), kwhOf(p.ev_kwh),
        p.sockets.map((x) => `${x.name}: ${kwhOf(x.kwh)}`).join(' · ') || '–'];
      return h('tr', {}, cells.map((c, k) => h('td', { 'data-label': t(cols[k]), text: c })));
    })))));
}

function renderFlow(s) {
  const grid = s.grid.power_w_total;
  const evW = s.sockets.reduce((sum, so) => sum + so.current_a.reduce((a, v) => a + (v || 0), 0) * 230, 0);
  const tiles = [
    h('div', { class: `tile ${grid !== null && grid < 0 ? 'grid-export' : 'grid-import'}` }, h('div', { class: 'k', text: grid !== null && grid < 0 ? t('Grid · export') : t('Grid · import') }), h('div', { class: 'v', 'data-test': 'grid-power', text: kw(grid === null ? null : Math.abs(grid)) }), h('div', { class: 's', text: `${t('import')} ${kwh(s.grid.import_wh)}` })),
    h('div', { class: 'tile pv' }, h('div', { class: 'k', text: t('Solar') }), h('div', { class: 'v', text: s.pv.configured ? kw(s.pv.power_w) : t('not fitted') }), h('div', { class: 's', text: s.pv.stale && s.pv.configured ? t('reading stale') : `${t('today')} ${kwhOf(state.today && state.today.pv_kwh)}` })),
    h('div', { class: 'tile ev' }, h('div', { class: 'k', text: t('Electric vehicles') }), h('div', { class: 'v', text: `≈ ${kw(evW)}` }), h('div', { class: 's', text: t('{n} of {m} sockets charging', { n: s.sockets.filter((x) => x.charging).length, m: s.sockets.length }) })),
    h('div', { class: 'tile hp' }, h('div', { class: 'k', text: t('Heat pump') }), h('div', { class: 'v', text: s.heatpump.configured ? kw(s.heatpump.power_w) : t('not fitted') }), h('div', { class: 's', text: s.heatpump.configured ? `SG-Ready ${s.heatpump.sg_ready_state}${s.heatpump.reason ? ' · ' + serverText({ message: s.heatpump.reason_message, params: s.heatpump.reason_params, text: s.heatpump.reason }) : ''}` : '' })),
  ];
  // The limits beyond the fuse: the quarter-hour peak and the grid operator's dimming (the circuits
  // are in the tree of limits).
  if (s.peak) tiles.push(h('div', { class: 'tile', 'data-test': 'peak' }, h('div', { class: 'k', text: t('Quarter hour') }), h('div', { class: 'v', text: `≈ ${kw(s.peak.projected_average_w)}` }), h('div', { class: 's', text: `${kwh(s.peak.quarter_energy_wh)} · ${t('target')} ${kw(s.peak.target_w)} · ${t('month peak')} ${kw(s.peak.month_peak_w)}` })));
  if (s.dimming && s.dimming.state !== 'unlimited') tiles.push(h('div', { class: 'tile', 'data-test': 'dimming' }, h('div', { class: 'k', text: t('Grid operator') }), h('div', { class: 'v', text: kw(s.dimming.limit_w) }), h('div', { class: 's', text: `${t(s.dimming.state === 'failsafe' ? 'failsafe' : 'dimmed')} · ${sourceWords(s.dimming.source)}` })));
  $('#flow').replaceChildren(...tiles);
}

// The tree of limits: the grid connection at the root, each [[circuit]] under its parent, and the
// stations with their sockets under the node they hang from. Each node shows its load per grid
// phase against its limit and margin, its power limit where set, and a mark where it bounds a
// socket now. Without circuits there is no tree (the grid card says it all).
const GRID_REASONS = ['grid-l1', 'grid-l2', 'grid-l3'];
function nodeBars(load, ev, limit, budget) {
  // One bar per grid phase: the load (EVs on top where known), the budget and the limit marks.
  const top = Math.max(limit || 0, ...load.map((a) => a || 0));
  const scale = Math.max(top * 1.15, 1);
  const pct = (v) => `${Math.max(0, Math.min(100, (v / scale) * 100))}%`;
  return h('div', { class: 'node-bars' }, PHASES.map((p, i) => {
    const a = load[i];
    const cls = limit && a !== null && a > limit ? ' bad' : limit && a !== null && a > budget[i] ? ' warn' : '';
    const evA = ev ? Math.min(Math.max(a || 0, 0), ev[i] || 0) : 0;
    return h('div', { class: 'node-phase', 'data-ph': i },
      h('span', { class: `ph ph${i + 1}`, text: p }),
      h('div', { class: 'bar' },
        h('div', { class: `fill${cls}`, style: `width:${a === null ? '0%' : pct(Math.max(a, 0))}` }),
        evA > 0 ? h('div', { class: 'fill ev', style: `left:${pct(Math.max(0, (a || 0) - evA))};width:${pct(evA)}` }) : null,
        limit ? h('div', { class: 'mark budget', style: `left:${pct(budget[i])}` }) : null,
        limit ? h('div', { class: 'mark limit', style: `left:${pct(limit)}` }) : null),
      h('span', { class: 'val', text: `${fmt(a, 1)}${limit ? ' / ' + fmt(limit, 0) : ''} A` }));
  }));
}
function bindsMark(ids, s) {
  if (!ids.length) return null;
  const names = ids.map((id) => { const so = s.sockets.find((x) => x.id === id); return so ? socketName(so, s.sockets) : `${t('Socket')} ${id}`; });
  return h('span', { class: 'binds', 'data-test': 'binds', text: t('bounds {sockets} now', { sockets: names.join(', ') }) });
}
function stationLeaves(s, circuit) {
  return s.stations.filter((st) => (st.circuit || '') === circuit).map((st) => h('li', { class: 'leaf', 'data-station': st.name },
    h('div', {}, h('span', { class: `dot ${st.online ? (st.fault ? 'warn' : 'ok') : 'bad'}` }), h('b', { text: `${t('Station')} ${st.name}` })),
    h('ul', { class: 'leaf-sockets' }, s.sockets.filter((so) => so.station === st.name).map((so) => h('li', { 'data-socket': so.id },
      `${socketName(so, s.sockets)}: ${fmt(so.setpoint_a, 0, ' A')} · ${stateWords(so).toLowerCase()}`)))));
}
function circuitNode(c, s, depth) {
  const budget = [0, 1, 2].map(() => Math.max(0, c.max_current_a - c.margin_a));
  const limits = [c.max_current_a ? t('limit {limit} per phase · margin {margin}', { limit: fmt(c.max_current_a, 0, ' A'), margin: fmt(c.margin_a, 1, ' A') }) : t('no current limit'),
    c.max_power_w ? t('power {load} of {max}', { load: kw(c.load_w), max: kw(c.max_power_w) }) : ''].filter(Boolean).join(' · ');
  const note = !c.metered ? t('no meter: only the chargers below count') : !c.meter_ok ? t('meter not read: the sockets below share their safe currents') : '';
  const children = (s.circuits || []).filter((x) => (x.parent || '') === c.name);
  const binds = c.binds || [];
  return h('li', { class: `node${binds.length ? ' binding' : ''}`, 'data-node': c.name },
    h('div', { class: 'node-head' }, h('b', { text: `${t('Circuit')} ${c.name}` }), h('small', { text: limits }), bindsMark(binds, s)),
    note ? h('p', { class: 'hint node-note', text: note }) : null,
    // Unmetered, its load is the EVs below it alone (drawn as EVs); metered, the meter's total.
    nodeBars(c.load_a, c.metered ? null : c.load_a, c.max_current_a, budget),
    h('ul', { class: 'tree-kids' }, [...children.map((x) => circuitNode(x, s, depth + 1)), ...stationLeaves(s, c.name)]));
}
function renderTree(s) {
  const card = $('#tree-card');
  const circuits = s.circuits || [];
  card.hidden = circuits.length === 0;
  if (card.hidden) { $('#tree').replaceChildren(); return; }
  const binds = s.sockets.filter((so) => GRID_REASONS.includes(so.reason)).map((so) => so.id);
  const limits = t('limit {limit} per phase · margin {margin}', { limit: fmt(s.grid_max_current_a, 0, ' A'), margin: fmt(s.safety_margin_a, 1, ' A') });
  const top = circuits.filter((c) => !c.parent || !circuits.some((x) => x.name === c.parent));
  $('#tree').replaceChildren(h('li', { class: `node root${binds.length ? ' binding' : ''}`, 'data-node': '' },
    h('div', { class: 'node-head' }, h('b', { text: t('Grid connection') }), h('small', { text: limits }), bindsMark(binds, s)),
    nodeBars(s.grid.current_a, s.ev_allocated_a, s.grid_max_current_a, s.budget_a),
    h('ul', { class: 'tree-kids' }, [...top.map((c) => circuitNode(c, s, 1)), ...stationLeaves(s, '')])));
}

const socketCards = new Map();
function socketCard(so) {
  const modeSeg = h('div', { class: 'seg mode' }, MODES.map(([m, label]) => h('button', { 'data-mode': m, 'data-needs-login': true, disabled: !state.session.logged_in, title: t(MODE_HELP[m]), onclick: () => setMode(so.id, m) }, t(label))));
  const card = h('div', { class: 'card socket', 'data-socket': so.id },
    h('div', { class: 'head' }, h('span', { class: 'title' }), h('span', { class: 'sub' })),
    h('div', { class: 'state' }), h('div', { class: 'reason' }), h('div', { class: 'mode3 hint' }),
    h('div', { class: 'nums' },
      h('div', {}, h('div', { class: 'k', text: t('set-point') }), h('div', { class: 'v', 'data-f': 'setpoint' })),
      h('div', {}, h('div', { class: 'k', text: t('applied') }), h('div', { class: 'v', 'data-f': 'applied' })),
      h('div', {}, h('div', { class: 'k', text: t('session') }), h('div', { class: 'v', 'data-f': 'energy' }))),
    h('div', { class: 'minibars' }, PHASES.map((p, i) => h('div', { class: 'minibar', 'data-ph': i }, h('span'), h('div', { class: 'bar' }, h('div', { class: 'fill ev' }))))),
    h('div', { class: 'mode-row' }, h('span', { class: 'k', text: t('Mode') }), modeSeg),
    h('p', { class: 'hint', 'data-f': 'modehelp' }));
  return card;
}
/// Per grid phase: the socket's current on it, through the socket's phase mapping (station L1 on
/// grid L3 for "L3L1L2"); null where the socket does not load that grid phase.
function gridPhaseCurrents(so) {
  const map = so.phase_mapping.match(/L[123]/g) || [];
  const out = [null, null, null];
  so.current_a.forEach((a, i) => { if (map[i]) out[Number(map[i][1]) - 1] = a; });
  return out;
}
/// Why a socket has its set-point, in the interface's language: the reason's words, which bound
/// (a circuit's or limit's name, as configured), the time left, and what the station does itself.
function reasonText(so) {
  if (!so.reason_words) return so.reason_text ? t(so.reason_text) : '';
  const station = so.station_text ? serverText({ message: so.station_message, params: so.station_params, text: t(so.station_text) }) : '';
  if (so.reason === 'fault' && station) return station;
  let out = t(so.reason_words);
  const other = so.reason === 'other-minimum' && so.reason_socket !== null && so.reason_socket !== undefined && state.status
    ? state.status.sockets.find((x) => x.id === so.reason_socket) : null;
  // Another socket's minimum took the current: name that socket as the dashboard names it.
  if (other) out += `: ${t('{socket} at its {a} minimum', { socket: socketName(other, state.status.sockets), a: fmt(so.reason_minimum_a, 0, ' A') })}`;
  else if (so.reason_detail) out += `: ${serverText({ message: so.reason_detail_message, params: so.reason_detail_params, text: so.reason_detail })}`;
  if (so.reason_until_s !== null && so.reason_until_s !== undefined) out += ` ${t('({n} s left)', { n: Math.round(so.reason_until_s) })}`;
  return station ? `${out}; ${station}` : out;
}
function renderSockets(s) {
  const box = $('#sockets');
  if (box.dataset.lang !== LANG) { box.dataset.lang = LANG; socketCards.clear(); box.replaceChildren(); }
  for (const so of s.sockets) {
    let card = socketCards.get(so.id);
    if (!card) { card = socketCard(so); socketCards.set(so.id, card); box.append(card); }
    card.className = `card socket st-${so.state}`;
    card.querySelector('.title').textContent = socketName(so, s.sockets);
    card.querySelector('.sub').textContent = `${t('unit')} ${so.unit} · ${so.phase_mapping}${so.online ? '' : ' · ' + t('offline')}`;
    card.querySelector('.state').textContent = stateWords(so);
    card.querySelector('.reason').textContent = reasonText(so);
    card.querySelector('.mode3').textContent = so.mode3 ? `${so.mode3}: ${mode3Words(so.mode3)}` : '';
    card.querySelector('[data-f=setpoint]').textContent = fmt(so.setpoint_a, 1, ' A');
    card.querySelector('[data-f=applied]').textContent = fmt(so.applied_a, 1, ' A');
    card.querySelector('[data-f=energy]').textContent = kwh(so.session_energy_wh);
    gridPhaseCurrents(so).forEach((a, i) => {
      const mb = card.querySelector(`[data-ph="${i}"]`);
      mb.classList.toggle('unused', a === null);
      mb.querySelector('span').textContent = `${PHASES[i]} ${a === null ? '–' : fmt(a, 1, ' A')}`;
      mb.querySelector('.fill').style.width = `${Math.min(100, ((a || 0) / Math.max(so.max_current_a, 1)) * 100)}%`;
    });
    card.querySelectorAll('[data-mode]').forEach((b) => { b.classList.toggle('on', b.dataset.mode === so.mode); b.disabled = !state.session.logged_in; });
    const mode = MODES.find(([m]) => m === so.mode);
    card.querySelector('[data-f=modehelp]').textContent = `${mode ? t(mode[1]) : so.mode}: ${t(MODE_HELP[so.mode] || '')} · ${t('max')} ${fmt(so.max_current_a, 0, ' A')}${so.validity_s !== null ? ` · ${t('set-point valid')} ${fmt(so.validity_s, 0, ' s')}` : ''}`;
  }
}
async function setMode(id, mode) {
  const r = await api('POST', `/api/sockets/${id}/mode`, { mode });
  if (r.ok) toast(r.data.message || `${t('Socket')} ${id}: ${mode}`);
  else toast((r.data && (r.data.message || r.data.error)) || `${t('refused')} (HTTP ${r.status})`, true);
}

const STATION_COLUMNS = ['Station', 'Model · firmware', 'Max', 'Sockets', 'Load L1 / L2 / L3'];
function renderStations(s) {
  $('#scn-note').textContent = s.control === 'scn' && s.scn_budget_a ? `${t('SCN budget')} ${s.scn_budget_a.map((v) => fmt(v, 1)).join(' / ')} A` : `${t('control')}: ${s.control}`;
  const rows = s.stations.map((st) => {
    const socks = s.sockets.filter((so) => so.station === st.name);
    const load = [0, 0, 0];
    for (const so of socks) {
      const map = so.phase_mapping.match(/L[123]/g) || [];
      so.current_a.forEach((a, i) => { if (map[i]) load[Number(map[i][1]) - 1] += a || 0; });
    }
    const [c0, c1, c2, c3, c4] = STATION_COLUMNS.map((c) => t(c));
    return h('tr', {},
      h('td', { 'data-label': c0 }, h('span', {}, h('span', { class: `dot ${st.online ? (st.fault ? 'warn' : 'ok') : 'bad'}` }), h('b', { text: st.name })), st.fault ? h('div', { class: 'issue', text: st.fault }) : null),
      h('td', { 'data-label': c1, text: [st.platform, st.firmware].filter(Boolean).join(' · ') || '–' }),
      h('td', { 'data-label': c2, text: fmt(st.max_current_a, 0, ' A') }),
      h('td', { 'data-label': c3 }, h('span', {}, socks.map((so) => h('div', { text: `${socketName(so, s.sockets)}: ${stateWords(so).toLowerCase()}` })))),
      h('td', { 'data-label': c4, text: load.map((v) => fmt(v, 1)).join(' / ') + ' A' }));
  });
  $('#stations').replaceChildren(h('thead', {}, h('tr', {}, STATION_COLUMNS.map((x) => h('th', { text: t(x) })))), h('tbody', {}, rows));
}

// ---------------------------------------------------------------------------------------------
// History
async function loadHistory() {
  const r = await api('GET', `/api/history?range=${state.range}`);
  if (!r.ok) { toast((r.data && r.data.error) || t('history unavailable'), true); return; }
  const d = r.data;
  const times = d.time_ms.map((x) => x / 1000);
  const limit = d.grid_limit_a;
  // The chart fills its card: the card's content width (no fixed minimum, so a phone never scrolls sideways).
  const width = Math.max(200, $('#chart-grid').clientWidth || ($('#page-history').clientWidth - 40));
  const mk = (id, series, data, unit) => {
    if (state.charts[id]) state.charts[id].destroy();
    const el = $(`#${id}`); el.replaceChildren();
    const empty = times.length === 0 || data.every((col) => col.every((v) => v === null));
    state.charts[id] = new uPlot({ width, height: 240, series: [{}, ...series], axes: [{}, { label: unit, size: 60 }], scales: { x: { time: true } }, legend: { live: true } }, [times, ...data], el);
    if (empty) el.append(h('p', { class: 'hint nodata', text: t('No data yet for this period: emsgw stores a point every 10 seconds.') }));
  };
  // Phase colours as on the wiring (brown, black, grey), told apart by their dashes too.
  mk('chart-grid', [
    { label: 'L1 A', stroke: '#8b5a2b', width: 2 }, { label: 'L2 A', stroke: '#222', width: 2, dash: [10, 4] }, { label: 'L3 A', stroke: '#7a8699', width: 2, dash: [3, 3] },
    { label: `${t('budget (limit − margin)')} A`, stroke: '#d92d20', dash: [6, 4], width: 2 }], [...d.grid_current_a, limit], 'A');
  const palette = ['#0b6bcb', '#1a9f5b', '#9b59b6', '#e67e22', '#16a085', '#c0392b'];
  const ids = Object.keys(d.socket_current_a);
  const sockets = (state.status && state.status.sockets) || [];
  const label = (id) => { const so = sockets.find((x) => String(x.id) === id); return so ? socketName(so, sockets) : `${t('Socket')} ${id}`; };
  mk('chart-ev', ids.map((id, i) => ({ label: `${label(id)} A`, stroke: palette[i % palette.length], width: 2 })), ids.map((id) => d.socket_current_a[id]), 'A');
  mk('chart-pv', [{ label: 'PV W', stroke: '#f5b301', fill: 'rgba(245,179,1,.15)', width: 2 }], [d.pv_power_w], 'W');
}

// ---------------------------------------------------------------------------------------------
// Events
const LEVELS = { info: 'info', warning: 'warning', error: 'error' };
/// "socket[1].mode" → "Socket 1 · garage right: mode"; other subjects as they are.
function subjectWords(code) {
  const m = /^socket\[(\d+)\](?:\.(.*))?$/.exec(code || '');
  if (!m) return code;
  const sockets = (state.status && state.status.sockets) || [];
  const so = sockets.find((x) => x.id === Number(m[1]));
  return (so ? socketName(so, sockets) : `${t('Socket')} ${m[1]}`) + (m[2] ? ` · ${m[2]}` : '');
}
async function loadEvents() {
  const r = await api('GET', '/api/events?range=week&limit=200');
  const ul = $('#events');
  if (!r.ok) { ul.replaceChildren(h('li', { class: 'error', text: (r.data && r.data.error) || t('events unavailable') })); return; }
  if (r.data.length === 0) { ul.replaceChildren(h('li', { text: t('No events in the last week.') })); return; }
  ul.replaceChildren(...r.data.map((e) => h('li', { class: e.level },
    h('div', { class: 't', text: `${fmtDate(e.time_ms)} · ${t(LEVELS[e.level] || e.level)} · ${subjectWords(e.code)}` }),
    h('div', { text: serverText(e) }), e.explanation ? h('div', { class: 'x', text: t(e.explanation) }) : null)));
}

// ---------------------------------------------------------------------------------------------
// Settings
function field(label, obj, key, opts = {}) {
  const v = obj[key];
  let input;
  if (opts.choices) {
    input = h('select', { 'data-key': key }, opts.choices.map((c) => h('option', { value: c, selected: String(v) === String(c) }, c)));
  } else if (typeof v === 'boolean' || opts.type === 'bool') {
    input = h('input', { type: 'checkbox', 'data-key': key, checked: !!v });
  } else {
    input = h('input', { type: typeof v === 'number' || opts.type === 'number' ? 'number' : 'text', step: 'any', 'data-key': key, value: v ?? '' });
  }
  input.addEventListener('change', () => {
    obj[key] = input.type === 'checkbox' ? input.checked : input.type === 'number' ? (input.value === '' ? null : Number(input.value)) : input.value;
    if (opts.onchange) opts.onchange();
  });
  return h('label', { 'data-issue-key': opts.path || key }, t(label) + (opts.unit ? ` (${opts.unit})` : ''), input, h('span', { class: 'issue' }));
}
/// One setting from the configuration schema (GET /api/config/schema): its label and unit, an
/// input that fits its type and range, and its help text. Secrets are never shown: the field starts
/// empty and only a typed value goes into the patch.
function schemaField(f, obj) {
  const v = obj[f.key];
  const set = (value) => { obj[f.key] = value; };
  let input;
  if (f.choices) {
    input = h('select', { 'data-key': f.key }, f.choices.map((c) => h('option', { value: c, selected: String(v) === String(c) }, c)));
    input.addEventListener('change', () => set(typeof f.choices[0] === 'number' ? Number(input.value) : input.value));
  } else if (f.type === 'boolean') {
    input = h('input', { type: 'checkbox', 'data-key': f.key, checked: !!v });
    input.addEventListener('change', () => set(input.checked));
  } else if (f.type === 'integer' || f.type === 'number') {
    input = h('input', { type: 'number', 'data-key': f.key, value: v ?? '', min: f.min, max: f.max, step: f.type === 'integer' ? 1 : 'any', inputmode: f.type === 'integer' ? 'numeric' : 'decimal' });
    input.addEventListener('change', () => set(input.value === '' ? null : Number(input.value)));
  } else if (f.type === 'secret') {
    input = h('input', { type: 'password', 'data-key': f.key, value: '', autocomplete: 'new-password', placeholder: t('unchanged') });
    input.addEventListener('change', () => { if (input.value === '') delete obj[f.key]; else set(input.value); });
  } else {
    input = h('input', { type: 'text', 'data-key': f.key, value: v ?? '' });
    input.addEventListener('change', () => set(input.value));
  }
  const unit = f.unit ? h('span', { class: 'unit', text: ` (${t(f.unit)})` }) : null;
  return h('label', { 'data-issue-key': f.section === 'site' ? f.key : f.path, 'data-setting': f.path },
    h('span', { class: 'name' }, t(f.label), unit), input,
    f.help ? h('small', { class: 'help', text: t(f.help) }) : null, h('span', { class: 'issue' }));
}
/// The editable settings of one section, from the schema; without a schema (an older gateway) the
/// document's own keys.
function schemaForm(schema, sectionName, obj) {
  const fields = schema ? schema.filter((f) => f.section === sectionName && f.editable)
    : Object.keys(obj).map((k) => ({ section: sectionName, key: k, path: `${sectionName}.${k}`, label: LABELS[k] || k, type: typeof obj[k] === 'boolean' ? 'boolean' : typeof obj[k] === 'number' ? 'number' : 'string' }));
  return h('div', { class: 'form' }, fields.map((f) => schemaField(f, obj)));
}
function showIssues(card, issues) {
  card.querySelectorAll('label.bad').forEach((l) => l.classList.remove('bad'));
  card.querySelectorAll('.issue').forEach((i) => { i.textContent = ''; });
  const box = card.querySelector('.issues');
  box.replaceChildren();
  for (const is of issues) {
    const label = [...card.querySelectorAll('[data-issue-key]')].find((l) => is.key === l.dataset.issueKey || is.key.endsWith('.' + l.dataset.issueKey));
    if (label) { label.classList.add('bad'); label.querySelector('.issue').textContent = `${is.rule}`; }
    box.append(h('div', { class: 'issue', text: `${is.key} = ${is.value}: ${is.rule}` }));
  }
}
function section(title, buildBody, patchOf, extra) {
  const card = h('div', { class: 'card' });
  const render = () => {
    const body = buildBody(render);
    const confirmBox = h('div', { class: 'confirm' });
    const put = async (patch) => {
      const r = await api('PUT', '/api/config', patch);
      confirmBox.replaceChildren();
      if (r.ok) { state.config = r.data.config; showIssues(card, []); toast(`${t(title)}: ${t('saved')}`); loadSettings(); }
      else if (r.status === 409 && r.data && r.data.needs_confirmation) {
        // An installer-locked limit would go beyond the configuration file: say which, and apply only
        // when the person confirms (the server refuses it otherwise).
        showIssues(card, []);
        confirmBox.replaceChildren(
          h('p', { text: t('This raises a limit above the configuration file. Only do this if the installation allows it:') }),
          h('ul', {}, ...r.data.issues.map((is) => h('li', { text: `${is.key} = ${is.value}` }))),
          h('div', { class: 'actions' },
            h('button', { class: 'btn', onclick: () => confirmBox.replaceChildren() }, t('Cancel')),
            h('button', { class: 'btn danger', 'data-confirm-raise': true, onclick: () => put({ ...patch, confirm: true }) }, t('Confirm and save'))));
      }
      else if (r.status === 422) { showIssues(card, r.data.issues); toast(`${t(title)}: ${t('not saved')} — ${t('{n} problem(s)', { n: r.data.issues.length })}`, true); }
      else toast((r.data && r.data.error) || `${t('refused')} (HTTP ${r.status})`, true);
    };
    const save = h('button', { class: 'btn primary', 'data-needs-login': true, disabled: !state.session.logged_in, onclick: () => put(patchOf()) }, t('Save'));
    card.replaceChildren(h('h2', { text: t(title) }), body, h('div', { class: 'issues' }), confirmBox, h('div', { class: 'actions' }, extra ? extra() : null, save));
  };
  render();
  return card;
}
async function probe(kind, target, out) {
  out.className = 'probe'; out.textContent = `${t('Testing')} ${kind} ${target}…`;
  const r = await api('POST', `/api/probe/${kind}`, { target });
  if (!r.ok) { out.className = 'probe bad'; out.textContent = (r.data && r.data.error) || `refused (HTTP ${r.status})`; return; }
  out.className = r.data.ok ? 'probe ok' : 'probe bad';
  // What the test found, line by line (the same findings as `emsgw check-site`): each mismatch with
  // the file carries its fix.
  const findings = (r.data.details && Array.isArray(r.data.details.findings)) ? r.data.details.findings : [];
  out.replaceChildren(h('b', { text: (r.data.ok ? '✔ ' : '✘ ') + r.data.summary }),
    findings.length ? h('ul', { class: 'findings' }, findings.map((f) => h('li', { class: f.ok ? 'ok' : 'bad' },
      h('span', { text: `${f.ok ? '✔' : '✘'} ${f.text}` }),
      f.fix ? h('div', { class: 'fix', text: `${t('Fix')}: ${f.fix}` }) : null))) : null);
}
async function loadSettings() {
  const r = await api('GET', '/api/config');
  const box = $('#settings');
  if (!r.ok) { box.replaceChildren(h('p', { class: 'error', text: (r.data && r.data.error) || 'configuration unavailable' })); return; }
  const cfg = state.config = r.data;
  if (!state.schema) { const sr = await api('GET', '/api/config/schema'); if (sr.ok) state.schema = sr.data.fields; }
  const schema = state.schema;
  const pm = await api('GET', `/api/phase_mappings?sockets=${Math.max(16, (cfg.stations || []).length)}`);
  const mappings = pm.ok ? pm.data : { names: ['L1L2L3'], recommended_three_phase: [], recommended_single_phase: [] };
  const site = cfg.site;
  const parts = [];
  if ((cfg.overrides && cfg.overrides.length) || (cfg.restart_required && cfg.restart_required.length)) {
    const reset = async (query, what) => {
      const r = await api('DELETE', `/api/config/overrides?${query}`);
      if (r.ok) { toast(`${what}: ${t('the configuration file applies again')}`); loadSettings(); }
      else toast((r.data && (r.data.error || (r.data.issues && r.data.issues[0].rule))) || `${t('refused')} (HTTP ${r.status})`, true);
    };
    const rows = (cfg.overrides || []).map((o) => h('tr', { 'data-override': o.key },
      h('td', { text: o.key }), h('td', { text: o.value }), h('td', { text: o.source }),
      h('td', { text: fmtDate(o.time_ms) }),
      h('td', {}, h('button', { class: 'btn', 'data-needs-login': true, disabled: !state.session.logged_in, onclick: () => reset(`key=${encodeURIComponent(o.key)}`, o.key) }, t('Reset to file')))));
    const card = h('div', { class: 'card', id: 'overrides' }, h('h2', { text: t('Changed at runtime') }),
      h('p', { class: 'hint', text: t('These settings were changed from this dashboard, a command or MQTT. They are kept on the box and applied on top of the configuration file at every start.') }),
      rows.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table overrides' }, h('tr', {}, ['Setting', 'Value', 'Set by', 'When', ''].map((x) => h('th', { text: x && t(x) }))), rows)) : null,
      cfg.restart_required && cfg.restart_required.length ? h('p', { class: 'restart', id: 'restart-required', text: `${t('Saved, applies at the next start of emsgw')}: ${cfg.restart_required.join(', ')}` }) : null,
      rows.length ? h('div', { class: 'actions' }, h('button', { class: 'btn', 'data-needs-login': true, disabled: !state.session.logged_in, onclick: () => reset('all=true', t('every setting')) }, t('Reset all to file'))) : null);
    parts.push(card);
  }
  parts.push(section('Site limits', () => schemaForm(schema, 'site', site), () => ({ site })));
  if (cfg.meter) {
    const grid = cfg.meter.grid || {};
    const out = h('div', { class: 'probe', hidden: true });
    parts.push(section('Grid meter', (rerender) => {
      const rows = [h('div', { class: 'form' },
        field('Kind', grid, 'kind', { choices: cfg.meter_kinds || [grid.kind], path: 'meter.grid.kind' }),
        field('Host', grid, 'host', { path: 'meter.grid.host' }),
        field('Port', grid, 'port', { path: 'meter.grid.port' }),
        field('Modbus unit', grid, 'unit', { path: 'meter.grid.unit' }),
        field('Preset', grid, 'preset', { choices: cfg.meter_presets || ['custom'], path: 'meter.grid.preset', onchange: rerender }),
        field('Poll interval', grid, 'poll_interval_ms', { unit: 'ms', path: 'meter.grid.poll_interval_ms' }))];
      if (grid.preset === 'custom') {
        grid.map = grid.map || {};
        const q = ['current_l1', 'current_l2', 'current_l3', 'power_total', 'power_l1', 'power_l2', 'power_l3', 'voltage_l1', 'voltage_l2', 'voltage_l3', 'energy_import', 'energy_export'];
        rows.push(h('h3', { text: t('Custom register map') }));
        for (const [name, spec] of Object.entries(grid.map)) {
          rows.push(h('div', { class: 'maprow' }, h('b', { text: name }),
            field('register', spec, 'register', { path: `meter.grid.map.${name}.register` }),
            field('function', spec, 'function', { choices: [3, 4], path: `meter.grid.map.${name}.function` }),
            field('type', spec, 'type', { choices: ['u16', 's16', 'u32', 's32', 'float32', 'u64', 's64', 'float64'] }),
            field('word order', spec, 'word_order', { choices: ['high-first', 'low-first'] }),
            field('scale', spec, 'scale', { path: `meter.grid.map.${name}.scale` }),
            h('button', { class: 'btn', onclick: () => { delete grid.map[name]; rerender(); } }, t('Remove'))));
        }
        const pick = h('select', {}, q.filter((n) => !grid.map[n]).map((n) => h('option', { value: n }, n)));
        rows.push(h('div', { class: 'actions' }, pick, h('button', { class: 'btn', onclick: () => { if (pick.value) { grid.map[pick.value] = { register: 0, function: 4, type: 'float32', word_order: 'high-first', scale: 1 }; rerender(); } } }, t('Add register'))));
      }
      rows.push(out);
      return h('div', {}, rows);
    }, () => ({ meter: { grid } }), () => h('button', { class: 'btn', 'data-needs-login': true, disabled: !state.session.logged_in, onclick: () => { out.hidden = false; probe('meter', 'grid', out); } }, t('Test meter'))));
  }
  const stations = cfg.stations || [];
  parts.push(section('Stations and sockets', (rerender) => h('div', {}, stations.map((st, si) => {
    const out = h('div', { class: 'probe', hidden: true });
    return h('div', { class: 'card' },
      h('div', { class: 'form' },
        field('Station name', st, 'name', { path: `station[${si}].name` }),
        field('Host', st, 'host', { path: `station[${si}].host` }),
        field('Port', st, 'port', { path: `station[${si}].port` }),
        field('Station max current', st, 'max_current_a', { unit: 'A', path: `station[${si}].max_current_a` }),
        field('1/3-phase switching allowed', st, 'phase_switching', { path: `station[${si}].phase_switching` })),
      h('h3', { text: t('Sockets') }),
      st.sockets.map((so, j) => {
        // The guide (6.3/6.4) rotates from station to station: both sockets of a Double share one
        // feeder and so one phase order; the next station is rotated.
        const three = so.phase_mapping.length > 2;
        const rec = (three ? mappings.recommended_three_phase : mappings.recommended_single_phase)[si];
        return h('div', { class: 'socket-row' },
          field('Id', so, 'id', { path: `station[${si}].socket[${j}].id` }),
          field('Unit', so, 'unit', { choices: [1, 2], path: `station[${si}].socket[${j}].unit` }),
          field('Max current', so, 'max_current_a', { unit: 'A', path: `station[${si}].socket[${j}].max_current_a` }),
          field('Safe current', so, 'safe_current_a', { unit: 'A', path: `station[${si}].socket[${j}].safe_current_a` }),
          field('Phase mapping', so, 'phase_mapping', { choices: mappings.names, path: `station[${si}].socket[${j}].phase_mapping` }),
          field('Mode', so, 'mode', { choices: MODES.map(([m]) => m), path: `station[${si}].socket[${j}].mode` }),
          rec && rec !== so.phase_mapping ? h('button', { class: 'btn', title: t('the guide rotates phases from station to station (both sockets of a Double share one feeder) so single-phase EVs spread over L1, L2, L3'), onclick: () => { so.phase_mapping = rec; rerender(); } }, t('Use {m}', { m: rec })) : h('span', { class: 'hint', text: rec ? t('recommended ✔') : '' }));
      }),
      h('div', { class: 'actions' }, h('button', { class: 'btn', 'data-needs-login': true, disabled: !state.session.logged_in, onclick: () => { out.hidden = false; probe('station', st.name, out); } }, t('Test station {name}', { name: st.name }))), out);
  })), () => ({ stations })));
  if (cfg.surplus) parts.push(section('Charging modes (solar surplus)', () => schemaForm(schema, 'surplus', cfg.surplus), () => ({ surplus: cfg.surplus })));
  if (cfg.mqtt) parts.push(section('MQTT', () => schemaForm(schema, 'mqtt', cfg.mqtt), () => ({ mqtt: cfg.mqtt })));
  if (cfg.influx) parts.push(section('InfluxDB', () => schemaForm(schema, 'influx', cfg.influx), () => ({ influx: cfg.influx })));
  box.replaceChildren(...parts);
}

// ---------------------------------------------------------------------------------------------
// Charging sessions
const END_REASONS = {
  unplugged: 'EV unplugged', unplugged_during_restart: 'EV left while emsgw was stopped',
  socket_removed: 'socket removed from the configuration', replaced: 'a new session began on the socket',
};
const sessionsState = { offset: 0, limit: 20 };
const pct = (v) => (v === null || v === undefined) ? '–' : `${Math.round(v * 100)} %`;
function sessionsQuery() {
  const q = new URLSearchParams();
  const sock = $('#sessions-socket').value;
  if (sock !== '') q.set('socket', sock);
  const month = $('#sessions-month').value;  // "2026-11", the browser's local month
  if (month) {
    const [y, m] = month.split('-').map(Number);
    q.set('from', String(new Date(y, m - 1, 1).getTime()));
    q.set('to', String(new Date(y, m, 1).getTime()));
  }
  return q;
}
function sessionSocketName(x) {
  const sockets = (state.status && state.status.sockets) || [];
  const so = sockets.find((s) => s.id === x.socket);
  return so ? socketName(so, sockets) : x.socket_name;
}
async function loadSessions() {
  const sel = $('#sessions-socket');
  const sockets = (state.status && state.status.sockets) || [];
  if (sel.dataset.built !== `${LANG}:${sockets.length}`) {
    const keep = sel.value;
    sel.dataset.built = `${LANG}:${sockets.length}`;
    sel.replaceChildren(h('option', { value: '' }, t('all sockets')), ...sockets.map((so) => h('option', { value: so.id }, socketName(so, sockets))));
    sel.value = keep;
  }
  const q = sessionsQuery();
  $('#sessions-csv').href = '/api/sessions.csv' + (q.toString() ? `?${q}` : '');
  const all = new URLSearchParams(q); all.set('limit', '500');
  const page = new URLSearchParams(q); page.set('limit', String(sessionsState.limit)); page.set('offset', String(sessionsState.offset));
  const [r, sum] = await Promise.all([api('GET', `/api/sessions?${page}`), api('GET', `/api/sessions?${all}`)]);
  const box = $('#sessions-list');
  if (!r.ok) { box.replaceChildren(h('p', { id: 'sessions-empty', class: 'error', text: (r.data && r.data.error) || t('sessions unavailable') })); return; }
  const list = r.data.sessions;
  if (sum.ok) {
    const xs = sum.data.sessions;
    const energy = xs.reduce((a, x) => a + (x.energy_wh || 0), 0);
    const solar = xs.reduce((a, x) => a + (x.pv_energy_wh || 0), 0);
    const costs = xs.filter((x) => x.cost !== null);
    const cost = costs.reduce((a, x) => a + x.cost, 0);
    $('#sessions-summary').replaceChildren(
      h('div', { class: 'tile' }, h('div', { class: 'k', text: t('Sessions') }), h('div', { class: 'v', text: String(sum.data.total) })),
      h('div', { class: 'tile ev' }, h('div', { class: 'k', text: t('Energy') }), h('div', { class: 'v', text: kwh(energy) })),
      h('div', { class: 'tile pv' }, h('div', { class: 'k', text: t('Solar share') }), h('div', { class: 'v', text: energy > 0 ? pct(solar / energy) : '–' })),
      h('div', { class: 'tile' }, h('div', { class: 'k', text: t('Cost') }), h('div', { class: 'v', text: costs.length ? money(cost, costs[0].currency) : '–' })));
  }
  if (list.length === 0) {
    box.replaceChildren(h('p', { id: 'sessions-empty', class: 'hint', text: t('No charging sessions for this choice yet. A session begins when an EV is plugged in.') }));
  } else {
    const cols = ['Start', 'Socket', 'Duration', 'Energy', 'Solar', 'Peak', 'Cost'];
    box.replaceChildren(h('table', { class: 'table sessions stack', id: 'sessions-table' },
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { text: t(c) })))),
      h('tbody', {}, list.map((x) => {
        const cells = [fmtDate(x.start_ms), sessionSocketName(x), x.running ? t('charging now') : fmtDuration(x.duration_s), kwh(x.energy_wh),
          pct(x.solar_share), fmt(x.max_current_a, 1, ' A'), money(x.cost, x.currency)];
        return h('tr', { 'data-session': x.id, tabindex: 0, onclick: () => showSession(x.id), onkeydown: (e) => { if (e.key === 'Enter') showSession(x.id); } },
          cells.map((c, k) => h('td', { 'data-label': t(cols[k]), text: c })));
      }))));
  }
  const from = list.length ? sessionsState.offset + 1 : 0;
  $('#sessions-page').textContent = t('{a}–{b} of {n}', { a: from, b: sessionsState.offset + list.length, n: r.data.total });
  $('#sessions-newer').disabled = sessionsState.offset === 0;
  $('#sessions-older').disabled = sessionsState.offset + list.length >= r.data.total;
}
async function showSession(id) {
  const r = await api('GET', `/api/sessions/${id}`);
  const card = $('#session-detail');
  if (!r.ok) { toast((r.data && r.data.error) || t('sessions unavailable'), true); return; }
  const x = r.data;
  const row = (k, v) => [h('dt', { text: t(k) }), h('dd', { text: v })];
  const quarters = x.quarters || [];
  card.hidden = false;
  card.replaceChildren(h('h2', { text: `${t('Session')} ${x.id} · ${sessionSocketName(x)}` }),
    h('dl', { class: 'facts' },
      row('Start', fmtDate(x.start_ms)), row('End', x.running ? t('charging now') : fmtDate(x.end_ms)), row('Duration', fmtDuration(x.duration_s)),
      row('Meter reading at start', kwh(x.start_energy_wh)), row('Meter reading at end', kwh(x.end_energy_wh)), row('Energy', kwh(x.energy_wh)),
      row('Solar share', pct(x.solar_share)), row('Peak current', fmt(x.max_current_a, 1, ' A')), row('Average current', fmt(x.avg_current_a, 1, ' A')),
      row('Cost', money(x.cost, x.currency)), row('Ended', x.running ? '–' : t(END_REASONS[x.end_reason] || x.end_reason || '–'))),
    quarters.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('tr', {}, ['Quarter hour', 'Energy', 'Solar', 'Price per kWh'].map((c) => h('th', { text: t(c) }))),
      quarters.map((q) => h('tr', {}, h('td', { text: fmtDate(q.start_ms) }), h('td', { text: kwh(q.energy_wh) }), h('td', { text: kwh(q.pv_energy_wh) }),
        h('td', { text: q.import_price_per_kwh === null ? '–' : `${money(q.import_price_per_kwh, x.currency || 'EUR')}${q.tariff_window ? ' · ' + q.tariff_window : ''}` }))))) : null);
  card.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
}
$('#sessions-socket').addEventListener('change', () => { sessionsState.offset = 0; loadSessions(); });
$('#sessions-month').addEventListener('change', () => { sessionsState.offset = 0; loadSessions(); });
$('#sessions-newer').addEventListener('click', () => { sessionsState.offset = Math.max(0, sessionsState.offset - sessionsState.limit); loadSessions(); });
$('#sessions-older').addEventListener('click', () => { sessionsState.offset += sessionsState.limit; loadSessions(); });

// ---------------------------------------------------------------------------------------------
// Language
function applyLanguage() {
  document.documentElement.lang = LANG;
  $('#lang').value = LANG;
  document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  $('#live').title = t('live updates');
  renderSession();
  renderStatus();
}
$('#lang').addEventListener('change', () => {
  LANG = $('#lang').value;
  try { localStorage.setItem('emsgw.lang', LANG); } catch (_) { /* no storage */ }
  applyLanguage();
  refreshPage();
});

// ---------------------------------------------------------------------------------------------
// Navigation
function refreshPage() {
  if (state.page === 'history') loadHistory();
  if (state.page === 'sessions') loadSessions();
  if (state.page === 'energy') loadEnergy();
  if (state.page === 'events') loadEvents();
  if (state.page === 'settings') loadSettings();
}
function route() {
  state.page = (location.hash || '#dashboard').slice(1);
  if (!['dashboard', 'sessions', 'energy', 'history', 'events', 'settings'].includes(state.page)) state.page = 'dashboard';
  document.querySelectorAll('.page').forEach((p) => { p.hidden = p.id !== `page-${state.page}`; });
  document.querySelectorAll('#nav a').forEach((a) => a.classList.toggle('on', a.dataset.page === state.page));
  refreshPage();
}
window.addEventListener('hashchange', route);
$('#energy-period').addEventListener('click', (e) => {
  const p = e.target.dataset.period; if (!p) return;
  energyState.period = p; document.querySelectorAll('#energy-period button').forEach((b) => b.classList.toggle('on', b.dataset.period === p)); loadEnergy();
});
setInterval(() => { loadToday().then(() => { if (state.status) renderFlow(state.status); }); }, 60000);
$('#range').addEventListener('click', (e) => {
  const r = e.target.dataset.range; if (!r) return;
  state.range = r; document.querySelectorAll('#range button').forEach((b) => b.classList.toggle('on', b.dataset.range === r)); loadHistory();
});
$('#login-button').addEventListener('click', () => (state.session.logged_in ? logout() : openLogin(!state.session.password_set)));
$('#login-form').addEventListener('submit', submitLogin);
$('#login-cancel').addEventListener('click', () => $('#login-dialog').close());

let resizeTimer = null;
window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(() => { if (state.page === 'history') loadHistory(); }, 250); });

applyLanguage();
loadSession().then(() => { route(); startStream(); loadToday(); });
