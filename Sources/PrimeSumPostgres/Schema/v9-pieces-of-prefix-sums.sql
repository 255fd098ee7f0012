-- A part that computes a piece of a prefix sum (`INDEX/COUNT`) and, once it finished, the
-- piece's result (base64) that its parent's settlement joins.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS piece text;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS piece_result text;
