"""Where a job's messages go: the interaction while its token lives, then the channel."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import discord

from bot.ui.render import footer_marker

if TYPE_CHECKING:
    from discord.ext import commands

log = logging.getLogger(__name__)

# Stop using a token a little before Discord kills it, so no edit lands on a dead token.
TOKEN_SAFETY_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class MessageTarget:
    """The message that shows a job, and how the bot may reach it."""

    channel_id: int
    message_id: int | None
    kind: str  # "interaction" (edit through the interaction webhook) or "channel"
    application_id: int | None
    token: str | None
    token_expires_at: datetime | None


class DiscordOutlet:
    """Posts and edits job messages, choosing the route that still works."""

    def __init__(self, bot: commands.Bot, now: Callable[[], datetime]) -> None:
        self.bot = bot
        self._now = now

    def token_alive(self, target: MessageTarget) -> bool:
        return (
            target.token is not None
            and target.application_id is not None
            and target.token_expires_at is not None
            and self._now() < target.token_expires_at - TOKEN_SAFETY_MARGIN
        )

    def _webhook(self, target: MessageTarget) -> discord.Webhook:
        assert target.application_id is not None and target.token is not None
        return discord.Webhook.partial(target.application_id, target.token, client=self.bot)

    def _channel(self, channel_id: int) -> discord.PartialMessageable:
        return self.bot.get_partial_messageable(channel_id)

    async def edit(
        self,
        target: MessageTarget,
        embed: discord.Embed,
        view: discord.ui.View | None = None,
        content: str | None = None,
    ) -> bool:
        """Edit the job's message; return False when it can no longer be edited that way."""
        if target.message_id is None:
            return False
        kwargs: dict = {"embed": embed}
        if content is not None:  # leave the message's words alone unless told otherwise
            kwargs["content"] = content
        if view is not None:
            kwargs["view"] = view
        if target.kind == "interaction":
            if not self.token_alive(target):
                return False
            await self._webhook(target).edit_message(target.message_id, **kwargs)
            return True
        await self._channel(target.channel_id).get_partial_message(target.message_id).edit(**kwargs)
        return True

    async def post(
        self,
        target: MessageTarget,
        *,
        content: str | None,
        embed: discord.Embed,
        file_path: Path | None = None,
        filename: str = "video.mp4",
        view: discord.ui.View | None = None,
        reply_to: int | None = None,
    ) -> int:
        """Post a message and return its id: a followup while the token lives, else the channel."""
        files = [discord.File(file_path, filename=filename)] if file_path else []
        mentions = discord.AllowedMentions(users=True, roles=False, everyone=False)
        if target.kind == "interaction" and self.token_alive(target):
            kwargs: dict = {
                "content": content or discord.utils.MISSING,
                "embed": embed,
                "files": files,
                "wait": True,
                "allowed_mentions": mentions,
            }
            if view is not None:
                kwargs["view"] = view
            message = await self._webhook(target).send(**kwargs)
            return message.id
        reference = None
        if reply_to is not None:
            reference = discord.MessageReference(
                message_id=reply_to, channel_id=target.channel_id, fail_if_not_exists=False
            )
        send_kwargs: dict = {
            "content": content,
            "embed": embed,
            "files": files,
            "allowed_mentions": mentions,
            "reference": reference,
        }
        if view is not None:
            send_kwargs["view"] = view
        message = await self._channel(target.channel_id).send(**send_kwargs)
        return message.id

    async def find_posted(self, channel_id: int, job_id: int, kind: str) -> int | None:
        """Find a message the bot already posted for this job (after a crash mid-delivery)."""
        marker = footer_marker(job_id, kind)
        bot_ids = {self.bot.user.id if self.bot.user else None, self.bot.application_id}
        with contextlib.suppress(discord.HTTPException):
            async for message in self._channel(channel_id).history(limit=100):
                if message.author.id not in bot_ids:
                    continue
                if any(embed.footer.text == marker for embed in message.embeds):
                    return message.id
        return None
