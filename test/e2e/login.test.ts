// `mandate login --agent ID`: the real consent flow (authorization code + PKCE, loopback
// redirect, consent page naming the agent) against a running sandbox, driven as a browser would.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { Browser } from '../helpers/browser.js';
import { startHttpMandate, type HttpMandate } from '../helpers/http.js';
import { writeSandboxInfo } from '../../src/runtime/sandbox-file.js';
import { openStore } from '../../src/store/index.js';

let m: HttpMandate;
beforeAll(async () => {
  m = await startHttpMandate({ agents: { assistant: { tools: { 'crm_*': 'allow', 'slack_*': 'deny' } } } });
  writeSandboxInfo(m.home, { pid: process.pid, issuer: m.runtime.identity.issuer!, mcpResource: m.url, baseUrls: m.runtime.sandbox!.baseUrls });
});
afterAll(async () => { await m?.close(); });

describe('mandate login', () => {
  it('MCP-AUTH-PKCE: signs in, shows a consent naming the agent and its scopes, and keeps the delegation', async () => {
    const secrets = m.runtime.identity.secrets;
    const before = await secrets.getPassword(secrets.service, 'delegation:assistant');
    const child = spawn(process.execPath, [CLI, 'login', '--agent', 'assistant', '--no-browser'], {
      env: { ...process.env, MANDATE_HOME: m.home, MANDATE_SECRETS: 'file' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    let url: string | undefined;
    for (let i = 0; i < 100 && !url; i++) {
      await new Promise((r) => setTimeout(r, 100));
      url = /(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)/.exec(err)?.[1];
    }
    expect(url, err).toBeTruthy();
    const authUrl = new URL(url!);
    expect(authUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authUrl.searchParams.get('requested_actor')).toBe('assistant');

    const browser = new Browser(authUrl.origin);
    const login = await browser.follow(authUrl.pathname + authUrl.search);
    expect(login.text).toContain('Sign in as Dana Demo');
    const consent = await browser.follow(/action="([^"]+)"/.exec(login.text)![1]!, { method: 'POST', form: { signin: '1' } });
    expect(consent.text).toContain('Agent assistant will act on your behalf with:');
    expect(consent.text).toContain('HubSpot');
    expect(consent.text).not.toContain('post messages as you'); // Slack is denied to this agent: not asked for
    const done = await browser.follow(/action="([^"]+)"/.exec(consent.text)![1]!, { method: 'POST', form: { decision: 'allow' } });
    expect(done.location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/);
    const landing = await fetch(done.location!);
    expect(await landing.text()).toContain('You can close this tab');

    expect(await exited, err).toBe(0);
    expect(out).toContain('demo-user delegated to agent assistant');
    const after = await secrets.getPassword(secrets.service, 'delegation:assistant');
    expect(after).toBeTruthy();
    expect(after).not.toBe(before);
    expect(out + err).not.toContain(after!); // the refresh token is never printed
    const store = openStore(m.home);
    const d = await store.getDelegation('demo-user', 'assistant');
    await store.close();
    expect(d).toMatchObject({ agent: 'assistant', client: 'mandate', status: 'active' });
    expect(d!.scopes.some((s) => s.startsWith('https://api.hubapi.com '))).toBe(true);
    expect(d!.scopes.filter((s) => s.startsWith('https://slack.com/api '))).toEqual([]);
  });
});
