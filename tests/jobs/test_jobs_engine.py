"""The engine against a real SQLite store: submit once, poll, hand over, deliver, settle."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

from bot.domain import FailureReason, HoldState, JobStatus, ProgressKind, StoredStatus
from bot.jobs.engine import ref_for
from bot.jobs.ports import RetryLater, TokenDead, TooLarge, Unreachable
from bot.pika.errors import RejectedError, UnavailableError
from bot.pika.job import Job
from tests.jobs.conftest import VIDEO_BYTES, World


async def test_a_job_is_submitted_once_polled_and_delivered_with_its_video(world: World):
    job = await world.new_job()
    world.finishes(
        "p-1",
        Job(provider_job_id="p-1", status=JobStatus.RUNNING, progress=40),
        world.done("p-1"),
    )
    await world.engine.start()
    await world.engine.submit(job)
    await world.engine.submit(await world.job(job.id))  # a second call sends nothing

    await world.until(lambda: bool(world.outlet.named("post_result")))
    assert [ref for _, ref in world.provider.submitted] == [ref_for(job.id)]
    [result] = world.outlet.named("post_result")
    assert result.video == VIDEO_BYTES and result.oversize is None
    assert result.view.status is StoredStatus.SUCCEEDED and result.view.seed == 7
    assert result.target is not None and result.target.token == "tok"
    shown = [c.view.progress for c in world.outlet.named("show_progress")]
    assert 40 in shown
    await world.until(lambda: _delivered(world, job.id))
    stored = await world.job(job.id)
    assert stored.hold_state is HoldState.CHARGED
    assert stored.delivered_message_id == world.outlet._next_id  # the result's message


async def _delivered(world: World, job_id: int) -> bool:
    return (await world.job(job_id)).delivered


async def test_a_refusal_fails_the_job_says_why_and_costs_nothing(world: World):
    job = await world.new_job()
    world.provider.submit_error = RejectedError("the prompt breaks the rules", 400)
    await world.engine.submit(job)

    stored = await world.job(job.id)
    assert stored.status is StoredStatus.FAILED and stored.hold_state is HoldState.RELEASED
    assert (stored.error_code, stored.error) == (
        FailureReason.PIKA_REFUSED,
        "the prompt breaks the rules",
    )
    [failure] = world.outlet.named("post_failure")
    assert failure.view.error_code is FailureReason.PIKA_REFUSED
    assert stored.delivered


async def test_a_submission_whose_answer_was_lost_is_never_resent(world: World):
    job = await world.new_job()
    world.provider.submit_error = UnavailableError("lost", maybe_submitted=True)
    await world.engine.submit(job)
    await world.engine.submit(await world.job(job.id))
    stored = await world.job(job.id)
    assert len(world.provider.submitted) == 1
    assert stored.error_code is FailureReason.PIKA_NO_ANSWER
    assert stored.hold_state is HoldState.RELEASED


async def test_a_submission_interrupted_by_a_crash_is_failed_unless_the_provider_finds_it(
    world: World,
):
    lost = await world.new_job(prompt="lost")
    found = await world.new_job(prompt="found")
    for job in (lost, found):
        assert await world.store.begin_submit(job.id)  # the crash came after this line
    world.provider.recovered = None

    # The provider can tell for the second one only.
    async def recover(ref, request):
        world.provider.recover_calls.append(ref)
        return "p-77" if ref == ref_for(found.id) else None

    world.provider.recover = recover  # type: ignore[method-assign]
    world.finishes("p-77", world.done("p-77"))
    await world.engine.start()

    await world.until(lambda: _delivered(world, lost.id))
    await world.until(lambda: _delivered(world, found.id))
    assert world.provider.submitted == []  # neither was sent again
    assert sorted(world.provider.recover_calls) == sorted([ref_for(lost.id), ref_for(found.id)])
    lost_now, found_now = await world.job(lost.id), await world.job(found.id)
    assert (lost_now.error_code, lost_now.hold_state) == (
        FailureReason.SUBMISSION_LOST,
        HoldState.RELEASED,
    )
    assert (found_now.provider_job_id, found_now.hold_state) == ("p-77", HoldState.CHARGED)


async def test_progress_moves_to_the_channel_when_the_token_dies(world: World):
    job = await world.new_job()
    world.finishes(
        "p-1",
        Job(provider_job_id="p-1", status=JobStatus.RUNNING, progress=10),
        Job(provider_job_id="p-1", status=JobStatus.RUNNING, progress=60),
        world.done("p-1"),
    )
    world.outlet.fail["show_progress"] = [TokenDead("50027")]
    await world.engine.start()
    await world.engine.submit(job)

    await world.until(lambda: bool(world.outlet.named("post_result")))
    assert world.outlet.named("continue_in_channel")
    stored = await world.job(job.id)
    assert stored.progress_message_kind is ProgressKind.CHANNEL
    [result] = world.outlet.named("post_result")
    assert result.target is not None and result.target.token is None  # not the dead token


async def test_an_expired_token_by_our_clock_hands_over_without_an_error(world: World):
    job = await world.new_job()
    world.outlet.editable = False  # the outlet says the token is too old to use
    world.finishes(
        "p-1", Job(provider_job_id="p-1", status=JobStatus.RUNNING, progress=50), world.done("p-1")
    )
    await world.engine.start()
    await world.engine.submit(job)
    await world.until(lambda: bool(world.outlet.named("continue_in_channel")))


async def test_a_video_over_the_upload_limit_is_posted_as_a_link(world: World):
    job = await world.new_job()
    world.finishes("p-1", world.done("p-1"))
    world.outlet.fail["post_result"] = [TooLarge("413")]
    await world.engine.start()
    await world.engine.submit(job)
    await world.until(lambda: len(world.outlet.named("post_result")) == 2)
    first, second = world.outlet.named("post_result")
    assert first.video == VIDEO_BYTES
    assert second.video is None and second.oversize == len(VIDEO_BYTES)


async def test_passing_faults_are_retried_and_a_lost_channel_gives_up(world: World):
    flaky = await world.new_job(prompt="flaky")
    world.finishes("p-1", world.done("p-1"))
    world.outlet.fail["post_result"] = [RetryLater("502", after=0.01)]
    await world.engine.start()
    await world.engine.submit(flaky)
    await world.until(lambda: _delivered(world, flaky.id))
    assert len(world.outlet.named("post_result")) == 2

    gone = await world.new_job(prompt="gone")
    world.finishes("p-2", world.done("p-2"))
    world.outlet.fail["post_result"] = [Unreachable("50001")]
    await world.engine.submit(gone)
    await world.until(lambda: _delivered(world, gone.id))
    stored = await world.job(gone.id)
    assert stored.delivered_message_id is None and stored.hold_state is HoldState.CHARGED
    assert len(world.outlet.named("post_result")) == 3  # tried once, then gave up


async def test_a_job_past_its_deadline_fails_and_releases(world: World):
    job = await world.new_job()
    await world.engine.submit(job)
    world.clock.advance(timedelta(minutes=31))
    await world.engine.start()
    await world.until(lambda: _delivered(world, job.id))
    stored = await world.job(job.id)
    assert (stored.error_code, stored.error) == (FailureReason.DEADLINE, "1800")
    assert stored.hold_state is HoldState.RELEASED


async def test_pika_failing_the_job_is_said_in_its_words(world: World):
    job = await world.new_job()
    world.finishes(
        "p-1", Job(provider_job_id="p-1", status=JobStatus.FAILED, error="no face found")
    )
    await world.engine.start()
    await world.engine.submit(job)
    await world.until(lambda: _delivered(world, job.id))
    [failure] = world.outlet.named("post_failure")
    assert (failure.view.error_code, failure.view.error) == (
        FailureReason.PIKA_FAILED,
        "no face found",
    )


async def test_after_a_crash_a_result_already_posted_is_not_posted_again(world: World):
    job = await world.new_job()
    await world.engine.submit(job)
    await world.store.finish_succeeded(job.id, result_url=world.video_url)
    await world.store.record_delivery_attempt(job.id)  # posted, then the bot died
    world.outlet.posted[(job.id, "result")] = 4242
    await world.engine.start()
    await world.until(lambda: _delivered(world, job.id))
    assert world.outlet.named("post_result") == []
    assert (await world.job(job.id)).delivered_message_id == 4242


async def test_a_button_job_is_announced_in_the_channel(world: World):
    job = await world.new_job(with_token=False)
    shown = await world.engine.announce(job, reply_to=123)
    assert shown.progress_message_kind is ProgressKind.CHANNEL
    assert shown.progress_message_id == world.outlet._next_id


async def test_a_push_for_an_unknown_or_finished_job_changes_nothing(world: World):
    assert await world.engine.pushed(999, {"job": {"id": "p-9"}}) is False
    job = await world.new_job()
    world.finishes("p-1", world.done("p-1"))
    await world.engine.start()
    await world.engine.submit(job)
    await world.until(lambda: _delivered(world, job.id))
    posts = len(world.outlet.named("post_result"))
    assert await world.engine.pushed(job.id, {"anything": "at all"}) is True
    assert len(world.outlet.named("post_result")) == posts  # a late push posts nothing again


async def test_pika_saying_slow_down_halves_the_budget_and_waits_its_retry_after(world: World):
    from bot.pika.errors import RateLimitedError

    job = await world.new_job()
    await world.engine.submit(job)
    rate = world.engine.budget.rate
    record = await world.job(job.id)

    async def busy(provider_job_id):
        raise RateLimitedError(retry_after=2.0)

    world.provider.fetch = busy  # type: ignore[method-assign]
    await world.engine._poll(record)
    assert world.engine.budget.rate == rate / 2
    assert world.engine.budget.try_acquire() > 1.5  # paused for Pika's Retry-After


async def test_cancel_removes_a_job_not_yet_sent_and_releases_a_confirmed_one(world: World):
    from bot.jobs.engine import CancelOutcome

    waiting = await world.new_job(prompt="never sent")
    assert await world.engine.cancel(waiting.id, actor_id=41) is CancelOutcome.REMOVED
    assert world.provider.submitted == []
    assert (await world.job(waiting.id)).hold_state is HoldState.RELEASED

    sent = await world.new_job(prompt="sent")
    await world.engine.submit(sent)

    async def stopped(provider_job_id):
        return True

    world.provider.cancel = stopped  # type: ignore[attr-defined]
    assert await world.engine.cancel(sent.id, actor_id=41) is CancelOutcome.RELEASED
    stored = await world.job(sent.id)
    assert (stored.status, stored.hold_state) == (StoredStatus.CANCELLED, HoldState.RELEASED)
    assert await world.engine.cancel(sent.id, actor_id=41) is CancelOutcome.FINISHED


async def test_a_posting_claimed_by_a_process_that_died_is_taken_over_once_the_claim_is_stale(
    world: World, caplog
):
    world.engine.settings = replace(world.engine.settings, lease_seconds=0.2)
    job = await world.new_job()
    await world.engine.submit(job)
    await world.store.finish_succeeded(job.id, result_url=world.video_url)
    # Another process claimed the posting, then was killed before it posted anything.
    assert await world.store.claim_delivery(job.id, "killed", timedelta(seconds=1)) == 1
    caplog.set_level(logging.INFO, logger="bot.jobs.delivery")
    await world.engine.start()
    await world.until(lambda: "another process is posting it" in caplog.text)
    assert world.outlet.named("post_result") == []  # a fresh claim: stand back

    world.clock.advance(seconds=2)  # the claim is now older than a lease
    await world.until(lambda: _delivered(world, job.id))
    assert len(world.outlet.named("post_result")) == 1
    assert (await world.job(job.id)).delivery_attempts == 2
