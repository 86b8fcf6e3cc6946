// OIDC sign-in on the approval console when an authorization server is configured, in real
// headless Chromium against a separate embedded authorization server standing for the user's:
// authorization code + PKCE back to the console's /auth/callback; the approver is the ID
// token's `sub`. Dana (demo-user) sees and decides only her own users' approvals: another
// user's approval is neither listed nor decidable (403, nothing changes); her decision names
// `oidc:demo-user`. There is no secret link in this mode.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { hasChromium, launchChromium } from '../helpers/chromium.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { startApprovalUi, type ApprovalUiHandle } from '../../src/approvals/web.js';
import { MANDATE, startTestAuthz, type TestAuthz } from '../authz/helpers.js';
import { tempHome } from '../helpers/cli.js';

/** The one page global these tests' in-page functions touch (the test tsconfig has no DOM types). */
declare const document: { querySelector(selector: string): { content: string } | null };


describe.skipIf(!hasChromium)('OIDC sign-in on the approval console (headless Chromium, configured authorization server)', () => {
  let as: TestAuthz;
  let store: Store;
  let ui: ApprovalUiHandle;
  let browser: Browser;
  let page: Page;
  const { home } = tempHome();

  const approval = (id: string, user: string, text: string) => store.createApproval({
    approval_id: id, call_id: `call_${id}`, user, agent: 'demo-agent', tool: 'slack_post_message',
    args_digest: `digest-${id}`, args: { channel: '#general', text }, summary: `post to #general: "${text}"`,
    expires_at: new Date(Date.now() + 600_000).toISOString(),
  });

  beforeAll(async () => {
    as = await startTestAuthz({ mcpResource: 'http://127.0.0.1:1/mcp' });
    store = openStore(home);
    ui = await startApprovalUi(store, { port: 0, home, oidc: { issuer: as.authz.issuer, clientId: MANDATE.id, clientSecret: MANDATE.secret } });
    // The operator registers the console's callback with the authorization server.
    await as.authz.registerClient({ client_id: MANDATE.id, client_secret: MANDATE.secret, client_name: 'Mandate', redirect_uris: [`${ui.url}auth/callback`] });
    await approval('apr_dana', 'demo-user', 'for Dana: the launch is on');
    await approval('apr_erin', 'erin', 'for Erin: her salary review');
    browser = await launchChromium();
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await ui?.close();
    store?.close();
    await as?.close();
  });

  it('has no secret link; without a session the page offers only the sign-in and /api answers 401', async () => {
    expect(ui.link).toBeNull();
    expect(fs.existsSync(`${home}/console-link`)).toBe(false);
    expect((await fetch(`${ui.url}api/approvals`)).status).toBe(401);
    const link = await fetch(`${ui.url}auth/link`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"k":"x"}' });
    expect(link.status).toBe(401);
    await page.goto(ui.url);
    await page.getByRole('link', { name: `Sign in with ${as.authz.issuer}` }).waitFor({ timeout: 10_000 });
    expect(await page.content()).not.toContain('for Dana');
  });

  it('signs Dana in (code + PKCE); she sees only her user\'s approval and is refused (403) on Erin\'s', async () => {
    await page.getByRole('link', { name: `Sign in with ${as.authz.issuer}` }).click();
    await page.getByRole('button', { name: 'Sign in as Dana Demo' }).click();
    // The stand-in authorization server asks for consent; a real one may not.
    const allow = page.getByRole('button', { name: 'Allow' });
    await Promise.race([allow.waitFor({ timeout: 10_000 }).then(() => allow.click()), page.waitForURL(`${ui.url}`, { timeout: 10_000 })]);
    await page.waitForURL(ui.url, { timeout: 10_000 });
    await page.locator('section.card[data-approval-id="apr_dana"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('#who').textContent()).toBe('oidc:demo-user');
    expect(await page.locator('section.card[data-approval-id="apr_erin"]').count()).toBe(0);
    expect(await page.content()).not.toContain('salary review');
    const cookies = await page.context().cookies(ui.url);
    expect(cookies.find((c) => c.name.startsWith('mandate_console_'))).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    const refused = await page.evaluate(async () => {
      const csrf = document.querySelector('meta[name=csrf-token]')!.content;
      const r = await fetch('/api/approvals/apr_erin/approve', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: '{}' });
      return { status: r.status, body: (await r.json()) as { error?: string } };
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toContain('user erin');
    expect((await store.getApproval('apr_erin'))?.status).toBe('pending');
  });

  it('Dana approves her own user\'s call: recorded as oidc:demo-user, channel oidc', async () => {
    await page.locator('section.card[data-approval-id="apr_dana"]').getByRole('button', { name: 'Approve' }).click();
    await expect.poll(async () => (await store.getApproval('apr_dana'))?.status).toBe('approved');
    expect(await store.getApproval('apr_dana')).toMatchObject({ approver: 'oidc:demo-user', channel: 'oidc' });
    expect((await store.getApproval('apr_erin'))?.status).toBe('pending');
  });
});
