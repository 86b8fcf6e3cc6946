// Faults: the authorization server stopped and restarted mid-run; upstreams answering 500,
// 429 storms with Retry-After, hanging past the connector's timeout, dropping connections;
// no usable keychain. For each: the error a user sees is a contract code with a plain
// message, every call keeps its audit records (counted), a write runs upstream at most once
// (the emulator's POSTs and its state are counted), and the server serves again once the
// fault ends. (`kill -9` mid-call is test/e2e/crash.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { bearerFor, connectHttp, startHttpMandate, type HttpMandate } from '../helpers/http.js';
import { connectStdio, mandate, mandateAsync, sc, tempHome } from '../helpers/cli.js';
import { silentLogger } from '../../src/log.js';
import { createMemoryDelegationRegistry, startAuthorizationServer, type EmbeddedAuthz } from '../../src/authz/index.js';
import { delegationScopes, SECRET_ACCOUNTS } from '../../src/runtime/identity.js';
import { DEMO_USER } from '../../src/sandbox/index.js';
import type { Emulator } from '../../src/sandbox/http.js';
import type { SlackEmulator } from '../../src/sandbox/slack/emulator.js';
import type { CrmState } from '../../src/sandbox/crm/store.js';
import type { CalendarState } from '../../src/sandbox/calendar/state.js';
import type { UpstreamProvider } from '../../src/resources.js';
import { cliEnv, eventsOf, expectOk, expectToolError, recordsByCall } from './support.js';

let m: HttpMandate;
let client: Client;
/** Every call this file made, with the outcome its audit trail must show. */
const calls = new Map<string, 'executed' | 'failed'>();

async function call(name: string, args: Record<string, unknown>, c: Client = client) {
  const r = await c.callTool({ name, arguments: args });
  const callId = (r._meta as Record<string, unknown> | undefined)?.['mandate/call_id'];
  expect(typeof callId, `${name} result has no call_id`).toBe('string');
  calls.set(callId as string, r.isError ? 'failed' : 'executed');
  return r;
}

const emulator = (p: UpstreamProvider): Emulator => m.runtime.sandbox!.emulators[p];
const future = (days: number) => {
  const d = new Date(Date.now() + days * 86400_000);
  d.setUTCHours(9, 0, 0, 0);
  return d;
};

/** One write per provider: how to make it, how to see its upstream request, how to count its effect. */
interface WriteCase {
  provider: UpstreamProvider;
  tool: string;
  args(tag: string): Record<string, unknown>;
  isPost(r: { method: string; path: string }): boolean;
  executed(tag: string): number;
}

const WRITES: WriteCase[] = [
  {
    provider: 'slack',
    tool: 'slack_post_message',
    args: (tag) => ({ channel: 'C0SUPUPD05', text: tag }),
    isPost: (r) => r.method === 'POST' && r.path === '/api/chat.postMessage',
    executed: (tag) => ((emulator('slack') as SlackEmulator).state.messages.C0SUPUPD05 ?? []).filter((x) => x.text === tag).length,
  },
  {
    provider: 'crm',
    tool: 'crm_create_contact',
    args: (tag) => ({ email: `${tag}@example.com`, firstname: 'Fault' }),
    isPost: (r) => r.method === 'POST' && r.path === '/crm/v3/objects/contacts',
    executed: (tag) => {
      const state = (emulator('crm') as Emulator & { state: CrmState }).state;
      return [...state.contacts.values()].filter((c) => c.properties.email === `${tag}@example.com`).length;
    },
  },
  {
    provider: 'calendar',
    tool: 'calendar_create_event',
    args: (tag) => ({ summary: tag, start: future(5).toISOString(), end: new Date(future(5).getTime() + 1800_000).toISOString(), send_updates: 'none' }),
    isPost: (r) => r.method === 'POST' && r.path.endsWith('/calendars/primary/events'),
    executed: (tag) => {
      const state = (emulator('calendar') as Emulator & { state: CalendarState }).state;
      return [...state.events.values()].filter((e) => e.summary === tag).length;
    },
  },
];

const READS: Record<UpstreamProvider, { tool: string; args: Record<string, unknown> }> = {
  slack: { tool: 'slack_read_history', args: { channel: 'C0GENERAL1', limit: 3 } },
  crm: { tool: 'crm_list_deals', args: { limit: 3 } },
  calendar: { tool: 'calendar_list_events', args: { limit: 3 } },
};

let tagCounter = 0;
const newTag = (what: string) => `fault-${what}-${Date.now()}-${++tagCounter}`;
/** How many upstream requests of this write the emulator has seen so far. */
const postsOf = (w: WriteCase) => emulator(w.provider).requests.filter((r) => w.isPost(r)).length;

beforeAll(async () => {
  // Every tool allowed, so that writes reach the upstream without a human in the loop.
  m = await startHttpMandate({ agents: { 'demo-agent': { tools: { '*': 'allow' } } } });
  client = await connectHttp(m.url, await bearerFor(m));
});
afterAll(async () => {
  await client?.close();
  await m?.close();
});

describe('upstream faults', () => {
  it('500: upstream_error with a plain message, the write sent once and not retried, the next call runs once', async () => {
    await Promise.all(WRITES.map(async (w) => {
      expectOk(await call(READS[w.provider].tool, READS[w.provider].args), `${w.provider} read before the fault`);
      emulator(w.provider).inject({ kind: 'status', status: 500, count: 1 });
      expectToolError(await call(READS[w.provider].tool, READS[w.provider].args), 'upstream_error', `${w.provider} read on 500`);

      const tag = newTag(`500-${w.provider}`);
      const before = postsOf(w);
      emulator(w.provider).inject({ kind: 'status', status: 500, count: 1 });
      expectToolError(await call(w.tool, w.args(tag)), 'upstream_error', `${w.provider} write on 500`);
      expect(postsOf(w) - before, `${w.provider}: a failed write is not retried`).toBe(1);
      expect(w.executed(tag)).toBe(0);

      expectOk(await call(w.tool, w.args(tag)), `${w.provider} write after the fault`);
      expect(postsOf(w) - before).toBe(2);
      expect(w.executed(tag), `${w.provider}: executed exactly once`).toBe(1);
    }));
  });

  it('429 with a short Retry-After: sat out (twice at most), then the write runs exactly once', async () => {
    await Promise.all(WRITES.map(async (w) => {
      const tag = newTag(`429-${w.provider}`);
      const before = postsOf(w);
      emulator(w.provider).inject({ kind: 'status', status: 429, count: 2, retryAfter: 1 });
      expectOk(await call(w.tool, w.args(tag)), `${w.provider} write through two 429s`);
      expect(postsOf(w) - before).toBe(3);
      expect(w.executed(tag), `${w.provider}: executed exactly once`).toBe(1);
    }));
  });

  it('a 429 storm: every caller gets upstream_error with retry_after_seconds, nothing runs twice, all run after the storm', async () => {
    const K = 4; // concurrent writes per provider
    await Promise.all(WRITES.map(async (w) => {
      const tags = Array.from({ length: K }, () => newTag(`storm-${w.provider}`));
      const before = postsOf(w);
      // Each caller makes at most three attempts (the first and two retries), so 3K 429s fail every one of them.
      emulator(w.provider).inject({ kind: 'status', status: 429, count: 3 * K, retryAfter: 1 });
      const during = await Promise.all(tags.map((t) => call(w.tool, w.args(t))));
      for (const r of during) {
        const err = expectToolError(r, 'upstream_error', `${w.provider} write in the storm`);
        expect(err.retry_after_seconds).toBe(1);
        expect(err.message).toMatch(/rate limit/i);
      }
      expect(postsOf(w) - before).toBe(3 * K);
      for (const t of tags) expect(w.executed(t)).toBe(0);

      const after = await Promise.all(tags.map((t) => call(w.tool, w.args(t))));
      for (const r of after) expectOk(r, `${w.provider} write after the storm`);
      for (const t of tags) expect(w.executed(t), `${w.provider}: executed exactly once`).toBe(1);
    }));
  });

  it('429 with a Retry-After longer than Mandate waits: answered at once with retry_after_seconds, one request', async () => {
    await Promise.all(WRITES.map(async (w) => {
      const tag = newTag(`429long-${w.provider}`);
      const before = postsOf(w);
      emulator(w.provider).inject({ kind: 'status', status: 429, count: 1, retryAfter: 120 });
      const err = expectToolError(await call(w.tool, w.args(tag)), 'upstream_error', `${w.provider} long Retry-After`);
      expect(err.retry_after_seconds).toBe(120);
      expect(postsOf(w) - before).toBe(1);
      expect(w.executed(tag)).toBe(0);
    }));
  });

  it('an upstream hanging past the timeout: upstream_error naming the wait, one request, nothing executed; serving after', async () => {
    await Promise.all(WRITES.map(async (w) => {
      const tag = newTag(`hang-${w.provider}`);
      const before = postsOf(w);
      emulator(w.provider).inject({ kind: 'hang', count: 1 });
      const err = expectToolError(await call(w.tool, w.args(tag)), 'upstream_error', `${w.provider} hang`);
      expect(err.message).toMatch(/did not answer within \d+ ms/);
      expect(postsOf(w) - before).toBe(1);
      expect(w.executed(tag)).toBe(0);
      expectOk(await call(w.tool, w.args(tag)), `${w.provider} after the hang`);
      expect(w.executed(tag)).toBe(1);
    }));
  }, 45_000);

  it('a dropped connection: upstream_error, no silent resend of the write, serving after', async () => {
    await Promise.all(WRITES.map(async (w) => {
      const tag = newTag(`drop-${w.provider}`);
      const before = postsOf(w);
      emulator(w.provider).inject({ kind: 'drop', count: 1 });
      const err = expectToolError(await call(w.tool, w.args(tag)), 'upstream_error', `${w.provider} drop`);
      expect(err.message).toMatch(/could not be reached/);
      expect(postsOf(w) - before, `${w.provider}: the dropped write is not resent`).toBe(1);
      expect(w.executed(tag)).toBe(0);
      expectOk(await call(w.tool, w.args(tag)), `${w.provider} after the drop`);
      expect(w.executed(tag)).toBe(1);
    }));
  });
});

describe('the authorization server stopped and restarted mid-run', () => {
  let restarted: EmbeddedAuthz | undefined;
  afterAll(async () => { await restarted?.close(); });

  it('cached tokens keep serving, uncached ones are token_unavailable without reaching upstream; after the restart all serve', async () => {
    const authz = m.runtime.identity.authz!;
    const issuer = new URL(authz.issuer);
    // Warm: the Slack read token is cached. Never used in this file before the outage (so not
    // cached): the deal-write token (crm.objects.deals.write) and the free/busy token.
    expectOk(await call('slack_read_history', { channel: 'C0GENERAL1', limit: 3 }), 'warm read');
    const crm = emulator('crm') as Emulator & { state: CrmState };
    const dealId = [...crm.state.deals.keys()][0]!;
    const patches = () => crm.requests.filter((r) => r.method === 'PATCH' && r.path === `/crm/v3/objects/deals/${dealId}`).length;
    const before = patches();
    const stage = crm.state.deals.get(dealId)!.properties.dealstage === 'closedlost' ? 'closedwon' : 'closedlost';

    await authz.close();
    expect((await fetch(`${authz.issuer}/.well-known/openid-configuration`).catch(() => null))?.ok ?? false).toBe(false);

    // Cached: still served (upstreams still verify it with the keys they hold).
    expectOk(await call('slack_read_history', { channel: 'C0GENERAL1', limit: 3 }), 'cached token during the outage');
    // Uncached: a plain token_unavailable, and the upstream never sees the write.
    const err = expectToolError(await call('crm_update_deal_stage', { deal_id: dealId, stage }), 'token_unavailable', 'uncached write during the outage');
    expect(err.message).toMatch(/authorization server could not be reached/i);
    expect(patches() - before).toBe(0);
    expectToolError(await call('calendar_find_free_time', { duration_minutes: 30 }), 'token_unavailable', 'uncached read during the outage');
    // Mandate's own tools need no token and still answer.
    expect(expectOk(await call('mandate_whoami', {}), 'whoami during the outage').agent).toBe('demo-agent');

    // The embedded server keeps its clients and grants in memory, so it cannot be restarted
    // inside the runtime as it was; a restarted authorization server (the same issuer URL and
    // signing keys from the state directory, the clients and the delegation registered again
    // with the secrets the runtime holds) is what an external one looks like when it comes back.
    const secrets = m.runtime.identity.secrets;
    const registry = createMemoryDelegationRegistry();
    restarted = await startAuthorizationServer({
      home: m.home, port: Number(issuer.port), mcpResource: m.url, registry, logger: silentLogger(),
    });
    expect(restarted.issuer).toBe(authz.issuer);
    for (const id of ['mandate', 'demo-agent']) {
      const secret = await secrets.getPassword(secrets.service, SECRET_ACCOUNTS.client(id));
      await restarted.registerClient({ client_id: id, client_secret: secret!, client_name: id });
    }
    await restarted.provisionDelegation({
      user: DEMO_USER.id, agent: 'demo-agent', scopes: delegationScopes(m.runtime.services.config, 'demo-agent'),
    });

    // Serving again: the same bearer token, the same session; the write runs exactly once.
    expect(expectOk(await call('crm_update_deal_stage', { deal_id: dealId, stage }), 'uncached write after the restart').stage).toBe(stage);
    expect(patches() - before, 'the deal was written exactly once').toBe(1);
    expect(crm.state.deals.get(dealId)!.properties.dealstage).toBe(stage);
    expectOk(await call('calendar_find_free_time', { duration_minutes: 30 }), 'free/busy after the restart');
    expectOk(await call('slack_read_history', { channel: 'C0GENERAL1', limit: 3 }), 'cached token after the restart');
    // A new session with a token from the restarted server works too.
    // (The stored refresh token belonged to the stopped server's memory; the restarted one issues its own.)
    const fresh = await connectHttp(m.url, await freshBearer(restarted));
    try {
      expectOk(await call('crm_list_deals', { limit: 2 }, fresh), 'new session after the restart');
    } finally {
      await fresh.close();
    }
  });

  /** A bearer for the MCP endpoint from the restarted server (its new delegation's refresh token). */
  async function freshBearer(authz: EmbeddedAuthz): Promise<string> {
    const secrets = m.runtime.identity.secrets;
    const { refreshToken } = await authz.provisionDelegation({
      user: DEMO_USER.id, agent: 'demo-agent', scopes: delegationScopes(m.runtime.services.config, 'demo-agent'),
    });
    const secret = await secrets.getPassword(secrets.service, SECRET_ACCOUNTS.client('demo-agent'));
    const res = await fetch(`${authz.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`demo-agent:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, resource: m.url }),
    });
    const body = (await res.json()) as { access_token?: string };
    expect(res.status).toBe(200);
    return body.access_token!;
  }
});

describe('every call of this file left its records', () => {
  it('the audit count is exactly two records per call (received + executed|failed), and the chain verifies', async () => {
    const store = m.runtime.services.store;
    const byCall = await recordsByCall(store);
    const wrong: string[] = [];
    for (const [callId, outcome] of calls) {
      const events = eventsOf(byCall.get(callId));
      if (JSON.stringify(events) !== JSON.stringify(['received', outcome])) wrong.push(`${callId}: ${events.join(',')} (want received,${outcome})`);
    }
    expect(wrong).toEqual([]);
    expect(calls.size).toBeGreaterThan(40);
    // Besides the calls' records, only anomaly signals the faults raised (repeated failures).
    const anomalies = (await store.readAudit({ event: 'anomaly' })).length;
    expect(await store.auditCount()).toBe(2 * calls.size + anomalies);
    const verify = await mandateAsync(['audit', 'verify'], cliEnv(m.home));
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout + verify.stderr).toContain(String(2 * calls.size + anomalies));
  });
});

describe('no usable keychain', () => {
  // A session bus that does not exist: neither keytar nor @napi-rs/keyring can reach a Secret Service.
  const noBus = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/mandate-test-bus', DISPLAY: '' };

  it('a forced keychain backend that cannot work stops `mandate serve` at start with a clear error, no stack trace', () => {
    for (const backend of ['keyring', 'keytar']) {
      const { env } = tempHome();
      const r = mandate(['serve'], { ...env, ...noBus, MANDATE_SECRETS: backend }, '');
      expect(r.code, `${backend}: ${r.stderr}`).not.toBe(0);
      expect(r.stderr).toContain(`MANDATE_SECRETS=${backend}`);
      expect(r.stderr).toContain('MANDATE_SECRETS=file');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    }
  });

  it('an unknown MANDATE_SECRETS value is refused by name', () => {
    const { env } = tempHome();
    const r = mandate(['serve'], { ...env, MANDATE_SECRETS: 'vault' }, '');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/MANDATE_SECRETS must be one of .*"vault"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('unforced, it falls back to the encrypted file, says so on stderr, and serves; MANDATE_SECRETS=file serves too', async () => {
    for (const forced of [undefined, 'file']) {
      const { env } = tempHome();
      delete env.MANDATE_SECRETS;
      const s = await connectStdio({ ...env, ...noBus, ...(forced ? { MANDATE_SECRETS: forced } : {}) });
      try {
        const who = sc(await s.client.callTool({ name: 'mandate_whoami', arguments: {} }));
        expect(who.agent).toBe('demo-agent');
        const read = await s.client.callTool({ name: 'slack_list_channels', arguments: { limit: 2 } });
        expectOk(read, `secrets ${forced ?? 'unforced'}`);
        expect(s.stderr()).toMatch(/secrets: encrypted file .* not the OS keychain because/);
        expect(s.stderr()).not.toMatch(/\n\s+at /);
      } finally {
        await s.close();
      }
    }
  });
});
