"""Jobs as stored: created with their credit hold, moved through their states, settled once."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.domain.failures import FailureReason
from bot.domain.operations import Operation
from bot.domain.status import JobStatus
from bot.store import ledger
from bot.store.clock import encode_optional_time, encode_time
from bot.store.database import Database
from bot.store.errors import InvalidTransitionError, JobNotFoundError
from bot.store.ledger import EntryKind
from bot.store.models import HoldState, JobRecord, NewJob, ProgressKind, StoredStatus, job_from_row
from bot.store.policies import GuildSettings
from bot.store.quota import QuotaEngine

log = logging.getLogger(__name__)

# Same expression as the partial index jobs_unfinished, so SQLite uses it.
_UNFINISHED = (
    "(status IN ('pending', 'submitting', 'submitted', 'queued', 'running') "
    "OR delivered_at IS NULL)"
)


class JobStore:
    """Every read and write of jobs; credit holds go through the quota engine's check."""

    def __init__(self, db: Database, quota: QuotaEngine) -> None:
        self._db = db
        self.quota = quota

    # -- creation -----------------------------------------------------------------------------

    async def create_job(
        self, new: NewJob, *, roles: Iterable[int] = (), exempt: bool = False
    ) -> JobRecord:
        """Store a pending job and hold its cost in one transaction; raise ``QuotaExceeded``.

        ``roles`` are the member's role ids (for role allowances and unlimited roles);
        ``exempt`` is True only for the bot's owner.
        """
        operation = Operation(new.operation)
        request_text = new.request_text()
        roles = tuple(roles)

        def work(raw: sqlite3.Connection) -> JobRecord:
            now = self._db.clock.now()
            if new.parent_job_id is not None:
                _require_job(raw, new.parent_job_id)
            plan = self.quota.plan_hold(
                raw,
                guild_id=new.guild_id,
                user_id=new.owner_id,
                operation=operation,
                roles=roles,
                exempt=exempt,
                now=now,
            )
            stamp = encode_time(now)
            row = raw.execute(
                "INSERT INTO jobs (owner_id, guild_id, channel_id, operation, request_json, "
                "parent_job_id, provider, interaction_app_id, interaction_token, "
                "token_expires_at, created_at, updated_at, hold_cost, upload_limit) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (
                    new.owner_id,
                    new.guild_id,
                    new.channel_id,
                    operation.value,
                    request_text,
                    new.parent_job_id,
                    new.provider,
                    new.interaction_app_id,
                    new.interaction_token,
                    encode_optional_time(new.token_expires_at),
                    stamp,
                    stamp,
                    plan.cost,
                    new.upload_limit,
                ),
            ).fetchone()
            ledger.record_hold(
                raw, row["id"], new.guild_id, new.owner_id, plan.cost, plan.from_grants, now
            )
            return job_from_row(row)

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

    # -- progress -----------------------------------------------------------------------------

    async def set_progress_message(
        self, job_id: int, message_id: int, kind: ProgressKind | str
    ) -> None:
        """Record which message shows the job's progress."""
        kind = ProgressKind(kind)
        await self._update(
            job_id,
            "progress_message_id = ?, progress_message_kind = ?",
            (message_id, kind.value),
        )

    async def begin_submit(self, job_id: int) -> bool:
        """Record that the submission is about to be sent; False if it was sent (or begun) before.

        Written before the request leaves, so a crash while the provider is taking it leaves a
        ``submitting`` job that is never sent again (see ``JobEngine.start``).
        """

        def work(raw: sqlite3.Connection) -> bool:
            _require_job(raw, job_id)
            now = encode_time(self._db.clock.now())
            cursor = raw.execute(
                "UPDATE jobs SET status = 'submitting', submit_started_at = ?, updated_at = ? "
                "WHERE id = ? AND status = 'pending'",
                (now, now, job_id),
            )
            return cursor.rowcount == 1

        return await self._db.write(work)

    async def mark_submitted(self, job_id: int, provider_job_id: str) -> bool:
        """Record that the provider accepted the job; False if it was already recorded.

        Raises ``InvalidTransitionError`` if the job already has a different provider job id.
        """

        def work(raw: sqlite3.Connection) -> bool:
            row = _require_job(raw, job_id)
            if row["provider_job_id"] is not None:
                if row["provider_job_id"] != provider_job_id:
                    raise InvalidTransitionError(
                        f"job {job_id} is already provider job {row['provider_job_id']}, "
                        f"not {provider_job_id}"
                    )
                return False
            now = encode_time(self._db.clock.now())
            raw.execute(
                "UPDATE jobs SET provider_job_id = ?, submitted_at = ?, updated_at = ?, "
                "status = CASE WHEN status IN ('pending', 'submitting') THEN 'submitted' "
                "ELSE status END WHERE id = ?",
                (provider_job_id, now, now, job_id),
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

        def work(raw: sqlite3.Connection) -> tuple[sqlite3.Row, HoldState | None]:
            row = _require_job(raw, job_id)
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
            raw.execute(f"UPDATE jobs SET {assignments} WHERE id = ?", (*values.values(), job_id))
            if new_status.finished:
                return row, _settle(raw, job_id, new_status, now)
            return row, HoldState(row["hold_state"])

        row, hold = await self._db.write(work)
        if hold is None:
            log.debug("Job %d already finished; ignored a %s report", job_id, new_status.value)
            return False
        if new_status.finished:
            log.info(
                "Job %d of user %d in guild %d %s, hold %s%s",
                job_id, row["owner_id"], row["guild_id"], new_status.value, hold.value,
                f": {error}" if error else "",
            )  # fmt: skip
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

    async def record_delivery_attempt(self, job_id: int) -> int:
        """Count one more attempt to post the result; return the number of attempts so far."""

        def work(raw: sqlite3.Connection) -> int:
            _require_job(raw, job_id)
            return int(
                raw.execute(
                    "UPDATE jobs SET delivery_attempts = delivery_attempts + 1 WHERE id = ? "
                    "RETURNING delivery_attempts",
                    (job_id,),
                ).fetchone()[0]
            )

        return await self._db.write(work)

    async def mark_delivered(self, job_id: int, message_id: int | None) -> bool:
        """Record that the result (or failure notice) was posted; False if already recorded.

        ``message_id`` None means delivery was given up (the channel is gone, say): the job
        then leaves ``unfinished_jobs`` all the same.
        """

        def work(raw: sqlite3.Connection) -> bool:
            row = _require_job(raw, job_id)
            if not StoredStatus(row["status"]).finished:
                raise InvalidTransitionError(f"job {job_id} is {row['status']}, not finished")
            cursor = raw.execute(
                "UPDATE jobs SET delivered_message_id = ?, delivered_at = ? "
                "WHERE id = ? AND delivered_at IS NULL",
                (message_id, encode_time(self._db.clock.now()), job_id),
            )
            return cursor.rowcount == 1

        changed = await self._db.write(work)
        if changed:
            log.info("Job %d delivered in message %s", job_id, message_id)
        return changed

    # -- reading ------------------------------------------------------------------------------

    async def get_job(self, job_id: int) -> JobRecord | None:
        """The job, or None if there is no such id."""

        def work(raw: sqlite3.Connection) -> JobRecord | None:
            row = raw.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            return None if row is None else job_from_row(row)

        return await self._db.read(work)

    async def unfinished_jobs(self) -> list[JobRecord]:
        """Jobs a restart must pick up: still being made, or finished but not delivered."""
        return await self._fetch_all(f"SELECT * FROM jobs WHERE {_UNFINISHED} ORDER BY id", ())

    async def recent_jobs(
        self, guild_id: int, user_id: int | None = None, limit: int = 10
    ) -> list[JobRecord]:
        """The newest jobs of a member (or of the whole guild when ``user_id`` is None)."""
        return await self._fetch_all(
            "SELECT * FROM jobs WHERE guild_id = ?1 AND (?2 IS NULL OR owner_id = ?2) "
            "ORDER BY id DESC LIMIT ?3",
            (guild_id, user_id, limit),
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
        return await self._fetch_all(
            "SELECT * FROM jobs WHERE guild_id = ?1 AND (?2 IS NULL OR owner_id = ?2) "
            "AND (?3 = 0 OR status IN ('succeeded', 'failed')) "
            "AND (?4 = '' OR CAST(id AS TEXT) LIKE ?4 || '%' ESCAPE '\\' "
            "     OR json_extract(request_json, '$.prompt') LIKE '%' || ?4 || '%' ESCAPE '\\') "
            "ORDER BY id DESC LIMIT ?5",
            (guild_id, user_id, int(finished_only), pattern, limit),
        )

    async def guild_settings(self, guild_id: int) -> GuildSettings:
        """The guild's effective quota and button settings."""
        return await self.quota.guild_settings(guild_id)

    # -- helpers ------------------------------------------------------------------------------

    async def _update(self, job_id: int, assignments: str, values: tuple[Any, ...]) -> None:
        def work(raw: sqlite3.Connection) -> None:
            _require_job(raw, job_id)
            raw.execute(
                f"UPDATE jobs SET {assignments}, updated_at = ? WHERE id = ?",
                (*values, encode_time(self._db.clock.now()), job_id),
            )

        await self._db.write(work)

    async def _fetch_one(self, sql: str, params: tuple[Any, ...]) -> JobRecord | None:
        def work(raw: sqlite3.Connection) -> JobRecord | None:
            row = raw.execute(sql, params).fetchone()
            return None if row is None else job_from_row(row)

        return await self._db.read(work)

    async def _fetch_all(self, sql: str, params: tuple[Any, ...]) -> list[JobRecord]:
        return await self._db.read(
            lambda raw: [job_from_row(row) for row in raw.execute(sql, params)]
        )


def _require_job(raw: sqlite3.Connection, job_id: int) -> sqlite3.Row:
    row = raw.execute(
        "SELECT owner_id, guild_id, status, provider_job_id, hold_state FROM jobs WHERE id = ?",
        (job_id,),
    ).fetchone()
    if row is None:
        raise JobNotFoundError(job_id)
    assert isinstance(row, sqlite3.Row)
    return row


def _settle(raw: sqlite3.Connection, job_id: int, status: StoredStatus, now: datetime) -> HoldState:
    """Turn a finished job's hold into a charge or a release, once."""
    state = HoldState(
        raw.execute("SELECT hold_state FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]
    )
    if state is not HoldState.HELD or not status.finished:
        return state
    if status is StoredStatus.SUCCEEDED:
        kind, state = EntryKind.CHARGE, HoldState.CHARGED
    else:
        kind, state = EntryKind.RELEASE, HoldState.RELEASED
    if not ledger.record_settlement(raw, job_id, kind, now):
        # The ledger already has the settlement (written by another path); mirror what it says.
        kind_row = raw.execute(
            "SELECT kind FROM ledger WHERE job_id = ? AND kind IN ('charge', 'release')",
            (job_id,),
        ).fetchone()
        state = HoldState.CHARGED if kind_row[0] == "charge" else HoldState.RELEASED
    raw.execute("UPDATE jobs SET hold_state = ? WHERE id = ?", (state.value, job_id))
    return state
