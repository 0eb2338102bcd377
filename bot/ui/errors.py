"""Turn any failure during an interaction into an answer the user can read, in their language.

An error answer is ephemeral, so it speaks the member's own client language
(``interaction.locale``).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable

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
# refusal that carries no problems (an English text from elsewhere) is matched against the
# English clauses below; a clause no rule knows is shown inside a sentence of the member's
# language.

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
    """What the Pika layer refused, as sentences in the member's language."""
    if locale is DEFAULT_LOCALE or not error.problems:
        return pika_sentence(str(error), locale)
    written = [_problem(problem, locale) for problem in error.problems]
    if all(sentence is not None for sentence in written):
        return " ".join(str(sentence) for sentence in written)
    return t(locale, "pika.unmapped", detail=as_sentence(str(error)))


def _problem(problem: RequestInvalid, locale: Locale) -> str | None:
    if not has(problem.code):
        return _clause(str(problem), locale)
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


_OPERATIONS = {
    "generate videos": "generate",
    "apply Pikaffects": "pikaffect",
    "make videos from ingredients": "ingredients",
    "do Pika Additions": "additions",
    "do Pika Swap": "swap",
    "reprompt videos": "reprompt",
    "edit videos": "edit",
    "inpaint (modify a region of) videos": "inpaint",
    "outpaint (extend the canvas of) videos": "outpaint",
    "extend videos": "extend",
    "upscale videos": "upscale",
    "lip sync videos": "lipsync",
    "make videos from keyframes (Pikaframes)": "keyframes",
}

_Values = Callable[[re.Match[str], Locale], dict[str, object]]


def _named(found: re.Match[str], _locale: Locale) -> dict[str, object]:
    return dict(found.groupdict())


def _none(found: re.Match[str], _locale: Locale) -> dict[str, object]:
    return {}


def _cannot(found: re.Match[str], locale: Locale) -> dict[str, object]:
    return {"operation": operation_label(_OPERATIONS.get(found["what"], ""), locale)}


_RULES: list[tuple[str, str, _Values]] = [
    (
        r"(?P<name>[\w ]+) must be between (?P<low>[\d.]+) and (?P<high>[\d.]+)",
        "pika.between",
        _named,
    ),
    (
        r"(?P<name>[\w ]+) must be a whole number",
        "pika.whole_number",
        _named,
    ),
    (
        r"(?P<name>[\w ]+) must be one of (?P<choices>.+)",
        "pika.one_of",
        _named,
    ),
    (r"a prompt, an image or a video is required", "pika.need_input", _none),
    (
        r"a prompt is required for (?P<what>.+)",
        "pika.prompt_required",
        _named,
    ),
    (r"style is only available on model 1\.0", "pika.style_model", _none),
    (
        r"sound effects \(sfx\) are only available on model 1\.0",
        "pika.sfx_model",
        _none,
    ),
    (
        r"a video input is only available on models 1\.0 and 1\.5",
        "pika.video_model",
        _none,
    ),
    (r"resolution and duration need model 2\.2", "pika.size_model", _none),
    (r"Pikaffects need model 1\.5", "pika.pikaffect_model", _none),
    (r"ingredients need model 2\.0 or newer", "pika.ingredients_model", _none),
    (
        r"model Turbo is only for Pika Additions and Pika Swap",
        "pika.turbo_only",
        _none,
    ),
    (r"the area must have a width and a height above 0", "pika.area_empty", _none),
    (
        r"the area must fit inside the frame: x \+ width must be at most 100",
        "pika.area_width",
        _none,
    ),
    (
        r"the area must fit inside the frame: y \+ height must be at most 100",
        "pika.area_height",
        _none,
    ),
    (
        r"the (?P<name>[\w ]+) must be at most (?P<limit>\d+) characters",
        "pika.too_long",
        _named,
    ),
    (
        r"the (?P<name>[\w ]+) is empty once its invisible characters are removed.*",
        "pika.invisible",
        _named,
    ),
    (r"speech end must be after speech start", "pika.speech_order", _none),
    (
        r"a swap prompt \(what to replace\) is required for Pika Swap",
        "pika.swap_prompt",
        _none,
    ),
    (
        r"this Pika service cannot (?P<what>.+)",
        "pika.cannot",
        _cannot,
    ),
    (
        r"this Pika service has no model (?P<model>\S+) for [^;]+; choose (?P<choices>.+)",
        "pika.no_model",
        _named,
    ),
    (
        r"this Pika service cannot make (?P<ratio>\S+) videos; choose (?P<choices>.+)",
        "pika.no_ratio",
        _named,
    ),
    (
        r"this Pika service does not offer the (?P<effect>.+) Pikaffect; "
        r"choose (?P<choices>.+)",
        "pika.no_effect",
        _named,
    ),
    (r"this Pika service has no choice of resolution", "pika.no_resolution", _none),
    (r"this Pika service has no choice of length", "pika.no_length", _none),
    (r"this Pika service needs a prompt for .+", "pika.needs_prompt", _none),
    (
        r"keyframe videos here are (?P<low>\d+) to (?P<high>\d+) seconds long",
        "pika.keyframes_length",
        _named,
    ),
    (
        r"this Pika service takes at most (?P<count>\d+) keyframe images",
        "pika.keyframes_max",
        _named,
    ),
]
_CLAUSES = [(re.compile(p, re.IGNORECASE), key, values) for p, key, values in _RULES]


def _clause(text: str, locale: Locale) -> str | None:
    text = text.strip().rstrip(".")
    # "this Pika service cannot make 4:5 videos" must not read as an operation.
    for pattern, key, values in sorted(_CLAUSES, key=lambda c: c[1] == "pika.cannot"):
        found = pattern.fullmatch(text)
        if found is None:
            continue
        if key == "pika.cannot" and found["what"] not in _OPERATIONS:
            continue
        return t(locale, key, **values(found, locale))
    return None


def pika_sentence(text: str, locale: Locale = DEFAULT_LOCALE) -> str:
    """What the Pika layer refused, as sentences in the member's language."""
    if locale is DEFAULT_LOCALE:
        return as_sentence(text)
    whole = _clause(text, locale)
    if whole is not None:
        return whole
    parts = [part for part in text.split("; ") if part.strip()]
    written = [_clause(part, locale) for part in parts]
    if all(sentence is not None for sentence in written):
        return " ".join(str(sentence) for sentence in written)
    return t(locale, "pika.unmapped", detail=as_sentence(text))


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
