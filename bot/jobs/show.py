"""/show: post one of a member's finished videos again, here, with buttons that work."""

from __future__ import annotations

import logging

import aiohttp
import discord

from bot.domain.jobs import JobRecord
from bot.jobs.download import DownloadError, discard, download_to_file
from bot.jobs.engine import JobEngine
from bot.pika.capabilities import Capabilities
from bot.ui import render
from bot.ui.buttons import result_view
from bot.ui.errors import member_locale
from bot.ui.i18n import resolve

log = logging.getLogger(__name__)


async def show_again(
    interaction: discord.Interaction,
    record: JobRecord,
    *,
    engine: JobEngine,
    capabilities: Capabilities,
    http: aiohttp.ClientSession,
    private: bool,
) -> None:
    """Answer the interaction with the job's result: the video itself where it fits the
    channel's upload limit, else a link; the result buttons are the job's own (persistent)."""
    assert record.result_url is not None
    await interaction.response.defer(thinking=True, ephemeral=private)
    view = engine.view(record)
    # A private answer is the member's alone: their language; else the job's own.
    locale = member_locale(interaction) if private else resolve(view.locale)
    link_note = None
    files: list[discord.File] = []
    try:
        downloaded = await download_to_file(
            http,
            record.result_url,
            max_bytes=interaction.filesize_limit,
        )
    except DownloadError as error:
        log.warning("Job %s: could not fetch the video to show it again: %s", record.id, error)
        downloaded = None
        link_note = render.link_note(record.result_url, locale)
    try:
        if downloaded is not None and downloaded.path is not None:
            files = [discord.File(downloaded.path, filename=f"pika-{record.id}.mp4")]
        elif downloaded is not None:
            link_note = render.oversize_note(record.result_url, downloaded.size, locale)
        await interaction.followup.send(
            content=render.shown_again_content(view, locale),
            embed=render.result_embed(view, link_note=link_note, locale=locale),
            files=files,
            view=result_view(record.id, capabilities, locale),
            ephemeral=private,
            allowed_mentions=discord.AllowedMentions.none(),
        )
    finally:
        if downloaded is not None:
            discard(downloaded)
