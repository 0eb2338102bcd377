"""Stored messages and attachments (bytes kept), with their Discord JSON and edit history."""

from __future__ import annotations

import copy
import mimetypes
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from bot.emulator.clock import iso_timestamp, snowflake_time
from bot.emulator.validation import EPHEMERAL

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")

DEFAULT = 0
REPLY = 19
CHAT_INPUT_COMMAND = 20


@dataclass
class StoredAttachment:
    """An uploaded file: its bytes and what Discord reports about it."""

    id: int
    channel_id: int
    filename: str
    content_type: str
    data: bytes
    description: str | None = None
    ephemeral: bool = False

    def url(self, base_url: str) -> str:
        """Return the absolute CDN address that serves the bytes."""
        return f"{base_url}/cdn/attachments/{self.channel_id}/{self.id}/{quote(self.filename)}"

    def to_json(self, base_url: str) -> dict[str, Any]:
        """Return the attachment object Discord sends."""
        url = self.url(base_url)
        data: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": url,
            "proxy_url": url,
            "content_type": self.content_type,
        }
        if self.description is not None:
            data["description"] = self.description
        if self.ephemeral:
            data["ephemeral"] = True
        return data


def guess_content_type(filename: str, declared: str | None = None) -> str:
    """Guess a file's type from its name, like Discord does; fall back to what was declared."""
    guessed, _ = mimetypes.guess_type(filename)
    if guessed:
        return guessed
    return declared or "application/octet-stream"


@dataclass
class Message:
    """One message in a channel, with everything needed to render and audit it."""

    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[StoredAttachment] = field(default_factory=list)
    flags: int = 0
    type: int = DEFAULT
    tts: bool = False
    edited_at: float | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    legacy_interaction: dict[str, Any] | None = None
    message_reference: dict[str, Any] | None = None
    visible_to: int | None = None
    deleted: bool = False
    edits: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ephemeral(self) -> bool:
        """Return whether only one user sees this message."""
        return bool(self.flags & EPHEMERAL)

    @property
    def created_at(self) -> float:
        """Return the epoch seconds the message was created at (from its id)."""
        return snowflake_time(self.id)

    def snapshot(self, base_url: str) -> dict[str, Any]:
        """Return the editable parts as they are now, for the edit history."""
        return {
            "content": self.content,
            "embeds": copy.deepcopy(self.embeds),
            "components": copy.deepcopy(self.components),
            "attachments": [a.to_json(base_url) for a in self.attachments],
            "flags": self.flags,
            "edited_timestamp": iso_timestamp(self.edited_at) if self.edited_at else None,
        }


class MessageStore:
    """All messages and attachment bytes, by id and by channel."""

    def __init__(self) -> None:
        self.messages: dict[int, Message] = {}
        self.attachments: dict[int, StoredAttachment] = {}
        self._by_channel: dict[int, list[int]] = {}

    def add(self, message: Message) -> Message:
        """Store a new message."""
        self.messages[message.id] = message
        self._by_channel.setdefault(message.channel_id, []).append(message.id)
        for attachment in message.attachments:
            self.attachments[attachment.id] = attachment
        return message

    def add_attachment(self, attachment: StoredAttachment) -> StoredAttachment:
        """Store an attachment that is not (yet) part of a message, e.g. a command option."""
        self.attachments[attachment.id] = attachment
        return attachment

    def get(self, message_id: int) -> Message | None:
        """Return a live (not deleted) message."""
        message = self.messages.get(message_id)
        if message is None or message.deleted:
            return None
        return message

    def in_channel(self, channel_id: int, *, include_ephemeral: bool = True) -> list[Message]:
        """Return a channel's live messages, oldest first."""
        found = [self.messages[i] for i in self._by_channel.get(channel_id, [])]
        return [m for m in found if not m.deleted and (include_ephemeral or not m.ephemeral)]

    def clear(self) -> None:
        """Forget every message and attachment."""
        self.messages.clear()
        self.attachments.clear()
        self._by_channel.clear()


def render_message(
    message: Message, *, base_url: str, users: dict[int, Any], store: MessageStore
) -> dict[str, Any]:
    """Return the message object Discord sends for ``message``."""
    author = users[message.author_id].to_json()
    data: dict[str, Any] = {
        "id": str(message.id),
        "type": message.type,
        "channel_id": str(message.channel_id),
        "author": author,
        "content": message.content,
        "embeds": copy.deepcopy(message.embeds),
        "components": copy.deepcopy(message.components),
        "attachments": [a.to_json(base_url) for a in message.attachments],
        "mentions": [
            users[int(i)].to_json()
            for i in dict.fromkeys(_USER_MENTION.findall(message.content))
            if int(i) in users
        ],
        "mention_roles": list(dict.fromkeys(_ROLE_MENTION.findall(message.content))),
        "mention_everyone": "@everyone" in message.content,
        "pinned": False,
        "tts": message.tts,
        "timestamp": iso_timestamp(message.created_at),
        "edited_timestamp": iso_timestamp(message.edited_at) if message.edited_at else None,
        "flags": message.flags,
    }
    if message.guild_id is not None:
        data["guild_id"] = str(message.guild_id)
    if message.webhook_id is not None:
        data["webhook_id"] = str(message.webhook_id)
    if message.application_id is not None:
        data["application_id"] = str(message.application_id)
    if message.interaction_metadata is not None:
        data["interaction_metadata"] = copy.deepcopy(message.interaction_metadata)
    if message.legacy_interaction is not None:
        data["interaction"] = copy.deepcopy(message.legacy_interaction)
    if message.message_reference is not None:
        data["message_reference"] = copy.deepcopy(message.message_reference)
        referenced_id = message.message_reference.get("message_id")
        referenced = store.get(int(referenced_id)) if referenced_id else None
        if referenced is not None and referenced is not message:
            # One level only, as Discord does.
            data["referenced_message"] = render_message(
                _without_reference(referenced), base_url=base_url, users=users, store=store
            )
        else:
            data["referenced_message"] = None
    return data


def _without_reference(message: Message) -> Message:
    clone = copy.copy(message)
    clone.message_reference = None
    return clone
