-- A fair queue instead of a refusal, cancel, estimated times, and the webhook secret.
--
-- A job that cannot start yet (its member or server is at its in-flight limit) is stored as
-- 'waiting', with its credits held and its place (queue_seq) kept; slots are handed out
-- round-robin between the members of a server, by the turn each member last got (queue_turns),
-- so a restart keeps the order. A job may end 'cancelled' (its hold charged or released, as
-- the provider allows). Durations of finished jobs give estimated times. Secrets the bot makes
-- for itself (the webhook signing key) are kept here, never in logs.

DROP TRIGGER jobs_status_is_known_insert;
DROP TRIGGER jobs_status_is_known_update;

CREATE TRIGGER jobs_status_is_known_insert BEFORE INSERT ON jobs
WHEN NEW.status NOT IN ('waiting', 'pending', 'submitting', 'submitted', 'queued', 'running',
                        'succeeded', 'failed', 'cancelled')
BEGIN
    SELECT RAISE(ABORT, 'unknown job status');
END;

CREATE TRIGGER jobs_status_is_known_update BEFORE UPDATE OF status ON jobs
WHEN NEW.status NOT IN ('waiting', 'pending', 'submitting', 'submitted', 'queued', 'running',
                        'succeeded', 'failed', 'cancelled')
BEGIN
    SELECT RAISE(ABORT, 'unknown job status');
END;

ALTER TABLE jobs ADD COLUMN queue_seq INTEGER;
ALTER TABLE jobs ADD COLUMN started_at TEXT;
ALTER TABLE jobs ADD COLUMN cancel_requested_at TEXT;
ALTER TABLE jobs ADD COLUMN cancelled_by INTEGER;

DROP INDEX jobs_unfinished;
CREATE INDEX jobs_unfinished ON jobs (id)
    WHERE status IN ('waiting', 'pending', 'submitting', 'submitted', 'queued', 'running')
       OR delivered_at IS NULL;
CREATE INDEX jobs_waiting ON jobs (guild_id, queue_seq) WHERE status = 'waiting';
CREATE INDEX jobs_pending ON jobs (guild_id) WHERE status = 'pending';

CREATE TABLE queue_turns (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    turn     INTEGER NOT NULL,  -- the server's grant counter when this member last got a slot
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

ALTER TABLE guild_settings ADD COLUMN max_queued_user INTEGER CHECK (max_queued_user >= 0);

CREATE TABLE job_durations (
    id          INTEGER PRIMARY KEY,
    provider    TEXT NOT NULL,
    operation   TEXT NOT NULL,
    model       TEXT NOT NULL DEFAULT '',
    seconds     REAL NOT NULL CHECK (seconds >= 0),
    finished_at TEXT NOT NULL
);
CREATE INDEX job_durations_by_kind ON job_durations (provider, operation, model, id);

CREATE TABLE bot_secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
