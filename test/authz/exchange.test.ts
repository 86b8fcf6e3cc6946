// The token-exchange grant (RFC 8693) against the real embedded server: the per-tool token's
// shape (RFC 9068), the actor chain, and each refusal with its RFC error code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { RESOURCES } from '../../src/resources.js';
import { ACCESS_TOKEN_TYPE, type RefusedAttempt } from '../../src/authz/index.js';
import {
  ASSISTANT,
  DEMO_AGENT,
  MANDATE,
  MCP,
  actorToken,
  exchange,
  startTestAuthz,
  subjectToken,
  tokenRequest,
  TOKEN_EXCHANGE_GRANT,
  type TestAuthz,
} from './helpers.js';

let t: TestAuthz;
beforeAll(async () => {
  t = await startTestAuthz();
});
afterAll(async () => {
  await t.close();
});

describe('token exchange: the per-tool token', () => {
  it('TE-RESP / JWT-AT: is an at+jwt for that API only, with exactly the requested scope, user, client and actor', async () => {
    const { token: subject } = await subjectToken(t.authz);
    const actor = await actorToken(t.authz, DEMO_AGENT);
    const r = await exchange(t.authz, MANDATE, { subject, actor, resource: RESOURCES.slack, scope: 'chat:write' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', scope: 'chat:write' });
    expect(r.body.expires_in).toBeLessThanOrEqual(300);

    const token = String(r.body.access_token);
    const header = decodeProtectedHeader(token);
    expect(header.typ).toBe('at+jwt');
    expect(header.alg).toBe('ES256');
    expect(t.authz.publicJwks().keys.map((k) => k.kid)).toContain(header.kid);

    const c = decodeJwt(token);
    expect(c.iss).toBe(t.authz.issuer);
    expect(c.aud).toBe(RESOURCES.slack);
    expect(c.scope).toBe('chat:write');
    expect(c.sub).toBe('demo-user');
    expect(c.azp).toBe(DEMO_AGENT.id); // the client the user delegated through
    expect(c.client_id).toBe(MANDATE.id); // issued to Mandate's exchanger, the only client that may hold one
    expect(c.act).toEqual({ sub: DEMO_AGENT.id });
    expect(typeof c.jti).toBe('string');
    expect(c.exp! - c.iat!).toBeGreaterThan(0);
    expect(c.exp! - c.iat!).toBeLessThanOrEqual(300);
  });

  it('the subject token itself carries the user, the client and no upstream audience', async () => {
    const { token } = await subjectToken(t.authz);
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
    const c = decodeJwt(token);
    expect(c).toMatchObject({ sub: 'demo-user', aud: MCP, client_id: DEMO_AGENT.id, azp: DEMO_AGENT.id, scope: 'mandate:tools' });
    expect(c.act).toBeUndefined();
  });

  it('without an actor token, the current actor is the subject client (the agent itself)', async () => {
    const { token: subject } = await subjectToken(t.authz);
    const r = await exchange(t.authz, MANDATE, { subject, resource: RESOURCES.slack, scope: 'channels:read channels:history' });
    expect(r.status).toBe(200);
    const c = decodeJwt(String(r.body.access_token));
    expect(c.act).toEqual({ sub: DEMO_AGENT.id });
    expect(c.scope).toBe('channels:read channels:history');
  });

  it('TE-ACT: a named agent acting through another client shows in act; a different actor nests the chain', async () => {
    // The user delegated to `assistant` through the demo-agent client: the subject token names it in act.
    const { token: subject } = await subjectToken(t.authz, { user: 'nested-user', agent: ASSISTANT, client: DEMO_AGENT });
    expect(decodeJwt(subject).act).toEqual({ sub: ASSISTANT.id });

    const same = await exchange(t.authz, MANDATE, { subject, resource: RESOURCES.slack, scope: 'chat:write' });
    expect(same.status).toBe(200);
    expect(decodeJwt(String(same.body.access_token)).act).toEqual({ sub: ASSISTANT.id });

    // A different actor (demo-agent's own token) needs its own delegation from that user, for that client.
    await t.authz.provisionDelegation({ user: 'nested-user', agent: DEMO_AGENT.id, client: DEMO_AGENT.id, scopes: { [RESOURCES.slack]: ['chat:write'] } });
    const actor = await actorToken(t.authz, DEMO_AGENT);
    const nested = await exchange(t.authz, MANDATE, { subject, actor, resource: RESOURCES.slack, scope: 'chat:write' });
    expect(nested.status).toBe(200);
    const c = decodeJwt(String(nested.body.access_token));
    expect(c.act).toEqual({ sub: DEMO_AGENT.id, act: { sub: ASSISTANT.id } });
    expect(c.sub).toBe('nested-user');
    expect(c.azp).toBe(DEMO_AGENT.id);
  });

  it('honours perToolTtlSeconds', async () => {
    const short = await startTestAuthz({ perToolTtlSeconds: 60 });
    try {
      const { token: subject } = await subjectToken(short.authz);
      const r = await exchange(short.authz, MANDATE, { subject, resource: RESOURCES.slack, scope: 'chat:write' });
      expect(r.body.expires_in).toBe(60);
      const c = decodeJwt(String(r.body.access_token));
      expect(c.exp! - c.iat!).toBe(60);
    } finally {
      await short.close();
    }
  });
});

describe('token exchange: refusals', () => {
  it('TE-ERR: scope beyond the delegation is invalid_scope', async () => {
    const { token: subject } = await subjectToken(t.authz);
    // The delegation grants Slack channels:read, channels:history, chat:write, not reactions:write.
    const r = await exchange(t.authz, MANDATE, { subject, resource: RESOURCES.slack, scope: 'chat:write reactions:write' });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_scope');
    expect(r.body.scope).toBe('reactions:write');
  });

  it('TE-ERR: a scope of another API is invalid_scope', async () => {
    const { token: subject } = await subjectToken(t.authz, { scopes: { [RESOURCES.slack]: ['chat:write'], [RESOURCES.crm]: ['crm.objects.deals.read'] } });
    const r = await exchange(t.authz, MANDATE, { subject, resource: RESOURCES.slack, scope: 'crm.objects.deals.read' });
    expect(r.body.error).toBe('invalid_scope');
  });

  it('a missing scope is invalid_scope (no default scope is minted)', async () => {
    const { token: subject } = await subjectToken(t.authz);
    const r = await exchange(t.authz, MANDATE, { subject, resource: RESOURCES.slack });
    expect(r.body.error).toBe('invalid_scope');
  });

  it.each([
    ['an unknown API', 'https://evil.example.com/api'],
    ['a fragment', `${RESOURCES.slack}#x`],
    ['a relative URI', '/api'],
  ])('RI-PARAM: %s as resource is invalid_target', async (_label, resource) => {
    const { token: subject } = await subjectToken(t.authz);
    const r = await exchange(t.authz, MANDATE, { subject, resource, scope: 'chat:write' });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_target');
  });

  it('the MCP endpoint itself is a target for mandate:tools only (an agent names itself as actor to Mandate)', async () => {
    const { token: subject } = await subjectToken(t.authz);
    const ok = await exchange(t.authz, DEMO_AGENT, { subject, actor: await actorToken(t.authz, DEMO_AGENT), resource: MCP, scope: 'mandate:tools' });
    expect(ok.status).toBe(200);
    const claims = decodeJwt(String(ok.body.access_token));
    expect(claims).toMatchObject({ aud: MCP, sub: 'demo-user', scope: 'mandate:tools', act: { sub: 'demo-agent' } });
    const wider = await exchange(t.authz, MANDATE, { subject, resource: MCP, scope: 'chat:write' });
    expect(wider.body.error).toBe('invalid_scope');
  });

  it('RI-PARAM: two resources at once are invalid_target', async () => {
    const { token: subject } = await subjectToken(t.authz);
    const r = await exchange(t.authz, MANDATE, { subject, resource: [RESOURCES.slack, RESOURCES.crm], scope: 'chat:write' });
    expect(r.body.error).toBe('invalid_target');
  });

  it('TE-MAYACT: an actor the delegation does not name is unauthorized_client', async () => {
    const { token: subject } = await subjectToken(t.authz, { user: 'only-demo-agent' });
    const actor = await actorToken(t.authz, ASSISTANT);
    const r = await exchange(t.authz, MANDATE, { subject, actor, resource: RESOURCES.slack, scope: 'chat:write' });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('unauthorized_client');
    expect(String(r.body.error_description)).not.toContain(actor);
  });

  it('a revoked delegation is invalid_grant at the next exchange', async () => {
    const { token: subject } = await subjectToken(t.authz, { user: 'revoking-user' });
    const ok = await exchange(t.authz, MANDATE, { subject, resource: RESOURCES.slack, scope: 'chat:write' });
    expect(ok.status).toBe(200);
    const d = (await t.registry.get('revoking-user', DEMO_AGENT.id))!;
    await t.registry.put({ ...d, status: 'revoked' });
    const r = await exchange(t.authz, MANDATE, { subject, resource: RESOURCES.slack, scope: 'chat:write' });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_grant');
  });

  it('removing one capability (scope) refuses just that scope', async () => {
    const { token: subject } = await subjectToken(t.authz, { user: 'narrowing-user' });
    const d = (await t.registry.get('narrowing-user', DEMO_AGENT.id))!;
    await t.registry.put({ ...d, scopes: { [RESOURCES.slack]: ['channels:read'] } });
    expect((await exchange(t.authz, MANDATE, { subject, resource: RESOURCES.slack, scope: 'chat:write' })).body.error).toBe('invalid_scope');
    expect((await exchange(t.authz, MANDATE, { subject, resource: RESOURCES.slack, scope: 'channels:read' })).status).toBe(200);
  });

  it('TE-REQ: a missing subject_token_type is invalid_request', async () => {
    const { token: subject } = await subjectToken(t.authz);
    const r = await tokenRequest(t.authz, MANDATE, { grant_type: TOKEN_EXCHANGE_GRANT, subject_token: subject, resource: RESOURCES.slack, scope: 'chat:write' });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
  });

  it('TE-REQ: a missing subject_token is invalid_request', async () => {
    const r = await exchange(t.authz, MANDATE, { resource: RESOURCES.slack, scope: 'chat:write', subject_token_type: ACCESS_TOKEN_TYPE });
    expect(r.body.error).toBe('invalid_request');
  });

  it('TE-REQ: an actor_token without its type, or a type without the token, is invalid_request', async () => {
    const { token: subject } = await subjectToken(t.authz);
    const actor = await actorToken(t.authz, DEMO_AGENT);
    const base = { subject, resource: RESOURCES.slack, scope: 'chat:write' };
    expect((await exchange(t.authz, MANDATE, { ...base, actor_token: actor })).body.error).toBe('invalid_request');
    expect((await exchange(t.authz, MANDATE, { ...base, actor_token_type: ACCESS_TOKEN_TYPE })).body.error).toBe('invalid_request');
  });

  it('TE-ERR: a bad subject token is invalid_request', async () => {
    for (const subject of ['not-a-jwt', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJkZW1vLXVzZXIifQ.']) {
      const r = await exchange(t.authz, MANDATE, { subject, resource: RESOURCES.slack, scope: 'chat:write' });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_request');
    }
  });

  it('TE-ERR: a per-tool token cannot be used as a subject token (wrong audience)', async () => {
    const { token: subject } = await subjectToken(t.authz);
    const r1 = await exchange(t.authz, MANDATE, { subject, resource: RESOURCES.slack, scope: 'chat:write' });
    const r2 = await exchange(t.authz, MANDATE, { subject: String(r1.body.access_token), resource: RESOURCES.slack, scope: 'chat:write' });
    expect(r2.body.error).toBe('invalid_request');
  });

  it('a client credentials token is not a user subject', async () => {
    const subject = await actorToken(t.authz, DEMO_AGENT);
    const r = await exchange(t.authz, MANDATE, { subject, resource: RESOURCES.slack, scope: 'chat:write' });
    expect(r.body.error).toBe('invalid_request');
  });

  it('a wrong client secret is invalid_client', async () => {
    const { token: subject } = await subjectToken(t.authz);
    const r = await exchange(t.authz, { id: MANDATE.id, secret: 'wrong' }, { subject, resource: RESOURCES.slack, scope: 'chat:write' });
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_client');
  });

  it('a revoked subject jti is invalid_grant', async () => {
    const { token: subject } = await subjectToken(t.authz);
    const c = decodeJwt(subject);
    await t.registry.revokeJti(String(c.jti), c.exp!);
    const r = await exchange(t.authz, MANDATE, { subject, resource: RESOURCES.slack, scope: 'chat:write' });
    expect(r.body.error).toBe('invalid_grant');
  });
});

describe('token exchange: upstream audiences belong to Mandate (invariant 8)', () => {
  it('an agent exchanging its own user token for an upstream API is unauthorized_client, with or without its actor token', async () => {
    const { token: subject } = await subjectToken(t.authz, { user: 'bypass-user' });
    const actor = await actorToken(t.authz, DEMO_AGENT);
    for (const params of [{ subject, resource: RESOURCES.slack, scope: 'chat:write' }, { subject, actor, resource: RESOURCES.slack, scope: 'chat:write' }, { subject, audience: RESOURCES.crm, scope: 'crm.objects.contacts.read' }]) {
      const r = await exchange(t.authz, DEMO_AGENT, params);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('unauthorized_client');
      expect(String(r.body.error_description)).toContain('only Mandate may obtain tokens');
    }
  });

  it('for the MCP resource, a client exchanges only user tokens issued to it, and names only itself as actor', async () => {
    const { token: mine } = await subjectToken(t.authz, { user: 'mcp-user', agent: ASSISTANT });
    const { token: theirs } = await subjectToken(t.authz, { user: 'mcp-user' }); // issued to demo-agent
    const other = await exchange(t.authz, ASSISTANT, { subject: theirs, resource: MCP, scope: 'mandate:tools' });
    expect(other.body.error).toBe('unauthorized_client');
    const naming = await exchange(t.authz, ASSISTANT, { subject: mine, actor: await actorToken(t.authz, DEMO_AGENT), resource: MCP, scope: 'mandate:tools' });
    expect(naming.body.error).toBe('unauthorized_client');
    const own = await exchange(t.authz, ASSISTANT, { subject: mine, actor: await actorToken(t.authz, ASSISTANT), resource: MCP, scope: 'mandate:tools' });
    expect(own.status).toBe(200);
  });

  it('Mandate itself is never the actor', async () => {
    const { token: subject } = await subjectToken(t.authz, { user: 'self-user' });
    const r = await exchange(t.authz, MANDATE, { subject, actor: await actorToken(t.authz, MANDATE), resource: RESOURCES.slack, scope: 'chat:write' });
    expect(r.body.error).toBe('unauthorized_client');
  });

  it("the agent's current capabilities are checked at every upstream exchange (invalid_scope with the reason)", async () => {
    const refused = new Set(['chat:write']);
    const calls: unknown[] = [];
    const caps = await startTestAuthz({
      upstreamAllowed: async (q) => {
        calls.push(q);
        return q.scopes.some((s) => refused.has(s)) ? `agent ${q.agent} is read-only` : null;
      },
    });
    try {
      const { token: subject } = await subjectToken(caps.authz, { user: 'caps-user' });
      const write = await exchange(caps.authz, MANDATE, { subject, resource: RESOURCES.slack, scope: 'chat:write' });
      expect(write.body).toMatchObject({ error: 'invalid_scope', error_description: `agent ${DEMO_AGENT.id} is read-only` });
      const read = await exchange(caps.authz, MANDATE, { subject, resource: RESOURCES.slack, scope: 'channels:read' });
      expect(read.status).toBe(200);
      expect(calls).toContainEqual({ user: 'caps-user', agent: DEMO_AGENT.id, client: DEMO_AGENT.id, resource: RESOURCES.slack, scopes: ['channels:read'] });
      // The MCP resource is the agent's own door to Mandate: no upstream capability is asked.
      const n = calls.length;
      const { token: own } = await subjectToken(caps.authz, { user: 'caps-user-2' });
      expect((await exchange(caps.authz, DEMO_AGENT, { subject: own, resource: MCP, scope: 'mandate:tools' })).status).toBe(200);
      expect(calls.length).toBe(n);
    } finally {
      await caps.close();
    }
  });

  it('every refusal is told with the client, the user, the actor and what was asked', async () => {
    const told: RefusedAttempt[] = [];
    const rec = await startTestAuthz({ onRefused: (r) => told.push(r) });
    try {
      const { token: subject } = await subjectToken(rec.authz, { user: 'told-user' });
      await exchange(rec.authz, DEMO_AGENT, { subject, resource: RESOURCES.slack, scope: 'chat:write' });
      await tokenRequest(rec.authz, { id: MANDATE.id, secret: 'wrong' }, { grant_type: 'client_credentials', resource: MCP, scope: 'mandate:tools' });
      await exchange(rec.authz, MANDATE, { subject, resource: RESOURCES.slack, scope: 'chat:write reactions:write' });
      expect(told[0]).toMatchObject({ event: 'exchange_refused', error: 'unauthorized_client', client: DEMO_AGENT.id, resource: RESOURCES.slack, scope: 'chat:write', grantType: TOKEN_EXCHANGE_GRANT });
      expect(told[1]).toMatchObject({ event: 'token_refused', error: 'invalid_client', grantType: 'client_credentials' });
      expect(told[2]).toMatchObject({ event: 'exchange_refused', error: 'invalid_scope', client: MANDATE.id, subject: 'told-user', actor: DEMO_AGENT.id });
      expect(JSON.stringify(told)).not.toContain(subject);
    } finally {
      await rec.close();
    }
  });
});
