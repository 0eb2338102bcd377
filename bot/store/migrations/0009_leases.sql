-- Several bot processes may share one database: each carries the jobs it holds a lease on
-- (renewed while it lives; another process takes a job over once its lease expires), and a
-- job's outcome is posted by the one process that claimed its delivery.
ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_expires_at TEXT;
ALTER TABLE jobs ADD COLUMN delivery_owner TEXT;
ALTER TABLE jobs ADD COLUMN delivery_claimed_at TEXT;
