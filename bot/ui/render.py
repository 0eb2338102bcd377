"""What a job looks like in Discord: the live progress embed and the result embed."""

from __future__ import annotations

from dataclasses import dataclass

import discord

BAR_CELLS = 12
COLOUR_WORKING = discord.Colour.from_rgb(88, 101, 242)
COLOUR_DONE = discord.Colour.from_rgb(59, 165, 93)
COLOUR_FAILED = discord.Colour.from_rgb(237, 66, 69)

OPERATION_LABELS = {
    "generate": "Generate",
    "pikaffect": "Pikaffect",
    "ingredients": "Ingredients",
    "additions": "Pika Additions",
    "swap": "Pika Swap",
    "reprompt": "Reprompt",
    "edit": "Edit",
    "inpaint": "Inpaint",
    "outpaint": "Outpaint",
    "extend": "Extend",
    "upscale": "Upscale",
    "lipsync": "Lip sync",
}


@dataclass(frozen=True)
class JobView:
    """The facts about a job that a message shows."""

    job_id: int
    owner_id: int
    operation: str
    prompt: str | None
    model: str | None
    status: str
    progress: int | None
    detail: str | None
    poster_url: str | None
    elapsed_seconds: float
    error: str | None = None
    seed: int | None = None
    duration: float | None = None
    cost: int | None = None


def footer_marker(job_id: int, kind: str = "progress") -> str:
    """The footer text that identifies a job's messages, so they can be found after a crash."""
    suffix = {"progress": "", "result": " · result", "failure": " · failed"}[kind]
    return f"Pika job #{job_id}{suffix}"


def status_words(view: JobView) -> str:
    if view.status in ("pending", "submitted"):
        return "Sending to Pika"
    if view.status == "queued":
        return "Waiting in line" if view.detail == "delayed" else "Queued"
    if view.status == "running":
        return "Finishing" if (view.progress or 0) >= 90 else "Rendering"
    if view.status == "succeeded":
        return "Done"
    if view.status == "failed":
        return "Failed"
    return view.status.capitalize()


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
    return (status_words(view), view.progress, view.poster_url, view.error)


def _title(view: JobView) -> str:
    return OPERATION_LABELS.get(view.operation, view.operation.capitalize())


def _prompt_text(prompt: str | None) -> str:
    return f">>> {prompt}" if prompt else "*(no prompt)*"


def progress_embed(view: JobView) -> discord.Embed:
    if view.status == "failed":
        return failure_embed(view)
    embed = discord.Embed(
        title=f"{_title(view)} · {status_words(view)}",
        colour=COLOUR_WORKING,
        description=_prompt_text(view.prompt),
    )
    embed.add_field(name="Progress", value=progress_bar(view.progress), inline=False)
    if view.model:
        embed.add_field(name="Model", value=view.model)
    embed.add_field(name="Elapsed", value=format_elapsed(view.elapsed_seconds))
    if view.poster_url:
        embed.set_thumbnail(url=view.poster_url)
    embed.set_footer(text=footer_marker(view.job_id))
    return embed


def failure_embed(view: JobView) -> discord.Embed:
    reason = view.error or "Pika could not make this video."
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
    if link_note:
        embed.add_field(name="Video", value=link_note, inline=False)
        if view.poster_url:
            embed.set_image(url=view.poster_url)
    embed.set_footer(text=footer_marker(view.job_id, "result"))
    return embed
