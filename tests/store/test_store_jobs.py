"""A job's life as stored: progress, submission, finish, delivery, and the restart scan."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.pika.job import JobStatus, Operation
from bot.store import (
    FakeClock,
    HoldState,
    InvalidTransitionError,
    JobNotFoundError,
    JobStore,
    NewJob,
    ProgressKind,
    QuotaEngine,
    StoredStatus,
)

from .conftest import CHANNEL, GUILD, MakeJob, new_job

USER = 41


async def test_a_new_job_is_stored_pending_with_its_hold_and_request(
    clock: FakeClock, store: JobStore, make_job: MakeJob
) -> None:
    job = await make_job(USER, Operation.SWAP, prompt="a dog on the moon")
    assert job.id > 0
    assert (job.owner_id, job.guild_id, job.channel_id) == (USER, GUILD, CHANNEL)
    assert job.status is StoredStatus.PENDING and not job.finished
    assert (job.hold_cost, job.hold_state, job.in_flight) == (2, HoldState.HELD, True)
    assert json.loads(job.request_json) == {"prompt": "a dog on the moon"}
    assert job.created_at == clock.now() and job.updated_at == clock.now()
    assert job.interaction_token == "token-secret"
    assert job.token_expires_at == clock.now() + timedelta(minutes=15)
    assert "token-secret" not in repr(job)
    assert await store.get_job(job.id) == job
    assert await store.get_job(job.id + 1000) is None


async def test_request_text_must_be_json(store: JobStore) -> None:
    bad = NewJob(USER, GUILD, CHANNEL, Operation.GENERATE, "{not json", "simulator")
    with pytest.raises(json.JSONDecodeError):
        await store.create_job(bad)
    text = NewJob(USER, GUILD, CHANNEL, Operation.GENERATE, '{"prompt": "x"}', "simulator")
    assert (await store.create_job(text)).request_json == '{"prompt": "x"}'


async def test_the_job_moves_through_its_states(
    clock: FakeClock, store: JobStore, make_job: MakeJob
) -> None:
    job = await make_job(USER)
    await store.set_progress_message(job.id, 9001, ProgressKind.INTERACTION)
    clock.advance(seconds=1)
    assert await store.begin_submit(job.id)
    assert not await store.begin_submit(job.id)  # sent once, never again
    sending = await store.get_job(job.id)
    assert (sending.status, sending.submit_started_at) == (StoredStatus.SUBMITTING, clock.now())
    clock.advance(seconds=1)
    assert await store.mark_submitted(job.id, "pika-123")
    assert not await store.mark_submitted(job.id, "pika-123")  # repeated: no change
    with pytest.raises(InvalidTransitionError):
        await store.mark_submitted(job.id, "pika-other")

    submitted = await store.get_job(job.id)
    assert submitted.status is StoredStatus.SUBMITTED
    assert (submitted.provider_job_id, submitted.submitted_at) == ("pika-123", clock.now())
    assert (submitted.progress_message_id, submitted.progress_message_kind) == (
        9001,
        ProgressKind.INTERACTION,
    )

    later = clock.advance(seconds=3)
    assert await store.update_status(job.id, JobStatus.RUNNING, progress=40, detail="started")
    await store.set_progress_message(job.id, 9002, "channel")
    running = await store.get_job(job.id)
    assert (running.status, running.progress, running.status_detail) == (
        StoredStatus.RUNNING,
        40,
        "started",
    )
    assert running.progress_message_kind is ProgressKind.CHANNEL
    assert running.updated_at == later
    assert [j.id for j in await store.unfinished_jobs()] == [job.id]

    clock.advance(seconds=5)
    assert await store.finish_succeeded(
        job.id,
        result_url="https://cdn.example/v.mp4",
        poster_url="https://cdn.example/p.jpg",
        thumbnail_url="https://cdn.example/t.jpg",
        duration=5.0,
        seed=1234,
    )
    done = await store.get_job(job.id)
    assert done.status is StoredStatus.SUCCEEDED and done.finished
    assert (done.progress, done.status_detail) == (100, "started")
    assert (done.result_url, done.duration, done.seed) == ("https://cdn.example/v.mp4", 5.0, 1234)
    assert done.finished_at == clock.now()
    assert done.hold_state is HoldState.CHARGED


async def test_finished_jobs_ignore_late_reports(store: JobStore, make_job: MakeJob) -> None:
    job = await make_job(USER)
    await store.finish_failed(job.id, "timed out")
    assert not await store.update_status(job.id, StoredStatus.RUNNING, progress=99)
    assert not await store.finish_succeeded(job.id, result_url="https://late.example")
    stored = await store.get_job(job.id)
    assert (stored.status, stored.error, stored.result_url) == (
        StoredStatus.FAILED,
        "timed out",
        None,
    )


async def test_unfinished_jobs_are_those_in_progress_or_not_yet_delivered(
    store: JobStore, quota: QuotaEngine, make_job: MakeJob
) -> None:
    await quota.set_concurrency(GUILD, per_user=10, per_guild=None)
    pending = await make_job(USER)
    running = await make_job(USER)
    await store.mark_submitted(running.id, "p-1")
    await store.update_status(running.id, "running", progress=10)
    succeeded = await make_job(USER)
    await store.finish_succeeded(succeeded.id, result_url="https://cdn.example/s.mp4")
    failed = await make_job(USER)
    await store.finish_failed(failed.id, "rejected")
    delivered = await make_job(USER)
    await store.finish_succeeded(delivered.id)
    assert await store.mark_delivered(delivered.id, 777)
    abandoned = await make_job(USER)
    await store.finish_failed(abandoned.id, "rejected")
    assert await store.mark_delivered(abandoned.id, None)

    unfinished = await store.unfinished_jobs()

    assert [job.id for job in unfinished] == [pending.id, running.id, succeeded.id, failed.id]


async def test_mark_delivered_is_idempotent_and_needs_a_finished_job(
    clock: FakeClock, store: JobStore, make_job: MakeJob
) -> None:
    job = await make_job(USER)
    with pytest.raises(InvalidTransitionError):
        await store.mark_delivered(job.id, 1)
    await store.finish_succeeded(job.id)
    assert await store.record_delivery_attempt(job.id) == 1
    assert await store.record_delivery_attempt(job.id) == 2
    assert await store.mark_delivered(job.id, 555)
    clock.advance(minutes=1)
    assert not await store.mark_delivered(job.id, 556)
    stored = await store.get_job(job.id)
    assert (stored.delivered_message_id, stored.delivery_attempts) == (555, 2)
    assert stored.delivered and stored.delivered_at == clock.now() - timedelta(minutes=1)


async def test_operations_on_a_missing_job_say_which(store: JobStore) -> None:
    with pytest.raises(JobNotFoundError, match="job 404"):
        await store.mark_submitted(404, "x")
    with pytest.raises(JobNotFoundError):
        await store.update_status(404, "running")
    with pytest.raises(JobNotFoundError):
        await store.begin_submit(404)
    with pytest.raises(JobNotFoundError):
        await store.set_progress_message(404, 1, "channel")


async def test_a_child_job_needs_an_existing_parent(
    quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    parent = await make_job(USER)
    await store.finish_succeeded(parent.id)
    child = await make_job(USER, Operation.EXTEND, parent_job_id=parent.id)
    assert child.parent_job_id == parent.id
    with pytest.raises(JobNotFoundError):
        await make_job(USER, Operation.UPSCALE, parent_job_id=999_999)
    assert len(await quota.ledger_entries(GUILD)) == 3  # the refused child held nothing


async def test_recent_and_search_for_the_jobs_commands(
    store: JobStore, quota: QuotaEngine, make_job: MakeJob
) -> None:
    await quota.set_concurrency(GUILD, per_user=20, per_guild=None)
    mine = []
    for prompt in ("red fox in snow", "blue whale", "red panda 100% cute"):
        job = await make_job(USER, prompt=prompt)
        await store.finish_succeeded(job.id)
        mine.append(job)
    running = await make_job(USER, prompt="red sunset")
    other = await make_job(USER + 1, prompt="red car")
    await store.finish_succeeded(other.id)
    elsewhere = await make_job(USER, guild_id=GUILD + 1, prompt="red planet")
    await store.finish_succeeded(elsewhere.id)

    recent = await store.recent_jobs(GUILD, USER, limit=3)
    assert [j.id for j in recent] == [running.id, mine[2].id, mine[1].id]
    assert [j.id for j in await store.recent_jobs(GUILD, None, limit=2)] == [other.id, running.id]

    red = await store.search_jobs(GUILD, USER, "RED")
    assert [j.id for j in red] == [mine[2].id, mine[0].id]
    red_any = await store.search_jobs(GUILD, USER, "red", finished_only=False)
    assert [j.id for j in red_any] == [running.id, mine[2].id, mine[0].id]
    everyone = await store.search_jobs(GUILD, None, "red")
    assert [j.id for j in everyone] == [other.id, mine[2].id, mine[0].id]
    assert [j.id for j in await store.search_jobs(GUILD, USER, "100%")] == [mine[2].id]
    assert [j.id for j in await store.search_jobs(GUILD, USER, "5%")] == []
    by_id = await store.search_jobs(GUILD, USER, f"#{mine[1].id}")
    assert mine[1].id in [j.id for j in by_id]
    assert len(await store.search_jobs(GUILD, USER, "", limit=2)) == 2


async def test_a_job_without_a_token_never_has_a_live_token(
    clock: FakeClock, store: JobStore
) -> None:
    job = await store.create_job(
        NewJob(USER, GUILD, CHANNEL, Operation.GENERATE, {"prompt": "x"}, "simulator")
    )
    assert (job.interaction_token, job.token_expires_at) == (None, None)


async def test_the_health_check_and_metrics_queries_answer(
    store: JobStore, make_job: MakeJob
) -> None:
    await store.ping()  # what /healthz asks, on either backend
    job = await make_job(USER)
    await store.finish_succeeded(job.id)
    counts = await store.status_counts()
    assert counts[StoredStatus.SUCCEEDED] == 1 and counts[StoredStatus.PENDING] == 0
    assert await store.secret("webhook", lambda: "first") == "first"
    assert await store.secret("webhook", lambda: "second") == "first"  # made once ever


async def test_a_new_job_is_stored_with_its_makers_lease_and_taken_over_once_it_lapses(
    clock: FakeClock, store: JobStore, make_job: MakeJob
) -> None:
    lease = timedelta(seconds=30)
    new = replace(new_job(USER), lease_owner="maker", lease_expires_at=clock.now() + lease)
    job = await store.create_job(new)
    assert await store.claim_jobs("other", clock.now() + lease) == []  # the maker's, alive

    clock.advance(seconds=31)  # the maker stopped renewing it
    assert await store.claim_jobs("other", clock.now() + lease) == [job.id]
    assert not await store.take_lease(job.id, "maker", clock.now() + lease)

    older = await make_job(USER)  # a row from before leases: anyone takes it at once
    assert await store.claim_jobs("third", clock.now() + lease) == [older.id]
