// The console's Activity and Agents views as the approval page includes them: the tab bar, the
// two panels, a confirmation dialog, their style and their script. The markup here is static;
// everything from the store is put in with textContent / setAttribute by the script, never
// parsed as HTML. Style and script run under the page's per-response CSP nonce and talk only
// to this origin (`connect-src 'self'`); the chart is an SVG the script draws itself.

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The tab bar; the Pending panel is the page's own list, wrapped as `#view-pending`. */
export function consoleTabsHtml(): string {
  return `<p id="anomaly-banner" class="notice err" role="alert"></p>
<div class="tabs" role="tablist" aria-label="Console views">
<button type="button" role="tab" id="tab-pending" aria-controls="view-pending" aria-selected="true" tabindex="0">Pending</button>
<button type="button" role="tab" id="tab-activity" aria-controls="view-activity" aria-selected="false" tabindex="-1">Activity</button>
<button type="button" role="tab" id="tab-agents" aria-controls="view-agents" aria-selected="false" tabindex="-1">Agents</button>
</div>`;
}

/** The Activity and Agents panels (hidden until chosen) and the revoke confirmation dialog. */
export function consoleViewsHtml(): string {
  return `<section id="view-activity" class="view" role="tabpanel" aria-labelledby="tab-activity" tabindex="0" hidden>
<p id="activity-status" class="live" role="status">Loading…</p>
<figure class="chart-box">
<figcaption id="chart-title">Calls per hour per agent, last 24 hours</figcaption>
<div id="chart"></div>
<p id="chart-desc" class="sr-only"></p>
<ul id="chart-legend" class="legend" aria-label="Agents in the chart"></ul>
</figure>
<div class="filters" role="group" aria-label="Filter the calls">
<div class="field"><label for="f-agent">Agent</label><select id="f-agent"><option value="">All agents</option></select></div>
<div class="field"><label for="f-tool">Tool</label><select id="f-tool"><option value="">All tools</option></select></div>
<div class="field"><label for="f-outcome">Outcome</label><select id="f-outcome"><option value="">Any outcome</option><option value="ok">ok</option><option value="error">error</option><option value="denied">denied</option><option value="pending">pending</option><option value="running">running</option></select></div>
</div>
<table class="grid" id="activity-table">
<caption class="sr-only">Recent tool calls, newest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">Agent</th><th scope="col">Tool</th><th scope="col">Summary</th><th scope="col">Decision</th><th scope="col">Outcome</th><th scope="col">Error</th></tr></thead>
<tbody id="activity-rows"></tbody>
</table>
<p id="activity-empty" class="empty" hidden>No calls match.</p>
</section>
<section id="view-agents" class="view" role="tabpanel" aria-labelledby="tab-agents" tabindex="0" hidden>
<p id="agents-status" class="live" role="status">Loading…</p>
<p id="agents-notice" class="notice" role="alert"></p>
<div id="agents-list"></div>
</section>
<dialog id="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-text">
<h2 id="confirm-title">Revoke?</h2>
<p id="confirm-text"></p>
<div class="actions"><button type="button" id="confirm-yes" class="deny">Revoke</button> <button type="button" id="confirm-no" class="plain">Cancel</button></div>
</dialog>`;
}

/** The views' style, under the page's nonce. */
export function consoleStyle(nonce: string): string {
  return `<style nonce="${attr(nonce)}">
 html,body{overflow-x:hidden}
 .sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
 .tabs{display:flex;gap:4px;border-bottom:1px solid #d0d7de;margin:0 0 14px;flex-wrap:wrap}
 .tabs [role=tab]{background:none;border:0;border-bottom:3px solid transparent;border-radius:0;padding:8px 14px;color:#57606a;font-weight:600}
 .tabs [role=tab][aria-selected=true]{color:#1b1f24;border-bottom-color:#fd8c73}
 :focus-visible{outline:3px solid #0969da;outline-offset:2px}
 .view:focus-visible{outline-offset:4px}
 .live{color:#57606a;font-size:12px;margin:0 0 10px} .live.down{color:#cf222e}
 .notice{margin:0 0 14px;padding:8px 12px;border-radius:6px;font-size:14px} .notice:empty{display:none}
 .notice.ok{background:#dafbe1;color:#116329} .notice.err{background:#ffebe9;color:#a40e26}
 .chart-box{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 14px;margin:0 0 14px}
 .chart-box figcaption{font-weight:600;font-size:14px;margin-bottom:6px}
 #chart svg{width:100%;height:auto;display:block}
 .legend{list-style:none;padding:0;margin:6px 0 0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:13px}
 .legend svg{vertical-align:-1px;margin-right:4px}
 .filters{display:flex;flex-wrap:wrap;gap:8px 14px;margin:0 0 12px;font-size:14px}
 .filters .field{display:flex;flex-direction:column;gap:2px;min-width:0} .filters label{color:#57606a;font-size:12px}
 .filters select{font:inherit;font-size:14px;padding:4px 6px;border:1px solid #d0d7de;border-radius:6px;background:#fff;max-width:100%}
 table.grid{width:100%;border-collapse:collapse;background:#fff;border:1px solid #d0d7de;border-radius:8px;font-size:13px}
 table.grid th,table.grid td{text-align:left;padding:6px 8px;border-bottom:1px solid #eaeef2;vertical-align:top;overflow-wrap:break-word}
 table.grid td.wrap{overflow-wrap:anywhere}
 table.grid th{background:#f6f8fa;font-size:12px;color:#57606a}
 .o-ok{color:#116329} .o-error,.o-denied{color:#a40e26} .o-pending,.o-running{color:#9a6700}
 .agent{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:14px 16px;margin-bottom:14px}
 .agent h2{font-size:17px;margin:0 0 4px;overflow-wrap:anywhere}
 .agent .meta{color:#57606a;font-size:13px;margin:0 0 10px;overflow-wrap:anywhere}
 .agent .revoked-note{color:#a40e26;font-weight:600}
 .eff-allow{color:#116329;font-weight:600} .eff-approve{color:#9a6700;font-weight:600} .eff-deny{color:#a40e26;font-weight:600}
 .rule{color:#57606a;font-size:12px;font-family:ui-monospace,monospace}
 button.revoke{background:#fff;border:1px solid #cf222e;color:#cf222e;padding:3px 10px;font-size:13px}
 button.revoke-all{background:#cf222e;color:#fff;margin-bottom:10px}
 button.plain{background:#fff;border:1px solid #d0d7de;color:#1b1f24}
 dialog{border:1px solid #d0d7de;border-radius:8px;max-width:min(440px,calc(100vw - 40px));padding:16px 18px}
 dialog::backdrop{background:rgba(27,31,36,.5)}
 dialog h2{font-size:17px;margin:0 0 8px}
 @media (max-width:640px){
  main{padding:0 10px}
  header{padding:12px 14px}
  table.grid,table.grid tbody,table.grid tr,table.grid td{display:block;width:auto}
  table.grid thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
  table.grid tr{border-bottom:1px solid #d0d7de;padding:6px 0}
  table.grid td{border:0;padding:2px 10px;overflow-wrap:anywhere}
  table.grid td::before{content:attr(data-label) ": ";color:#57606a;font-size:12px}
 }
</style>`;
}

/** The views' script, under the page's nonce: tabs, polling every 2 s, the chart, revocation. */
export function consoleScript(nonce: string): string {
  return `<script nonce="${attr(nonce)}">
(() => {
'use strict';
const $ = (id) => document.getElementById(id);
const csrfToken = document.querySelector('meta[name=csrf-token]').content;
const mk = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined && text !== null) e.textContent = String(text); return e; };
const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs) => { const e = document.createElementNS(SVG, tag); for (const k in attrs) e.setAttribute(k, String(attrs[k])); return e; };
const COLORS = ['#0969da', '#bf3989', '#1a7f37', '#9a6700', '#8250df', '#cf222e', '#1b7c83', '#57606a'];
const TITLES = { pending: ['Mandate · pending approvals', 'Each approval lets one agent make one call with exactly these arguments, once.'],
  activity: ['Mandate · activity', 'What your agents did: every call from the audit trail, newest first.'],
  agents: ['Mandate · agents', 'What each agent may do, per tool; revoke a capability or a whole delegation.'] };
const tabs = [...document.querySelectorAll('.tabs [role=tab]')];
let current = 'pending';
const when = (iso) => { const d = new Date(iso); return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : d.toLocaleString(); };
const errText = async (r) => { const j = await r.json().catch(() => ({})); return (j.error && j.error.message) || ('HTTP ' + r.status); };
async function getJson(url) { const r = await fetch(url, { cache: 'no-store' }); if (!r.ok) throw new Error(await errText(r)); return r.json(); }
function live(el, ok, text) { el.className = ok ? 'live' : 'live down'; el.textContent = text; }

// ---- tabs: arrow keys, Home and End move between them (automatic activation)
function select(name, focus) {
  current = name;
  for (const t of tabs) {
    const on = t.id === 'tab-' + name;
    t.setAttribute('aria-selected', on ? 'true' : 'false');
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute('aria-controls')).hidden = !on;
    if (on && focus) t.focus();
  }
  const h = document.querySelector('header h1'); const p = document.querySelector('header p');
  if (h) h.textContent = TITLES[name][0]; if (p) p.textContent = TITLES[name][1];
  if (history.replaceState) history.replaceState(null, '', name === 'pending' ? location.pathname : '#' + name);
  tick();
}
tabs.forEach((t, i) => {
  t.addEventListener('click', () => select(t.id.slice(4), false));
  t.addEventListener('keydown', (e) => {
    const k = e.key; let j = -1;
    if (k === 'ArrowRight') j = (i + 1) % tabs.length; else if (k === 'ArrowLeft') j = (i - 1 + tabs.length) % tabs.length;
    else if (k === 'Home') j = 0; else if (k === 'End') j = tabs.length - 1;
    if (j >= 0) { e.preventDefault(); select(tabs[j].id.slice(4), true); }
  });
});

// ---- activity
const filters = { agent: $('f-agent'), tool: $('f-tool'), outcome: $('f-outcome') };
let lastCalls = '', lastHourly = '';
function fillSelect(sel, values) {
  const have = [...sel.options].slice(1).map((o) => o.value).join('\\n');
  if (have === values.join('\\n')) return;
  const keep = sel.value;
  while (sel.options.length > 1) sel.remove(1);
  for (const v of values) { const o = mk('option', null, v); o.value = v; sel.append(o); }
  sel.value = values.includes(keep) ? keep : '';
}
function cell(tr, label, text, cls) { const td = mk('td', cls, text); td.setAttribute('data-label', label); tr.append(td); return td; }
function renderCalls(calls) {
  const body = $('activity-rows');
  body.replaceChildren();
  for (const c of calls) {
    const tr = mk('tr'); tr.dataset.callId = c.call_id;
    const t = cell(tr, 'When', when(c.ts)); t.title = c.ts;
    cell(tr, 'Agent', c.agent || '—'); cell(tr, 'Tool', c.tool); cell(tr, 'Summary', c.summary + (c.purpose ? ' — why: ' + c.purpose : '') + (c.task_id ? ' [task ' + c.task_id + ']' : ''), 'wrap');
    cell(tr, 'Decision', c.decision || '—'); cell(tr, 'Outcome', c.outcome, 'o-' + c.outcome); cell(tr, 'Error', c.error_code || '—');
    body.append(tr);
  }
  $('activity-empty').hidden = calls.length > 0;
}
function renderChart(h) {
  const W = 720, H = 190, L = 34, B = 24, T = 8, slot = (W - L - 6) / 24, bw = slot * 0.72;
  const totals = h.hours.map((_, i) => h.agents.reduce((s, a) => s + a.counts[i], 0));
  const max = Math.max(1, ...totals);
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-labelledby': 'chart-title', 'aria-describedby': 'chart-desc', focusable: 'false' });
  for (const v of [0, Math.round(max / 2), max]) {
    root.append(svg('line', { x1: L, x2: W - 4, y1: y(v), y2: y(v), stroke: '#eaeef2' }));
    const lab = svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#57606a' }); lab.textContent = String(v); root.append(lab);
  }
  h.hours.forEach((iso, i) => {
    const x = L + i * slot + (slot - bw) / 2; let base = 0;
    h.agents.forEach((a, k) => {
      const n = a.counts[i]; if (!n) return;
      const r = svg('rect', { x: x.toFixed(1), y: y(base + n).toFixed(1), width: bw.toFixed(1), height: (y(base) - y(base + n)).toFixed(1), fill: COLORS[k % COLORS.length], 'data-agent': a.agent });
      const tt = svg('title', {}); tt.textContent = new Date(iso).getHours() + ':00 · ' + a.agent + ': ' + n + (n === 1 ? ' call' : ' calls'); r.append(tt);
      root.append(r); base += n;
    });
    if (i % 3 === 0 || i === 23) {
      const lab = svg('text', { x: (L + i * slot + slot / 2).toFixed(1), y: H - 8, 'text-anchor': 'middle', 'font-size': 11, fill: '#57606a' });
      lab.textContent = i === 23 ? 'now' : String(new Date(iso).getHours()).padStart(2, '0') + 'h'; root.append(lab);
    }
  });
  $('chart').replaceChildren(root);
  const legend = $('chart-legend'); legend.replaceChildren();
  h.agents.forEach((a, k) => {
    const li = mk('li'); const sw = svg('svg', { width: 10, height: 10, 'aria-hidden': 'true' }); sw.append(svg('rect', { width: 10, height: 10, fill: COLORS[k % COLORS.length] }));
    li.append(sw, document.createTextNode(a.agent + ' (' + a.counts.reduce((s, v) => s + v, 0) + ')')); legend.append(li);
  });
  if (!h.agents.length) legend.append(mk('li', null, 'No calls in the last 24 hours.'));
  const total = totals.reduce((s, v) => s + v, 0);
  $('chart-desc').textContent = total + ' calls in the last 24 hours' + (h.agents.length ? ': ' + h.agents.map((a) => a.agent + ' ' + a.counts.reduce((s, v) => s + v, 0)).join(', ') : '') + '.';
}
async function refreshActivity() {
  const q = new URLSearchParams();
  for (const k in filters) if (filters[k].value) q.set(k, filters[k].value);
  q.set('limit', '100');
  try {
    const [a, h] = await Promise.all([getJson('/api/activity?' + q), getJson('/api/activity/hourly')]);
    const ca = JSON.stringify(a.calls), ch = JSON.stringify(h);
    if (ca !== lastCalls) { lastCalls = ca; renderCalls(a.calls); }
    if (ch !== lastHourly) { lastHourly = ch; renderChart(h); }
    live($('activity-status'), true, 'Live · ' + a.calls.length + ' calls shown · updated ' + new Date().toLocaleTimeString());
  } catch (e) { live($('activity-status'), false, 'Cannot load the activity: ' + e.message + '; retrying…'); }
}
for (const k in filters) filters[k].addEventListener('change', () => { lastCalls = ''; refreshActivity(); });

// ---- agents
let lastAgents = '', pendingRevoke = null, returnFocus = null;
function say(cls, text) { const n = $('agents-notice'); n.className = 'notice ' + cls; n.textContent = text; }
function revokeButton(label, aria, cls, target) {
  const b = mk('button', cls, label); b.type = 'button'; b.setAttribute('aria-label', aria);
  b.dataset.key = 'revoke:' + target.agent + ':' + (target.tool || '*');
  b.addEventListener('click', () => ask(target, b)); return b;
}
function renderAgents(agents) {
  const focusKey = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : undefined;
  const list = $('agents-list'); list.replaceChildren();
  for (const a of agents) {
    const card = mk('section', 'agent'); card.dataset.agent = a.agent; card.setAttribute('aria-labelledby', 'agent-' + a.agent);
    const h = mk('h2', null, a.agent); h.id = 'agent-' + a.agent; card.append(h);
    const meta = mk('p', 'meta');
    const bits = [a.configured ? (a.readOnly ? 'read-only (config)' : 'configured') : 'defaults (not in the config)'];
    bits.push(a.delegations.length ? 'delegated by ' + a.delegations.map((d) => d.user + ' (' + d.status + ')').join(', ') : 'no delegation recorded');
    meta.textContent = bits.join(' · ');
    if (a.revoked) { meta.append(document.createElement('br'), mk('span', 'revoked-note', 'Delegation revoked ' + when(a.revoked.at) + (a.revoked.by ? ' by ' + a.revoked.by : ''))); }
    card.append(meta);
    if (!a.revoked) card.append(revokeButton('Revoke whole delegation', 'Revoke the whole delegation to ' + a.agent, 'revoke-all', { agent: a.agent }));
    const t = mk('table', 'grid'); const cap = mk('caption', 'sr-only', 'Capabilities of ' + a.agent); t.append(cap);
    const head = mk('thead'); const hr = mk('tr');
    for (const c of ['Tool', 'Access', 'Capability', 'Why', 'Action']) { const th = mk('th', null, c); th.scope = 'col'; hr.append(th); }
    head.append(hr); t.append(head);
    const body = mk('tbody');
    for (const c of a.capabilities) {
      const tr = mk('tr'); tr.dataset.tool = c.tool;
      cell(tr, 'Tool', c.tool); cell(tr, 'Access', c.access); cell(tr, 'Capability', c.effect, 'eff-' + c.effect);
      const why = cell(tr, 'Why', c.code ? c.code + ': ' + c.reason : c.reason, 'wrap');
      why.append(document.createElement('br'), mk('span', 'rule', c.rule + (c.constraints ? ' · ' + c.constraints : '')));
      why.title = c.explain;
      const act = cell(tr, 'Action', '');
      if (c.revoked) act.textContent = 'revoked' + (c.revoked.by ? ' by ' + c.revoked.by : '');
      else if (c.effect !== 'deny') act.append(revokeButton('Revoke', 'Revoke ' + c.tool + ' for ' + a.agent, 'revoke', { agent: a.agent, tool: c.tool }));
      body.append(tr);
    }
    t.append(body); card.append(t); list.append(card);
  }
  if (focusKey) { const again = list.querySelector('[data-key="' + CSS.escape(focusKey) + '"]'); if (again) again.focus(); }
}
async function refreshAgents(force) {
  try {
    const j = await getJson('/api/agents');
    fillSelect(filters.agent, j.agents.map((a) => a.agent));
    fillSelect(filters.tool, j.tools);
    const s = JSON.stringify(j.agents);
    if (force || s !== lastAgents) { lastAgents = s; if (current === 'agents') renderAgents(j.agents); else lastAgents = ''; }
    live($('agents-status'), true, 'Live · ' + j.agents.length + ' agents · updated ' + new Date().toLocaleTimeString());
  } catch (e) { live($('agents-status'), false, 'Cannot load the agents: ' + e.message + '; retrying…'); }
}
const dialog = $('confirm');
function ask(target, from) {
  pendingRevoke = target; returnFocus = from;
  $('confirm-title').textContent = target.tool ? 'Revoke ' + target.tool + ' for ' + target.agent + '?' : 'Revoke the whole delegation to ' + target.agent + '?';
  $('confirm-text').textContent = (target.tool ? target.agent + "'s next call to " + target.tool : target.agent + "'s next call to any tool") +
    ' will be refused, and its waiting approvals are cancelled. Only a new login (mandate login) restores it.';
  $('confirm-yes').textContent = target.tool ? 'Revoke ' + target.tool : 'Revoke delegation';
  dialog.showModal(); $('confirm-no').focus();
}
function closeDialog() { if (dialog.open) dialog.close(); }
dialog.addEventListener('close', () => { const f = returnFocus; pendingRevoke = null; returnFocus = null; if (f && f.isConnected) f.focus(); });
$('confirm-no').addEventListener('click', closeDialog);
$('confirm-yes').addEventListener('click', async () => {
  const t = pendingRevoke; if (!t) return closeDialog();
  const yes = $('confirm-yes'); yes.disabled = true;
  try {
    const body = { agent: t.agent, confirm: true }; if (t.tool) body.tool = t.tool;
    const r = await fetch('/api/revoke', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken }, body: JSON.stringify(body) });
    if (r.ok) say('ok', (t.tool ? 'Revoked ' + t.tool + ' for ' + t.agent : 'Revoked the delegation to ' + t.agent) + '; its next call is refused.');
    else say('err', 'Not revoked: ' + await errText(r));
  } catch (e) { say('err', 'Not revoked: Mandate did not answer.'); }
  yes.disabled = false; returnFocus = $('view-agents'); closeDialog();
  await refreshAgents(true);
  const h = $('agents-notice'); if (h.textContent) $('view-agents').focus();
});

// ---- polling: the view in sight every 2 s (Pending refreshes itself)
let busy = false, again = false;
let lastAnomalies = '';
async function refreshAnomalies() {
  try {
    const j = await getJson('/api/activity/anomalies');
    const text = j.anomalies.length ? 'Anomalies in the last 24 hours: ' + j.anomalies.slice(0, 3).map((a) => when(a.ts) + ' ' + a.reason).join(' · ') + (j.anomalies.length > 3 ? ' · and ' + (j.anomalies.length - 3) + ' more' : '') : '';
    if (text !== lastAnomalies) { lastAnomalies = text; $('anomaly-banner').textContent = text; }
  } catch { /* the banner waits for the next tick */ }
}
async function tick() {
  if (busy) { again = true; return; } busy = true;
  refreshAnomalies();
  try { if (current === 'activity') await refreshActivity(); else if (current === 'agents') await refreshAgents(false); else if (!filters.tool.options[1]) await refreshAgents(false); }
  finally { busy = false; if (again) { again = false; tick(); } }
}
setInterval(tick, 2000);
const start = location.hash.slice(1);
if (start === 'activity' || start === 'agents') select(start, false); else tick();
})();
</script>`;
}
