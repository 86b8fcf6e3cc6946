// The console behind the approval page's own gate (the hook in web.ts): its GETs answer on the
// page's origin, and a revocation needs the page's CSRF token and its Origin, as Approve does.
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApprovalUi, type ApprovalUiHandle } from '../../../src/approvals/web.js';
import { parseConfig } from '../../../src/config/load.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { cleanupHomes, tempHome } from '../../store/helpers.js';
import { rawRequest } from '../../helpers/raw.js';

const raw = (url: string, method: string, headers: Record<string, string>, body?: string) => rawRequest(url, { method, headers, body });

describe('console hook in the approval page server', () => {
  let store: Store;
  let ui: ApprovalUiHandle;
  let csrf: string;
  let cookie: string;
  const body = JSON.stringify({ agent: 'demo-agent', tool: 'slack_post_message', confirm: true });
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    const home = tempHome('mandate-hook-');
    store = openStore(home);
    ui = await startApprovalUi(store, { home, port: 0, console: { config: () => parseConfig({}) } });
    // The operator's secret link opens a session; everything below rides on its cookie.
    const opened = await fetch(`${ui.url}auth/link`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ k: ui.link!.split('#k=')[1] }) });
    cookie = opened.headers.getSetCookie()[0]!.split(';')[0]!;
    const page = await (await fetch(ui.url, { headers: { cookie } })).text();
    csrf = /name="csrf-token" content="([^"]+)"/.exec(page)![1]!;
    expect(page).toContain('role="tablist"');
  });
  afterAll(async () => {
    await ui.close();
    await store.close();
    cleanupHomes();
  });

  it('serves the console GETs to the session only, and the page keeps its own routes', async () => {
    const get = (p: string) => fetch(`${ui.url}${p}`, { headers: { cookie } });
    expect((await get('api/agents')).status).toBe(200);
    expect((await get('api/activity?limit=5')).status).toBe(200);
    expect((await get('api/activity?limit=5000')).status).toBe(400);
    expect((await get('api/approvals')).status).toBe(200);
    expect((await get('api/nothing')).status).toBe(404);
    for (const p of ['api/agents', 'api/activity', 'api/activity/hourly']) expect((await fetch(`${ui.url}${p}`)).status).toBe(401);
  });

  it('refuses a revocation without the CSRF token, with a wrong one, or from another origin or Host', async () => {
    expect((await raw(`${ui.url}api/revoke`, 'POST', { ...json, 'x-csrf-token': csrf }, body)).status).toBe(401); // no session
    expect((await raw(`${ui.url}api/revoke`, 'POST', { ...json, cookie }, body)).status).toBe(403);
    expect((await raw(`${ui.url}api/revoke`, 'POST', { ...json, 'x-csrf-token': 'guessed', cookie }, body)).status).toBe(403);
    expect((await raw(`${ui.url}api/revoke`, 'POST', { ...json, 'x-csrf-token': csrf, cookie, origin: 'http://evil.example' }, body)).status).toBe(403);
    expect((await raw(`${ui.url}api/revoke`, 'POST', { ...json, 'x-csrf-token': csrf, cookie, host: 'evil.example' }, body)).status).toBe(403);
    expect(await store.listRevocations()).toEqual([]);
  });

  it('revokes with the session and its token, recording the signed-in approver as `by`', async () => {
    const r = await raw(`${ui.url}api/revoke`, 'POST', { ...json, 'x-csrf-token': csrf, cookie, origin: ui.url.slice(0, -1) }, body);
    expect(r.status).toBe(200);
    expect(await store.isRevoked({ agent: 'demo-agent', tool: 'slack_post_message' })).toEqual({ scope: 'tool' });
    expect((await store.listRevocations())[0]?.by).toBe(`console:${os.userInfo().username}`);
  });
});
