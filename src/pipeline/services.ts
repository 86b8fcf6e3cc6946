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

import type { TokenInfo } from '../tokens/broker.js';
import type { AuditedTokenSource, TokenStage } from '../tokens/stage.js';

/** Public facts about a per-tool token, for the audit record (never the token itself): the token stage's one shape. */
export type { AuditedTokenSource, TokenInfo, TokenStage };

/** One call as a connector sees it: which account (real accounts) and where to say whose it was. */
export interface ConnectorCall {
  callId: string;
  tool: string;
  /** The provider account named by the call (or its default); absent in the sandbox. */
  account?: string;
  /** Told the provider identity (team, portal, Google account) a request went to. */
  onAccount?: (identity: { id: string; name?: string }) => void;
}

export interface ConnectorStage {
  /** A connector for `provider` holding `tokens`; `mandate` gets Mandate's own self-service object. */
  create(provider: Provider, tokens: TokenSource, signal: AbortSignal, identity: Identity, call?: ConnectorCall): unknown;
}

/** A provider account as Mandate's own tools may show it (never a credential). */
export interface AccountView {
  provider: 'slack' | 'crm' | 'calendar';
  account: string;
  default: boolean;
  connected: boolean;
  /** Team id, portal id or Google account, when connected. */
  identity: string | null;
  scopes: string[];
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
  /** The configured provider accounts (real accounts); empty in the sandbox. */
  accounts?: () => Promise<AccountView[]>;
  /** The approval gate; see src/approvals. */
  approvals: import('../approvals/gate.js').ApprovalGate;
  /** Seals and opens the `requestState` of approvals asked through input-required results. */
  requestStates: import('../approvals/request-state.js').RequestStates;
  /** The approval console's address (without its secret), once it runs beside the server. */
  approvalConsoleUrl: string | null;
  /** OpenTelemetry, when the environment turns it on (src/telemetry); absent or null: off. */
  telemetry?: import('../telemetry/index.js').Telemetry | null;
}
