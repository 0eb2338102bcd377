"""Turn any failure during an interaction into an answer the user can read, in their language.

An error answer is ephemeral, so it speaks the member's own client language
(``interaction.locale``).
"""

from __future__ import annotations

import logging
import secrets

import discord
from babel.lists import format_list

from bot.domain.errors import (
    DomainError,
    InvalidSettingError,
    JobProblem,
    JobUnavailable,
    QuotaExceeded,
    QuotaReason,
    SettingProblem,
)
from bot.errors import Number, Text, UserFacingError
from bot.pika.errors import PikaError, RequestInvalid
from bot.ui.command_text import slug
from bot.ui.i18n import DEFAULT_LOCALE, Locale, babel_locale, has, number, resolve, t
from bot.ui.render import as_sentence, operation_label
from bot.ui.words import credits, relative_time, videos

log = logging.getLogger(__name__)


def member_locale(interaction: discord.Interaction) -> Locale:
    """The language of a private answer: the member's own client's."""
    return resolve(interaction.locale)


def user_message_for(error: BaseException, locale: Locale = DEFAULT_LOCALE) -> str | None:
    """Return the sentence for an expected error, or None when it is a bug."""
    if isinstance(error, discord.app_commands.CommandInvokeError):
        error = error.original
    if isinstance(
        error, discord.app_commands.CheckFailure | discord.app_commands.TransformerError
    ) and isinstance(error.__cause__, UserFacingError | DomainError | PikaError):
        error = error.__cause__
    if isinstance(error, QuotaExceeded):
        return quota_refusal(error, locale)
    if isinstance(error, UserFacingError):
        # A sentence given as-is (an extension's, a test's) is shown as it is.
        if not has(error.msgid):
            return error.msgid
        return t(locale, error.msgid, **_written(error.values, locale))
    if isinstance(error, InvalidSettingError):
        return setting_refusal(error, locale)
    if isinstance(error, JobUnavailable):
        return job_refusal(error, locale)
    if isinstance(error, PikaError):
        return pika_refusal(error, locale)
    if isinstance(error, discord.app_commands.MissingPermissions):
        return t(locale, "error.missing_permissions")
    if isinstance(error, discord.app_commands.CheckFailure):
        return t(locale, "error.check_failure")
    if isinstance(error, discord.app_commands.TransformerError):
        kind = error.transformer.type.name.lower()
        return t(locale, "error.bad_value", kind=kind, value=repr(error.value))
    return None


def _written(values: dict[str, object], locale: Locale) -> dict[str, object]:
    """A refusal's values as the member's language writes them."""
    written: dict[str, object] = {}
    for name, value in values.items():
        if isinstance(value, Text):
            written[name] = t(locale, value.msgid) if value.msgid else ""
        elif isinstance(value, Number):
            written[name] = number(locale, value.value, digits=value.digits)
        else:
            written[name] = value
    return written


def blocked_word_refusal(locale: Locale = DEFAULT_LOCALE) -> str:
    # The word is not repeated: the member knows what they wrote, and the answer may be seen.
    return t(locale, "refusal.blocked_words")


def quota_refusal(error: QuotaExceeded, locale: Locale = DEFAULT_LOCALE) -> str:
    """What a member reads when a quota refuses their request."""
    available, needed = credits(error.available, locale), credits(error.needed, locale)
    match error.reason:
        case QuotaReason.USER_ALLOWANCE | QuotaReason.ROLE_ALLOWANCE:
            sentence = t(locale, "quota.exceeded.user", available=available, needed=needed)
            resets = "quota.resets.user"
        case QuotaReason.GUILD_BUDGET:
            sentence = t(locale, "quota.exceeded.guild", available=available, needed=needed)
            resets = "quota.resets.guild"
        case QuotaReason.USER_CONCURRENCY:
            return t(locale, "quota.exceeded.user_concurrency")
        case QuotaReason.GUILD_CONCURRENCY:
            return t(locale, "quota.exceeded.guild_concurrency")
        case QuotaReason.USER_QUEUE_FULL:
            return t(
                locale,
                "quota.exceeded.queue_full",
                running=videos(error.running, locale),
                waiting=error.waiting,
            )
    if error.resets_at is None:
        return sentence
    return t(
        locale,
        "quota.exceeded.with_reset",
        sentence=sentence,
        resets=t(locale, resets, when=relative_time(error.resets_at)),
    )


def job_refusal(error: JobUnavailable, locale: Locale = DEFAULT_LOCALE) -> str:
    """What a member reads when the job they named cannot be used."""
    match error.problem:
        case JobProblem.NOT_A_NUMBER:
            key = "job.refusal.not_a_number"
        case JobProblem.NOT_FOUND:
            key = "job.refusal.not_found"
        case JobProblem.NOT_VISIBLE:
            return t(locale, "job.refusal.not_visible", job=repr(error.job))
        case JobProblem.NOT_YOURS:
            key = "job.refusal.not_yours"
        case JobProblem.NOT_FINISHED:
            key = "job.refusal.not_finished"
        case JobProblem.GONE:
            key = "job.refusal.gone"
        case JobProblem.NOT_YOURS_TO_CANCEL:
            key = "job.refusal.not_yours_to_cancel"
        case JobProblem.OWNER_ONLY:
            key = "job.refusal.owner_only"
    return t(locale, key, job=error.job, owner=f"<@{error.owner_id}>")


def setting_refusal(error: InvalidSettingError, locale: Locale = DEFAULT_LOCALE) -> str:
    """What an admin reads when a setting cannot be used."""
    match error.problem:
        case SettingProblem.UNKNOWN_TIMEZONE:
            return t(locale, "setting.refusal.timezone", value=repr(error.value))
        case SettingProblem.NEGATIVE_CREDITS:
            key = "setting.refusal.negative"
        case SettingProblem.ZERO_GRANT:
            key = "setting.refusal.zero_grant"
        case SettingProblem.CONCURRENCY_BELOW_ONE:
            key = "setting.refusal.concurrency"
        case SettingProblem.UNKNOWN_SETTING:
            key = "setting.refusal.unknown"
    return t(locale, key)


# -- what the Pika layer says, in the member's words ------------------------------------------
# bot/pika refuses with ``RequestInvalid`` problems: a message id, the figures, and the request
# field at fault, which is named here as the member sees that option in their client. A
# refusal that carries no problems (a provider's own words) is shown as written, inside a
# sentence of the member's language.

FIELD_NAMES: dict[str, str] = {
    "aspect_ratio": "optname.aspect_ratio",
    "frame_rate": "optname.fps",
    "motion": "optname.motion",
    "guidance": "optname.guidance",
    "negative_prompt": "optname.negative_prompt",
    "seed": "optname.seed",
    "camera": "pika.field.camera",
    "zoom": "optname.camera_zoom",
    "pan": "optname.camera_pan",
    "tilt": "optname.camera_tilt",
    "rotate": "optname.camera_rotate",
    "extend": "op.extend",
    "options": "pika.field.options",
    "prompt": "optname.prompt",
    "model": "optname.model",
    "image": "optname.image",
    "video": "optname.video",
    "sfx": "optname.sfx",
    "style": "optname.style",
    "resolution": "optname.resolution",
    "duration": "optname.duration",
    "pikaffect": "optname.effect",
    "ingredients": "pika.field.ingredients",
    "ingredients_mode": "optname.mode",
    "images": "pika.field.keyframes",
    "transitions": "pika.field.transitions",
    "length": "optname.length",
    "swap_prompt": "optname.swap",
    "area": "pika.field.area",
    "x": "optname.x",
    "y": "optname.y",
    "width": "optname.width",
    "height": "optname.height",
    "speech": "optname.audio",
    "speech_start": "optname.start",
    "speech_end": "optname.end",
    "": "pika.field.request",
}
"""Each request field (as bot/pika names it), by the option or words a member knows it by."""

_CHOICE_KINDS = {
    "pikaffect": "effect",
    "style": "style",
    "ingredients_mode": "mode",
    "zoom": "zoom",
    "pan": "pan",
    "tilt": "tilt",
    "rotate": "rotate",
}
"""Fields whose choices have worded names (``choice.<kind>.<value>``) in the catalogs."""


def pika_refusal(error: PikaError, locale: Locale = DEFAULT_LOCALE) -> str:
    """What the Pika layer refused, as sentences in the member's language.

    Our own refusals are structured (``problems``, each with its catalog id); anything else
    (a provider's own words) is shown as written, inside a sentence of the member's language.
    """
    if locale is DEFAULT_LOCALE:
        return as_sentence(str(error))
    written = [_problem(problem, locale) for problem in error.problems]
    if written and all(sentence is not None for sentence in written):
        return " ".join(str(sentence) for sentence in written)
    return t(locale, "pika.unmapped", detail=as_sentence(str(error)))


def _problem(problem: RequestInvalid, locale: Locale) -> str | None:
    if not has(problem.code):
        return None
    values = problem.values
    field = str(values.get("field", ""))
    written: dict[str, object] = {}
    for name, value in values.items():
        if isinstance(value, tuple):
            written[name] = _choices(value, _CHOICE_KINDS.get(field), locale)
        elif isinstance(value, int | float):
            written[name] = number(locale, value)
        else:
            written[name] = value
    if field in FIELD_NAMES:
        written["name"] = t(locale, FIELD_NAMES[field])
    if "operation" in values:
        written["operation"] = written["what"] = operation_label(str(values["operation"]), locale)
    return t(locale, problem.code, **written)


def _choices(values: tuple[str, ...], kind: str | None, locale: Locale) -> str:
    """ "a, b or c" in the member's language, each choice as their client shows it."""
    names = []
    for value in values:
        msgid = f"choice.{kind}.{slug(value)}"
        names.append(t(locale, msgid) if kind is not None and has(msgid) else value)
    return format_list(names, style="or", locale=babel_locale(locale))


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
    locale = member_locale(interaction)
    message = user_message_for(error, locale)
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
        message = t(locale, "error.unexpected", error_id=error_id)
    await answer_ephemeral(interaction, message)
