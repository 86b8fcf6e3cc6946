// The bearer-token verifier used by the MCP transport and the emulators (RFC 8725, RFC 9068):
// every way a token can be wrong is refused with the right reason.
import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createJwtVerifier, sandboxTokenVerifier } from '../../src/authz/verify.js';

const ISS = 'http://127.0.0.1:4444';
const AUD = 'https://slack.com/api';
let priv: CryptoKey;
let pub: JWK;
let other: CryptoKey;

beforeAll(async () => {
  const kp = await generateKeyPair('ES256');
  priv = kp.privateKey;
  pub = { ...(await exportJWK(kp.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  other = (await generateKeyPair('ES256')).privateKey;
});

const now = () => Math.floor(Date.now() / 1000);

function claims(over: Record<string, unknown> = {}) {
  return { iss: ISS, aud: AUD, sub: 'demo-user', client_id: 'demo-agent', scope: 'chat:write', jti: 'j-1', iat: now(), exp: now() + 120, ...over };
}

async function sign(over: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key: CryptoKey = priv) {
  return new SignJWT(claims(over)).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt', ...header }).sign(key);
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

function verifier(extra: Partial<Parameters<typeof createJwtVerifier>[0]> = {}) {
  return createJwtVerifier({ issuer: ISS, jwks: { keys: [pub] }, audience: AUD, ...extra });
}

describe('createJwtVerifier', () => {
  it('accepts a well-formed token and returns its claims', async () => {
    const r = await verifier()(await sign());
    expect(r).toMatchObject({ ok: true, claims: { sub: 'demo-user', scope: 'chat:write' } });
  });

  it('JWT-BCP: refuses a missing token', async () => {
    expect(await verifier()(undefined)).toMatchObject({ ok: false, reason: 'missing' });
    expect(await verifier()('')).toMatchObject({ ok: false, reason: 'missing' });
  });

  it('JWT-BCP: refuses alg none', async () => {
    const token = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims())}.`;
    expect(await verifier()(token)).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('JWT-BCP: refuses HS256 signed with the public key (key confusion)', async () => {
    const header = b64({ alg: 'HS256', kid: 'k1', typ: 'at+jwt' });
    const body = b64(claims());
    for (const secret of [JSON.stringify(pub), pub.x!]) {
      const sig = createHmac('sha256', secret).update(`${header}.${body}`).digest('base64url');
      expect(await verifier()(`${header}.${body}.${sig}`)).toMatchObject({ ok: false, reason: 'invalid' });
    }
  });

  it('JWT-BCP: refuses a wrong issuer', async () => {
    expect(await verifier()(await sign({ iss: 'http://127.0.0.1:9999' }))).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('JWT-BCP: refuses a wrong audience as wrong_audience', async () => {
    expect(await verifier()(await sign({ aud: 'https://api.hubapi.com' }))).toMatchObject({ ok: false, reason: 'wrong_audience' });
  });

  it('JWT-BCP: refuses an expired token, allowing only the small clock skew', async () => {
    expect(await verifier()(await sign({ exp: now() - 120, iat: now() - 400 }))).toMatchObject({ ok: false, reason: 'expired' });
    expect((await verifier({ clockToleranceSec: 30 })(await sign({ exp: now() - 10, iat: now() - 300 }))).ok).toBe(true);
    // A larger tolerance is capped at 30 s.
    expect(await verifier({ clockToleranceSec: 3600 })(await sign({ exp: now() - 120, iat: now() - 400 }))).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('JWT-BCP: refuses a token not yet valid (nbf)', async () => {
    expect(await verifier()(await sign({ nbf: now() + 600 }))).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('JWT-BCP: refuses a tampered payload or signature, and a foreign key', async () => {
    const token = await sign();
    const [h, p, s] = token.split('.');
    const tamperedPayload = `${h}.${b64({ ...claims(), scope: 'chat:write admin' })}.${s}`;
    expect(await verifier()(tamperedPayload)).toMatchObject({ ok: false, reason: 'invalid' });
    const flipped = `${h}.${p}.${s!.slice(0, -2)}${s!.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(await verifier()(flipped)).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await verifier()(await sign({}, {}, other))).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('RFC 9068: refuses a token whose typ is not at+jwt (an ID token, say)', async () => {
    expect(await verifier()(await sign({}, { typ: 'JWT' }))).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('refuses a revoked jti, and a token without jti when a denylist is in use', async () => {
    const isJtiRevoked = async (jti: string) => jti === 'gone';
    expect(await verifier({ isJtiRevoked })(await sign({ jti: 'gone' }))).toMatchObject({ ok: false, reason: 'revoked' });
    expect((await verifier({ isJtiRevoked })(await sign({ jti: 'fine' }))).ok).toBe(true);
    expect(await verifier({ isJtiRevoked })(await sign({ jti: undefined }))).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('refuses garbage', async () => {
    expect(await verifier()('garbage')).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('will not be configured with none or HMAC algorithms', () => {
    expect(() => verifier({ algorithms: ['none'] })).toThrow(/not accepted/);
    expect(() => verifier({ algorithms: ['ES256', 'HS256'] })).toThrow(/not accepted/);
  });
});

describe('sandboxTokenVerifier', () => {
  const v = () => sandboxTokenVerifier({ issuer: ISS, jwks: { keys: [pub] }, audience: AUD });

  it('accepts a token holding one of the required scopes', async () => {
    const r = await v()(await sign({ scope: 'channels:read chat:write' }), ['chat:write']);
    expect(r).toMatchObject({ ok: true, scopes: ['channels:read', 'chat:write'] });
  });

  it('answers insufficient_scope with the scopes the token held', async () => {
    expect(await v()(await sign({ scope: 'channels:read' }), ['chat:write'])).toEqual({
      ok: false, reason: 'insufficient_scope', provided: ['channels:read'],
    });
  });

  it('passes the verifier reasons through', async () => {
    expect(await v()(await sign({ aud: 'https://api.hubapi.com' }), ['chat:write'])).toMatchObject({ ok: false, reason: 'wrong_audience' });
    expect(await v()(undefined, ['chat:write'])).toMatchObject({ ok: false, reason: 'missing' });
  });
});

describe('sandboxTokenVerifier with issuedTo: the resource server accepts only tokens Mandate obtained for an agent', () => {
  const v = () => sandboxTokenVerifier({ issuer: ISS, jwks: { keys: [pub] }, audience: AUD, issuedTo: 'mandate' });
  it('accepts a per-tool token issued to the exchanger with an agent in act', async () => {
    expect(await v()(await sign({ client_id: 'mandate', azp: 'demo-agent', act: { sub: 'demo-agent' } }), ['chat:write'])).toMatchObject({ ok: true });
  });
  it('refuses one issued to the agent itself, one without act, and one naming Mandate as the actor', async () => {
    for (const over of [
      { client_id: 'demo-agent', act: { sub: 'demo-agent' } },
      { client_id: 'mandate' },
      { client_id: 'mandate', act: { sub: 'mandate' } },
      { client_id: 'mandate', act: 'demo-agent' },
    ]) {
      expect(await v()(await sign(over), ['chat:write'])).toEqual({ ok: false, reason: 'invalid' });
    }
  });
});
