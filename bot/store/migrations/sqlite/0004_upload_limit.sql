-- Discord tells each interaction how large an attachment may be (boosted servers allow more);
-- the result must be posted under that limit, possibly long after a restart, so keep it.
ALTER TABLE jobs ADD COLUMN upload_limit INTEGER CHECK (upload_limit > 0);
