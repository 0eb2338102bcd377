"""Where a job's messages go: the interaction while its token lives, then the channel.

This is the one place that knows discord.py's exceptions and Discord's error codes: each is
turned into an outcome the engine understands (``bot.jobs.ports``). What the messages say and
look like comes from ``bot.ui``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import discord

from bot.domain.jobs import ProgressKind
from bot.jobs.ports import MessageTarget, RetryLater, TokenDead, TooLarge, Unreachable
from bot.jobs.views import JobView
from bot.pika.capabilities import Capabilities
from bot.ui import render
from bot.ui.buttons import progress_view, result_view
from bot.ui.i18n import resolve

log = logging.getLogger(__name__)

# Stop using a token a little before Discord kills it, so no edit lands on a dead token.
TOKEN_SAFETY_MARGIN = timedelta(seconds=60)
INVALID_WEBHOOK_TOKEN = 50027
UNKNOWN_WEBHOOK = 10015
REQUEST_TOO_LARGE = 40005
MISSING_ACCESS = 50001
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
MENTIONS = discord.AllowedMentions(users=True, roles=False, everyone=False)


def _buttons(view: JobView) -> discord.ui.View | None:
    """A job in the making offers Cancel; a finished one no buttons on its progress message."""
    return progress_view(view.job_id, resolve(view.locale)) if view.status.active else None


def token_usable(target: MessageTarget, now: datetime) -> bool:
    """Whether the interaction token may still be used, with a margin before Discord's 15 min."""
    return (
        target.token is not None
        and target.application_id is not None
        and target.token_expires_at is not None
        and now < target.token_expires_at - TOKEN_SAFETY_MARGIN
    )


def _outcome(error: discord.HTTPException, *, via_token: bool) -> Exception:
    """Turn Discord's refusal into what the engine does next."""
    if error.code in (INVALID_WEBHOOK_TOKEN, UNKNOWN_WEBHOOK, UNKNOWN_MESSAGE) or (
        via_token and error.status in (401, 404)
    ):
        return TokenDead(str(error))
    if error.status == 413 or error.code == REQUEST_TOO_LARGE:
        return TooLarge(str(error))
    if error.code in (MISSING_ACCESS, UNKNOWN_CHANNEL) or error.status == 403:
        return Unreachable(str(error))
    if error.status == 429:
        return RetryLater(str(error), after=5.0)
    return RetryLater(str(error))


class DiscordOutlet:
    """Posts and edits job messages, choosing the route that still works."""

    def __init__(
        self, bot: discord.Client, capabilities: Capabilities, now: Callable[[], datetime]
    ) -> None:
        self._bot = bot
        self._capabilities = capabilities
        self._now = now

    def signature(self, view: JobView) -> Hashable:
        return render.progress_signature(view)

    async def show_progress(self, target: MessageTarget, view: JobView) -> bool:
        return await self._edit(target, render.progress_embed(view), _buttons(view))

    async def continue_in_channel(self, target: MessageTarget, view: JobView) -> int:
        return await self._send_to_channel(
            await self._destination(target),
            content=render.handover_content(view),
            embed=render.progress_embed(view),
            view=_buttons(view),
            reply_to=target.message_id,
        )

    async def announce(self, channel_id: int, view: JobView, *, reply_to: int | None) -> int:
        return await self._send_to_channel(
            self._channel(channel_id),
            content=render.button_job_content(view),
            embed=render.progress_embed(view),
            view=_buttons(view),
            reply_to=reply_to,
        )

    async def post_result(
        self, target: MessageTarget, view: JobView, video: Path | None, oversize: int | None
    ) -> int:
        link_note = None
        if video is None and view.result_url is not None:
            link_note = render.oversize_note(view.result_url, oversize or 0, resolve(view.locale))
        # The progress message shows "Done" too; losing that edit loses nothing.
        with contextlib.suppress(TokenDead, RetryLater, Unreachable):
            await self._edit(target, render.progress_embed(view), None)
        files = [discord.File(video, filename=f"pika-{view.job_id}.mp4")] if video else []
        return await self._post(
            target,
            content=render.result_content(view),
            embed=render.result_embed(view, link_note=link_note),
            files=files,
            view=result_view(view.job_id, self._capabilities, resolve(view.locale)),
        )

    async def post_failure(self, target: MessageTarget, view: JobView) -> int:
        embed = render.failure_embed(view)
        if await self._edit(target, embed, None):
            assert target.message_id is not None
            return target.message_id
        return await self._post(target, content=f"<@{view.owner_id}>", embed=embed, files=[])

    async def find_posted(self, target: MessageTarget, job_id: int, kind: str) -> int | None:
        markers = render.footer_markers(job_id, kind)
        bot_ids = {self._bot.user.id if self._bot.user else None, self._bot.application_id}
        with contextlib.suppress(discord.HTTPException):
            channel = await self._destination(target)
            async for message in channel.history(limit=100):
                if message.author.id not in bot_ids:
                    continue
                if any(embed.footer.text in markers for embed in message.embeds):
                    return message.id
        return None

    # -- the routes ------------------------------------------------------------------------

    def _webhook(self, target: MessageTarget) -> discord.Webhook:
        assert target.application_id is not None and target.token is not None
        webhook = discord.Webhook.partial(target.application_id, target.token, client=self._bot)
        # An interaction's followups are an application webhook's (type 3); discord.py only
        # sends ephemeral followups (private results) through one it knows to be that.
        webhook.type = discord.WebhookType.application
        return webhook

    def _channel(self, channel_id: int) -> discord.PartialMessageable:
        return self._bot.get_partial_messageable(channel_id)

    async def _destination(self, target: MessageTarget) -> discord.abc.Messageable:
        """The channel for the job's own messages: its channel, or the owner's DM for a
        personal job (the bot has no channel of its own in a DM or a server that did not
        install it, so once the interaction's token is gone the owner hears by DM)."""
        if not target.direct:
            return self._channel(target.channel_id)
        try:
            return await self._bot.create_dm(discord.Object(target.owner_id))
        except discord.HTTPException as error:
            raise _outcome(error, via_token=False) from error
        except (aiohttp.ClientError, TimeoutError) as error:
            raise RetryLater(f"network error ({type(error).__name__})") from error

    async def _edit(
        self, target: MessageTarget, embed: discord.Embed, buttons: discord.ui.View | None
    ) -> bool:
        """Edit the job's message; ``buttons`` None takes its buttons away."""
        if target.message_id is None:
            return False
        via_token = target.kind is ProgressKind.INTERACTION
        if via_token and not token_usable(target, self._now()):
            return False
        try:
            if via_token:
                await self._webhook(target).edit_message(
                    target.message_id, embed=embed, view=buttons
                )
            else:
                channel = await self._destination(target)
                assert isinstance(channel, discord.PartialMessageable | discord.DMChannel)
                message = channel.get_partial_message(target.message_id)
                await message.edit(embed=embed, view=buttons)
        except discord.HTTPException as error:
            raise _outcome(error, via_token=via_token) from error
        except (aiohttp.ClientError, TimeoutError) as error:
            raise RetryLater(f"network error ({type(error).__name__})") from error
        return True

    async def _post(
        self,
        target: MessageTarget,
        *,
        content: str,
        embed: discord.Embed,
        files: list[discord.File],
        view: discord.ui.View | None = None,
    ) -> int:
        """A followup while the token lives, else a channel message replying to the job's."""
        if target.kind is ProgressKind.INTERACTION and token_usable(target, self._now()):
            kwargs: dict[str, Any] = {"allowed_mentions": MENTIONS}
            if view is not None:
                kwargs["view"] = view
            if target.private:
                kwargs["ephemeral"] = True
            try:
                message = await self._webhook(target).send(
                    content=content, embed=embed, files=files, wait=True, **kwargs
                )
            except discord.HTTPException as error:
                raise _outcome(error, via_token=True) from error
            except (aiohttp.ClientError, TimeoutError) as error:
                raise RetryLater(f"network error ({type(error).__name__})") from error
            return message.id
        return await self._send_to_channel(
            await self._destination(target),
            content=content,
            embed=embed,
            files=files,
            view=view,
            reply_to=target.message_id,
        )

    async def _send_to_channel(
        self,
        channel: discord.abc.Messageable,
        *,
        content: str,
        embed: discord.Embed,
        files: list[discord.File] | None = None,
        view: discord.ui.View | None = None,
        reply_to: int | None = None,
    ) -> int:
        reference = None
        # A personal job's DM is not where its first message was: nothing there to reply to.
        if reply_to is not None and isinstance(channel, discord.PartialMessageable):
            reference = discord.MessageReference(
                message_id=reply_to, channel_id=channel.id, fail_if_not_exists=False
            )
        kwargs: dict[str, Any] = {"reference": reference, "allowed_mentions": MENTIONS}
        if view is not None:
            kwargs["view"] = view
        try:
            message = await channel.send(content=content, embed=embed, files=files or [], **kwargs)
        except discord.HTTPException as error:
            raise _outcome(error, via_token=False) from error
        except (aiohttp.ClientError, TimeoutError) as error:
            raise RetryLater(f"network error ({type(error).__name__})") from error
        return message.id
