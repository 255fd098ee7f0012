-- Which worker last ran a job (kept once it ends) and the trace it belongs to; appended, so a
-- `SELECT *` row still lists `JobRecord.columns` in order.
ALTER TABLE jobs ADD COLUMN worker TEXT;
ALTER TABLE jobs ADD COLUMN trace_context TEXT;
