// Issue #11, against the built server (`mandate serve --transport http`): any local process
// (the agent's own runner included) used to fetch the approval page on loopback, read its CSRF
// token and POST an approval for the agent's waiting call; `GET /api/approvals` showed pending
// arguments to anyone. Now only the holder of the console's secret link gets a session: no
// cookie, no data (401); a wrong secret opens nothing and soon is not even compared (429); the
// session cookie is HttpOnly and SameSite=Strict; a decision names `console:<OS user>`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CLI, mandateAsync, tempHome } from '../helpers/cli.js';
import { connectHttp } from '../helpers/http.js';
import { SECRET_ACCOUNTS } from '../../src/runtime/identity.js';
import { openSecretStore } from '../../src/secrets/index.js';
import { rawRequest } from '../helpers/raw.js';


/** One raw request to 127.0.0.1:`port`, as `localhost` unless another Host is given. */
const raw = (port: number, method: string, p: string, headers: Record<string, string> = {}, body?: string) =>
  rawRequest(`http://127.0.0.1:${port}${p}`, { method, headers: { host: `localhost:${port}`, ...headers }, body });

describe('issue #11: the approval console answers only an authenticated approver (built server)', () => {
  const { home, env } = tempHome({ approvals: { waitSeconds: 30 } });
  let child: ChildProcessWithoutNullStreams;
  let stderr = '';
  let mcpUrl = '';
  let port = 0;
  let client: Client;
  let waiting: Promise<unknown>;
  let approvalId = '';

  const pending = async () => JSON.parse(`[${(await mandateAsync(['approvals', 'list', '--json', '--all'], env)).stdout.trim().split('\n').join(',')}]`) as
    { approval_id: string; status: string; approver: string | null; channel: string | null }[];

  beforeAll(async () => {
    child = spawn(process.execPath, [CLI, 'serve', '--transport', 'http', '--port', '0', '--approvals-port', '0'], { env });
    child.stdout.resume();
    child.stderr.on('data', (d) => { stderr += d; });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no console within 30 s; stderr:\n${stderr}`)), 30_000);
      const look = () => {
        const m = /serving MCP over Streamable HTTP at (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(stderr);
        const a = /Approvals:\s+http:\/\/(?:127\.0\.0\.1|localhost):(\d+)\//.exec(stderr);
        if (m && a) { clearTimeout(timer); mcpUrl = m[1]!; port = Number(a[1]); resolve(); }
      };
      child.stderr.on('data', look);
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited ${code}; stderr:\n${stderr}`)); });
    });
    // The agent: a bearer from its delegation, and a call that waits for approval.
    const secrets = await openSecretStore({ home, env: { MANDATE_SECRETS: 'file' } });
    const refreshToken = await secrets.getPassword(secrets.service, SECRET_ACCOUNTS.delegation('demo-agent'));
    const clientSecret = await secrets.getPassword(secrets.service, SECRET_ACCOUNTS.client('demo-agent'));
    const meta = (await (await fetch(new URL('/.well-known/oauth-protected-resource/mcp', mcpUrl))).json()) as { authorization_servers: string[] };
    const res = await fetch(`${meta.authorization_servers[0]}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`demo-agent:${clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken!, resource: mcpUrl }),
    });
    client = await connectHttp(mcpUrl, ((await res.json()) as { access_token: string }).access_token);
    waiting = client.callTool({ name: 'slack_post_message', arguments: { channel: '#general', text: 'wire $40k to acct 1234' } });
    waiting.catch(() => undefined);
    for (let i = 0; i < 100 && !approvalId; i++) {
      approvalId = (await pending()).find((a) => a.status === 'pending')?.approval_id ?? '';
      if (!approvalId) await new Promise((r) => setTimeout(r, 150));
    }
    expect(approvalId).toBeTruthy();
  }, 60_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('the attack: a local process reads the page, takes its CSRF token and approves — refused, nothing shown, nothing decided', async () => {
    // What the agent's runner did: fetch the page as any browser would, read the token, POST.
    const page = await fetch(`http://127.0.0.1:${port}/`);
    const html = await page.text();
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(html)?.[1];
    expect(csrf).toBeUndefined();
    expect(html).toContain(path.join(home, 'console-link'));
    expect(html).not.toContain('wire $40k');
    const list = await fetch(`http://127.0.0.1:${port}/api/approvals`);
    expect(list.status).toBe(401);
    expect(await list.json()).toEqual({ error: 'unauthorized' });
    const approve = await fetch(`http://127.0.0.1:${port}/api/approvals/${approvalId}/approve`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf ?? 'none' }, body: JSON.stringify({ csrf: csrf ?? 'none' }),
    });
    expect(approve.status).toBe(401);
    expect(await approve.json()).toEqual({ error: 'unauthorized' });
    // Nor does a made-up session cookie help.
    const forged = await raw(port, 'GET', '/api/approvals', { cookie: `mandate_console_${port}=${'A'.repeat(43)}` });
    expect(forged.status).toBe(401);
    expect((await pending()).find((a) => a.approval_id === approvalId)?.status).toBe('pending');
  });

  it('prints the link to the terminal and keeps it, 0600, in <home>/console-link; a wrong secret opens no session', async () => {
    const file = path.join(home, 'console-link');
    const link = fs.readFileSync(file, 'utf8').trim();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(link).toMatch(new RegExp(`^http://localhost:${port}/#k=[A-Za-z0-9_-]{43}$`)); // 256 bits
    expect(stderr).toContain(link);
    const wrong = await raw(port, 'POST', '/auth/link', { 'content-type': 'application/json' }, JSON.stringify({ k: 'A'.repeat(43) }));
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    // The secret travels in the #fragment: a GET with it in the query opens nothing either.
    const query = await raw(port, 'GET', `/?k=${link.split('#k=')[1]}`);
    expect(query.headers['set-cookie']).toBeUndefined();
    expect(query.body).not.toContain('csrf-token');
  });

  it('the link opens an HttpOnly, SameSite=Strict session; with it and the CSRF token a decision names console:<OS user>', async () => {
    const secret = fs.readFileSync(path.join(home, 'console-link'), 'utf8').trim().split('#k=')[1]!;
    const opened = await raw(port, 'POST', '/auth/link', { 'content-type': 'application/json', origin: `http://localhost:${port}` }, JSON.stringify({ k: secret }));
    expect(opened.status).toBe(200);
    const setCookie = opened.headers['set-cookie']![0]!;
    expect(setCookie).toMatch(new RegExp(`^mandate_console_${port}=[A-Za-z0-9_-]{43}; `));
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).toMatch(/Max-Age=43200/);
    const cookie = setCookie.split(';')[0]!;

    const list = await raw(port, 'GET', '/api/approvals', { cookie });
    expect(list.status).toBe(200);
    expect(JSON.parse(list.body).approvals.map((a: { approval_id: string }) => a.approval_id)).toEqual([approvalId]);
    const page = await raw(port, 'GET', '/', { cookie });
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(page.body)![1]!;
    // The session alone is not enough to change anything: the CSRF token bound to it is needed too.
    const noCsrf = await raw(port, 'POST', `/api/approvals/${approvalId}/approve`, { cookie, 'content-type': 'application/json' }, '{}');
    expect(noCsrf.status).toBe(403);
    const ok = await raw(port, 'POST', `/api/approvals/${approvalId}/approve`, { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf }, '{}');
    expect(ok.status).toBe(200);
    const result = (await waiting) as { isError?: boolean };
    expect(result.isError).toBeFalsy();
    expect((await pending()).find((a) => a.approval_id === approvalId)).toMatchObject({ channel: 'console', approver: `console:${os.userInfo().username}` });
  });

  it('wrong secrets are rate-limited: after ten a minute, even the right one waits', async () => {
    const secret = fs.readFileSync(path.join(home, 'console-link'), 'utf8').trim().split('#k=')[1]!;
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      statuses.push((await raw(port, 'POST', '/auth/link', { 'content-type': 'application/json' }, JSON.stringify({ k: `wrong-${i}` }))).status);
    }
    expect(statuses.slice(0, 9).every((s) => s === 401)).toBe(true); // one wrong try was spent above
    expect(statuses.at(-1)).toBe(429);
    const right = await raw(port, 'POST', '/auth/link', { 'content-type': 'application/json' }, JSON.stringify({ k: secret }));
    expect(right.status).toBe(429);
    expect(right.headers['set-cookie']).toBeUndefined();
  });
});
