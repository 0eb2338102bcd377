"""How a provider's status answer becomes the normalised ``Job``, read tolerantly."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.status import JobStatus
from bot.pika.job import Job

_QUEUED_WORDS = frozenset({"queued", "pending", "delayed"})
_FAILED_WORDS = frozenset({"failed", "error", "cancelled", "canceled"})


def normalise_status(
    word: str | None, progress: int | None, result_url: str | None, error: str | None
) -> JobStatus:
    """Map a provider's status word, progress, result and error onto ``JobStatus``."""
    word = (word or "").strip().lower()
    if error or word in _FAILED_WORDS:
        return JobStatus.FAILED
    if word == "finished" and result_url:
        return JobStatus.SUCCEEDED
    if word in _QUEUED_WORDS and not (progress is not None and 0 < progress < 100):
        return JobStatus.QUEUED
    # "started", a finished job whose URL is not there yet, and any word we do not know.
    return JobStatus.RUNNING


def job_from_video(
    provider_job_id: str, video: Mapping[str, Any], fallback_status: str | None = None
) -> Job:
    """Build the normalised ``Job`` from one video object of a status answer."""
    word = _string(video.get("status")) or fallback_status
    progress = _progress(video.get("progress"))
    result_url = _string(video.get("resultUrl"))
    error = _error(video.get("error"))
    return Job(
        provider_job_id=provider_job_id,
        status=normalise_status(word, progress, result_url, error),
        progress=progress,
        detail=word,
        result_url=result_url,
        poster_url=_string(video.get("videoPoster")),
        thumbnail_url=_string(video.get("imageThumb")),
        duration=_float(video.get("duration")),
        seed=_int(video.get("seed")),
        error=error,
    )


def _string(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _error(value: object) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("message")
    return _string(value)


def _float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _int(value: object) -> int | None:
    number = _float(value)
    return int(number) if number is not None and number == int(number) else None


def _progress(value: object) -> int | None:
    number = _float(value)
    if number is None:
        return None
    return max(0, min(100, round(number)))
