"""Measure credit hold + charge pairs per second with many members sharing one database.

Run by hand: ``python benchmarks/bench_quota.py [--users 200] [--pairs 20000] [--connections 1]
[--backend all|sqlite|postgres] [--url postgresql://...]``. ``all`` (the default) runs SQLite,
then PostgreSQL from one process and from three (each its own pool), and prints the figures
side by side. Without ``--url`` PostgreSQL is a throwaway server (``harness.postgres``).
Every pair is the real path of a video: ``create_job`` (quota check + job row + hold, one
BEGIN IMMEDIATE transaction) then ``finish_succeeded`` (status + charge, one transaction).
All members are in one guild with a budget, so every hold also checks the guild's spend.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
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
from harness.postgres import Databases, PostgresServer, find_binaries
from harness.store_load import hold_and_charge

GUILD = 1_100_000_000_000_000_001
CHANNEL = 1_200_000_000_000_000_002


async def prepare(quota: QuotaEngine, users: int, pairs: int) -> None:
    await quota.set_guild_allowance(GUILD, pairs)
    await quota.set_guild_budget(GUILD, pairs * 2)
    await quota.set_concurrency(GUILD, per_user=10, per_guild=users * 10)
    await quota.set_role_allowance(GUILD, 77, pairs)


async def check(quota: QuotaEngine, pairs: int) -> None:
    entries = await quota.ledger_entries(GUILD, limit=pairs * 3)
    holds = sum(entry.kind is EntryKind.HOLD for entry in entries)
    charges = sum(entry.kind is EntryKind.CHARGE for entry in entries)
    spend = await quota.guild_spend(GUILD)
    problems = await quota.audit()
    print(f"ledger: {holds} holds, {charges} charges; guild spend {spend.spent}")
    print(f"audit: {'clean' if not problems else problems[:5]}")
    if holds != pairs or charges != pairs or spend.charged != pairs or problems:
        raise SystemExit("the ledger does not add up")


async def run(users: int, pairs: int, connections: int, path: Path | str) -> float:
    """Run the pairs from this process; return pairs per second."""
    databases = [await open_database(path) for _ in range(connections)]
    stores = [JobStore(db, QuotaEngine(db, QuotaDefaults())) for db in databases]
    quota = stores[0].quota
    await prepare(quota, users, pairs)

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

    def ms(values: list[float], q: float) -> str:
        return f"{statistics.quantiles(values, n=100)[int(q) - 1] * 1000:.2f} ms"

    where = databases[0].name
    print(f"members: {users}, connections: {connections}, database: {where}")
    print(f"pairs: {pairs} in {elapsed:.2f} s -> {pairs / elapsed:,.0f} hold+charge pairs/s")
    print(f"hold latency:   p50 {ms(hold_times, 50)}, p99 {ms(hold_times, 99)}")
    print(f"charge latency: p50 {ms(charge_times, 50)}, p99 {ms(charge_times, 99)}")
    await check(quota, pairs)
    for db in databases:
        await db.close()
    return pairs / elapsed


def run_processes(users: int, pairs: int, processes: int, url: str) -> float:
    """Run the pairs from ``processes`` OS processes, each with its own pool; pairs per second."""

    async def setup() -> None:
        db = await open_database(url)
        await prepare(QuotaEngine(db, QuotaDefaults()), users, pairs)
        await db.close()

    asyncio.run(setup())
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(processes)
    answers = spawn.Queue()
    members = [range(10_000 + i, 10_000 + users, processes) for i in range(processes)]
    shares = [pairs // processes + (i < pairs % processes) for i in range(processes)]
    children = [
        spawn.Process(
            target=hold_and_charge, args=(url, GUILD, members[i], shares[i], barrier, answers)
        )
        for i in range(processes)
    ]
    for child in children:
        child.start()
    spans = [answers.get(timeout=600) for _ in children]
    for child in children:
        child.join()
    elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
    print(f"members: {users}, processes: {processes}, database: {url.partition('?')[0]}")
    print(f"pairs: {pairs} in {elapsed:.2f} s -> {pairs / elapsed:,.0f} hold+charge pairs/s")

    async def verify() -> None:
        db = await open_database(url)
        await check(QuotaEngine(db, QuotaDefaults()), pairs)
        await db.close()

    asyncio.run(verify())
    return pairs / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--backend", choices=["all", "sqlite", "postgres"], default="all")
    parser.add_argument("--path", type=Path, help="database file (default: a temporary one)")
    parser.add_argument("--url", help="a postgresql:// database to use (it is filled with jobs)")
    args = parser.parse_args()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        if args.backend in ("all", "sqlite"):
            print("== SQLite")
            path = args.path or Path(folder) / "bench.sqlite3"
            figures["SQLite, 1 process"] = asyncio.run(
                run(args.users, args.pairs, args.connections, path)
            )
        if args.backend in ("all", "postgres"):
            server = None
            if args.url is None:
                binaries = find_binaries()
                if binaries is None:
                    raise SystemExit("PostgreSQL is not installed (initdb, pg_ctl); pass --url")
                server = PostgresServer(binaries)
                server.start()
            try:
                databases = Databases(server, "bench") if server else None
                for processes in (1, args.processes):
                    url = args.url or asyncio.run(databases.fresh())  # type: ignore[union-attr]
                    print(f"== PostgreSQL, {processes} process{'es' if processes > 1 else ''}")
                    if processes == 1:
                        rate = asyncio.run(run(args.users, args.pairs, args.connections, url))
                    else:
                        rate = run_processes(args.users, args.pairs, processes, url)
                    figures[f"PostgreSQL, {processes} process{'es' if processes > 1 else ''}"] = (
                        rate
                    )
            finally:
                if server is not None:
                    server.stop()
    print("== hold+charge pairs per second")
    for name, rate in figures.items():
        print(f"{name:24} {rate:8,.0f}")


if __name__ == "__main__":
    main()
