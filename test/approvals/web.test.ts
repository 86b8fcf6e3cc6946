// The loopback approval console in real headless Chromium (Debian's, driven by playwright-core):
// opened from its secret link, a call waiting for approval appears without a reload, with its
// arguments shown as text; Approve completes the waiting call and Deny gives the agent the
// reason; requests without the session's CSRF token, from another origin or with a foreign Host
// change nothing. Screenshots for the
// README are written to docs/ when MANDATE_SCREENSHOTS=1.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { CHROMIUM, hasChromium, launchChromium } from '../helpers/chromium.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { bearerFor, connectHttp, startHttpMandate, type HttpMandate } from '../helpers/http.js';
import { ROOT, sc } from '../helpers/cli.js';
import { startApprovalUi, type ApprovalUiHandle } from '../../src/approvals/web.js';
import type { Approval } from '../../src/store/types.js';
import { rawRequest } from '../helpers/raw.js';


// The README's screenshots are refreshed on demand (MANDATE_SCREENSHOTS=1 npm test); otherwise
// they go to an ignored folder, so a test run leaves the work tree as it found it.
const DOCS = process.env.MANDATE_SCREENSHOTS === '1' ? path.join(ROOT, 'docs') : path.join(ROOT, 'test/.artifacts');
fs.mkdirSync(DOCS, { recursive: true });
const HOSTILE = 'Deploy finished <script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> & "done"';

/** One raw HTTP request to the page, with any Host / Origin. */
const raw = (url: string, method: string, headers: Record<string, string>, body?: string) => rawRequest(url, { method, headers, body });

describe.skipIf(!hasChromium)(`approval page in headless Chromium (${CHROMIUM})`, () => {
  let m: HttpMandate;
  let ui: ApprovalUiHandle;
  let browser: Browser;
  let page: Page;
  let client: Client;
  let waiting: Promise<unknown> | undefined;
  let first: Approval;

  const store = () => m.runtime.services.store;
  const posts = () => m.runtime.sandbox!.emulators.slack.requests.filter((r) => r.path.endsWith('/chat.postMessage'));
  const pendingFor = async (text: string): Promise<Approval> => {
    for (let i = 0; i < 100; i++) {
      const a = (await store().listApprovals({ status: 'pending' })).find((x) => (x.args as { text?: string }).text === text);
      if (a) return a;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no pending approval for ${text}`);
  };
  const call = (text: string) => {
    const p = client.callTool({ name: 'slack_post_message', arguments: { channel: '#general', text } });
    p.catch(() => undefined);
    return p;
  };

  beforeAll(async () => {
    m = await startHttpMandate({ approvals: { waitSeconds: 20 } });
    ui = await startApprovalUi(m.runtime.services.store, { port: 0, home: m.home });
    client = await connectHttp(m.url, await bearerFor(m));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 980, height: 420 } });
    fs.mkdirSync(DOCS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await client?.close().catch(() => undefined);
    await ui?.close();
    await m?.close();
  });

  it('opens from the secret link: an HttpOnly, SameSite=Strict session, and the secret gone from the address bar', async () => {
    await page.goto(ui.url);
    await page.getByText('Open the link printed by').waitFor({ timeout: 10_000 });
    expect(await page.locator('meta[name=csrf-token]').count()).toBe(0);
    await page.goto(ui.link!);
    await page.getByText('No calls are waiting for approval.').waitFor({ timeout: 10_000 });
    expect(page.url()).toBe(ui.url);
    const [cookie, ...others] = await page.context().cookies(ui.url);
    expect(others).toHaveLength(0);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie!.value).not.toBe(ui.link!.split('#k=')[1]);
    expect(await page.evaluate('document.cookie')).toBe('');
  });

  it('shows a waiting call without a reload: tool, agent, user, summary and full arguments, all as text', async () => {
    await page.goto(ui.url);
    await page.getByText('No calls are waiting for approval.').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(DOCS, 'approval-page-empty.png'), clip: { x: 0, y: 0, width: 980, height: 240 } });
    await page.evaluate('window.__sameDocument = true');

    waiting = call(HOSTILE);
    first = await pendingFor(HOSTILE);
    const card = page.locator(`section.card[data-approval-id="${first.approval_id}"]`);
    await card.waitFor({ timeout: 10_000 });

    expect(await page.evaluate('window.__sameDocument')).toBe(true); // no reload happened
    const summary = await card.locator('.summary').textContent();
    expect(summary).toBe(first.summary);
    expect(summary).toMatch(/^post to #general: "Deploy finished <script>window\.__pwned = 1<\/script>/);
    const meta = await card.locator('.meta').textContent();
    expect(meta).toContain('slack_post_message');
    expect(meta).toContain('agent demo-agent');
    expect(meta).toContain('for user demo-user');
    expect(JSON.parse((await card.locator('pre.args').textContent()) ?? '')).toEqual({ channel: '#general', text: HOSTILE });
    // The markup in the message is shown, never run or parsed.
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.locator('#list script, #list img').count()).toBe(0);
    expect(posts()).toHaveLength(0);
  });

  it('refuses a POST without the CSRF token (403), a foreign Origin or Host, and a cross-site form; nothing changes', async () => {
    const approveUrl = `${ui.url}api/approvals/${first.approval_id}/approve`;
    const csrf = (await page.locator('meta[name=csrf-token]').getAttribute('content'))!;
    const session = (await page.context().cookies(ui.url))[0]!;
    const json = { 'content-type': 'application/json', cookie: `${session.name}=${session.value}` };
    const own = new URL(ui.url).host;

    expect((await raw(approveUrl, 'POST', json, '{}')).status).toBe(403);
    expect((await raw(approveUrl, 'POST', json, JSON.stringify({ csrf: 'guessed' }))).status).toBe(403);
    expect((await raw(approveUrl, 'POST', { ...json, 'content-type': 'application/x-www-form-urlencoded' }, 'reason=x')).status).toBe(403);
    // The token belongs to the session: without the cookie, nothing at all (401).
    expect((await raw(approveUrl, 'POST', { 'content-type': 'application/json', 'x-csrf-token': csrf }, '{}')).status).toBe(401);
    // Even holding the right token, another origin (another port on this machine included) is refused.
    for (const origin of ['http://evil.example', `http://127.0.0.1:${Number(new URL(ui.url).port) + 1}`, 'null']) {
      expect((await raw(approveUrl, 'POST', { ...json, origin, 'x-csrf-token': csrf }, '{}')).status, origin).toBe(403);
    }
    // DNS rebinding: a foreign Host gets neither the page (and its token) nor a decision.
    const rebound = await raw(ui.url, 'GET', { host: `evil.example:${new URL(ui.url).port}`, cookie: json.cookie });
    expect(rebound.status).toBe(403);
    expect(rebound.body).not.toContain(csrf);
    expect((await raw(approveUrl, 'POST', { ...json, host: 'evil.example', 'x-csrf-token': csrf }, '{}')).status).toBe(403);
    expect((await raw(`${ui.url}api/approvals`, 'GET', { host: own, origin: 'http://evil.example', cookie: json.cookie })).status).toBe(403);

    // A page on another origin auto-submitting a form (with the token, as if it had leaked).
    const attacker = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<form id=f method=post action="${approveUrl}"><input name=csrf value="${csrf}"></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    try {
      const other = await browser.newPage();
      const answer = other.waitForResponse((r) => r.url() === approveUrl);
      await other.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
      expect((await answer).status()).toBe(403);
      await other.close();
    } finally {
      attacker.close();
    }

    expect((await store().getApproval(first.approval_id))?.status).toBe('pending');
    expect(posts()).toHaveLength(0);
    expect(await page.locator(`section.card[data-approval-id="${first.approval_id}"]`).count()).toBe(1);
  });

  it('clicking Approve completes the waiting call: its result is the posted message', async () => {
    const card = page.locator(`section.card[data-approval-id="${first.approval_id}"]`);
    await card.getByRole('button', { name: 'Approve' }).click();
    const result = await waiting!;
    expect((result as { isError?: boolean }).isError).toBeFalsy();
    const posted = sc(result);
    expect(posted.text).toBe(HOSTILE);
    expect(posted.channel).toMatch(/^C/);
    expect(posted.ts).toMatch(/^\d+\.\d+$/);
    expect(posts()).toHaveLength(1);

    await card.waitFor({ state: 'detached', timeout: 10_000 });
    expect(await page.locator('#notice').textContent()).toContain('Approved: post to #general');
    const decided = await store().getApproval(first.approval_id);
    expect(decided).toMatchObject({ status: 'used', channel: 'console', approver: `console:${os.userInfo().username}` });
  });

  it('Deny with a reason: the waiting call gets approval_rejected with that reason, and nothing is posted', async () => {
    await page.reload(); // a fresh tab: no notice left from the approval above
    const text = 'Q3 revenue came in at $4.2M (+18% QoQ); full numbers in the board deck.';
    const denied = call(text);
    const a = await pendingFor(text);
    const card = page.locator(`section.card[data-approval-id="${a.approval_id}"]`);
    await card.waitFor({ timeout: 10_000 });
    await card.getByRole('textbox').fill('not before the earnings call');
    // The list keeps refreshing; what is being typed stays, focus included.
    const shown = await page.locator('#status').textContent();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 5_000 }).not.toBe(shown);
    expect(await card.getByRole('textbox').inputValue()).toBe('not before the earnings call');
    expect(await page.evaluate('document.activeElement.className')).toBe('reason');
    await page.screenshot({ path: path.join(DOCS, 'approval-page.png'), fullPage: true });
    await card.getByRole('button', { name: 'Deny' }).click();

    const result = await denied;
    expect((result as { isError?: boolean }).isError).toBe(true);
    expect(sc(result).error.code).toBe('approval_rejected');
    expect(sc(result).error.message).toContain('not before the earnings call');
    expect(sc(result).error.approval_id).toBe(a.approval_id);
    expect(posts()).toHaveLength(1);
    await card.waitFor({ state: 'detached', timeout: 10_000 });
    expect(await store().getApproval(a.approval_id)).toMatchObject({ status: 'rejected', channel: 'console', reason: 'not before the earnings call' });
    // Deciding it again (a stale tab) is refused without changing the decision.
    const session = (await page.context().cookies(ui.url))[0]!;
    const again = await raw(`${ui.url}api/approvals/${a.approval_id}/approve`, 'POST', {
      'content-type': 'application/json',
      cookie: `${session.name}=${session.value}`,
      'x-csrf-token': (await page.locator('meta[name=csrf-token]').getAttribute('content'))!,
    }, '{}');
    expect(again.status).toBe(409);
    expect((await store().getApproval(a.approval_id))?.status).toBe('rejected');
  });
});
