-- Jobs split into parts: a part names its parent, a split parent counts its parts.
ALTER TABLE jobs ADD COLUMN parent_id TEXT;
ALTER TABLE jobs ADD COLUMN part_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_parts ON jobs(parent_id) WHERE parent_id IS NOT NULL;
