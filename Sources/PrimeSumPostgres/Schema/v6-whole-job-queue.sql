-- A claim reads the oldest queued whole jobs apart from the parts.
CREATE INDEX jobs_whole_queue ON jobs (created_at) WHERE status = 'QUEUED' AND parent_id IS NULL;
