// Why a call is made and which task it belongs to, as a client may say in the request's
// `_meta`: `mandate/purpose` (the user's request in a sentence) and `mandate/task_id`.
// Checked here (length, control and bidirectional-override characters, an ID's characters);
// what passes goes into every audit record of the call, the approval request, and (the task)
// the per-tool token.

/** The `_meta` keys a client may send with a `tools/call`. */
export const PURPOSE_META = 'mandate/purpose';
export const TASK_META = 'mandate/task_id';

/** Longest purpose kept, in characters. */
export const MAX_PURPOSE = 500;

/** A task ID: letters, digits and `_ . : @ / # -`, starting with a letter or digit, at most 128. */
export const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.:@/#-]{0,127}$/;

// C0/C1 controls (newlines included: a purpose is one sentence on one line) and the
// bidirectional overrides that make a terminal or a console show other text than is stored.
const UNSAFE = /[\p{Cc}\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

/** A call's intent, checked. */
export interface Intent {
  purpose?: string;
  taskId?: string;
}

/** What is wrong with a sent intent: the `_meta` key and why, in plain words. */
export interface IntentProblem {
  field: string;
  reason: string;
}

/** Reads and checks the intent from a request's `_meta` values (absent, null and '' mean not sent). */
export function readIntent(meta: { purpose?: unknown; taskId?: unknown } | undefined): { intent: Intent; problem?: IntentProblem } {
  const intent: Intent = {};
  const p = meta?.purpose;
  if (p !== undefined && p !== null && p !== '') {
    const field = `_meta.${PURPOSE_META}`;
    if (typeof p !== 'string') return { intent, problem: { field, reason: 'must be a string' } };
    const purpose = p.trim();
    if (purpose.length > MAX_PURPOSE) return { intent, problem: { field, reason: `must be at most ${MAX_PURPOSE} characters` } };
    if (UNSAFE.test(purpose)) return { intent, problem: { field, reason: 'must be one line without control characters' } };
    if (purpose) intent.purpose = purpose;
  }
  const t = meta?.taskId;
  if (t !== undefined && t !== null && t !== '') {
    const field = `_meta.${TASK_META}`;
    if (typeof t !== 'string' || !TASK_ID.test(t)) {
      return { intent, problem: { field, reason: 'must be 1-128 letters, digits and _ . : @ / # -, starting with a letter or digit' } };
    }
    intent.taskId = t;
  }
  return { intent };
}
