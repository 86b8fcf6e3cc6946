// The `requestState` of an approval asked for through an input-required result (MCP
// 2026-07-28): it travels through the MCP client, so it is sealed (AES-256-GCM, key in
// `<home>/keys/request-state.key`, mode 0600) and bound to the user, agent, client, tool,
// arguments digest and approval it was made for, with an expiry; the server spends each one
// once. A state that fails any of these is refused with the reason, for the audit trail.
import fs from 'node:fs';
import path from 'node:path';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Store } from '../store/types.js';

/** What a state is bound to: the one call it continues. */
export interface StateBinding {
  user: string;
  agent: string;
  client: string;
  tool: string;
  args_digest: string;
}

/** A state's sealed content. */
export interface ApprovalState extends StateBinding {
  v: 1;
  approval_id: string;
  /** Expiry, epoch milliseconds. */
  exp: number;
  /** Spent once, by the server. */
  nonce: string;
}

export type RefusalReason = 'tampered' | 'expired' | 'replayed' | 'mismatch';

/** A state the server will not honour, and why. */
export class RequestStateRefused extends Error {
  constructor(readonly reason: RefusalReason, message: string) {
    super(message);
  }
}

const AAD = Buffer.from('mandate/request-state/v1');
const KEY_FILE = ['keys', 'request-state.key'] as const;

/** Loads the sealing key, creating it (32 random bytes, 0600) on first use. */
export function loadStateKey(home: string): Buffer {
  const file = path.join(home, ...KEY_FILE);
  try {
    const key = fs.readFileSync(file);
    if (key.length === 32) return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  try {
    fs.writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    // Another process made it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file);
    throw err;
  }
}

/** Seals and opens approval states; `store` remembers the spent ones. */
export class RequestStates {
  private readonly spending = new Set<string>();
  private key?: Buffer;

  constructor(private readonly home: string, private readonly store: Pick<Store, 'getMeta' | 'setMeta'>, private readonly now: () => number = Date.now) {}

  private keyBytes(): Buffer {
    return (this.key ??= loadStateKey(this.home));
  }

  /** A sealed state for `binding` and `approvalId`, good for `ttlMs`. */
  seal(binding: StateBinding, approvalId: string, ttlMs: number): string {
    const state: ApprovalState = {
      v: 1, ...pick(binding), approval_id: approvalId, exp: this.now() + ttlMs, nonce: randomBytes(16).toString('base64url'),
    };
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keyBytes(), iv);
    cipher.setAAD(AAD);
    const body = Buffer.concat([cipher.update(JSON.stringify(state), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** Opens `token` for the call `binding`, spending it; throws RequestStateRefused. */
  async open(token: string, binding: StateBinding): Promise<ApprovalState> {
    const state = this.unseal(token);
    if (state.exp <= this.now()) throw new RequestStateRefused('expired', 'the requestState has expired; call the tool again without it');
    const want = pick(binding);
    const off = (Object.keys(want) as (keyof StateBinding)[]).filter((k) => state[k] !== want[k]);
    if (off.length) throw new RequestStateRefused('mismatch', `the requestState was made for another call (${off.join(', ')} differ)`);
    const key = `request-state-used:${state.nonce}`;
    if (this.spending.has(state.nonce) || (await this.store.getMeta(key))) {
      throw new RequestStateRefused('replayed', 'the requestState was already used; call the tool again without it');
    }
    this.spending.add(state.nonce);
    try {
      await this.store.setMeta(key, new Date(this.now()).toISOString());
    } finally {
      this.spending.delete(state.nonce);
    }
    return state;
  }

  private unseal(token: string): ApprovalState {
    const tampered = () => new RequestStateRefused('tampered', 'the requestState is not one this server made (it fails its integrity check)');
    if (typeof token !== 'string' || token.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(token)) throw tampered();
    const raw = Buffer.from(token, 'base64url');
    if (raw.length < 12 + 16 + 2) throw tampered();
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.keyBytes(), raw.subarray(0, 12));
      decipher.setAAD(AAD);
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      const text = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
      const state = JSON.parse(text) as ApprovalState;
      if (state.v !== 1 || typeof state.nonce !== 'string' || typeof state.exp !== 'number') throw new Error('shape');
      return state;
    } catch {
      throw tampered();
    }
  }
}

function pick(b: StateBinding): StateBinding {
  return { user: b.user, agent: b.agent, client: b.client, tool: b.tool, args_digest: b.args_digest };
}
