// The token broker against the real embedded authorization server: caching, single flight,
// outages, expiry, revocation, and how each failure reaches the caller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { RESOURCES } from '../../src/resources.js';
import { MandateError } from '../../src/errors.js';
import {
  clientCredentialsActor,
  createTokenBroker,
  fixedSubject,
  refreshingSubject,
  type PerToolRequest,
  type SubjectSource,
} from '../../src/tokens/index.js';
import { DEMO_AGENT, MANDATE, MCP, SLACK_SCOPES, startTestAuthz, type TestAuthz } from '../authz/helpers.js';

let t: TestAuthz;
let refreshToken: string;

/** A fetch that counts token-endpoint calls per grant type and can be told to fail. */
function countingFetch() {
  const counts = new Map<string, number>();
  let failNext: (() => Response | never)[] = [];
  const f: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.endsWith('/token')) {
      const grant = new URLSearchParams(String(init?.body ?? '')).get('grant_type') ?? '?';
      counts.set(grant, (counts.get(grant) ?? 0) + 1);
      const fail = failNext.shift();
      if (fail) return fail();
    }
    return fetch(input, init);
  };
  return {
    fetch: f,
    count: (grant: string) => counts.get(grant) ?? 0,
    failWith: (...fails: (() => Response | never)[]) => {
      failNext = fails;
    },
  };
}

const networkError = (): never => {
  throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
};
const serverError = () => new Response(JSON.stringify({ error: 'server_error' }), { status: 503, headers: { 'content-type': 'application/json' } });

beforeAll(async () => {
  t = await startTestAuthz();
  ({ refreshToken } = await t.authz.provisionDelegation({ user: 'demo-user', agent: DEMO_AGENT.id, scopes: { [RESOURCES.slack]: SLACK_SCOPES } }));
});
afterAll(async () => {
  await t.close();
});

function setup(extra: { now?: () => number; fetch?: typeof fetch } = {}) {
  const common = { issuer: t.authz.issuer, retry: { baseDelayMs: 5 }, ...extra };
  const broker = createTokenBroker({ ...common, clientId: MANDATE.id, clientSecret: MANDATE.secret });
  const subject = refreshingSubject({ ...common, clientId: DEMO_AGENT.id, clientSecret: DEMO_AGENT.secret, refreshToken });
  const actor = clientCredentialsActor({ ...common, clientId: DEMO_AGENT.id, clientSecret: DEMO_AGENT.secret, resource: MCP });
  const req = (scopes: string[] = ['chat:write'], over: Partial<PerToolRequest> = {}): PerToolRequest => ({
    user: 'demo-user', agent: DEMO_AGENT.id, resource: RESOURCES.slack, scopes, subject, actor, ...over,
  });
  return { broker, subject, actor, req };
}

/** The MandateError a call fails with (and that its message holds no token). */
async function failureOf(p: Promise<unknown>): Promise<MandateError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(MandateError);
    const e = err as MandateError;
    expect(e.message).not.toMatch(/eyJ[A-Za-z0-9_-]{5,}/);
    return e;
  }
  throw new Error('expected a failure');
}
const codeOf = async (p: Promise<unknown>) => (await failureOf(p)).code;

describe('token broker', () => {
  it('1,000 calls of one tool trigger one exchange, and the token is the tool’s own', async () => {
    const { broker, req } = setup();
    const first = await broker.perToolToken(req());
    for (let i = 0; i < 999; i++) expect((await broker.perToolToken(req())).token).toBe(first.token);
    expect(broker.stats()).toEqual({ exchanges: 1, hits: 999 });
    const c = decodeJwt(first.token);
    expect(c).toMatchObject({ aud: RESOURCES.slack, scope: 'chat:write', sub: 'demo-user', act: { sub: DEMO_AGENT.id } });
    expect(first.info).toEqual({ jti: c.jti, aud: RESOURCES.slack, scope: 'chat:write', exp: c.exp });
  });

  it('50 concurrent first calls share one exchange', async () => {
    const { broker, req } = setup();
    const all = await Promise.all(Array.from({ length: 50 }, () => broker.perToolToken(req())));
    expect(new Set(all.map((r) => r.token)).size).toBe(1);
    expect(broker.stats().exchanges).toBe(1);
  });

  it('keys the cache by scopes regardless of order, and mints separately for other scopes', async () => {
    const { broker, req } = setup();
    const a = await broker.perToolToken(req(['channels:read', 'channels:history']));
    const b = await broker.perToolToken(req(['channels:history', 'channels:read']));
    const c = await broker.perToolToken(req(['chat:write']));
    expect(b.token).toBe(a.token);
    expect(c.token).not.toBe(a.token);
    expect(decodeJwt(a.token).scope).toBe('channels:history channels:read');
    expect(broker.stats().exchanges).toBe(2);
  });

  it('near expiry, the next call gets a fresh token without failing', async () => {
    let offset = 0;
    const { broker, req } = setup({ now: () => Date.now() + offset });
    const first = await broker.perToolToken(req());
    offset = 250_000; // 50 s before the 300 s expiry: still reused
    expect((await broker.perToolToken(req())).token).toBe(first.token);
    offset = 275_000; // within 30 s of expiry: renewed
    const second = await broker.perToolToken(req());
    expect(second.info.jti).not.toBe(first.info.jti);
    expect(broker.stats().exchanges).toBe(2);
  });

  it('fresh() forces a new token (after an upstream 401)', async () => {
    const { broker, req } = setup();
    const first = await broker.perToolToken(req());
    const again = await broker.fresh(req());
    expect(again.info.jti).not.toBe(first.info.jti);
    expect((await broker.perToolToken(req())).token).toBe(again.token);
  });

  it('retries transient failures (network error, 5xx) and succeeds with one exchange', async () => {
    const counting = countingFetch();
    const { broker, req } = setup({ fetch: counting.fetch });
    await broker.perToolToken(req()); // warm the subject and actor
    counting.failWith(networkError, serverError);
    const r = await broker.perToolToken(req(['channels:read']));
    expect(decodeJwt(r.token).scope).toBe('channels:read');
    expect(counting.count('urn:ietf:params:oauth:grant-type:token-exchange')).toBe(4);
    expect(broker.stats().exchanges).toBe(2);
  });

  it('gives up after three transient failures with token_unavailable', async () => {
    const counting = countingFetch();
    const { broker, req } = setup({ fetch: counting.fetch });
    await broker.perToolToken(req());
    counting.failWith(serverError, serverError, serverError);
    expect(await codeOf(broker.perToolToken(req(['channels:read'])))).toBe('token_unavailable');
    expect(counting.count('urn:ietf:params:oauth:grant-type:token-exchange')).toBe(4);
  });

  it('a refusal other than invalid_grant is token_unavailable with a plain reason', async () => {
    const { broker, req } = setup();
    const err = await failureOf(broker.perToolToken(req(['reactions:write'])));
    expect(err.code).toBe('token_unavailable');
    expect(err.message).toContain('invalid_scope');
  });

  it('a caller that aborts stops waiting; the shared exchange still serves the others', async () => {
    const { broker, req } = setup();
    const ac = new AbortController();
    const aborted = broker.perToolToken(req(['chat:write'], { signal: ac.signal }));
    const other = broker.perToolToken(req());
    ac.abort(new Error('cancelled'));
    await expect(aborted).rejects.toThrow('cancelled');
    expect(decodeJwt((await other).token).aud).toBe(RESOURCES.slack);
    expect(broker.stats().exchanges).toBe(1);
  });

  it('refuses a plain-http issuer that is not loopback', () => {
    expect(() => createTokenBroker({ issuer: 'http://auth.example.com', clientId: 'x', clientSecret: 'y' })).toThrow(/https/);
  });
});

describe('token broker: outages and revocation', () => {
  it('authorization server stopped: cached tokens keep serving; new ones fail with token_unavailable', async () => {
    const down = await startTestAuthz();
    const rt = (await down.authz.provisionDelegation({ user: 'demo-user', agent: DEMO_AGENT.id, scopes: { [RESOURCES.slack]: SLACK_SCOPES } })).refreshToken;
    const common = { issuer: down.authz.issuer, retry: { baseDelayMs: 5 } };
    const broker = createTokenBroker({ ...common, clientId: MANDATE.id, clientSecret: MANDATE.secret });
    const subject = refreshingSubject({ ...common, clientId: DEMO_AGENT.id, clientSecret: DEMO_AGENT.secret, refreshToken: rt });
    const req = (scopes: string[]): PerToolRequest => ({ user: 'demo-user', agent: DEMO_AGENT.id, resource: RESOURCES.slack, scopes, subject });
    const cached = await broker.perToolToken(req(['chat:write']));
    await down.close();

    expect((await broker.perToolToken(req(['chat:write']))).token).toBe(cached.token);
    expect(await codeOf(broker.perToolToken(req(['channels:read'])))).toBe('token_unavailable');
    const err = await failureOf(broker.perToolToken(req(['channels:read'])));
    expect(err.message).toMatch(/could not be reached/);
    // Still serving the cached one after the failures.
    expect((await broker.perToolToken(req(['chat:write']))).token).toBe(cached.token);
  });

  it('a revoked delegation: invalidate() drops cached tokens, and the next call is delegation_revoked', async () => {
    const { refreshToken: rt } = await t.authz.provisionDelegation({ user: 'leaving-user', agent: DEMO_AGENT.id, scopes: { [RESOURCES.slack]: SLACK_SCOPES } });
    const common = { issuer: t.authz.issuer, retry: { baseDelayMs: 5 } };
    const broker = createTokenBroker({ ...common, clientId: MANDATE.id, clientSecret: MANDATE.secret });
    const subject = refreshingSubject({ ...common, clientId: DEMO_AGENT.id, clientSecret: DEMO_AGENT.secret, refreshToken: rt });
    const req = (scopes: string[]): PerToolRequest => ({ user: 'leaving-user', agent: DEMO_AGENT.id, resource: RESOURCES.slack, scopes, subject });
    const a = await broker.perToolToken(req(['chat:write']));
    const b = await broker.perToolToken(req(['channels:read']));

    const d = (await t.registry.get('leaving-user', DEMO_AGENT.id))!;
    await t.registry.put({ ...d, status: 'revoked' });
    expect(broker.invalidate({ agent: DEMO_AGENT.id, resource: RESOURCES.crm })).toEqual([]);
    expect(broker.invalidate({ agent: DEMO_AGENT.id }).sort()).toEqual([a.info.jti, b.info.jti].sort());
    expect(await codeOf(broker.perToolToken(req(['chat:write'])))).toBe('delegation_revoked');
  });

  it('invalid_grant at an exchange drops every cached token of that delegation', async () => {
    const { refreshToken: rt } = await t.authz.provisionDelegation({ user: 'other-user', agent: DEMO_AGENT.id, scopes: { [RESOURCES.slack]: SLACK_SCOPES } });
    const common = { issuer: t.authz.issuer, retry: { baseDelayMs: 5 } };
    const broker = createTokenBroker({ ...common, clientId: MANDATE.id, clientSecret: MANDATE.secret });
    const subject = refreshingSubject({ ...common, clientId: DEMO_AGENT.id, clientSecret: DEMO_AGENT.secret, refreshToken: rt });
    const req = (scopes: string[]): PerToolRequest => ({ user: 'other-user', agent: DEMO_AGENT.id, resource: RESOURCES.slack, scopes, subject });
    await broker.perToolToken(req(['chat:write']));

    const d = (await t.registry.get('other-user', DEMO_AGENT.id))!;
    await t.registry.put({ ...d, status: 'revoked' });
    expect(await codeOf(broker.perToolToken(req(['channels:read'])))).toBe('delegation_revoked');
    const before = broker.stats().exchanges;
    // The cached chat:write token went with the delegation: the next call asks again, and is refused.
    expect(await codeOf(broker.perToolToken(req(['chat:write'])))).toBe('delegation_revoked');
    expect(broker.stats().exchanges).toBe(before + 1);
  });

  it('a revoked refresh token ends the delegation (delegation_revoked) when the subject is refreshed', async () => {
    const { refreshToken: rt } = await t.authz.provisionDelegation({ user: 'rt-user', agent: DEMO_AGENT.id, scopes: { [RESOURCES.slack]: SLACK_SCOPES } });
    await fetch(`${t.authz.issuer}/token/revocation`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${DEMO_AGENT.id}:${DEMO_AGENT.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: rt }),
    });
    const common = { issuer: t.authz.issuer, retry: { baseDelayMs: 5 } };
    const broker = createTokenBroker({ ...common, clientId: MANDATE.id, clientSecret: MANDATE.secret });
    const subject = refreshingSubject({ ...common, clientId: DEMO_AGENT.id, clientSecret: DEMO_AGENT.secret, refreshToken: rt });
    expect(await codeOf(broker.perToolToken({ user: 'rt-user', agent: DEMO_AGENT.id, resource: RESOURCES.slack, scopes: ['chat:write'], subject }))).toBe('delegation_revoked');
  });

  it('a garbage subject token is token_unavailable (invalid_request), not a revocation', async () => {
    const { broker, req } = setup();
    const bogus: SubjectSource = fixedSubject('not-a-token');
    expect(await codeOf(broker.perToolToken(req(['chat:write'], { subject: bogus, user: 'someone' })))).toBe('token_unavailable');
  });
});

describe('subject and actor sources', () => {
  it('refreshingSubject refreshes once for concurrent callers, and again only near expiry', async () => {
    let offset = 0;
    const counting = countingFetch();
    const subject = refreshingSubject({
      issuer: t.authz.issuer, clientId: DEMO_AGENT.id, clientSecret: DEMO_AGENT.secret, refreshToken,
      fetch: counting.fetch, now: () => Date.now() + offset,
    });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => subject.token()));
    expect(new Set(tokens).size).toBe(1);
    expect(counting.count('refresh_token')).toBe(1);
    expect(decodeJwt(tokens[0]!)).toMatchObject({ aud: MCP, sub: 'demo-user' });
    offset = 600_000; // the subject token lives 900 s: still fresh
    await subject.token();
    expect(counting.count('refresh_token')).toBe(1);
    offset = 880_000; // within 30 s of expiry
    expect(await subject.token()).not.toBe(tokens[0]);
    expect(counting.count('refresh_token')).toBe(2);
    expect(subject.key).not.toContain(refreshToken);
  });

  it('clientCredentialsActor gets the agent’s own MCP token and reuses it', async () => {
    const counting = countingFetch();
    const actor = clientCredentialsActor({ issuer: t.authz.issuer, clientId: DEMO_AGENT.id, clientSecret: DEMO_AGENT.secret, resource: MCP, fetch: counting.fetch });
    const a = await actor.token();
    expect(await actor.token()).toBe(a);
    expect(counting.count('client_credentials')).toBe(1);
    expect(decodeJwt(a)).toMatchObject({ sub: DEMO_AGENT.id, client_id: DEMO_AGENT.id, aud: MCP });
  });
});
