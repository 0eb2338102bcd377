"""Start a job from a slash command or a button: check, hold and store, answer, submit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import BadInput, NotAllowed
from bot.jobs.outlet import MessageTarget
from bot.media.probe import Probe, ProbeError, probe_url
from bot.pika.capabilities import check_supported
from bot.pika.requests import PikaRequest, parse_request
from bot.store import NewJob
from bot.ui import render
from bot.ui.inputs import VIDEO, MediaInput, check_probed, media_input, unreadable

if TYPE_CHECKING:
    from bot.client import PikaBot

log = logging.getLogger(__name__)

INTERACTION_TOKEN_LIFETIME = timedelta(minutes=15)

RequestBuilder = Callable[[Mapping[str, Probe]], PikaRequest]
"""Builds a request once the attached files are known (by option name)."""


def after_checks(request_type: Any, /, **fields: Any) -> RequestBuilder:
    """Validate the request only once its files passed, so a bad file is named first."""
    return lambda _probes: request_type.create(**fields)


@dataclass(frozen=True)
class VideoSource:
    """The video a command changes: an attached file, or the result of an earlier job."""

    url: str
    record: Any | None
    media: MediaInput | None

    @property
    def media_list(self) -> list[MediaInput]:
        return [self.media] if self.media is not None else []

    @property
    def parent_job_id(self) -> int | None:
        return self.record.id if self.record is not None else None


class Launcher:
    """The one path every new job takes, whatever started it."""

    def __init__(self, bot: PikaBot) -> None:
        self.bot = bot

    @property
    def _services(self) -> Any:
        return self.bot.services

    async def _member_context(self, interaction: discord.Interaction) -> tuple[list[int], bool]:
        if interaction.guild_id is None:
            raise BadInput("Videos are made in servers, not in direct messages.")
        roles = [role.id for role in getattr(interaction.user, "roles", [])]
        exempt = await self.bot.is_owner(interaction.user)
        return roles, exempt

    async def _hold(
        self,
        interaction: discord.Interaction,
        request: PikaRequest,
        *,
        parent_job_id: int | None,
        with_token: bool,
    ) -> Any:
        roles, exempt = await self._member_context(interaction)
        now = self._services.clock.now()
        new_job = NewJob(
            owner_id=interaction.user.id,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            operation=request.operation,
            request_json=request.model_dump_json(),
            provider=self._services.pika.name,
            interaction_app_id=interaction.application_id if with_token else None,
            interaction_token=interaction.token if with_token else None,
            token_expires_at=now + INTERACTION_TOKEN_LIFETIME if with_token else None,
            parent_job_id=parent_job_id,
            upload_limit=interaction.filesize_limit,
        )
        return await self._services.store.create_job(new_job, roles=roles, exempt=exempt)

    async def from_command(
        self,
        interaction: discord.Interaction,
        request: PikaRequest | RequestBuilder,
        *,
        media: Sequence[MediaInput] = (),
        parent_job_id: int | None = None,
    ) -> None:
        """Check the files, hold the credits, show progress as the command's reply, and submit.

        ``request`` may be a builder that needs what the attached files turned out to be (a
        clip's length, say); it is called once their bytes have been looked at.
        """
        if not media:
            if callable(request):
                request = request({})
            check_supported(self._services.pika.capabilities, request)
        # Acknowledge first (Discord allows 3 s); the checks so far were instant and local.
        await interaction.response.defer(thinking=True)
        try:
            if media:
                probes = await self.inspect(media)
                if callable(request):
                    request = request(probes)
                check_supported(self._services.pika.capabilities, request)
            assert not callable(request)
            record = await self._hold(
                interaction, request, parent_job_id=parent_job_id, with_token=True
            )
        except Exception:
            # A refusal is private: take back the public "thinking..." and answer ephemerally.
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
            raise
        engine = self._services.engine
        try:
            message = await interaction.edit_original_response(
                embed=render.progress_embed(engine.view(record))
            )
        except discord.HTTPException:
            log.warning("Job %s: could not show the job; releasing its credits", record.id)
            await self._services.store.finish_failed(record.id, error="Discord lost the command.")
            raise
        await self._services.store.set_progress_message(record.id, message.id, kind="interaction")
        record = await self._services.store.get_job(record.id)
        log.info(
            "Job %s: %s for user %s in guild %s",
            record.id,
            request.operation.value,
            interaction.user.id,
            interaction.guild_id,
        )
        await engine.submit(record)

    async def from_button(
        self, interaction: discord.Interaction, request: PikaRequest, *, parent: Any
    ) -> None:
        """Start a follow-up job as a reply to the result whose button was pressed."""
        check_supported(self._services.pika.capabilities, request)
        if not interaction.response.is_done():
            await interaction.response.defer()  # acknowledge first, as commands do
        record = await self._hold(interaction, request, parent_job_id=parent.id, with_token=False)
        engine = self._services.engine
        try:
            message_id = await engine.outlet.post(
                MessageTarget(record.channel_id, None, "channel", None, None, None),
                content=f"<@{interaction.user.id}> started this from job #{parent.id}.",
                embed=render.progress_embed(engine.view(record)),
                reply_to=interaction.message.id if interaction.message else None,
            )
        except discord.HTTPException:
            log.warning("Job %s: could not show the job; releasing its credits", record.id)
            await self._services.store.finish_failed(record.id, error="Discord lost the request.")
            raise
        await self._services.store.set_progress_message(record.id, message_id, kind="channel")
        record = await self._services.store.get_job(record.id)
        await engine.submit(record)

    async def own_finished_job(self, interaction: discord.Interaction, job_text: str) -> Any:
        """Find the user's finished job from the `job` option (an id, maybe with a label)."""
        digits = job_text.strip().lstrip("#").split(" ", 1)[0]
        if not digits.isdigit():
            raise BadInput("`job` must be one of your job numbers; pick one from the list.")
        record = await self._services.store.get_job(int(digits))
        if record is None or record.guild_id != interaction.guild_id:
            raise BadInput(f"There is no job #{digits} in this server.")
        if record.owner_id != interaction.user.id:
            raise NotAllowed(f"Job #{digits} isn't yours; use one of your own jobs.")
        if record.status != "succeeded" or not record.result_url:
            raise BadInput(f"Job #{digits} hasn't finished with a video yet.")
        return record

    async def inspect(self, media: Sequence[MediaInput]) -> dict[str, Probe]:
        """Look at each attached file's own bytes; refuse one that is not what it should be."""

        async def look(item: MediaInput) -> Probe:
            try:
                probe = await probe_url(self._services.http, item.url, item.size)
            except ProbeError as error:
                log.info("Could not read attachment %s: %s", item.filename, error)
                raise unreadable(item) from None
            check_probed(item, probe)
            return probe

        probes = await asyncio.gather(*(look(item) for item in media))
        return {item.option: probe for item, probe in zip(media, probes, strict=True)}

    async def source_video(
        self,
        interaction: discord.Interaction,
        video: discord.Attachment | None,
        job: str | None,
    ) -> VideoSource:
        """Resolve exactly one of `video` and `job` into a video URL (and the earlier job)."""
        if (video is None) == (job is None):
            raise BadInput(
                "Give either `video` (an MP4 file) or `job` (one of your videos), "
                "not both and not neither."
            )
        if video is not None:
            attached = media_input(video, VIDEO, "video")
            return VideoSource(attached.url, None, attached)
        assert job is not None
        record = await self.own_finished_job(interaction, job)
        return VideoSource(record.result_url, record, None)

    async def job_choices(
        self,
        interaction: discord.Interaction,
        current: str,
    ) -> list[discord.app_commands.Choice[str]]:
        """Autocomplete for `job`: the user's finished videos, newest first."""
        if interaction.guild_id is None:
            return []
        records = await self._services.store.search_jobs(
            interaction.guild_id, interaction.user.id, current, limit=25, finished_only=True
        )
        return [
            discord.app_commands.Choice(name=job_label(record), value=str(record.id))
            for record in records
            if record.status == "succeeded"
        ]


def job_label(record: Any) -> str:
    """``#12 · Generate · a cat surfing`` within Discord's 100 characters."""
    prompt = getattr(parse_request(record.request_json), "prompt", "") or ""
    label = f"#{record.id} · {render.OPERATION_LABELS.get(record.operation, record.operation)}"
    if prompt:
        label += f" · {prompt}"
    return label if len(label) <= 100 else label[:99] + "…"
