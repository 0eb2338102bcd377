"""The tracker's timing rules, as pure functions and a fake clock."""

from bot.jobs.scheduler import DueQueue, PollBudget, Priority, next_poll_delay


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


def test_the_budget_spaces_polls_at_its_rate():
    now = [0.0]
    budget = PollBudget(2.0, clock=lambda: now[0])
    assert budget.try_acquire() == 0 and budget.try_acquire() == 0
    assert budget.try_acquire() == 0.5
    now[0] += 0.5
    assert budget.try_acquire() == 0


def test_the_budget_halves_on_overload_and_grows_back_slowly():
    now = [0.0]
    budget = PollBudget(50.0, floor=2.0, increase_per_second=1.0, clock=lambda: now[0])
    budget.overloaded()
    assert budget.rate == 25.0
    for _ in range(5):
        budget.overloaded()
    assert budget.rate == 2.0  # never below the floor
    # About +1 poll/s per second of clean answers at full use: 2 s of clean polls at 2/s...
    for _ in range(4):
        budget.clean()
    assert 3.0 < budget.rate < 4.0
    for _ in range(10_000):
        budget.clean()
    assert budget.rate == 50.0  # never above the ceiling


def test_retry_after_pauses_every_poll():
    now = [0.0]
    budget = PollBudget(100.0, clock=lambda: now[0])
    budget.overloaded(retry_after=3.0)
    assert budget.try_acquire() == 3.0
    now[0] = 3.0
    assert budget.try_acquire() == 0


def test_due_jobs_come_out_by_priority():
    now = [0.0]
    queue = DueQueue(clock=lambda: now[0])
    queue.schedule(1, 0, Priority.QUEUED)
    queue.schedule(2, 0, Priority.RENDERING)
    queue.schedule(3, 0, Priority.DUE)
    queue.schedule(4, 0, Priority.NOW)
    queue.schedule(5, 2, Priority.NOW)  # not due yet
    assert [queue.pop_ready() for _ in range(5)] == [
        (4, Priority.NOW),
        (3, Priority.DUE),
        (2, Priority.RENDERING),
        (1, Priority.QUEUED),
        None,
    ]
    queue.schedule(1, 0, Priority.QUEUED)
    queue.schedule(1, 0, Priority.DUE)  # rescheduled with a better priority
    assert queue.pop_ready() == (1, Priority.DUE) and queue.pop_ready() is None


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
