// What the console's JSON API accepts, checked with zod before anything reads the store:
// agent and tool names in the shapes Mandate gives them, bounded limits, and a revocation
// only with an explicit `confirm: true`. Unknown keys are refused.
import { z } from 'zod';

/** An agent id as `mandate agents register` allows it. */
export const agentId = z.string().regex(/^[A-Za-z0-9_.:@-]{1,128}$/, 'must be 1-128 of [A-Za-z0-9_.:@-]');
/** A tool name as tools/ define them. */
export const toolName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be 1-64 of [a-z0-9_], starting with a letter');

/** How a call ended, as the Activity view shows it. */
export const OUTCOMES = ['ok', 'error', 'denied', 'pending', 'running'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const MAX_ACTIVITY = 500;

const blankIsAbsent = (v: unknown) => (v === '' ? undefined : v);

/** `GET /api/activity?agent=&tool=&outcome=&limit=` */
export const activityQuery = z.strictObject({
  agent: z.preprocess(blankIsAbsent, agentId.optional()),
  tool: z.preprocess(blankIsAbsent, toolName.optional()),
  outcome: z.preprocess(blankIsAbsent, z.enum(OUTCOMES).optional()),
  limit: z.preprocess(blankIsAbsent, z.coerce.number().int().min(1).max(MAX_ACTIVITY).default(100)),
});
export type ActivityQuery = z.infer<typeof activityQuery>;

/** `POST /api/revoke` */
export const revokeBody = z.strictObject({
  agent: agentId,
  tool: toolName.optional(),
  confirm: z.literal(true, 'must be true: a revocation needs an explicit confirmation'),
  reason: z.string().max(500).optional(),
});
export type RevokeBody = z.infer<typeof revokeBody>;

/** The first issue as `path: message`. */
export function firstIssue(err: z.ZodError): string {
  const i = err.issues[0];
  if (!i) return 'invalid input';
  const where = i.path.length ? i.path.join('.') : '(body)';
  return `${where}: ${i.message}`;
}
