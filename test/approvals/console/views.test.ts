// The console's three views in real headless Chromium (Debian's, driven by playwright-core):
// tabs worked by keyboard, the calls just made listed from the audit trail and filtered, the
// chart of calls per hour, a revocation only after a confirmation, the Agents view and the
// agent's next call both reflecting it, a 375-px phone width without horizontal scroll, and no
// request leaving the page's own origin. Screenshots for the README go to docs/ when
// MANDATE_SCREENSHOTS=1 (else to the ignored test/.artifacts/).
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { CHROMIUM, hasChromium, launchChromium } from '../../helpers/chromium.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { bearerFor, connectHttp, startHttpMandate, type HttpMandate } from '../../helpers/http.js';
import { ROOT, sc } from '../../helpers/cli.js';
import { startApprovalUi, type ApprovalUiHandle } from '../../../src/approvals/web.js';

const DOCS = process.env.MANDATE_SCREENSHOTS === '1' ? path.join(ROOT, 'docs') : path.join(ROOT, 'test/.artifacts');
const HOSTILE = 'Ship it <img src=x onerror="window.__pwned = 1"> & <b>now</b>';

describe.skipIf(!hasChromium)(`console views in headless Chromium (${CHROMIUM})`, () => {
  let m: HttpMandate;
  let ui: ApprovalUiHandle;
  const APPROVER = `console:${os.userInfo().username}`;
  let browser: Browser;
  let page: Page;
  let demo: Client;
  let reader: Client;
  const foreign: string[] = [];

  const store = () => m.runtime.services.store;
  const callAs = (c: Client, name: string, args: Record<string, unknown>) => c.callTool({ name, arguments: args });
  const selectedTab = () => page.evaluate<string | undefined>("document.querySelector('[role=tab][aria-selected=true]')?.id");
  const focused = () => page.evaluate<string>("document.activeElement?.id || document.activeElement?.getAttribute('aria-label') || ''");
  // Page-side snippets are strings: this project's tsconfig has no DOM library.
  const blurTop = "document.activeElement?.blur(); window.scrollTo(0, 0)";

  beforeAll(async () => {
    m = await startHttpMandate({ approvals: { waitSeconds: 1 }, agents: { reader: { readOnly: true } } });
    const services = m.runtime.services;
    ui = await startApprovalUi(services.store, {
      home: m.home,
      port: 0,
      console: {
        config: () => services.config,
        onRevoked: (r) => services.tokens.invalidate(r.agent, r.tool ? services.toolByName.get(r.tool) : undefined),
      },
    });
    demo = await connectHttp(m.url, await bearerFor(m, 'demo-agent'));
    reader = await connectHttp(m.url, await bearerFor(m, 'reader'));
    // Calls to show: two reads, a write waiting for approval, and a read-only agent refused (read_only).
    expect(sc(await callAs(demo, 'slack_list_channels', {})).channels.length).toBeGreaterThan(0);
    expect((await callAs(demo, 'crm_search_contacts', { query: 'a' })).isError).toBeFalsy();
    expect(sc(await callAs(demo, 'slack_post_message', { channel: '#general', text: HOSTILE })).error.code).toBe('approval_pending');
    expect(sc(await callAs(reader, 'slack_post_message', { channel: '#general', text: 'hi' })).error.code).toBe('read_only');
    expect((await callAs(reader, 'crm_search_contacts', { query: 'b' })).isError).toBeFalsy();

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
    page.on('request', (r) => { if (!r.url().startsWith(ui.url) && !r.url().startsWith('data:')) foreign.push(r.url()); });
    fs.mkdirSync(DOCS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.close().catch(() => undefined);
    await reader?.close().catch(() => undefined);
    await ui?.close();
    await m?.close();
  });

  it('opens on Pending; the tabs are a tablist worked by the arrow keys', async () => {
    await page.goto(ui.link!); // the operator's secret link opens the console's session, then shows it
    await page.waitForURL(ui.url);
    await page.locator('meta[name=csrf-token]').waitFor({ state: 'attached', timeout: 10_000 });
    await page.locator('section.card').first().waitFor({ timeout: 10_000 });
    expect(await page.getByRole('tablist').getByRole('tab').allTextContents()).toEqual(['Pending', 'Activity', 'Agents']);
    expect(await selectedTab()).toBe('tab-pending');
    expect(await page.locator('#view-activity').isHidden()).toBe(true);
    await page.screenshot({ path: path.join(DOCS, 'console-pending.png'), fullPage: true });

    await page.locator('#tab-pending').focus();
    await page.keyboard.press('ArrowRight');
    expect([await selectedTab(), await focused()]).toEqual(['tab-activity', 'tab-activity']);
    expect(await page.locator('#view-pending').isHidden()).toBe(true);
    expect(await page.locator('#view-activity').isVisible()).toBe(true);
    await page.keyboard.press('End');
    expect([await selectedTab(), await focused()]).toEqual(['tab-agents', 'tab-agents']);
    await page.keyboard.press('ArrowRight'); // wraps around
    expect(await selectedTab()).toBe('tab-pending');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    expect(await selectedTab()).toBe('tab-activity');
    // Only the selected tab is in the tab order; Tab goes on into its panel.
    expect(await page.locator('[role=tab][tabindex="0"]').count()).toBe(1);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('view-activity');
  });

  it('Activity lists the calls just made, as text, with a chart of calls per hour per agent', async () => {
    const rows = page.locator('#activity-rows tr');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(5);
    const table = await page.evaluate<string[][]>("[...document.querySelectorAll('#activity-rows tr')].map((tr) => [...tr.children].slice(1).map((td) => td.textContent))");
    expect(table).toEqual([
      ['reader', 'crm_search_contacts', expect.stringContaining('a') /* summary */, 'allow', 'ok', '—'],
      ['reader', 'slack_post_message', expect.any(String), 'deny', 'denied', 'read_only'],
      ['demo-agent', 'slack_post_message', `post to #general: ${JSON.stringify(HOSTILE)}`, 'approve', 'pending', 'approval_pending'],
      ['demo-agent', 'crm_search_contacts', expect.any(String), 'allow', 'ok', '—'],
      ['demo-agent', 'slack_list_channels', expect.any(String), 'allow', 'ok', '—'],
    ]);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.locator('#activity-rows img, #activity-rows b').count()).toBe(0);

    const bars = page.locator('#chart svg rect[data-agent]');
    await expect.poll(() => bars.count(), { timeout: 10_000 }).toBe(2);
    expect(await page.locator('#chart svg').getAttribute('role')).toBe('img');
    expect(await page.locator('#chart-legend').textContent()).toBe('demo-agent (3)reader (2)');
    expect(await page.locator('#chart-desc').textContent()).toBe('5 calls in the last 24 hours: demo-agent 3, reader 2.');
    await page.evaluate(blurTop);
    await page.screenshot({ path: path.join(DOCS, 'console-activity.png'), fullPage: true });
  });

  it('filters the calls by agent, tool and outcome', async () => {
    const rows = page.locator('#activity-rows tr');
    await page.getByLabel('Agent', { exact: true }).selectOption('reader');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2);
    await page.getByLabel('Outcome', { exact: true }).selectOption('denied');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1);
    expect(await rows.first().locator('td').nth(6).textContent()).toBe('read_only');
    await page.getByLabel('Agent', { exact: true }).selectOption('');
    await page.getByLabel('Outcome', { exact: true }).selectOption('');
    await page.getByLabel('Tool', { exact: true }).selectOption('crm_search_contacts');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2);
    await page.getByLabel('Tool', { exact: true }).selectOption('calendar_delete_event');
    await expect.poll(() => page.locator('#activity-empty').isVisible(), { timeout: 10_000 }).toBe(true);
    await page.getByLabel('Tool', { exact: true }).selectOption('');
  });

  it('Agents: a capability is revoked only after confirming; the view, the store and the next call follow', async () => {
    await page.locator('#tab-activity').focus();
    await page.keyboard.press('ArrowRight');
    const card = page.locator('section.agent[data-agent="demo-agent"]');
    await card.waitFor({ timeout: 10_000 });
    const row = card.locator('tr[data-tool="crm_search_contacts"]');
    expect(await row.locator('td').nth(2).textContent()).toBe('allow');

    // Cancelling (Escape) revokes nothing; focus returns to the button.
    const button = page.getByRole('button', { name: 'Revoke crm_search_contacts for demo-agent' });
    await button.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain("demo-agent's next call to crm_search_contacts will be refused");
    expect(await focused()).toBe('confirm-no');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await focused()).toBe('Revoke crm_search_contacts for demo-agent');
    expect(await store().isRevoked({ agent: 'demo-agent', tool: 'crm_search_contacts' })).toBeNull();

    // Confirming revokes it, through the keyboard alone.
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Shift+Tab'); // from Cancel back to Revoke
    expect(await focused()).toBe('confirm-yes');
    const revoked = page.waitForResponse((r) => r.url().endsWith('/api/revoke'));
    await page.keyboard.press('Enter');
    expect((await revoked).status()).toBe(200);
    await expect.poll(() => page.locator('#agents-notice').textContent(), { timeout: 10_000 }).toBe('Revoked crm_search_contacts for demo-agent; its next call is refused.');
    await expect.poll(() => row.locator('td').nth(2).textContent(), { timeout: 10_000 }).toBe('deny');
    expect(await row.locator('td').nth(4).textContent()).toBe(`revoked by ${APPROVER}`);
    expect(await store().isRevoked({ agent: 'demo-agent', tool: 'crm_search_contacts' })).toEqual({ scope: 'tool' });
    expect((await store().listRevocations())[0]).toMatchObject({ agent: 'demo-agent', tool: 'crm_search_contacts', by: APPROVER });

    const refused = await callAs(demo, 'crm_search_contacts', { query: 'a' });
    expect(sc(refused).error.code).toBe('capability_denied');
    expect((await callAs(demo, 'slack_list_channels', {})).isError).toBeFalsy(); // the rest of the delegation stands
    await page.setViewportSize({ width: 1100, height: 1150 });
    await page.evaluate(blurTop);
    await page.screenshot({ path: path.join(DOCS, 'console-agents.png') });
    await page.setViewportSize({ width: 1100, height: 760 });
  });

  it('revoking a whole delegation: the card says so and the agent is refused everything', async () => {
    const card = page.locator('section.agent[data-agent="reader"]');
    await card.getByRole('button', { name: 'Revoke the whole delegation to reader' }).click();
    await page.getByRole('button', { name: 'Revoke delegation' }).click();
    await expect.poll(() => card.locator('.revoked-note').count(), { timeout: 10_000 }).toBe(1);
    expect(await card.locator('.revoked-note').textContent()).toMatch(new RegExp(`^Delegation revoked .* by ${APPROVER}$`));
    expect(await card.getByRole('button').count()).toBe(0);
    expect(sc(await callAs(reader, 'crm_search_contacts', { query: 'a' })).error.code).toBe('delegation_revoked');
    // The Activity view shows that refusal within its 2-second refresh.
    await page.locator('#tab-activity').click();
    await expect.poll(() => page.locator('#activity-rows tr').first().locator('td').nth(6).textContent(), { timeout: 6_000 }).toBe('delegation_revoked');
  });

  it('fits a 375-px phone: no horizontal scroll in any view', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    for (const tab of ['tab-pending', 'tab-activity', 'tab-agents']) {
      await page.locator(`#${tab}`).click();
      await page.waitForTimeout(300);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth'), tab).toBeLessThanOrEqual(375);
    }
    await page.screenshot({ path: path.join(ROOT, 'test/.artifacts/console-agents-375.png'), fullPage: false });
  });

  it('never left its own origin', () => {
    expect(foreign).toEqual([]);
  });
});
