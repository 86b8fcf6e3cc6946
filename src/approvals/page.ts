// The HTML of the approval page: no external assets; the CSRF token is embedded once; the
// list refreshes itself every second, keeping cards already shown (a reason being typed is not
// lost). Text from the store is inserted with textContent only, never parsed as HTML, and the
// page's one script and style run under a per-response CSP nonce.

import { consoleScript, consoleStyle, consoleTabsHtml, consoleViewsHtml } from './console/views.js';

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The approval page for one server start (`csrf`) and one response (`nonce`). */
export function renderApprovalPage(csrf: string, nonce: string): string {
  const n = attr(nonce);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mandate approvals</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${attr(csrf)}">
<style nonce="${n}">
 body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}
 header{background:#1b1f24;color:#fff;padding:14px 24px} header h1{font-size:18px;margin:0}
 header p{margin:4px 0 0;color:#c9d1d9;font-size:13px}
 main{max-width:900px;margin:20px auto;padding:0 16px}
 #status{color:#57606a;font-size:12px;margin:0 0 10px} #status.down{color:#cf222e}
 #notice{margin:0 0 14px;padding:8px 12px;border-radius:6px;font-size:14px} #notice:empty{display:none}
 #notice.ok{background:#dafbe1;color:#116329} #notice.err{background:#ffebe9;color:#a40e26}
 .card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:16px 18px;margin-bottom:14px}
 .summary{font-size:17px;font-weight:600;margin:0 0 6px;overflow-wrap:anywhere}
 .meta{color:#57606a;font-size:13px;margin-bottom:10px}
 pre{background:#f6f8fa;border-radius:6px;padding:10px;overflow:auto;font-size:13px;margin:0 0 12px;white-space:pre-wrap;overflow-wrap:anywhere}
 .actions{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
 button{font:inherit;border-radius:6px;border:1px solid transparent;padding:6px 16px;cursor:pointer}
 button:disabled{opacity:.5;cursor:default}
 .approve{background:#1f883d;color:#fff} .deny{background:#fff;border-color:#cf222e;color:#cf222e}
 .reason{flex:1;min-width:200px;font:inherit;font-size:14px;padding:5px 8px;border:1px solid #d0d7de;border-radius:6px}
 .empty{color:#57606a;text-align:center;padding:40px}
 .tag{display:inline-block;background:#ddf4ff;color:#0969da;border-radius:10px;padding:0 8px;font-size:12px;margin-right:6px;font-family:ui-monospace,monospace}
</style>${consoleStyle(nonce) /* console views */}</head>
<body>
<header><h1>Mandate · pending approvals</h1><p>Each approval lets one agent make one call with exactly these arguments, once.</p></header>
<main>
${consoleTabsHtml() /* console views: tabs; Pending is the panel below */}
<section id="view-pending" class="view" role="tabpanel" aria-labelledby="tab-pending" tabindex="0">
<p id="status" role="status">Connecting…</p>
<p id="notice" role="alert"></p>
<div id="list" aria-live="polite"></div>
</section>
${consoleViewsHtml() /* console views: Activity, Agents */}
</main>
<script nonce="${n}">
const csrf = document.querySelector('meta[name=csrf-token]').content;
const list = document.getElementById('list');
const statusLine = document.getElementById('status');
const notice = document.getElementById('notice');
const cards = new Map();
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = String(text); return e; }
function say(cls, text) { notice.className = cls; notice.textContent = text; }
async function decide(a, action, card) {
  const body = { csrf };
  if (action === 'deny') body.reason = card.querySelector('.reason').value;
  for (const b of card.querySelectorAll('button')) b.disabled = true;
  try {
    const res = await fetch('/api/approvals/' + encodeURIComponent(a.approval_id) + '/' + action, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body) });
    const j = await res.json().catch(() => ({}));
    if (res.ok) say('ok', (action === 'approve' ? 'Approved: ' : 'Denied: ') + a.summary);
    else say('err', 'Not recorded: ' + (j.error || ('HTTP ' + res.status)));
  } catch (e) {
    say('err', 'Not recorded: Mandate did not answer.');
  }
  for (const b of card.querySelectorAll('button')) b.disabled = false;
  refresh();
}
function cardFor(a) {
  const card = el('section', 'card');
  card.dataset.approvalId = a.approval_id;
  card.append(el('p', 'summary', a.summary));
  const meta = el('div', 'meta');
  const who = 'agent ' + a.agent + (a.client && a.client !== a.agent ? ' (client ' + a.client + ')' : '') + ' · for user ' + a.user;
  meta.append(el('span', 'tag', a.tool), el('span', 'who', who),
    document.createTextNode(' · ' + a.approval_id + ' · expires ' + new Date(a.expires_at).toLocaleTimeString()));
  const args = el('pre', 'args', JSON.stringify(a.args, null, 2));
  const actions = el('div', 'actions');
  const ok = el('button', 'approve', 'Approve'); ok.type = 'button'; ok.onclick = () => decide(a, 'approve', card);
  const reason = el('input', 'reason'); reason.placeholder = 'Reason for denying (the agent sees it)'; reason.maxLength = 1000;
  reason.setAttribute('aria-label', 'Reason for denying ' + a.approval_id);
  const no = el('button', 'deny', 'Deny'); no.type = 'button'; no.onclick = () => decide(a, 'deny', card);
  actions.append(ok, reason, no);
  card.append(meta, args, actions);
  return card;
}
function render(approvals) {
  const ids = new Set(approvals.map((a) => a.approval_id));
  for (const [id, card] of cards) if (!ids.has(id)) { card.remove(); cards.delete(id); }
  const empty = list.querySelector('.empty');
  if (approvals.length && empty) empty.remove();
  if (!approvals.length && !empty) list.append(el('p', 'empty', 'No calls are waiting for approval.'));
  approvals.forEach((a, i) => {
    if (!cards.has(a.approval_id)) cards.set(a.approval_id, cardFor(a));
    const card = cards.get(a.approval_id);
    // Only a card out of place is moved: moving one would take the focus from its reason field.
    if (list.children[i] !== card) list.insertBefore(card, list.children[i] || null);
  });
}
async function refresh() {
  try {
    const r = await fetch('/api/approvals', { cache: 'no-store' });
    if (!r.ok) throw new Error('HTTP ' + r.status);
    const j = await r.json();
    render(j.approvals);
    statusLine.className = '';
    statusLine.textContent = 'Live · ' + j.approvals.length + ' pending · updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    statusLine.className = 'down';
    statusLine.textContent = 'Cannot reach Mandate; retrying…';
  }
}
refresh(); setInterval(refresh, 1000);
</script>${consoleScript(nonce) /* console views */}</body></html>`;
}
