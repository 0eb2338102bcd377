-- Several bot processes may share one store: a job is worked on by the process holding its
-- lease (lease_owner until lease_expires_at; an expired lease may be claimed by another), and
-- its result is posted by the one process that claimed its delivery (set once, never cleared),
-- so two processes never post the same result.

ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_expires_at TEXT;
ALTER TABLE jobs ADD COLUMN delivery_claimed_by TEXT;
ALTER TABLE jobs ADD COLUMN delivery_claimed_at TEXT;
