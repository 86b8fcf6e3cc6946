// The PostgreSQL schema as an ordered list of migrations; `mandate_schema.version` says how
// many have run. Append new steps; never edit a released one. Instances starting at once
// migrate once: the migration runs in one transaction under an advisory lock.
import type pg from 'pg';
import { StoreError } from '../errors.js';

/** Migration N (0-based) takes the schema from version N to N + 1. */
export const PG_MIGRATIONS: readonly string[] = [
  `
  -- One row per record: \`record\` is the exact canonical JSON text that \`hash\` covers; the
  -- other columns are copies for indexed reads (a verify trusts only the text and the hash).
  CREATE TABLE audit (
    seq     bigint PRIMARY KEY,
    record  text NOT NULL,
    hash    text NOT NULL,
    call_id text,
    event   text,
    ts      text,
    agent   text,
    tool    text,
    "user"  text
  );
  CREATE INDEX audit_call ON audit (call_id, seq);
  CREATE INDEX audit_agent ON audit (agent, seq);
  CREATE INDEX audit_tool ON audit (tool, seq);
  CREATE INDEX audit_user ON audit ("user", seq);
  CREATE INDEX audit_event ON audit (event, seq);
  CREATE INDEX audit_ts ON audit (ts);

  -- The chain head, apart from the audit table: deleting the tail of the table leaves it behind.
  CREATE TABLE audit_checkpoint (
    id   int PRIMARY KEY CHECK (id = 1),
    seq  bigint NOT NULL,
    hash text NOT NULL
  );
  -- One row every append transaction locks (FOR UPDATE) before it reads the head: the chain's
  -- order is the order of these locks, which is also the order of the commits.
  CREATE TABLE audit_lock (id int PRIMARY KEY CHECK (id = 1));
  INSERT INTO audit_lock (id) VALUES (1);

  CREATE TABLE approvals (
    approval_id text PRIMARY KEY,
    call_id     text NOT NULL,
    "user"      text NOT NULL,
    agent       text NOT NULL,
    client      text,
    tool        text NOT NULL,
    args_digest text NOT NULL,
    args        text NOT NULL,
    summary     text NOT NULL,
    status      text NOT NULL,
    created_at  text NOT NULL,
    expires_at  text NOT NULL,
    decided_at  text,
    approver    text,
    channel     text,
    reason      text,
    used_at     text
  );
  CREATE INDEX approvals_match ON approvals (agent, tool, args_digest, status);
  CREATE INDEX approvals_status ON approvals (status, created_at);

  -- '' stands for "every tool" / "every user", so the primary key holds one row per scope.
  CREATE TABLE revocations (
    agent      text NOT NULL,
    tool       text NOT NULL DEFAULT '',
    "user"     text NOT NULL DEFAULT '',
    revoked_at text NOT NULL,
    by         text,
    reason     text,
    PRIMARY KEY (agent, tool, "user")
  );

  CREATE TABLE revoked_jti (
    jti text PRIMARY KEY,
    exp bigint NOT NULL
  );

  CREATE TABLE rate_hits (
    key text NOT NULL,
    at  bigint NOT NULL
  );
  CREATE INDEX rate_hits_key ON rate_hits (key, at);

  CREATE TABLE delegations (
    "user"     text NOT NULL,
    agent      text NOT NULL,
    client     text,
    scopes     text NOT NULL,
    status     text NOT NULL,
    updated_at text NOT NULL,
    PRIMARY KEY ("user", agent)
  );

  CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
  );
  `,
  `
  -- The signed receipt of an approval's decision (a compact JWS), also in its audit record.
  ALTER TABLE approvals ADD COLUMN receipt text;
  `,
  `
  -- The embedded authorization server's models (oidc-provider's adapter: grants, sessions,
  -- registered clients, refresh tokens…), shared by every instance. \`payload\` is JSON, or
  -- for models holding secrets (refresh tokens, clients) the JSON sealed with the store key.
  CREATE TABLE authz_models (
    model      text NOT NULL,
    id         text NOT NULL,
    payload    text NOT NULL,
    grant_id   text,
    uid        text,
    user_code  text,
    expires_at bigint,
    consumed   bigint,
    PRIMARY KEY (model, id)
  );
  CREATE INDEX authz_models_grant ON authz_models (grant_id) WHERE grant_id IS NOT NULL;
  CREATE INDEX authz_models_uid ON authz_models (model, uid) WHERE uid IS NOT NULL;
  CREATE INDEX authz_models_user_code ON authz_models (model, user_code) WHERE user_code IS NOT NULL;
  CREATE INDEX authz_models_expiry ON authz_models (expires_at) WHERE expires_at IS NOT NULL;
  `,
  `
  -- A user may delegate to one agent through several clients: one row per (user, agent,
  -- client), '' standing for "no client"; the latest row of a pair answers getDelegation.
  UPDATE delegations SET client = '' WHERE client IS NULL;
  ALTER TABLE delegations ALTER COLUMN client SET DEFAULT '', ALTER COLUMN client SET NOT NULL;
  ALTER TABLE delegations DROP CONSTRAINT delegations_pkey;
  ALTER TABLE delegations ADD PRIMARY KEY ("user", agent, client);
  CREATE INDEX delegations_latest ON delegations ("user", agent, updated_at);
  `,
];

/** A fixed advisory-lock key for migrations ("mandate" in ASCII), per database. */
const MIGRATION_LOCK = 0x6d616e64617465;

/** Brings the schema up to date (creating it if missing); refuses a schema from a newer Mandate. */
export async function migratePostgres(client: pg.ClientBase, schema: string): Promise<{ from: number; to: number }> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query('CREATE TABLE IF NOT EXISTS mandate_schema (id int PRIMARY KEY CHECK (id = 1), version int NOT NULL)');
    const row = (await client.query<{ version: number }>('SELECT version FROM mandate_schema WHERE id = 1')).rows[0];
    const from = row?.version ?? 0;
    if (from > PG_MIGRATIONS.length) {
      throw new StoreError('invalid', `the store's schema (version ${from}) is newer than this Mandate knows (${PG_MIGRATIONS.length}); upgrade Mandate`);
    }
    for (let v = from; v < PG_MIGRATIONS.length; v++) await client.query(PG_MIGRATIONS[v]!);
    await client.query(
      'INSERT INTO mandate_schema (id, version) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET version = excluded.version',
      [PG_MIGRATIONS.length],
    );
    await client.query('COMMIT');
    return { from, to: PG_MIGRATIONS.length };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
