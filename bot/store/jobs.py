"""Jobs as stored: created with their credit hold, moved through their states, settled once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from bot.domain.errors import QuotaExceeded, QuotaReason
from bot.domain.failures import FailureReason
from bot.domain.operations import Operation
from bot.domain.status import JobStatus
from bot.store import functions, ledger, policies, queue
from bot.store.clock import encode_time
from bot.store.database import Database
from bot.store.errors import InvalidTransitionError, JobNotFoundError
from bot.store.ledger import EntryKind
from bot.store.models import (
    NEW_JOB_COLUMNS,
    HoldState,
    JobRecord,
    NewJob,
    ProgressKind,
    StoredStatus,
    job_from_row,
    new_job_values,
)
from bot.store.policies import GuildSettings
from bot.store.quota import QuotaEngine
from bot.store.sql import Row, Tx

log = logging.getLogger(__name__)

# Same expression as the partial index jobs_unfinished, so SQLite uses it.
_UNFINISHED = (
    "(status IN ('waiting', 'pending', 'submitting', 'submitted', 'queued', 'running') "
    "OR delivered_at IS NULL)"
)


class JobStore:
    """Every read and write of jobs; credit holds go through the quota engine's check."""

    def __init__(self, db: Database, quota: QuotaEngine) -> None:
        self._db = db
        self.quota = quota
        self._server = functions.ServerFunctions(db, quota.defaults) if db.functions else None

    @property
    def database(self) -> Database:
        return self._db

    # -- creation -----------------------------------------------------------------------------

    async def create_job(
        self, new: NewJob, *, roles: Iterable[int] = (), exempt: bool = False
    ) -> JobRecord:
        """Store a job and hold its cost in one transaction; raise ``QuotaExceeded``.

        The job is ``pending`` when it got a slot, ``waiting`` when it queues behind its
        member's or server's in-flight limit or behind other waiting jobs (refused when the
        member already has as many waiting as allowed).
        ``roles`` are the member's role ids (for role allowances and unlimited roles);
        ``exempt`` is True only for the bot's owner, whose jobs never wait.
        """
        operation = Operation(new.operation)
        request_text = new.request_text()
        roles = tuple(roles)

        async def work(tx: Tx) -> JobRecord:
            await tx.lock_guild(new.guild_id)
            now = self._db.clock.now()
            if new.parent_job_id is not None:
                await _require_job(tx, new.parent_job_id, lock=False)
            settings = await policies.load_guild_settings(tx, new.guild_id, self.quota.defaults)
            plan = await self.quota.plan_hold(
                tx,
                guild_id=new.guild_id,
                user_id=new.owner_id,
                operation=operation,
                roles=roles,
                exempt=exempt,
                now=now,
                multiplier=new.cost_multiplier,
                settings=settings,
            )
            stamp = encode_time(now)
            values = new_job_values(new, request_text)
            job_id = await tx.fetchval(
                f"INSERT INTO jobs ({NEW_JOB_COLUMNS}, created_at, updated_at, hold_cost, "
                f"status, started_at) VALUES ({', '.join('?' * (len(values) + 5))}) RETURNING id",
                *values,
                stamp,
                stamp,
                plan.cost,
                "pending" if exempt else "waiting",
                stamp if exempt else None,
            )
            await tx.execute("UPDATE jobs SET queue_seq = id WHERE id = ?", job_id)
            await ledger.record_hold(
                tx, job_id, new.guild_id, new.owner_id, plan.cost, plan.from_grants, now
            )
            if not exempt:
                await self._queue_or_refuse(tx, settings, new.owner_id, job_id, now)
            return job_from_row(await _select_job(tx, job_id))

        if self._server is not None:
            job = await self._server.create_job(new, request_text, roles, exempt)
        else:
            job = await self._db.write(work)
        log.info(
            "Job %d stored: %s by user %d in guild %d, %d credits held",
            job.id,
            job.operation.value,
            job.owner_id,
            job.guild_id,
            job.hold_cost,
        )
        return job

    async def _queue_or_refuse(
        self, tx: Tx, settings: GuildSettings, owner_id: int, job_id: int, now: datetime
    ) -> None:
        """Give the new job a slot if one is free and nobody waits before it; else queue it.

        Only the new job can start here: when others wait, the engine hands the slots out
        fairly right after (``promote_waiting``), so no job ever starts unseen.
        """
        guild_id = settings.guild_id
        waiting = await queue.waiting_jobs(tx, guild_id)
        if all(job.job_id == job_id for job in waiting):
            started = await queue.promote(
                tx,
                guild_id,
                settings.max_in_flight_user,
                settings.max_in_flight_guild,
                now,
                waiting,
            )
            if job_id in started:
                return
        waiting = [job for job in waiting if job.owner_id == owner_id]
        if len(waiting) <= settings.max_queued_user:
            return
        running = (await queue.running_of(tx, guild_id, [owner_id])).get(owner_id, 0)
        # Raising rolls this write back to its savepoint: no job, no hold.
        if settings.max_queued_user == 0:
            mine_full = running >= settings.max_in_flight_user
            reason = QuotaReason.USER_CONCURRENCY if mine_full else QuotaReason.GUILD_CONCURRENCY
        else:
            reason = QuotaReason.USER_QUEUE_FULL
        raise QuotaExceeded(reason, 1, 0, running=running, waiting=len(waiting) - 1)

    async def promote_waiting(self, guild_id: int) -> list[int]:
        """Hand the server's free slots to its waiting jobs, fairly; return the jobs started."""

        async def work(tx: Tx) -> list[int]:
            await tx.lock_guild(guild_id)
            settings = await policies.load_guild_settings(tx, guild_id, self.quota.defaults)
            return await queue.promote(
                tx,
                guild_id,
                settings.max_in_flight_user,
                settings.max_in_flight_guild,
                self._db.clock.now(),
            )

        started = await self._db.write(work)
        if started:
            log.info("Guild %d: jobs %s got a slot", guild_id, started)
        return started

    async def waiting_line(self, guild_id: int) -> list[int]:
        """The server's waiting jobs, in the order they would get slots."""

        async def work(tx: Tx) -> list[int]:
            waiting = await queue.waiting_jobs(tx, guild_id)
            if not waiting:
                return []
            turns = await queue.turns_of(tx, guild_id, waiting)
            line = queue.line_order(waiting, turns, await queue.grant_counter(tx, guild_id))
            return [job.job_id for job in line]

        return await self._db.read(work)

    async def has_waiting(self, guild_id: int) -> bool:
        """Whether any job of the server waits for a slot (one indexed lookup)."""

        async def work(tx: Tx) -> bool:
            found = await tx.fetchone(
                "SELECT 1 FROM jobs WHERE guild_id = ? AND status = 'waiting' LIMIT 1", guild_id
            )
            return found is not None

        return await self._db.read(work)

    async def pending_jobs(self, guild_id: int | None = None) -> list[JobRecord]:
        """Jobs with a slot that were never sent (of one server, or of all)."""
        return await self._fetch_all(
            "SELECT * FROM jobs WHERE status = 'pending' AND (guild_id = ?1 OR ?1 IS NULL) "
            "ORDER BY id",
            guild_id,
        )

    async def guilds_with_waiting_jobs(self) -> list[int]:
        async def work(tx: Tx) -> list[int]:
            rows = await tx.fetchall(
                "SELECT DISTINCT guild_id FROM jobs WHERE status = 'waiting' ORDER BY 1"
            )
            return [row[0] for row in rows]

        return await self._db.read(work)

    async def running_jobs(self, guild_id: int) -> list[JobRecord]:
        """The server's jobs holding a slot now (for estimating when waiting ones start)."""
        return await self._fetch_all(
            "SELECT * FROM jobs WHERE guild_id = ? AND hold_state = 'held' "
            "AND status NOT IN ('waiting') ORDER BY id",
            guild_id,
        )

    # -- cancel -------------------------------------------------------------------------------

    async def request_cancel(self, job_id: int, actor_id: int) -> JobRecord | None:
        """Record that the job should stop (acted on by the engine, after a restart too).

        Returns the job as stored, or None when it had already finished.
        """

        async def work(tx: Tx) -> JobRecord | None:
            row = await _require_job(tx, job_id)
            if StoredStatus(row["status"]).finished:
                return None
            now = encode_time(self._db.clock.now())
            await tx.execute(
                "UPDATE jobs SET cancel_requested_at = COALESCE(cancel_requested_at, ?), "
                "cancelled_by = COALESCE(cancelled_by, ?), updated_at = ? WHERE id = ?",
                now,
                actor_id,
                now,
                job_id,
            )
            return job_from_row(await _select_job(tx, job_id))

        return await self._db.write(work)

    async def finish_cancelled(self, job_id: int, *, charge: bool) -> bool:
        """End a cancelled job: charge its hold (the provider made it anyway) or release it.

        False when it had already finished another way (a late cancel changes nothing).
        """

        async def work(tx: Tx) -> bool:
            row = await _require_job(tx, job_id)
            if StoredStatus(row["status"]).finished:
                return False
            now = self._db.clock.now()
            stamp = encode_time(now)
            await tx.execute(
                "UPDATE jobs SET status = 'cancelled', finished_at = ?, updated_at = ?, "
                "cancel_requested_at = COALESCE(cancel_requested_at, ?) WHERE id = ?",
                stamp,
                stamp,
                stamp,
                job_id,
            )
            held = HoldState(row["hold_state"])
            await _settle(tx, job_id, StoredStatus.CANCELLED, now, held, charge=charge)
            return True

        changed = await self._db.write(work)
        if changed:
            log.info("Job %d cancelled; hold %s", job_id, "charged" if charge else "released")
        return changed

    # -- estimates ------------------------------------------------------------------------------

    async def record_duration(
        self, provider: str, operation: Operation, model: str, seconds: float
    ) -> None:
        """Remember how long a finished job took, for estimating the next ones."""
        await self._db.write(
            lambda tx: tx.execute(
                "INSERT INTO job_durations (provider, operation, model, seconds, finished_at) "
                "VALUES (?, ?, ?, ?, ?)",
                provider,
                operation.value,
                model,
                seconds,
                encode_time(self._db.clock.now()),
            )
        )

    async def recent_durations(self, per_kind: int = 20) -> dict[tuple[str, str, str], list[float]]:
        """The latest durations per (provider, operation, model), newest first."""

        async def work(tx: Tx) -> dict[tuple[str, str, str], list[float]]:
            found: dict[tuple[str, str, str], list[float]] = {}
            for provider, operation, model, seconds in await tx.fetchall(
                "SELECT provider, operation, model, seconds FROM ("
                "  SELECT *, ROW_NUMBER() OVER (PARTITION BY provider, operation, model "
                "  ORDER BY id DESC) AS newest FROM job_durations"
                ") AS ranked WHERE newest <= ? ORDER BY id DESC",
                per_kind,
            ):
                found.setdefault((provider, operation, model), []).append(seconds)
            return found

        return await self._db.read(work)

    # -- the bot's own state ----------------------------------------------------------------------

    async def secret(self, name: str, make: Callable[[], str]) -> str:
        """The named secret, made (once ever) with ``make`` if the bot has none yet."""

        async def work(tx: Tx) -> str:
            await tx.execute(
                "INSERT INTO bot_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                name,
                make(),
            )
            value: str = await tx.fetchval("SELECT value FROM bot_secrets WHERE name = ?", name)
            return value

        return await self._db.write(work)

    async def status_counts(self) -> dict[StoredStatus, int]:
        """How many jobs are in each status (every job ever, finished ones included)."""

        async def work(tx: Tx) -> dict[StoredStatus, int]:
            rows = await tx.fetchall("SELECT status, COUNT(*) FROM jobs GROUP BY status")
            counts = {status: count for status, count in rows}
            return {status: counts.get(status.value, 0) for status in StoredStatus}

        return await self._db.read(work)

    async def ping(self) -> None:
        """Raise if the database does not answer."""
        await self._db.read(lambda tx: tx.fetchval("SELECT 1"))

    # -- progress -----------------------------------------------------------------------------

    async def set_progress_message(
        self, job_id: int, message_id: int, kind: ProgressKind | str
    ) -> None:
        """Record which message shows the job's progress."""
        kind = ProgressKind(kind)
        await self._update(
            job_id,
            "progress_message_id = ?, progress_message_kind = ?",
            message_id,
            kind.value,
        )

    async def begin_submit(self, job_id: int) -> bool:
        """Record that the submission is about to be sent; False if it was sent (or begun) before.

        Written before the request leaves, so a crash while the provider is taking it leaves a
        ``submitting`` job that is never sent again (see ``JobEngine.start``).
        """

        async def work(tx: Tx) -> bool:
            await _require_job(tx, job_id)
            now = encode_time(self._db.clock.now())
            changed = await tx.execute(
                "UPDATE jobs SET status = 'submitting', submit_started_at = ?, updated_at = ? "
                "WHERE id = ? AND status = 'pending'",
                now,
                now,
                job_id,
            )
            return changed == 1

        return await self._db.write(work)

    async def mark_submitted(self, job_id: int, provider_job_id: str) -> bool:
        """Record that the provider accepted the job; False if it was already recorded.

        Raises ``InvalidTransitionError`` if the job already has a different provider job id.
        """

        async def work(tx: Tx) -> bool:
            row = await _require_job(tx, job_id)
            if row["provider_job_id"] is not None:
                if row["provider_job_id"] != provider_job_id:
                    raise InvalidTransitionError(
                        f"job {job_id} is already provider job {row['provider_job_id']}, "
                        f"not {provider_job_id}"
                    )
                return False
            now = encode_time(self._db.clock.now())
            await tx.execute(
                "UPDATE jobs SET provider_job_id = ?, submitted_at = ?, updated_at = ?, "
                "status = CASE WHEN status IN ('pending', 'submitting') THEN 'submitted' "
                "ELSE status END WHERE id = ?",
                provider_job_id,
                now,
                now,
                job_id,
            )
            return True

        changed = await self._db.write(work)
        if changed:
            log.info("Job %d submitted as provider job %s", job_id, provider_job_id)
        return changed

    async def update_status(
        self,
        job_id: int,
        status: StoredStatus | JobStatus | str,
        *,
        progress: int | None = None,
        detail: str | None = None,
        result_url: str | None = None,
        poster_url: str | None = None,
        thumbnail_url: str | None = None,
        duration: float | None = None,
        seed: int | None = None,
        error: str | None = None,
        error_code: FailureReason | None = None,
    ) -> bool:
        """Store what the provider reported; None leaves a field as it was.

        A finished status (succeeded/failed) also settles the hold (charge/release) in the same
        transaction. A job that already finished is left alone and
        False is returned, so a late or repeated report cannot undo or redo a settlement.
        """
        new_status = StoredStatus.of(status)
        fields: dict[str, Any] = {
            "progress": progress,
            "status_detail": detail,
            "result_url": result_url,
            "poster_url": poster_url,
            "thumbnail_url": thumbnail_url,
            "duration": duration,
            "seed": seed,
            "error": error,
            "error_code": None if error_code is None else error_code.value,
        }
        changes = {column: value for column, value in fields.items() if value is not None}

        async def work(tx: Tx) -> tuple[Row, HoldState | None]:
            row = await _require_job(tx, job_id)
            if StoredStatus(row["status"]).finished:
                return row, None
            now = self._db.clock.now()
            values = {**changes, "status": new_status.value, "updated_at": encode_time(now)}
            if new_status.finished:
                values["finished_at"] = encode_time(now)
                if new_status is StoredStatus.SUCCEEDED:
                    values["progress"] = 100
            # Column names come from the fixed dict above, never from the caller.
            assignments = ", ".join(f"{column} = ?" for column in values)
            await tx.execute(
                f"UPDATE jobs SET {assignments} WHERE id = ?", *values.values(), job_id
            )
            if new_status.finished:
                return row, await _settle(tx, job_id, new_status, now, HoldState(row["hold_state"]))
            return row, HoldState(row["hold_state"])

        if self._server is not None:
            now = self._db.clock.now()
            row = await self._server.update_job(job_id, new_status.value, now, changes)
            hold = None if row["hold_state"] is None else HoldState(row["hold_state"])
        else:
            row, hold = await self._db.write(work)
        if hold is None:
            log.debug("Job %d already finished; ignored a %s report", job_id, new_status.value)
            return False
        if new_status.finished:
            log.info(
                "Job %d of user %d in guild %d %s, hold %s%s",
                job_id,
                row["owner_id"],
                row["guild_id"],
                new_status.value,
                hold.value,
                f": {error}" if error else "",
            )
        return True

    async def finish_succeeded(
        self,
        job_id: int,
        *,
        result_url: str | None = None,
        poster_url: str | None = None,
        thumbnail_url: str | None = None,
        duration: float | None = None,
        seed: int | None = None,
    ) -> bool:
        """Mark the job succeeded and charge its hold; False if it had already finished."""
        return await self.update_status(
            job_id,
            StoredStatus.SUCCEEDED,
            result_url=result_url,
            poster_url=poster_url,
            thumbnail_url=thumbnail_url,
            duration=duration,
            seed=seed,
        )

    async def finish_failed(
        self, job_id: int, error: str | None = None, *, code: FailureReason | None = None
    ) -> bool:
        """Mark the job failed (rejected, timed out...) and release its hold.

        ``code`` says why, for the bot to word; ``error`` keeps the provider's own words.
        """
        return await self.update_status(job_id, StoredStatus.FAILED, error=error, error_code=code)

    # -- delivery -----------------------------------------------------------------------------

    # -- leases: which process carries a job ----------------------------------------------

    async def renew_leases(self, owner: str, until: datetime) -> list[int]:
        """Extend every lease ``owner`` holds on an unfinished job; return those jobs."""

        async def work(tx: Tx) -> list[int]:
            rows = await tx.fetchall(
                "UPDATE jobs SET lease_expires_at = ?2 "
                f"WHERE lease_owner = ?1 AND {_UNFINISHED} RETURNING id",
                owner,
                encode_time(until),
            )
            return sorted(int(row[0]) for row in rows)

        return await self._db.write(work)

    async def claim_jobs(self, owner: str, until: datetime, limit: int = 500) -> list[int]:
        """Take over unfinished jobs nobody holds (no lease, or one that expired: its process
        died or stalled); return the jobs taken. A new job is stored with its maker's lease
        (``NewJob.lease_owner``), so only rows from before leases have none."""
        now = encode_time(self._db.clock.now())

        async def work(tx: Tx) -> list[int]:
            rows = await tx.fetchall(
                "UPDATE jobs SET lease_owner = ?1, lease_expires_at = ?2 WHERE id IN ("
                f"SELECT id FROM jobs WHERE {_UNFINISHED} AND (lease_owner IS NULL "
                "OR (lease_owner <> ?1 AND lease_expires_at < ?3)) "
                f"ORDER BY id LIMIT ?4{tx.dialect.skip_locked}) RETURNING id",
                owner,
                encode_time(until),
                now,
                limit,
            )
            return sorted(int(row[0]) for row in rows)

        return await self._db.write(work)

    async def take_lease(self, job_id: int, owner: str, until: datetime) -> bool:
        """Hold one job (a new one, or one this process must act on) unless a live lease of
        another process holds it."""
        now = encode_time(self._db.clock.now())

        async def work(tx: Tx) -> bool:
            changed = await tx.execute(
                "UPDATE jobs SET lease_owner = ?1, lease_expires_at = ?2 WHERE id = ?3 "
                "AND (lease_owner IS NULL OR lease_owner = ?1 OR lease_expires_at < ?4)",
                owner,
                encode_time(until),
                job_id,
                now,
            )
            return changed == 1

        return await self._db.write(work)

    async def claim_delivery(self, job_id: int, owner: str, stale_after: timedelta) -> int | None:
        """Claim the posting of a finished job's outcome; return the attempt number, or None
        when another process claimed it and may still be posting (since ``stale_after``)."""
        now = self._db.clock.now()

        async def work(tx: Tx) -> int | None:
            await _require_job(tx, job_id)
            row = await tx.fetchone(
                "UPDATE jobs SET delivery_attempts = delivery_attempts + 1, "
                "delivery_claimed_by = ?1, delivery_claimed_at = ?2 "
                "WHERE id = ?3 AND delivered_at IS NULL AND (delivery_claimed_by IS NULL "
                "OR delivery_claimed_by = ?1 OR delivery_claimed_at < ?4) "
                "RETURNING delivery_attempts",
                owner,
                encode_time(now),
                job_id,
                encode_time(now - stale_after),
            )
            return None if row is None else int(row[0])

        return await self._db.write(work)

    async def record_delivery_attempt(self, job_id: int) -> int:
        """Count one more attempt to post the result; return the number of attempts so far."""

        async def work(tx: Tx) -> int:
            await _require_job(tx, job_id)
            return int(
                await tx.fetchval(
                    "UPDATE jobs SET delivery_attempts = delivery_attempts + 1 WHERE id = ? "
                    "RETURNING delivery_attempts",
                    job_id,
                )
            )

        return await self._db.write(work)

    async def mark_delivered(self, job_id: int, message_id: int | None) -> bool:
        """Record that the result (or failure notice) was posted; False if already recorded.

        ``message_id`` None means delivery was given up (the channel is gone, say): the job
        then leaves ``unfinished_jobs`` all the same.
        """

        async def work(tx: Tx) -> bool:
            row = await _require_job(tx, job_id)
            if not StoredStatus(row["status"]).finished:
                raise InvalidTransitionError(f"job {job_id} is {row['status']}, not finished")
            changed = await tx.execute(
                "UPDATE jobs SET delivered_message_id = ?, delivered_at = ? "
                "WHERE id = ? AND delivered_at IS NULL",
                message_id,
                encode_time(self._db.clock.now()),
                job_id,
            )
            return changed == 1

        changed = await self._db.write(work)
        if changed:
            log.info("Job %d delivered in message %s", job_id, message_id)
        return changed

    # -- reading ------------------------------------------------------------------------------

    async def get_job(self, job_id: int) -> JobRecord | None:
        """The job, or None if there is no such id."""

        async def work(tx: Tx) -> JobRecord | None:
            row = await tx.fetchone("SELECT * FROM jobs WHERE id = ?", job_id)
            return None if row is None else job_from_row(row)

        return await self._db.read(work)

    async def unfinished_jobs(self) -> list[JobRecord]:
        """Jobs a restart must pick up: still being made, or finished but not delivered."""
        return await self._fetch_all(f"SELECT * FROM jobs WHERE {_UNFINISHED} ORDER BY id")

    async def recent_jobs(
        self, guild_id: int, user_id: int | None = None, limit: int = 10
    ) -> list[JobRecord]:
        """The newest jobs of a member (or of the whole guild when ``user_id`` is None)."""
        return await self._fetch_all(
            "SELECT * FROM jobs WHERE guild_id = ?1 AND (owner_id = ?2 OR ?2 IS NULL) "
            "ORDER BY id DESC LIMIT ?3",
            guild_id,
            user_id,
            limit,
        )

    async def search_jobs(
        self,
        guild_id: int,
        user_id: int | None,
        prefix: str,
        limit: int = 25,
        *,
        finished_only: bool = True,
    ) -> list[JobRecord]:
        """Jobs for autocomplete: the id starts with ``prefix`` or the prompt contains it."""
        text = prefix.strip().lstrip("#")
        pattern = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        dialect = self._db.dialect
        return await self._fetch_all(
            "SELECT * FROM jobs WHERE guild_id = ?1 AND (owner_id = ?2 OR ?2 IS NULL) "
            "AND (?3 = 0 OR status IN ('succeeded', 'failed')) "
            "AND (?4 = '' OR CAST(id AS TEXT) LIKE ?4 || '%' ESCAPE '\\' "
            f"     OR {dialect.json_text('request_json', 'prompt')} "
            f"        {dialect.like} '%' || ?4 || '%' ESCAPE '\\') "
            "ORDER BY id DESC LIMIT ?5",
            guild_id,
            user_id,
            int(finished_only),
            pattern,
            limit,
        )

    async def guild_settings(self, guild_id: int) -> GuildSettings:
        """The guild's effective quota and button settings."""
        return await self.quota.guild_settings(guild_id)

    # -- helpers ------------------------------------------------------------------------------

    async def _update(self, job_id: int, assignments: str, *values: Any) -> None:
        async def work(tx: Tx) -> None:
            await _require_job(tx, job_id)
            await tx.execute(
                f"UPDATE jobs SET {assignments}, updated_at = ? WHERE id = ?",
                *values,
                encode_time(self._db.clock.now()),
                job_id,
            )

        await self._db.write(work)

    async def _fetch_all(self, sql: str, *params: Any) -> list[JobRecord]:
        async def work(tx: Tx) -> list[JobRecord]:
            return [job_from_row(row) for row in await tx.fetchall(sql, *params)]

        return await self._db.read(work)


async def _require_job(tx: Tx, job_id: int, *, lock: bool = True) -> Row:
    """The job's state for a write to act on; locked until the transaction ends (PostgreSQL),
    so two writes of one job (two settlements, say) run one after the other."""
    row = await tx.fetchone(
        "SELECT owner_id, guild_id, status, provider_job_id, hold_state FROM jobs WHERE id = ?"
        + (tx.dialect.for_update if lock else ""),
        job_id,
    )
    if row is None:
        raise JobNotFoundError(job_id)
    return row


async def _select_job(tx: Tx, job_id: int) -> Row:
    row = await tx.fetchone("SELECT * FROM jobs WHERE id = ?", job_id)
    assert row is not None  # written or locked by this transaction
    return row


async def _settle(
    tx: Tx,
    job_id: int,
    status: StoredStatus,
    now: datetime,
    state: HoldState,
    *,
    charge: bool | None = None,
) -> HoldState:
    """Turn a finished job's hold into a charge or a release, once.

    ``state`` is the job's hold as read (and locked) by this transaction. A success is
    charged and a failure released; a cancelled job says which (``charge``).
    """
    if state is not HoldState.HELD or not status.finished:
        return state
    if charge is None:
        charge = status is StoredStatus.SUCCEEDED
    if charge:
        kind, state = EntryKind.CHARGE, HoldState.CHARGED
    else:
        kind, state = EntryKind.RELEASE, HoldState.RELEASED
    if not await ledger.record_settlement(tx, job_id, kind, now):
        # The ledger already has the settlement (written by another path); mirror what it says.
        settled = await tx.fetchval(
            "SELECT kind FROM ledger WHERE job_id = ? AND kind IN ('charge', 'release')", job_id
        )
        state = HoldState.CHARGED if settled == "charge" else HoldState.RELEASED
    await tx.execute("UPDATE jobs SET hold_state = ? WHERE id = ?", state.value, job_id)
    return state
