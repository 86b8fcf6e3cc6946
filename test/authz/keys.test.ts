// Signing keys: created once in the state dir (0600), reused after a restart, and rotated
// without breaking tokens already issued.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProtectedHeader } from 'jose';
import { RESOURCES } from '../../src/resources.js';
import { createJwtVerifier } from '../../src/authz/index.js';
import { liveKeys } from '../../src/authz/keys-shared.js';
import { MANDATE, exchange, startTestAuthz, subjectToken } from './helpers.js';

let home: string;
beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'mandate-keys-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

const keyFile = () => path.join(home, 'keys', 'authz-jwks.json');

describe('signing keys', () => {
  it('are created on first start in <home>/keys/authz-jwks.json, mode 0600, and reused after a restart', async () => {
    const first = await startTestAuthz({}, home);
    let token: string;
    let kid: string | undefined;
    try {
      const st = await stat(keyFile());
      expect(st.mode & 0o777).toBe(0o600);
      const saved = JSON.parse(await readFile(keyFile(), 'utf8')) as { keys: { d?: string; kid: string }[] };
      expect(saved.keys).toHaveLength(1);
      expect(saved.keys[0]!.d).toBeTruthy();
      kid = saved.keys[0]!.kid;
      const { token: subject } = await subjectToken(first.authz);
      token = String((await exchange(first.authz, MANDATE, { subject, resource: RESOURCES.slack, scope: 'chat:write' })).body.access_token);
      expect(decodeProtectedHeader(token).kid).toBe(kid);
    } finally {
      await first.close();
    }

    const second = await startTestAuthz({}, home);
    try {
      expect(second.authz.publicJwks().keys.map((k) => k.kid)).toEqual([kid]);
      // The issuer's port changed, so verify against the keys only (issuer checked elsewhere).
      const verify = createJwtVerifier({ issuer: first.authz.issuer, jwksUri: second.authz.jwksUri, audience: RESOURCES.slack });
      expect((await verify(token)).ok).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('rotation adds a new current key and keeps the old one published; old tokens still verify', async () => {
    const t = await startTestAuthz({}, home);
    try {
      const before = t.authz.publicJwks().keys.map((k) => k.kid);
      const { token: oldSubject } = await subjectToken(t.authz);
      const oldTool = String((await exchange(t.authz, MANDATE, { subject: oldSubject, resource: RESOURCES.slack, scope: 'chat:write' })).body.access_token);

      await t.authz.rotateKeys();
      const after = t.authz.publicJwks().keys.map((k) => k.kid);
      expect(after).toHaveLength(before.length + 1);
      expect(after.slice(1)).toEqual(before);
      const served = (await (await fetch(t.authz.jwksUri)).json()) as { keys: { kid: string }[] };
      expect(served.keys.map((k) => k.kid)).toEqual(after);

      const verify = createJwtVerifier({ issuer: t.authz.issuer, jwksUri: t.authz.jwksUri, audience: RESOURCES.slack });
      expect((await verify(oldTool)).ok).toBe(true);

      // A subject token signed before rotation still exchanges; new tokens use the new key.
      const r = await exchange(t.authz, MANDATE, { subject: oldSubject, resource: RESOURCES.slack, scope: 'chat:write' });
      expect(r.status).toBe(200);
      expect(decodeProtectedHeader(String(r.body.access_token)).kid).toBe(after[0]);
      const { token: newSubject } = await subjectToken(t.authz);
      expect(decodeProtectedHeader(newSubject).kid).toBe(after[0]);
      expect((await verify(String(r.body.access_token))).ok).toBe(true);

      const saved = JSON.parse(await readFile(keyFile(), 'utf8')) as { keys: { kid: string }[] };
      expect(saved.keys.map((k) => k.kid)).toEqual(after);
    } finally {
      await t.close();
    }
  });

  it('a damaged key file stops the start with a message naming the file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mandate-keys-bad-'));
    try {
      await startTestAuthz({}, dir).then((t) => t.close());
      await writeFile(path.join(dir, 'keys', 'authz-jwks.json'), '{"keys":[{"kty":"oct"}]}');
      await expect(startTestAuthz({}, dir)).rejects.toThrow(/authz-jwks\.json/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('shared signing keys: which stay published', () => {
  const key = (kid: string) => ({ kty: 'EC' as const, crv: 'P-256' as const, x: 'x', y: 'y', d: 'd', kid, alg: 'ES256' as const, use: 'sig' as const });
  it('the newest always; an older one until retainSeconds after the key that superseded it was made', () => {
    const doc = { keys: [key('c'), key('b'), key('a')], created: { c: 1000, b: 500, a: 0 } };
    expect(liveKeys(doc, 1000, 100).map((k) => k.kid)).toEqual(['c', 'b']); // b superseded at 1000
    expect(liveKeys(doc, 1100, 100).map((k) => k.kid)).toEqual(['c']);
    expect(liveKeys(doc, 550, 100).map((k) => k.kid)).toEqual(['c', 'b', 'a']); // a superseded at 500
  });
});
