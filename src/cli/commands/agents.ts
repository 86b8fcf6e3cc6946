// `mandate agents`: agent identities. An agent is an OAuth client with its own credentials,
// kept in the secret store (never in the config).
import { randomBytes } from 'node:crypto';
import type { CliIo } from '../io.js';
import { UsageError, println } from '../io.js';
import { loadConfig } from '../../config/load.js';
import { openSecretStore, describeBackend } from '../../secrets/index.js';
import { SECRET_ACCOUNTS } from '../../runtime/identity.js';
import { openCliStore } from '../store.js';
import { DEMO_AGENT } from '../../sandbox/index.js';
import { terminalSafe as t } from '../../terminal.js';

const AGENT_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;

export async function runAgents(args: string[], io: CliIo): Promise<number> {
  const [sub, id, ...rest] = args;
  if (sub === 'credentials') return (await import('./credentials.js')).runCredentials(args.slice(1), io);
  const secrets = await openSecretStore({ home: io.home });
  if (sub === 'list' && !id) {
    const { config } = loadConfig(io.env);
    const creds = await secrets.findCredentials(secrets.service);
    const withCredentials = new Set(creds.map((c) => c.account).filter((a) => a.startsWith('client:')).map((a) => a.slice(7)));
    withCredentials.delete('mandate');
    const store = await openCliStore(io);
    const delegations = await store.listDelegations();
    await store.close();
    const ids = new Set([DEMO_AGENT, ...Object.keys(config.agents), ...withCredentials]);
    for (const agent of [...ids].sort()) {
      const d = delegations.filter((x) => x.agent === agent);
      const cfg = config.agents[agent];
      println(io.stdout, [
        t(agent).padEnd(20),
        withCredentials.has(agent) ? 'credentials: yes' : 'credentials: none',
        cfg?.readOnly ? 'read-only' : cfg ? 'configured' : 'defaults',
        d.length ? `delegated by ${d.map((x) => `${t(x.user)} (${t(x.status)})`).join(', ')}` : 'no delegation',
      ].join('  '));
    }
    return 0;
  }
  if (sub === 'register' && id && rest.length === 0) {
    if (!AGENT_ID.test(id) || id === 'mandate') throw new UsageError(`agent id must be 1-128 of [A-Za-z0-9_.:@-] and not "mandate"`);
    const existing = await secrets.getPassword(secrets.service, SECRET_ACCOUNTS.client(id));
    if (existing) {
      println(io.stdout, `agent ${id} is already registered; its credentials are in the ${secrets.backend} secret store`);
      return 0;
    }
    await secrets.setPassword(secrets.service, SECRET_ACCOUNTS.client(id), randomBytes(32).toString('base64url'));
    println(io.stdout, `registered agent ${id}; its client secret is in the secret store (${describeBackend(secrets)})`);
    return 0;
  }
  throw new UsageError('usage: mandate agents list | mandate agents register ID | mandate agents credentials ID (--env-out PATH | --stdout)');
}
