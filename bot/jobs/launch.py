"""Start a job from a slash command or a button: check, hold and store, answer, submit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import discord

from bot.domain.blocked import find_blocked
from bot.domain.failures import FailureReason
from bot.domain.jobs import PERSONAL_SCOPE, JobRecord, NewJob, ProgressKind
from bot.domain.member import MemberDefaults
from bot.domain.pricing import cost_multiplier
from bot.errors import BadInput
from bot.jobs.accounts import AccountService
from bot.jobs.engine import JobEngine
from bot.jobs.ports import OutletError
from bot.jobs.scope import billing_scope
from bot.jobs.views import request_of
from bot.media.probe import Probe, ProbeError, probe_url
from bot.pika.capabilities import Capabilities, check_supported
from bot.pika.requests import PikaRequest, options_of, prompt_of, size_of, texts_of
from bot.store import Clock, JobStore, MemberSettings
from bot.ui import render
from bot.ui.buttons import progress_view
from bot.ui.i18n import Locale, public_locale, resolve
from bot.ui.inputs import VIDEO, MediaInput, check_probed, media_input, unreadable

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
    record: JobRecord | None
    media: MediaInput | None

    @property
    def media_list(self) -> list[MediaInput]:
        return [self.media] if self.media is not None else []

    @property
    def parent_job_id(self) -> int | None:
        return self.record.id if self.record is not None else None

    def earlier_options(self) -> dict[str, Any] | None:
        """The options of the job the video came from, so a change keeps everything else."""
        options = options_of(request_of(self.record)) if self.record is not None else None
        return options.model_dump(mode="json") if options is not None else None

    def earlier_prompt(self) -> str | None:
        """The earlier job's prompt, if the video came from one and it had a prompt."""
        return (prompt_of(request_of(self.record)) or None) if self.record is not None else None


class Launcher:
    """The one path every new job takes, whatever started it."""

    def __init__(
        self,
        *,
        store: JobStore,
        engine: JobEngine,
        accounts: AccountService,
        capabilities: Capabilities,
        clock: Clock,
        is_owner: Callable[[discord.User | discord.Member], Awaitable[bool]],
        http: aiohttp.ClientSession,
        provider_name: str,
        personal_allowance: int = 0,
        blocked_words: Callable[[int], Awaitable[list[str]]] | None = None,
        member_settings: MemberSettings | None = None,
        server_language: Callable[[int], Awaitable[str | None]] | None = None,
    ) -> None:
        self._store = store
        self._engine = engine
        self._accounts = accounts
        self._capabilities = capabilities
        self._clock = clock
        self._is_owner = is_owner
        self._http = http
        self._provider_name = provider_name
        self._personal_allowance = personal_allowance
        self._blocked_words = blocked_words
        self._member_settings = member_settings
        self._server_language = server_language

    async def _member_context(
        self, interaction: discord.Interaction
    ) -> tuple[int, list[int], bool]:
        """Who pays (a server or the personal allowance), the member's roles there, and
        whether the bot's owner is asking (never limited)."""
        scope = billing_scope(interaction)
        exempt = await self._is_owner(interaction.user)
        if scope == PERSONAL_SCOPE:
            if self._personal_allowance == 0 and not exempt:
                raise BadInput("refusal.personal_off")
            return scope, [], exempt
        member = interaction.user
        roles = [role.id for role in member.roles] if isinstance(member, discord.Member) else []
        return scope, roles, exempt

    async def _hold(
        self,
        interaction: discord.Interaction,
        request: PikaRequest,
        *,
        parent_job_id: int | None,
        with_token: bool,
        private: bool = False,
    ) -> JobRecord:
        scope, roles, exempt = await self._member_context(interaction)
        await self._refuse_blocked(scope, request)
        assert interaction.channel_id is not None
        locale = await self._public_locale(interaction, scope, private=private)
        now = self._clock.now()
        new_job = NewJob(
            owner_id=interaction.user.id,
            guild_id=scope,
            channel_id=interaction.channel_id,
            operation=request.operation,
            request_json=request.model_dump_json(),
            provider=self._provider_name,
            interaction_app_id=interaction.application_id if with_token else None,
            interaction_token=interaction.token if with_token else None,
            token_expires_at=now + INTERACTION_TOKEN_LIFETIME if with_token else None,
            parent_job_id=parent_job_id,
            upload_limit=interaction.filesize_limit,
            cost_multiplier=cost_multiplier(request.operation, *size_of(request)),
            private=private,
            locale=locale.value,
            lease_owner=self._engine.owner,
            lease_expires_at=self._engine.lease_until(),
        )
        return await self._store.create_job(new_job, roles=roles, exempt=exempt)

    async def _public_locale(
        self, interaction: discord.Interaction, scope: int, *, private: bool
    ) -> Locale:
        """The language the job's messages will speak, stored with it (see ``bot.ui.i18n``).

        A private job's messages are the member's alone, so they speak the member's language.
        """
        in_server = scope != PERSONAL_SCOPE and not private
        chosen = None
        if in_server and self._server_language is not None:
            chosen = await self._server_language(scope)
        return public_locale(
            chosen=chosen,
            guild_locale=interaction.guild_locale,
            member_locale=interaction.locale,
            in_server=in_server,
        )

    async def _refuse_blocked(self, scope: int, request: PikaRequest) -> None:
        """Refuse a request whose words this server blocks, before anything is held."""
        if self._blocked_words is None or scope == PERSONAL_SCOPE:
            return
        words = await self._blocked_words(scope)
        if words and find_blocked(texts_of(request), words) is not None:
            raise BadInput("refusal.blocked_words")

    async def member_defaults(self, user_id: int) -> MemberDefaults:
        """The member's /settings (none when the bot keeps no settings store)."""
        if self._member_settings is None:
            return MemberDefaults()
        return await self._member_settings.get(user_id)

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
            check_supported(self._capabilities, request)
        private = (await self.member_defaults(interaction.user.id)).private_results
        # Acknowledge first (Discord allows 3 s); the checks so far were instant and local.
        await interaction.response.defer(thinking=True, ephemeral=private)
        try:
            if media:
                probes = await self.inspect(media)
                if callable(request):
                    request = request(probes)
                check_supported(self._capabilities, request)
            assert not callable(request)
            record = await self._hold(
                interaction, request, parent_job_id=parent_job_id, with_token=True, private=private
            )
            record = await self._engine.admit(record)
        except Exception:
            # A refusal is private: take back the public "thinking..." and answer ephemerally.
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
            raise
        try:
            message = await interaction.edit_original_response(
                embed=render.progress_embed(self._engine.view(record)),
                view=progress_view(record.id, resolve(record.locale)),
            )
        except discord.HTTPException:
            log.warning("Job %s: could not show the job; releasing its credits", record.id)
            await self._store.finish_failed(record.id, code=FailureReason.DISCORD_LOST)
            raise
        await self._store.set_progress_message(record.id, message.id, ProgressKind.INTERACTION)
        stored = await self._store.get_job(record.id)
        assert stored is not None
        log.info(
            "Job %s: %s for user %s in guild %s",
            stored.id,
            request.operation.value,
            interaction.user.id,
            interaction.guild_id,
        )
        await self._engine.accepted(stored)

    async def from_button(
        self, interaction: discord.Interaction, request: PikaRequest, *, parent: JobRecord
    ) -> None:
        """Start a follow-up job as a reply to the result whose button was pressed."""
        check_supported(self._capabilities, request)
        if not interaction.response.is_done():
            await interaction.response.defer()  # acknowledge first, as commands do
        if billing_scope(interaction) == PERSONAL_SCOPE or parent.private:
            # No channel of the bot's own here, or a private result: the job lives on this
            # press's interaction (and is private if its parent was).
            await self._from_button_on_interaction(interaction, request, parent=parent)
            return
        record = await self._hold(interaction, request, parent_job_id=parent.id, with_token=False)
        record = await self._engine.admit(record)
        try:
            shown = await self._engine.announce(
                record, reply_to=interaction.message.id if interaction.message else None
            )
        except OutletError:
            log.warning("Job %s: could not show the job; releasing its credits", record.id)
            await self._store.finish_failed(record.id, code=FailureReason.DISCORD_LOST)
            raise
        await self._engine.accepted(shown)

    async def _from_button_on_interaction(
        self, interaction: discord.Interaction, request: PikaRequest, *, parent: JobRecord
    ) -> None:
        record = await self._hold(
            interaction, request, parent_job_id=parent.id, with_token=True, private=parent.private
        )
        record = await self._engine.admit(record)
        try:
            message = await interaction.followup.send(
                ephemeral=parent.private,
                content=render.button_job_content(self._engine.view(record)),
                embed=render.progress_embed(self._engine.view(record)),
                view=progress_view(record.id, resolve(record.locale)),
                wait=True,
            )
        except discord.HTTPException:
            log.warning("Job %s: could not show the job; releasing its credits", record.id)
            await self._store.finish_failed(record.id, code=FailureReason.DISCORD_LOST)
            raise
        await self._store.set_progress_message(record.id, message.id, ProgressKind.INTERACTION)
        stored = await self._store.get_job(record.id)
        assert stored is not None
        await self._engine.accepted(stored)

    async def inspect(self, media: Sequence[MediaInput]) -> dict[str, Probe]:
        """Look at each attached file's own bytes; refuse one that is not what it should be."""

        async def look(item: MediaInput) -> Probe:
            try:
                probe = await probe_url(self._http, item.url, item.size)
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
        job: int | None,
    ) -> VideoSource:
        """Resolve exactly one of `video` and `job` into a video URL (and the earlier job)."""
        if (video is None) == (job is None):
            raise BadInput("input.video_or_job")
        if video is not None:
            attached = media_input(video, VIDEO, "video")
            return VideoSource(attached.url, None, attached)
        assert job is not None
        record = await self._accounts.own_finished_job(
            billing_scope(interaction), interaction.user.id, job
        )
        assert record.result_url is not None
        return VideoSource(record.result_url, record, None)
