-- Split jobs from before settlement checks (`Job.settlementCheck`) are due at once.
UPDATE jobs SET lease_expires_at = 0 WHERE status = 'IN_PROGRESS' AND part_count > 0 AND lease_expires_at IS NULL;
