// `mandate revoke`: ends a delegation, or one capability of it, from the next call on. The
// running server reads revocations from the shared store before every call.
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { CliIo } from '../io.js';
import { UsageError, println } from '../io.js';
import { openCliStore } from '../store.js';
import { revokeMandate } from '../../policy/revoke.js';
import { allTools } from '../../../tools/index.js';

export async function runRevoke(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args, options: { agent: { type: 'string' }, tool: { type: 'string' }, user: { type: 'string' }, reason: { type: 'string' } }, strict: true,
  });
  if (!values.agent) throw new UsageError('usage: mandate revoke --agent ID [--tool NAME]');
  if (values.tool && !allTools.some((t) => t.name === values.tool)) throw new UsageError(`unknown tool ${values.tool}`);
  const store = await openCliStore(io);
  try {
    const { cancelledApprovals: cancelled } = await revokeMandate(store, {
      agent: values.agent, tool: values.tool, user: values.user, by: `os:${os.userInfo().username}`, reason: values.reason,
    });
    println(io.stdout, values.tool
      ? `revoked ${values.agent}'s capability ${values.tool}; its next call is refused`
      : `revoked the delegation to ${values.agent}; its next call is refused`);
    if (cancelled > 0) println(io.stdout, `cancelled ${cancelled} pending approval request${cancelled > 1 ? 's' : ''}`);
    return 0;
  } finally {
    store.close();
  }
}
