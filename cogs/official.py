"""The commands for Pika as it is sold today (Pika's developer API, fal): model 2.2.

/generate, /pikaffect, /ingredients (Pikascenes), /keyframes (Pikaframes), /additions, /swap,
with the options these services take: resolution, length, aspect ratio (the provider's own
list), negative prompt, seed. Loaded instead of the reseller commands (``cogs.create``) when the
provider's command set is the official one; commands and options it lacks are not offered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.jobs.launch import Launcher, after_checks
from bot.pika.capabilities import Capabilities, CommandSet
from bot.pika.requests import (
    OFFICIAL_PIKAFFECTS,
    AdditionsRequest,
    AspectRatio,
    GenerateRequest,
    IngredientsRequest,
    KeyframesRequest,
    PikaffectRequest,
    SwapRequest,
)
from bot.ui.command_text import L
from bot.ui.inputs import IMAGE, VIDEO, MediaInput, media_input
from cogs import _choices as choices
from cogs._options import drop_unset

if TYPE_CHECKING:
    from bot.client import PikaBot

Seed = app_commands.Range[int, 0, 2**32 - 1]
RESOLUTIONS = [app_commands.Choice(name=r, value=r) for r in ("720p", "1080p")]
DURATIONS = [
    app_commands.Choice(name=L("choice.duration.5"), value=5),
    app_commands.Choice(name=L("choice.duration.10"), value=10),
]
EFFECTS = choices.named_choices("effect", sorted(effect.value for effect in OFFICIAL_PIKAFFECTS))
HELP = {
    "resolution": L("opt.resolution"),
    "duration": L("opt.duration"),
    "aspect_ratio": L("opt.aspect_ratio"),
    "negative_prompt": L("opt.negative_prompt"),
    "seed": L("opt.seed"),
}


def _options(aspect_ratio: str | None, negative_prompt: str | None, seed: int | None) -> Any:
    return drop_unset(aspect_ratio=aspect_ratio, negative_prompt=negative_prompt, seed=seed)


def _images(prefix: str, *attachments: discord.Attachment | None) -> list[MediaInput]:
    return [
        media_input(attachment, IMAGE, f"{prefix}{number}")
        for number, attachment in enumerate(attachments, start=1)
        if attachment is not None
    ]


class Official(commands.Cog):
    """Pika 2.2: text or an image to video, effects, scenes, additions and swaps."""

    def __init__(self, launcher: Launcher, capabilities: Capabilities) -> None:
        self.launcher = launcher
        self.capabilities = capabilities

    async def aspect_ratios(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The shapes this provider makes (they differ between Pika's API and fal)."""
        offered = [r.value for r in AspectRatio if r.value in self.capabilities.aspect_ratios]
        return [app_commands.Choice(name=r, value=r) for r in offered if current in r][:25]

    @app_commands.command(description=L("cmd.generate.official"))
    @app_commands.describe(prompt=L("opt.generate.prompt"), image=L("opt.generate.image"), **HELP)
    @app_commands.choices(resolution=RESOLUTIONS)
    @app_commands.choices(duration=DURATIONS)
    async def generate(
        self,
        interaction: discord.Interaction,
        prompt: str | None = None,
        image: discord.Attachment | None = None,
        resolution: str | None = None,
        duration: int | None = None,
        aspect_ratio: str | None = None,
        negative_prompt: str | None = None,
        seed: Seed | None = None,
    ) -> None:
        defaults = await self.launcher.member_defaults(interaction.user.id)
        attached = [media_input(image, IMAGE, "image")] if image is not None else []
        fields = drop_unset(
            prompt=prompt,
            image=attached[0].url if attached else None,
            resolution=resolution,
            duration=duration,
        )
        request = after_checks(
            GenerateRequest,
            model="2.2",
            options=_options(
                aspect_ratio or defaults.aspect_ratio,
                negative_prompt or defaults.negative_prompt,
                seed,
            ),
            **fields,
        )
        await self.launcher.from_command(interaction, request, media=attached)

    @app_commands.command(description=L("cmd.pikaffect"))
    @app_commands.describe(
        image=L("opt.pikaffect.image"),
        effect=L("opt.effect"),
        prompt=L("opt.pikaffect.prompt"),
        negative_prompt=HELP["negative_prompt"],
        seed=HELP["seed"],
    )
    @app_commands.choices(effect=EFFECTS)
    async def pikaffect(
        self,
        interaction: discord.Interaction,
        image: discord.Attachment,
        effect: str,
        prompt: str | None = None,
        negative_prompt: str | None = None,
        seed: Seed | None = None,
    ) -> None:
        picture = media_input(image, IMAGE, "image")
        request = after_checks(
            PikaffectRequest,
            image=picture.url,
            pikaffect=effect,
            options=_options(None, negative_prompt, seed),
            **drop_unset(prompt=prompt),
        )
        await self.launcher.from_command(interaction, request, media=[picture])

    @app_commands.command(description=L("cmd.ingredients.official"))
    @app_commands.describe(**choices.INGREDIENT_HELP, **HELP)
    @app_commands.choices(mode=choices.INGREDIENT_MODES, resolution=RESOLUTIONS)
    @app_commands.choices(duration=DURATIONS)
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
        resolution: str | None = None,
        duration: int | None = None,
        aspect_ratio: str | None = None,
        negative_prompt: str | None = None,
        seed: Seed | None = None,
    ) -> None:
        pictures = _images("image", image1, image2, image3, image4, image5)
        request = after_checks(
            IngredientsRequest,
            prompt=prompt,
            model="2.2",
            ingredients=tuple(picture.url for picture in pictures),
            options=_options(aspect_ratio, negative_prompt, seed),
            **drop_unset(ingredients_mode=mode, resolution=resolution, duration=duration),
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

    for _command in (generate, ingredients):
        _command.autocomplete("aspect_ratio")(aspect_ratios)
    del _command


KEYFRAMES_HELP = {
    "image1": L("opt.keyframes.image1"),
    "image2": L("opt.keyframes.image2"),
    "image3": L("opt.keyframes.image3"),
    "image4": L("opt.keyframes.image4"),
    "image5": L("opt.keyframes.image5"),
    "prompt": L("opt.keyframes.prompt"),
    "length": L("opt.keyframes.length"),
    "resolution": HELP["resolution"],
    "negative_prompt": HELP["negative_prompt"],
    "seed": HELP["seed"],
}


async def _keyframes(
    launcher: Launcher,
    interaction: discord.Interaction,
    images: list[discord.Attachment | None],
    transitions: list[str | None],
    **fields: Any,
) -> None:
    pictures = _images("image", *images)
    given = [text or "" for text in transitions[: max(0, len(pictures) - 1)]]
    while given and not given[-1]:
        given.pop()  # trailing empty prompts say nothing
    options = _options(None, fields.pop("negative_prompt"), fields.pop("seed"))
    request = after_checks(
        KeyframesRequest,
        images=tuple(picture.url for picture in pictures),
        transitions=tuple(given),
        options=options,
        **drop_unset(**fields),
    )
    await launcher.from_command(interaction, request, media=pictures)


class KeyframesCog(commands.Cog):
    """/keyframes (Pikaframes) with one prompt for the whole video (Pika's developer API)."""

    def __init__(self, launcher: Launcher) -> None:
        self.launcher = launcher

    @app_commands.command(name="keyframes", description=L("cmd.keyframes"))
    @app_commands.describe(**KEYFRAMES_HELP)
    @app_commands.choices(resolution=RESOLUTIONS)
    async def keyframes(
        self,
        interaction: discord.Interaction,
        image1: discord.Attachment,
        image2: discord.Attachment,
        prompt: str,
        image3: discord.Attachment | None = None,
        image4: discord.Attachment | None = None,
        image5: discord.Attachment | None = None,
        length: app_commands.Range[int, 5, 10] | None = None,
        resolution: str | None = None,
        negative_prompt: str | None = None,
        seed: Seed | None = None,
    ) -> None:
        await _keyframes(
            self.launcher,
            interaction,
            [image1, image2, image3, image4, image5],
            [],
            prompt=prompt,
            length=length,
            resolution=resolution,
            negative_prompt=negative_prompt,
            seed=seed,
        )


class KeyframesWithTransitionsCog(commands.Cog):
    """/keyframes with a prompt per transition and up to 25 seconds (fal)."""

    def __init__(self, launcher: Launcher) -> None:
        self.launcher = launcher

    @app_commands.command(name="keyframes", description=L("cmd.keyframes"))
    @app_commands.describe(
        transition1=L("opt.transition1"),
        transition2=L("opt.transition2"),
        transition3=L("opt.transition3"),
        transition4=L("opt.transition4"),
        **KEYFRAMES_HELP,
    )
    @app_commands.choices(resolution=RESOLUTIONS)
    async def keyframes(
        self,
        interaction: discord.Interaction,
        image1: discord.Attachment,
        image2: discord.Attachment,
        image3: discord.Attachment | None = None,
        image4: discord.Attachment | None = None,
        image5: discord.Attachment | None = None,
        prompt: str | None = None,
        transition1: str | None = None,
        transition2: str | None = None,
        transition3: str | None = None,
        transition4: str | None = None,
        length: app_commands.Range[int, 2, 25] | None = None,
        resolution: str | None = None,
        negative_prompt: str | None = None,
        seed: Seed | None = None,
    ) -> None:
        await _keyframes(
            self.launcher,
            interaction,
            [image1, image2, image3, image4, image5],
            [transition1, transition2, transition3, transition4],
            prompt=prompt,
            length=length,
            resolution=resolution,
            negative_prompt=negative_prompt,
            seed=seed,
        )


async def setup(bot: PikaBot) -> None:
    capabilities = bot.deps.capabilities
    if capabilities.command_set is not CommandSet.OFFICIAL:
        return
    await bot.add_cog(Official(bot.deps.launcher, capabilities))
    if capabilities.transition_prompts:
        await bot.add_cog(KeyframesWithTransitionsCog(bot.deps.launcher))
    else:
        await bot.add_cog(KeyframesCog(bot.deps.launcher))
