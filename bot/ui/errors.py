"""Turn any failure during an interaction into an answer the user can read."""

from __future__ import annotations

import logging
import secrets

import discord

from bot.domain.errors import InvalidSettingError, QuotaExceeded, QuotaReason, SettingProblem
from bot.errors import UserFacingError
from bot.pika.errors import PikaError
from bot.ui.words import credits, relative_time

log = logging.getLogger(__name__)


def user_message_for(error: BaseException) -> str | None:
    """Return the sentence for an expected error, or None when it is a bug."""
    if isinstance(error, discord.app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, discord.app_commands.CheckFailure) and isinstance(
        error.__cause__, UserFacingError
    ):
        error = error.__cause__
    if isinstance(error, QuotaExceeded):
        return quota_refusal(error)
    if isinstance(error, UserFacingError):
        return error.message
    if isinstance(error, InvalidSettingError):
        return setting_refusal(error)
    if isinstance(error, PikaError):
        return as_sentence(str(error))
    if isinstance(error, discord.app_commands.MissingPermissions):
        return "You need the Manage Server permission for this."
    if isinstance(error, discord.app_commands.CheckFailure):
        return "You can't use this command here."
    if isinstance(error, discord.app_commands.TransformerError):
        kind = error.transformer.type.name.lower()
        return f"That value can't be used for {kind}: {error.value!r}."
    return None


def quota_refusal(error: QuotaExceeded) -> str:
    """What a member reads when a quota refuses their request."""
    match error.reason:
        case QuotaReason.USER_ALLOWANCE | QuotaReason.ROLE_ALLOWANCE:
            sentence = (
                f"You have {credits(error.available)} left and this costs {credits(error.needed)}."
            )
            who = "Your credits reset"
        case QuotaReason.GUILD_BUDGET:
            sentence = (
                f"This server has {credits(error.available)} left in its budget and this "
                f"costs {credits(error.needed)}."
            )
            who = "The server's budget resets"
        case QuotaReason.USER_CONCURRENCY:
            return (
                "You already have as many videos in the making as allowed; wait for one to finish."
            )
        case QuotaReason.GUILD_CONCURRENCY:
            return (
                "This server already has as many videos in the making as allowed; "
                "try again when one finishes."
            )
    if error.resets_at is None:
        return sentence
    return f"{sentence} {who} {relative_time(error.resets_at)}. Nothing was charged."


def setting_refusal(error: InvalidSettingError) -> str:
    """What an admin reads when a setting cannot be used."""
    match error.problem:
        case SettingProblem.UNKNOWN_TIMEZONE:
            return (
                f"{error.value!r} is not a time zone I know; use an IANA name such as "
                "Europe/Paris or America/New_York."
            )
        case SettingProblem.NEGATIVE_CREDITS:
            return "Credits must be a whole number, 0 or more."
        case SettingProblem.ZERO_GRANT:
            return "A grant must be a whole, non-zero number of credits."
        case SettingProblem.CONCURRENCY_BELOW_ONE:
            return "A concurrency limit must be a whole number, 1 or more."
        case SettingProblem.UNKNOWN_SETTING:
            return "That setting does not exist."


def as_sentence(text: str) -> str:
    """Validation messages are clauses ("motion must be..."); show them as sentences."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


async def answer_ephemeral(interaction: discord.Interaction, text: str) -> None:
    """Answer privately, whether or not the interaction was already acknowledged."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("Could not tell user %s about an error", interaction.user.id, exc_info=True)


async def report_interaction_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Show an expected error as a friendly answer; log anything else with an id the user sees."""
    message = user_message_for(error)
    if message is None:
        error_id = secrets.token_hex(4)
        original = getattr(error, "original", error)
        log.error(
            "Unexpected error %s in interaction %s (user %s, guild %s)",
            error_id,
            interaction.id,
            interaction.user.id,
            interaction.guild_id,
            exc_info=original,
        )
        message = (
            "Sorry, something went wrong on our side. Nothing was charged. "
            f"If it happens again, tell the server staff this error id: `{error_id}`."
        )
    await answer_ephemeral(interaction, message)
