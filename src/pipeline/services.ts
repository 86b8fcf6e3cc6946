// What the pipeline of a tool call needs from the rest of Mandate. Each field is one stage's
// seam, so a stage can change (embedded or networked store, any authorization server)
// without touching the pipeline or the tools.
import type { AnyTool, Provider } from '../../tools/define.js';
import type { TokenSource } from '../connectors/http.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Identity } from '../identity/types.js';
import type { AuditInput, AuditRecord } from '../audit/record.js';
import type { Store } from '../store/types.js';

/** Public facts about a per-tool token, for the audit record (never the token itself). */
export interface TokenInfo {
  jti: string | null;
  aud: string | null;
  scope: string | null;
  exp: number | null;
}

/** A TokenSource that also says what it handed out last. */
export interface AuditedTokenSource extends TokenSource {
  info(): TokenInfo | null;
}

export interface TokenStage {
  /** The per-tool token source for one call of `tool` by `identity`. */
  sourceFor(identity: Identity, tool: AnyTool, signal: AbortSignal): AuditedTokenSource;
  /** Drops cached tokens of an agent (revocation). */
  invalidate(agent: string, tool?: AnyTool): Promise<void>;
}

export interface ConnectorStage {
  /** A connector for `provider` holding `tokens`; `mandate` gets Mandate's own self-service object. */
  create(provider: Provider, tokens: TokenSource, signal: AbortSignal, identity: Identity): unknown;
}

export interface AuditStage {
  /** Resolves once the record is durable (`{ durable: false }`: committed, made durable by the next durable record). */
  record(input: AuditInput, options?: { durable?: boolean }): Promise<AuditRecord>;
}

/** Everything the pipeline calls. */
export interface Services {
  config: Config;
  logger: Logger;
  tools: readonly AnyTool[];
  toolByName: ReadonlyMap<string, AnyTool>;
  store: Store;
  audit: AuditStage;
  tokens: TokenStage;
  connectors: ConnectorStage;
  /** Digest of the policy in force (agents + approvals config). */
  policyVersion: () => string;
  /** The approval gate; see src/approvals. */
  approvals: import('../approvals/gate.js').ApprovalGate;
  /** Seals and opens the `requestState` of approvals asked through input-required results. */
  requestStates: import('../approvals/request-state.js').RequestStates;
  /** The approval console's address (without its secret), once it runs beside the server. */
  approvalConsoleUrl: string | null;
}
