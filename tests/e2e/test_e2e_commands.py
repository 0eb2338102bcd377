"""Every Pika command, through both dialects where the dialect has it."""

from __future__ import annotations

import asyncio

from tests.e2e.helpers import buttons, job_id_of, percentages_shown, text_of
from tests.e2e.stack import decode_video, start_stack, stop_stack

MANY = {
    "QUOTA_MAX_IN_FLIGHT_USER": "20",
    "QUOTA_MAX_IN_FLIGHT_GUILD": "50",
    "QUOTA_DEFAULT_ALLOWANCE": "100",
}


async def _run(stack, user, command, options, attachments=None):
    interaction = await stack.slash(user, command, options, attachments)
    progress = await stack.answer_of(interaction, timeout=20)
    assert not progress["flags"] & 64, f"/{command} was refused: {text_of(progress)}"
    job_id = job_id_of(progress)
    return command, job_id, progress["id"]


async def _check_result(stack, command, job_id, progress_id):
    result = await stack.result_for(job_id, timeout=40)
    assert "· result" in text_of(result), f"/{command} failed: {text_of(result)}"
    [attachment] = result["attachments"]
    video = decode_video(await stack.emu.download(attachment["url"]))
    assert video["frames"] > 0, command
    progress = await stack.emu.message(progress_id)
    assert progress["edit_count"] >= 2, (command, progress["edit_count"])
    assert len(percentages_shown(progress)) >= 2, (command, percentages_shown(progress))
    return result, video


async def test_every_command_through_the_webbot_dialect(tmp_path):
    stack = await start_stack(tmp_path, job_seconds=2.0, bot_extra=MANY)
    try:
        media = stack.media
        first = await _run(stack, "alice", "generate", {"prompt": "a lighthouse", "seed": 5})
        _, base = await _check_result(stack, *first)
        source = str(first[1])
        runs = await asyncio.gather(
            _run(
                stack,
                "alice",
                "generate",
                {
                    "prompt": "from a photo",
                    "model": "1.5",
                    "aspect_ratio": "1:1",
                    "camera_zoom": "in",
                },
                {"image": media.attach("image")},
            ),
            _run(
                stack, "alice", "pikaffect", {"effect": "Squish"}, {"image": media.attach("image")}
            ),
            _run(
                stack,
                "alice",
                "ingredients",
                {"prompt": "a picnic", "mode": "creative"},
                {"image1": media.attach("image"), "image2": media.attach("image", "b.jpg")},
            ),
            _run(
                stack,
                "alice",
                "additions",
                {"prompt": "add a dragon"},
                {"video": media.attach("video"), "image": media.attach("image")},
            ),
            _run(
                stack,
                "alice",
                "swap",
                {"swap": "the car", "prompt": "a horse"},
                {"video": media.attach("video"), "image": media.attach("image")},
            ),
            _run(
                stack,
                "alice",
                "lipsync",
                {"job": source, "end": 2.0},
                {"audio": media.attach("audio")},
            ),
            _run(
                stack,
                "alice",
                "inpaint",
                {"job": source, "x": 10, "y": 10, "width": 30, "height": 30, "prompt": "a boat"},
            ),
            _run(
                stack,
                "alice",
                "outpaint",
                {"job": source, "aspect_ratio": "1:1", "prompt": "more sea"},
            ),
            _run(stack, "alice", "extend", {"job": source}),
            _run(stack, "alice", "upscale", {"job": source}),
            _run(stack, "alice", "reprompt", {"job": source, "prompt": "at night"}),
            _run(stack, "alice", "edit", {"job": source, "motion": 3}),
        )
        videos = {}
        for run in runs:
            _, videos[run[0]] = await _check_result(stack, *run)
        assert videos["extend"]["seconds"] >= base["seconds"] + 3.5
        assert videos["upscale"]["width"] == 2 * base["width"]
        assert videos["outpaint"]["width"] == videos["outpaint"]["height"]
        _, quota = await stack.store()
        [usage] = await quota.usage_report(await stack.guild_id())
        # 1 (first) + generate 1, pikaffect 1, ingredients 2, additions 2, swap 2, lipsync 2,
        # inpaint 1, outpaint 1, extend 1, upscale 2, reprompt 1, edit 1
        assert (usage.charged, usage.held, usage.succeeded, usage.failed) == (18, 0, 13, 0)
        answer = await stack.answer_of(await stack.slash("alice", "quota"))
        assert "**82 credits** left of 100" in text_of(answer)
        paths = {request.path for request in stack.simulator.requests}
        assert {
            "/web/generate",
            "/web/lipSync",
            "/web/adjust",
            "/web/extend",
            "/web/upscale",
            "/web/jobs/upscaled",
        } <= paths
    finally:
        await stop_stack(stack)


async def test_the_feed_dialect_offers_only_what_it_has(tmp_path):
    stack = await start_stack(tmp_path, dialect="feed", job_seconds=1.5, bot_extra=MANY)
    try:
        commands = {c["name"] for c in (await stack.emu.commands())["global"]}
        assert {"generate", "pikaffect", "ingredients", "quota", "jobs", "job", "admin"} <= commands
        assert not commands & {
            "extend",
            "upscale",
            "lipsync",
            "inpaint",
            "outpaint",
            "reprompt",
            "edit",
            "additions",
            "swap",
        }
        media = stack.media
        runs = await asyncio.gather(
            _run(stack, "alice", "generate", {"prompt": "moving"}),
            _run(stack, "alice", "pikaffect", {"effect": "Melt"}, {"image": media.attach("image")}),
            _run(
                stack,
                "alice",
                "ingredients",
                {"prompt": "pick it"},
                {"image1": media.attach("image")},
            ),
        )
        for run in runs:
            result, _ = await _check_result(stack, *run)
            # Only Reroll: the feed cannot extend, upscale or reprompt.
            assert set(buttons(result)) == {"Reroll"}
        assert {r.path for r in stack.simulator.requests if r.method == "POST"} == {
            "/pika/generate"
        }
        refused = await stack.answer_of(
            await stack.slash(
                "alice", "pikaffect", {"effect": "Peel"}, {"image": media.attach("image")}
            )
        )
        assert refused["flags"] & 64 and "Peel" in text_of(refused)
    finally:
        await stop_stack(stack)


async def test_a_burst_of_first_commands_is_answered_without_asking_discord_who_owns_the_bot(
    tmp_path,
):
    """The owner is known from login: the first commands after a start do not each fetch the
    application (they did, all at once, and a burst of them was rate limited past 3 s)."""
    stack = await start_stack(tmp_path, job_seconds=1.0, bot_extra=MANY)
    try:
        asked_before = await stack.emu.requests(route="applications/@me")
        interactions = await asyncio.gather(
            *(stack.slash("alice", "generate", {"prompt": f"burst {n}"}) for n in range(12))
        )
        answers = await asyncio.gather(*(stack.answer_of(i) for i in interactions))

        assert all(not answer["flags"] & 64 for answer in answers), [
            text_of(answer) for answer in answers
        ]
        jobs = {job_id_of(answer) for answer in answers}
        assert len(jobs) == 12
        results = await asyncio.gather(*(stack.result_for(job, timeout=40) for job in jobs))
        assert all("· result" in text_of(result) for result in results)
        asked = await stack.emu.requests(route="applications/@me")
        assert len(asked) == len(asked_before) >= 1  # login's own, and none since
    finally:
        await stop_stack(stack)
