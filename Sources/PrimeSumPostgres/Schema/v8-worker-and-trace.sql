-- Which worker last ran a job (kept once it ends) and the trace it belongs to.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS worker text;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS trace_context text;
