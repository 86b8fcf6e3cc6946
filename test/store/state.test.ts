// Revocations, revoked token ids, rate counters, delegations and metadata: each persisted,
// each effective across a reopen (a restart of the server, or the CLI's own handle).
import { afterAll, afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Store } from '../../src/store/types.js';
import { backends, dropSchemas, noPostgres } from './backends.js';
import { cleanupHomes, tempHome } from './helpers.js';

afterAll(async () => {
  cleanupHomes();
  await dropSchemas();
});

describe.each(backends)('$name', (backend) => {
  if (noPostgres(backend)) {
    test.skip('every case', () => undefined);
    return;
  }
  const openStore = backend.open;
  let home: string;
  let store: Store;
  beforeEach(async () => {
    home = tempHome();
    store = await openStore(home);
  });
  afterEach(() => store.close());

  async function reopen(): Promise<void> {
    await store.close();
    store = await openStore(home);
  }

  describe('revocations', () => {
    test('one capability, then the whole delegation', async () => {
      await store.revoke({ agent: 'assistant', tool: 'slack_post_message', by: 'dana', reason: 'too chatty' });
      expect(await store.isRevoked({ agent: 'assistant', tool: 'slack_post_message', user: 'demo-user' })).toEqual({ scope: 'tool' });
      expect(await store.isRevoked({ agent: 'assistant', tool: 'slack_list_channels', user: 'demo-user' })).toBeNull();
      await store.revoke({ agent: 'assistant' });
      await reopen();
      expect(await store.isRevoked({ agent: 'assistant', tool: 'slack_list_channels' })).toEqual({ scope: 'delegation' });
      expect(await store.isRevoked({ agent: 'reader', tool: 'slack_list_channels' })).toBeNull();
      expect((await store.listRevocations()).map((r) => [r.agent, r.tool, r.user, r.by])).toEqual([
        ['assistant', 'slack_post_message', null, 'dana'],
        ['assistant', null, null, null],
      ]);
    });

    test('a revocation for one user does not touch another user', async () => {
      await store.revoke({ agent: 'assistant', user: 'alice' });
      expect(await store.isRevoked({ agent: 'assistant', tool: 't', user: 'alice' })).toEqual({ scope: 'delegation' });
      expect(await store.isRevoked({ agent: 'assistant', tool: 't', user: 'bob' })).toBeNull();
      // Asked without a user, the cautious answer.
      expect(await store.isRevoked({ agent: 'assistant', tool: 't' })).toEqual({ scope: 'delegation' });
    });

    test('unrevoke lifts one tool, or everything of the agent (re-login)', async () => {
      await store.revoke({ agent: 'assistant', tool: 'a' });
      await store.revoke({ agent: 'assistant', tool: 'b' });
      await store.revoke({ agent: 'assistant' });
      expect(await store.unrevoke({ agent: 'assistant', tool: 'a' })).toBe(1);
      expect(await store.isRevoked({ agent: 'assistant', tool: 'a' })).toEqual({ scope: 'delegation' });
      expect(await store.unrevoke({ agent: 'assistant', user: 'demo-user' })).toBe(2);
      expect(await store.isRevoked({ agent: 'assistant', tool: 'b' })).toBeNull();
    });

    test('a revocation committed by another connection (another process) counts on the very next check', async () => {
      const other = await openStore(home);
      try {
        // This connection has read (and keeps) the table; the other one changes it.
        expect(await store.isRevoked({ agent: 'assistant', tool: 'slack_post_message', user: 'demo-user' })).toBeNull();
        await other.revoke({ agent: 'assistant', tool: 'slack_post_message' });
        expect(await store.isRevoked({ agent: 'assistant', tool: 'slack_post_message', user: 'demo-user' })).toEqual({ scope: 'tool' });
        await other.unrevoke({ agent: 'assistant' });
        expect(await store.isRevoked({ agent: 'assistant', tool: 'slack_post_message', user: 'demo-user' })).toBeNull();
        // Unrelated commits elsewhere (audit appends) change nothing in the answer.
        await other.appendAudit([{ call_id: 'c1', event: 'received', tool: 't' }]);
        expect(await store.isRevoked({ agent: 'assistant', tool: 'slack_post_message', user: 'demo-user' })).toBeNull();
      } finally {
        await other.close();
      }
    });

    test('revoked token ids', async () => {
      const exp = Math.floor(Date.now() / 1000) + 600;
      await store.revokeJti('jti-1', exp);
      await reopen();
      expect(await store.isJtiRevoked('jti-1')).toBe(true);
      expect(await store.isJtiRevoked('jti-2')).toBe(false);
    });
  });

  describe('rate counters', () => {
    const q = { key: 'assistant:slack_post_message', windowMs: 60_000, limit: 3 };

    test('allow up to the limit in a sliding window, and say when a slot frees', async () => {
      const t = 1_000_000;
      expect(await store.hitRate({ ...q, now: t })).toEqual({ allowed: true, count: 1, resetAt: t + 60_000 });
      expect(await store.hitRate({ ...q, now: t + 10_000 })).toMatchObject({ allowed: true, count: 2 });
      expect(await store.hitRate({ ...q, now: t + 20_000 })).toMatchObject({ allowed: true, count: 3 });
      expect(await store.hitRate({ ...q, now: t + 30_000 })).toEqual({ allowed: false, count: 3, resetAt: t + 60_000 });
      expect(await store.peekRate({ ...q, now: t + 30_000 })).toEqual({ allowed: false, count: 3, resetAt: t + 60_000 });
      // The first hit leaves the window: one slot again.
      expect(await store.hitRate({ ...q, now: t + 60_001 })).toMatchObject({ allowed: true, count: 3 });
      expect(await store.hitRate({ ...q, now: t + 60_002 })).toMatchObject({ allowed: false });
      expect(await store.hitRate({ ...q, key: 'other', now: t + 60_002 })).toMatchObject({ allowed: true, count: 1 });
    });

    test('the limit holds across a restart', async () => {
      const t = 5_000_000;
      for (let i = 0; i < 3; i++) await store.hitRate({ ...q, now: t + i });
      await reopen();
      expect(await store.hitRate({ ...q, now: t + 100 })).toMatchObject({ allowed: false, count: 3 });
      expect(await store.peekRate({ key: q.key, windowMs: q.windowMs, now: t + 100 })).toMatchObject({ count: 3, allowed: true });
    });

    test('concurrent hits never exceed the limit', async () => {
      const other = await openStore(home);
      const t = 9_000_000;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? store : other).hitRate({ ...q, limit: 5, now: t + i })));
      expect(results.filter((r) => r.allowed)).toHaveLength(5);
      await other.close();
    });
  });

  describe('delegations and metadata', () => {
    test('put, get, update and list delegations', async () => {
      const d = { user: 'demo-user', agent: 'assistant', client: 'demo-client', scopes: ['slack', 'crm'], status: 'active' as const, updated_at: '2025-03-01T10:00:00.000Z' };
      await store.putDelegation(d);
      await store.putDelegation({ ...d, agent: 'reader', scopes: [] });
      await store.putDelegation({ ...d, status: 'revoked', updated_at: '2025-03-02T10:00:00.000Z' });
      await reopen();
      expect(await store.getDelegation('demo-user', 'assistant')).toEqual({ ...d, status: 'revoked', updated_at: '2025-03-02T10:00:00.000Z' });
      expect(await store.getDelegation('demo-user', 'nobody')).toBeNull();
      expect((await store.listDelegations()).map((x) => x.agent)).toEqual(['assistant', 'reader']);
    });

    test('one user delegates to one agent through several clients: each kept, the latest answers without a client', async () => {
      const d = { user: 'demo-user', agent: 'assistant', client: 'assistant', scopes: ['a'], status: 'active' as const, updated_at: '2025-03-01T10:00:00.000Z' };
      await store.putDelegation(d);
      await store.putDelegation({ ...d, client: 'mandate', scopes: ['b'], updated_at: '2025-03-01T11:00:00.000Z' });
      await store.putDelegation({ ...d, client: null, scopes: ['c'], updated_at: '2025-03-01T09:00:00.000Z' });
      await reopen();
      expect(await store.getDelegation('demo-user', 'assistant', 'assistant')).toEqual(d);
      expect((await store.getDelegation('demo-user', 'assistant', 'mandate'))!.scopes).toEqual(['b']);
      expect((await store.getDelegation('demo-user', 'assistant', null))).toMatchObject({ client: null, scopes: ['c'] });
      expect((await store.getDelegation('demo-user', 'assistant'))!.client).toBe('mandate');
      expect(await store.getDelegation('demo-user', 'assistant', 'other')).toBeNull();
      expect(await store.listDelegations()).toHaveLength(3);
    });

    test('meta keys', async () => {
      expect(await store.getMeta('audit.kid')).toBeNull();
      await store.setMeta('audit.kid', 'k1');
      await store.setMeta('audit.kid', 'k2');
      await reopen();
      expect(await store.getMeta('audit.kid')).toBe('k2');
    });
  });
});
