"""Nothing is lost: a killed bot, a dead interaction token, a failing or flaky Pika."""

from __future__ import annotations

from collections import Counter

from tests.e2e.helpers import job_id_of, result_counts, text_of
from tests.e2e.stack import decode_video, start_stack, stop_stack

ROOMY = {"QUOTA_MAX_IN_FLIGHT_USER": "10"}


async def _start_job(stack, prompt: str, user: str = "alice") -> int:
    progress = await stack.answer_of(await stack.slash(user, "generate", {"prompt": prompt}))
    assert not progress["flags"] & 64, text_of(progress)
    return job_id_of(progress)


async def test_a_killed_bot_delivers_every_result_exactly_once_after_restart(tmp_path):
    stack = await start_stack(tmp_path, job_seconds=5.0, bot_extra=ROOMY)
    try:
        store, quota = await stack.store()
        # Results can't be posted for now: the first job will finish but stay undelivered.
        await stack.emu.fault("POST /webhooks", 500, count=100_000)
        finished = await _start_job(stack, "finished but not posted")
        await stack.wait_for_job(
            lambda job: job.id == finished and job.status == "succeeded", timeout=30
        )
        running = await _start_job(stack, "running when killed")
        await stack.wait_for_job(lambda job: job.id == running and job.status == "running")
        queued = await _start_job(stack, "queued when killed")
        await stack.wait_for_job(lambda job: job.id == queued and job.provider_job_id)
        assert (await store.get_job(queued)).status in ("submitted", "queued")

        assert await stack.bot.kill() == -9
        await stack.clear_discord_faults()
        await stack.bot.start()

        for job_id in (finished, running, queued):
            await stack.result_for(job_id, timeout=40)
        # Settle a moment's worth of polls, then count: exactly one result each.
        await stack.wait_for_job(lambda job: job.id == queued and job.delivered, timeout=20)
        counts = result_counts(await stack.emu.messages("general"))
        assert counts == Counter(
            {f"Pika job #{j} · result": 1 for j in (finished, running, queued)}
        )
        [usage] = await quota.usage_report(await stack.guild_id())
        assert (usage.charged, usage.held, usage.succeeded) == (3, 0, 3)
        for job_id in (finished, running, queued):
            entries = await quota.ledger_entries(await stack.guild_id(), job_id=job_id)
            assert [e.kind.value for e in entries] == ["hold", "charge"]
        # Pika saw each job once: nothing was submitted twice.
        assert len([r for r in stack.simulator.requests if r.path == "/web/generate"]) == 3
    finally:
        await stop_stack(stack)


async def test_a_job_that_outlives_the_interaction_token_is_still_delivered(tmp_path):
    stack = await start_stack(tmp_path, job_seconds=6.0)
    try:
        interaction = await stack.slash("alice", "generate", {"prompt": "a very long render"})
        job_id = job_id_of(await stack.answer_of(interaction))
        await stack.wait_for_job(lambda job: job.id == job_id and job.status == "running")
        await stack.emu.advance_clock(16 * 60)

        result = await stack.result_for(job_id, timeout=40)
        assert result["attachments"], text_of(result)
        assert decode_video(await stack.emu.download(result["attachments"][0]["url"]))["frames"]
        # Delivered through the bot's own channel message, not the dead token.
        assert not result.get("interaction_metadata"), result
        state = await stack.emu.interaction(interaction)
        assert result["id"] not in state.get("followup_ids", [])
        assert any(error.get("code") == 50027 for error in state.get("errors", [])), state
    finally:
        await stop_stack(stack)


async def test_failures_cost_nothing_and_say_why(stack):
    _, quota = await stack.store()
    # A job Pika fails.
    failed = await _start_job(stack, "a doomed scene [fail]")
    message = await stack.result_for(failed)
    assert "Failed" in text_of(message) and "No credits were charged" in text_of(message)
    assert "simulated" in text_of(message).lower() or "could not" in text_of(message).lower()

    # A submission answered 500: Pika may or may not have it; never sent twice, never charged.
    stack.simulator.faults.status_500.count = 1
    stack.simulator.faults.status_500.routes = ("submit",)
    lost = await _start_job(stack, "lost submission")
    message = await stack.result_for(lost)
    assert "Pika is unavailable" in text_of(message)
    submissions = [
        r
        for r in stack.simulator.requests
        if r.path == "/web/generate" and "lost submission" in str(r.json)
    ]
    assert len(submissions) == 1

    # Flaky polls (500s, 429s with Retry-After, slow answers) still end in the video.
    stack.simulator.faults.status_500.count = 3
    stack.simulator.faults.status_500.routes = ("poll",)
    stack.simulator.faults.status_429.count = 3
    stack.simulator.faults.status_429.retry_after = 0.2
    stack.simulator.faults.slow.count = 2
    stack.simulator.faults.slow.seconds = 1.0
    flaky = await _start_job(stack, "through the storm")
    assert "· result" in text_of(await stack.result_for(flaky, timeout=40))

    guild = await stack.guild_id()
    for job_id, settled in ((failed, "release"), (lost, "release"), (flaky, "charge")):
        entries = await quota.ledger_entries(guild, job_id=job_id)
        assert [e.kind.value for e in entries] == ["hold", settled]
    answer = await stack.answer_of(await stack.slash("alice", "quota"))
    assert "**9 credits** left of 10" in text_of(answer)


async def test_past_the_queue_a_member_is_refused_clearly(stack):
    # Two in the making and three waiting is as many as allowed (the defaults).
    ids = [await _start_job(stack, f"job {n}") for n in range(5)]
    assert len(set(ids)) == 5
    refusal = await stack.answer_of(await stack.slash("alice", "generate", {"prompt": "six"}))
    assert refusal["flags"] & 64
    assert "You already have 2 videos in the making and 3 waiting" in text_of(refusal)


async def test_a_job_past_its_deadline_fails_clearly_and_costs_nothing(tmp_path):
    stack = await start_stack(
        tmp_path, job_seconds=30.0, bot_extra={"JOB_DEADLINE_MINUTES": "0.05"}
    )
    try:
        job_id = await _start_job(stack, "never ends")
        message = await stack.result_for(job_id, timeout=30)
        assert "did not finish this video within 3s" in text_of(message)
        assert "No credits were charged" in text_of(message)
        _, quota = await stack.store()
        entries = await quota.ledger_entries(await stack.guild_id(), job_id=job_id)
        assert [e.kind.value for e in entries] == ["hold", "release"]
    finally:
        await stop_stack(stack)


async def test_a_bot_killed_while_pika_takes_a_submission_never_sends_it_twice(tmp_path):
    stack = await start_stack(tmp_path, job_seconds=2.0)
    try:
        _store, quota = await stack.store()
        # Pika takes the job at once but its answer arrives 30 s later: the bot dies first.
        stack.simulator.faults.update(
            {"slow": {"count": 1, "seconds": 30, "routes": ["submit"], "after_handler": True}}
        )
        interaction = await stack.slash("alice", "generate", {"prompt": "lost in the mail"})
        job_id = job_id_of(await stack.answer_of(interaction))
        await stack.wait_for_job(lambda job: job.id == job_id and job.status == "submitting")
        submissions = [r for r in stack.simulator.requests if r.path == "/web/generate"]
        assert len(submissions) == 1

        assert await stack.bot.kill() == -9
        await stack.bot.start()
        # The engine may post before the gateway is up; a command needs the gateway.
        await stack.bot.wait_for_log("Logged in as", timeout=60, occurrences=2)

        message = await stack.result_for(job_id, timeout=30)
        said = text_of(message)
        assert "· failed" in said and "restarted while sending this to Pika" in said, said
        assert "No credits were charged" in said
        # Pika saw one submission, though the bot never heard back about it.
        assert len([r for r in stack.simulator.requests if r.path == "/web/generate"]) == 1
        entries = await quota.ledger_entries(await stack.guild_id(), job_id=job_id)
        assert [e.kind.value for e in entries] == ["hold", "release"]
        answer = await stack.answer_of(await stack.slash("alice", "quota"))
        assert "**10 credits** left of 10" in text_of(answer)
    finally:
        await stop_stack(stack)
