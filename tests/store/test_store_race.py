"""Quotas stay atomic across processes: OS processes sharing one PostgreSQL database."""

from __future__ import annotations

import multiprocessing

import pytest

from bot.store import Database, EntryKind, QuotaEngine
from harness.store_load import hold_many

from .conftest import GUILD

USER = 31
PROCESSES = 3


@pytest.mark.postgres_only  # SQLite's processes are covered by its file lock (BEGIN IMMEDIATE)
@pytest.mark.timeout(90)
async def test_fifty_simultaneous_holds_from_three_processes_pass_exactly_three(
    db: Database, db_target: str, quota: QuotaEngine
) -> None:
    await quota.set_guild_allowance(GUILD, 3)
    await quota.set_concurrency(GUILD, per_user=100, per_guild=100)
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(PROCESSES)
    answers = spawn.Queue()
    attempts = [17, 17, 16]  # 50 in all
    children = [
        spawn.Process(target=hold_many, args=(db_target, GUILD, USER, n, barrier, answers))
        for n in attempts
    ]
    for child in children:
        child.start()
    results = [answers.get(timeout=60) for _ in children]
    for child in children:
        child.join(timeout=10)
        assert child.exitcode == 0

    held = sorted(job_id for ids, _ in results for job_id in ids)
    refused = sum(count for _, count in results)
    assert (len(held), refused) == (3, 47)
    entries = await quota.ledger_entries(GUILD)
    assert [e.kind for e in entries] == [EntryKind.HOLD] * 3
    assert sorted(e.job_id for e in entries) == held
    assert await quota.audit() == []
