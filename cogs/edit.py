"""Commands that change a video, given as `video` (a file) or `job` (an earlier result)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.jobs.launch import Launcher, after_checks
from bot.media.probe import Probe
from bot.pika.capabilities import CommandSet
from bot.pika.requests import (
    EditRequest,
    ExtendRequest,
    InpaintRequest,
    LipsyncRequest,
    OutpaintRequest,
    RepromptRequest,
    UpscaleRequest,
)
from bot.ui.command_text import L
from bot.ui.inputs import AUDIO, media_input, speech_window
from bot.ui.job_option import FinishedJob
from cogs import _choices as choices
from cogs._options import drop_unset, generation_options
from cogs.create import Fps, Guidance, Motion, Seed

if TYPE_CHECKING:
    from bot.client import PikaBot

Percent = app_commands.Range[float, 0, 100]
Seconds = app_commands.Range[float, 0, 3600]
VIDEO_HELP = L("opt.source.video")
JOB_HELP = L("opt.source.job")
JobOption = app_commands.Transform[int, FinishedJob]


class Edit(commands.Cog):
    def __init__(self, launcher: Launcher) -> None:
        self.launcher = launcher

    @app_commands.command(description=L("cmd.lipsync"))
    @app_commands.describe(
        video=VIDEO_HELP,
        job=JOB_HELP,
        audio=L("opt.audio"),
        start=L("opt.start"),
        end=L("opt.end"),
    )
    async def lipsync(
        self,
        interaction: discord.Interaction,
        audio: discord.Attachment,
        video: discord.Attachment | None = None,
        job: JobOption | None = None,
        start: Seconds | None = None,
        end: Seconds | None = None,
    ) -> None:
        source = await self.launcher.source_video(interaction, video, job)
        speech = media_input(audio, AUDIO, "audio")
        known_length = source.record.duration if source.record is not None else None

        def build(probes: Mapping[str, Probe]) -> LipsyncRequest:
            video_probe = probes.get("video")
            video_seconds = video_probe.seconds if video_probe is not None else known_length
            speech_start, speech_end = speech_window(
                speech, probes["audio"].seconds, video_seconds, start or 0.0, end
            )
            return LipsyncRequest.create(
                video=source.url,
                speech=speech.url,
                speech_start=speech_start,
                speech_end=speech_end,
            )

        await self.launcher.from_command(
            interaction,
            build,
            media=[*source.media_list, speech],
            parent_job_id=source.parent_job_id,
        )

    @app_commands.command(description=L("cmd.inpaint"))
    @app_commands.describe(
        video=VIDEO_HELP,
        job=JOB_HELP,
        x=L("opt.x"),
        y=L("opt.y"),
        width=L("opt.width"),
        height=L("opt.height"),
        prompt=L("opt.inpaint.prompt"),
        style=L("opt.inpaint.style"),
    )
    @app_commands.choices(style=choices.STYLES)
    async def inpaint(
        self,
        interaction: discord.Interaction,
        x: Percent,
        y: Percent,
        width: Percent,
        height: Percent,
        video: discord.Attachment | None = None,
        job: JobOption | None = None,
        prompt: str | None = None,
        style: str | None = None,
    ) -> None:
        source = await self.launcher.source_video(interaction, video, job)
        request = after_checks(
            InpaintRequest,
            **drop_unset(
                video=source.url,
                prompt=prompt if prompt is not None else source.earlier_prompt(),
                style=style,
                area={"x": x, "y": y, "width": width, "height": height},
                options=generation_options(base=source.earlier_options()),
            ),
        )
        await self.launcher.from_command(
            interaction, request, media=source.media_list, parent_job_id=source.parent_job_id
        )

    @app_commands.command(description=L("cmd.outpaint"))
    @app_commands.describe(
        video=VIDEO_HELP,
        job=JOB_HELP,
        aspect_ratio=L("opt.outpaint.aspect_ratio"),
        x=L("opt.outpaint.x"),
        y=L("opt.y"),
        width=L("opt.width"),
        height=L("opt.height"),
        prompt=L("opt.outpaint.prompt"),
    )
    @app_commands.choices(aspect_ratio=choices.ASPECT_RATIOS)
    async def outpaint(
        self,
        interaction: discord.Interaction,
        aspect_ratio: str,
        prompt: str,
        video: discord.Attachment | None = None,
        job: JobOption | None = None,
        x: Percent = 0.0,
        y: Percent = 0.0,
        width: Percent = 100.0,
        height: Percent = 100.0,
    ) -> None:
        source = await self.launcher.source_video(interaction, video, job)
        request = after_checks(
            OutpaintRequest,
            video=source.url,
            prompt=prompt,
            area={"x": x, "y": y, "width": width, "height": height},
            options=generation_options(base=source.earlier_options(), aspect_ratio=aspect_ratio),
        )
        await self.launcher.from_command(
            interaction, request, media=source.media_list, parent_job_id=source.parent_job_id
        )

    @app_commands.command(description=L("cmd.extend"))
    @app_commands.describe(video=VIDEO_HELP, job=JOB_HELP, prompt=L("opt.extend.prompt"))
    async def extend(
        self,
        interaction: discord.Interaction,
        video: discord.Attachment | None = None,
        job: JobOption | None = None,
        prompt: str | None = None,
    ) -> None:
        source = await self.launcher.source_video(interaction, video, job)
        request = after_checks(
            ExtendRequest,
            **drop_unset(
                video=source.url,
                prompt=prompt if prompt is not None else source.earlier_prompt(),
                options=generation_options(base=source.earlier_options()),
            ),
        )
        await self.launcher.from_command(
            interaction, request, media=source.media_list, parent_job_id=source.parent_job_id
        )

    @app_commands.command(description=L("cmd.upscale"))
    @app_commands.describe(video=VIDEO_HELP, job=JOB_HELP)
    async def upscale(
        self,
        interaction: discord.Interaction,
        video: discord.Attachment | None = None,
        job: JobOption | None = None,
    ) -> None:
        source = await self.launcher.source_video(interaction, video, job)
        await self.launcher.from_command(
            interaction,
            after_checks(UpscaleRequest, video=source.url),
            media=source.media_list,
            parent_job_id=source.parent_job_id,
        )

    @app_commands.command(description=L("cmd.reprompt"))
    @app_commands.describe(video=VIDEO_HELP, job=JOB_HELP, prompt=L("opt.reprompt.prompt"))
    async def reprompt(
        self,
        interaction: discord.Interaction,
        prompt: str,
        video: discord.Attachment | None = None,
        job: JobOption | None = None,
    ) -> None:
        source = await self.launcher.source_video(interaction, video, job)
        request = after_checks(
            RepromptRequest,
            video=source.url,
            prompt=prompt,
            options=generation_options(base=source.earlier_options()),
        )
        await self.launcher.from_command(
            interaction, request, media=source.media_list, parent_job_id=source.parent_job_id
        )

    @app_commands.command(description=L("cmd.edit"))
    @app_commands.describe(
        video=VIDEO_HELP,
        job=JOB_HELP,
        prompt=L("opt.edit.prompt"),
        style=L("opt.inpaint.style"),
        **choices.GENERATION_HELP,
    )
    @app_commands.choices(**choices.GENERATION_CHOICES)
    async def edit(
        self,
        interaction: discord.Interaction,
        video: discord.Attachment | None = None,
        job: JobOption | None = None,
        prompt: str | None = None,
        style: str | None = None,
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
    ) -> None:
        source = await self.launcher.source_video(interaction, video, job)
        request = after_checks(
            EditRequest,
            **drop_unset(
                video=source.url,
                prompt=prompt if prompt is not None else source.earlier_prompt(),
                style=style,
                options=generation_options(
                    base=source.earlier_options(),
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
        await self.launcher.from_command(
            interaction, request, media=source.media_list, parent_job_id=source.parent_job_id
        )


async def setup(bot: PikaBot) -> None:
    if bot.deps.capabilities.command_set is not CommandSet.CLASSIC:
        return  # none of these exist on Pika's developer API or fal
    await bot.add_cog(Edit(bot.deps.launcher))
