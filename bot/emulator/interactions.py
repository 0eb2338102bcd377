"""Interaction records: who did what, how and when the bot answered, and what it got wrong."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.clock import Clock

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5

# Callback types.
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9
CALLBACK_TYPES = {
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    UPDATE_MESSAGE,
    AUTOCOMPLETE_RESULT,
    MODAL,
}
# Which callbacks each interaction type may use, as Discord enforces.
ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {
        CHANNEL_MESSAGE,
        DEFERRED_CHANNEL_MESSAGE,
        DEFERRED_UPDATE_MESSAGE,
        UPDATE_MESSAGE,
        MODAL,
    },
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    MODAL_SUBMIT: {
        CHANNEL_MESSAGE,
        DEFERRED_CHANNEL_MESSAGE,
        DEFERRED_UPDATE_MESSAGE,
        UPDATE_MESSAGE,
    },
}


@dataclass
class Interaction:
    """One interaction and everything that happened to it."""

    id: int
    type: int
    token: str
    user_id: int
    guild_id: int | None
    channel_id: int
    created: float
    attachment_size_limit: int
    payload: dict[str, Any]
    command_name: str | None = None
    source_message_id: int | None = None
    parent_id: int | None = None
    # Interaction context (0 server, 1 bot DM, 2 other DM) and who authorized it.
    context: int = 0
    owners: dict[str, str] = field(default_factory=dict)
    # Discord turns the app's responses ephemeral (a user install without Use External Apps).
    force_ephemeral: bool = False
    acknowledged: bool = False
    acknowledged_after: float | None = None
    response_type: int | None = None
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    # Set when the bot's first callback arrived, accepted or refused.
    answered: asyncio.Event = field(default_factory=asyncio.Event)

    def age(self, clock: Clock) -> float:
        """Return seconds since the interaction was created, on the emulator's clock."""
        return clock.now() - self.created

    def record_error(self, route: str, status: int, code: int, message: str, clock: Clock) -> None:
        """Remember an error Discord returned to the bot for this interaction."""
        self.errors.append(
            {
                "route": route,
                "status": status,
                "code": code,
                "message": message,
                "after_seconds": round(self.age(clock), 3),
            }
        )

    def message_ids(self) -> list[int]:
        """Return the original response's id (if any) and every followup's id."""
        ids = [self.original_message_id] if self.original_message_id is not None else []
        return ids + [i for i in self.followup_ids if i != self.original_message_id]

    def metadata(self) -> dict[str, Any]:
        """Return the ``interaction_metadata`` that messages answering it carry (no user)."""
        data: dict[str, Any] = {"id": str(self.id), "type": self.type}
        if self.type == APPLICATION_COMMAND:
            data["name"] = self.command_name
            data["command_type"] = 1
        if self.source_message_id is not None and self.type == MESSAGE_COMPONENT:
            data["interacted_message_id"] = str(self.source_message_id)
        data["authorizing_integration_owners"] = dict(self.owners)
        return data


class InteractionBook:
    """All interactions by id and by token."""

    def __init__(self) -> None:
        self.by_id: dict[int, Interaction] = {}
        self.by_token: dict[str, Interaction] = {}

    def add(self, interaction: Interaction) -> Interaction:
        """Store a new interaction."""
        self.by_id[interaction.id] = interaction
        self.by_token[interaction.token] = interaction
        return interaction

    def get(self, interaction_id: int) -> Interaction | None:
        """Return an interaction by id."""
        return self.by_id.get(interaction_id)

    def clear(self) -> None:
        """Forget every interaction."""
        self.by_id.clear()
        self.by_token.clear()
