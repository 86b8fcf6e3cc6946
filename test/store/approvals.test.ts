// Approvals in the store: single-use, bound to agent + tool + exact arguments, expiring,
// decided once, and surviving a restart.
import { afterAll, afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Store } from '../../src/store/types.js';
import { backends, dropSchemas, noPostgres } from './backends.js';
import { StoreError } from '../../src/store/errors.js';
import type { NewApproval } from '../../src/store/types.js';
import { cleanupHomes, tempHome } from './helpers.js';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const MIN = 60_000;

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

  function request(overrides: Partial<NewApproval> = {}): NewApproval {
    return {
      call_id: '01JCALL0000000000000000001',
      user: 'demo-user',
      agent: 'assistant',
      client: 'demo-client',
      tool: 'slack_post_message',
      args_digest: 'd'.repeat(64),
      args: { channel: '#support-updates', text: 'hello' },
      summary: 'post to #support-updates: hello',
      created_at: new Date(T0).toISOString(),
      expires_at: new Date(T0 + 15 * MIN).toISOString(),
      ...overrides,
    };
  }

  const approve = (id: string, now = T0 + MIN) => store.decideApproval(id, { decision: 'approved', approver: 'dana', channel: 'cli', now });
  type ConsumeQuery = Parameters<Store['consumeApproval']>[0];
  const consume = (overrides: Partial<ConsumeQuery> = {}) =>
    store.consumeApproval({
      user: 'demo-user', agent: 'assistant', client: 'demo-client', tool: 'slack_post_message', argsDigest: 'd'.repeat(64), now: T0 + 2 * MIN, ...overrides,
    });

  describe('approvals', () => {
    test('created pending, with every field, and listed', async () => {
      const a = await store.createApproval(request());
      expect(a).toMatchObject({ status: 'pending', decided_at: null, approver: null, channel: null, reason: null, used_at: null });
      expect(a.approval_id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(await store.getApproval(a.approval_id)).toEqual(a);
      expect(await store.listApprovals({ status: 'pending', agent: 'assistant' })).toEqual([a]);
      expect(await store.listApprovals({ agent: 'reader' })).toEqual([]);
    });

    test('single use: the second consume finds nothing', async () => {
      const a = await store.createApproval(request());
      await approve(a.approval_id);
      const used = await consume();
      expect(used).toMatchObject({ approval_id: a.approval_id, status: 'used', approver: 'dana', channel: 'cli' });
      expect(used!.used_at).toBe(new Date(T0 + 2 * MIN).toISOString());
      expect(await consume()).toBeNull();
    });

    test('concurrent consumes of one approval: exactly one wins', async () => {
      const a = await store.createApproval(request());
      await approve(a.approval_id);
      const other = await openStore(home);
      const results = await Promise.all([consume(), other.consumeApproval({ user: 'demo-user', agent: 'assistant', client: 'demo-client', tool: 'slack_post_message', argsDigest: 'd'.repeat(64), now: T0 + 2 * MIN }), consume()]);
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      await other.close();
    });

    test('bound to the exact digest, tool and agent', async () => {
      const a = await store.createApproval(request());
      await approve(a.approval_id);
      expect(await consume({ argsDigest: 'e'.repeat(64) })).toBeNull();
      expect(await consume({ tool: 'slack_reply_in_thread' })).toBeNull();
      expect(await consume({ agent: 'reader' })).toBeNull();
      expect(await consume()).not.toBeNull();
    });

    test('bound to the user and the client: agent X acting for user B (or through another client) cannot spend the approval A gave', async () => {
      const a = await store.createApproval(request());
      await approve(a.approval_id);
      expect(await consume({ user: 'mallory' })).toBeNull();
      expect(await consume({ client: 'other-client' })).toBeNull();
      expect(await consume({ client: null })).toBeNull();
      expect(await consume()).toMatchObject({ approval_id: a.approval_id, user: 'demo-user', client: 'demo-client' });
    });

    test('an approval asked with no client is spent only by a call with no client', async () => {
      const a = await store.createApproval(request({ client: null }));
      await approve(a.approval_id);
      expect(await consume()).toBeNull();
      expect(await consume({ client: null })).toMatchObject({ approval_id: a.approval_id });
    });

    test('not usable while pending, rejected, or once expired', async () => {
      const a = await store.createApproval(request());
      expect(await consume()).toBeNull();
      await approve(a.approval_id);
      expect(await consume({ now: T0 + 15 * MIN })).toBeNull();
      expect(await consume({ now: new Date(T0 + 16 * MIN) })).toBeNull();

      const b = await store.createApproval(request({ args_digest: 'f'.repeat(64) }));
      await store.decideApproval(b.approval_id, { decision: 'rejected', approver: 'dana', channel: 'console', reason: 'not today', now: T0 + MIN });
      expect(await consume({ argsDigest: 'f'.repeat(64) })).toBeNull();
      expect(await store.getApproval(b.approval_id)).toMatchObject({ status: 'rejected', reason: 'not today', channel: 'console' });
    });

    test('decided once: deciding again, deciding an unknown or an expired one throws a typed error', async () => {
      const a = await store.createApproval(request());
      await approve(a.approval_id);
      await expect(approve(a.approval_id)).rejects.toMatchObject({ code: 'not_pending' });
      await expect(approve('nope')).rejects.toMatchObject({ code: 'not_found' });
      const b = await store.createApproval(request());
      const late = approve(b.approval_id, T0 + 20 * MIN);
      await expect(late).rejects.toBeInstanceOf(StoreError);
      await expect(late).rejects.toMatchObject({ code: 'expired' });
      expect((await store.getApproval(b.approval_id))!.status).toBe('expired');
    });

    test('expireApprovals marks pending and unused approved ones past their time, and returns them', async () => {
      const a = await store.createApproval(request());
      const b = await store.createApproval(request({ expires_at: new Date(T0 + 60 * MIN).toISOString() }));
      const c = await store.createApproval(request());
      await approve(c.approval_id);
      const expired = await store.expireApprovals(T0 + 30 * MIN);
      expect(expired.map((x) => x.approval_id).sort()).toEqual([a.approval_id, c.approval_id].sort());
      expect((await store.getApproval(b.approval_id))!.status).toBe('pending');
    });

    test('cancelApprovals covers one tool or all of an agent', async () => {
      const a = await store.createApproval(request());
      const b = await store.createApproval(request({ tool: 'calendar_create_event' }));
      const c = await store.createApproval(request({ agent: 'reader' }));
      expect(await store.cancelApprovals({ agent: 'assistant', tool: 'calendar_create_event' })).toBe(1);
      expect((await store.getApproval(b.approval_id))!.status).toBe('cancelled');
      expect(await store.cancelApprovals({ agent: 'assistant' })).toBe(1);
      expect((await store.getApproval(a.approval_id))!.status).toBe('cancelled');
      expect((await store.getApproval(c.approval_id))!.status).toBe('pending');
    });

    test('pending approvals survive a restart', async () => {
      const a = await store.createApproval(request({ approval_id: 'apr_restart' }));
      await store.close();
      store = await openStore(home);
      expect(await store.getApproval('apr_restart')).toEqual(a);
      await expect(store.createApproval(request({ approval_id: 'apr_restart' }))).rejects.toMatchObject({ code: 'invalid' });
    });
  });
});
