// The HTML of the approval console: the sign-in page (nothing but where to find the link), the
// approval page and the passkey enrolment page. No external assets (the WebAuthn helper is
// served by the console itself); the session's CSRF token is embedded once; the list refreshes
// itself every second, keeping cards already shown (a reason being typed is not lost). Text from
// the store is inserted with textContent only, never parsed as HTML, and every script and style
// runs under a per-response CSP nonce.

import { consoleScript, consoleStyle, consoleTabsHtml, consoleViewsHtml } from './console/views.js';

const STYLE = `
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
 #presence{margin:0 0 14px;padding:8px 12px;border-radius:6px;font-size:14px;background:#ddf4ff;color:#0a3069}
 #presence.warn{background:#fff8c5;color:#7d4e00}
 header a{color:#c9d1d9} code{font-family:ui-monospace,monospace}
 label{display:block;margin:0 0 6px}`;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** What the approval page tells and asks of the signed-in approver. */
export interface ApprovalPageView {
  /** Who the console records as approver for this session. */
  signedInAs: string;
  /** `passkey`: Approve asks the browser for an assertion bound to the approval. */
  presence: 'none' | 'passkey';
  /** How many passkeys are enrolled (with presence = passkey and none, approving is impossible). */
  enrolled: number;
}

/** The approval page for one session (`csrf`) and one response (`nonce`). */
export function renderApprovalPage(csrf: string, nonce: string, view: ApprovalPageView): string {
  const n = attr(nonce);
  const passkey = view.presence === 'passkey';
  const banner = passkey && view.enrolled === 0
    ? '<p id="presence" class="warn">Approving needs a passkey and none is enrolled: run <code>mandate approvals enroll</code>. Denying works without one.</p>'
    : passkey ? '<p id="presence">Approving asks for your passkey (with its PIN or biometric); denying does not.</p>' : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mandate approvals</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${attr(csrf)}">
<meta name="presence" content="${passkey ? (view.enrolled ? 'passkey' : 'passkey-missing') : 'none'}">
${passkey ? `<script nonce="${n}" src="/assets/webauthn.js"></script>` : ''}
<style nonce="${n}">
${STYLE}
</style>${consoleStyle(nonce)}</head>
<body>
<header><h1>Mandate · pending approvals</h1><p>Each approval lets one agent make one call with exactly these arguments, once. Signed in as <span id="who">${esc(view.signedInAs)}</span> · <a href="/enroll">passkeys</a></p></header>
<main>
${consoleTabsHtml()}
<section id="view-pending" class="view" role="tabpanel" aria-labelledby="tab-pending" tabindex="0">
${banner}
<p id="status" role="status">Connecting…</p>
<p id="notice" role="alert"></p>
<div id="list" aria-live="polite"></div>
</section>
${consoleViewsHtml()}
</main>
<script nonce="${n}">
const csrf = document.querySelector('meta[name=csrf-token]').content;
const list = document.getElementById('list');
const statusLine = document.getElementById('status');
const notice = document.getElementById('notice');
const cards = new Map();
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = String(text); return e; }
function say(cls, text) { notice.className = cls; notice.textContent = text; }
const presence = document.querySelector('meta[name=presence]').content;
async function post(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body) });
  return { res, j: await res.json().catch(() => ({})) };
}
async function decide(a, action, card) {
  const body = { csrf };
  if (action === 'deny') body.reason = card.querySelector('.reason').value;
  for (const b of card.querySelectorAll('button')) b.disabled = true;
  try {
    if (action === 'approve' && presence === 'passkey') {
      // The server issues a challenge bound to this approval; the passkey signs it.
      const c = await post('/api/approvals/' + encodeURIComponent(a.approval_id) + '/challenge', { csrf });
      if (!c.res.ok) throw new Error(c.j.error || ('HTTP ' + c.res.status));
      body.assertion = await SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: c.j.options });
    }
    const res = await fetch('/api/approvals/' + encodeURIComponent(a.approval_id) + '/' + action, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body) });
    const j = await res.json().catch(() => ({}));
    if (res.ok) say('ok', (action === 'approve' ? 'Approved: ' : 'Denied: ') + a.summary);
    else say('err', 'Not recorded: ' + (j.error || ('HTTP ' + res.status)));
  } catch (e) {
    say('err', 'Not recorded: ' + (e && e.message ? e.message : 'Mandate did not answer.'));
  }
  for (const b of card.querySelectorAll('button')) b.disabled = b.className === 'approve' && presence === 'passkey-missing';
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
  const ok = el('button', 'approve', 'Approve'); ok.type = 'button'; ok.disabled = presence === 'passkey-missing'; ok.onclick = () => decide(a, 'approve', card);
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
    if (r.status === 401) { location.reload(); return; } // the session ended: back to the sign-in page
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
</script>${consoleScript(nonce)}</body></html>`;
}

function shell(title: string, nonce: string, body: string, script: string, head = ''): string {
  const n = attr(nonce);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
${head}<style nonce="${n}">
${STYLE}
</style></head>
<body>
<header><h1>${esc(title)}</h1></header>
<main>
${body}
</main>
<script nonce="${n}">
${script}
</script></body></html>`;
}

/** What the sign-in page offers. */
export interface SignInPageView {
  /** The file the console's link is kept in (absent when the console signs in with OIDC only). */
  linkFile?: string;
  /** The authorization server an approver signs in at. */
  oidcIssuer?: string;
}

/**
 * The page without a session: where to find the link, nothing else. Opened from the link
 * (`…/#k=SECRET`), its script sends the fragment's secret in a POST body (so the secret never
 * reaches a server log, a Referer or the history) and, once the session cookie is set, loads
 * the page again without it.
 */
export function renderSignInPage(nonce: string, view: SignInPageView): string {
  const ways: string[] = [];
  if (view.linkFile) {
    ways.push(`<p>Open the link printed by <code>mandate serve</code> (or <code>mandate approvals ui</code>), kept in <code>${esc(view.linkFile)}</code>.</p>`);
  }
  if (view.oidcIssuer) {
    ways.push(`<p><a id="oidc" href="/auth/login">Sign in with ${esc(view.oidcIssuer)}</a></p>`);
  }
  return shell('Mandate approvals · sign in', nonce, `<p id="notice" role="alert"></p>\n${ways.join('\n')}`, `
const notice = document.getElementById('notice');
function fail(text) { notice.className = 'err'; notice.textContent = text; }
function useLink() {
  const k = new URLSearchParams(location.hash.slice(1)).get('k');
  if (!k) return;
  history.replaceState(null, '', location.pathname);
  fetch('/auth/link', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ k }) })
    .then((r) => { if (r.ok) location.replace(location.pathname); else fail(r.status === 429 ? 'Too many wrong links; wait a minute.' : 'This link is not (or no longer) valid: open the one printed at the last start.'); })
    .catch(() => fail('Mandate did not answer.'));
}
useLink();
addEventListener('hashchange', useLink); // the link pasted into a tab already showing this page`);
}

/** The passkey enrolment page for one session. */
export function renderEnrollPage(csrf: string, nonce: string, enrolled: string[]): string {
  const n = attr(nonce);
  const list = enrolled.length
    ? `<p>Enrolled: <span id="enrolled">${enrolled.map(esc).join(', ')}</span>. Adding another asks for one of these first.</p>`
    : '<p id="enrolled-none">No passkey is enrolled yet.</p>';
  return shell('Mandate approvals · passkeys', nonce, `<p id="notice" role="alert"></p>
${list}
<p>With <code>"approvals": {"presence": "passkey"}</code> every approval on this console needs an assertion from an enrolled passkey, with user verification, made for that one approval.</p>
<label for="label">Name of this passkey</label>
<div class="actions"><input id="label" class="reason" maxlength="60" placeholder="e.g. laptop fingerprint"><button id="register" type="button" class="approve">Register a passkey</button></div>
<p><a href="/">Back to pending approvals</a></p>`, `
const csrf = ${JSON.stringify(csrf).replace(/</g, '\\u003c')};
const existing = ${enrolled.length};
const notice = document.getElementById('notice');
async function post(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body || {}) });
  const j = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(j.error || ('HTTP ' + res.status));
  return j;
}
document.getElementById('register').onclick = async () => {
  try {
    if (existing) {
      const p = await post('/api/passkeys/presence');
      await post('/api/passkeys/presence/verify', { assertion: await SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: p.options }) });
    }
    const o = await post('/api/passkeys/options');
    const response = await SimpleWebAuthnBrowser.startRegistration({ optionsJSON: o.options });
    const done = await post('/api/passkeys', { response, label: document.getElementById('label').value });
    notice.className = 'ok'; notice.textContent = 'Passkey registered: ' + done.passkey.label;
  } catch (e) {
    notice.className = 'err'; notice.textContent = 'Not registered: ' + (e && e.message ? e.message : e);
  }
};`, `<script nonce="${n}" src="/assets/webauthn.js"></script>\n`);
}
