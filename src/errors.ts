// The contract's error codes, one class each, and the one function that turns any error
// into the short, safe tool result a model sees. Detailed causes go to the audit record
// and the log (`detail`), never to the result.
import type { CallToolResult } from '@modelcontextprotocol/server';

export const ERROR_CODES = [
  'invalid_arguments',
  'capability_denied',
  'read_only',
  'constraint_violation',
  'rate_limited',
  'approval_pending',
  'approval_rejected',
  'approval_expired',
  'delegation_revoked',
  'token_unavailable',
  'upstream_unauthorized',
  'upstream_error',
  'account_unavailable',
  'content_guard',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Extra public fields an error may carry into the result (never secrets). */
export interface ErrorExtras {
  approval_id?: string;
  retry_after_seconds?: number;
  field?: string;
}

/** Base of every error Mandate reports to a caller. `message` is public; `detail` is internal. */
export class MandateError extends Error {
  readonly code: ErrorCode;
  readonly extras: ErrorExtras;
  /** Internal cause for the audit record and the log; not shown to the model. */
  readonly detail: string | undefined;
  constructor(code: ErrorCode, message: string, options: { extras?: ErrorExtras; detail?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MandateError';
    this.code = code;
    this.extras = options.extras ?? {};
    this.detail = options.detail;
  }
}

type Opts = ConstructorParameters<typeof MandateError>[2];
const make = (code: ErrorCode) =>
  class extends MandateError {
    static readonly code = code;
    constructor(message: string, options?: Opts) {
      super(code, message, options);
    }
  };

export class InvalidArguments extends make('invalid_arguments') {}
export class CapabilityDenied extends make('capability_denied') {}
export class ReadOnly extends make('read_only') {}
export class ConstraintViolation extends make('constraint_violation') {}
export class RateLimited extends make('rate_limited') {}
export class ApprovalPending extends make('approval_pending') {}
export class ApprovalRejected extends make('approval_rejected') {}
export class ApprovalExpired extends make('approval_expired') {}
export class DelegationRevoked extends make('delegation_revoked') {}
export class TokenUnavailable extends make('token_unavailable') {}
export class UpstreamUnauthorized extends make('upstream_unauthorized') {}
export class UpstreamError extends make('upstream_error') {}
/** A provider account missing, expired or lacking a scope: the message names the `mandate connect` command to run. */
export class AccountUnavailable extends make('account_unavailable') {}
/** The outbound content guard refused a write: the message names what was found and where, never the text itself. */
export class ContentGuardRefused extends make('content_guard') {}

/** Anything thrown that is not ours becomes a generic upstream_error with no internals shown. */
export function asMandateError(err: unknown): MandateError {
  if (err instanceof MandateError) return err;
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new UpstreamError('The tool failed unexpectedly; see the audit record for this call_id.', { detail, cause: err });
}

/** The structured error body of an isError result. */
export interface ToolErrorBody {
  error: { code: ErrorCode; message: string; call_id: string } & ErrorExtras;
}

/** Turns an error into the MCP tool result the model sees: short, safe, with call_id. */
export function toErrorResult(err: unknown, callId: string): CallToolResult {
  const e = asMandateError(err);
  const body: ToolErrorBody = { error: { code: e.code, message: e.message, call_id: callId, ...e.extras } };
  return {
    isError: true,
    content: [{ type: 'text', text: `${e.code}: ${e.message} (call_id ${callId})` }],
    structuredContent: body as unknown as Record<string, unknown>,
    _meta: { 'mandate/call_id': callId },
  };
}
