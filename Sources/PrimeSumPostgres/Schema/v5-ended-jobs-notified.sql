-- A job's end carries the row itself (`JobRecord` decodes it) when it fits in a notification
-- (8,000 bytes), so a long-poll on another replica answers without reading it.
CREATE OR REPLACE FUNCTION notify_job_change() RETURNS trigger AS $$
DECLARE
    payload text;
    document text;
BEGIN
    IF (TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status)
        AND NEW.status <> 'IN_PROGRESS' THEN
        payload := CASE WHEN NEW.status = 'QUEUED' THEN 'q:' ELSE 'j:' END || NEW.id::text
            || ':' || current_setting('application_name');
        IF NEW.status IN ('FINISHED', 'FAILED', 'CANCELLED') THEN
            document := row_to_json(NEW)::text;
            IF length(payload) + length(document) < 7900 THEN
                payload := payload || ':' || document;
            END IF;
        END IF;
        PERFORM pg_notify('{{channel}}', payload);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
