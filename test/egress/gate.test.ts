// Real accounts in process: the embedded authorization server mints per-tool tokens, the
// egress gate checks each request against its token and attaches the account's credential
// from the vault, and the emulators (standing for the real APIs) see only provider tokens.
// Two Slack accounts side by side; a method outside the token's scope never reaches Slack,
// answers in Slack's own shape and leaves an audit record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { startRuntime, type Runtime } from '../../src/runtime/index.js';
import { runToolCall } from '../../src/pipeline/index.js';
import { createEgressGate } from '../../src/egress/index.js';
import { GrantStore } from '../../src/vault/index.js';
import type { Identity } from '../../src/identity/types.js';
import { tempHome } from '../helpers/cli.js';
import { APP, consentAndExchange, grantFrom, providerConfig, startRealEmulators, type RealEmulators } from '../vault/helpers.js';

const SLACK_ALL = ['channels:read', 'channels:history', 'chat:write', 'reactions:write', 'users:read'];
let emus: RealEmulators;
let rt: Runtime;
let who: Identity;
let tokens: { work: string; community: string };
const sc = (r: unknown) => (r as { structuredContent: Record<string, any> }).structuredContent;
const call = (name: string, args: Record<string, unknown>, identity = who) =>
  runToolCall(rt.services, identity, { name, arguments: args, mcpRequestId: 1, signal: new AbortController().signal });

beforeAll(async () => {
  emus = await startRealEmulators();
  const { home } = tempHome();
  const config = parseConfig({
    providers: {
      slack: { ...providerConfig('slack', emus.slack.url), accounts: { work: {}, community: {} } },
      crm: { ...providerConfig('crm', emus.crm.url), accounts: { main: {} } },
      calendar: { ...providerConfig('calendar', emus.calendar.url), accounts: { main: {} } },
    },
    agents: {
      'demo-agent': { tools: { '*': 'allow' } },
      assistant: { tools: { slack_post_message: { capability: 'allow', accounts: ['work'] } } },
    },
  });
  const prev = process.env.MANDATE_SECRETS;
  process.env.MANDATE_SECRETS = 'file';
  rt = await startRuntime({ home, config, logger: silentLogger(), mcpResource: 'urn:mandate:test' });
  process.env.MANDATE_SECRETS = prev;
  const grants = new GrantStore(rt.identity.secrets);
  tokens = {
    work: emus.slack.oauth!.issueStatic('xoxp', SLACK_ALL, { id: 'T0WORK', name: 'Work' }),
    community: emus.slack.oauth!.issueStatic('xoxb', SLACK_ALL, { id: 'T0COMMUNITY', name: 'Community' }),
  };
  const now = new Date().toISOString();
  await grants.put({ v: 1, provider: 'slack', account: 'work', method: 'pasted', accessToken: tokens.work, scopes: SLACK_ALL, identity: { id: 'T0WORK', name: 'Work' }, tokenType: 'user', connectedAt: now });
  await grants.put({ v: 1, provider: 'slack', account: 'community', method: 'pasted', accessToken: tokens.community, scopes: SLACK_ALL, identity: { id: 'T0COMMUNITY', name: 'Community' }, tokenType: 'bot', connectedAt: now });
  await grants.putApp('crm', APP);
  await grants.put(grantFrom('crm', 'main', await consentAndExchange('crm', emus.crm.url, ['crm.objects.contacts.read', 'crm.objects.contacts.write', 'crm.objects.deals.read', 'crm.objects.deals.write']), { id: '20240601' }));
  await grants.putApp('calendar', APP);
  const gcal = 'https://www.googleapis.com/auth/calendar';
  await grants.put(grantFrom('calendar', 'main', await consentAndExchange('calendar', emus.calendar.url, [`${gcal}.events.readonly`, `${gcal}.events`, `${gcal}.freebusy`]), { id: 'dana@example.com' }));
  who = await rt.identity.stdioIdentity('demo-agent', 'session-1');
});
afterAll(async () => {
  await rt?.close();
  await Promise.all(Object.values(emus ?? {}).map((e) => e.close()));
});

describe('egress gate (invariant 10)', () => {
  it('two Slack accounts side by side: each call carries its own account\'s credential, never a per-tool token', async () => {
    const mark = emus.slack.requests.length;
    const a = await call('slack_post_message', { channel: '#general', text: 'from work' });
    expect(sc(a).ts, JSON.stringify(a)).toBeTruthy();
    const b = await call('slack_post_message', { channel: '#general', text: 'from community', account: 'community' });
    expect(sc(b).ts, JSON.stringify(b)).toBeTruthy();
    const seen = emus.slack.requests.slice(mark).filter((r) => r.path === '/api/chat.postMessage').map((r) => r.token);
    expect(seen).toEqual([tokens.work, tokens.community]);
    const records = await rt.services.store.readAudit({});
    const executed = records.filter((r) => r.event === 'executed' && r.tool === 'slack_post_message');
    expect(executed.map((r) => [(r.args as Record<string, unknown>).account, r.account])).toEqual([
      ['work', 'work: T0WORK (Work)'], ['community', 'community: T0COMMUNITY (Community)'],
    ]);
    // The credentials appear nowhere a model or the trail could read them.
    const text = JSON.stringify([a, b, records]);
    expect(text).not.toContain(tokens.work);
    expect(text).not.toContain(tokens.community);
  });

  it('HubSpot and Google through the gate; Google tools get a down-scoped credential', async () => {
    const c = await call('crm_search_contacts', { query: 'a' });
    expect(sc(c).error).toBeUndefined();
    const mark = emus.calendar.requests.length;
    const e = await call('calendar_list_events', {});
    expect(sc(e).error, JSON.stringify(e)).toBeUndefined();
    const token = emus.calendar.requests.slice(mark).find((r) => r.path.includes('/events'))!.token!;
    expect(emus.calendar.oauth!.scopesOf(token)).toEqual(['https://www.googleapis.com/auth/calendar.events.readonly']);
  });

  it('an unknown account, an account outside the agent\'s `accounts` constraint', async () => {
    const r = await call('slack_list_channels', { account: 'nope' });
    expect(sc(r).error).toMatchObject({ code: 'account_unavailable' });
    expect(sc(r).error.message).toContain('mandate connect slack --account nope');
    const assistant = await rt.identity.stdioIdentity('assistant', 'session-2');
    const denied = await call('slack_post_message', { channel: '#general', text: 'x', account: 'community' }, assistant);
    expect(sc(denied).error).toMatchObject({ code: 'constraint_violation' });
    expect(sc(denied).error.message).toContain('account community is not in the allowed accounts: work');
  });

  it('a method outside the per-tool token\'s scope never reaches Slack: Slack\'s own missing_scope, and an audit record', async () => {
    const tool = rt.services.toolByName.get('slack_list_channels')!;
    const perTool = await rt.services.tokens.sourceFor(who, tool, new AbortController().signal).token();
    const gate = createEgressGate({ provider: 'slack', baseUrl: `${emus.slack.url}/api`, verify: rt.identity.upstreamVerifiers.slack!, vault: rt.vault!, audit: rt.services.audit });
    const send = gate.fetchFor({ account: 'work', callId: 'call_outofscope', tool: 'slack_list_channels', identity: who });
    const mark = emus.slack.requests.length;
    const res = await send(`${emus.slack.url}/api/chat.postMessage`, {
      method: 'POST', headers: { authorization: `Bearer ${perTool}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ channel: 'C0GENERAL1', text: 'sneaky' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: false, error: 'missing_scope', needed: 'chat:write', provided: 'channels:read' });
    // A token not minted through Mandate's exchanger, and a method the gate does not open.
    expect(await (await send(`${emus.slack.url}/api/conversations.list`, { headers: { authorization: 'Bearer xoxp-pasted-by-the-model' } })).json()).toEqual({ ok: false, error: 'invalid_auth' });
    expect(await (await send(`${emus.slack.url}/api/admin.users.remove`, { method: 'POST', headers: { authorization: `Bearer ${perTool}` } })).json()).toMatchObject({ ok: false, error: 'missing_scope' });
    expect(emus.slack.requests.length).toBe(mark); // nothing reached the provider
    await new Promise((r) => setTimeout(r, 50));
    const refused = (await rt.services.store.readAudit({})).filter((r) => r.event === 'token_refused' && r.call_id === 'call_outofscope');
    expect(refused.map((r) => r.error_code)).toEqual(['insufficient_scope', 'invalid_token', 'insufficient_scope']);
    expect(refused[0]).toMatchObject({ agent: 'demo-agent', decision: 'refused', args: { provider: 'slack', account: 'work', endpoint: 'chat.postMessage' } });
    expect(refused[0]!.reason).toContain('chat.postMessage needs chat:write');
  });

  it('mandate_whoami lists the accounts and whose they are', async () => {
    const r = sc(await call('mandate_whoami', {}));
    expect(r.accounts).toEqual(expect.arrayContaining([
      expect.objectContaining({ provider: 'slack', account: 'work', default: true, connected: true, identity: 'T0WORK (Work)' }),
      expect.objectContaining({ provider: 'slack', account: 'community', default: false, identity: 'T0COMMUNITY (Community)' }),
      expect.objectContaining({ provider: 'calendar', account: 'main', identity: 'dana@example.com' }),
    ]));
  });
});
