"""The fair queue of a server: who gets the next free slot, round-robin between members.

A job that cannot start when it is made waits with its credits held. When slots free up they
go, one at a time, to the member who got one least recently (their turn is the server's grant
counter at that moment, stored in ``queue_turns``), and within a member to their oldest waiting
job. One member's burst therefore cannot fill the server's slots, and a restart keeps the order.
Everything here runs inside the caller's write transaction.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.store.clock import encode_time
from bot.store.sql import Tx


@dataclass(frozen=True)
class Waiting:
    job_id: int
    owner_id: int
    seq: int


def line_order(waiting: list[Waiting], turns: dict[int, int], start: int) -> list[Waiting]:
    """The order in which waiting jobs would get slots, one slot freeing at a time.

    ``start`` is the server's grant counter (``grant_counter``).
    """
    return _take(waiting, turns, lambda owner: True, len(waiting), start=start)[0]


def _take(
    waiting: list[Waiting],
    turns: dict[int, int],
    allowed: Callable[[int], bool],
    slots: int,
    *,
    start: int,
) -> tuple[list[Waiting], dict[int, int]]:
    """Hand ``slots`` slots out round-robin; return who got them and the members' new turns.

    ``start`` is the server's grant counter; each grant takes the next number.
    """
    by_owner: dict[int, deque[Waiting]] = {}
    for job in sorted(waiting, key=lambda job: job.seq):
        by_owner.setdefault(job.owner_id, deque()).append(job)
    turns = dict(turns)
    counter = start
    taken: list[Waiting] = []
    while len(taken) < slots:
        eligible = [owner for owner in by_owner if allowed(owner)]
        if not eligible:
            break
        owner = min(eligible, key=lambda o: (turns.get(o, -1), by_owner[o][0].seq))
        job = by_owner[owner].popleft()
        if not by_owner[owner]:
            del by_owner[owner]
        counter += 1
        turns[owner] = counter
        taken.append(job)
    return taken, turns


class _Allowed:
    """Whether a member may take one more slot (their own in-flight limit)."""

    def __init__(self, running: dict[int, int], max_user: int) -> None:
        self._running = running
        self._max_user = max_user

    def __call__(self, owner: int) -> bool:
        return self._running.get(owner, 0) < self._max_user

    def took(self, owner: int) -> None:
        self._running[owner] = self._running.get(owner, 0) + 1


_RUNNING = "guild_id = ?1 AND hold_state = 'held' AND status != 'waiting'"
"""Jobs holding a slot: credits held, not waiting (the partial index jobs_in_flight)."""


async def running_total(tx: Tx, guild_id: int) -> int:
    """How many of the server's jobs hold a slot."""
    return int(await tx.fetchval(f"SELECT COUNT(*) FROM jobs WHERE {_RUNNING}", guild_id))


async def running_of(tx: Tx, guild_id: int, owners: Iterable[int]) -> dict[int, int]:
    """How many slots each of ``owners`` holds (only those who hold any).

    Only the members in question: counting every member of a busy server, for each new job,
    was most of the database's time with 2,000 jobs in flight (bench_jobs.py).
    """
    rows = await tx.fetchall(
        f"SELECT owner_id, COUNT(*) FROM jobs WHERE {_RUNNING} "
        f"AND owner_id IN {tx.dialect.int_list('?2')} GROUP BY owner_id",
        guild_id,
        json.dumps(sorted(set(owners))),
    )
    return {owner: count for owner, count in rows}


async def waiting_jobs(tx: Tx, guild_id: int) -> list[Waiting]:
    return [
        Waiting(job_id, owner_id, seq)
        for job_id, owner_id, seq in await tx.fetchall(
            "SELECT id, owner_id, queue_seq FROM jobs WHERE guild_id = ? AND status = 'waiting' "
            "ORDER BY queue_seq",
            guild_id,
        )
    ]


async def turns_of(tx: Tx, guild_id: int, waiting: list[Waiting]) -> dict[int, int]:
    """The last turn of each member who has a job waiting (the others do not matter)."""
    owners = sorted({job.owner_id for job in waiting})
    rows = await tx.fetchall(
        "SELECT user_id, turn FROM queue_turns WHERE guild_id = ?1 "
        f"AND user_id IN {tx.dialect.int_list('?2')}",
        guild_id,
        json.dumps(owners),
    )
    return {user_id: turn for user_id, turn in rows}


async def grant_counter(tx: Tx, guild_id: int) -> int:
    """The server's grant counter: the latest turn any member got."""
    found = await tx.fetchval("SELECT MAX(turn) FROM queue_turns WHERE guild_id = ?", guild_id)
    return int(found or 0)


async def promote(
    tx: Tx,
    guild_id: int,
    max_user: int,
    max_guild: int,
    now: datetime,
    waiting: list[Waiting] | None = None,
) -> list[int]:
    """Give free slots to waiting jobs, fairly; return the jobs that may start now.

    The caller holds the guild's lock (``Tx.lock_guild``); ``waiting`` is the server's
    ``waiting_jobs`` when the caller has just read them.
    """
    if waiting is None:
        waiting = await waiting_jobs(tx, guild_id)
    if not waiting:
        return []
    free = max_guild - await running_total(tx, guild_id)
    if free <= 0:
        return []
    allowed = _Allowed(await running_of(tx, guild_id, (job.owner_id for job in waiting)), max_user)
    before = await turns_of(tx, guild_id, waiting)
    counter = await grant_counter(tx, guild_id)
    taken: list[Waiting] = []
    turns = before
    # One slot at a time, so each grant sees the member's limit after the previous one.
    for _ in range(free):
        one, turns = _take(
            [job for job in waiting if job not in taken], turns, allowed, slots=1, start=counter
        )
        counter += len(one)
        if not one:
            break
        allowed.took(one[0].owner_id)
        taken.extend(one)
    stamp = encode_time(now)
    for job in taken:
        await tx.execute(
            "UPDATE jobs SET status = 'pending', started_at = ?, updated_at = ? WHERE id = ?",
            stamp,
            stamp,
            job.job_id,
        )
    for owner, turn in turns.items():
        if before.get(owner) != turn:
            await tx.execute(
                "INSERT INTO queue_turns (guild_id, user_id, turn) VALUES (?, ?, ?) "
                "ON CONFLICT (guild_id, user_id) DO UPDATE SET turn = excluded.turn",
                guild_id,
                owner,
                turn,
            )
    return [job.job_id for job in taken]
