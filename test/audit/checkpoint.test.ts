import { afterAll, describe, expect, test } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { CompactSign, generateKeyPair } from 'jose';
import {
  CheckpointError,
  auditKeyPath,
  loadAuditKey,
  loadOrCreateAuditKey,
  signCheckpoint,
  verifyCheckpointJws,
} from '../../src/audit/checkpoint.js';
import { cleanupHomes, tempHome } from '../store/helpers.js';

afterAll(cleanupHomes);

const cp = { seq: 42, hash: 'ab'.repeat(32), ts: '2025-03-01T10:00:00.000Z' };

describe('signed checkpoints', () => {
  test('round trip: what was signed is what verifies', async () => {
    const key = await loadOrCreateAuditKey(tempHome());
    const jws = await signCheckpoint(cp, key);
    expect(jws.split('.')).toHaveLength(3);
    expect(await verifyCheckpointJws(jws, key.publicKey)).toEqual(cp);
    expect(await verifyCheckpointJws(`${jws}\n`, key.publicJwk)).toEqual(cp);
  });

  test('a tampered payload is refused', async () => {
    const key = await loadOrCreateAuditKey(tempHome());
    const [h, , s] = (await signCheckpoint(cp, key)).split('.');
    const forged = Buffer.from(JSON.stringify({ ...cp, seq: 7 })).toString('base64url');
    await expect(verifyCheckpointJws(`${h}.${forged}.${s}`, key.publicKey)).rejects.toThrow(
      new CheckpointError('the checkpoint signature does not verify with the audit key'),
    );
  });

  test('a checkpoint signed by another key, or garbage, is refused', async () => {
    const key = await loadOrCreateAuditKey(tempHome());
    const other = await loadOrCreateAuditKey(tempHome());
    await expect(verifyCheckpointJws(await signCheckpoint(cp, other), key.publicKey)).rejects.toThrow(CheckpointError);
    await expect(verifyCheckpointJws('not-a-jws', key.publicKey)).rejects.toThrow(CheckpointError);
  });

  test('a JWS of another type, even validly signed, is not a checkpoint', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(cp))).setProtectedHeader({ alg: 'EdDSA' }).sign(privateKey);
    await expect(verifyCheckpointJws(jws, publicKey)).rejects.toThrow(/not an audit checkpoint/);
  });

  test('signing refuses a malformed checkpoint', async () => {
    const key = await loadOrCreateAuditKey(tempHome());
    await expect(signCheckpoint({ ...cp, hash: 'nope' }, key)).rejects.toThrow();
  });
});

describe('the audit key', () => {
  test('is created once, private (0600 in a 0700 dir), and loaded again the same', async () => {
    const home = tempHome();
    expect(await loadAuditKey(home)).toBeNull();
    const first = await loadOrCreateAuditKey(home);
    expect(statSync(auditKeyPath(home)).mode & 0o777).toBe(0o600);
    expect(statSync(`${home}/keys`).mode & 0o777).toBe(0o700);
    const again = await loadOrCreateAuditKey(home);
    expect(again.kid).toBe(first.kid);
    expect(again.publicJwk).toEqual(first.publicJwk);
    expect(first.publicJwk).not.toHaveProperty('d');
    expect(JSON.parse(readFileSync(auditKeyPath(home), 'utf8'))).toHaveProperty('d');
  });

  test('processes creating it at once end with one key', async () => {
    const home = tempHome();
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateAuditKey(home)));
    expect(new Set(keys.map((k) => k.kid)).size).toBe(1);
    const jws = await signCheckpoint(cp, keys[3]!);
    expect(await verifyCheckpointJws(jws, keys[5]!.publicKey)).toEqual(cp);
  });
});
