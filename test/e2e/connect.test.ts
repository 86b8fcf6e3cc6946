// `mandate connect` end to end, as a user runs it: the built CLI, the emulators speaking each
// provider's own OAuth, and the consent pages clicked in headless Chromium. Google (PKCE,
// loopback redirect), HubSpot (localhost redirect) and Slack (HTTPS redirect, the landing
// address pasted back), each token paste, and the bad inputs: a denied consent, a redirect
// with the wrong state, a token of the wrong kind, a provider 5xx; nothing half-written.
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CLI, ROOT, tempHome } from '../helpers/cli.js';
import { openSecretStore } from '../../src/secrets/index.js';
import { GrantStore } from '../../src/vault/index.js';
import { APP, providerConfig, startRealEmulators, type RealEmulators } from '../vault/helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
const DOCS = process.env.MANDATE_SCREENSHOTS === '1' ? path.join(ROOT, 'docs') : path.join(ROOT, 'test/.artifacts');
fs.mkdirSync(DOCS, { recursive: true });

let emus: RealEmulators;
let browser: Browser;
let env: NodeJS.ProcessEnv;
let home: string;

beforeAll(async () => {
  emus = await startRealEmulators();
  ({ home, env } = tempHome({
    providers: {
      slack: { ...providerConfig('slack', emus.slack.url), accounts: { work: {} } },
      crm: { ...providerConfig('crm', emus.crm.url), accounts: { main: {} } },
      calendar: { ...providerConfig('calendar', emus.calendar.url), accounts: { main: {} } },
    },
    agents: { 'demo-agent': { tools: { '*': 'allow' } } },
  }));
  if (hasChromium) {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  }
});
afterAll(async () => {
  await browser?.close();
  await Promise.all(Object.values(emus ?? {}).map((e) => e.close()));
});

/** Runs `mandate connect …`, feeding `input` lines when asked; resolves with what it printed once it exits. */
function connect(args: string[]): { child: ChildProcessWithoutNullStreams; out: () => string; err: () => string; exited: Promise<number | null>; authUrl: () => Promise<string> } {
  const child = spawn(process.execPath, [CLI, 'connect', ...args, '--no-browser'], { env });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    child, out: () => out, err: () => err, exited,
    authUrl: async () => {
      for (let i = 0; i < 150; i++) {
        const m = /\n {2}(http:\/\/127\.0\.0\.1:\d+\/\S+)\n/.exec(err);
        if (m) return m[1]!;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no authorization URL printed:\n${err}`);
    },
  };
}

async function grantOf(p: 'slack' | 'crm' | 'calendar', account: string) {
  const secrets = await openSecretStore({ home, env: { MANDATE_SECRETS: 'file' } });
  return new GrantStore(secrets).get(p, account);
}

describe.skipIf(!hasChromium)('mandate connect in Chromium', () => {
  let page: Page;
  beforeAll(async () => { page = await browser.newPage({ viewport: { width: 820, height: 520 } }); });

  it('google: PKCE + loopback redirect, offline access, only the scopes the configured tools need', async () => {
    const c = connect(['google', '--account', 'main', '--client-id', APP.clientId]);
    c.child.stdin.write(`${APP.clientSecret}\n`);
    const url = new URL(await c.authUrl());
    expect(c.err()).toMatch(/will:\n {2}1\. ask for the client id and client secret/);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('access_type')).toBe('offline');
    expect(url.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(url.searchParams.get('scope')!.split(' ').sort()).toEqual([
      'https://www.googleapis.com/auth/calendar.events', 'https://www.googleapis.com/auth/calendar.events.readonly', 'https://www.googleapis.com/auth/calendar.freebusy',
    ]);
    await page.goto(url.href);
    await page.screenshot({ path: path.join(DOCS, 'connect-google.png') });
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(/\/callback\?/);
    expect(await page.textContent('body')).toContain('You can close this tab');
    expect(await c.exited, c.err()).toBe(0);
    expect(c.out()).toContain('Connected Google Calendar account "main": Google account dana@example.com');
    expect(c.out()).toMatch(/Granted: .*calendar\.events.*refreshed automatically/);
    const g = (await grantOf('calendar', 'main'))!;
    expect(g.refreshToken).toMatch(/^1\/\/0/);
    expect(c.out() + c.err()).not.toContain(g.refreshToken!);
    expect(c.out() + c.err()).not.toContain(APP.clientSecret);
  });

  it('google: a denied consent stores nothing', async () => {
    const c = connect(['google', '--account', 'other']);
    const url = await c.authUrl(); // the app is in the secret store now: nothing asked
    expect(c.err()).toContain(`use your Google Calendar app ${APP.clientId}`);
    await page.goto(url);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForURL(/\/callback\?/);
    expect(await c.exited).toBe(1);
    expect(c.err()).toContain('the consent was denied. Nothing was stored; run "mandate connect google --account other" again');
    expect(await grantOf('calendar', 'other')).toBeNull();
  });

  it('hubspot: authorization code with a http://localhost redirect', async () => {
    const c = connect(['hubspot', '--client-id', APP.clientId, '--port', '0']);
    c.child.stdin.write(`${APP.clientSecret}\n`);
    const printed = await (async () => {
      for (let i = 0; i < 150; i++) {
        const m = /\n {2}(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\S+)\n/.exec(c.err());
        if (m) return m[1]!;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(c.err());
    })();
    const url = new URL(printed);
    expect(url.searchParams.get('redirect_uri')).toMatch(/^http:\/\/localhost:\d+\/callback$/);
    await page.goto(url.href);
    await page.screenshot({ path: path.join(DOCS, 'connect-hubspot.png') });
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(/\/callback\?/);
    expect(await c.exited, c.err()).toBe(0);
    expect(c.out()).toContain('Connected HubSpot account "main": portal 20240601');
    expect((await grantOf('crm', 'main'))!.expiresAt! - Date.now() / 1000).toBeGreaterThan(1700);
  });

  it('slack: HTTPS redirect, the landing address pasted back; a wrong state is refused', async () => {
    const bad = connect(['slack', '--client-id', APP.clientId]);
    bad.child.stdin.write(`${APP.clientSecret}\n`);
    await waitFor(() => /Paste that whole address here/.test(bad.err()), () => bad.err() + bad.out());
    bad.child.stdin.write('https://localhost/mandate/callback?code=123.abc&state=forged\n');
    expect(await bad.exited).toBe(1);
    expect(bad.err()).toContain('the redirect carries another state than this connect asked for');
    expect(await grantOf('slack', 'work')).toBeNull();

    // The failed attempt kept nothing, not even the app: asked again.
    const c = connect(['slack', '--account', 'work']);
    await waitFor(() => /Slack app client id: $/.test(c.err()));
    c.child.stdin.write(`${APP.clientId}\n${APP.clientSecret}\n`);
    await waitFor(() => /Paste that whole address here/.test(c.err()));
    const url = /\n {2}(http:\/\/127\.0\.0\.1:\d+\/oauth\/v2\/authorize\S+)\n/.exec(c.err())![1]!;
    expect(new URL(url).searchParams.get('user_scope')).toBe('channels:history,channels:read,chat:write,reactions:write,users:read');
    let landed = '';
    page.on('request', (r) => { if (r.url().startsWith('https://localhost/')) landed = r.url(); });
    await page.route(/^https:\/\/localhost\//, (route) => { landed = route.request().url(); return route.fulfill({ status: 404, body: 'This site can\u2019t be reached' }); });
    await page.goto(url);
    await page.screenshot({ path: path.join(DOCS, 'connect-slack.png') });
    await page.getByRole('button', { name: 'Allow' }).click();
    await waitFor(() => landed !== '');
    c.child.stdin.write(`${landed}\n`);
    expect(await c.exited, c.err()).toBe(0);
    expect(c.out()).toContain('Connected Slack account "work": team T0MANDATE1 (Mandate Demo)');
    expect(c.out()).toContain('refreshed automatically (token rotation)');
    expect((await grantOf('slack', 'work'))!.refreshToken).toMatch(/^xoxe-1-/);
  });
});

/** `mandate <args>` with `input` on stdin, without blocking this process (the emulators answer from it). */
function mandate(args: string[], e: NodeJS.ProcessEnv, input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: e });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

async function waitFor(cond: () => boolean, what?: () => string): Promise<void> {
  for (let i = 0; i < 150 && !cond(); i++) await new Promise((r) => setTimeout(r, 100));
  if (!cond()) throw new Error(`timed out${what ? `:\n${what()}` : ''}`);
}

describe('mandate connect --token-stdin', () => {
  it('slack: a user token pasted once; a token of the wrong kind or provider stores nothing', async () => {
    const token = emus.slack.oauth!.issueStatic('xoxp', ['channels:read', 'chat:write'], { id: 'T0PASTE', name: 'Paste Co' });
    const r = await mandate(['connect', 'slack', '--account', 'pasted', '--token-stdin'], env, `${token}\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Connected Slack account "pasted": team T0PASTE (Paste Co)');
    expect(r.stdout).toContain('warning: slack_read_history will fail with account_unavailable: not granted channels:history');
    expect(r.stdout + r.stderr).not.toContain(token);
    const wrong = await mandate(['connect', 'slack', '--account', 'w2', '--token-stdin'], env, `pat-${'na1'}-11111111-2222-3333-4444-555555555555\n`);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('this looks like a HubSpot private app token; run "mandate connect hubspot --token-stdin"');
    const unknown = await mandate(['connect', 'slack', '--account', 'w3', '--token-stdin'], env, 'xoxb-not-a-real-one\n');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Slack refused (invalid_auth)');
  });

  it('hubspot: a private app token; a 5xx from HubSpot stores nothing', async () => {
    const token = emus.crm.oauth!.issueStatic('pat', ['crm.objects.contacts.read']);
    emus.crm.inject({ kind: 'status', status: 503, count: 1 });
    const down = await mandate(['connect', 'hubspot', '--account', 'pat', '--token-stdin'], env, `${token}\n`);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('HubSpot is not answering (HTTP 503). Nothing was stored');
    const r = await mandate(['connect', 'hubspot', '--account', 'pat', '--token-stdin'], env, `${token}\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Connected HubSpot account "pat": portal 20240601');
    const google = await mandate(['connect', 'google', '--token-stdin'], env, 'ya29.whatever\n');
    expect(google.code).toBe(1);
    expect(google.stderr).toContain('Google issues no long-lived token to paste');
  });
});

describe('mandate doctor per account', () => {
  it('names the account, whose it is, its scopes and expiry; a missing one names the connect command', async () => {
    const r = await mandate(['doctor'], env, '');
    expect(r.stdout).toMatch(/ok {4}account hubspot\/main: 20240601.*oauth.*access token valid \d+ more min; HubSpot reachable/);
    expect(r.stdout).toMatch(/account slack\/work: (not connected: run "mandate connect slack --account work"|T0MANDATE1)/);
    expect(r.stdout).not.toMatch(/xox[pe]|ya29|pat-na1/);
  });
});
