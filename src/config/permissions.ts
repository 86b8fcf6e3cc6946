// Decides whether the state directory (MANDATE_HOME) is private enough to run from: it and its
// keys directory must be owned by the user running Mandate (root included: a root-run server
// refuses a home owned by anyone else) and not writable by group or others, or another local
// user could rewrite the audit trail, swap keys or edit the policy. `mandate serve` refuses such
// a home (`homeRefusal`); `mandate doctor` reports owner and mode of each file (`inspectHome`).
// Files that hold secrets or the trail are also flagged when group or others can read them.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { secretFilePaths } from '../secrets/file.js';
import { storePath } from '../store/index.js';
import { terminalSafe as t } from '../terminal.js';

/** One path of the state directory as found on disk. */
export interface PathStatus {
  path: string;
  /** What it is, in words (`state directory`, `keys directory`, `store`, …). */
  label: string;
  exists: boolean;
  /** Permission bits (`mode & 0o777`); 0 when missing. */
  mode: number;
  /** Owner's uid; -1 when missing. */
  uid: number;
  /** Reasons to refuse it (writable by others, owned by someone else), each with its fix. */
  problems: string[];
  /** Reasons to tighten it (readable by others, for what holds secrets), each with its fix. */
  warnings: string[];
}

interface Spec {
  path: string;
  label: string;
  dir: boolean;
  /** Holds secrets or the trail: group or others reading it is worth a warning. */
  private: boolean;
}

const octal = (mode: number) => `0${mode.toString(8).padStart(3, '0')}`;
const who = (bits: number, group: number, other: number) =>
  [bits & group ? 'group' : '', bits & other ? 'others' : ''].filter(Boolean).join(' and ');

/** The uid a state directory must belong to: the current user's (undefined where there are none, on Windows). */
function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

function inspect(spec: Spec, uid: number): PathStatus {
  let st;
  try {
    st = statSync(spec.path);
  } catch {
    return { path: spec.path, label: spec.label, exists: false, mode: 0, uid: -1, problems: [], warnings: [] };
  }
  const mode = st.mode & 0o777;
  const path = t(spec.path);
  const tight = spec.dir ? '700' : '600';
  const problems: string[] = [];
  const warnings: string[] = [];
  if (st.uid !== uid) {
    problems.push(`owned by uid ${st.uid}, not by you (uid ${uid}): its owner controls what is in it; ` +
      `use a ${spec.dir ? 'directory' : 'file'} of your own, or as root: chown ${uid} ${path} && chmod ${tight} ${path}`);
  }
  if (mode & 0o022) problems.push(`writable by ${who(mode, 0o020, 0o002)} (mode ${octal(mode)}); fix: chmod ${tight} ${path}`);
  else if (spec.private && mode & 0o044) warnings.push(`readable by ${who(mode, 0o040, 0o004)} (mode ${octal(mode)}); fix: chmod ${tight} ${path}`);
  return { path: spec.path, label: spec.label, exists: true, mode, uid: st.uid, problems, warnings };
}

/**
 * Why `mandate serve` must not start on this state directory, in plain words with the fix, or
 * null when it is fine (or does not exist yet: Mandate then creates it with mode 0700).
 */
export function homeRefusal(home: string): string | null {
  const uid = currentUid();
  if (uid === undefined) return null;
  const checked = [
    inspect({ path: home, label: 'state directory (MANDATE_HOME)', dir: true, private: false }, uid),
    inspect({ path: join(home, 'keys'), label: 'keys directory', dir: true, private: true }, uid),
  ].filter((s) => s.problems.length > 0);
  if (checked.length === 0) return null;
  return checked
    .map((s) => `refusing to start: another local user could change the audit trail, keys or config in the ${s.label} ${t(s.path)}: ` +
      `it is ${s.problems.join('; and ')}`)
    .join('\n');
}

/**
 * Owner and mode of the state directory, the keys directory, the store and (when the
 * encrypted-file secret store is in use) the secrets file and its key, with what is wrong.
 * Empty on platforms without POSIX owners.
 */
export function inspectHome(home: string, opts: { secretsFile: boolean }): PathStatus[] {
  const uid = currentUid();
  if (uid === undefined) return [];
  const secrets = secretFilePaths(home);
  const specs: Spec[] = [
    { path: home, label: 'state directory', dir: true, private: false },
    { path: secrets.keyDir, label: 'keys directory', dir: true, private: true },
    { path: storePath(home), label: 'store', dir: false, private: true },
    ...(opts.secretsFile
      ? [
        { path: secrets.secrets, label: 'secrets file', dir: false, private: true },
        { path: secrets.key, label: 'secrets key', dir: false, private: true },
      ]
      : []),
  ];
  return specs.map((s) => inspect(s, uid));
}

/** `0700, owner uid 1000 (you)`: the mode and owner of one inspected path, for a report line. */
export function describeStatus(s: PathStatus): string {
  return `mode ${octal(s.mode)}, owner uid ${s.uid}${s.uid === currentUid() ? ' (you)' : ''}`;
}
