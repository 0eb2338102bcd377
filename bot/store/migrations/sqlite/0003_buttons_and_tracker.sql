-- Guilds may let anyone press a result's buttons (not only the job's owner), and the job
-- engine's restart scan and poll scheduler need their rows without reading the whole table.

ALTER TABLE guild_settings
    ADD COLUMN anyone_can_press INTEGER NOT NULL DEFAULT 0 CHECK (anyone_can_press IN (0, 1));

-- Jobs still being made, or finished but whose result or failure notice is not posted yet.
CREATE INDEX jobs_unfinished ON jobs (id)
    WHERE status IN ('pending', 'submitted', 'queued', 'running') OR delivered_at IS NULL;

CREATE INDEX jobs_by_next_poll ON jobs (next_poll_at) WHERE next_poll_at IS NOT NULL;
