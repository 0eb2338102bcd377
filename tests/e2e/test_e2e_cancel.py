"""Cancel: from the progress message's button or /cancel, for the owner or staff, restart-proof."""

from __future__ import annotations

from tests.e2e.helpers import buttons, job_id_of, text_of
from tests.e2e.stack import Stack, start_stack, stop_stack


async def _job(stack: Stack, prompt: str, user: str = "alice") -> tuple[int, dict]:
    progress = await stack.answer_of(await stack.slash(user, "generate", {"prompt": prompt}))
    assert not progress["flags"] & 64, text_of(progress)
    return job_id_of(progress), progress


async def _ledger(stack: Stack, job_id: int) -> list[str]:
    _, quota = await stack.store()
    return [e.kind.value for e in await quota.ledger_entries(await stack.guild_id(), job_id=job_id)]


async def _private_answer(stack: Stack, interaction_id: str) -> str:
    answer = await stack.answer_of(interaction_id)
    assert answer["flags"] & 64, text_of(answer)
    return text_of(answer)


async def test_a_waiting_job_is_removed_and_a_running_one_stopped(tmp_path):
    stack = await start_stack(
        tmp_path, job_seconds=4.0, bot_extra={"QUOTA_MAX_IN_FLIGHT_USER": "1"}
    )
    try:
        running, _ = await _job(stack, "rendering")
        waiting, waiting_message = await _job(stack, "in line")
        await stack.wait_for_job(lambda job: job.id == running and job.provider_job_id)

        # Someone else may not cancel it; the owner may, from the button on the message.
        cancel = buttons(waiting_message)["Cancel"]["custom_id"]
        said = await _private_answer(
            stack, await stack.emu.click("bob", waiting_message["id"], cancel)
        )
        assert "belongs to <@" in said and "only they or the server's staff" in said
        said = await _private_answer(
            stack, await stack.emu.click("alice", waiting_message["id"], cancel)
        )
        assert f"Job #{waiting} is cancelled; it never reached Pika" in said
        shown = await stack.emu.wait_for(
            lambda: stack.emu.message(waiting_message["id"]),
            lambda m: "Cancelled" in text_of(m),
            timeout=10,
            what="the cancelled progress",
        )
        assert "No credits were charged" in text_of(shown) and not buttons(shown)
        assert await _ledger(stack, waiting) == ["hold", "release"]

        # The running one, with /cancel: Pika (webbot) cannot stop it, so it is charged.
        said = await _private_answer(
            stack, await stack.slash("alice", "cancel", {"job": str(running)})
        )
        assert "won't be posted, but Pika was already making it" in said
        assert await _ledger(stack, running) == ["hold", "charge"]
        # Pika finishes it anyway; nothing is posted. A later job shows the bot still works.
        later, _ = await _job(stack, "after")
        await stack.result_for(later, timeout=30)
        assert [m for m in await stack.results() if f"#{running} ·" in text_of(m)] == []
        assert len([r for r in stack.simulator.requests if r.method == "POST"]) == 2
        said = await _private_answer(
            stack, await stack.slash("alice", "cancel", {"job": str(later)})
        )
        assert "has already finished, so there is nothing to cancel" in said
    finally:
        await stop_stack(stack)


async def test_a_cancel_before_a_restart_stays_cancelled_after_it(tmp_path):
    stack = await start_stack(tmp_path, job_seconds=5.0)
    try:
        job_id, _ = await _job(stack, "stop me")
        await stack.wait_for_job(lambda job: job.id == job_id and job.provider_job_id)
        said = await _private_answer(
            stack, await stack.slash("alice", "cancel", {"job": str(job_id)})
        )
        assert "is cancelled" in said
        await stack.bot.terminate()
        await stack.bot.start()
        await stack.bot.wait_for_log("Logged in as", occurrences=2, timeout=60)
        other, _ = await _job(stack, "still here")
        await stack.result_for(other, timeout=40)
        store, _ = await stack.store()
        assert (await store.get_job(job_id)).status == "cancelled"
        assert [m for m in await stack.results() if f"#{job_id} ·" in text_of(m)] == []
        assert await _ledger(stack, job_id) == ["hold", "charge"]
    finally:
        await stop_stack(stack)
