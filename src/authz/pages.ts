// The sandbox's sign-in, consent and error pages: plain HTML with inline styles and no
// external assets (nothing in the default path reaches the internet). Every value is escaped.

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:34em;margin:3em auto;padding:0 1em;color:#222}
h1{font-size:1.4em}ul{padding-left:1.2em}li{margin:.2em 0}button{font-size:1em;padding:.5em 1.2em;margin-right:.6em}
.muted{color:#666;font-size:.9em}`;

function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>${body}</body></html>`;
}

/** The sandbox sign-in page: no password, one button for the demo user. */
export function loginPage(action: string, user: { name: string; email?: string }, clientName: string): string {
  return layout(
    'Sign in to Mandate',
    `<h1>Sign in to Mandate</h1>
<p>${escapeHtml(clientName)} asks you to sign in.</p>
<form method="post" action="${escapeHtml(action)}">
<button type="submit" name="signin" value="1" autofocus>Sign in as ${escapeHtml(user.name)}</button>
</form>
<p class="muted">Sandbox: ${user.email ? `${escapeHtml(user.email)}, ` : ''}no password.</p>`,
  );
}

/** What a consent page lists for one resource. */
export interface ConsentSection {
  resource: string;
  scopes: string[];
}

/** The consent page: names the agent and lists what it may do per resource, in plain words. */
export function consentPage(opts: {
  action: string;
  agent: string;
  /** The client's display name when the client is not the agent itself. */
  viaClient?: string;
  user: string;
  sections: ConsentSection[];
}): string {
  const viaClient = opts.viaClient ? `<p>Requested by the application ${escapeHtml(opts.viaClient)}.</p>` : '';
  const list = opts.sections
    .map((s) => `<li><strong>${escapeHtml(s.resource)}</strong>: ${s.scopes.map(escapeHtml).join('; ')}</li>`)
    .join('\n');
  return layout(
    'Allow an agent to act for you',
    `<h1>Agent ${escapeHtml(opts.agent)} will act on your behalf with:</h1>
<ul>
${list}
</ul>
${viaClient}
<p>Signed in as ${escapeHtml(opts.user)}. You can revoke this at any time, as a whole or one capability at a time.</p>
<form method="post" action="${escapeHtml(opts.action)}">
<button type="submit" name="decision" value="allow" autofocus>Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  );
}

/** A plain error page (the OAuth error code and its description). */
export function errorPage(fields: Record<string, string | undefined>): string {
  const rows = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<p><strong>${escapeHtml(k)}</strong>: ${escapeHtml(v!)}</p>`)
    .join('\n');
  return layout('Something went wrong', `<h1>Something went wrong</h1>\n${rows}`);
}
