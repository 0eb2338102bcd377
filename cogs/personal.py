"""A member's own: /settings (their defaults) and /show (a finished video, posted again)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.member import MemberDefaults
from bot.domain.operations import Operation
from bot.domain.text import clean_text
from bot.errors import BadInput
from bot.jobs.scope import billing_scope
from bot.jobs.show import show_again
from bot.pika.requests import AspectRatio
from bot.store import UNSET
from bot.ui import render
from bot.ui.job_option import FinishedJob
from cogs import _choices as choices

if TYPE_CHECKING:
    from bot.client import PikaBot

Fps = app_commands.Range[int, 1, 24]
Motion = app_commands.Range[int, 1, 4]
ALL_RATIOS = [app_commands.Choice(name=a.value, value=a.value) for a in AspectRatio]
CLEARABLE = [
    app_commands.Choice(name=name.replace("_", " "), value=name)
    for name in MemberDefaults.names()
    if name != "private_results"
]
NEGATIVE_PROMPT_LIMIT = 500


class Personal(commands.Cog):
    def __init__(self, bot: PikaBot) -> None:
        self.bot = bot

    @app_commands.command(description="Your defaults for every command; with no options, see them")
    @app_commands.describe(
        model="Pika model to use when you don't pick one",
        aspect_ratio="Shape of your videos when you don't pick one",
        motion="Strength of motion, 1 to 4",
        fps="Frames per second, 1 to 24",
        negative_prompt="What your videos should not show",
        private_results="Post your videos so only you see them (where Discord allows)",
        clear="Go back to the bot's default for one setting",
        reset="Go back to the bot's defaults for everything",
    )
    @app_commands.choices(model=choices.MODELS, aspect_ratio=ALL_RATIOS, clear=CLEARABLE)
    async def settings(
        self,
        interaction: discord.Interaction,
        model: str | None = None,
        aspect_ratio: str | None = None,
        motion: Motion | None = None,
        fps: Fps | None = None,
        negative_prompt: str | None = None,
        private_results: bool | None = None,
        clear: str | None = None,
        reset: bool = False,
    ) -> None:
        deps = self.bot.deps
        capabilities = deps.capabilities
        offered = capabilities.models.get(Operation.GENERATE, ())
        if model is not None and offered and model not in offered:
            raise BadInput(f"Model {model} is not offered here; pick one of {', '.join(offered)}.")
        ratios = sorted(capabilities.aspect_ratios)
        if aspect_ratio is not None and ratios and aspect_ratio not in ratios:
            raise BadInput(
                f"Aspect ratio {aspect_ratio} is not offered here; pick one of {', '.join(ratios)}."
            )
        negative: Any = UNSET
        if negative_prompt is not None:
            negative = clean_text(negative_prompt) or None
            if negative is not None and len(negative) > NEGATIVE_PROMPT_LIMIT:
                raise BadInput(
                    f"A negative prompt can be at most {NEGATIVE_PROMPT_LIMIT} characters."
                )
        changes: dict[str, Any] = {
            "model": UNSET if model is None else model,
            "aspect_ratio": UNSET if aspect_ratio is None else aspect_ratio,
            "motion": UNSET if motion is None else motion,
            "frame_rate": UNSET if fps is None else fps,
            "negative_prompt": negative,
            "private_results": UNSET if private_results is None else private_results,
        }
        if clear is not None:
            changes[clear] = None
        settings = deps.members
        if reset or any(value is not UNSET for value in changes.values()):
            defaults = await settings.update(interaction.user.id, reset=reset, **changes)
        else:
            defaults = await settings.get(interaction.user.id)
        await interaction.response.send_message(
            embed=render.settings_embed(defaults), ephemeral=True
        )

    @app_commands.command(description="Post one of your finished videos again, here")
    @app_commands.describe(job="The video to bring back (pick from the list)")
    async def show(
        self, interaction: discord.Interaction, job: app_commands.Transform[int, FinishedJob]
    ) -> None:
        deps = self.bot.deps
        record = await deps.accounts.own_finished_job(
            billing_scope(interaction), interaction.user.id, job
        )
        private = (await deps.launcher.member_defaults(interaction.user.id)).private_results
        await show_again(
            interaction,
            record,
            engine=deps.engine,
            capabilities=deps.capabilities,
            http=deps.http,
            private=private,
        )


async def setup(bot: PikaBot) -> None:
    await bot.add_cog(Personal(bot))
