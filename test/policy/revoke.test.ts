// `mandate revoke` and the console's revoke button are one code path: both go through
// `revokeMandate` (the store's revocation, cancelled approvals, the in-process hook), and each
// records who revoked.
import http from 'node:http';
import { PassThrough } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { openStore } from '../../src/store/index.js';
import { cleanupHomes, tempHome } from '../store/helpers.js';

const calls = vi.hoisted(() => [] as Array<{ agent: string; tool?: string | null; by: string }>);
vi.mock('../../src/policy/revoke.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/policy/revoke.js')>();
  return {
    ...real,
    revokeMandate: async (...args: Parameters<typeof real.revokeMandate>) => {
      calls.push(args[1]);
      return real.revokeMandate(...args);
    },
  };
});

const { runRevoke } = await import('../../src/cli/commands/revoke.js');
const { consoleRoutes } = await import('../../src/approvals/console/index.js');

afterAll(() => cleanupHomes());

describe('revokeMandate, shared by the CLI and the console', () => {
  it('the CLI and the console both revoke through it, and the store says so', async () => {
    const home = tempHome('mandate-revoke-');
    const io = { stdout: new PassThrough(), stderr: new PassThrough(), env: {}, home };
    expect(await runRevoke(['--agent', 'demo-agent', '--tool', 'slack_post_message'], io)).toBe(0);

    const store = openStore(home);
    const route = consoleRoutes({ store, config: () => parseConfig({}), actor: () => 'dana@laptop (web)' });
    const server = http.createServer(async (req, res) => { await route(req, res, new URL(req.url ?? '/', 'http://x')); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const r = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/revoke`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ agent: 'demo-agent', tool: 'crm_get_contact', confirm: true }),
      });
      expect(r.status).toBe(200);
    } finally {
      await new Promise((r) => server.close(r));
    }

    expect(calls.map((c) => [c.agent, c.tool, c.by.startsWith('os:') ? 'cli' : c.by])).toEqual([
      ['demo-agent', 'slack_post_message', 'cli'],
      ['demo-agent', 'crm_get_contact', 'dana@laptop (web)'],
    ]);
    expect(await store.isRevoked({ agent: 'demo-agent', tool: 'slack_post_message' })).toEqual({ scope: 'tool' });
    expect(await store.isRevoked({ agent: 'demo-agent', tool: 'crm_get_contact' })).toEqual({ scope: 'tool' });
    expect((await store.listRevocations()).map((x) => x.by)).toEqual([expect.stringMatching(/^os:/), 'dana@laptop (web)']);
    await store.close();
  });
});
