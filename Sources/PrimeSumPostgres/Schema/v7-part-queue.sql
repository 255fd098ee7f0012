-- A claim reads the oldest queued parts apart from the whole jobs: without this index, a
-- backlog of whole jobs is scanned to find the first part.
CREATE INDEX jobs_part_queue ON jobs (created_at) WHERE status = 'QUEUED' AND parent_id IS NOT NULL;
