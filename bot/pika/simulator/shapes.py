"""The JSON answers of the webbot and feed dialects, in the shapes of the providers' documents.

The pikadev and fal answers live beside their routes (``pikadev.py``, ``fal.py``).
"""

from __future__ import annotations

from typing import Any

from bot.pika.simulator.jobs import JobState, SimJob

ACCOUNT_ID = "simAccount0000000001"
USER_ID = "00000000-0000-4000-8000-00000000c0de"
FEED_PHASES = {
    "delayed": "queued",
    "queued": "queued",
    "started": "pending",
    "finished": "finished",
    "failed": "error",
}


def echo_params(body: dict[str, Any], request_type: str) -> dict[str, Any]:
    """Return the request as the webbot echoes it in ``job.params``."""
    params = {key: value for key, value in body.items() if key not in ("ref", "webhookOverride")}
    params["userId"] = USER_ID
    if request_type == "generate" and "options" in params:
        params.setdefault("model", "1.0")
        params.setdefault("sfx", False)
        params.setdefault("styleId", None)
    if request_type == "lipSync":
        params.setdefault("options", None)
    return params


def _created_at(job: SimJob) -> str:
    stamp = job.created_wall
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _duration(job: SimJob) -> float | int | None:
    if job.result is None:
        return None
    seconds = round(job.result.info.seconds, 2)
    return int(seconds) if seconds == int(seconds) else seconds


def webbot_job(job: SimJob, state: JobState) -> dict[str, Any]:
    """Return the ``job`` object of a webbot answer."""
    submission = job.submission
    answer: dict[str, Any] = {
        "id": job.id,
        "pikaJobId": job.id,
        "accountId": ACCOUNT_ID,
        "requestType": submission.request_type
        if submission.request_type in ("extend", "upscale")
        else "generate",
        "status": state.phase,
        "upscaled": submission.operation == "upscale",
        "adjusted": submission.request_type == "adjust",
        "extended": 1 if submission.request_type == "extend" else 0,
        "params": job.params,
        "promptText": job.prompt,
        "createdAt": _created_at(job),
        "webhookUrl": submission.webhook_url or "",
    }
    if submission.ref is not None:
        answer["ref"] = submission.ref
    return answer


def webbot_video(
    job: SimJob, state: JobState, base_url: str, *, with_progress: bool = True
) -> dict[str, Any]:
    """Return one entry of a webbot ``videos`` list (or the ``video`` of a submit answer)."""
    video: dict[str, Any] = {
        "id": job.id,
        "jobId": job.id,
        "pikaVideoId": job.id,
        "accountId": ACCOUNT_ID,
        "status": state.phase,
        "seed": job.seed,
        "feedback": 0,
        "webhookUrl": job.submission.webhook_url or "",
    }
    if with_progress:
        video["progress"] = state.progress
    if state.phase == "finished":
        video.update(_urls(job, base_url))
        video["duration"] = _duration(job)
    if state.phase == "failed":
        video["error"] = job.error
    return video


def webbot_submitted(job: SimJob, state: JobState, base_url: str) -> dict[str, Any]:
    """Return the answer to a webbot submission: ``{job, video}``."""
    video = webbot_video(job, state, base_url, with_progress=False)
    return {"job": webbot_job(job, state), "video": video}


def webbot_get_job(
    job: SimJob, state: JobState, base_url: str, *, with_progress: bool = True
) -> dict[str, Any]:
    """Return the Get Job answer: ``{job, videos: [...]}``."""
    return {
        "job": webbot_job(job, state),
        "videos": [webbot_video(job, state, base_url, with_progress=with_progress)],
    }


def feed_job(
    job: SimJob, state: JobState, base_url: str, *, with_progress: bool = True
) -> dict[str, Any]:
    """Return the feed's ``GET /pika/feed/{id}`` answer."""
    finished = state.phase == "finished"
    urls = _urls(job, base_url) if finished else {}
    video: dict[str, Any] = {
        "id": job.id,
        "status": FEED_PHASES[state.phase],
        "seed": job.seed,
        "resultUrl": urls.get("resultUrl", ""),
        "sharingUrl": urls.get("sharingUrl", ""),
        "videoPoster": urls.get("videoPoster", ""),
        "imageThumb": urls.get("imageThumb", ""),
        "duration": _duration(job) if finished else 0,
        "error": job.error or "" if state.phase == "failed" else "",
    }
    if with_progress:
        video["progress"] = state.progress
    return {"id": job.id, "promptText": job.prompt, "videos": [video]}


def result_url(job: SimJob, base_url: str) -> str:
    """Return the URL the job's result video is downloaded from (every dialect uses it)."""
    return f"{base_url}/files/{job.id}/{job.video_name}"


def _urls(job: SimJob, base_url: str) -> dict[str, str]:
    root = f"{base_url}/files/{job.id}"
    return {
        "resultUrl": result_url(job, base_url),
        "sharingUrl": f"{root}/{job.sharing_name}",
        "videoPoster": f"{root}/poster.jpg",
        "imageThumb": f"{root}/thumbnail.jpg",
    }


def error_body(message: str, error: str) -> dict[str, str]:
    """Return the error answer both services use: ``{message, error}``."""
    return {"message": message, "error": error}
