-- The jobs table, the cleaner's lease, and the trigger that notifies a change of status on the
-- schema's channel ({{channel}} is replaced by its name).
CREATE TABLE jobs (
    id uuid PRIMARY KEY,
    status text NOT NULL,
    a text NOT NULL,
    b text NOT NULL,
    sum text,
    progress double precision NOT NULL,
    created_at bigint NOT NULL,
    started_at bigint,
    finished_at bigint,
    expires_at bigint NOT NULL,
    attempts integer NOT NULL,
    error_code text,
    error_message text,
    version bigint NOT NULL,
    lease_owner text,
    lease_expires_at bigint,
    idempotency_key text,
    owner text
);

CREATE INDEX jobs_queue ON jobs (created_at) WHERE status = 'QUEUED';

CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE status = 'IN_PROGRESS';

CREATE UNIQUE INDEX jobs_idempotency ON jobs (COALESCE(owner, ''), idempotency_key)
    WHERE idempotency_key IS NOT NULL;

CREATE INDEX jobs_result ON jobs (a, b) WHERE status = 'FINISHED';

CREATE INDEX jobs_expiry ON jobs (expires_at) WHERE status IN ('FINISHED', 'FAILED', 'CANCELLED');

CREATE TABLE leases (name text PRIMARY KEY, holder text NOT NULL, until bigint NOT NULL);

CREATE FUNCTION notify_job_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
        PERFORM pg_notify('{{channel}}',
            CASE WHEN NEW.status = 'QUEUED' THEN 'q:' ELSE 'j:' END || NEW.id::text);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE ON jobs
    FOR EACH ROW EXECUTE FUNCTION notify_job_change();
