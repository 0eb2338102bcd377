-- New jobs and status changes sent together: one statement carries up to a batch of each.
--
-- Why: on PostgreSQL most of a one-statement write's cost is the statement itself (its
-- transaction, the function's start, the round trip), not the rules it runs; measured on the
-- 2-core machine, a batch of ten costs about half as much per job. The bot sends a call
-- alone when nothing else is waiting, and gathers the calls that arrive while earlier ones run
-- (bot/store/batches.py); each item is still checked and written by pika_create_job or
-- pika_update_job (0005), unchanged.
--
-- Each item runs in a block of its own, so a refusal (PKQ01, PKS01, PKJ01, PKH01) undoes only
-- that item and comes back as its row; any other error fails the whole statement, which the
-- bot then sends again item by item so that only the culprit fails. Items run in guild order
-- (then as given), so two batches take their guilds' locks in one order and cannot deadlock
-- on them. A batch is at most 32 items: each block is a subtransaction, and past 64 of them a
-- transaction overflows its server's subtransaction cache (slow snapshots for everybody).

CREATE TYPE pika_new_job AS (
    owner_id bigint,
    guild_id bigint,
    channel_id bigint,
    operation text,
    request_json text,
    parent_job_id bigint,
    provider text,
    interaction_app_id bigint,
    interaction_token text,
    token_expires_at text,
    upload_limit bigint,
    private integer,
    locale text,
    lease_owner text,
    lease_expires_at text,
    now text,
    exempt boolean,
    roles bigint[],
    multiplier double precision,
    default_cost integer,
    default_allowance integer,
    default_period text,
    default_max_user integer,
    default_max_guild integer,
    default_max_queued integer,
    period text,
    timezone text,
    window_start text,
    window_end text,
    bucket_start bigint,
    bucket_end bigint
);

CREATE FUNCTION pika_create_jobs(p_items pika_new_job[])
RETURNS TABLE (item bigint, refusal text, detail text, job jobs) LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT u.* FROM unnest(p_items) WITH ORDINALITY AS u
             ORDER BY u.guild_id, u.ordinality
    LOOP
        item := r.ordinality;
        refusal := NULL;
        detail := NULL;
        BEGIN
            job := pika_create_job(
                r.owner_id, r.guild_id, r.channel_id, r.operation, r.request_json,
                r.parent_job_id, r.provider, r.interaction_app_id, r.interaction_token,
                r.token_expires_at, r.upload_limit, r.private, r.locale, r.lease_owner,
                r.lease_expires_at, r.now, r.exempt, r.roles, r.multiplier, r.default_cost,
                r.default_allowance, r.default_period, r.default_max_user, r.default_max_guild,
                r.default_max_queued, r.period, r.timezone, r.window_start, r.window_end,
                r.bucket_start, r.bucket_end);
        EXCEPTION WHEN SQLSTATE 'PKQ01' OR SQLSTATE 'PKS01' OR SQLSTATE 'PKJ01' THEN
            GET STACKED DIAGNOSTICS refusal = RETURNED_SQLSTATE, detail = PG_EXCEPTION_DETAIL;
            job := NULL;
        END;
        RETURN NEXT;
    END LOOP;
END;
$$;

CREATE TYPE pika_job_change AS (
    job_id bigint,
    status text,
    now text,
    progress integer,
    status_detail text,
    result_url text,
    poster_url text,
    thumbnail_url text,
    duration double precision,
    seed bigint,
    error text,
    error_code text
);

CREATE FUNCTION pika_update_jobs(p_items pika_job_change[])
RETURNS TABLE (item bigint, refusal text, detail text, owner_id bigint, guild_id bigint,
               hold_state text) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    r record;
BEGIN
    FOR r IN SELECT u.* FROM unnest(p_items) WITH ORDINALITY AS u
             LEFT JOIN jobs AS j ON j.id = u.job_id
             ORDER BY j.guild_id NULLS FIRST, u.job_id, u.ordinality
    LOOP
        item := r.ordinality;
        refusal := NULL;
        detail := NULL;
        BEGIN
            SELECT f.owner_id, f.guild_id, f.hold_state INTO owner_id, guild_id, hold_state
            FROM pika_update_job(r.job_id, r.status, r.now, r.progress, r.status_detail,
                                 r.result_url, r.poster_url, r.thumbnail_url, r.duration,
                                 r.seed, r.error, r.error_code) AS f;
        EXCEPTION WHEN SQLSTATE 'PKJ01' OR SQLSTATE 'PKH01' THEN
            GET STACKED DIAGNOSTICS refusal = RETURNED_SQLSTATE, detail = PG_EXCEPTION_DETAIL;
            owner_id := NULL;
            guild_id := NULL;
            hold_state := NULL;
        END;
        RETURN NEXT;
    END LOOP;
END;
$$;
