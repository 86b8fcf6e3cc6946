// Invariant 3: every tool's handler used a token made for that tool alone. The tokens are read
// where a resource server sees them (the emulators' request logs) and decoded; then the
// emulators are shown tokens made for somewhere else, and must refuse each in their own format.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK } from 'jose';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { bearerFor, connectHttp, startHttpMandate, type HttpMandate } from '../helpers/http.js';
import { callEveryTool } from '../helpers/calls.js';
import { RESOURCES } from '../../src/resources.js';
import type { RecordedRequest } from '../../src/sandbox/http.js';

let m: HttpMandate;
let client: Client;
const seen = new Map<string, RecordedRequest[]>();

beforeAll(async () => {
  m = await startHttpMandate({ agents: { 'demo-agent': { tools: { '*': 'allow' } } } });
  client = await connectHttp(m.url, await bearerFor(m));
  const emulators = Object.values(m.runtime.sandbox!.emulators);
  // Record, per tool call, the requests each upstream received during it.
  const original = client.callTool.bind(client);
  client.callTool = (async (params: { name: string; arguments?: Record<string, unknown> }, ...rest: unknown[]) => {
    const marks = emulators.map((e) => e.requests.length);
    const r = await (original as (...a: unknown[]) => Promise<unknown>)(params, ...rest);
    const got = emulators.flatMap((e, i) => e.requests.slice(marks[i]));
    seen.set(params.name, [...(seen.get(params.name) ?? []), ...got]);
    return r;
  }) as typeof client.callTool;
  await callEveryTool(client);
});
afterAll(async () => { await client?.close(); await m?.close(); });

describe('per-tool tokens (invariant 3, JWT-AT, TE-ACT)', () => {
  it('for every upstream tool: aud = its API, scope = exactly its minimal scopes, sub = user, act.sub = agent, life ≤ 300 s', () => {
    const tools = m.runtime.services.tools.filter((t) => t.provider !== 'mandate');
    expect(tools).toHaveLength(19);
    for (const tool of tools) {
      const requests = seen.get(tool.name) ?? [];
      expect(requests.length, tool.name).toBeGreaterThan(0);
      for (const r of requests) {
        const header = decodeProtectedHeader(r.token!);
        const claims = decodeJwt(r.token!);
        expect(header.typ, tool.name).toBe('at+jwt');
        expect(claims.aud, tool.name).toBe(RESOURCES[tool.provider as keyof typeof RESOURCES]);
        expect(String(claims.scope).split(' ').sort(), tool.name).toEqual([...tool.scopes].sort());
        expect(claims.sub, tool.name).toBe('demo-user');
        expect((claims.act as { sub: string }).sub, tool.name).toBe('demo-agent');
        expect(claims.azp ?? claims.client_id, tool.name).toBe('demo-agent');
        expect(claims.iss).toBe(m.runtime.identity.issuer);
        expect(typeof claims.jti).toBe('string');
        expect(claims.exp! - claims.iat!, tool.name).toBeLessThanOrEqual(300);
      }
    }
  });

  it('one exchange per tool, then the cache: tokens are reused across calls of the same tool', async () => {
    const before = seen.get('slack_list_channels')!.at(-1)!.token;
    await client.callTool({ name: 'slack_list_channels', arguments: { limit: 3 } });
    expect(seen.get('slack_list_channels')!.at(-1)!.token).toBe(before);
  });
});

describe('the emulators refuse tokens made for anything else, in their own error formats', () => {
  const token = (tool: string) => seen.get(tool)![0]!.token!;
  const call = (url: string, init: RequestInit = {}) => fetch(url, init).then(async (r) => ({ status: r.status, body: await r.json() as any }));
  const urls = () => m.runtime.sandbox!.baseUrls;

  it('a token minted for another API', async () => {
    const slackToken = token('slack_list_channels');
    const hub = await call(`${urls().crm}/crm/v3/objects/deals?limit=1`, { headers: { authorization: `Bearer ${slackToken}` } });
    expect(hub.status).toBe(401);
    expect(hub.body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
    const cal = await call(`${urls().calendar}/calendars/primary/events`, { headers: { authorization: `Bearer ${slackToken}` } });
    expect(cal.status).toBe(401);
    expect(cal.body.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
    const crmToken = token('crm_list_deals');
    const sl = await call(`${urls().slack}/conversations.list`, { headers: { authorization: `Bearer ${crmToken}` } });
    expect(sl.body).toEqual({ ok: false, error: 'invalid_auth' });
  });

  it('a token with too little scope', async () => {
    const readToken = token('slack_read_history'); // channels:history channels:read
    const r = await call(`${urls().slack}/chat.postMessage`, {
      method: 'POST', headers: { authorization: `Bearer ${readToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'C0GENERAL1', text: 'escalate' }),
    });
    expect(r.body).toMatchObject({ ok: false, error: 'missing_scope', needed: 'chat:write' });
    const dealsRead = token('crm_list_deals');
    const patch = await call(`${urls().crm}/crm/v3/objects/deals/1`, {
      method: 'PATCH', headers: { authorization: `Bearer ${dealsRead}`, 'content-type': 'application/json' },
      body: JSON.stringify({ properties: { dealstage: 'closedwon' } }),
    });
    expect(patch.status).toBe(403);
    expect(patch.body.category).toBe('MISSING_SCOPES');
    const eventsRead = token('calendar_list_events');
    const del = await call(`${urls().calendar}/calendars/primary/events/anything`, { method: 'DELETE', headers: { authorization: `Bearer ${eventsRead}` } });
    expect(del.status).toBe(403);
    expect(del.body.error.errors[0].reason).toBe('insufficientPermissions');
  });

  it('an expired token signed with the server\'s own key, and a token signed by another key', async () => {
    const jwks = JSON.parse(fs.readFileSync(path.join(m.home, 'keys', 'authz-jwks.json'), 'utf8')) as { keys: Array<Record<string, string>> };
    const own = await importJWK(jwks.keys[0]!, 'ES256');
    const claims = decodeJwt(token('slack_list_channels'));
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ ...claims, iat: now - 900, exp: now - 600 })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: jwks.keys[0]!.kid }).sign(own);
    const r = await call(`${urls().slack}/conversations.list`, { headers: { authorization: `Bearer ${expired}` } });
    expect(r.body).toEqual({ ok: false, error: 'token_expired' });

    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: jwks.keys[0]!.kid }).sign(privateKey);
    const f = await call(`${urls().slack}/conversations.list`, { headers: { authorization: `Bearer ${forged}` } });
    expect(f.body).toEqual({ ok: false, error: 'invalid_auth' });
    const g = await call(`${urls().calendar}/calendars/primary/events`, { headers: { authorization: `Bearer ${forged}` } });
    expect(g.status).toBe(401);
  });
});

describe('enforcement at the authorization server (issue 5, place c)', () => {
  it('a read-only agent\'s delegation holds no write scope: the exchange for a write tool is refused', async () => {
    const ro = await startHttpMandate({ agents: { reader: { readOnly: true } } });
    try {
      const identity = { user: 'demo-user', client: 'reader', agent: 'reader', actorChain: ['reader'], sessionId: 'ro' };
      const tool = (name: string) => ro.runtime.services.toolByName.get(name)!;
      const signal = new AbortController().signal;
      const read = await ro.runtime.services.tokens.sourceFor(identity, tool('slack_read_history'), signal).token();
      expect(decodeJwt(read).scope).toBe('channels:history channels:read');
      await expect(ro.runtime.services.tokens.sourceFor(identity, tool('slack_post_message'), signal).token())
        .rejects.toMatchObject({ code: 'token_unavailable' });
    } finally {
      await ro.close();
    }
  });
});
