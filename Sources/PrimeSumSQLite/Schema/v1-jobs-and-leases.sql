-- The jobs table and the cleaner's lease.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY NOT NULL,
    status TEXT NOT NULL,
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    sum TEXT,
    progress REAL NOT NULL,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    expires_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    error_code TEXT,
    error_message TEXT,
    version INTEGER NOT NULL,
    lease_owner TEXT,
    lease_expires_at INTEGER,
    idempotency_key TEXT,
    owner TEXT
);
CREATE INDEX jobs_queue ON jobs(status, created_at);
CREATE UNIQUE INDEX jobs_idempotency ON jobs(COALESCE(owner, ''), idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_result ON jobs(a, b) WHERE status = 'FINISHED';
CREATE INDEX jobs_expiry ON jobs(expires_at);
CREATE TABLE leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    until INTEGER NOT NULL
);
