"""The launcher: the one path of every new job, from an interaction to a submitted job.

The interaction is a small fake (it is Discord, the edge); the store, the engine and the
file checks are real, against SQLite and a local HTTP server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord
import pytest

from bot.domain import HoldState, ProgressKind, QuotaExceeded, StoredStatus
from bot.errors import BadInput
from bot.jobs.accounts import AccountService
from bot.jobs.launch import Launcher, after_checks
from bot.pika.requests import GenerateRequest, PikaffectRequest
from bot.ui.inputs import IMAGE, MediaInput
from tests.jobs.conftest import CHANNEL, GUILD, USER, World

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40


@dataclass
class FakeResponse:
    deferred: bool = False

    async def defer(self, **kwargs: Any) -> None:
        self.deferred = True

    def is_done(self) -> bool:
        return self.deferred


@dataclass
class FakeInteraction:
    response: FakeResponse = field(default_factory=FakeResponse)
    guild_id: int | None = GUILD
    channel_id: int = CHANNEL
    application_id: int = 77
    token: str = "interaction-token"
    filesize_limit: int = 10 * 1024 * 1024
    message: Any = None
    edits: list[discord.Embed] = field(default_factory=list)
    deleted: bool = False
    locale: str = "en-US"
    guild_locale: str | None = "en-US"

    @property
    def user(self) -> Any:
        return type("User", (), {"id": USER})()

    async def edit_original_response(self, *, embed: discord.Embed, view: Any = None) -> Any:
        self.edits.append(embed)
        return type("Message", (), {"id": 555})()

    async def delete_original_response(self) -> None:
        self.deleted = True

    def is_guild_integration(self) -> bool:
        return self.guild_id is not None  # the server installed the bot


@pytest.fixture
async def launcher(world: World):
    async def not_owner(user: Any) -> bool:
        return False

    async with aiohttp.ClientSession() as http:
        yield Launcher(
            store=world.store,
            engine=world.engine,
            accounts=AccountService(world.store, world.quota, world.provider.capabilities),
            capabilities=world.provider.capabilities,
            clock=world.clock,
            is_owner=not_owner,
            http=http,
            provider_name="fake",
        )


async def test_a_command_holds_shows_progress_and_submits(world: World, launcher: Launcher):
    interaction = FakeInteraction()
    await launcher.from_command(interaction, GenerateRequest.create(prompt="a boat"))  # type: ignore[arg-type]
    assert interaction.response.deferred and not interaction.deleted
    assert interaction.edits[0].footer.text.startswith("Pika job #")
    [(request, ref)] = world.provider.submitted
    assert request.prompt == "a boat"
    [job] = await world.store.recent_jobs(GUILD, USER)
    assert (job.progress_message_id, job.progress_message_kind) == (555, ProgressKind.INTERACTION)
    assert (job.status, job.hold_state, ref) == (
        StoredStatus.SUBMITTED,
        HoldState.HELD,
        f"job-{job.id}",
    )
    assert job.interaction_token == "interaction-token"


async def test_a_refused_quota_takes_back_the_public_answer(world: World, launcher: Launcher):
    await world.quota.set_guild_allowance(GUILD, 0)
    interaction = FakeInteraction()
    with pytest.raises(QuotaExceeded):
        await launcher.from_command(interaction, GenerateRequest.create(prompt="a boat"))  # type: ignore[arg-type]
    assert interaction.deleted and world.provider.submitted == []
    assert await world.store.recent_jobs(GUILD, USER) == []


async def test_files_are_looked_at_before_the_request_is_built(
    world: World, launcher: Launcher, video_server: str
):
    # The local server answers every name with the same MP4-like bytes: not an image.
    item = MediaInput("image", "cat.png", f"{video_server}/cat.png", 2000, IMAGE)
    interaction = FakeInteraction()
    built = []

    def build(probes):
        built.append(probes)
        return PikaffectRequest.create(image=item.url, pikaffect="Melt")

    with pytest.raises(BadInput, match=r"`cat.png` is not a PNG, JPEG, WebP or GIF image"):
        await launcher.from_command(interaction, build, media=[item])  # type: ignore[arg-type]
    assert built == [] and interaction.deleted and world.provider.submitted == []
    unreadable = MediaInput("image", "gone.png", f"{video_server}/missing.mp4", 2000, IMAGE)
    with pytest.raises(BadInput, match=r"Couldn't read `gone.png` from Discord"):
        await launcher.from_command(
            FakeInteraction(),
            after_checks(PikaffectRequest, image="x", pikaffect="Melt"),
            media=[unreadable],  # type: ignore[arg-type]
        )


async def test_exactly_one_video_source_is_needed(launcher: Launcher):
    with pytest.raises(BadInput, match="not both and not neither"):
        await launcher.source_video(FakeInteraction(), None, None)  # type: ignore[arg-type]


async def test_a_button_job_is_announced_in_the_channel_and_submitted(
    world: World, launcher: Launcher
):
    parent = await world.new_job()
    interaction = FakeInteraction(message=type("Message", (), {"id": 321})())
    await launcher.from_button(interaction, GenerateRequest.create(prompt="again"), parent=parent)  # type: ignore[arg-type]
    assert interaction.response.deferred
    [announce] = world.outlet.named("announce")
    assert announce.view.parent_job_id == parent.id and announce.view.prompt == "again"
    [(request, _)] = world.provider.submitted
    assert request.prompt == "again"
