-- A submission is recorded before it leaves: status 'submitting' with submit_started_at, so a
-- restart never sends a job twice that may already have reached the provider. The job statuses
-- are now checked by a trigger instead of a CHECK constraint, so later statuses need no table
-- rebuild, and the never-used next_poll_at column goes. SQLite changes a constraint only by
-- rebuilding the table (the runner turns foreign keys off around this migration and checks
-- them before committing). A failure now keeps its reason as a code (error_code, worded by
-- the bot in the reader's language) beside the provider's own words (error).

CREATE TABLE jobs_rebuilt (
    id                    INTEGER PRIMARY KEY,
    owner_id              INTEGER NOT NULL,
    guild_id              INTEGER NOT NULL,
    channel_id            INTEGER NOT NULL,
    operation             TEXT    NOT NULL,
    request_json          TEXT    NOT NULL,
    parent_job_id         INTEGER REFERENCES jobs (id),
    provider              TEXT    NOT NULL,
    provider_job_id       TEXT,
    status                TEXT    NOT NULL DEFAULT 'pending',
    progress              INTEGER CHECK (progress BETWEEN 0 AND 100),
    status_detail         TEXT,
    result_url            TEXT,
    poster_url            TEXT,
    thumbnail_url         TEXT,
    duration              REAL,
    seed                  INTEGER,
    error                 TEXT,
    error_code            TEXT,
    interaction_app_id    INTEGER,
    interaction_token     TEXT,
    token_expires_at      TEXT,
    progress_message_id   INTEGER,
    progress_message_kind TEXT CHECK (progress_message_kind IN ('interaction', 'channel')),
    created_at            TEXT    NOT NULL,
    submit_started_at     TEXT,
    submitted_at          TEXT,
    updated_at            TEXT    NOT NULL,
    finished_at           TEXT,
    delivered_message_id  INTEGER,
    delivered_at          TEXT,
    delivery_attempts     INTEGER NOT NULL DEFAULT 0,
    hold_cost             INTEGER NOT NULL CHECK (hold_cost >= 0),
    hold_state            TEXT    NOT NULL DEFAULT 'held'
                              CHECK (hold_state IN ('held', 'charged', 'released')),
    upload_limit          INTEGER CHECK (upload_limit > 0)
);

INSERT INTO jobs_rebuilt (
    id, owner_id, guild_id, channel_id, operation, request_json, parent_job_id, provider,
    provider_job_id, status, progress, status_detail, result_url, poster_url, thumbnail_url,
    duration, seed, error, interaction_app_id, interaction_token, token_expires_at,
    progress_message_id, progress_message_kind, created_at, submitted_at, updated_at,
    finished_at, delivered_message_id, delivered_at, delivery_attempts, hold_cost, hold_state,
    upload_limit
)
SELECT
    id, owner_id, guild_id, channel_id, operation, request_json, parent_job_id, provider,
    provider_job_id, status, progress, status_detail, result_url, poster_url, thumbnail_url,
    duration, seed, error, interaction_app_id, interaction_token, token_expires_at,
    progress_message_id, progress_message_kind, created_at, submitted_at, updated_at,
    finished_at, delivered_message_id, delivered_at, delivery_attempts, hold_cost, hold_state,
    upload_limit
FROM jobs;

DROP TABLE jobs;
ALTER TABLE jobs_rebuilt RENAME TO jobs;

CREATE INDEX jobs_by_owner ON jobs (guild_id, owner_id, id);
CREATE INDEX jobs_in_flight ON jobs (guild_id, owner_id) WHERE hold_state = 'held';
CREATE UNIQUE INDEX jobs_by_provider_job ON jobs (provider, provider_job_id)
    WHERE provider_job_id IS NOT NULL;
CREATE INDEX jobs_unfinished ON jobs (id)
    WHERE status IN ('pending', 'submitting', 'submitted', 'queued', 'running')
       OR delivered_at IS NULL;

CREATE TRIGGER jobs_status_is_known_insert BEFORE INSERT ON jobs
WHEN NEW.status NOT IN
    ('pending', 'submitting', 'submitted', 'queued', 'running', 'succeeded', 'failed')
BEGIN
    SELECT RAISE(ABORT, 'unknown job status');
END;

CREATE TRIGGER jobs_status_is_known_update BEFORE UPDATE OF status ON jobs
WHEN NEW.status NOT IN
    ('pending', 'submitting', 'submitted', 'queued', 'running', 'succeeded', 'failed')
BEGIN
    SELECT RAISE(ABORT, 'unknown job status');
END;
