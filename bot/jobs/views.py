"""A stored job as the rest of the bot reads it: its request rebuilt once, and what it shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from bot.domain.failures import FailureReason
from bot.domain.jobs import HoldState, JobRecord
from bot.domain.operations import Operation
from bot.domain.status import StoredStatus
from bot.pika.requests import PikaRequest, model_of, parse_request, prompt_of


@lru_cache(maxsize=4096)
def _parsed(request_json: str) -> PikaRequest:
    return parse_request(request_json)


def request_of(record: JobRecord) -> PikaRequest:
    """The job's validated request (parsed once per distinct stored text; models are frozen)."""
    return _parsed(record.request_json)


@dataclass(frozen=True)
class Outlook:
    """Where a job stands: its place in its server's queue, and the time to its next step."""

    ahead: int | None
    """Jobs ahead of it in the server's queue; None once it has a slot."""
    seconds: float | None
    """Waiting: until it should start. Otherwise: until it should be done (0 when overrun)."""
    overrun: bool = False
    """It took longer than its estimate: it is finishing, whatever the estimate said."""


@dataclass(frozen=True)
class JobView:
    """The facts about a job that a message shows."""

    job_id: int
    owner_id: int
    operation: Operation
    prompt: str
    model: str | None
    status: StoredStatus
    progress: int | None
    detail: str | None
    poster_url: str | None
    elapsed_seconds: float
    result_url: str | None = None
    error: str | None = None
    """The provider's own words about a failure, if it gave any."""
    error_code: FailureReason | None = None
    seed: int | None = None
    duration: float | None = None
    cost: int | None = None
    parent_job_id: int | None = None
    outlook: Outlook | None = None
    cancelled_by: int | None = None
    charged: bool = False
    """Its credits were charged (a success, or a cancel Pika could not honour)."""
    simulated: bool = False
    """Made by the built-in simulator, not by Pika: every message says so."""
    locale: str | None = None
    """The language of the job's public messages (fixed when it was made); None: English."""


def view_of(
    record: JobRecord, now: datetime, *, simulated: bool = False, outlook: Outlook | None = None
) -> JobView:
    """What a message about ``record`` shows at ``now``."""
    request = request_of(record)
    model = model_of(request)
    end = record.finished_at or now
    return JobView(
        job_id=record.id,
        owner_id=record.owner_id,
        operation=record.operation,
        prompt=prompt_of(request),
        model=model.value if model is not None else None,
        status=record.status,
        progress=record.progress,
        detail=record.status_detail,
        poster_url=record.poster_url,
        result_url=record.result_url,
        elapsed_seconds=(end - record.created_at).total_seconds(),
        error=record.error,
        error_code=record.error_code,
        seed=record.seed,
        duration=record.duration,
        cost=record.hold_cost,
        parent_job_id=record.parent_job_id,
        outlook=outlook,
        cancelled_by=record.cancelled_by,
        charged=record.hold_state is HoldState.CHARGED,
        simulated=simulated,
        locale=record.locale,
    )
