// The HTML of the approval page: no external assets; the CSRF token is embedded once; the
// list refreshes itself every second. Text is inserted with textContent, never as HTML.
export function renderApprovalPage(csrf: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mandate approvals</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${csrf}">
<style>
 body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}
 header{background:#1b1f24;color:#fff;padding:14px 24px} header h1{font-size:18px;margin:0}
 header p{margin:4px 0 0;color:#c9d1d9;font-size:13px}
 main{max-width:900px;margin:24px auto;padding:0 16px}
 .card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:16px 18px;margin-bottom:14px}
 .summary{font-size:17px;font-weight:600;margin:0 0 6px}
 .meta{color:#57606a;font-size:13px;margin-bottom:10px}
 pre{background:#f6f8fa;border-radius:6px;padding:10px;overflow:auto;font-size:13px;margin:0 0 12px}
 button{font:inherit;border-radius:6px;border:1px solid transparent;padding:6px 16px;cursor:pointer;margin-right:8px}
 .approve{background:#1f883d;color:#fff} .deny{background:#fff;border-color:#cf222e;color:#cf222e}
 .empty{color:#57606a;text-align:center;padding:40px}
 .tag{display:inline-block;background:#ddf4ff;color:#0969da;border-radius:10px;padding:0 8px;font-size:12px;margin-right:6px}
</style></head>
<body>
<header><h1>Mandate · pending approvals</h1><p>Each approval lets one agent make one call with exactly these arguments, once.</p></header>
<main><div id="list" aria-live="polite"><p class="empty">Loading…</p></div></main>
<script>
const csrf = document.querySelector('meta[name=csrf-token]').content;
const list = document.getElementById('list');
function el(tag, cls, text){ const e=document.createElement(tag); if(cls) e.className=cls; if(text!==undefined) e.textContent=text; return e; }
async function decide(id, action){
  const body = { csrf };
  if (action === 'deny') { const r = prompt('Reason for denying (shown to the agent):', ''); if (r === null) return; body.reason = r; }
  const res = await fetch('/api/approvals/' + encodeURIComponent(id) + '/' + action, {
    method:'POST', headers:{'content-type':'application/json','x-csrf-token':csrf}, body: JSON.stringify(body) });
  if (!res.ok) { const e = await res.json().catch(()=>({})); alert(e.error || ('HTTP ' + res.status)); }
  refresh();
}
function render(approvals){
  list.replaceChildren();
  if (!approvals.length) { list.append(el('p','empty','No calls are waiting for approval.')); return; }
  for (const a of approvals) {
    const card = el('section','card'); card.dataset.approvalId = a.approval_id;
    card.append(el('p','summary',a.summary));
    const meta = el('div','meta');
    meta.append(el('span','tag',a.tool), document.createTextNode('agent ' + a.agent + ' · for user ' + a.user + ' · ' + a.approval_id + ' · expires ' + new Date(a.expires_at).toLocaleTimeString()));
    card.append(meta, el('pre','',JSON.stringify(a.args, null, 2)));
    const ok = el('button','approve','Approve'); ok.onclick = () => decide(a.approval_id,'approve');
    const no = el('button','deny','Deny'); no.onclick = () => decide(a.approval_id,'deny');
    card.append(ok, no); list.append(card);
  }
}
let last = '';
async function refresh(){
  try { const r = await fetch('/api/approvals'); const j = await r.json(); const s = JSON.stringify(j.approvals);
    if (s !== last) { last = s; render(j.approvals); } } catch {}
}
refresh(); setInterval(refresh, 1000);
</script></body></html>`;
}
