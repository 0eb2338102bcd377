"""Turn a message payload plus uploaded files into a stored message, or edit one."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from bot.emulator.bodies import Upload
from bot.emulator.clock import Clock, Snowflakes
from bot.emulator.errors import DiscordError, FormErrors, empty_message, too_large
from bot.emulator.messages import (
    REPLY,
    Message,
    MessageStore,
    StoredAttachment,
    guess_content_type,
)
from bot.emulator.validation import (
    COMPONENTS_V2,
    EPHEMERAL,
    LOADING,
    SUPPRESS_EMBEDS,
    validate_message,
)

# Embed parts that may point at an uploaded file.
_EMBED_MEDIA = (
    ("image", "url"),
    ("thumbnail", "url"),
    ("video", "url"),
    ("author", "icon_url"),
    ("footer", "icon_url"),
)
# Flags an edit may change; ephemeral-ness is fixed at creation.
_EDITABLE_FLAGS = SUPPRESS_EMBEDS | COMPONENTS_V2


def number_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every component without an ``id`` the next free number, depth first.

    Discord fills ``id`` in sequentially when the sender leaves it out
    (components/reference.mdx, "id"), and its answers always carry it.
    """
    used: set[int] = set()

    def walk(items: list[dict[str, Any]], visit: Any) -> None:
        for item in items:
            if not isinstance(item, dict):
                continue
            visit(item)
            walk(item.get("components") or [], visit)
            for key in ("accessory", "component"):
                if isinstance(item.get(key), dict):
                    walk([item[key]], visit)

    walk(components, lambda c: used.add(c["id"]) if isinstance(c.get("id"), int) else None)
    counter = [0]

    def assign(component: dict[str, Any]) -> None:
        emoji = component.get("emoji")
        if isinstance(emoji, dict) and emoji.get("id") is None:
            # A unicode emoji has a name only; Discord answers without the null id.
            emoji.pop("id", None)
        if isinstance(component.get("id"), int):
            return
        counter[0] += 1
        while counter[0] in used:
            counter[0] += 1
        component["id"] = counter[0]

    walk(components, assign)
    return components


class Composer:
    """Create and edit messages with Discord's validation, size limits and edit history."""

    def __init__(
        self,
        store: MessageStore,
        snowflakes: Snowflakes,
        clock: Clock,
        base_url: Callable[[], str],
    ) -> None:
        self._store = store
        self._ids = snowflakes
        self._clock = clock
        self._base_url = base_url

    def check(self, payload: Any, uploads: list[Upload], *, limit: int, path: tuple = ()) -> None:
        """Raise 413 for a file over ``limit`` or 400 for a payload over Discord's limits."""
        for upload in uploads:
            if len(upload.data) > limit:
                raise too_large()
        if payload is not None and not isinstance(payload, dict):
            raise DiscordError(400, 50035, "Invalid Form Body")
        errors = FormErrors()
        validate_message(payload or {}, errors, path=path)
        errors.raise_if_any()

    def create(
        self,
        payload: dict[str, Any],
        uploads: list[Upload],
        *,
        channel_id: int,
        guild_id: int | None,
        author_id: int,
        limit: int,
        message_type: int = 0,
        extra_flags: int = 0,
        allow_empty: bool = False,
        **fields: Any,
    ) -> Message:
        """Validate and store a new message; ``fields`` set the other Message attributes."""
        self.check(payload, uploads, limit=limit)
        flags = (payload.get("flags") or 0) | extra_flags
        message_id = self._ids.next()
        attachments = self._attachments(
            payload, uploads, channel_id=channel_id, existing=[], ephemeral=bool(flags & EPHEMERAL)
        )
        content = payload.get("content") or ""
        embeds = list(payload.get("embeds") or [])
        components = list(payload.get("components") or [])
        has_body = content or embeds or components or attachments or payload.get("sticker_ids")
        if not has_body and not payload.get("poll") and not allow_empty:
            raise empty_message()
        message = Message(
            id=message_id,
            channel_id=channel_id,
            guild_id=guild_id,
            author_id=author_id,
            content=str(content),
            embeds=copy.deepcopy(embeds),
            components=number_components(copy.deepcopy(components)),
            attachments=attachments,
            flags=flags,
            type=message_type,
            tts=bool(payload.get("tts", False)),
            **fields,
        )
        self._link_embeds(message)
        reference = payload.get("message_reference")
        if reference:
            message.message_reference = self._reference(reference, channel_id, guild_id)
            if message.message_reference is not None and message.type == 0:
                message.type = REPLY
        return self._store.add(message)

    def edit(self, message: Message, payload: Any, uploads: list[Upload], *, limit: int) -> Message:
        """Apply an edit: fields present replace, attachments listed stay, new files append."""
        payload = payload or {}
        self.check(payload, uploads, limit=limit)
        message.edits.append(message.snapshot(self._base_url()))
        if "content" in payload:
            message.content = str(payload["content"] or "")
        if "embeds" in payload:
            message.embeds = copy.deepcopy(payload["embeds"] or [])
        if "components" in payload:
            message.components = number_components(copy.deepcopy(payload["components"] or []))
        flags = message.flags & ~LOADING
        if payload.get("flags") is not None:
            flags = (flags & ~_EDITABLE_FLAGS) | (int(payload["flags"]) & _EDITABLE_FLAGS)
        message.flags = flags
        if "attachments" in payload and payload["attachments"] is not None:
            keep_ids = {str(a.get("id")) for a in payload["attachments"] if isinstance(a, dict)}
            kept = [a for a in message.attachments if str(a.id) in keep_ids]
        else:
            kept = list(message.attachments)
        added = self._attachments(
            payload,
            uploads,
            channel_id=message.channel_id,
            existing=kept,
            ephemeral=message.ephemeral,
        )
        message.attachments = kept + added
        for attachment in added:
            self._store.attachments[attachment.id] = attachment
        self._link_embeds(message)
        message.edited_at = self._clock.wall()
        return message

    def _link_embeds(self, message: Message) -> None:
        """Point ``attachment://name`` in embeds at the uploaded file, as Discord does."""
        by_name = {a.filename: a for a in message.attachments}
        base_url = self._base_url()
        for embed in message.embeds:
            for key, field in _EMBED_MEDIA:
                part = embed.get(key)
                if not isinstance(part, dict):
                    continue
                url = part.get(field)
                if isinstance(url, str) and url.startswith("attachment://"):
                    attachment = by_name.get(url.removeprefix("attachment://"))
                    if attachment is not None:
                        part[field] = attachment.url(base_url)
                        part["proxy_" + field] = attachment.url(base_url)

    def _attachments(
        self,
        payload: dict[str, Any],
        uploads: list[Upload],
        *,
        channel_id: int,
        existing: list[StoredAttachment],
        ephemeral: bool,
    ) -> list[StoredAttachment]:
        described = {
            str(a.get("id")): a for a in payload.get("attachments") or [] if isinstance(a, dict)
        }
        made = []
        for upload in sorted(uploads, key=lambda u: u.index):
            meta = described.get(str(upload.index), {})
            filename = meta.get("filename") or upload.filename
            made.append(
                StoredAttachment(
                    id=self._ids.next(),
                    channel_id=channel_id,
                    filename=filename,
                    content_type=guess_content_type(filename, upload.declared_type),
                    data=upload.data,
                    description=meta.get("description"),
                    ephemeral=ephemeral,
                )
            )
        return made

    def _reference(
        self, reference: dict[str, Any], channel_id: int, guild_id: int | None
    ) -> dict[str, Any] | None:
        message_id = reference.get("message_id")
        target = self._store.get(int(message_id)) if message_id else None
        if target is None or target.channel_id != int(reference.get("channel_id") or channel_id):
            if reference.get("fail_if_not_exists", True):
                errors = FormErrors()
                errors.add(
                    ("message_reference",), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
                )
                errors.raise_if_any()
            return None
        return {
            "type": 0,
            "message_id": str(target.id),
            "channel_id": str(target.channel_id),
            "guild_id": str(guild_id) if guild_id else None,
        }
