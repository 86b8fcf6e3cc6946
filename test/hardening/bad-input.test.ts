// Bad input of every kind gets a clear answer and leaves the server serving (invariant 6):
// random JSON as the arguments of every tool (fast-check), malformed JSON-RPC over HTTP and
// over stdio (beyond test/e2e/malformed-stdio.test.ts), oversized and deeply nested bodies,
// forged tokens signed with the authorization server's own key, and a call cancelled while
// it waits for a human (MCP-CANCEL).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SignJWT, decodeJwt, decodeProtectedHeader, exportSPKI, importJWK, type CryptoKey, type JWK } from 'jose';
import { bearerFor, connectHttp, startHttpMandate, type HttpMandate } from '../helpers/http.js';
import { mandateAsync, tempHome } from '../helpers/cli.js';
import { allTools } from '../../tools/index.js';
import type { AnyTool } from '../../tools/define.js';
import { ERROR_CODES } from '../../src/errors.js';
import {
  INIT, cliEnv, eventsOf, expectOk, expectPlainMessage, expectToolError, rawPost, rawSession, rawStdio, readMessages, recordsByCall, sleep, waitUntil,
} from './support.js';

let m: HttpMandate;
let token: string;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => { unhandled.push(reason); };

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  m = await startHttpMandate({ agents: { 'demo-agent': { tools: { '*': 'allow' } } } });
  token = await bearerFor(m);
});
afterAll(async () => {
  await m?.close();
  process.off('unhandledRejection', onUnhandled);
});

/** JSON text of a value nested `levels` deep, [[[…1…]]] (too deep for JSON.stringify to write). */
const nestedJson = (levels: number) => '['.repeat(levels) + '1' + ']'.repeat(levels);
/** A tools/call request whose arguments hold a value nested 10,000 levels deep. */
const deepCall = (id: number | string) =>
  `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"tools/call","params":{"name":"slack_post_message","arguments":{"channel":${nestedJson(10_000)},"text":"x"}}}`;

const callIdOf = (r: { _meta?: Record<string, unknown> }) => r._meta?.['mandate/call_id'] as string | undefined;

describe('random JSON as the arguments of every tool (fast-check)', () => {
  const later = new Date(Date.now() + 3 * 86400_000);
  later.setUTCHours(10, 0, 0, 0);
  /** One valid call per tool: the base that mutations start from. */
  const SAMPLES: Record<string, Record<string, unknown>> = {
    slack_list_channels: { limit: 20 },
    slack_read_history: { channel: '#general', limit: 5 },
    slack_read_thread: { channel: '#general', thread_ts: '1700000000.000100' },
    slack_get_user: { user: 'U0DDEMO001' },
    slack_post_message: { channel: '#support-updates', text: 'fuzz' },
    slack_reply_in_thread: { channel: '#support-updates', thread_ts: '1700000000.000100', text: 'fuzz' },
    slack_add_reaction: { channel: '#support-updates', ts: '1700000000.000100', name: 'eyes' },
    crm_search_contacts: { query: 'a', limit: 5 },
    crm_get_contact: { id_or_email: '101' },
    crm_list_deals: { limit: 5 },
    crm_get_deal: { deal_id: '5001' },
    crm_create_contact: { email: 'fuzz@example.com' },
    crm_update_deal_stage: { deal_id: '5001', stage: 'contractsent' },
    crm_create_note: { contact_id: '101', body: 'fuzz' },
    calendar_list_events: { limit: 5 },
    calendar_find_free_time: { duration_minutes: 30 },
    calendar_create_event: { summary: 'fuzz', start: later.toISOString(), end: new Date(later.getTime() + 1800_000).toISOString(), send_updates: 'none' },
    calendar_respond_to_event: { event_id: 'evt_unknown', response: 'accepted' },
    calendar_delete_event: { event_id: 'evt_unknown', send_updates: 'none' },
    mandate_whoami: {},
    mandate_approval_status: { approval_id: 'apr_unknown' },
  };

  function argumentsFor(tool: AnyTool): fc.Arbitrary<unknown> {
    const sample = SAMPLES[tool.name] ?? {};
    const keys = Object.keys((tool.input as unknown as { shape: Record<string, unknown> }).shape);
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.integer(),
      fc.double(),
      fc.constantFrom(...Object.values(sample), null, '', -1, 0, 2 ** 53, '#general', 'U0DDEMO001', '2025-01-01T00:00:00Z'),
    );
    const anyKeys = keys.length ? fc.record(Object.fromEntries(keys.map((k) => [k, value])), { requiredKeys: [] }) : fc.constant({});
    return fc.oneof(
      fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 })), // any object at all
      anyKeys, // the tool's own keys, any values
      keys.length ? fc.tuple(fc.constantFrom(...keys), value).map(([k, v]) => ({ ...sample, [k]: v })) : fc.constant(sample), // one field wrong
      fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => ({ ...sample, [k]: v })), // an extra key
    );
  }

  it('MCP-TOOL-INERR: only invalid_arguments (exactly when the schema refuses) or a valid result; never a protocol error, a crash or an unhandled rejection', async () => {
    const store = m.runtime.services.store;
    const before = await store.auditCount();
    const anomaliesBefore = (await store.readAudit({ event: 'anomaly' })).length;
    const made: string[] = [];
    const problems: string[] = [];
    const numRuns = Number(process.env.MANDATE_FUZZ_RUNS ?? 25);

    // One client per tool, all at once (a real client: it has listed the tools and checks
    // structuredContent against each tool's output schema).
    await Promise.all(allTools.map(async (tool) => {
      const client = await connectHttp(m.url, token);
      await client.listTools();
      try {
        await fc.assert(
          fc.asyncProperty(argumentsFor(tool), async (args) => {
            let r;
            try {
              r = await client.callTool({ name: tool.name, arguments: args as Record<string, unknown> });
            } catch (err) {
              problems.push(`${tool.name} ${JSON.stringify(args).slice(0, 200)}: protocol error ${(err as Error).message.slice(0, 200)}`);
              return false;
            }
            const callId = callIdOf(r);
            if (!callId) { problems.push(`${tool.name}: no call_id`); return false; }
            made.push(callId);
            const refused = !tool.input.strict().safeParse(args).success;
            if (r.isError) {
              const err = (r.structuredContent as { error?: { code?: string; message?: string } }).error ?? {};
              const ok = ERROR_CODES.includes(err.code as never) &&
                (refused ? err.code === 'invalid_arguments' : true) &&
                !/failed unexpectedly/.test(err.message ?? '');
              if (!ok) problems.push(`${tool.name} ${JSON.stringify(args).slice(0, 200)} (schema ${refused ? 'refuses' : 'accepts'}): ${JSON.stringify(err).slice(0, 300)}`);
              return ok;
            }
            const shaped = !refused && tool.output.safeParse(r.structuredContent).success;
            if (!shaped) problems.push(`${tool.name} ${JSON.stringify(args).slice(0, 200)}: a result although the schema refuses, or off its output schema`);
            return shaped;
          }),
          { numRuns, endOnFailure: true },
        );
      } catch (err) {
        problems.push(`${tool.name}: ${(err as Error).message.split('\n').slice(0, 3).join(' ')}`);
      } finally {
        await client.close();
      }
    }));

    expect(problems).toEqual([]);
    expect(unhandled).toEqual([]);
    expect(made.length).toBe(allTools.length * numRuns);
    // Every call left exactly its two records; the state is intact and the server serves.
    // Besides the calls' records, only anomaly signals that so many refusals may raise.
    const anomalies = (await store.readAudit({ event: 'anomaly' })).length - anomaliesBefore;
    expect(await store.auditCount()).toBe(before + 2 * made.length + anomalies);
    const byCall = await recordsByCall(store);
    const incomplete = made.filter((id) => { const e = eventsOf(byCall.get(id)); return e.length !== 2 || e[0] !== 'received'; });
    expect(incomplete).toEqual([]);
    const client = await connectHttp(m.url, token);
    expect(expectOk(await client.callTool({ name: 'mandate_whoami', arguments: {} })).agent).toBe('demo-agent');
    await client.close();
  }, 60_000);

  it('MCP-TOOL-INERR: arguments nested 10,000 levels deep are invalid_arguments with both records, not a crash', async () => {
    const { headers } = await rawSession(m.url, token);
    const [answer] = await readMessages(await rawPost(m.url, deepCall(7), headers));
    const err = expectToolError(answer.result, 'invalid_arguments', 'deeply nested arguments');
    expect(err.message).toMatch(/nested too deeply/);
    expect(eventsOf((await recordsByCall(m.runtime.services.store)).get(err.call_id))).toEqual(['received', 'failed']);
    const [after] = await readMessages(await rawPost(m.url, JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'mandate_whoami', arguments: {} } }), headers));
    expect(after.result.structuredContent.agent).toBe('demo-agent');
  });

  it('arguments that are not an object are refused as invalid params (a malformed request), and the session serves on', async () => {
    const { headers } = await rawSession(m.url, token);
    for (const args of ['U0DDEMO001', 42, [], true]) {
      const [answer] = await readMessages(await rawPost(m.url, JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'slack_get_user', arguments: args } }), headers));
      // The SDK checks params.arguments is an object before any tool code runs: JSON-RPC -32602.
      if (answer.error) expect(answer.error.code, JSON.stringify(args)).toBe(-32602);
      else expectToolError(answer.result, 'invalid_arguments', JSON.stringify(args));
    }
    const [after] = await readMessages(await rawPost(m.url, JSON.stringify({ jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'mandate_whoami', arguments: {} } }), headers));
    expect(after.result.structuredContent.agent).toBe('demo-agent');
  });
});

describe('malformed JSON-RPC and bodies over HTTP', () => {
  const auth = () => ({ authorization: `Bearer ${token}` });

  it('garbage batches, wrong versions, odd ids and JSON that is not a request get a JSON-RPC error; the session keeps serving', async () => {
    const { headers } = await rawSession(m.url, token);
    const bad: Array<[string, string]> = [
      ['a batch of garbage', JSON.stringify([1, 'x', {}, null, [], { jsonrpc: '2.0' }])],
      ['jsonrpc 1.0', JSON.stringify({ jsonrpc: '1.0', id: 5, method: 'tools/list' })],
      ['no jsonrpc member', JSON.stringify({ id: 6, method: 'tools/list' })],
      ['an id beyond double range', '{"jsonrpc":"2.0","id":1e400,"method":"tools/list"}'],
      ['an object as id', JSON.stringify({ jsonrpc: '2.0', id: { a: 1 }, method: 'tools/list' })],
      ['null', 'null'],
      ['a number', '42'],
      ['a string', '"tools/list"'],
      ['an empty body', ''],
      ['invalid UTF-8', '\u00ff\u00fe{"jsonrpc":'],
      ['10,000 nested arrays', '['.repeat(10_000) + ']'.repeat(10_000)],
      ['10,000 unclosed arrays', '['.repeat(10_000)],
    ];
    for (const [name, body] of bad) {
      const res = await rawPost(m.url, name === 'invalid UTF-8' ? Buffer.from([0xff, 0xfe, 0x7b]) : body, headers);
      expect(res.status, name).toBeGreaterThanOrEqual(400);
      expect(res.status, name).toBeLessThan(500);
      const text = await res.text();
      if (text) {
        const msg = JSON.parse(text);
        expect(msg.jsonrpc, name).toBe('2.0');
        expect(msg.error.code, name).toBeLessThan(-32000 + 1);
        expect(msg.error.message, name).not.toMatch(/\n\s+at /);
      }
    }
    // Requests that are refused: a JSON-RPC error each (from the transport or the server), never a crash.
    const refusals: Array<[string, unknown, number[]]> = [
      ['an unknown method', { jsonrpc: '2.0', id: 20, method: 'tools/explode' }, [-32601]],
      // Not a JSON-RPC request at all (params must be structured): the transport refuses the message.
      ['params of the wrong type', { jsonrpc: '2.0', id: 21, method: 'tools/call', params: 'slack_list_channels' }, [-32700, -32600]],
      ['a tools/call without a name', { jsonrpc: '2.0', id: 22, method: 'tools/call', params: { arguments: {} } }, [-32602]],
      ['a progressToken of the wrong type', { jsonrpc: '2.0', id: 23, method: 'tools/call', params: { name: 'mandate_whoami', arguments: {}, _meta: { progressToken: { a: 1 } } } }, [-32700, -32600, -32602]],
    ];
    for (const [name, body, codes] of refusals) {
      const msgs = await readMessages(await rawPost(m.url, JSON.stringify(body), headers));
      expect(msgs.length, name).toBe(1);
      expect(codes, `${name}: ${JSON.stringify(msgs[0])}`).toContain(msgs[0].error?.code);
    }
    // Ids at the edges are echoed as sent.
    const longId = 'i'.repeat(200_000);
    for (const id of [longId, 9007199254740991, -1, 0, '']) {
      const msgs = await readMessages(await rawPost(m.url, JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list' }), headers));
      expect(msgs.length).toBe(1);
      expect(msgs[0].id).toBe(id);
      expect(msgs[0].result.tools.length).toBeGreaterThan(0);
    }
    // A tool name of 900 KB: an answer of normal size naming no such tool.
    const huge = await readMessages(await rawPost(m.url, JSON.stringify({ jsonrpc: '2.0', id: 30, method: 'tools/call', params: { name: 'x'.repeat(900_000), arguments: {} } }), headers));
    expect(huge[0].result.structuredContent.error.code).toBe('capability_denied');
    expect(JSON.stringify(huge[0]).length).toBeLessThan(2_000);
    // The session still serves.
    const list = await readMessages(await rawPost(m.url, JSON.stringify({ jsonrpc: '2.0', id: 40, method: 'tools/list' }), headers));
    expect(list[0].result.tools.length).toBe(allTools.length);
  });

  it('bodies over 1 MiB get 413 even without a Content-Length (chunked); deeply nested ones a clear 4xx; then it serves', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 2 * 1024 * 1024) { controller.close(); return; }
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const chunked = await fetch(m.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...auth() },
      body: stream,
      duplex: 'half',
    } as RequestInit).catch((err: Error) => err);
    // The server may answer before the whole body is sent; either way it is refused with 413.
    if (chunked instanceof Error) throw chunked;
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as any).error.message).toMatch(/larger than 1 MiB/);

    for (const body of ['['.repeat(10_000) + ']'.repeat(10_000), '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)]) {
      const res = await rawPost(m.url, body, auth());
      expect(res.status).toBe(400);
      await res.text();
    }
    const client = await connectHttp(m.url, token);
    expect(expectOk(await client.callTool({ name: 'mandate_whoami', arguments: {} })).agent).toBe('demo-agent');
    await client.close();
  });
});

describe('token attacks over HTTP', () => {
  /** The authorization server's own current signing key, read from the state directory as an attacker with that file could. */
  async function ownKey(): Promise<{ kid: string; key: CryptoKey; publicJwk: JWK }> {
    const file = JSON.parse(fs.readFileSync(path.join(m.home, 'keys', 'authz-jwks.json'), 'utf8')) as { keys: JWK[] };
    const jwk = file.keys[0]!;
    const { d: _d, ...publicJwk } = jwk;
    return { kid: jwk.kid!, key: (await importJWK(jwk, 'ES256')) as CryptoKey, publicJwk };
  }

  const initWith = (t: string) => rawPost(m.url, JSON.stringify(INIT), { authorization: `Bearer ${t}` });

  it('MCP-AUTH-AUD JWT-BCP: own-key tokens that are expired, for another audience or issuer, not yet valid, untyped, jti-less or revoked → 401', async () => {
    const { kid, key } = await ownKey();
    expect(decodeProtectedHeader(token).kid).toBe(kid);
    const claims = decodeJwt(token);
    const now = Math.floor(Date.now() / 1000);
    const sign = (over: Record<string, unknown>, header: Record<string, unknown> = {}) => {
      const payload: Record<string, unknown> = { ...claims, jti: `forged-${Math.random()}`, ...over };
      for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
      return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid, ...header }).sign(key);
    };

    // The control: a copy of the real token's claims re-signed with the same key is accepted,
    // so each refusal below is about the one claim it changes.
    const control = await initWith(await sign({}));
    expect(control.status).toBe(200);
    await control.text();

    const revokedJti = `forged-revoked-${Date.now()}`;
    await m.runtime.services.store.revokeJti(revokedJti, now + 3600);
    const cases: Record<string, string> = {
      expired: await sign({ iat: now - 7200, exp: now - 3600 }),
      'another audience (an upstream API)': await sign({ aud: 'https://slack.com/api' }),
      'another audience (another MCP server)': await sign({ aud: 'http://127.0.0.1:1/mcp' }),
      'another issuer': await sign({ iss: 'https://evil.example' }),
      'another issuer on loopback': await sign({ iss: 'http://127.0.0.1:1' }),
      'not valid before an hour from now': await sign({ nbf: now + 3600 }),
      'typ JWT (an ID token shape)': await sign({}, { typ: 'JWT' }),
      'no jti': await sign({ jti: undefined }),
      'a revoked jti': await sign({ jti: revokedJti }),
      'no sub': await sign({ sub: undefined }),
      'an unknown kid': await sign({}, { kid: 'not-a-key-of-this-server' }),
    };
    for (const [name, forged] of Object.entries(cases)) {
      const res = await initWith(forged);
      expect(res.status, name).toBe(401);
      expect(res.headers.get('www-authenticate') ?? '', name).toMatch(/^Bearer resource_metadata="[^"]+", scope="mandate:tools", error="invalid_token"/);
      const body = (await res.json()) as { error: { message: string } };
      expectPlainMessage(body.error.message, name);
    }
  });

  it('MCP-AUTH-403 AUTH-STEPUP: an own-key token without the mandate:tools scope → 403 insufficient_scope naming the scope and the resource metadata', async () => {
    const { kid, key } = await ownKey();
    const forged = await new SignJWT({ ...decodeJwt(token), jti: `forged-scope-${Date.now()}`, scope: 'openid' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid }).sign(key);
    const res = await initWith(forged);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
    expect(res.headers.get('www-authenticate')).toMatch(/scope="mandate:tools"/);
    expect(res.headers.get('www-authenticate')).toMatch(/resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);
    await res.text();
  });

  it('JWT-BCP: HS256 signed with the server\'s public key as the secret (key confusion) → 401, in every encoding of that key', async () => {
    const { kid, publicJwk } = await ownKey();
    const pem = await exportSPKI((await importJWK({ ...publicJwk, d: undefined } as JWK, 'ES256')) as CryptoKey);
    const secrets: Record<string, Uint8Array> = {
      'PEM (SPKI)': new TextEncoder().encode(pem),
      'PEM without newline at the end': new TextEncoder().encode(pem.trim()),
      'public JWK as JSON': new TextEncoder().encode(JSON.stringify(publicJwk)),
      'public JWKS as served': new TextEncoder().encode(JSON.stringify({ keys: [publicJwk] })),
      'x coordinate bytes': Buffer.from(publicJwk.x!, 'base64url'),
    };
    const claims = decodeJwt(token);
    for (const [name, secret] of Object.entries(secrets)) {
      for (const alg of ['HS256', 'HS512']) {
        const forged = await new SignJWT({ ...claims }).setProtectedHeader({ alg, typ: 'at+jwt', kid }).sign(secret);
        const res = await initWith(forged);
        expect(res.status, `${alg} ${name}`).toBe(401);
        await res.text();
      }
    }
    // The genuine token still opens a session.
    const ok = await initWith(token);
    expect(ok.status).toBe(200);
    await ok.text();
  });
});

describe('malformed JSON-RPC over stdio (beyond the cases of test/e2e/malformed-stdio.test.ts)', () => {
  it('wrong versions, batches, odd and huge ids, a 2 MiB line, 10,000-deep nesting, binary: stdout stays JSON-RPC and the server keeps serving', async () => {
    const { env } = tempHome({ agents: { 'demo-agent': { tools: { '*': 'allow' } } } });
    const s = rawStdio(env);
    try {
      await s.initialize();
      s.send(JSON.stringify({ jsonrpc: '1.0', id: 10, method: 'tools/list' }));
      s.send(JSON.stringify([{ jsonrpc: '2.0', id: 11, method: 'tools/list' }, 1, 'x']));
      s.send('[]');
      s.send('{"jsonrpc":"2.0","id":1e400,"method":"tools/list"}');
      s.send(JSON.stringify({ jsonrpc: '2.0', id: { a: 1 }, method: 'tools/list' }));
      s.send(JSON.stringify({ jsonrpc: '2.0', id: 12 }));
      s.send('x'.repeat(2 * 1024 * 1024));
      s.send('['.repeat(10_000) + ']'.repeat(10_000));
      s.send('['.repeat(10_000));
      s.send('\u0000\u00ff\u00fe binary \u0007');
      s.send(JSON.stringify({ jsonrpc: '2.0', id: 13, method: 'tools/call', params: [] }));
      s.send(JSON.stringify({ jsonrpc: '2.0', id: 14, method: 'tools/call', params: { name: 'y'.repeat(1024 * 1024), arguments: {} } }));
      s.send(deepCall(15));
      const longId = 'L'.repeat(100_000);
      s.send(JSON.stringify({ jsonrpc: '2.0', id: longId, method: 'tools/list' }));
      s.send(JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/call', params: { name: 'mandate_whoami', arguments: {} } }));

      expect((await s.waitFor(99)).result.structuredContent.agent).toBe('demo-agent');
      const huge = await s.waitFor(14);
      expect(huge.result.structuredContent.error.code).toBe('capability_denied');
      expect(JSON.stringify(huge).length).toBeLessThan(2_000);
      expect((await s.waitFor(15)).result.structuredContent.error.code).toBe('invalid_arguments');
      expect((await s.waitFor(longId)).result.tools.length).toBe(allTools.length);
      // Whatever was answered for the malformed frames is a JSON-RPC error, never a result.
      for (const id of [10, 11, 12, 13]) {
        const answer = s.messages.find((x) => x.id === id);
        if (answer) expect(answer.error, `id ${id}`).toBeDefined();
      }
      expect(s.junk).toEqual([]);
      expect(s.child.exitCode).toBeNull();
      expect(s.stderr()).not.toMatch(/\n\s+at /);
    } finally {
      await s.close();
    }
  });

  it('MCP-CANCEL: a call cancelled while it waits for approval gets no answer, does not run, and the server keeps serving', async () => {
    const { home, env } = tempHome({ approvals: { waitSeconds: 60 } });
    const s = rawStdio(env);
    try {
      await s.initialize();
      const text = `cancel me ${Date.now()}`;
      s.send(JSON.stringify({ jsonrpc: '2.0', id: 'c1', method: 'tools/call', params: { name: 'slack_post_message', arguments: { channel: '#general', text } } }));
      // The call is waiting: its approval request is pending.
      const pending = await waitUntil(async () => {
        const r = await mandateAsync(['approvals', 'list', '--json'], cliEnv(home));
        const list = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { approval_id: string; args: { text?: string } });
        return list.find((a) => a.args?.text === text);
      }, 20_000, 'the approval request');
      s.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'c1', reason: 'the user gave up' } }));

      // The work ended: the call's trail closes without executing.
      const trail = await waitUntil(async () => {
        const r = await mandateAsync(['audit', 'tail', '--json', '-n', '50'], cliEnv(home));
        const mine = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((x) => x.mcp_request_id === 'c1')
          .sort((a, b) => a.seq - b.seq);
        return mine.some((x) => x.event === 'failed' || x.event === 'executed') ? mine : undefined;
      }, 20_000, 'the cancelled call to end');
      expect(trail.map((x: { event: string }) => x.event)).toEqual(['received', 'approval_requested', 'failed']);

      // Approving now changes nothing for the cancelled call (it is over).
      expect((await mandateAsync(['approvals', 'approve', pending.approval_id], cliEnv(home))).code).toBe(0);
      s.send(JSON.stringify({ jsonrpc: '2.0', id: 'p1', method: 'ping' }));
      await s.waitFor('p1');
      s.send(JSON.stringify({ jsonrpc: '2.0', id: 'w1', method: 'tools/call', params: { name: 'mandate_whoami', arguments: {} } }));
      expect((await s.waitFor('w1')).result.structuredContent.agent).toBe('demo-agent');
      await sleep(500);
      expect(s.messages.filter((x) => x.id === 'c1')).toEqual([]);
      const after = await mandateAsync(['audit', 'tail', '--json', '-n', '50'], cliEnv(home));
      expect(after.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((x) => x.mcp_request_id === 'c1' && x.event === 'executed')).toEqual([]);
      expect(s.junk).toEqual([]);
      expect(s.child.exitCode).toBeNull();
    } finally {
      await s.close();
    }
  }, 60_000);
});
