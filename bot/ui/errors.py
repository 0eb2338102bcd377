"""Turn any failure during an interaction into an answer the user can read."""

from __future__ import annotations

import logging
import secrets

import discord

from bot.domain.errors import (
    DomainError,
    InvalidSettingError,
    JobProblem,
    JobUnavailable,
    QuotaExceeded,
    QuotaReason,
    SettingProblem,
)
from bot.errors import UserFacingError
from bot.pika.errors import PikaError
from bot.ui.render import as_sentence
from bot.ui.words import credits, relative_time, videos

log = logging.getLogger(__name__)


def user_message_for(error: BaseException) -> str | None:
    """Return the sentence for an expected error, or None when it is a bug."""
    if isinstance(error, discord.app_commands.CommandInvokeError):
        error = error.original
    if isinstance(
        error, discord.app_commands.CheckFailure | discord.app_commands.TransformerError
    ) and isinstance(error.__cause__, UserFacingError | DomainError | PikaError):
        error = error.__cause__
    if isinstance(error, QuotaExceeded):
        return quota_refusal(error)
    if isinstance(error, UserFacingError):
        return error.message
    if isinstance(error, InvalidSettingError):
        return setting_refusal(error)
    if isinstance(error, JobUnavailable):
        return job_refusal(error)
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


def blocked_word_refusal() -> str:
    # The word is not repeated: the member knows what they wrote, and the answer may be seen.
    return (
        "Your text uses a word or phrase that is not allowed in this server, so nothing was "
        "made and nothing was charged. Please reword it and try again."
    )


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
        case QuotaReason.USER_QUEUE_FULL:
            return (
                f"You already have {videos(error.running)} in the making and {error.waiting} "
                "waiting, as many as allowed; wait for one to finish. Nothing was charged."
            )
    if error.resets_at is None:
        return sentence
    return f"{sentence} {who} {relative_time(error.resets_at)}. Nothing was charged."


def job_refusal(error: JobUnavailable) -> str:
    """What a member reads when the job they named cannot be used."""
    match error.problem:
        case JobProblem.NOT_A_NUMBER:
            return "`job` must be one of your job numbers; pick one from the list."
        case JobProblem.NOT_FOUND:
            return f"There is no job #{error.job} in this server."
        case JobProblem.NOT_VISIBLE:
            return f"You have no job {error.job!r} in this server; pick one from the list."
        case JobProblem.NOT_YOURS:
            return f"Job #{error.job} isn't yours; use one of your own jobs."
        case JobProblem.NOT_FINISHED:
            return f"Job #{error.job} hasn't finished with a video yet."
        case JobProblem.GONE:
            return "That video is no longer available."
        case JobProblem.NOT_YOURS_TO_CANCEL:
            return (
                f"Job #{error.job} belongs to <@{error.owner_id}>; only they or the server's "
                "staff can cancel it."
            )
        case JobProblem.OWNER_ONLY:
            return (
                f"Only <@{error.owner_id}> can use the buttons on their video. "
                "Make your own with /generate!"
            )


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
