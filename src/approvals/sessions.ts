// Who may use the approval console: the holder of its secret link, or a user signed in with
// OpenID Connect. The link's secret (256 bits, new at each start) is printed to the operator's
// terminal and kept in `<home>/console-link` (0600); presenting it, compared in constant time,
// opens a server-side session named by an HttpOnly, SameSite=Strict cookie. Sessions are kept
// in memory under the hash of their id, expire, and carry their own CSRF token. Wrong secrets
// open nothing and, past a few a minute, are not even compared.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** How a session's holder proved who they are. */
export type SignIn = { method: 'console'; approver: string } | { method: 'oidc'; approver: string; sub: string };

export interface ConsoleSession {
  csrf: string;
  signIn: SignIn;
  expiresAt: number;
  /** When this session last made a passkey assertion (enrolling another passkey needs one). */
  presenceAt?: number;
}

/** Where the current console link is kept for the operator. */
export const CONSOLE_LINK_FILE = 'console-link';
/** How long a console session lasts. */
export const SESSION_TTL_MS = 12 * 3600 * 1000;
/** Wrong secrets accepted per minute before the link answers 429 for the rest of that minute. */
const WRONG_PER_MINUTE = 10;

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time string equality (lengths compared after hashing, so they do not leak either). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/** The OS user owning the state directory: the person a console-link decision is recorded for. */
export function homeOwner(home: string): string {
  try {
    const uid = fs.statSync(home).uid;
    const me = os.userInfo();
    if (uid === me.uid) return me.username;
    const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[2] === String(uid));
    return line?.split(':')[0] || `uid-${uid}`;
  } catch {
    return os.userInfo().username;
  }
}

/** Writes `text` to `file` with mode 0600, replacing any earlier file (whatever its mode was). */
export function writePrivateFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
  fs.renameSync(tmp, file);
}

/** The console's secret and its sessions, for one server start. */
export class ConsoleSessions {
  /** The link's secret; never logged, never sent to an MCP client. */
  readonly secret = randomBytes(32).toString('base64url');
  private readonly sessions = new Map<string, ConsoleSession>();
  private wrong = { windowStart: 0, count: 0 };

  constructor(private readonly ttlMs = SESSION_TTL_MS) {}

  /**
   * Exchanges a presented secret for a new session id: `'wrong'` for a wrong secret, and
   * `'limited'` once too many wrong ones came this minute (then nothing is compared).
   */
  exchange(presented: string, signIn: SignIn, now = Date.now()): string | 'wrong' | 'limited' {
    if (now - this.wrong.windowStart >= 60_000) this.wrong = { windowStart: now, count: 0 };
    if (this.wrong.count >= WRONG_PER_MINUTE) return 'limited';
    if (!safeEqual(presented, this.secret)) {
      this.wrong.count++;
      return 'wrong';
    }
    return this.open(signIn, now);
  }

  /** Opens a session for someone already proven (the link above, or an OIDC sign-in). */
  open(signIn: SignIn, now = Date.now()): string {
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(sha256(id).toString('hex'), { csrf: randomBytes(24).toString('base64url'), signIn, expiresAt: now + this.ttlMs });
    return id;
  }

  /** The live session named by `id`, if any. */
  get(id: string | undefined, now = Date.now()): ConsoleSession | null {
    if (!id) return null;
    const key = sha256(id).toString('hex');
    const s = this.sessions.get(key);
    if (!s) return null;
    if (s.expiresAt <= now) {
      this.sessions.delete(key);
      return null;
    }
    return s;
  }

  /** The Set-Cookie value naming session `id` under `name`. */
  cookie(name: string, id: string): string {
    return `${name}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(this.ttlMs / 1000)}`;
  }
}

/** The value of cookie `name` in a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}
