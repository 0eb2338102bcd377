"""Buttons on every result, as persistent ``DynamicItem``s: ``pika:<action>:<job id>``.

Only the job id travels in the button; the request behind it comes from the database, so the
buttons keep working after any restart.
"""

from __future__ import annotations

import logging
import random
import re
from typing import Any

import discord

from bot.deps import deps_of
from bot.domain.jobs import JobRecord
from bot.domain.operations import Operation
from bot.jobs.scope import billing_scope
from bot.jobs.views import request_of
from bot.pika.capabilities import Capabilities
from bot.pika.requests import (
    ExtendRequest,
    PikaRequest,
    RepromptRequest,
    UpscaleRequest,
    options_of,
    prompt_of,
)
from bot.ui.errors import member_locale, report_interaction_error
from bot.ui.i18n import DEFAULT_LOCALE, Locale, t
from bot.ui.render import cancel_answer

log = logging.getLogger(__name__)

ACTIONS: dict[str, tuple[str, str, Operation | None]] = {
    # action: (label, emoji, operation the provider must support; None = the job's own)
    # (the label is a message id, written in the language of the result's message)
    "extend": ("button.extend", "⏩", Operation.EXTEND),
    "upscale": ("button.upscale", "🔍", Operation.UPSCALE),
    "reprompt": ("button.reprompt", "✏️", Operation.REPROMPT),
    "reroll": ("button.reroll", "🎲", None),
}


def custom_id(action: str, job_id: int) -> str:
    return f"pika:{action}:{job_id}"


class ResultButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"pika:(?P<action>extend|upscale|reprompt|reroll):(?P<job_id>\d+)",
):
    """One of the result's buttons; pressing it starts a new job from the stored one."""

    def __init__(self, action: str, job_id: int, locale: Locale = DEFAULT_LOCALE) -> None:
        label, emoji, _ = ACTIONS[action]
        super().__init__(
            discord.ui.Button(
                label=t(locale, label),
                emoji=emoji,
                style=discord.ButtonStyle.secondary,
                custom_id=custom_id(action, job_id),
            )
        )
        self.action = action
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ResultButton:
        return cls(match["action"], int(match["job_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self._press(interaction)
        except Exception as error:
            await report_interaction_error(interaction, error)

    async def _press(self, interaction: discord.Interaction) -> None:
        deps = deps_of(interaction.client)
        parent = await deps.accounts.result_for_button(self.job_id, interaction.user.id)
        if self.action == "reprompt":
            await interaction.response.send_modal(RepromptModal(parent, member_locale(interaction)))
            return
        request = follow_up_request(self.action, parent)
        await deps.launcher.from_button(interaction, request, parent=parent)


def follow_up_request(action: str, parent: JobRecord) -> PikaRequest:
    """The request a button starts, built from the stored job."""
    assert parent.result_url is not None  # only finished jobs have buttons that work
    earlier = request_of(parent)
    options = options_of(earlier)
    options_json = options.model_dump(mode="json") if options is not None else {}
    if action == "extend":
        return ExtendRequest.create(
            video=parent.result_url, prompt=prompt_of(earlier), options=options_json
        )
    if action == "upscale":
        return UpscaleRequest.create(video=parent.result_url)
    if action == "reroll":
        if options is None:
            return earlier
        new_seed = random.randrange(2**32)
        return earlier.replace(options={**options_json, "seed": new_seed})
    raise ValueError(f"unknown action {action}")


class RepromptModal(discord.ui.Modal):
    def __init__(self, parent: JobRecord, locale: Locale = DEFAULT_LOCALE) -> None:
        super().__init__(title=t(locale, "modal.reprompt.title"), timeout=None)
        self.parent = parent
        self.prompt: discord.ui.TextInput[RepromptModal] = discord.ui.TextInput(
            label=t(locale, "modal.reprompt.prompt"),
            style=discord.TextStyle.paragraph,
            default=prompt_of(request_of(parent))[:1000],
            max_length=1000,
            required=True,
            custom_id="prompt",
        )
        self.add_item(self.prompt)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        assert self.parent.result_url is not None
        options = options_of(request_of(self.parent))
        request = RepromptRequest.create(
            video=self.parent.result_url,
            prompt=self.prompt.value,
            options=options.model_dump(mode="json") if options is not None else {},
        )
        await deps_of(interaction.client).launcher.from_button(
            interaction, request, parent=self.parent
        )

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        await report_interaction_error(interaction, error)


class CancelButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"pika:cancel:(?P<job_id>\d+)",
):
    """The Cancel button on a job's progress message (its owner, or the server's staff)."""

    def __init__(self, job_id: int, locale: Locale = DEFAULT_LOCALE) -> None:
        super().__init__(
            discord.ui.Button(
                label=t(locale, "button.cancel"),
                emoji="✖️",
                style=discord.ButtonStyle.secondary,
                custom_id=f"pika:cancel:{job_id}",
            )
        )
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> CancelButton:
        return cls(int(match["job_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await cancel_job(interaction, self.job_id)
        except Exception as error:
            await report_interaction_error(interaction, error)


async def cancel_job(interaction: discord.Interaction, job_id: int) -> None:
    """Cancel a job for the member (from the button or /cancel) and say what became of it."""
    deps = deps_of(interaction.client)
    await deps.accounts.job_to_cancel(
        billing_scope(interaction),
        interaction.user.id,
        job_id,
        staff=interaction.permissions.manage_guild,
    )
    # Asking Pika to stop may take a moment: acknowledge privately first.
    await interaction.response.defer(ephemeral=True, thinking=True)
    outcome = await deps.engine.cancel(job_id, interaction.user.id)
    await interaction.followup.send(
        cancel_answer(outcome, job_id, member_locale(interaction)), ephemeral=True
    )


def progress_view(job_id: int, locale: Locale = DEFAULT_LOCALE) -> discord.ui.View:
    """The button a job in the making shows: Cancel."""
    view = discord.ui.View(timeout=None)
    view.add_item(CancelButton(job_id, locale))
    return view


def result_view(
    job_id: int, capabilities: Capabilities, locale: Locale = DEFAULT_LOCALE
) -> discord.ui.View:
    """The buttons a finished job gets; only those the provider can serve."""
    view = discord.ui.View(timeout=None)
    for action, (_, _, operation) in ACTIONS.items():
        if operation is not None and not capabilities.supports(operation):
            continue
        view.add_item(ResultButton(action, job_id, locale))
    return view


DYNAMIC_ITEMS = (ResultButton, CancelButton)
