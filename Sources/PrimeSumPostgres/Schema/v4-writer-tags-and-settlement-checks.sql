-- A claim (QUEUED → IN_PROGRESS) wakes nobody: waiters wait for a job to be queued or to end,
-- and a long-poll woken by a claim only read the job again. The writing replica's tag (its
-- connections' application_name) follows the id: it announced its own change when it made it,
-- and skips the notification.
CREATE OR REPLACE FUNCTION notify_job_change() RETURNS trigger AS $$
BEGIN
    IF (TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status)
        AND NEW.status <> 'IN_PROGRESS' THEN
        PERFORM pg_notify('{{channel}}',
            CASE WHEN NEW.status = 'QUEUED' THEN 'q:' ELSE 'j:' END || NEW.id::text
                || ':' || current_setting('application_name'));
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- Split jobs from before settlement checks (`Job.settlementCheck`) are due at once.
UPDATE jobs SET lease_expires_at = 0
    WHERE status = 'IN_PROGRESS' AND part_count > 0 AND lease_expires_at IS NULL;
