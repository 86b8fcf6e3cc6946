// Passkey presence (`approvals.presence: "passkey"`) in real headless Chromium, with a CDP
// virtual authenticator (ctap2, internal, resident keys, user verification): with no passkey
// enrolled approving is impossible and the page says to run `mandate approvals enroll`;
// enrolling stores the credential 0600 in the home; an Approve click then asks the passkey for
// an assertion bound to that approval and the decision names it. A valid console session alone
// approves nothing, and an assertion made for approval A approves neither B nor, a second
// time, A.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { hasChromium, launchChromium } from '../helpers/chromium.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { bearerFor, connectHttp, startHttpMandate, type HttpMandate } from '../helpers/http.js';
import { sc } from '../helpers/cli.js';
import { startApprovalUi, type ApprovalUiHandle } from '../../src/approvals/web.js';
import type { Approval } from '../../src/store/types.js';

/** The one page global these tests' in-page functions touch (the test tsconfig has no DOM types). */
declare const document: { querySelector(selector: string): { content: string } | null };


describe.skipIf(!hasChromium)('passkey presence on the approval console (headless Chromium, virtual authenticator)', () => {
  let m: HttpMandate;
  let ui: ApprovalUiHandle;
  let browser: Browser;
  let page: Page;
  let client: Client;

  const store = () => m.runtime.services.store;
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
  /** A POST from the page itself (its session cookie and CSRF token), as the console's script makes it. */
  const postFromPage = (url: string, body: unknown = {}) => page.evaluate(async ([u, b]) => {
    const csrf = document.querySelector('meta[name=csrf-token]')!.content;
    const r = await fetch(u as string, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(b) });
    return { status: r.status, body: (await r.json()) as { error?: string } };
  }, [url, body] as const);
  /** An assertion made in the page for approval `id` (challenge issued for it). */
  const assertionFor = (id: string) => page.evaluate(async (i) => {
    const csrf = document.querySelector('meta[name=csrf-token]')!.content;
    const r = await fetch(`/api/approvals/${i}/challenge`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: '{}' });
    const { options } = (await r.json()) as { options: unknown };
    return (globalThis as unknown as { SimpleWebAuthnBrowser: { startAuthentication(o: unknown): Promise<unknown> } })
      .SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: options });
  }, id);

  beforeAll(async () => {
    m = await startHttpMandate({ approvals: { waitSeconds: 30, presence: 'passkey' } });
    ui = await startApprovalUi(m.runtime.services.store, { port: 0, home: m.home, presence: 'passkey' });
    client = await connectHttp(m.url, await bearerFor(m));
    browser = await launchChromium();
    page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
    await page.goto(ui.link!);
    await page.getByText('No calls are waiting for approval.').waitFor({ timeout: 10_000 });
  });
  afterAll(async () => {
    await browser?.close();
    await client?.close().catch(() => undefined);
    await ui?.close();
    await m?.close();
  });

  it('with no passkey enrolled, approving is impossible and the page says to run mandate approvals enroll', async () => {
    call('first call, before any passkey');
    const a = await pendingFor('first call, before any passkey');
    await page.reload();
    await expect.poll(() => page.locator('#presence').textContent()).toContain('mandate approvals enroll');
    const card = page.locator(`section.card[data-approval-id="${a.approval_id}"]`);
    await card.waitFor({ timeout: 10_000 });
    expect(await card.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    const refused = await postFromPage(`/api/approvals/${a.approval_id}/approve`);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toContain('mandate approvals enroll');
    expect((await store().getApproval(a.approval_id))?.status).toBe('pending');
    // Denying needs no passkey.
    await card.getByRole('button', { name: 'Deny' }).click();
    await expect.poll(async () => (await store().getApproval(a.approval_id))?.status).toBe('rejected');
    expect(await store().getApproval(a.approval_id)).toMatchObject({ channel: 'console' });
  });

  it('enrols a passkey on the registration page: stored 0600 in the home with its label', async () => {
    await page.goto(`${ui.url}enroll`);
    await page.getByLabel('Name of this passkey').fill('laptop');
    await page.getByRole('button', { name: 'Register a passkey' }).click();
    await expect.poll(() => page.locator('#notice').textContent()).toBe('Passkey registered: laptop');
    const file = path.join(m.home, 'passkeys.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const { passkeys } = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(passkeys).toHaveLength(1);
    expect(passkeys[0]).toMatchObject({ label: 'laptop' });
    expect(passkeys[0].publicKey).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    // A further passkey needs an assertion from this one first: the link alone cannot add one.
    await page.goto(ui.url);
    const second = await postFromPage('/api/passkeys/options');
    expect(second.status).toBe(403);
  });

  it('a valid session without an assertion approves nothing; an assertion for A approves neither B nor A twice', async () => {
    const waitingA = call('call A: post the Q3 numbers');
    call('call B: post the salaries');
    const a = await pendingFor('call A: post the Q3 numbers');
    const b = await pendingFor('call B: post the salaries');

    const bare = await postFromPage(`/api/approvals/${b.approval_id}/approve`);
    expect(bare.status).toBe(403);
    expect(bare.body.error).toContain('passkey assertion');

    const forA = await assertionFor(a.approval_id);
    const wrong = await postFromPage(`/api/approvals/${b.approval_id}/approve`, { assertion: forA });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error).toContain('another approval');
    // The challenge was spent by that try: replaying the assertion on A is refused as well.
    const replay = await postFromPage(`/api/approvals/${a.approval_id}/approve`, { assertion: forA });
    expect(replay.status).toBe(403);
    expect(replay.body.error).toMatch(/unknown, used or expired/);
    expect((await store().getApproval(a.approval_id))?.status).toBe('pending');
    expect((await store().getApproval(b.approval_id))?.status).toBe('pending');

    // The Approve button: challenge for A, the passkey's assertion (user verified), decision.
    const card = page.locator(`section.card[data-approval-id="${a.approval_id}"]`);
    await card.waitFor({ timeout: 10_000 });
    await card.getByRole('button', { name: 'Approve' }).click();
    const result = await waitingA;
    expect((result as { isError?: boolean }).isError).toBeFalsy();
    expect(sc(result).text).toBe('call A: post the Q3 numbers');
    expect(await store().getApproval(a.approval_id)).toMatchObject({ status: 'used', channel: 'passkey', approver: 'passkey:laptop' });
    expect((await store().getApproval(b.approval_id))?.status).toBe('pending');
    const { passkeys } = JSON.parse(fs.readFileSync(path.join(m.home, 'passkeys.json'), 'utf8'));
    expect(passkeys[0].counter).toBeGreaterThan(0);
  });
});
