"""A member's own: /settings (their defaults) and /show (a finished video, posted again)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.member import UNSET, MemberDefaults
from bot.domain.operations import Operation
from bot.domain.text import clean_text
from bot.errors import BadInput
from bot.jobs.scope import billing_scope
from bot.jobs.show import show_again
from bot.pika.requests import AspectRatio
from bot.ui import render
from bot.ui.command_text import L
from bot.ui.errors import member_locale
from bot.ui.job_option import FinishedJob
from cogs import _choices as choices

if TYPE_CHECKING:
    from bot.client import PikaBot

Fps = app_commands.Range[int, 1, 24]
Motion = app_commands.Range[int, 1, 4]
ALL_RATIOS = [app_commands.Choice(name=a.value, value=a.value) for a in AspectRatio]
CLEARABLE = choices.named_choices(
    "setting", [name for name in MemberDefaults.names() if name != "private_results"]
)
NEGATIVE_PROMPT_LIMIT = 500


class Personal(commands.Cog):
    def __init__(self, bot: PikaBot) -> None:
        self.bot = bot

    @app_commands.command(description=L("cmd.settings"))
    @app_commands.describe(
        model=L("opt.settings.model"),
        aspect_ratio=L("opt.settings.aspect_ratio"),
        motion=L("opt.motion"),
        fps=L("opt.fps"),
        negative_prompt=L("opt.settings.negative_prompt"),
        private_results=L("opt.private_results"),
        clear=L("opt.clear"),
        reset=L("opt.reset"),
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
            raise BadInput("settings.refusal.model", model=model, choices=", ".join(offered))
        ratios = sorted(capabilities.aspect_ratios)
        if aspect_ratio is not None and ratios and aspect_ratio not in ratios:
            raise BadInput(
                "settings.refusal.aspect_ratio", ratio=aspect_ratio, choices=", ".join(ratios)
            )
        negative: Any = UNSET
        if negative_prompt is not None:
            negative = clean_text(negative_prompt) or None
            if negative is not None and len(negative) > NEGATIVE_PROMPT_LIMIT:
                raise BadInput("settings.refusal.negative_prompt", limit=NEGATIVE_PROMPT_LIMIT)
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
            embed=render.settings_embed(defaults, member_locale(interaction)), ephemeral=True
        )

    @app_commands.command(description=L("cmd.show"))
    @app_commands.describe(job=L("opt.show.job"))
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
