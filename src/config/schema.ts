// The one config schema, parsed once at start. Every key optional; unknown keys fail naming their path.
import { z } from 'zod';
import { agentsConfigSchema } from '../policy/config.js';
import { contentGuardSchema } from '../policy/content-guard.js';
import { auditRedactConfigSchema } from '../audit/redact.js';

/** Account names: what `--account NAME` and a tool's `account` argument take. */
export const accountNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: 'account names are letters, digits and _ . - (at most 64)' });

/** One connected account of a provider; its credentials live in the secret store, never here. */
const accountSchema = z.strictObject({
  label: z.string().max(200).optional().describe('Words for people (doctor, whoami): "ACME workspace".'),
});

const providerSchema = z.strictObject({
  baseUrl: z.url().optional().describe('Base URL of the provider API (the real one or an emulator); defaults to the real API.'),
  resource: z.url().optional().describe('Resource identifier (token audience) of the API; defaults to the provider\'s own.'),
  authorizeUrl: z.url().optional().describe('The provider\'s OAuth authorization endpoint (`mandate connect`); defaults to the real one.'),
  tokenUrl: z.url().optional().describe('The provider\'s OAuth token endpoint; defaults to the real one.'),
  revokeUrl: z.url().optional().describe('The provider\'s token revocation endpoint (Google); defaults to the real one.'),
  redirectUri: z.url().optional().describe('Slack: an HTTPS redirect URL of yours that reaches this machine (default: paste the redirected URL back).'),
  accounts: z
    .record(accountNameSchema, accountSchema)
    .optional()
    .describe('Real accounts of this provider, connected with `mandate connect`; the first is the default. With accounts, every request goes through the egress gate.'),
});

export const configSchema = z
  .strictObject({
    store: z
      .union([z.literal('sqlite'), z.string().max(2000).regex(/^postgres(ql)?:\/\//i, 'must be "sqlite" or a postgres:// URL')])
      .optional()
      .describe('Where state lives: "sqlite" (default, a file in the state directory) or a postgres:// URL shared by several instances (env MANDATE_STORE wins).'),
    providers: z
      .strictObject({ slack: providerSchema.optional(), crm: providerSchema.optional(), calendar: providerSchema.optional() })
      .optional(),
    authorizationServer: z
      .strictObject({
        issuer: z.url().describe('Issuer URL; its metadata is found by discovery.'),
        clientId: z.string().min(1).max(200).default('mandate'),
      })
      .optional(),
    approvals: z
      .strictObject({
        waitSeconds: z.number().int().min(0).max(3600).default(120),
        ttlSeconds: z.number().int().min(1).max(7 * 86400).default(900),
        elicitation: z.boolean().default(false),
        presence: z
          .enum(['none', 'passkey'])
          .default('none')
          .describe('"passkey": a decision needs a passkey assertion bound to the approval (in the console); the CLI then refuses to decide.'),
        approvers: z
          .array(z.string().min(1).max(200))
          .max(100)
          .default([])
          .describe('Subjects allowed to decide approvals in the console (e.g. an OIDC `sub`); empty: the console\'s own rules apply.'),
      })
      .default({ waitSeconds: 120, ttlSeconds: 900, elicitation: false, presence: 'none', approvers: [] }),
    agents: agentsConfigSchema.default({}),
    contentGuard: contentGuardSchema
      .optional()
      .describe('The outbound content guard for every agent: "deny", "approve" or "allow", or per category (secrets, stackTraces, logDumps) plus patterns; agents and tool rules may override. Defaults: secrets deny, stack traces and log dumps approve.'),
    anomalies: z
      .strictObject({
        suspendAfter: z.number().int().min(1).max(1000).optional().describe('Revoke an agent\'s delegation after this many anomalies (within `windowMinutes`); absent: never automatically.'),
        windowMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60),
        spikeFactor: z.number().min(1.5).max(1000).default(5).describe('A minute with this many times the agent\'s recent rate (and at least `spikeMin` calls) is a spike.'),
        spikeMin: z.number().int().min(2).max(100000).default(20),
        denialsMin: z.number().int().min(2).max(1000).default(5).describe('This many denials or refused tokens within 5 minutes raise an anomaly.'),
        learnCalls: z.number().int().min(1).max(100000).default(20).describe('Calls an agent makes before its usual hours and write tools are known (unusual_hours, first_write).'),
      })
      .optional(),
    audit: z.strictObject({ redact: auditRedactConfigSchema.optional() }).optional(),
    server: z
      .strictObject({
        port: z.number().int().min(0).max(65535).default(8787),
        allowedOrigins: z.array(z.string().max(500)).max(100).default([]),
        /** URLs this server is also reached at (a reverse proxy in front): their hosts pass the Host check. */
        publicUrls: z.array(z.url({ protocol: /^https?$/ }).max(500)).max(20).default([]),
        /**
         * Several instances: the public origin a load balancer serves the embedded authorization
         * server at (every instance's `authzPort`); it is the issuer all of them share.
         */
        authzPublicUrl: z.url({ protocol: /^https?$/ }).max(500).optional(),
        /** The embedded authorization server's port on 127.0.0.1 (default: any free port). */
        authzPort: z.number().int().min(0).max(65535).optional(),
      })
      .optional(),
  })
  .describe('Mandate configuration');

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** True when Mandate should run its embedded sandbox (no real provider and no real authorization server). */
export function isSandbox(config: Config): boolean {
  return !config.providers && !config.authorizationServer;
}

/** The JSON Schema of the config file (`mandate config schema`). */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
}
