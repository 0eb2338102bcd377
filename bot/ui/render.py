"""What the bot shows in Discord: a job's live progress and result, and members' own views."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import discord

from bot.domain.failures import FailureReason
from bot.domain.jobs import JobRecord
from bot.domain.member import MemberDefaults
from bot.domain.operations import Operation
from bot.domain.pricing import cost_multiplier, credits_for
from bot.domain.status import StoredStatus
from bot.jobs.accounts import UsageReport
from bot.jobs.engine import CancelOutcome
from bot.jobs.views import JobView, Outlook, request_of
from bot.pika.requests import prompt_of
from bot.store.quota import QuotaStatus
from bot.ui.words import credits, full_time

BAR_CELLS = 12
COLOUR_WORKING = discord.Colour.from_rgb(88, 101, 242)
COLOUR_DONE = discord.Colour.from_rgb(59, 165, 93)
COLOUR_FAILED = discord.Colour.from_rgb(237, 66, 69)

OPERATION_LABELS: Mapping[str, str] = {
    Operation.GENERATE: "Generate",
    Operation.PIKAFFECT: "Pikaffect",
    Operation.INGREDIENTS: "Ingredients",
    Operation.ADDITIONS: "Pika Additions",
    Operation.SWAP: "Pika Swap",
    Operation.REPROMPT: "Reprompt",
    Operation.EDIT: "Edit",
    Operation.INPAINT: "Inpaint",
    Operation.OUTPAINT: "Outpaint",
    Operation.EXTEND: "Extend",
    Operation.UPSCALE: "Upscale",
    Operation.LIPSYNC: "Lip sync",
    Operation.KEYFRAMES: "Keyframes",
}
SIMULATED_NOTE = "Made by the bot's built-in simulator, not by Pika (no Pika key is set)."

_SHORT_STATUS = {
    StoredStatus.PENDING: "sending",
    StoredStatus.SUBMITTING: "sending",
    StoredStatus.SUBMITTED: "sent",
    StoredStatus.QUEUED: "queued",
    StoredStatus.RUNNING: "rendering",
    StoredStatus.SUCCEEDED: "done",
    StoredStatus.FAILED: "failed",
    StoredStatus.WAITING: "waiting",
    StoredStatus.CANCELLED: "cancelled",
}


def footer_marker(job_id: int, kind: str = "progress") -> str:
    """The footer text that identifies a job's messages, so they can be found after a crash."""
    suffix = {
        "progress": "",
        "result": " · result",
        "failure": " · failed",
        "cancelled": " · cancelled",
    }[kind]
    return f"Pika job #{job_id}{suffix}"


def status_words(view: JobView) -> str:
    match view.status:
        case StoredStatus.WAITING:
            return "Waiting"
        case StoredStatus.PENDING | StoredStatus.SUBMITTING | StoredStatus.SUBMITTED:
            return "Sending to Pika"
        case StoredStatus.QUEUED:
            return "Waiting in line" if view.detail == "delayed" else "Queued"
        case StoredStatus.RUNNING:
            return "Finishing" if (view.progress or 0) >= 90 else "Rendering"
        case StoredStatus.SUCCEEDED:
            return "Done"
        case StoredStatus.FAILED:
            return "Failed"
        case StoredStatus.CANCELLED:
            return "Cancelled"


def about(seconds: float) -> str:
    """A rough duration a member can trust: "about 40 s", "about 3 min"."""
    if seconds < 55:
        return f"about {max(5, 5 * round(seconds / 5))} s"
    minutes = max(1, round(seconds / 60))
    return f"about {minutes} min"


def queue_words(outlook: Outlook) -> str:
    ahead = outlook.ahead or 0
    if ahead == 0:
        return "Waiting: you are next in this server"
    return f"Waiting: {ahead} ahead of you in this server"


def time_words(view: JobView) -> str | None:
    """When the job should start (waiting) or be done; never a time in the past."""
    outlook = view.outlook
    if outlook is None:
        return None
    if view.status is StoredStatus.WAITING:
        if outlook.seconds is None:
            return None
        return (
            "starts any moment now"
            if outlook.seconds < 3
            else f"starts in {about(outlook.seconds)}"
        )
    if outlook.overrun or outlook.seconds is None or outlook.seconds < 3:
        return "finishing…"
    return f"{about(outlook.seconds)} left"


def progress_bar(progress: int | None) -> str:
    if progress is None:
        return "▱" * BAR_CELLS + " …"
    filled = round(BAR_CELLS * max(0, min(100, progress)) / 100)
    return "▰" * filled + "▱" * (BAR_CELLS - filled) + f" {progress}%"


def format_elapsed(seconds: float) -> str:
    seconds = int(max(0, seconds))
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


def progress_signature(view: JobView) -> tuple[object, ...]:
    """What the user would notice changing; elapsed time alone is not worth an edit."""
    ahead = view.outlook.ahead if view.outlook else None
    return (status_words(view), view.progress, view.poster_url, view.error, ahead, time_words(view))


def operation_label(operation: str) -> str:
    return OPERATION_LABELS.get(operation, operation.capitalize())


def _title(view: JobView) -> str:
    return operation_label(view.operation)


def _prompt_text(prompt: str | None) -> str:
    return f">>> {prompt}" if prompt else "*(no prompt)*"


def _mark_simulated(embed: discord.Embed, view: JobView) -> None:
    if view.simulated:
        embed.add_field(name="⚠️ Simulated video", value=SIMULATED_NOTE, inline=False)


def progress_embed(view: JobView) -> discord.Embed:
    if view.status is StoredStatus.FAILED:
        return failure_embed(view)
    if view.status is StoredStatus.CANCELLED:
        return cancelled_embed(view)
    embed = discord.Embed(
        title=f"{_title(view)} · {status_words(view)}",
        colour=COLOUR_WORKING,
        description=_prompt_text(view.prompt),
    )
    if view.status is StoredStatus.WAITING and view.outlook is not None:
        embed.add_field(name="Queue", value=queue_words(view.outlook), inline=False)
    else:
        embed.add_field(name="Progress", value=progress_bar(view.progress), inline=False)
    when = time_words(view)
    if when is not None:
        embed.add_field(name="Time", value=when)
    if view.model:
        embed.add_field(name="Model", value=view.model)
    embed.add_field(name="Elapsed", value=format_elapsed(view.elapsed_seconds))
    _mark_simulated(embed, view)
    if view.poster_url:
        embed.set_thumbnail(url=view.poster_url)
    embed.set_footer(text=footer_marker(view.job_id))
    return embed


def cancelled_embed(view: JobView) -> discord.Embed:
    who = f"<@{view.cancelled_by}>" if view.cancelled_by else "its owner"
    cost = (
        "Pika was already making it and cannot stop it, so its credits were charged."
        if view.charged
        else "No credits were charged."
    )
    embed = discord.Embed(
        title=f"{_title(view)} · Cancelled",
        colour=COLOUR_FAILED,
        description=f"{_prompt_text(view.prompt)}\n\nCancelled by {who}. {cost}",
    )
    embed.set_footer(text=footer_marker(view.job_id, "cancelled"))
    return embed


def cancel_answer(outcome: CancelOutcome, job_id: int) -> str:
    """What the member who cancelled reads (privately)."""
    match outcome:
        case CancelOutcome.REMOVED:
            return f"Job #{job_id} is cancelled; it never reached Pika, so nothing was charged."
        case CancelOutcome.RELEASED:
            return f"Job #{job_id} is cancelled; Pika stopped it, so nothing was charged."
        case CancelOutcome.CHARGED:
            return (
                f"Job #{job_id} is cancelled and won't be posted, but Pika was already making "
                "it and cannot stop it, so its credits were charged."
            )
        case CancelOutcome.FINISHED:
            return f"Job #{job_id} has already finished, so there is nothing to cancel."


def failure_words(code: FailureReason | None, detail: str | None) -> str:
    """Why a job failed, for its owner: the bot's reason, with Pika's own words where useful."""
    match code:
        case None | FailureReason.PIKA_FAILED:
            return detail or "Pika could not make this video."
        case FailureReason.PIKA_REFUSED:
            return as_sentence(detail) if detail else "Pika refused this request."
        case FailureReason.UNSUPPORTED:
            return as_sentence(detail) if detail else "This Pika service cannot do that."
        case FailureReason.PIKA_UNAVAILABLE:
            return "Pika is unavailable right now, so the video was not made."
        case FailureReason.PIKA_NO_ANSWER:
            return (
                "Pika is unavailable right now: it did not confirm the request, so the video "
                "was not made and it was not sent again."
            )
        case FailureReason.PIKA_BUSY:
            return "Pika is busy; try again in a moment."
        case FailureReason.PIKA_KEY_REFUSED:
            return (
                "Pika is unavailable right now: it refused the bot's key, so the video was not "
                "made; ask the server owner to check it."
            )
        case FailureReason.SUBMISSION_LOST:
            return (
                "The bot restarted while sending this to Pika, so Pika may not have received "
                "it; it was not sent again, to be sure you are not charged twice."
            )
        case FailureReason.DEADLINE:
            limit = format_elapsed(float(detail)) if detail and detail.isdigit() else "the limit"
            return (
                f"Pika did not finish this video within {limit}; "
                "it may be overloaded, so try again later."
            )
        case FailureReason.DISCORD_LOST:
            return "Discord lost the command before the job could be shown."
        case FailureReason.UNEXPECTED:
            return "Something went wrong sending this to Pika."


def as_sentence(text: str) -> str:
    """Validation messages are clauses ("motion must be..."); show them as sentences."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def result_content(view: JobView) -> str:
    return f"<@{view.owner_id}> your video is ready!"


def handover_content(view: JobView) -> str:
    return f"<@{view.owner_id}> your video is still being made; progress continues here."


def button_job_content(view: JobView) -> str:
    return f"<@{view.owner_id}> started this from job #{view.parent_job_id}."


def failure_embed(view: JobView) -> discord.Embed:
    reason = failure_words(view.error_code, view.error)
    embed = discord.Embed(
        title=f"{_title(view)} · Failed",
        colour=COLOUR_FAILED,
        description=f"{_prompt_text(view.prompt)}\n\n**Why:** {reason}\nNo credits were charged.",
    )
    embed.set_footer(text=footer_marker(view.job_id, "failure"))
    return embed


def result_embed(view: JobView, *, link_note: str | None = None) -> discord.Embed:
    embed = discord.Embed(
        title=f"{_title(view)} · Done", colour=COLOUR_DONE, description=_prompt_text(view.prompt)
    )
    if view.model:
        embed.add_field(name="Model", value=view.model)
    if view.seed is not None:
        embed.add_field(name="Seed", value=str(view.seed))
    if view.duration is not None:
        embed.add_field(name="Length", value=f"{view.duration:g}s")
    embed.add_field(name="Took", value=format_elapsed(view.elapsed_seconds))
    _mark_simulated(embed, view)
    if link_note:
        embed.add_field(name="Video", value=link_note, inline=False)
        if view.poster_url:
            embed.set_image(url=view.poster_url)
    embed.set_footer(text=footer_marker(view.job_id, "result"))
    return embed


def oversize_note(url: str, size_bytes: int) -> str:
    """The link posted instead of a video over the server's upload limit."""
    return (
        f"[Download the video]({url}) ({size_bytes / (1024 * 1024):.1f} MB is over this "
        "server's upload limit). The link expires within a day or two, so save it soon."
    )


# -- members' own views ----------------------------------------------------------------------


def job_label(record: JobRecord) -> str:
    """``#12 · Generate · a cat surfing`` within Discord's 100 characters."""
    prompt = prompt_of(request_of(record))
    label = f"#{record.id} · {operation_label(record.operation)}"
    if prompt:
        label += f" · {prompt}"
    return label if len(label) <= 100 else label[:99] + "…"


def job_link(record: JobRecord) -> str | None:
    message_id = record.delivered_message_id or record.progress_message_id
    if message_id is None:
        return None
    return f"https://discord.com/channels/{record.guild_id}/{record.channel_id}/{message_id}"


def job_line(record: JobRecord) -> str:
    words = _SHORT_STATUS[record.status]
    if record.status is StoredStatus.RUNNING and record.progress is not None:
        words += f" {record.progress}%"
    line = f"**{job_label(record)}** — {words}"
    if record.status is StoredStatus.SUCCEEDED and record.result_url:
        line += f" · [video]({record.result_url})"
    link = job_link(record)
    if link:
        line += f" · [message]({link})"
    return line


def jobs_embed(records: Iterable[JobRecord]) -> discord.Embed:
    return discord.Embed(
        title="Your recent videos",
        colour=COLOUR_WORKING,
        description="\n".join(job_line(record) for record in records),
    )


def job_embed(record: JobRecord, view: JobView) -> discord.Embed:
    """One job, for /job: its result (with a download link) or its progress."""
    if record.status is StoredStatus.SUCCEEDED:
        embed = result_embed(view, link_note=f"[Download]({record.result_url})")
    else:
        embed = progress_embed(view)
    link = job_link(record)
    if link:
        embed.add_field(name="Message", value=f"[Jump to it]({link})", inline=False)
    return embed


def quota_embed(
    status: QuotaStatus,
    costs: Mapping[Operation, int],
    *,
    resolutions: Iterable[str] = (),
    durations: Iterable[int] = (),
    personal: bool = False,
) -> discord.Embed:
    """A member's credits, when they reset, what is in the making, and what each video costs.

    ``resolutions`` and ``durations`` are the provider's choices: where it offers 1080p or
    10 seconds, the costs say what those cost (more than the base, a 720p 5-second video).
    """
    embed = discord.Embed(title="Your Pika credits", colour=COLOUR_WORKING)
    if personal:
        embed.title = "Your personal Pika credits"
        embed.add_field(
            name="Personal use",
            value="Here no server pays: videos you make in DMs and in servers that did not "
            "install the bot use your personal allowance.",
            inline=False,
        )
    if status.unlimited:
        embed.description = "You have **unlimited** credits here."
    else:
        lines = [
            f"**{credits(status.remaining or 0)}** left of {status.allowance} "
            f"this {status.period.value}"
        ]
        if status.grant_remaining:
            lines.append(
                f"plus **{credits(status.grant_remaining)}** granted to you (they don't expire)"
            )
        if status.budget_remaining is not None:
            lines.append(
                f"The server has {credits(status.budget_remaining)} left "
                f"in its budget this {status.period.value}."
            )
        lines.append(f"Resets {full_time(status.resets_at)}")
        embed.description = "\n".join(lines)
    limit = "no limit" if status.max_in_flight is None else str(status.max_in_flight)
    in_flight = ", ".join(f"#{job.id}" for job in status.in_flight) or "none"
    embed.add_field(
        name=f"In the making ({len(status.in_flight)} of {limit})", value=in_flight, inline=False
    )
    if status.waiting:
        embed.add_field(
            name=f"Waiting for a slot ({len(status.waiting)})",
            value=", ".join(f"#{job.id}" for job in status.waiting),
            inline=False,
        )
    hd = "1080p" in resolutions
    long = any(seconds > 5 for seconds in durations)
    lines = [
        f"{operation_label(op)}: {credits(cost)}{_bigger_costs(op, cost, hd=hd, long=long)}"
        for op, cost in costs.items()
    ]
    if hd or long:
        bigger = " and ".join(part for part, on in (("1080p", hd), ("10 s", long)) if on)
        lines.append(f"*Costs are for a 720p, 5-second video; {bigger} cost more.*")
    embed.add_field(name="Costs", value="\n".join(lines), inline=False)
    embed.set_footer(text="A video that fails costs nothing.")
    return embed


def _bigger_costs(operation: Operation, cost: int, *, hd: bool, long: bool) -> str:
    """`` (1080p: 3 · 10 s: 3 · both: 5)`` for an operation whose size changes its price."""
    sizes: list[tuple[str, str | None, int | None]] = [("1080p", "1080p", None)] if hd else []
    if long:
        sizes.append(("10 s", None, 10))
    if hd and long:
        sizes.append(("both", "1080p", 10))
    parts = [
        f"{name}: {credits_for(cost, cost_multiplier(operation, resolution, seconds))}"
        for name, resolution, seconds in sizes
        if cost_multiplier(operation, resolution, seconds) != 1.0
    ]
    return f" ({' · '.join(parts)})" if parts else ""


def usage_embed(report: UsageReport) -> discord.Embed:
    """What each member spent this period, and the server's total against its budget."""
    lines = [
        f"<@{row.user_id}>: {row.charged} charged, {row.held} held · {row.jobs} jobs "
        f"({row.succeeded} ok, {row.failed} failed)"
        for row in report.rows[:30]
    ]
    embed = discord.Embed(
        title=f"Usage this {report.settings.period.value}",
        colour=COLOUR_WORKING,
        description="\n".join(lines) or "Nobody has made a video yet.",
    )
    budget = "no cap" if report.settings.budget is None else f"of {report.settings.budget}"
    embed.set_footer(text=f"Server total: {report.spend.spent} credits ({budget})")
    return embed


def blocked_words_embed(words: list[str]) -> discord.Embed:
    """The server's blocked words, for its staff only."""
    shown = ", ".join(f"`{word}`" for word in words)
    if len(shown) > 4000:
        shown = shown[:3990].rsplit(", ", 1)[0] + ", …"
    return discord.Embed(
        title=f"Blocked words and phrases ({len(words)})",
        colour=COLOUR_WORKING,
        description=shown or "None yet. Add some with `/admin blocked-words add`.",
    ).set_footer(text="Matched as whole words, whatever the case, width or hidden characters.")


def blocked_words_added(added: list[str]) -> str:
    if not added:
        return "Those were already blocked."
    return "Blocked: " + ", ".join(f"`{word}`" for word in added) + "."


def blocked_words_removed(removed: list[str]) -> str:
    if not removed:
        return "None of those were blocked."
    return "Allowed again: " + ", ".join(f"`{word}`" for word in removed) + "."


def blocked_words_full(limit: int) -> str:
    return f"A server can block at most {limit} words and phrases; remove some first."


def shown_again_content(view: JobView) -> str:
    return f"<@{view.owner_id}> brought back job #{view.job_id}."


def link_note(url: str) -> str:
    """The link posted when the video could not be fetched to attach it."""
    return f"[Open the video]({url})"


def settings_embed(defaults: MemberDefaults) -> discord.Embed:
    """A member's /settings: what each command uses when they leave an option out."""

    def shown(value: object) -> str:
        return "the bot's default" if value in (None, "") else f"`{value}`"

    embed = discord.Embed(title="Your settings", colour=COLOUR_WORKING)
    embed.description = (
        "Used when you leave an option out; an option you give a command always wins."
    )
    embed.add_field(name="Model", value=shown(defaults.model))
    embed.add_field(name="Aspect ratio", value=shown(defaults.aspect_ratio))
    embed.add_field(name="Motion", value=shown(defaults.motion))
    embed.add_field(name="Frame rate", value=shown(defaults.frame_rate))
    embed.add_field(name="Negative prompt", value=shown(defaults.negative_prompt), inline=False)
    embed.add_field(
        name="Private results",
        value="on: only you see your videos" if defaults.private_results else "off",
        inline=False,
    )
    embed.set_footer(text="Change one with /settings <option>; clear them with /settings reset.")
    return embed
