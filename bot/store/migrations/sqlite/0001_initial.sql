-- Jobs, the credit ledger and the quota settings.
-- Instants are UTC text 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (fixed width, so they sort and compare as
-- text); Discord ids are plain integers; operations are bot.pika.job.Operation values.

-- One row per video request, written (with its credit hold) before anything is sent to Pika.
CREATE TABLE jobs (
    id                    INTEGER PRIMARY KEY,
    owner_id              INTEGER NOT NULL,
    guild_id              INTEGER NOT NULL,
    channel_id            INTEGER NOT NULL,
    operation             TEXT    NOT NULL,
    request_json          TEXT    NOT NULL,
    parent_job_id         INTEGER REFERENCES jobs (id),
    provider              TEXT    NOT NULL,
    provider_job_id       TEXT,
    status                TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN
                              ('pending', 'submitted', 'queued', 'running', 'succeeded', 'failed')),
    progress              INTEGER CHECK (progress BETWEEN 0 AND 100),
    status_detail         TEXT,
    result_url            TEXT,
    poster_url            TEXT,
    thumbnail_url         TEXT,
    duration              REAL,
    seed                  INTEGER,
    error                 TEXT,
    -- Where the job is shown: the interaction's original response while its token lives,
    -- then a message of the bot's own in the channel.
    interaction_app_id    INTEGER,
    interaction_token     TEXT,
    token_expires_at      TEXT,
    progress_message_id   INTEGER,
    progress_message_kind TEXT CHECK (progress_message_kind IN ('interaction', 'channel')),
    created_at            TEXT    NOT NULL,
    submitted_at          TEXT,
    updated_at            TEXT    NOT NULL,
    finished_at           TEXT,
    next_poll_at          TEXT,
    delivered_message_id  INTEGER,
    delivered_at          TEXT,
    delivery_attempts     INTEGER NOT NULL DEFAULT 0,
    -- Mirror of the job's ledger rows, written in the same transactions, so "in flight"
    -- (held and not settled) is one indexed lookup.
    hold_cost             INTEGER NOT NULL CHECK (hold_cost >= 0),
    hold_state            TEXT    NOT NULL DEFAULT 'held'
                              CHECK (hold_state IN ('held', 'charged', 'released'))
);

CREATE INDEX jobs_by_owner ON jobs (guild_id, owner_id, id);
CREATE INDEX jobs_in_flight ON jobs (guild_id, owner_id) WHERE hold_state = 'held';
CREATE UNIQUE INDEX jobs_by_provider_job ON jobs (provider, provider_job_id)
    WHERE provider_job_id IS NOT NULL;

-- Credits are a ledger, not a counter: balances are sums over rows, and the rows of one job
-- (one hold, then one charge or one release) are unique, so settling twice is a no-op.
-- amount is always >= 0 except for 'adjust'; its meaning comes from kind:
--   hold     credits set aside for a job; grant_amount of them come from the user's grants
--   charge   the job succeeded: its hold is spent for good
--   release  the job failed: its hold is given back (allowance and grants alike)
--   grant    one-off credits for a user that do not expire with the period
--   adjust   an admin's correction of a user's grant balance (may be negative)
CREATE TABLE ledger (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL CHECK (kind IN ('hold', 'charge', 'release', 'grant', 'adjust')),
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    amount       INTEGER NOT NULL,
    grant_amount INTEGER NOT NULL DEFAULT 0 CHECK (grant_amount BETWEEN 0 AND max(amount, 0)),
    job_id       INTEGER REFERENCES jobs (id),
    created_at   TEXT    NOT NULL,
    actor_id     INTEGER,
    reason       TEXT,
    CHECK ((kind IN ('hold', 'charge', 'release')) = (job_id IS NOT NULL)),
    CHECK (kind = 'adjust' OR amount >= 0)
);

CREATE UNIQUE INDEX ledger_one_hold_per_job ON ledger (job_id) WHERE kind = 'hold';
CREATE UNIQUE INDEX ledger_one_settlement_per_job ON ledger (job_id)
    WHERE kind IN ('charge', 'release');
CREATE INDEX ledger_holds_by_user ON ledger (guild_id, user_id, created_at) WHERE kind = 'hold';
CREATE INDEX ledger_grants_by_user ON ledger (guild_id, user_id) WHERE kind IN ('grant', 'adjust');
-- Holds paid (partly) from grants, so a grant balance never reads a user's whole history.
CREATE INDEX ledger_grant_holds_by_user ON ledger (guild_id, user_id)
    WHERE kind = 'hold' AND grant_amount > 0;

CREATE TRIGGER ledger_is_append_only_update BEFORE UPDATE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'the credit ledger is append-only');
END;

CREATE TRIGGER ledger_is_append_only_delete BEFORE DELETE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'the credit ledger is append-only');
END;

-- What a guild changed from the bot's defaults; NULL means "use the default".
CREATE TABLE guild_settings (
    guild_id            INTEGER PRIMARY KEY,
    timezone            TEXT,
    period              TEXT CHECK (period IN ('day', 'week', 'month')),
    default_allowance   INTEGER CHECK (default_allowance >= 0),
    budget              INTEGER CHECK (budget >= 0),
    max_in_flight_user  INTEGER CHECK (max_in_flight_user >= 1),
    max_in_flight_guild INTEGER CHECK (max_in_flight_guild >= 1),
    updated_at          TEXT NOT NULL
);

CREATE TABLE guild_costs (
    guild_id  INTEGER NOT NULL,
    operation TEXT    NOT NULL,
    credits   INTEGER NOT NULL CHECK (credits >= 0),
    PRIMARY KEY (guild_id, operation)
) WITHOUT ROWID;

-- Per-role allowances, per-user overrides, and unlimited roles or users.
CREATE TABLE quota_policies (
    guild_id     INTEGER NOT NULL,
    subject_kind TEXT    NOT NULL CHECK (subject_kind IN ('role', 'user')),
    subject_id   INTEGER NOT NULL,
    allowance    INTEGER CHECK (allowance >= 0),
    unlimited    INTEGER NOT NULL DEFAULT 0 CHECK (unlimited IN (0, 1)),
    updated_at   TEXT    NOT NULL,
    PRIMARY KEY (guild_id, subject_kind, subject_id)
) WITHOUT ROWID;
