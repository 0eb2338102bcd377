"""A job as the bot keeps it: what was asked, where it is shown, how far it got, what it cost."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain.failures import FailureReason
from bot.domain.operations import Operation
from bot.domain.status import StoredStatus

PERSONAL_SCOPE = 0
"""The "server" of personal use: jobs made where no server that installed the bot pays (a DM,
a group DM, or a server the member reached through their own install). Discord ids are never
0, so it cannot collide with a real server; its allowance is ``QUOTA_PERSONAL_ALLOWANCE``."""


class HoldState(StrEnum):
    """What became of a job's credit hold."""

    HELD = "held"
    CHARGED = "charged"
    RELEASED = "released"


class ProgressKind(StrEnum):
    """Which message shows a job's progress."""

    INTERACTION = "interaction"
    """The interaction's original response, editable with its token for 15 minutes."""
    CHANNEL = "channel"
    """A message of the bot's own in the channel, editable for ever."""


@dataclass(frozen=True)
class NewJob:
    """What the bot knows about a request before it is stored."""

    owner_id: int
    guild_id: int
    channel_id: int
    operation: Operation
    request_json: str | Mapping[str, Any]
    """The validated request, as JSON text or a JSON-serialisable mapping."""
    provider: str
    interaction_app_id: int | None = None
    interaction_token: str | None = None
    token_expires_at: datetime | None = None
    parent_job_id: int | None = None
    """The job whose result this one extends, upscales or rerolls."""
    upload_limit: int | None = None
    """The largest attachment Discord accepts for the result, in bytes (None: the default)."""
    cost_multiplier: float = 1.0
    """Its size and length against the operation's base cost (``bot.domain.pricing``)."""
    private: bool = False
    """Only its owner sees its messages (the member's "private results" setting)."""
    locale: str | None = None
    """The language its public messages use (``bot.ui.i18n``); None: English."""
    lease_owner: str | None = None
    """The process that makes it, which carries it from the first moment (job leases)."""
    lease_expires_at: datetime | None = None

    def request_text(self) -> str:
        if isinstance(self.request_json, str):
            json.loads(self.request_json)  # refuse text that is not JSON before storing it
            return self.request_json
        return json.dumps(self.request_json, separators=(",", ":"), sort_keys=True)

    def __repr__(self) -> str:
        # The interaction token is a credential for 15 minutes: keep it out of logs.
        return (
            f"NewJob(operation={self.operation.value}, owner_id={self.owner_id}, "
            f"guild_id={self.guild_id})"
        )


@dataclass(frozen=True)
class JobRecord:
    """One stored job; ``bot.jobs.requests.request_of`` rebuilds its request model."""

    id: int
    owner_id: int
    guild_id: int
    channel_id: int
    operation: Operation
    request_json: str
    parent_job_id: int | None
    provider: str
    provider_job_id: str | None
    status: StoredStatus
    progress: int | None
    status_detail: str | None
    result_url: str | None
    poster_url: str | None
    thumbnail_url: str | None
    duration: float | None
    seed: int | None
    error: str | None
    interaction_app_id: int | None
    interaction_token: str | None
    token_expires_at: datetime | None
    progress_message_id: int | None
    progress_message_kind: ProgressKind | None
    created_at: datetime
    submitted_at: datetime | None
    updated_at: datetime
    finished_at: datetime | None
    delivered_message_id: int | None
    delivered_at: datetime | None
    delivery_attempts: int
    hold_cost: int
    hold_state: HoldState
    upload_limit: int | None = None
    submit_started_at: datetime | None = None
    """When the submission was (first and only) sent; set before the request leaves."""
    error_code: FailureReason | None = None
    """Why it failed; ``error`` holds the provider's own words, if any."""
    queue_seq: int | None = None
    """Its place in the server's queue, in the order jobs joined it."""
    started_at: datetime | None = None
    """When it got a slot (left the queue, or never had to wait)."""
    cancel_requested_at: datetime | None = None
    """When its owner or staff asked to stop it (acted on, after a restart too)."""
    cancelled_by: int | None = None
    private: bool = False
    """Only its owner sees it: ephemeral while the interaction lives, then by DM."""
    locale: str | None = None
    """The language its public messages use, fixed when it was made; None: English."""

    @property
    def finished(self) -> bool:
        return self.status.finished

    @property
    def delivered(self) -> bool:
        """Whether the result (or the failure notice) has been posted, or delivery given up."""
        return self.delivered_at is not None

    @property
    def in_flight(self) -> bool:
        """Whether its credits are still held (counted against concurrency limits)."""
        return self.hold_state is HoldState.HELD

    def __repr__(self) -> str:
        # The interaction token is a credential for 15 minutes: keep it out of logs.
        return (
            f"JobRecord(id={self.id}, operation={self.operation.value}, owner_id={self.owner_id}, "
            f"guild_id={self.guild_id}, status={self.status.value}, "
            f"hold={self.hold_cost} {self.hold_state.value})"
        )
