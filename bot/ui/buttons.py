"""Buttons on every result, as persistent ``DynamicItem``s: ``pika:<action>:<job id>``.

Only the job id travels in the button; the request behind it comes from the database, so the
buttons keep working after any restart.
"""

from __future__ import annotations

import logging
import random
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import BadInput, NotAllowed
from bot.pika.job import Operation
from bot.pika.requests import ExtendRequest, RepromptRequest, UpscaleRequest, parse_request
from bot.ui.errors import report_interaction_error

if TYPE_CHECKING:
    from bot.client import PikaBot

log = logging.getLogger(__name__)

ACTIONS: dict[str, tuple[str, str, Operation | None]] = {
    # action: (label, emoji, operation the provider must support; None = the job's own)
    "extend": ("Extend", "⏩", Operation.EXTEND),
    "upscale": ("Upscale", "🔍", Operation.UPSCALE),
    "reprompt": ("Reprompt", "✏️", Operation.REPROMPT),
    "reroll": ("Reroll", "🎲", None),
}


def custom_id(action: str, job_id: int) -> str:
    return f"pika:{action}:{job_id}"


class ResultButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"pika:(?P<action>extend|upscale|reprompt|reroll):(?P<job_id>\d+)",
):
    """One of the result's buttons; pressing it starts a new job from the stored one."""

    def __init__(self, action: str, job_id: int) -> None:
        label, emoji, _ = ACTIONS[action]
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji=emoji,
                style=discord.ButtonStyle.secondary,
                custom_id=custom_id(action, job_id),
            )
        )
        self.action = action
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> ResultButton:
        return cls(match["action"], int(match["job_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        try:
            await self._press(interaction)
        except Exception as error:
            await report_interaction_error(interaction, error)

    async def _press(self, interaction: discord.Interaction) -> None:
        bot: PikaBot = interaction.client  # type: ignore[assignment]
        services = bot.services
        parent = await services.store.get_job(self.job_id)
        if parent is None or parent.status != "succeeded" or not parent.result_url:
            raise BadInput("That video is no longer available.")
        await ensure_may_press(bot, interaction, parent)
        if self.action == "reprompt":
            await interaction.response.send_modal(RepromptModal(parent))
            return
        request = follow_up_request(self.action, parent)
        await services.launcher.from_button(interaction, request, parent=parent)


async def ensure_may_press(bot: PikaBot, interaction: discord.Interaction, parent: Any) -> None:
    if interaction.user.id == parent.owner_id:
        return
    settings = await bot.services.quota.guild_settings(parent.guild_id)
    if settings.anyone_can_press:
        return
    raise NotAllowed(
        f"Only <@{parent.owner_id}> can use the buttons on their video. "
        "Make your own with /generate!"
    )


def follow_up_request(action: str, parent: Any) -> Any:
    """The request a button starts, built from the stored job."""
    earlier = parse_request(parent.request_json)
    options = getattr(earlier, "options", None)
    options_json = options.model_dump(mode="json") if options is not None else {}
    prompt = getattr(earlier, "prompt", "") or ""
    if action == "extend":
        return ExtendRequest.create(video=parent.result_url, prompt=prompt, options=options_json)
    if action == "upscale":
        return UpscaleRequest.create(video=parent.result_url)
    if action == "reroll":
        if options is None:
            return earlier
        new_seed = random.randrange(2**32)
        return earlier.replace(options={**options_json, "seed": new_seed})
    raise ValueError(f"unknown action {action}")


class RepromptModal(discord.ui.Modal, title="Reprompt this video"):
    def __init__(self, parent: Any) -> None:
        super().__init__(timeout=None)
        self.parent = parent
        old_prompt = getattr(parse_request(parent.request_json), "prompt", "") or ""
        self.prompt = discord.ui.TextInput(
            label="New prompt",
            style=discord.TextStyle.paragraph,
            default=old_prompt[:1000],
            max_length=1000,
            required=True,
            custom_id="prompt",
        )
        self.add_item(self.prompt)

    async def on_submit(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        bot: PikaBot = interaction.client  # type: ignore[assignment]
        earlier = parse_request(self.parent.request_json)
        options = getattr(earlier, "options", None)
        request = RepromptRequest.create(
            video=self.parent.result_url,
            prompt=self.prompt.value,
            options=options.model_dump(mode="json") if options is not None else {},
        )
        await bot.services.launcher.from_button(interaction, request, parent=self.parent)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        await report_interaction_error(interaction, error)


def result_view(record: Any, capabilities: Any) -> discord.ui.View:
    """The buttons a finished job gets; only those the provider can serve."""
    view = discord.ui.View(timeout=None)
    for action, (_, _, operation) in ACTIONS.items():
        if operation is not None and not capabilities.supports(operation):
            continue
        view.add_item(ResultButton(action, record.id))
    return view


DYNAMIC_ITEMS = (ResultButton,)
