// stdout belongs to MCP in stdio mode: starting the embedded server (importing oidc-provider
// for the first time in this file) and using every grant must print nothing on the console.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RESOURCES } from '../../src/resources.js';
import { DEMO_AGENT, MANDATE, actorToken, exchange, startTestAuthz, subjectToken } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('console silence', () => {
  it('start, refresh, client credentials, exchange, introspection and a refusal print nothing', async () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m));
    const write = vi.spyOn(process.stdout, 'write');
    const t = await startTestAuthz();
    try {
      const { token: subject, refreshToken } = await subjectToken(t.authz);
      const actor = await actorToken(t.authz, DEMO_AGENT);
      expect((await exchange(t.authz, MANDATE, { subject, actor, resource: RESOURCES.slack, scope: 'chat:write' })).status).toBe(200);
      expect((await exchange(t.authz, MANDATE, { subject, actor, resource: RESOURCES.slack, scope: 'admin' })).status).toBe(400);
      await fetch(`${t.authz.issuer}/token/introspection`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${MANDATE.id}:${MANDATE.secret}`).toString('base64')}` },
        body: new URLSearchParams({ token: refreshToken }),
      });
      await t.authz.rotateKeys();
    } finally {
      await t.close();
    }
    for (const s of spies) expect(s).not.toHaveBeenCalled();
    expect(write.mock.calls.filter(([chunk]) => String(chunk).includes('oidc-provider'))).toEqual([]);
  });
});
