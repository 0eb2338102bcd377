"""A member makes a video: live progress, the MP4 posted with its buttons, credits charged."""

from __future__ import annotations

from tests.e2e.helpers import buttons, job_id_of, percentages_shown, text_of
from tests.e2e.stack import decode_video, start_stack, stop_stack


async def test_generate_shows_progress_and_posts_a_playable_video(stack):
    interaction = await stack.slash("alice", "generate", {"prompt": "a cat surfing", "seed": 42})
    progress = await stack.answer_of(interaction)
    job_id = job_id_of(progress)
    result = await stack.result_for(job_id)

    # The reply was deferred, then edited as the job moved, with different percentages.
    state = await stack.emu.interaction(interaction)
    assert state["response_type"] == 5
    progress = await stack.emu.message(progress["id"])
    shown = percentages_shown(progress)
    assert len(shown) >= 2, shown
    assert progress["edit_count"] >= 2

    # The result mentions alice, carries an MP4 that decodes, the embed and four buttons.
    alice = await stack.user_id("alice")
    assert f"<@{alice}>" in result["content"]
    [attachment] = result["attachments"]
    assert attachment["filename"].endswith(".mp4")
    data = await stack.emu.download(attachment["url"])
    assert len(data) == attachment["size"]
    video = decode_video(data)
    assert video["frames"] > 10
    assert abs(video["width"] / video["height"] - 16 / 9) < 0.05
    text = text_of(result)
    assert "a cat surfing" in text and "Seed: 42" in text and "Model: 1.0" in text
    assert set(buttons(result)) == {"Extend", "Upscale", "Reprompt", "Reroll"}
    assert buttons(result)["Extend"]["custom_id"] == f"pika:extend:{job_id}"

    # The bytes posted are exactly Pika's file.
    store, quota = await stack.store()
    job = await store.get_job(job_id)
    assert data == await stack.emu.download(job.result_url)

    # One credit was charged, and /quota says so.
    answer = await stack.answer_of(await stack.slash("alice", "quota"))
    assert answer["flags"] & 64
    assert "**9 credits** left of 10 this day" in text_of(answer)
    entries = await quota.ledger_entries(await stack.guild_id(), job_id=job_id)
    assert [(e.kind.value, e.amount) for e in entries] == [("hold", 1), ("charge", 1)]


async def test_bad_input_is_answered_privately_and_costs_nothing(stack):
    before = len(stack.simulator.requests)
    cases = [
        (
            {"prompt": "x", "motion": 3, "style": "Anime", "model": "1.5"},
            {},
            "Style is only available on model 1.0",
        ),
        ({"prompt": "x" * 1001}, {}, "The prompt must be at most 1000 characters"),
        ({}, {}, "Give a `prompt`, an `image` or a `video`"),
        ({"prompt": "x"}, {"image": stack.media.attach("audio")}, "`image` must be a PNG, JPEG"),
    ]
    for options, attachments, expected in cases:
        answer = await stack.answer_of(await stack.slash("alice", "generate", options, attachments))
        assert answer["flags"] & 64, answer
        assert expected in text_of(answer), text_of(answer)
    for options, attachments, expected in [
        (
            {"job": "1", "prompt": "more"},
            {"video": stack.media.attach("video")},
            "not both and not neither",
        ),
        ({"prompt": "more"}, {}, "not both and not neither"),
        ({"job": "999"}, {}, "There is no job #999"),
    ]:
        answer = await stack.answer_of(await stack.slash("alice", "extend", options, attachments))
        assert answer["flags"] & 64 and expected in text_of(answer), text_of(answer)
    assert len(stack.simulator.requests) == before
    assert await stack.job_ids() == []


async def test_videos_of_the_built_in_simulator_say_they_are_simulated(tmp_path):
    simulated = {"PIKA_PROVIDER": "simulator", "SIMULATOR_JOB_SECONDS": "1"}
    stack = await start_stack(tmp_path, bot_extra=simulated)
    try:
        interaction = await stack.slash("alice", "generate", {"prompt": "a paper boat"})
        progress = await stack.answer_of(interaction)
        assert "Simulated video" in text_of(progress), text_of(progress)
        result = await stack.result_for(job_id_of(progress))
        assert "· result" in text_of(result) and "Simulated video" in text_of(result)
        assert "not by Pika" in text_of(result)
    finally:
        await stop_stack(stack)
