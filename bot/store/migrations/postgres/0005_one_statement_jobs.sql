-- A new job (quota check, job row, hold, slot) and a job's status change (with its charge or
-- release) each in one statement, so each is one round trip and its own transaction.
--
-- Why: a new job must hold its guild's lock from the first read of a quota to the commit of
-- its hold. Done statement by statement from the bot, that was about 17 round trips under
-- the lock, and with every member of a server queueing on it, the round trips were the
-- server's whole throughput. Run here, the lock is held only while the server works.
--
-- These are the same rules as the SQLite path (bot/store/quota.py plan_hold, jobs.py
-- create_job / _queue_or_refuse / update_status / _settle), kept in step by the store's tests,
-- which run on both backends. What the bot must decide itself comes in as arguments: the
-- defaults from its settings, and the period window (Python's time zones are the reference),
-- which this function checks against the guild's settings under the lock.
--
-- Refusals are errors with codes of their own, DETAIL a JSON object (bot/store/functions.py):
--   PKQ01 a quota refused the job     PKS01 the window was for another period or time zone
--   PKJ01 no such job                 PKH01 a finished job has no hold to settle
--
-- "Not released" is a scalar subquery by the job's id, never NOT EXISTS: as an anti join the
-- planner may read every settlement for each hold, and a function's cached plan, made while
-- the ledger was small, keeps that choice (each hold then read the whole ledger). A scalar
-- subquery stays one index lookup per hold.

-- The grant counter (MAX(turn) of a guild) without reading every member's turn.
CREATE INDEX queue_turns_by_turn ON queue_turns (guild_id, turn);

CREATE FUNCTION pika_create_job(
    p_owner_id bigint,
    p_guild_id bigint,
    p_channel_id bigint,
    p_operation text,
    p_request_json text,
    p_parent_job_id bigint,
    p_provider text,
    p_interaction_app_id bigint,
    p_interaction_token text,
    p_token_expires_at text,
    p_upload_limit bigint,
    p_private integer,
    p_locale text,                   -- the language of its public messages (0004)
    p_lease_owner text,              -- the process that made it carries it (0002)
    p_lease_expires_at text,
    p_now text,
    p_exempt boolean,
    p_roles bigint[],
    p_multiplier double precision,
    p_default_cost integer,          -- the bot's cost of p_operation
    p_default_allowance integer,
    p_default_period text,
    p_default_max_user integer,
    p_default_max_guild integer,
    p_default_max_queued integer,
    p_period text,                   -- the period and time zone p_window_* were computed for
    p_timezone text,
    p_window_start text,
    p_window_end text,
    p_bucket_start bigint,           -- guild_spend buckets of the window; NULL: sum the ledger
    p_bucket_end bigint
) RETURNS jobs LANGUAGE plpgsql AS $$
DECLARE
    s guild_settings%ROWTYPE;
    v_job jobs%ROWTYPE;
    v_cost integer;
    v_unlimited boolean;
    v_user_allowance integer;
    v_role_allowance integer;
    v_allowance integer;
    v_reason text := 'user_allowance';
    v_used bigint;
    v_left bigint;
    v_grants bigint := 0;
    v_from_grants integer := 0;
    v_spent bigint;
    v_max_user integer;
    v_max_guild integer;
    v_max_queued integer;
    v_waiting_all bigint;
    v_waiting_mine bigint;
    v_running_all bigint;
    v_running_mine bigint;
    v_start boolean := p_exempt;
BEGIN
    -- Held until this statement's transaction ends; every read below sees the holds of
    -- whoever had it before (a volatile function's statements each take a new snapshot).
    PERFORM pg_advisory_xact_lock(p_guild_id);

    IF p_parent_job_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM jobs WHERE id = p_parent_job_id)
    THEN
        RAISE EXCEPTION 'no job %', p_parent_job_id USING ERRCODE = 'PKJ01',
            DETAIL = json_build_object('job_id', p_parent_job_id)::text;
    END IF;

    SELECT * INTO s FROM guild_settings WHERE guild_id = p_guild_id;  -- all NULL when none
    SELECT credits INTO v_cost FROM guild_costs
    WHERE guild_id = p_guild_id AND operation = p_operation;
    -- credits_for (bot/domain/pricing.py): the base times the multiplier, rounded up.
    v_cost := CAST(ceil(CAST(COALESCE(v_cost, p_default_cost) AS double precision) * p_multiplier
                        - CAST(1e-9 AS double precision)) AS integer);

    IF NOT p_exempt THEN
        IF COALESCE(s.period, p_default_period) IS DISTINCT FROM p_period
           OR s.timezone IS DISTINCT FROM p_timezone THEN
            RAISE EXCEPTION 'the guild''s period changed' USING ERRCODE = 'PKS01',
                DETAIL = json_build_object('period', COALESCE(s.period, p_default_period),
                                           'timezone', s.timezone)::text;
        END IF;

        -- The member's entitlement (quota.py _entitlement).
        SELECT bool_or(unlimited = 1),
               max(allowance) FILTER (WHERE subject_kind = 'user'),
               max(allowance) FILTER (WHERE subject_kind = 'role')
        INTO v_unlimited, v_user_allowance, v_role_allowance
        FROM quota_policies
        WHERE guild_id = p_guild_id
          AND ((subject_kind = 'user' AND subject_id = p_owner_id)
               OR (subject_kind = 'role' AND subject_id = ANY (p_roles)));
        IF NOT COALESCE(v_unlimited, false) THEN
            v_allowance := COALESCE(s.default_allowance, p_default_allowance);
            IF v_user_allowance IS NOT NULL THEN
                v_allowance := v_user_allowance;
            ELSIF v_role_allowance IS NOT NULL AND v_role_allowance > v_allowance THEN
                v_allowance := v_role_allowance;
                v_reason := 'role_allowance';
            END IF;

            -- ledger.py allowance_used
            SELECT COALESCE(SUM(h.amount - h.grant_amount), 0) INTO v_used
            FROM ledger AS h
            WHERE h.kind = 'hold' AND h.guild_id = p_guild_id AND h.user_id = p_owner_id
              AND h.created_at >= p_window_start AND h.created_at < p_window_end
              AND (SELECT r.kind FROM ledger AS r WHERE r.job_id = h.job_id
                   AND r.kind IN ('charge', 'release')) IS DISTINCT FROM 'release';
            v_left := GREATEST(0, v_allowance - v_used);
            IF v_cost > v_left THEN
                -- ledger.py grant_balance
                SELECT (SELECT COALESCE(SUM(amount), 0) FROM ledger
                        WHERE guild_id = p_guild_id AND user_id = p_owner_id
                          AND kind IN ('grant', 'adjust'))
                     - (SELECT COALESCE(SUM(h.grant_amount), 0) FROM ledger AS h
                        WHERE h.guild_id = p_guild_id AND h.user_id = p_owner_id
                          AND h.kind = 'hold' AND h.grant_amount > 0
                          AND (SELECT r.kind FROM ledger AS r WHERE r.job_id = h.job_id
                               AND r.kind IN ('charge', 'release')) IS DISTINCT FROM 'release')
                INTO v_grants;
            END IF;
            IF v_cost > v_left + v_grants THEN
                RAISE EXCEPTION 'quota exceeded' USING ERRCODE = 'PKQ01',
                    DETAIL = json_build_object('reason', v_reason, 'needed', v_cost,
                                               'available', v_left + v_grants, 'window', true)::text;
            END IF;
            v_from_grants := GREATEST(0, v_cost - v_left);

            IF s.budget IS NOT NULL THEN
                IF p_bucket_start IS NOT NULL THEN  -- ledger.py guild_spend
                    SELECT COALESCE(SUM(credits), 0) INTO v_spent FROM guild_spend
                    WHERE guild_id = p_guild_id AND bucket >= p_bucket_start
                      AND bucket < p_bucket_end;
                ELSE
                    SELECT COALESCE(SUM(h.amount), 0) INTO v_spent FROM ledger AS h
                    WHERE h.kind = 'hold' AND h.guild_id = p_guild_id
                      AND h.created_at >= p_window_start AND h.created_at < p_window_end
                      AND (SELECT r.kind FROM ledger AS r WHERE r.job_id = h.job_id
                           AND r.kind IN ('charge', 'release')) IS DISTINCT FROM 'release';
                END IF;
                IF v_spent + v_cost > s.budget THEN
                    RAISE EXCEPTION 'guild budget exceeded' USING ERRCODE = 'PKQ01',
                        DETAIL = json_build_object('reason', 'guild_budget', 'needed', v_cost,
                                                   'available', GREATEST(0, s.budget - v_spent),
                                                   'window', true)::text;
                END IF;
            END IF;
        END IF;

        -- A slot now, or a place in the line (jobs.py _queue_or_refuse): the new job starts
        -- only when nobody waits before it and both limits have room.
        v_max_user := COALESCE(s.max_in_flight_user, p_default_max_user);
        v_max_guild := COALESCE(s.max_in_flight_guild, p_default_max_guild);
        v_max_queued := COALESCE(s.max_queued_user, p_default_max_queued);
        SELECT count(*), count(*) FILTER (WHERE owner_id = p_owner_id)
        INTO v_waiting_all, v_waiting_mine
        FROM jobs WHERE guild_id = p_guild_id AND status = 'waiting';
        SELECT count(*), count(*) FILTER (WHERE owner_id = p_owner_id)
        INTO v_running_all, v_running_mine
        FROM jobs WHERE guild_id = p_guild_id AND hold_state = 'held' AND status <> 'waiting';
        v_start := v_waiting_all = 0 AND v_running_all < v_max_guild
                   AND v_running_mine < v_max_user;
        IF NOT v_start AND v_waiting_mine + 1 > v_max_queued THEN
            RAISE EXCEPTION 'no room in the line' USING ERRCODE = 'PKQ01',
                DETAIL = json_build_object(
                    'reason', CASE
                        WHEN v_max_queued > 0 THEN 'user_queue_full'
                        WHEN v_running_mine >= v_max_user THEN 'user_concurrency'
                        ELSE 'guild_concurrency' END,
                    'needed', 1, 'available', 0, 'window', false,
                    'running', v_running_mine, 'waiting', v_waiting_mine)::text;
        END IF;
    END IF;

    v_job.id := nextval('jobs_id_seq');  -- the identity's sequence (0001), for queue_seq
    INSERT INTO jobs (id, owner_id, guild_id, channel_id, operation, request_json, parent_job_id,
                      provider, interaction_app_id, interaction_token, token_expires_at,
                      created_at, updated_at, hold_cost, upload_limit, status, started_at,
                      private, locale, lease_owner, lease_expires_at, queue_seq)
    VALUES (v_job.id, p_owner_id, p_guild_id, p_channel_id, p_operation, p_request_json,
            p_parent_job_id, p_provider, p_interaction_app_id, p_interaction_token,
            p_token_expires_at, p_now, p_now, v_cost, p_upload_limit,
            CASE WHEN v_start THEN 'pending' ELSE 'waiting' END,
            CASE WHEN v_start THEN p_now END, p_private, p_locale, p_lease_owner,
            p_lease_expires_at, v_job.id)
    RETURNING * INTO v_job;
    INSERT INTO ledger (kind, guild_id, user_id, amount, grant_amount, job_id, created_at)
    VALUES ('hold', p_guild_id, p_owner_id, v_cost, v_from_grants, v_job.id, p_now);
    IF v_start AND NOT p_exempt THEN
        -- queue.py promote: the member's turn is the guild's next grant.
        INSERT INTO queue_turns (guild_id, user_id, turn)
        VALUES (p_guild_id, p_owner_id,
                COALESCE((SELECT max(turn) FROM queue_turns WHERE guild_id = p_guild_id), 0) + 1)
        ON CONFLICT (guild_id, user_id) DO UPDATE SET turn = excluded.turn;
    END IF;
    RETURN v_job;
END;
$$;

-- jobs.py update_status: store what the provider reported (NULL leaves a field as it was);
-- a finished status also charges (succeeded) or releases (failed, cancelled) the hold, once.
-- Returns the job's owner and guild, and its hold as it is now: NULL when the job had
-- already finished (nothing was changed).
CREATE FUNCTION pika_update_job(
    p_job_id bigint,
    p_status text,
    p_now text,
    p_progress integer,
    p_status_detail text,
    p_result_url text,
    p_poster_url text,
    p_thumbnail_url text,
    p_duration double precision,
    p_seed bigint,
    p_error text,
    p_error_code text
) RETURNS TABLE (owner_id bigint, guild_id bigint, hold_state text) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_owner bigint;
    v_guild bigint;
    v_status text;
    v_hold text;
    v_kind text;
    v_finished boolean := p_status IN ('succeeded', 'failed', 'cancelled');
BEGIN
    SELECT j.owner_id, j.guild_id, j.status, j.hold_state INTO v_owner, v_guild, v_status, v_hold
    FROM jobs AS j WHERE j.id = p_job_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no job %', p_job_id USING ERRCODE = 'PKJ01',
            DETAIL = json_build_object('job_id', p_job_id)::text;
    END IF;
    IF v_status IN ('succeeded', 'failed', 'cancelled') THEN
        RETURN QUERY SELECT v_owner, v_guild, CAST(NULL AS text);
        RETURN;
    END IF;

    IF v_finished AND v_hold = 'held' THEN
        v_kind := CASE WHEN p_status = 'succeeded' THEN 'charge' ELSE 'release' END;
        -- The unique index on settlements makes a second settlement of either kind a no-op.
        INSERT INTO ledger (kind, guild_id, user_id, amount, grant_amount, job_id, created_at)
        SELECT v_kind, h.guild_id, h.user_id, h.amount, h.grant_amount, h.job_id, p_now
        FROM ledger AS h WHERE h.job_id = p_job_id AND h.kind = 'hold'
        ON CONFLICT DO NOTHING;
        IF FOUND THEN
            v_hold := CASE v_kind WHEN 'charge' THEN 'charged' ELSE 'released' END;
        ELSE
            IF NOT EXISTS (SELECT 1 FROM ledger AS h WHERE h.job_id = p_job_id AND h.kind = 'hold')
            THEN
                RAISE EXCEPTION 'job % has no credit hold to settle', p_job_id
                    USING ERRCODE = 'PKH01', DETAIL = json_build_object('job_id', p_job_id)::text;
            END IF;
            -- Settled already (by another path): mirror what the ledger says.
            SELECT CASE WHEN l.kind = 'charge' THEN 'charged' ELSE 'released' END INTO v_hold
            FROM ledger AS l WHERE l.job_id = p_job_id AND l.kind IN ('charge', 'release');
        END IF;
    END IF;

    UPDATE jobs AS j SET
        status = p_status,
        updated_at = p_now,
        progress = CASE WHEN p_status = 'succeeded' THEN 100 ELSE COALESCE(p_progress, j.progress) END,
        status_detail = COALESCE(p_status_detail, j.status_detail),
        result_url = COALESCE(p_result_url, j.result_url),
        poster_url = COALESCE(p_poster_url, j.poster_url),
        thumbnail_url = COALESCE(p_thumbnail_url, j.thumbnail_url),
        duration = COALESCE(p_duration, j.duration),
        seed = COALESCE(p_seed, j.seed),
        error = COALESCE(p_error, j.error),
        error_code = COALESCE(p_error_code, j.error_code),
        finished_at = CASE WHEN v_finished THEN p_now ELSE j.finished_at END,
        hold_state = v_hold
    WHERE j.id = p_job_id;
    RETURN QUERY SELECT v_owner, v_guild, v_hold;
END;
$$;
