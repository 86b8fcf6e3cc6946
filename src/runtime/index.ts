// Assembles Mandate from its config: the store, the audit log, the sandbox or the real
// providers, the authorization server and token broker, policy and approvals. The transports
// and the CLI get one Runtime and never build these pieces themselves.
import fs from 'node:fs';
import type { AnyTool } from '../../tools/define.js';
import { allTools } from '../../tools/index.js';
import type { Config } from '../config/schema.js';
import { isSandbox } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import { unmatchedToolKeys } from '../policy/config.js';
import type { Logger } from '../log.js';
import type { Services } from '../pipeline/services.js';
import { openConfiguredStore } from '../store/open.js';
import { AuditLog } from '../audit/writer.js';
import { ApprovalGate } from '../approvals/gate.js';
import { RequestStates } from '../approvals/request-state.js';
import { homeReceiptSigner } from '../audit/receipt.js';
import { policyVersion } from '../policy/version.js';
import { watchAnomalies } from './anomalies.js';
import { startTelemetry, type Telemetry } from '../telemetry/index.js';
import { REFUSAL_EVENTS } from '../audit/record.js';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import type { UpstreamProvider } from '../resources.js';
import { SlackConnector } from '../connectors/slack.js';
import { CrmConnector } from '../connectors/crm.js';
import { CalendarConnector } from '../connectors/calendar.js';
import { mandateSelf } from './self.js';
import { createEgressGate, type EgressGate } from '../egress/index.js';
import { GrantStore, SPEC_OF, createVault, endpointsOf, type Vault } from '../vault/index.js';
import type { AccountView } from '../pipeline/services.js';
import { startIdentity, type IdentityRuntime } from './identity.js';
import { watchPolicy, type PolicyWatcher } from './watch.js';

export interface Runtime {
  services: Services;
  /** Real accounts: the vault of provider credentials (null when no provider has accounts). */
  vault: Vault | null;
  sandbox: Sandbox | null;
  identity: IdentityRuntime;
  /** Fires when revocations or the config change (for notifications/tools/list_changed). */
  policy: PolicyWatcher;
  /** Plain-words notes for stderr at start (sandbox in use, keychain fallback…). */
  notices: string[];
  close(): Promise<void>;
}

export interface RuntimeOptions {
  home: string;
  config: Config;
  logger: Logger;
  /** The MCP endpoint's resource identifier (its URL over HTTP). */
  mcpResource: string;
  /** Fixed port for the embedded authorization server (0 = any). */
  authzPort?: number;
  /** The config file to watch for edits (null: none). */
  configFile?: string | null;
  /** How often the config file and the revocations are looked at, in ms (default 1000; tests go faster). */
  policyPollMs?: number;
  /**
   * Resolve before the authorization server is up (stdio: answer the client at once; the
   * first tool call that needs a token waits for it). Default: resolve once everything runs.
   */
  lazy?: boolean;
  /** Telemetry to use instead of what the environment asks for (tests: an in-memory exporter). */
  telemetry?: Telemetry | null;
}

/** Builds every stage; the caller owns `close()`. */
export async function startRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const { config, logger, home } = opts;
  // A tool key naming no tool (a typo such as slack_post_mesage) would silently leave the defaults in force.
  const unmatched = unmatchedToolKeys(config.agents, allTools.map((t) => t.name));
  if (unmatched.length) throw new ConfigError(`invalid config:\n${unmatched.slice(0, 10).join('\n')}`, '(config)');
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const store = await openConfiguredStore(home, process.env, config.store);
  const notices: string[] = [];
  const sandboxMode = isSandbox(config);
  const closers: Array<() => Promise<void>> = [async () => store.close()];
  const audit = new AuditLog(store, { logger });
  try {
    const identity = await startIdentity({ home, config, logger, store, audit, mcpResource: opts.mcpResource, authzPort: opts.authzPort });
    closers.unshift(() => identity.close());
    notices.push(...identity.notices);

    let sandbox: Sandbox | null = null;
    let baseUrls: Record<UpstreamProvider, string>;
    if (sandboxMode) {
      sandbox = await startSandbox(identity.upstreamVerifiers);
      closers.unshift(() => sandbox!.close());
      baseUrls = sandbox.baseUrls;
      notices.push('No providers or authorization server configured: running the sandbox (emulated Slack, CRM and calendar with demo data, embedded authorization server; nothing leaves this machine).');
    } else {
      baseUrls = {
        slack: config.providers?.slack?.baseUrl ?? 'https://slack.com/api',
        crm: config.providers?.crm?.baseUrl ?? 'https://api.hubapi.com',
        calendar: config.providers?.calendar?.baseUrl ?? 'https://www.googleapis.com/calendar/v3',
      };
    }

    // Real accounts: every provider with configured accounts is reached through the egress gate,
    // which swaps each per-tool token for the account's credential from the vault.
    const gated = (Object.keys(baseUrls) as UpstreamProvider[]).filter((p) => Object.keys(config.providers?.[p]?.accounts ?? {}).length > 0);
    const vault = gated.length
      ? createVault({ grants: new GrantStore(identity.secrets), endpoints: (p) => endpointsOf(SPEC_OF[p], config.providers?.[p]), logger })
      : null;
    const gates: Partial<Record<UpstreamProvider, EgressGate>> = {};
    for (const p of gated) {
      const verify = identity.upstreamVerifiers[p];
      if (!verify) {
        throw new ConfigError(`invalid config:\nproviders.${p}.accounts: real accounts need Mandate's embedded authorization server (leave "authorizationServer" out)`, '(config)');
      }
      gates[p] = createEgressGate({ provider: p, baseUrl: baseUrls[p], verify, vault: vault!, audit, logger });
    }
    const accounts = async (): Promise<AccountView[]> => {
      const out: AccountView[] = [];
      for (const p of gated) {
        const names = Object.keys(services.config.providers?.[p]?.accounts ?? {});
        for (const [i, name] of names.entries()) {
          const v = await vault!.view(p, name).catch(() => null);
          out.push({ provider: p, account: name, default: i === 0, connected: Boolean(v), identity: v ? v.identity.name && v.identity.name !== v.identity.id ? `${v.identity.id} (${v.identity.name})` : v.identity.id : null, scopes: v?.scopes ?? [] });
        }
      }
      return out;
    };

    const tools: readonly AnyTool[] = allTools;
    const toolByName = new Map(tools.map((t) => [t.name, t]));
    let version = policyVersion(config.agents, config.approvals);
    const services: Services = {
      config,
      logger,
      tools,
      toolByName,
      store,
      audit,
      tokens: identity.tokens,
      connectors: {
        create(provider, tokens, signal, who, call) {
          const gate = provider === 'mandate' ? undefined : gates[provider];
          const via = gate && call?.account
            ? { fetch: gate.fetchFor({ account: call.account, callId: call.callId, tool: call.tool, identity: who, onSent: call.onAccount }) }
            : {};
          switch (provider) {
            case 'slack': return new SlackConnector({ baseUrl: baseUrls.slack, tokens, signal, ...via });
            case 'crm': return new CrmConnector({ baseUrl: baseUrls.crm, tokens, signal, ...via });
            case 'calendar': return new CalendarConnector({ baseUrl: baseUrls.calendar, tokens, signal, ...via });
            // Mandate's own tools answer from this runtime's policy and store.
            case 'mandate': return mandateSelf(services, who);
          }
        },
      },
      accounts,
      policyVersion: () => version,
      approvals: new ApprovalGate(
        { store, signer: homeReceiptSigner(home), logger },
        { waitSeconds: config.approvals.waitSeconds, ttlSeconds: config.approvals.ttlSeconds },
      ),
      requestStates: new RequestStates(home, store),
      approvalConsoleUrl: null,
    };
    // OpenTelemetry: loaded only when the OTEL_* environment turns it on.
    const telemetry = opts.telemetry !== undefined
      ? opts.telemetry
      : await startTelemetry(process.env).catch((err: unknown) => {
        logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'OpenTelemetry could not start; running without it');
        return null;
      });
    if (telemetry) {
      if (opts.telemetry === undefined) logger.info({ endpoint: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? null }, 'OpenTelemetry on (OTEL_* environment)');
      services.telemetry = telemetry;
      telemetry.tokens(() => identity.tokens.stats?.() ?? { exchanges: 0, hits: 0 });
      closers.unshift(() => telemetry.shutdown());
      audit.observe((records) => {
        for (const r of records) if (r.event === 'denied' || (REFUSAL_EVENTS as readonly string[]).includes(r.event)) telemetry.refused(r.event, r.error_code);
      });
    }
    // Anomaly signals from the records this process writes (the recent trail is read in the background).
    void watchAnomalies({ store, audit, logger, config: () => services.config, invalidate: (agent) => identity.tokens.invalidate(agent) });
    if (!opts.lazy) await identity.ready;
    const policy = watchPolicy({
      store, configFile: opts.configFile ?? null, logger, intervalMs: opts.policyPollMs,
      apply: (next) => {
        services.config = next;
        version = policyVersion(next.agents, next.approvals);
        identity.applyConfig(next).catch((err: unknown) => {
          logger.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'could not update the delegations to the edited config');
        });
        return version;
      },
    });
    closers.unshift(async () => policy.close());
    return {
      services,
      vault,
      sandbox,
      identity,
      policy,
      notices,
      async close() {
        for (const c of closers) await c().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const c of closers) await c().catch(() => undefined);
    throw err;
  }
}

