// The headless-runner example (examples/headless-agent.ts), run as its README says: a separate
// process with only its own credentials and the user's delegation.
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { startHttpMandate, type HttpMandate } from '../helpers/http.js';

let m: HttpMandate;
beforeAll(async () => { m = await startHttpMandate({}); });
afterAll(async () => { await m?.close(); });

describe('examples/headless-agent', () => {
  it('gets its own token by client credentials, holds the user\'s delegation, and calls tools over HTTP as that agent', async () => {
    const secrets = m.runtime.identity.secrets;
    const env = {
      ...process.env,
      MANDATE_URL: m.url,
      MANDATE_AGENT_ID: 'demo-agent',
      MANDATE_AGENT_SECRET: (await secrets.getPassword(secrets.service, 'client:demo-agent'))!,
      MANDATE_DELEGATION: (await secrets.getPassword(secrets.service, 'delegation:demo-agent'))!,
    };
    // spawnSync would block this process's event loop, where the server runs: spawn async.
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/examples/headless-agent.js')], { env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, err).toBe(0);
    const r = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(r).toMatchObject({ user: 'demo-user', agent: 'demo-agent', client: 'demo-agent', actor_chain: ['demo-agent'] });
    expect(r.tools).toContain('slack_read_history');
    expect(r.tools).not.toContain('calendar_delete_event'); // destructive: denied by default
    expect(r.channels).toHaveLength(3);
  });
});
