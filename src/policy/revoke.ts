// A revocation, the one way both `mandate revoke` and the console make it: the store records
// it (who, when, why), the agent's pending and approved-but-unused approvals for that scope
// are cancelled, and an optional hook lets a server in the same process drop the agent's
// cached per-tool tokens at once. A server in another process needs no hook: the pipeline
// reads revocations before every call and drops and denylists those tokens there.
import type { Revocation, Store } from '../store/types.js';

/** What to revoke: a whole delegation (no `tool`) or one capability, for one user or (no `user`) every user's. */
export interface RevokeRequest {
  agent: string;
  tool?: string | null;
  user?: string | null;
  /** Who revoked, as recorded: `dana (cli)`, `dana@laptop (web)`. */
  by: string;
  reason?: string | null;
}

export interface RevokeOutcome {
  revocation: Revocation;
  /** Pending or approved-but-unused approvals cancelled by this revocation. */
  cancelledApprovals: number;
}

/** Called after the revocation is stored, e.g. to drop cached tokens in this process. */
export type OnRevoked = (r: Revocation) => Promise<void>;

/** Revokes, cancels the approvals it makes moot, then runs `onRevoked`; effective for the agent's next call. */
export async function revokeMandate(store: Store, req: RevokeRequest, onRevoked?: OnRevoked): Promise<RevokeOutcome> {
  const tool = req.tool ?? null;
  const revocation = await store.revoke({ agent: req.agent, tool, user: req.user ?? null, by: req.by, reason: req.reason ?? null });
  const cancelledApprovals = await store.cancelApprovals({ agent: req.agent, tool });
  if (onRevoked) await onRevoked(revocation);
  return { revocation, cancelledApprovals };
}
