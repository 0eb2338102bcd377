"""/quota, /jobs, /job and /admin as members and staff see them."""

from __future__ import annotations

import time

from bot.pika.simulator import SimulatorConfig
from harness.world import PIKA_KEY
from tests.e2e.helpers import field, job_id_of, text_of
from tests.e2e.stack import start_stack, stop_stack


async def test_jobs_job_and_autocomplete_show_a_members_own_videos(stack):
    progress = await stack.answer_of(
        await stack.slash("alice", "generate", {"prompt": "a paper boat"})
    )
    job_id = job_id_of(progress)
    await stack.result_for(job_id)

    jobs = await stack.answer_of(await stack.slash("alice", "jobs"))
    assert jobs["flags"] & 64
    assert f"#{job_id} · Generate · a paper boat" in text_of(jobs) and "done" in text_of(jobs)

    job = await stack.answer_of(await stack.slash("alice", "job", {"id": str(job_id)}))
    assert "a paper boat" in text_of(job) and "Download" in text_of(job)

    choices = await stack.emu.autocomplete("alice", "general", "extend", {"job": ""}, "job")
    assert [c["value"] for c in choices] == [str(job_id)]
    assert await stack.emu.autocomplete("bob", "general", "extend", {"job": ""}, "job") == []

    refused = await stack.answer_of(await stack.slash("bob", "job", {"id": str(job_id)}))
    assert refused["flags"] & 64 and "You have no job" in text_of(refused)
    empty = await stack.answer_of(await stack.slash("bob", "jobs"))
    assert "haven't made any videos" in text_of(empty)


async def test_admin_sets_an_allowance_and_the_member_is_held_to_it(stack):
    done = await stack.answer_of(
        await stack.slash(
            "owner", "admin allowance user", {"user": await stack.user_id("alice"), "credits": 1}
        )
    )
    assert "gets 1 credit per period" in text_of(done)
    first = await stack.answer_of(await stack.slash("alice", "generate", {"prompt": "one"}))
    await stack.result_for(job_id_of(first))
    refusal = await stack.answer_of(await stack.slash("alice", "generate", {"prompt": "two"}))
    assert refusal["flags"] & 64
    assert "You have 0 credits left and this costs 1 credit" in text_of(refusal)
    assert "<t:" in text_of(refusal)

    grant = await stack.answer_of(
        await stack.slash(
            "owner", "admin grant", {"user": await stack.user_id("alice"), "credits": 2}
        )
    )
    assert "Granted 2 credits" in text_of(grant)
    quota = await stack.answer_of(await stack.slash("alice", "quota"))
    assert "**0 credits** left of 1" in text_of(quota) and "**2 credits** granted" in text_of(quota)

    usage = await stack.answer_of(await stack.slash("owner", "admin usage"))
    alice = await stack.user_id("alice")
    assert f"<@{alice}>: 1 charged, 0 held · 1 jobs" in text_of(usage)


async def test_a_video_over_the_upload_limit_is_posted_as_poster_and_link(tmp_path):
    stack = await start_stack(
        tmp_path,
        simulator_config=SimulatorConfig(job_seconds=1.0, api_key=PIKA_KEY, large_video=True),
    )
    try:
        progress = await stack.answer_of(
            await stack.slash("alice", "generate", {"prompt": "very detailed"})
        )
        result = await stack.result_for(job_id_of(progress), timeout=60)
        assert result["attachments"] == []
        note = field(result, "Video")
        assert "Download the video" in note and "over this server's upload limit" in note
        assert "expires" in note
        assert result["embeds"][0]["image"]["url"].endswith("poster.jpg")
        assert "· result" in text_of(result)
    finally:
        await stop_stack(stack)


async def test_sigterm_stops_the_bot_cleanly_within_five_seconds(stack):
    commands = {c["name"] for c in (await stack.emu.commands())["global"]}
    assert {"generate", "extend", "quota", "admin"} <= commands
    started = time.monotonic()
    assert await stack.bot.terminate(timeout=5) == 0
    assert time.monotonic() - started < 5
    assert "Stopped cleanly" in stack.bot.log_text()
