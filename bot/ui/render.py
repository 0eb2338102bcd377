"""What the bot shows in Discord: a job's live progress and result, and members' own views.

Every word comes from the catalogs (``bot.ui.i18n``). A job's own messages speak the language
stored with the job (``JobView.locale``) unless a ``locale`` is given (a member's private view).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import discord

from bot.domain.failures import FailureReason
from bot.domain.jobs import JobRecord
from bot.domain.member import MemberDefaults
from bot.domain.operations import Operation
from bot.domain.periods import QuotaPeriod
from bot.domain.pricing import cost_multiplier, credits_for
from bot.domain.status import StoredStatus
from bot.jobs.accounts import UsageReport
from bot.jobs.engine import CancelOutcome
from bot.jobs.views import JobView, Outlook, request_of
from bot.pika.requests import prompt_of
from bot.store.quota import QuotaStatus
from bot.ui.i18n import DEFAULT_LOCALE, Locale, number, resolve, t
from bot.ui.words import credits, full_time

BAR_CELLS = 12
COLOUR_WORKING = discord.Colour.from_rgb(88, 101, 242)
COLOUR_DONE = discord.Colour.from_rgb(59, 165, 93)
COLOUR_FAILED = discord.Colour.from_rgb(237, 66, 69)

OPERATION_LABELS: Mapping[str, str] = {
    Operation.GENERATE: "op.generate",
    Operation.PIKAFFECT: "op.pikaffect",
    Operation.INGREDIENTS: "op.ingredients",
    Operation.ADDITIONS: "op.additions",
    Operation.SWAP: "op.swap",
    Operation.REPROMPT: "op.reprompt",
    Operation.EDIT: "op.edit",
    Operation.INPAINT: "op.inpaint",
    Operation.OUTPAINT: "op.outpaint",
    Operation.EXTEND: "op.extend",
    Operation.UPSCALE: "op.upscale",
    Operation.LIPSYNC: "op.lipsync",
    Operation.KEYFRAMES: "op.keyframes",
}

_SHORT_STATUS = {
    StoredStatus.PENDING: "jobs.status.sending",
    StoredStatus.SUBMITTING: "jobs.status.sending",
    StoredStatus.SUBMITTED: "jobs.status.sent",
    StoredStatus.QUEUED: "jobs.status.queued",
    StoredStatus.RUNNING: "jobs.status.rendering",
    StoredStatus.SUCCEEDED: "jobs.status.done",
    StoredStatus.FAILED: "jobs.status.failed",
    StoredStatus.WAITING: "jobs.status.waiting",
    StoredStatus.CANCELLED: "jobs.status.cancelled",
}

_FOOTERS = {
    "progress": "footer.progress",
    "result": "footer.result",
    "failure": "footer.failure",
    "cancelled": "footer.cancelled",
}


def _locale(view: JobView, locale: Locale | None) -> Locale:
    return locale if locale is not None else resolve(view.locale)


def footer_marker(job_id: int, kind: str = "progress", locale: Locale = DEFAULT_LOCALE) -> str:
    """The footer text that identifies a job's messages, so they can be found after a crash."""
    return t(locale, _FOOTERS[kind], job=job_id)


def footer_markers(job_id: int, kind: str) -> set[str]:
    """The footer in every language (the job's language may have been another bot's)."""
    return {footer_marker(job_id, kind, locale) for locale in Locale}


def status_words(view: JobView, locale: Locale | None = None) -> str:
    loc = _locale(view, locale)
    match view.status:
        case StoredStatus.WAITING:
            key = "status.waiting"
        case StoredStatus.PENDING | StoredStatus.SUBMITTING | StoredStatus.SUBMITTED:
            key = "status.sending"
        case StoredStatus.QUEUED:
            key = "status.in_line" if view.detail == "delayed" else "status.queued"
        case StoredStatus.RUNNING:
            key = "status.finishing" if (view.progress or 0) >= 90 else "status.rendering"
        case StoredStatus.SUCCEEDED:
            key = "status.done"
        case StoredStatus.FAILED:
            key = "status.failed"
        case StoredStatus.CANCELLED:
            key = "status.cancelled"
    return t(loc, key)


def about(seconds: float, locale: Locale = DEFAULT_LOCALE) -> str:
    """A rough duration a member can trust: "about 40 s", "about 3 min"."""
    if seconds < 55:
        return t(locale, "time.about_seconds", count=number(locale, max(5, 5 * round(seconds / 5))))
    minutes = max(1, round(seconds / 60))
    return t(locale, "time.about_minutes", count=number(locale, minutes))


def queue_words(outlook: Outlook, locale: Locale = DEFAULT_LOCALE) -> str:
    ahead = outlook.ahead or 0
    if ahead == 0:
        return t(locale, "queue.next")
    return t(locale, "queue.ahead", count=number(locale, ahead))


def time_words(view: JobView, locale: Locale | None = None) -> str | None:
    """When the job should start (waiting) or be done; never a time in the past."""
    loc = _locale(view, locale)
    outlook = view.outlook
    if outlook is None:
        return None
    if view.status is StoredStatus.WAITING:
        if outlook.seconds is None:
            return None
        if outlook.seconds < 3:
            return t(loc, "time.starts_now")
        return t(loc, "time.starts_in", duration=about(outlook.seconds, loc))
    if outlook.overrun or outlook.seconds is None or outlook.seconds < 3:
        return t(loc, "time.finishing")
    return t(loc, "time.left", duration=about(outlook.seconds, loc))


def progress_bar(progress: int | None) -> str:
    if progress is None:
        return "▱" * BAR_CELLS + " …"
    filled = round(BAR_CELLS * max(0, min(100, progress)) / 100)
    return "▰" * filled + "▱" * (BAR_CELLS - filled) + f" {progress}%"


def format_elapsed(seconds: float, locale: Locale = DEFAULT_LOCALE) -> str:
    seconds = int(max(0, seconds))
    minutes, seconds = divmod(seconds, 60)
    if minutes:
        return t(locale, "time.elapsed_minutes", minutes=minutes, seconds=f"{seconds:02d}")
    return t(locale, "time.elapsed_seconds", seconds=seconds)


def progress_signature(view: JobView) -> tuple[object, ...]:
    """What the user would notice changing; elapsed time alone is not worth an edit."""
    ahead = view.outlook.ahead if view.outlook else None
    return (status_words(view), view.progress, view.poster_url, view.error, ahead, time_words(view))


def operation_label(operation: str, locale: Locale = DEFAULT_LOCALE) -> str:
    key = OPERATION_LABELS.get(operation)
    return t(locale, key) if key is not None else operation.capitalize()


def _title(view: JobView, locale: Locale) -> str:
    return operation_label(view.operation, locale)


def _prompt_text(prompt: str | None, locale: Locale) -> str:
    return f">>> {prompt}" if prompt else t(locale, "job.no_prompt")


def _mark_simulated(embed: discord.Embed, view: JobView, locale: Locale) -> None:
    if view.simulated:
        embed.add_field(
            name=t(locale, "job.simulated.title"),
            value=t(locale, "job.simulated.note"),
            inline=False,
        )


def progress_embed(view: JobView, locale: Locale | None = None) -> discord.Embed:
    loc = _locale(view, locale)
    if view.status is StoredStatus.FAILED:
        return failure_embed(view, loc)
    if view.status is StoredStatus.CANCELLED:
        return cancelled_embed(view, loc)
    embed = discord.Embed(
        title=f"{_title(view, loc)} · {status_words(view, loc)}",
        colour=COLOUR_WORKING,
        description=_prompt_text(view.prompt, loc),
    )
    if view.status is StoredStatus.WAITING and view.outlook is not None:
        embed.add_field(
            name=t(loc, "field.queue"), value=queue_words(view.outlook, loc), inline=False
        )
    else:
        embed.add_field(
            name=t(loc, "field.progress"), value=progress_bar(view.progress), inline=False
        )
    when = time_words(view, loc)
    if when is not None:
        embed.add_field(name=t(loc, "field.time"), value=when)
    if view.model:
        embed.add_field(name=t(loc, "field.model"), value=view.model)
    embed.add_field(name=t(loc, "field.elapsed"), value=format_elapsed(view.elapsed_seconds, loc))
    _mark_simulated(embed, view, loc)
    if view.poster_url:
        embed.set_thumbnail(url=view.poster_url)
    embed.set_footer(text=footer_marker(view.job_id, locale=loc))
    return embed


def cancelled_embed(view: JobView, locale: Locale | None = None) -> discord.Embed:
    loc = _locale(view, locale)
    who = f"<@{view.cancelled_by}>" if view.cancelled_by else t(loc, "cancel.by_owner")
    cost = t(loc, "cancel.charged" if view.charged else "cancel.free")
    embed = discord.Embed(
        title=f"{_title(view, loc)} · {t(loc, 'status.cancelled')}",
        colour=COLOUR_FAILED,
        description=f"{_prompt_text(view.prompt, loc)}\n\n{t(loc, 'cancel.by', who=who)} {cost}",
    )
    embed.set_footer(text=footer_marker(view.job_id, "cancelled", loc))
    return embed


def cancel_answer(outcome: CancelOutcome, job_id: int, locale: Locale = DEFAULT_LOCALE) -> str:
    """What the member who cancelled reads (privately)."""
    match outcome:
        case CancelOutcome.REMOVED:
            key = "cancel.answer.removed"
        case CancelOutcome.RELEASED:
            key = "cancel.answer.released"
        case CancelOutcome.CHARGED:
            key = "cancel.answer.charged"
        case CancelOutcome.FINISHED:
            key = "cancel.answer.finished"
    return t(locale, key, job=job_id)


def failure_words(
    code: FailureReason | None, detail: str | None, locale: Locale = DEFAULT_LOCALE
) -> str:
    """Why a job failed, for its owner: the bot's reason, with Pika's own words where useful.

    Pika's own words (``detail``) are shown as Pika wrote them, in English.
    """
    match code:
        case None | FailureReason.PIKA_FAILED:
            return detail or t(locale, "failure.pika_failed")
        case FailureReason.PIKA_REFUSED:
            return as_sentence(detail) if detail else t(locale, "failure.pika_refused")
        case FailureReason.UNSUPPORTED:
            return as_sentence(detail) if detail else t(locale, "failure.unsupported")
        case FailureReason.PIKA_UNAVAILABLE:
            return t(locale, "failure.pika_unavailable")
        case FailureReason.PIKA_NO_ANSWER:
            return t(locale, "failure.pika_no_answer")
        case FailureReason.PIKA_BUSY:
            return t(locale, "failure.pika_busy")
        case FailureReason.PIKA_KEY_REFUSED:
            return t(locale, "failure.pika_key_refused")
        case FailureReason.SUBMISSION_LOST:
            return t(locale, "failure.submission_lost")
        case FailureReason.DEADLINE:
            limit = (
                format_elapsed(float(detail), locale)
                if detail and detail.isdigit()
                else t(locale, "failure.deadline.the_limit")
            )
            return t(locale, "failure.deadline", limit=limit)
        case FailureReason.DISCORD_LOST:
            return t(locale, "failure.discord_lost")
        case FailureReason.UNEXPECTED:
            return t(locale, "failure.unexpected")


def as_sentence(text: str) -> str:
    """Validation messages are clauses ("motion must be..."); show them as sentences."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "。", "！", "？")) else text + "."


def result_content(view: JobView, locale: Locale | None = None) -> str:
    return t(_locale(view, locale), "job.result_ready", owner=f"<@{view.owner_id}>")


def handover_content(view: JobView, locale: Locale | None = None) -> str:
    return t(_locale(view, locale), "job.handover", owner=f"<@{view.owner_id}>")


def button_job_content(view: JobView, locale: Locale | None = None) -> str:
    return t(
        _locale(view, locale),
        "job.from_button",
        owner=f"<@{view.owner_id}>",
        job=view.parent_job_id,
    )


def failure_embed(view: JobView, locale: Locale | None = None) -> discord.Embed:
    loc = _locale(view, locale)
    reason = failure_words(view.error_code, view.error, loc)
    why = t(loc, "failure.why", reason=reason)
    embed = discord.Embed(
        title=f"{_title(view, loc)} · {t(loc, 'status.failed')}",
        colour=COLOUR_FAILED,
        description=f"{_prompt_text(view.prompt, loc)}\n\n{why}\n{t(loc, 'failure.free')}",
    )
    embed.set_footer(text=footer_marker(view.job_id, "failure", loc))
    return embed


def result_embed(
    view: JobView, *, link_note: str | None = None, locale: Locale | None = None
) -> discord.Embed:
    loc = _locale(view, locale)
    embed = discord.Embed(
        title=f"{_title(view, loc)} · {t(loc, 'status.done')}",
        colour=COLOUR_DONE,
        description=_prompt_text(view.prompt, loc),
    )
    if view.model:
        embed.add_field(name=t(loc, "field.model"), value=view.model)
    if view.seed is not None:
        embed.add_field(name=t(loc, "field.seed"), value=str(view.seed))
    if view.duration is not None:
        embed.add_field(
            name=t(loc, "field.length"), value=t(loc, "time.length", seconds=f"{view.duration:g}")
        )
    embed.add_field(name=t(loc, "field.took"), value=format_elapsed(view.elapsed_seconds, loc))
    _mark_simulated(embed, view, loc)
    if link_note:
        embed.add_field(name=t(loc, "field.video"), value=link_note, inline=False)
        if view.poster_url:
            embed.set_image(url=view.poster_url)
    embed.set_footer(text=footer_marker(view.job_id, "result", loc))
    return embed


def oversize_note(url: str, size_bytes: int, locale: Locale = DEFAULT_LOCALE) -> str:
    """The link posted instead of a video over the server's upload limit."""
    size = number(locale, size_bytes / (1024 * 1024), digits=1)
    return t(locale, "job.oversize", url=url, size=size)


# -- members' own views ----------------------------------------------------------------------


def job_label(record: JobRecord, locale: Locale = DEFAULT_LOCALE) -> str:
    """``#12 · Generate · a cat surfing`` within Discord's 100 characters."""
    prompt = prompt_of(request_of(record))
    label = f"#{record.id} · {operation_label(record.operation, locale)}"
    if prompt:
        label += f" · {prompt}"
    return label if len(label) <= 100 else label[:99] + "…"


def job_link(record: JobRecord) -> str | None:
    message_id = record.delivered_message_id or record.progress_message_id
    if message_id is None:
        return None
    return f"https://discord.com/channels/{record.guild_id}/{record.channel_id}/{message_id}"


def job_line(record: JobRecord, locale: Locale = DEFAULT_LOCALE) -> str:
    words = t(locale, _SHORT_STATUS[record.status])
    if record.status is StoredStatus.RUNNING and record.progress is not None:
        words += f" {record.progress}%"
    line = f"**{job_label(record, locale)}** — {words}"
    if record.status is StoredStatus.SUCCEEDED and record.result_url:
        line += f" · [{t(locale, 'jobs.video_link')}]({record.result_url})"
    link = job_link(record)
    if link:
        line += f" · [{t(locale, 'jobs.message_link')}]({link})"
    return line


def jobs_embed(records: Iterable[JobRecord], locale: Locale = DEFAULT_LOCALE) -> discord.Embed:
    return discord.Embed(
        title=t(locale, "jobs.title"),
        colour=COLOUR_WORKING,
        description="\n".join(job_line(record, locale) for record in records),
    )


def job_embed(record: JobRecord, view: JobView, locale: Locale | None = None) -> discord.Embed:
    """One job, for /job: its result (with a download link) or its progress."""
    loc = _locale(view, locale)
    if record.status is StoredStatus.SUCCEEDED:
        note = f"[{t(loc, 'job.download')}]({record.result_url})"
        embed = result_embed(view, link_note=note, locale=loc)
    else:
        embed = progress_embed(view, loc)
    link = job_link(record)
    if link:
        embed.add_field(
            name=t(loc, "field.message"), value=f"[{t(loc, 'job.jump')}]({link})", inline=False
        )
    return embed


_PERIODS = {
    QuotaPeriod.DAY: "period.day",
    QuotaPeriod.WEEK: "period.week",
    QuotaPeriod.MONTH: "period.month",
}


def period_word(period: str, locale: Locale = DEFAULT_LOCALE) -> str:
    """``day``, ``week``, ``month`` as a sentence uses them ("this day")."""
    return t(locale, _PERIODS[QuotaPeriod(period)])


def quota_embed(
    status: QuotaStatus,
    costs: Mapping[Operation, int],
    *,
    resolutions: Iterable[str] = (),
    durations: Iterable[int] = (),
    personal: bool = False,
    locale: Locale = DEFAULT_LOCALE,
) -> discord.Embed:
    """A member's credits, when they reset, what is in the making, and what each video costs.

    ``resolutions`` and ``durations`` are the provider's choices: where it offers 1080p or
    10 seconds, the costs say what those cost (more than the base, a 720p 5-second video).
    """
    loc = locale
    embed = discord.Embed(title=t(loc, "quota.title"), colour=COLOUR_WORKING)
    if personal:
        embed.title = t(loc, "quota.title.personal")
        embed.add_field(
            name=t(loc, "quota.personal.name"), value=t(loc, "quota.personal.value"), inline=False
        )
    period = period_word(status.period.value, loc)
    if status.unlimited:
        embed.description = t(loc, "quota.unlimited")
    else:
        lines = [
            t(
                loc,
                "quota.left",
                credits=credits(status.remaining or 0, loc),
                allowance=str(status.allowance)
                if status.allowance is None
                else number(loc, status.allowance),
                period=period,
            )
        ]
        if status.grant_remaining:
            lines.append(t(loc, "quota.granted", credits=credits(status.grant_remaining, loc)))
        if status.budget_remaining is not None:
            lines.append(
                t(
                    loc,
                    "quota.budget",
                    credits=credits(status.budget_remaining, loc),
                    period=period,
                )
            )
        lines.append(t(loc, "quota.resets", when=full_time(status.resets_at)))
        embed.description = "\n".join(lines)
    limit = (
        t(loc, "quota.no_limit")
        if status.max_in_flight is None
        else number(loc, status.max_in_flight)
    )
    in_flight = ", ".join(f"#{job.id}" for job in status.in_flight) or t(loc, "quota.none")
    embed.add_field(
        name=t(loc, "quota.in_flight", count=len(status.in_flight), limit=limit),
        value=in_flight,
        inline=False,
    )
    if status.waiting:
        embed.add_field(
            name=t(loc, "quota.waiting", count=len(status.waiting)),
            value=", ".join(f"#{job.id}" for job in status.waiting),
            inline=False,
        )
    hd = "1080p" in resolutions
    long = any(seconds > 5 for seconds in durations)
    lines = [
        f"{operation_label(op, loc)}: {credits(cost, loc)}"
        f"{_bigger_costs(op, cost, hd=hd, long=long, locale=loc)}"
        for op, cost in costs.items()
    ]
    if hd or long:
        parts = [part for part, on in (("1080p", hd), (t(loc, "quota.size.long"), long)) if on]
        bigger = (
            parts[0]
            if len(parts) == 1
            else t(loc, "quota.costs.and", first=parts[0], second=parts[1])
        )
        lines.append(t(loc, "quota.costs.note", bigger=bigger))
    embed.add_field(name=t(loc, "quota.costs"), value="\n".join(lines), inline=False)
    embed.set_footer(text=t(loc, "quota.footer"))
    return embed


def _bigger_costs(
    operation: Operation, cost: int, *, hd: bool, long: bool, locale: Locale = DEFAULT_LOCALE
) -> str:
    """`` (1080p: 3 · 10 s: 3 · both: 5)`` for an operation whose size changes its price."""
    sizes: list[tuple[str, str | None, int | None]] = [("1080p", "1080p", None)] if hd else []
    if long:
        sizes.append((t(locale, "quota.size.long"), None, 10))
    if hd and long:
        sizes.append((t(locale, "quota.size.both"), "1080p", 10))
    parts = [
        f"{name}: {number(locale, credits_for(cost, cost_multiplier(operation, resolution, s)))}"
        for name, resolution, s in sizes
        if cost_multiplier(operation, resolution, s) != 1.0
    ]
    return f" ({' · '.join(parts)})" if parts else ""


def usage_embed(report: UsageReport, locale: Locale = DEFAULT_LOCALE) -> discord.Embed:
    """What each member spent this period, and the server's total against its budget."""
    loc = locale
    lines = [
        t(
            loc,
            "usage.row",
            member=f"<@{row.user_id}>",
            charged=number(loc, row.charged),
            held=number(loc, row.held),
            jobs=number(loc, row.jobs),
            succeeded=number(loc, row.succeeded),
            failed=number(loc, row.failed),
        )
        for row in report.rows[:30]
    ]
    embed = discord.Embed(
        title=t(loc, "usage.title", period=period_word(report.settings.period.value, loc)),
        colour=COLOUR_WORKING,
        description="\n".join(lines) or t(loc, "usage.nobody"),
    )
    budget = (
        t(loc, "usage.no_cap")
        if report.settings.budget is None
        else t(loc, "usage.of_budget", budget=number(loc, report.settings.budget))
    )
    embed.set_footer(
        text=t(loc, "usage.total", spent=number(loc, report.spend.spent), budget=budget)
    )
    return embed


def blocked_words_embed(words: list[str], locale: Locale = DEFAULT_LOCALE) -> discord.Embed:
    """The server's blocked words, for its staff only."""
    shown = ", ".join(f"`{word}`" for word in words)
    if len(shown) > 4000:
        shown = shown[:3990].rsplit(", ", 1)[0] + ", …"
    return discord.Embed(
        title=t(locale, "blocked.title", count=len(words)),
        colour=COLOUR_WORKING,
        description=shown or t(locale, "blocked.none"),
    ).set_footer(text=t(locale, "blocked.footer"))


def blocked_words_added(added: list[str], locale: Locale = DEFAULT_LOCALE) -> str:
    if not added:
        return t(locale, "blocked.already")
    return t(locale, "blocked.added", words=", ".join(f"`{word}`" for word in added))


def blocked_words_removed(removed: list[str], locale: Locale = DEFAULT_LOCALE) -> str:
    if not removed:
        return t(locale, "blocked.not_blocked")
    return t(locale, "blocked.removed", words=", ".join(f"`{word}`" for word in removed))


def blocked_words_full(limit: int, locale: Locale = DEFAULT_LOCALE) -> str:
    return t(locale, "blocked.full", limit=number(locale, limit))


def shown_again_content(view: JobView, locale: Locale | None = None) -> str:
    return t(_locale(view, locale), "job.shown_again", owner=f"<@{view.owner_id}>", job=view.job_id)


def link_note(url: str, locale: Locale = DEFAULT_LOCALE) -> str:
    """The link posted when the video could not be fetched to attach it."""
    return t(locale, "job.open_link", url=url)


def settings_embed(defaults: MemberDefaults, locale: Locale = DEFAULT_LOCALE) -> discord.Embed:
    """A member's /settings: what each command uses when they leave an option out."""
    loc = locale

    def shown(value: object) -> str:
        return t(loc, "settings.default") if value in (None, "") else f"`{value}`"

    embed = discord.Embed(title=t(loc, "settings.title"), colour=COLOUR_WORKING)
    embed.description = t(loc, "settings.description")
    embed.add_field(name=t(loc, "field.model"), value=shown(defaults.model))
    embed.add_field(name=t(loc, "settings.aspect_ratio"), value=shown(defaults.aspect_ratio))
    embed.add_field(name=t(loc, "settings.motion"), value=shown(defaults.motion))
    embed.add_field(name=t(loc, "settings.frame_rate"), value=shown(defaults.frame_rate))
    embed.add_field(
        name=t(loc, "settings.negative_prompt"),
        value=shown(defaults.negative_prompt),
        inline=False,
    )
    embed.add_field(
        name=t(loc, "settings.private_results"),
        value=t(loc, "settings.private.on" if defaults.private_results else "settings.private.off"),
        inline=False,
    )
    embed.set_footer(text=t(loc, "settings.footer"))
    return embed
