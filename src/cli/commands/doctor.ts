// `mandate doctor`: checks each part Mandate needs and says in plain words what is wrong.
import type { CliIo } from '../io.js';
import { println } from '../io.js';
import { loadConfig } from '../../config/load.js';
import { isSandbox } from '../../config/schema.js';
import { openCliStore } from '../store.js';
import { openSecretStore, describeBackend } from '../../secrets/index.js';
import { describeStatus, inspectHome } from '../../config/permissions.js';
import { terminalSafe as t } from '../../terminal.js';
import { GrantStore, SPEC_OF, connectCommand, endpointsOf, identify } from '../../vault/index.js';
import { neededScopes, toolsLacking } from './connect.js';
import type { UpstreamProvider } from '../../resources.js';

interface Check {
  name: string;
  run: () => Promise<string>;
}

export async function runDoctor(_args: string[], io: CliIo): Promise<number> {
  let failures = 0;
  let configOk = false;
  let sandbox = true;
  let issuer: string | undefined;
  let baseUrls: string[] = [];
  let secretsBackend: string | undefined;
  const checks: Check[] = [
    {
      name: 'config',
      run: async () => {
        const { config, file } = loadConfig(io.env);
        configOk = true;
        sandbox = isSandbox(config);
        issuer = config.authorizationServer?.issuer;
        baseUrls = Object.values(config.providers ?? {}).map((p) => p?.baseUrl).filter((u): u is string => Boolean(u));
        return file ? `${file} is valid${sandbox ? ' (sandbox mode)' : ''}` : 'no config file: the sandbox runs with demo data';
      },
    },
    {
      name: 'store',
      run: async () => {
        const store = await openCliStore(io);
        try {
          const n = await store.auditCount();
          const where = 'display' in store ? `PostgreSQL store ${String(store.display)}` : `${io.home}/mandate.db`;
          return `${where} opens; ${n} audit records`;
        } finally {
          await store.close();
        }
      },
    },
    {
      name: 'keychain',
      run: async () => {
        const secrets = await openSecretStore({ home: io.home });
        secretsBackend = secrets.backend;
        return describeBackend(secrets);
      },
    },
    {
      name: 'authorization server',
      run: async () => {
        if (!configOk) throw new Error('skipped: the config is not valid');
        if (sandbox || !issuer) return 'embedded (started with the server)';
        const res = await fetch(new URL('.well-known/openid-configuration', issuer.endsWith('/') ? issuer : `${issuer}/`), {
          signal: AbortSignal.timeout(5000),
        });
        if (!res.ok) throw new Error(`${issuer} answered HTTP ${res.status} to discovery`);
        const meta = (await res.json()) as { grant_types_supported?: string[] };
        if (!meta.grant_types_supported?.includes('urn:ietf:params:oauth:grant-type:token-exchange')) {
          throw new Error(`${issuer} does not advertise the token-exchange grant (RFC 8693)`);
        }
        return `${issuer} reachable; supports token exchange`;
      },
    },
    {
      name: 'upstreams',
      run: async () => {
        if (!configOk) throw new Error('skipped: the config is not valid');
        if (sandbox) return 'sandbox emulators (started with the server)';
        for (const u of baseUrls) {
          try {
            await fetch(u, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
          } catch (err) {
            throw new Error(`${u} cannot be reached: ${(err as Error).message}`);
          }
        }
        return `${baseUrls.length} reachable`;
      },
    },
  ];
  // One check per configured provider account: credential present, scopes against what the
  // configured tools need (naming the tools that would fail), expiry, the provider reachable.
  const accounts = (Object.keys(SPEC_OF) as UpstreamProvider[]).flatMap((p) => {
    try {
      const config = loadConfig(io.env).config;
      return Object.keys(config.providers?.[p]?.accounts ?? {}).map((name) => ({ p, name, config }));
    } catch {
      return [];
    }
  });
  for (const { p, name, config } of accounts) {
    checks.push({
      name: `account ${SPEC_OF[p].id}/${name}`,
      run: async () => {
        const secrets = await openSecretStore({ home: io.home });
        const g = await new GrantStore(secrets).get(p, name);
        if (!g) throw new Error(`not connected: run "${connectCommand(p, name)}"`);
        const spec = SPEC_OF[p];
        const lacking = toolsLacking(g.scopes, neededScopes(config, spec).byTool);
        if (lacking.length) {
          throw new Error(`${lacking.map((l) => `${l.tool} lacks ${l.missing.join(', ')}`).join('; ')}: add the scopes to your ${spec.label} app and run "${connectCommand(p, name)}"`);
        }
        const now = Math.floor(Date.now() / 1000);
        const expiry = g.expiresAt === undefined ? 'does not expire' : g.expiresAt > now ? `access token valid ${Math.round((g.expiresAt - now) / 60)} more min` : g.refreshToken ? 'access token expired (refreshed on next use)' : 'expired';
        if (g.expiresAt !== undefined && g.expiresAt <= now && !g.refreshToken) throw new Error(`the pasted token has expired: run "${connectCommand(p, name)}"`);
        let reach = 'not probed (access token expired)';
        if (g.expiresAt === undefined || g.expiresAt > now) {
          try {
            await identify(spec, endpointsOf(spec, config.providers?.[p]), g.accessToken);
            reach = `${spec.label} reachable and accepts the credential`;
          } catch (err) {
            throw new Error(`${spec.label}: ${(err as Error).message}; if it persists, run "${connectCommand(p, name)}"`);
          }
        }
        return `${g.identity.id}${g.identity.name && g.identity.name !== g.identity.id ? ` (${g.identity.name})` : ''}, ${g.method}, scopes ${g.scopes.join(' ') || '(not listed)'}; ${expiry}; ${reach}`;
      },
    });
  }
  for (const c of checks) {
    try {
      println(io.stdout, `ok    ${c.name}: ${t(await c.run())}`);
    } catch (err) {
      failures += 1;
      println(io.stdout, `FAIL  ${c.name}: ${(err as Error).message}`);
    }
  }
  // Owner and mode of what holds the trail, the keys and the secrets: writable by others fails
  // (serve refuses it too), readable by others is a warning.
  for (const s of inspectHome(io.home, { secretsFile: secretsBackend === 'file' || secretsBackend === undefined })) {
    if (!s.exists) continue;
    const head = `permissions: ${t(s.path)} (${s.label}) ${describeStatus(s)}`;
    if (s.problems.length) {
      failures += 1;
      println(io.stdout, `FAIL  ${head}: ${s.problems.join('; ')}`);
    } else if (s.warnings.length) println(io.stdout, `warn  ${head}: ${s.warnings.join('; ')}`);
    else println(io.stdout, `ok    ${head}`);
  }
  println(io.stdout, failures ? `${failures} problem${failures > 1 ? 's' : ''} found` : 'all checks passed');
  return failures ? 1 : 0;
}
