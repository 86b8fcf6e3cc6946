// Capabilities, approvals and revocation end to end over stdio with the SDK's Client and the
// CLI, against a Slack emulator this test owns (so it can see every request the upstream got).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { decodeJwt } from 'jose';
import { startSlackEmulator } from '../../src/sandbox/slack/emulator.js';
import { startCrmEmulator } from '../../src/sandbox/crm/emulator.js';
import type { Emulator } from '../../src/sandbox/http.js';
import { openStore } from '../../src/store/index.js';
import { connectStdio, mandate, mandateAsync, sc, tempHome, type StdioSession } from '../helpers/cli.js';

let slack: Emulator;
let crm: Emulator;
const sessions: StdioSession[] = [];
beforeAll(async () => { [slack, crm] = await Promise.all([startSlackEmulator(), startCrmEmulator()]); });
afterAll(async () => { await Promise.all([slack?.close(), crm?.close()]); });
afterEach(async () => { while (sessions.length) await sessions.pop()!.close(); });

const providers = () => ({ slack: { baseUrl: `${slack.url}/api` }, crm: { baseUrl: crm.url } });
const posts = () => slack.requests.filter((r) => r.path === '/api/chat.postMessage').length;
async function open(config: Record<string, unknown>, agent = 'demo-agent', home?: { home: string; env: NodeJS.ProcessEnv }) {
  const h = home ?? tempHome({ providers: providers(), ...config });
  const s = await connectStdio(h.env, ['--agent', agent]);
  sessions.push(s);
  return { ...h, s, client: s.client };
}
const post = (client: StdioSession['client'], text: string, channel = '#general') =>
  client.callTool({ name: 'slack_post_message', arguments: { channel, text } });

describe('read-only that is really read-only', () => {
  it('a readOnly agent sees no write tool, its post by name is refused as read_only, and Slack receives nothing', async () => {
    const { client } = await open({ agents: { reader: { readOnly: true } } }, 'reader');
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThan(5);
    for (const t of tools) expect(t.annotations?.readOnlyHint, t.name).toBe(true);
    const before = slack.requests.length;
    const r = await post(client, 'logs: all the secrets');
    expect(sc(r).error.code).toBe('read_only');
    expect(slack.requests.slice(before)).toEqual([]);
    // Reading still works, through Slack.
    const h = await client.callTool({ name: 'slack_read_history', arguments: { channel: '#general', limit: 1 } });
    expect(h.isError ?? false).toBe(false);
    expect(slack.requests.slice(before).map((x) => x.path)).toContain('/api/conversations.history');
  });
});

describe('approvals bound to the exact call, once', () => {
  it('pending → listed with its arguments → approved via CLI → the retry runs once; anything else needs a new approval', async () => {
    const { client, env } = await open({ approvals: { waitSeconds: 0 } });
    const text = `deploy ${Date.now()}`;
    const first = sc(await post(client, text)).error;
    expect(first.code).toBe('approval_pending');
    const listed = mandate(['approvals', 'list', '--json'], env).stdout.trim().split('\n').map((l) => JSON.parse(l));
    const mine = listed.find((a) => a.approval_id === first.approval_id);
    expect(mine).toMatchObject({ tool: 'slack_post_message', agent: 'demo-agent', user: 'demo-user', args: { channel: '#general', text } });
    expect(mine.summary).toContain('#general');

    expect(mandate(['approvals', 'approve', first.approval_id], env).code).toBe(0);
    const before = posts();
    const other = sc(await post(client, `${text} (edited)`)).error;
    expect(other.code).toBe('approval_pending');
    expect(other.approval_id).not.toBe(first.approval_id);
    expect(posts()).toBe(before);

    const ran = sc(await post(client, text));
    expect(ran.text).toBe(text);
    expect(posts()).toBe(before + 1);

    const again = sc(await post(client, text)).error;
    expect(again.code).toBe('approval_pending');
    expect(posts()).toBe(before + 1);
    expect(sc(await client.callTool({ name: 'mandate_approval_status', arguments: { approval_id: first.approval_id } })).status).toBe('used');
  });

  it('an expired approval does not run', async () => {
    // Three seconds: long enough for the CLI to approve on a loaded machine, short enough to wait out.
    const { client, env } = await open({ approvals: { waitSeconds: 0, ttlSeconds: 3 } });
    const text = `expiring ${Date.now()}`;
    const a = sc(await post(client, text)).error;
    const approved = mandate(['approvals', 'approve', a.approval_id], env);
    expect(approved.code, approved.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 3300));
    const before = posts();
    const r = sc(await post(client, text)).error;
    expect(r.code).toBe('approval_pending');
    expect(r.approval_id).not.toBe(a.approval_id);
    expect(posts()).toBe(before);
    // Too late to approve a request that has expired.
    await new Promise((r2) => setTimeout(r2, 3300));
    const late = mandate(['approvals', 'approve', r.approval_id], env);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain('expired');
  });

  it('a denial returns approval_rejected with the reason', async () => {
    const { client, env } = await open({ approvals: { waitSeconds: 0 } });
    const text = `risky ${Date.now()}`;
    const a = sc(await post(client, text)).error;
    expect(mandate(['approvals', 'deny', a.approval_id, '--reason', 'not on a Friday'], env).code).toBe(0);
    const r = sc(await post(client, text)).error;
    expect(r.code).toBe('approval_rejected');
    expect(r.message).toContain('not on a Friday');
    expect(r.approval_id).toBe(a.approval_id);
  });

  it('a waiting call completes when approved out of band, with progress notifications', async () => {
    const { client, env } = await open({ approvals: { waitSeconds: 20 } });
    const text = `waiting ${Date.now()}`;
    const progress: number[] = [];
    const call = client.callTool({ name: 'slack_post_message', arguments: { channel: '#general', text } }, undefined, {
      onprogress: (p) => { progress.push(p.progress); },
      timeout: 30_000,
    });
    let id: string | undefined;
    for (let i = 0; i < 100 && !id; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const list = (await mandateAsync(['approvals', 'list', '--json'], env)).stdout.trim();
      id = list ? JSON.parse(list.split('\n')[0]!).approval_id : undefined;
    }
    await new Promise((r) => setTimeout(r, 1200)); // let at least one progress notification out
    expect((await mandateAsync(['approvals', 'approve', id!], env)).code).toBe(0);
    const result = sc(await call);
    expect(result.text).toBe(text);
    expect(progress.length).toBeGreaterThan(0);
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThan(progress[i - 1]!); // MCP-PROGRESS
  });

  it('a request pending when the server dies survives the restart; approved, the retry runs once', async () => {
    const h = tempHome({ providers: providers(), approvals: { waitSeconds: 0 } });
    const first = await open({}, 'demo-agent', h);
    const text = `survivor ${Date.now()}`;
    const a = sc(await post(first.client, text)).error;
    await first.s.close(); // the server process ends
    sessions.splice(sessions.indexOf(first.s), 1);
    expect(mandate(['approvals', 'approve', a.approval_id], h.env).code).toBe(0);
    const second = await open({}, 'demo-agent', h);
    const before = posts();
    expect(sc(await post(second.client, text)).text).toBe(text);
    expect(sc(await post(second.client, text)).error.code).toBe('approval_pending');
    expect(posts()).toBe(before + 1);
  });
});

describe('constraints and rate limits', () => {
  it('a post outside the channel list is a constraint_violation; the 11th post in an hour with "10/hour" is rate_limited, also after a restart', async () => {
    const config = { agents: { assistant: { tools: { slack_post_message: { capability: 'allow', channels: ['#support-updates'], rate: '10/hour' } } } } };
    const h = tempHome({ providers: providers(), ...config });
    const first = await open({}, 'assistant', h);
    const me = sc(await first.client.callTool({ name: 'mandate_whoami', arguments: {} }));
    expect(me.tools.find((t: { tool: string }) => t.tool === 'slack_post_message')).toMatchObject({
      capability: 'allow', constraints: { channels: ['#support-updates'], rate: '10/hour' },
    });
    const off = sc(await post(first.client, 'hello', '#general')).error;
    expect(off.code).toBe('constraint_violation');
    expect(off.message).toContain('#support-updates');
    for (let i = 1; i <= 10; i++) expect(sc(await post(first.client, `update ${i}`, '#support-updates')).ts, `post ${i}`).toBeTruthy();
    const eleventh = sc(await post(first.client, 'update 11', '#support-updates')).error;
    expect(eleventh.code).toBe('rate_limited');
    await first.s.close();
    sessions.splice(sessions.indexOf(first.s), 1);
    const second = await open({}, 'assistant', h);
    expect(sc(await post(second.client, 'update 12', '#support-updates')).error.code).toBe('rate_limited');
  });
});

describe('revocation, one capability at a time', () => {
  it('revoking one tool leaves the others working; its cached token is not used again and is denylisted', async () => {
    const { client, env, home } = await open({ agents: { 'demo-agent': { tools: { '*': 'allow' } } } });
    const changed: number[] = [];
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => { changed.push(Date.now()); });
    const start = slack.requests.length;
    expect((await client.callTool({ name: 'slack_read_history', arguments: { channel: '#general', limit: 1 } })).isError ?? false).toBe(false);
    const used = slack.requests.slice(start).find((r) => r.path === '/api/conversations.history')!.token!;
    const jti = String(decodeJwt(used).jti);

    expect(mandate(['revoke', '--agent', 'demo-agent', '--tool', 'slack_read_history'], env).code).toBe(0);
    const mark = slack.requests.length;
    const refused = sc(await client.callTool({ name: 'slack_read_history', arguments: { channel: '#general', limit: 1 } })).error;
    expect(refused.code).toBe('capability_denied');
    expect((await client.callTool({ name: 'slack_list_channels', arguments: { limit: 2 } })).isError ?? false).toBe(false);
    expect((await client.callTool({ name: 'crm_list_deals', arguments: { limit: 2 } })).isError ?? false).toBe(false);
    expect(slack.requests.slice(mark).filter((r) => r.token === used)).toEqual([]);
    const store = openStore(home);
    expect(await store.isJtiRevoked(jti)).toBe(true);
    await store.close();

    // The agent is told its tool list changed, and the revoked tool is gone from it.
    for (let i = 0; i < 40 && changed.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(changed.length).toBeGreaterThan(0);
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('slack_read_history');
  });

  it('an edited config takes effect without a restart and the client is told to re-list; a bad edit changes nothing', async () => {
    const { client, home } = await open({});
    const changed: number[] = [];
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => { changed.push(Date.now()); });
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('slack_post_message');
    const file = path.join(home, 'config.json');
    fs.writeFileSync(file, '{"agents": {"demo-agent": {"readOnly": "yes please"}}}');
    await new Promise((r) => setTimeout(r, 1500));
    expect(changed).toEqual([]);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('slack_post_message');
    fs.writeFileSync(file, JSON.stringify({ providers: providers(), agents: { 'demo-agent': { readOnly: true } } }));
    for (let i = 0; i < 40 && changed.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(changed.length).toBeGreaterThan(0);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('slack_read_history');
    expect(names).not.toContain('slack_post_message');
    expect(sc(await post(client, 'after the edit')).error.code).toBe('read_only');
  });

  it('an edit that widens an agent works at once: the delegation follows the config, no restart', async () => {
    const { client, home } = await open({ agents: { 'demo-agent': { readOnly: true } } });
    const changed: number[] = [];
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => { changed.push(Date.now()); });
    expect((await client.callTool({ name: 'slack_list_channels', arguments: { limit: 2 } })).isError ?? false).toBe(false);
    expect(sc(await post(client, 'before the edit')).error.code).toBe('read_only');
    fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify({ providers: providers(), agents: { 'demo-agent': { tools: { '*': 'allow' } } } }));
    for (let i = 0; i < 40 && changed.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(changed.length).toBeGreaterThan(0);
    const before = posts();
    const r = await post(client, 'after the edit');
    expect(r.isError ?? false).toBe(false);
    expect(posts()).toBe(before + 1);
    // And back: narrowed again, the write is refused before any token is asked for.
    fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify({ providers: providers(), agents: { 'demo-agent': { readOnly: true } } }));
    for (let i = 0; i < 40 && changed.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(sc(await post(client, 'narrowed again')).error.code).toBe('read_only');
    expect(posts()).toBe(before + 1);
  });

  it('revoking the whole delegation refuses the next call with delegation_revoked', async () => {
    const { client, env } = await open({ agents: { 'demo-agent': { tools: { '*': 'allow' } } } });
    expect((await client.callTool({ name: 'slack_list_channels', arguments: { limit: 2 } })).isError ?? false).toBe(false);
    expect(mandate(['revoke', '--agent', 'demo-agent'], env).code).toBe(0);
    const before = slack.requests.length;
    expect(sc(await client.callTool({ name: 'slack_list_channels', arguments: { limit: 2 } })).error.code).toBe('delegation_revoked');
    expect(slack.requests.length).toBe(before);
  });
});
