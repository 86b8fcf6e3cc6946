// The console behind the approval page's own gate (the hook in web.ts): its GETs answer on the
// page's origin, and a revocation needs the page's CSRF token and its Origin, as Approve does.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApprovalUi, type ApprovalUiHandle } from '../../../src/approvals/web.js';
import { parseConfig } from '../../../src/config/load.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { cleanupHomes, tempHome } from '../../store/helpers.js';

function raw(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('console hook in the approval page server', () => {
  let store: Store;
  let ui: ApprovalUiHandle;
  let csrf: string;
  const body = JSON.stringify({ agent: 'demo-agent', tool: 'slack_post_message', confirm: true });
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    store = openStore(tempHome('mandate-hook-'));
    ui = await startApprovalUi(store, { port: 0, approver: 'dana@laptop (web)', console: { config: () => parseConfig({}) } });
    const page = await (await fetch(ui.url)).text();
    csrf = /name="csrf-token" content="([^"]+)"/.exec(page)![1]!;
    expect(page).toContain('role="tablist"');
  });
  afterAll(async () => {
    await ui.close();
    await store.close();
    cleanupHomes();
  });

  it('serves the console GETs, and the page keeps its own routes', async () => {
    expect((await fetch(`${ui.url}api/agents`)).status).toBe(200);
    expect((await fetch(`${ui.url}api/activity?limit=5`)).status).toBe(200);
    expect((await fetch(`${ui.url}api/activity?limit=5000`)).status).toBe(400);
    expect((await fetch(`${ui.url}api/approvals`)).status).toBe(200);
    expect((await fetch(`${ui.url}api/nothing`)).status).toBe(404);
  });

  it('refuses a revocation without the CSRF token, with a wrong one, or from another origin or Host', async () => {
    expect((await raw(`${ui.url}api/revoke`, 'POST', json, body)).status).toBe(403);
    expect((await raw(`${ui.url}api/revoke`, 'POST', { ...json, 'x-csrf-token': 'guessed' }, body)).status).toBe(403);
    expect((await raw(`${ui.url}api/revoke`, 'POST', { ...json, 'x-csrf-token': csrf, origin: 'http://evil.example' }, body)).status).toBe(403);
    expect((await raw(`${ui.url}api/revoke`, 'POST', { ...json, 'x-csrf-token': csrf, host: 'evil.example' }, body)).status).toBe(403);
    expect(await store.listRevocations()).toEqual([]);
  });

  it('revokes with the token, recording the page approver as `by`', async () => {
    const r = await raw(`${ui.url}api/revoke`, 'POST', { ...json, 'x-csrf-token': csrf, origin: ui.url.slice(0, -1) }, body);
    expect(r.status).toBe(200);
    expect(await store.isRevoked({ agent: 'demo-agent', tool: 'slack_post_message' })).toEqual({ scope: 'tool' });
    expect((await store.listRevocations())[0]?.by).toBe('dana@laptop (web)');
  });
});
