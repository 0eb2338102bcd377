"""What a member sees: progress, results, failures in words, and their own views."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import FailureReason, JobRecord, Operation, StoredStatus
from bot.domain.jobs import HoldState
from bot.jobs.views import JobView, view_of
from bot.ui import render

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


def view(**changes) -> JobView:
    fields = {
        "job_id": 12,
        "owner_id": 41,
        "operation": Operation.GENERATE,
        "prompt": "a cat surfing",
        "model": "1.5",
        "status": StoredStatus.RUNNING,
        "progress": 40,
        "detail": "started",
        "poster_url": None,
        "elapsed_seconds": 75,
    }
    return JobView(**{**fields, **changes})


def fields_of(embed) -> dict[str, str]:
    return {field.name: field.value for field in embed.fields}


def test_progress_shows_status_bar_model_and_time():
    embed = render.progress_embed(view())
    assert embed.title == "Generate · Rendering"
    assert embed.description == ">>> a cat surfing"
    assert fields_of(embed) == {
        "Progress": "▰▰▰▰▰▱▱▱▱▱▱▱ 40%",
        "Model": "1.5",
        "Elapsed": "1m 15s",
    }
    assert embed.footer.text == "Pika job #12"
    assert render.status_words(view(status=StoredStatus.QUEUED, detail="delayed")) == (
        "Waiting in line"
    )
    assert render.status_words(view(progress=95)) == "Finishing"


def test_a_simulated_video_says_so_on_progress_and_result():
    for embed in (
        render.progress_embed(view(simulated=True)),
        render.result_embed(view(status=StoredStatus.SUCCEEDED, simulated=True)),
    ):
        assert "not by Pika" in fields_of(embed)["⚠️ Simulated video"]
    assert "⚠️ Simulated video" not in fields_of(render.progress_embed(view()))


@pytest.mark.parametrize(
    ("code", "detail", "words"),
    [
        (None, None, "Pika could not make this video."),
        (FailureReason.PIKA_FAILED, "no face found", "no face found"),
        (FailureReason.PIKA_REFUSED, "prompt breaks the rules", "Prompt breaks the rules."),
        (FailureReason.SUBMISSION_LOST, None, "restarted while sending this to Pika"),
        (FailureReason.PIKA_NO_ANSWER, None, "Pika is unavailable right now"),
        (FailureReason.DEADLINE, "1800", "within 30m 00s"),
        (FailureReason.PIKA_KEY_REFUSED, None, "refused the bot's key"),
    ],
)
def test_failures_are_worded_from_their_code(code, detail, words):
    embed = render.failure_embed(view(status=StoredStatus.FAILED, error_code=code, error=detail))
    assert words in embed.description and "No credits were charged." in embed.description
    assert embed.footer.text == "Pika job #12 · failed"


def test_a_result_over_the_upload_limit_shows_the_poster_and_a_link():
    done = view(status=StoredStatus.SUCCEEDED, poster_url="https://cdn/p.jpg", seed=7)
    note = render.oversize_note("https://cdn/v.mp4", 15 * 1024 * 1024)
    embed = render.result_embed(done, link_note=note)
    assert "15.0 MB is over this server's upload limit" in fields_of(embed)["Video"]
    assert embed.image.url == "https://cdn/p.jpg"
    assert fields_of(embed)["Seed"] == "7"
    assert embed.footer.text == "Pika job #12 · result"


def _record(**changes) -> JobRecord:
    fields = {
        "id": 12,
        "owner_id": 41,
        "guild_id": 1,
        "channel_id": 2,
        "operation": Operation.GENERATE,
        "request_json": '{"op": "generate", "prompt": "' + "long " * 40 + '"}',
        "parent_job_id": None,
        "provider": "webbot",
        "provider_job_id": None,
        "status": StoredStatus.SUCCEEDED,
        "progress": 100,
        "status_detail": None,
        "result_url": "https://cdn/v.mp4",
        "poster_url": None,
        "thumbnail_url": None,
        "duration": None,
        "seed": None,
        "error": None,
        "interaction_app_id": None,
        "interaction_token": None,
        "token_expires_at": None,
        "progress_message_id": 99,
        "progress_message_kind": None,
        "created_at": NOW - timedelta(seconds=30),
        "submitted_at": None,
        "updated_at": NOW,
        "finished_at": NOW,
        "delivered_message_id": 100,
        "delivered_at": NOW,
        "delivery_attempts": 1,
        "hold_cost": 1,
        "hold_state": HoldState.CHARGED,
    }
    return JobRecord(**{**fields, **changes})


def test_job_labels_fit_discord_and_lines_link_to_the_video():
    record = _record()
    label = render.job_label(record)
    assert label.startswith("#12 · Generate · long long") and len(label) == 100
    line = render.job_line(record)
    assert "— done · [video](https://cdn/v.mp4)" in line
    assert "[message](https://discord.com/channels/1/2/100)" in line
    job = render.job_embed(record, view_of(record, NOW))
    assert fields_of(job)["Video"] == "[Download](https://cdn/v.mp4)"
    assert fields_of(job)["Took"] == "30s"


def test_waiting_jobs_say_their_place_and_when_they_start():
    from bot.jobs.views import Outlook

    waiting = view(status=StoredStatus.WAITING, outlook=Outlook(ahead=2, seconds=75))
    embed = render.progress_embed(waiting)
    assert embed.title == "Generate · Waiting"
    assert fields_of(embed)["Queue"] == "Waiting: 2 ahead of you in this server"
    assert fields_of(embed)["Time"] == "starts in about 1 min"
    next_one = view(status=StoredStatus.WAITING, outlook=Outlook(ahead=0, seconds=1))
    assert fields_of(render.progress_embed(next_one))["Time"] == "starts any moment now"
    assert render.queue_words(Outlook(ahead=0, seconds=None)) == (
        "Waiting: you are next in this server"
    )


def test_time_left_is_never_in_the_past():
    from bot.jobs.views import Outlook

    assert render.time_words(view(outlook=Outlook(None, 38))) == "about 40 s left"
    assert render.time_words(view(outlook=Outlook(None, 190))) == "about 3 min left"
    assert render.time_words(view(outlook=Outlook(None, 0, overrun=True))) == "finishing…"
    assert render.time_words(view(outlook=None)) is None


def test_a_cancelled_job_says_who_stopped_it_and_what_it_cost():
    charged = render.progress_embed(
        view(status=StoredStatus.CANCELLED, cancelled_by=7, charged=True)
    )
    assert charged.title == "Generate · Cancelled"
    assert "Cancelled by <@7>" in charged.description and "charged" in charged.description
    free = render.progress_embed(view(status=StoredStatus.CANCELLED, cancelled_by=7))
    assert "No credits were charged." in free.description
