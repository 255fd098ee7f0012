-- A part that computes a piece of a prefix sum (`INDEX/COUNT`) and, once it finished, the
-- piece's result (base64) that its parent's settlement joins; appended, so a `SELECT *` row
-- still lists `JobRecord.columns` in order.
ALTER TABLE jobs ADD COLUMN piece TEXT;
ALTER TABLE jobs ADD COLUMN piece_result TEXT;
