// The SQLite schema as an ordered list of migrations: `PRAGMA user_version` says how many
// have run. Append new steps; never edit a released one.
import type BetterSqlite3 from 'better-sqlite3';

/** Migration N (0-based) takes the schema from user_version N to N + 1. */
export const MIGRATIONS: readonly string[] = [
  `
  -- One row per record: \`record\` is the exact canonical JSON text that \`hash\` covers, the
  -- one place each field lives. The other columns are generated from it (for the chain walk
  -- and for indexed reads), so no column can be edited apart from the hashed text.
  CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    record    TEXT NOT NULL,
    hash      TEXT NOT NULL,
    rec_seq   INTEGER GENERATED ALWAYS AS (json_extract(record, '$.seq')) STORED,
    prev_hash TEXT GENERATED ALWAYS AS (json_extract(record, '$.prev_hash')) STORED,
    call_id   TEXT GENERATED ALWAYS AS (json_extract(record, '$.call_id')) STORED,
    ts        TEXT GENERATED ALWAYS AS (json_extract(record, '$.ts')) VIRTUAL,
    agent     TEXT GENERATED ALWAYS AS (json_extract(record, '$.agent')) VIRTUAL,
    tool      TEXT GENERATED ALWAYS AS (json_extract(record, '$.tool')) VIRTUAL,
    user      TEXT GENERATED ALWAYS AS (json_extract(record, '$.user')) VIRTUAL
  );
  CREATE INDEX audit_call ON audit (call_id, seq);
  CREATE INDEX audit_agent ON audit (agent, seq);
  CREATE INDEX audit_tool ON audit (tool, seq);
  CREATE INDEX audit_user ON audit (user, seq);
  CREATE INDEX audit_ts ON audit (ts);

  -- The chain head, apart from the audit table: deleting the tail of the table leaves it behind.
  CREATE TABLE audit_checkpoint (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
  );

  CREATE TABLE approvals (
    approval_id TEXT PRIMARY KEY,
    call_id     TEXT NOT NULL,
    user        TEXT NOT NULL,
    agent       TEXT NOT NULL,
    client      TEXT,
    tool        TEXT NOT NULL,
    args_digest TEXT NOT NULL,
    args        TEXT NOT NULL,
    summary     TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    decided_at  TEXT,
    approver    TEXT,
    channel     TEXT,
    reason      TEXT,
    used_at     TEXT
  );
  CREATE INDEX approvals_match ON approvals (agent, tool, args_digest, status);
  CREATE INDEX approvals_status ON approvals (status, created_at);

  -- '' stands for "every tool" / "every user", so the primary key holds one row per scope.
  CREATE TABLE revocations (
    agent      TEXT NOT NULL,
    tool       TEXT NOT NULL DEFAULT '',
    user       TEXT NOT NULL DEFAULT '',
    revoked_at TEXT NOT NULL,
    by         TEXT,
    reason     TEXT,
    PRIMARY KEY (agent, tool, user)
  );

  CREATE TABLE revoked_jti (
    jti TEXT PRIMARY KEY,
    exp INTEGER NOT NULL
  );

  CREATE TABLE rate_hits (
    key TEXT NOT NULL,
    at  INTEGER NOT NULL
  );
  CREATE INDEX rate_hits_key ON rate_hits (key, at);

  CREATE TABLE delegations (
    user       TEXT NOT NULL,
    agent      TEXT NOT NULL,
    client     TEXT,
    scopes     TEXT NOT NULL,
    status     TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user, agent)
  );

  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  `
  -- The signed receipt of an approval's decision (a compact JWS), also in its audit record.
  ALTER TABLE approvals ADD COLUMN receipt TEXT;
  `,
  `
  -- A user may delegate to one agent through several clients (the agent itself, Mandate's
  -- login): one row per (user, agent, client); '' stands for "no client". The latest row of a
  -- (user, agent) pair is the one \`getDelegation(user, agent)\` answers.
  CREATE TABLE delegations_by_client (
    user       TEXT NOT NULL,
    agent      TEXT NOT NULL,
    client     TEXT NOT NULL DEFAULT '',
    scopes     TEXT NOT NULL,
    status     TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user, agent, client)
  );
  INSERT INTO delegations_by_client SELECT user, agent, COALESCE(client, ''), scopes, status, updated_at FROM delegations;
  DROP TABLE delegations;
  ALTER TABLE delegations_by_client RENAME TO delegations;
  CREATE INDEX delegations_latest ON delegations (user, agent, updated_at);
  `,
];

/**
 * Brings the schema up to date inside the caller's write transaction (so two processes
 * opening a new file at once migrate it once). Refuses a file from a newer Mandate.
 */
export function migrate(db: BetterSqlite3.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(`the store's schema (version ${version}) is newer than this Mandate knows (${MIGRATIONS.length}); upgrade Mandate`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
  if (version !== MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
}
