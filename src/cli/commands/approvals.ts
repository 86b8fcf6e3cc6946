// `mandate approvals`: the human side of approvals from a terminal. Works while the server
// runs (the store is shared safely between processes). Deciding needs the terminal's user to
// own the state directory (invariant 9: on the CLI, that owner is the authenticated
// approver, recorded as `os:<username>`), and is refused when the config asks for a passkey.
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { CliIo } from '../io.js';
import { UsageError, println } from '../io.js';
import { openCliStore } from '../store.js';
import { loadConfig } from '../../config/load.js';
import { decideApproval } from '../../approvals/decisions.js';
import { homeReceiptSigner } from '../../audit/receipt.js';
import type { Approval } from '../../store/types.js';
import { jsonLineSafe, terminalSafe as t } from '../../terminal.js';

// Every field came from an agent or the store: each is escaped to stay on its own line.
function line(a: Approval): string {
  return `${t(a.approval_id)}  ${t(a.status).padEnd(8)}  ${t(a.agent)} → ${t(a.tool)}  (user ${t(a.user)}, expires ${t(a.expires_at)})\n    ${t(a.summary)}` +
    `\n    args: ${jsonLineSafe(JSON.stringify(a.args))}`;
}

/**
 * Why the OS user `uid` may not decide approvals in `home`, or null when they may: only the
 * directory's owner may (root too, on a root-owned home; where the OS has no uids, nobody is refused).
 */
export function notOwnerReason(home: string, uid: number | undefined = process.getuid?.()): string | null {
  if (uid === undefined) return null;
  let owner: number;
  try {
    owner = fs.statSync(home).uid;
  } catch {
    return `there is no state directory at ${home}: nothing to decide`;
  }
  if (owner === uid) return null;
  return `only the owner of the state directory ${home} (uid ${owner}) may decide approvals from the command line; you are uid ${uid}`;
}

export async function runApprovals(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'ui') return (await import('../../approvals/web.js')).runApprovalsUi(rest, io);
  if (sub === 'enroll') return (await import('../../approvals/web.js')).runApprovalsEnroll(rest, io);
  if (sub === 'approve' || sub === 'deny') {
    const refusal = notOwnerReason(io.home);
    if (refusal) {
      println(io.stderr, `mandate approvals ${sub}: ${refusal}`);
      return 1;
    }
    if (loadConfig(io.env).config.approvals.presence === 'passkey') {
      println(io.stderr, `mandate approvals ${sub}: this approval needs a passkey: open the console (mandate approvals ui)`);
      return 1;
    }
  }
  const store = await openCliStore(io);
  try {
    switch (sub) {
      case 'list': {
        const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' }, all: { type: 'boolean' } }, strict: true });
        await store.expireApprovals(new Date());
        const list = await store.listApprovals(values.all ? {} : { status: 'pending' });
        if (values.json) for (const a of list) println(io.stdout, jsonLineSafe(JSON.stringify(a)));
        else if (list.length === 0) println(io.stdout, values.all ? 'no approval requests' : 'no pending approval requests');
        else for (const a of list) println(io.stdout, line(a));
        return 0;
      }
      case 'approve':
      case 'deny': {
        const { values, positionals } = parseArgs({
          args: rest, options: { reason: { type: 'string' } }, allowPositionals: true, strict: true,
        });
        const id = positionals[0];
        if (!id || positionals.length > 1) throw new UsageError(`usage: mandate approvals ${sub} ID${sub === 'deny' ? ' [--reason TEXT]' : ''}`);
        await store.expireApprovals(new Date());
        const current = await store.getApproval(id);
        if (!current) {
          println(io.stderr, `no approval request ${t(id)}`);
          return 1;
        }
        if (current.status !== 'pending') {
          println(io.stderr, `approval ${t(id)} is ${t(current.status)}, not pending; nothing changed`);
          return 1;
        }
        const { approval: decided } = await decideApproval({ store, signer: homeReceiptSigner(io.home) }, id, {
          decision: sub === 'approve' ? 'approved' : 'rejected',
          approver: `os:${os.userInfo().username}`,
          method: 'cli',
          reason: values.reason,
        });
        println(io.stdout, `${sub === 'approve' ? 'approved' : 'denied'} ${t(decided.approval_id)}: ${t(decided.summary)}`);
        return 0;
      }
      default:
        throw new UsageError('usage: mandate approvals list [--json] | approve ID | deny ID [--reason TEXT] | ui [--port N]');
    }
  } finally {
    store.close();
  }
}
