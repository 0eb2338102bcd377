-- In step with SQLite's 0007: job leases and the delivery claim (see there).

ALTER TABLE jobs ADD COLUMN lease_owner text;
ALTER TABLE jobs ADD COLUMN lease_expires_at text COLLATE "C";
ALTER TABLE jobs ADD COLUMN delivery_claimed_by text;
ALTER TABLE jobs ADD COLUMN delivery_claimed_at text COLLATE "C";
