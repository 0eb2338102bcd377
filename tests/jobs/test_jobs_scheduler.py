"""The tracker's timing rules, as pure functions and a fake clock."""

from bot.jobs.scheduler import DueQueue, RateLimiter, next_poll_delay


def test_queued_jobs_back_off_up_to_a_ceiling():
    delays = [next_poll_delay("queued", None, polls, 2.0) for polls in range(10)]
    assert delays[0] == 2.0
    assert delays == sorted(delays)
    assert max(delays) == 16.0


def test_running_jobs_are_polled_near_their_estimated_end():
    # 10 s in and 50% done: about 10 s left, so poll in 7.5 s (within 4x the base of 3 s).
    assert next_poll_delay("running", 50, 3, 3.0, running_seconds=10) == 7.5
    # Almost done: poll soon, but not more than four times per base interval.
    assert next_poll_delay("running", 98, 3, 3.0, running_seconds=30) == 0.75
    # Barely started on a long job: never wait more than four base intervals.
    assert next_poll_delay("running", 1, 3, 3.0, running_seconds=60) == 12.0
    # No progress known: the base interval.
    assert next_poll_delay("running", None, 3, 3.0, running_seconds=60) == 3.0


def test_rate_limiter_spaces_acquisitions():
    now = [0.0]
    limiter = RateLimiter(2.0, burst=2, clock=lambda: now[0])
    assert limiter.try_acquire() == 0 and limiter.try_acquire() == 0
    assert limiter.try_acquire() == 0.5
    now[0] += 0.5
    assert limiter.try_acquire() == 0


def test_due_queue_orders_by_time_and_reschedules():
    now = [0.0]
    queue = DueQueue(clock=lambda: now[0])
    queue.schedule(1, 5)
    queue.schedule(2, 1)
    queue.schedule(1, 0.5)  # rescheduled sooner: the old entry is stale
    assert queue.pop_due() is None
    now[0] = 1.0
    assert [queue.pop_due(), queue.pop_due(), queue.pop_due()] == [1, 2, None]
    assert len(queue) == 0
