// The embedded authorization server's state on PostgreSQL, so any instance serves any OAuth
// step and a restart logs nobody out: oidc-provider's models (grants, sessions, interactions,
// registered clients, codes, refresh tokens) and its signing keys. Ids are stored as their
// SHA-256 (an opaque token's id is the token), payloads and keys sealed with AES-256-GCM under
// a key derived from the operator's `MANDATE_STORE_KEY`; without that key nothing is stored.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { StoreError } from '../errors.js';
import type { Db } from './db.js';

/** The role the authorization server's adapter uses (node-oidc-provider's adapter, per model). */
export interface AuthzStateStore {
  upsert(model: string, id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void>;
  find(model: string, id: string): Promise<Record<string, unknown> | undefined>;
  findByUid(model: string, uid: string): Promise<Record<string, unknown> | undefined>;
  findByUserCode(model: string, userCode: string): Promise<Record<string, unknown> | undefined>;
  consume(model: string, id: string): Promise<void>;
  destroy(model: string, id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
  /** The signing keys (a private JWKS as JSON text), or null before the first start. */
  getSigningKeys(): Promise<string | null>;
  /** Stores the keys; with `onlyIfMissing`, keeps what another instance stored first and returns that. */
  putSigningKeys(jwks: string, onlyIfMissing?: boolean): Promise<string>;
  /** A named secret of the authorization server (its signing keys, its cookie keys), or null. */
  getSecret(name: string): Promise<string | null>;
  /**
   * Stores a named secret and returns what is stored after: with `onlyIfMissing`, what another
   * instance stored first; with `expected`, only if the stored value is still that one (else
   * the value another instance stored meanwhile).
   */
  putSecret(name: string, value: string, opts?: { onlyIfMissing?: boolean; expected?: string | null }): Promise<string>;
  /** Whether payloads can be sealed (a store key was given). */
  readonly sealed: boolean;
  /**
   * A secret every instance derives alike from the store key (HKDF, per `label`): the client
   * secrets of Mandate's own clients, so no instance replaces another's registration.
   */
  deriveSecret(label: string): string;
}

const hashId = (s: string) => createHash('sha256').update(s).digest('base64url');

export class PgAuthzState implements AuthzStateStore {
  private readonly key: Buffer | null;

  constructor(private readonly db: Db, storeKey: string | null) {
    this.key = storeKey ? Buffer.from(hkdfSync('sha256', storeKey, 'mandate-store', 'authz-state v1', 32)) : null;
  }

  /** Whether a store key was given (the authorization server refuses to keep state here without one). */
  get sealed(): boolean {
    return this.key !== null;
  }

  deriveSecret(label: string): string {
    if (!this.key) throw new StoreError('invalid', 'MANDATE_STORE_KEY is required to derive the authorization server\'s secrets');
    return Buffer.from(hkdfSync('sha256', this.key, 'mandate-store', `derived secret v1 ${label}`, 32)).toString('base64url');
  }

  private seal(text: string, aad: string): string {
    if (!this.key) throw new StoreError('invalid', 'MANDATE_STORE_KEY is required to keep the authorization server\'s state in PostgreSQL');
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    c.setAAD(Buffer.from(aad));
    const body = Buffer.concat([c.update(text, 'utf8'), c.final()]);
    return `v1.${iv.toString('base64url')}.${body.toString('base64url')}.${c.getAuthTag().toString('base64url')}`;
  }

  private open(sealed: string, aad: string): string {
    if (!this.key) throw new StoreError('invalid', 'MANDATE_STORE_KEY is required to read the authorization server\'s state');
    const [v, iv, body, tag] = sealed.split('.');
    if (v !== 'v1' || !iv || body === undefined || !tag) throw new StoreError('invalid', 'a sealed authorization server record is malformed');
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      d.setAAD(Buffer.from(aad));
      d.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]).toString('utf8');
    } catch {
      throw new StoreError('invalid', 'a sealed authorization server record does not open with this MANDATE_STORE_KEY (a different key?)');
    }
  }

  private row(model: string, hid: string, r: { payload: string; expires_at: number | null; consumed: number | null } | undefined): Record<string, unknown> | undefined {
    if (!r) return undefined;
    if (r.expires_at !== null && r.expires_at <= Date.now()) return undefined;
    const payload = JSON.parse(this.open(r.payload, `${model}:${hid}`)) as Record<string, unknown>;
    if (r.consumed !== null) payload.consumed = r.consumed;
    return payload;
  }

  async upsert(model: string, id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
    const hid = hashId(id);
    const sealed = this.seal(JSON.stringify(payload), `${model}:${hid}`);
    const grantId = typeof payload.grantId === 'string' ? payload.grantId : null;
    const uid = typeof payload.uid === 'string' ? hashId(payload.uid) : null;
    const userCode = typeof payload.userCode === 'string' ? hashId(payload.userCode) : null;
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : null;
    await this.db.query(
      `INSERT INTO authz_models (model, id, payload, grant_id, uid, user_code, expires_at, consumed) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)
       ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid,
         user_code = excluded.user_code, expires_at = excluded.expires_at, consumed = NULL`,
      [model, hid, sealed, grantId, uid, userCode, expiresAt],
    );
    // Expired rows are dropped now and then by whoever writes (cheap, indexed).
    if (Math.random() < 0.01) await this.db.query('DELETE FROM authz_models WHERE expires_at < $1', [Date.now() - 60_000]).catch(() => undefined);
  }

  async find(model: string, id: string): Promise<Record<string, unknown> | undefined> {
    const hid = hashId(id);
    const { rows } = await this.db.query<{ payload: string; expires_at: number | null; consumed: number | null }>(
      'SELECT payload, expires_at, consumed FROM authz_models WHERE model = $1 AND id = $2',
      [model, hid],
    );
    return this.row(model, hid, rows[0]);
  }

  private async findBy(model: string, column: 'uid' | 'user_code', value: string): Promise<Record<string, unknown> | undefined> {
    const { rows } = await this.db.query<{ id: string; payload: string; expires_at: number | null; consumed: number | null }>(
      `SELECT id, payload, expires_at, consumed FROM authz_models WHERE model = $1 AND ${column} = $2 LIMIT 1`,
      [model, hashId(value)],
    );
    return rows[0] ? this.row(model, rows[0].id, rows[0]) : undefined;
  }

  findByUid(model: string, uid: string): Promise<Record<string, unknown> | undefined> {
    return this.findBy(model, 'uid', uid);
  }

  findByUserCode(model: string, userCode: string): Promise<Record<string, unknown> | undefined> {
    return this.findBy(model, 'user_code', userCode);
  }

  async consume(model: string, id: string): Promise<void> {
    await this.db.query('UPDATE authz_models SET consumed = $3 WHERE model = $1 AND id = $2', [model, hashId(id), Math.floor(Date.now() / 1000)]);
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.db.query('DELETE FROM authz_models WHERE model = $1 AND id = $2', [model, hashId(id)]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db.query(
      `DELETE FROM authz_models WHERE grant_id = $1 AND model IN ('AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest')`,
      [grantId],
    );
  }

  getSigningKeys(): Promise<string | null> {
    return this.getSecret('jwks');
  }

  putSigningKeys(jwks: string, onlyIfMissing = false): Promise<string> {
    return this.putSecret('jwks', jwks, { onlyIfMissing });
  }

  async getSecret(name: string): Promise<string | null> {
    const key = `authz_${name}`;
    const { rows } = await this.db.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key]);
    return rows[0] ? this.open(rows[0].value, key) : null;
  }

  async putSecret(name: string, value: string, opts: { onlyIfMissing?: boolean; expected?: string | null } = {}): Promise<string> {
    const key = `authz_${name}`;
    const sealed = this.seal(value, key);
    if (opts.onlyIfMissing) {
      await this.db.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, sealed]);
      return (await this.getSecret(name))!;
    }
    if (opts.expected !== undefined) {
      // Compare and set, under the row's lock: two instances rotating at once keep one rotation.
      return this.db.tx(async (c) => {
        const { rows } = await c.query<{ value: string }>('SELECT value FROM meta WHERE key = $1 FOR UPDATE', [key]);
        const now = rows[0] ? this.open(rows[0].value, key) : null;
        if (now !== opts.expected) return now ?? value;
        await c.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, sealed]);
        return value;
      });
    }
    await this.db.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, sealed]);
    return value;
  }
}
