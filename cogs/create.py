"""Commands that make a new video: /generate, /pikaffect, /ingredients, /additions, /swap."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.operations import Operation
from bot.errors import BadInput
from bot.jobs.launch import Launcher, after_checks
from bot.pika.capabilities import Capabilities, CommandSet
from bot.pika.requests import (
    AdditionsRequest,
    GenerateRequest,
    IngredientsRequest,
    PikaffectRequest,
    SwapRequest,
)
from bot.ui.command_text import L
from bot.ui.inputs import IMAGE, VIDEO, media_input
from cogs import _choices as choices
from cogs._options import drop_unset, generation_options

if TYPE_CHECKING:
    from bot.client import PikaBot

Fps = app_commands.Range[int, 1, 24]
Motion = app_commands.Range[int, 1, 4]
Guidance = app_commands.Range[int, 5, 25]
Seed = app_commands.Range[int, 0, 2**32 - 1]


class Create(commands.Cog):
    def __init__(self, launcher: Launcher, capabilities: Capabilities) -> None:
        self.launcher = launcher
        self.capabilities = capabilities

    @app_commands.command(description=L("cmd.generate"))
    @app_commands.describe(
        prompt=L("opt.generate.prompt"),
        image=L("opt.image"),
        video=L("opt.video"),
        model=L("opt.model"),
        style=L("opt.style"),
        sfx=L("opt.sfx"),
        **choices.GENERATION_HELP,
    )
    @app_commands.choices(model=choices.MODELS, **choices.GENERATION_CHOICES)
    async def generate(
        self,
        interaction: discord.Interaction,
        prompt: str | None = None,
        image: discord.Attachment | None = None,
        video: discord.Attachment | None = None,
        model: str | None = None,
        aspect_ratio: str | None = None,
        fps: Fps | None = None,
        motion: Motion | None = None,
        guidance: Guidance | None = None,
        negative_prompt: str | None = None,
        seed: Seed | None = None,
        camera_zoom: str | None = None,
        camera_pan: str | None = None,
        camera_tilt: str | None = None,
        camera_rotate: str | None = None,
        style: str | None = None,
        sfx: bool | None = None,
    ) -> None:
        if not (prompt or image or video):
            raise BadInput("input.generate.need_input")
        defaults = await self.launcher.member_defaults(interaction.user.id)
        if model is None:
            # The member's default if this service offers it, else the service's first, so a
            # feed user is never refused a model they didn't pick.
            offered = self.capabilities.models.get(Operation.GENERATE) or ()
            model = defaults.model if defaults.model in offered else (offered or (None,))[0]
        attached = [
            media_input(file, kind, option)
            for file, kind, option in ((image, IMAGE, "image"), (video, VIDEO, "video"))
            if file is not None
        ]
        urls = {item.option: item.url for item in attached}
        request = after_checks(
            GenerateRequest,
            **drop_unset(
                prompt=prompt,
                model=model,
                style=style,
                sfx=sfx,
                image=urls.get("image"),
                video=urls.get("video"),
                options=generation_options(
                    base=defaults.options_base(),
                    aspect_ratio=aspect_ratio,
                    fps=fps,
                    motion=motion,
                    guidance=guidance,
                    negative_prompt=negative_prompt,
                    seed=seed,
                    camera_zoom=camera_zoom,
                    camera_pan=camera_pan,
                    camera_tilt=camera_tilt,
                    camera_rotate=camera_rotate,
                ),
            ),
        )
        await self.launcher.from_command(interaction, request, media=attached)

    @app_commands.command(description=L("cmd.pikaffect"))
    @app_commands.describe(
        image=L("opt.pikaffect.image"),
        effect=L("opt.effect"),
        prompt=L("opt.pikaffect.prompt"),
    )
    @app_commands.choices(effect=choices.PIKAFFECTS)
    async def pikaffect(
        self,
        interaction: discord.Interaction,
        image: discord.Attachment,
        effect: str,
        prompt: str | None = None,
    ) -> None:
        picture = media_input(image, IMAGE, "image")
        request = after_checks(
            PikaffectRequest, **drop_unset(image=picture.url, pikaffect=effect, prompt=prompt)
        )
        await self.launcher.from_command(interaction, request, media=[picture])

    @app_commands.command(description=L("cmd.ingredients"))
    @app_commands.describe(
        **choices.INGREDIENT_HELP,
        model=L("opt.ingredients.model"),
        aspect_ratio=L("opt.ingredients.aspect_ratio"),
    )
    @app_commands.choices(
        mode=choices.INGREDIENT_MODES,
        model=choices.INGREDIENT_MODELS,
        aspect_ratio=choices.ASPECT_RATIOS,
    )
    async def ingredients(
        self,
        interaction: discord.Interaction,
        prompt: str,
        image1: discord.Attachment,
        image2: discord.Attachment | None = None,
        image3: discord.Attachment | None = None,
        image4: discord.Attachment | None = None,
        image5: discord.Attachment | None = None,
        mode: str | None = None,
        model: str | None = None,
        aspect_ratio: str | None = None,
    ) -> None:
        defaults = await self.launcher.member_defaults(interaction.user.id)
        images = [image1, image2, image3, image4, image5]
        pictures = [
            media_input(image, IMAGE, f"image{number}")
            for number, image in enumerate(images, start=1)
            if image is not None
        ]
        request = after_checks(
            IngredientsRequest,
            **drop_unset(
                prompt=prompt,
                ingredients=tuple(picture.url for picture in pictures),
                ingredients_mode=mode,
                model=model,
                options=generation_options(base=defaults.options_base(), aspect_ratio=aspect_ratio),
            ),
        )
        await self.launcher.from_command(interaction, request, media=pictures)

    @app_commands.command(description=L("cmd.additions"))
    @app_commands.describe(
        video=L("opt.additions.video"),
        image=L("opt.additions.image"),
        prompt=L("opt.additions.prompt"),
    )
    async def additions(
        self,
        interaction: discord.Interaction,
        video: discord.Attachment,
        image: discord.Attachment,
        prompt: str,
    ) -> None:
        clip, picture = media_input(video, VIDEO, "video"), media_input(image, IMAGE, "image")
        request = after_checks(AdditionsRequest, video=clip.url, image=picture.url, prompt=prompt)
        await self.launcher.from_command(interaction, request, media=[clip, picture])

    @app_commands.command(description=L("cmd.swap"))
    @app_commands.describe(
        video=L("opt.additions.video"),
        image=L("opt.swap.image"),
        swap=L("opt.swap.swap"),
        prompt=L("opt.swap.prompt"),
    )
    async def swap(
        self,
        interaction: discord.Interaction,
        video: discord.Attachment,
        image: discord.Attachment,
        swap: str,
        prompt: str,
    ) -> None:
        clip, picture = media_input(video, VIDEO, "video"), media_input(image, IMAGE, "image")
        request = after_checks(
            SwapRequest, video=clip.url, image=picture.url, swap_prompt=swap, prompt=prompt
        )
        await self.launcher.from_command(interaction, request, media=[clip, picture])


async def setup(bot: PikaBot) -> None:
    if bot.deps.capabilities.command_set is not CommandSet.CLASSIC:
        return  # cogs.official serves Pika 2.2 as sold today
    await bot.add_cog(Create(bot.deps.launcher, bot.deps.capabilities))
