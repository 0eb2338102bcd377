"""Measure credit hold + charge pairs per second with many members sharing one database file.

Run by hand: ``python benchmarks/bench_quota.py [--users 200] [--pairs 20000] [--connections 1]``.
Every pair is the real path of a video: ``create_job`` (quota check + job row + hold, one
BEGIN IMMEDIATE transaction) then ``finish_succeeded`` (status + charge, one transaction).
All members are in one guild with a budget, so every hold also checks the guild's spend.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.pika.job import Operation
from bot.store import (
    EntryKind,
    JobStore,
    NewJob,
    QuotaDefaults,
    QuotaEngine,
    open_database,
)

GUILD = 1_100_000_000_000_000_001
CHANNEL = 1_200_000_000_000_000_002


async def run(users: int, pairs: int, connections: int, path: Path) -> None:
    databases = [await open_database(path) for _ in range(connections)]
    stores = [JobStore(db, QuotaEngine(db, QuotaDefaults())) for db in databases]
    quota = stores[0].quota
    await quota.set_guild_allowance(GUILD, pairs)
    await quota.set_guild_budget(GUILD, pairs * 2)
    await quota.set_concurrency(GUILD, per_user=10, per_guild=users * 10)
    await quota.set_role_allowance(GUILD, 77, pairs)

    remaining = pairs
    hold_times: list[float] = []
    charge_times: list[float] = []

    async def member(user_id: int, store: JobStore) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            new = NewJob(
                user_id,
                GUILD,
                CHANNEL,
                Operation.GENERATE,
                {"prompt": f"benchmark video {remaining}"},
                "simulator",
            )
            started = time.perf_counter()
            job = await store.create_job(new, roles=(77, 78))
            held = time.perf_counter()
            await store.finish_succeeded(job.id, result_url="https://cdn.example/v.mp4")
            hold_times.append(held - started)
            charge_times.append(time.perf_counter() - held)

    started = time.perf_counter()
    await asyncio.gather(*(member(10_000 + i, stores[i % connections]) for i in range(users)))
    elapsed = time.perf_counter() - started

    entries = await quota.ledger_entries(GUILD, limit=pairs * 3)
    holds = sum(entry.kind is EntryKind.HOLD for entry in entries)
    charges = sum(entry.kind is EntryKind.CHARGE for entry in entries)
    spend = await quota.guild_spend(GUILD)
    problems = await quota.audit()
    for db in databases:
        await db.close()

    def ms(values: list[float], q: float) -> str:
        return f"{statistics.quantiles(values, n=100)[int(q) - 1] * 1000:.2f} ms"

    print(f"members: {users}, connections: {connections}, file: {path}")
    print(f"pairs: {pairs} in {elapsed:.2f} s -> {pairs / elapsed:,.0f} hold+charge pairs/s")
    print(f"hold latency:   p50 {ms(hold_times, 50)}, p99 {ms(hold_times, 99)}")
    print(f"charge latency: p50 {ms(charge_times, 50)}, p99 {ms(charge_times, 99)}")
    print(f"ledger: {holds} holds, {charges} charges; guild spend {spend.spent}")
    print(f"audit: {'clean' if not problems else problems[:5]}")
    if holds != pairs or charges != pairs or spend.charged != pairs or problems:
        raise SystemExit("the ledger does not add up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--path", type=Path, help="database file (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.path or Path(folder) / "bench.sqlite3"
        asyncio.run(run(args.users, args.pairs, args.connections, path))


if __name__ == "__main__":
    main()
