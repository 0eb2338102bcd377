"""A fair queue instead of a refusal: waiting jobs show where they stand and start in turn."""

from __future__ import annotations

from tests.e2e.helpers import field, job_id_of, text_of
from tests.e2e.stack import Stack, start_stack, stop_stack


async def _job(stack: Stack, user: str, prompt: str) -> tuple[int, str]:
    progress = await stack.answer_of(await stack.slash(user, "generate", {"prompt": prompt}))
    assert not progress["flags"] & 64, text_of(progress)
    return job_id_of(progress), progress["id"]


def _queue_texts(message: dict) -> list[str]:
    """Every queue place the message showed, over its edits."""
    seen: list[str] = []
    for state in [*message.get("edits", []), message]:
        value = field(state, "Queue")
        if value and (not seen or seen[-1] != value):
            seen.append(value)
    return seen


async def _started_order(stack: Stack, job_ids: list[int]) -> list[int]:
    store, _ = await stack.store()
    records = [await store.get_job(job_id) for job_id in job_ids]
    return [r.id for r in sorted(records, key=lambda r: r.started_at)]


async def test_a_member_at_their_limit_waits_in_line_and_every_job_is_delivered(tmp_path):
    stack = await start_stack(
        tmp_path, job_seconds=2.0, bot_extra={"QUOTA_MAX_IN_FLIGHT_USER": "1"}
    )
    try:
        jobs = [await _job(stack, "alice", f"take {n}") for n in range(3)]
        for _, message_id in jobs[1:]:
            message = await stack.emu.wait_for(
                lambda message_id=message_id: stack.emu.message(message_id),
                lambda m: bool(_queue_texts(m)),
                timeout=10,
                what="a queue place",
            )
            assert "Waiting" in text_of(message)
        last = await stack.emu.message(jobs[2][1])
        assert "Waiting: 1 ahead of you in this server" in _queue_texts(last)
        assert "starts in about" in (field(last, "Time") or "")
        for job_id, _ in jobs:
            assert "· result" in text_of(await stack.result_for(job_id, timeout=40))
        # It moved up as the line moved: next in line before it started.
        moved = await stack.emu.message(jobs[2][1])
        assert "Waiting: you are next in this server" in _queue_texts(moved)
        assert await _started_order(stack, [j for j, _ in jobs]) == [j for j, _ in jobs]
        answer = await stack.answer_of(await stack.slash("alice", "quota"))
        assert "**7 credits** left of 10" in text_of(answer)
    finally:
        await stop_stack(stack)


async def test_two_members_sharing_one_slot_take_turns(tmp_path):
    stack = await start_stack(
        tmp_path, job_seconds=1.0, bot_extra={"QUOTA_MAX_IN_FLIGHT_GUILD": "1"}
    )
    try:
        alice = [await _job(stack, "alice", f"alice {n}") for n in range(3)]
        bob = [await _job(stack, "bob", f"bob {n}") for n in range(3)]
        for job_id, _ in [*alice, *bob]:
            await stack.result_for(job_id, timeout=60)
        order = await _started_order(stack, [j for j, _ in [*alice, *bob]])
        expected = [alice[0], bob[0], alice[1], bob[1], alice[2], bob[2]]
        assert order == [j for j, _ in expected]
    finally:
        await stop_stack(stack)


async def test_waiting_jobs_still_start_in_order_after_a_restart(tmp_path):
    stack = await start_stack(
        tmp_path, job_seconds=3.0, bot_extra={"QUOTA_MAX_IN_FLIGHT_GUILD": "1"}
    )
    try:
        jobs = [
            await _job(stack, user, f"{user} {n}")
            for n, user in enumerate(["alice", "alice", "bob", "alice"])
        ]
        await stack.wait_for_job(lambda job: job.id == jobs[0][0] and job.provider_job_id)
        assert await stack.bot.kill() == -9
        await stack.bot.start()
        for job_id, _ in jobs:
            assert "· result" in text_of(await stack.result_for(job_id, timeout=60))
        # Alice, then Bob (his turn), then Alice's two in her order.
        expected = [jobs[0], jobs[2], jobs[1], jobs[3]]
        assert await _started_order(stack, [j for j, _ in jobs]) == [j for j, _ in expected]
        usage = await (await stack.store())[1].usage_report(await stack.guild_id())
        assert sum(row.charged for row in usage) == 4 and sum(row.held for row in usage) == 0
    finally:
        await stop_stack(stack)
