"""Measure credit hold + charge pairs per second with many members sharing one database.

Run by hand: ``python benchmarks/bench_quota.py [--users 200] [--pairs 20000] [--connections 1]
[--backend all|sqlite|postgres] [--case all|hot|spread] [--url postgresql://...]``. Each case
runs on SQLite, then on PostgreSQL from one process and from three (each its own pool), and
the figures are printed side by side. Without ``--url`` PostgreSQL is a throwaway server
(``harness.postgres``), with a fresh database per run.

Every pair is the real path of a video: ``create_job`` (quota check + job row + hold, one
transaction) then ``finish_succeeded`` (status + charge, one transaction). Every guild has a
budget, so every hold also checks its guild's spend. The cases:

- ``hot``: all members in one guild, the worst case (every hold waits for the guild's lock);
- ``spread``: the same members across ``--guilds`` guilds (50), closer to a real bot.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
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
from harness.store_load import guild_of, hold_and_charge

FIRST_GUILD = 1_100_000_000_000_000_001
CHANNEL = 1_200_000_000_000_000_002
FIRST_USER = 10_000


def guild_ids(count: int) -> list[int]:
    return [FIRST_GUILD + n for n in range(count)]


async def prepare(quota: QuotaEngine, guilds: Sequence[int], users: int, pairs: int) -> None:
    for guild in guilds:
        await quota.set_guild_allowance(guild, pairs)
        await quota.set_guild_budget(guild, pairs * 2)
        await quota.set_concurrency(guild, per_user=10, per_guild=users * 10)
        await quota.set_role_allowance(guild, 77, pairs)


async def check(quota: QuotaEngine, guilds: Sequence[int], pairs: int) -> None:
    holds = charges = spent = charged = 0
    for guild in guilds:
        entries = await quota.ledger_entries(guild, limit=pairs * 3)
        holds += sum(entry.kind is EntryKind.HOLD for entry in entries)
        charges += sum(entry.kind is EntryKind.CHARGE for entry in entries)
        spend = await quota.guild_spend(guild)
        spent += spend.spent
        charged += spend.charged
    problems = await quota.audit()
    print(f"ledger: {holds} holds, {charges} charges; guild spend {spent}")
    print(f"audit: {'clean' if not problems else problems[:5]}")
    if holds != pairs or charges != pairs or charged != pairs or problems:
        raise SystemExit("the ledger does not add up")


async def run(
    guilds: Sequence[int], users: int, pairs: int, connections: int, path: Path | str
) -> float:
    """Run the pairs from this process; return pairs per second."""
    databases = [await open_database(path) for _ in range(connections)]
    stores = [JobStore(db, QuotaEngine(db, QuotaDefaults())) for db in databases]
    quota = stores[0].quota
    await prepare(quota, guilds, users, pairs)

    remaining = pairs
    hold_times: list[float] = []
    charge_times: list[float] = []

    async def member(user_id: int, store: JobStore) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            new = NewJob(
                user_id,
                guild_of(user_id, guilds),
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
    await asyncio.gather(*(member(FIRST_USER + i, stores[i % connections]) for i in range(users)))
    elapsed = time.perf_counter() - started

    def ms(values: list[float], q: float) -> str:
        return f"{statistics.quantiles(values, n=100)[int(q) - 1] * 1000:.2f} ms"

    where = databases[0].name
    print(f"members: {users}, guilds: {len(guilds)}, connections: {connections}, at {where}")
    print(f"pairs: {pairs} in {elapsed:.2f} s -> {pairs / elapsed:,.0f} hold+charge pairs/s")
    print(f"hold latency:   p50 {ms(hold_times, 50)}, p99 {ms(hold_times, 99)}")
    print(f"charge latency: p50 {ms(charge_times, 50)}, p99 {ms(charge_times, 99)}")
    await check(quota, guilds, pairs)
    for db in databases:
        await db.close()
    return pairs / elapsed


def run_processes(guilds: Sequence[int], users: int, pairs: int, processes: int, url: str) -> float:
    """Run the pairs from ``processes`` OS processes, each with its own pool; pairs per second."""

    async def setup() -> None:
        db = await open_database(url)
        await prepare(QuotaEngine(db, QuotaDefaults()), guilds, users, pairs)
        await db.close()

    asyncio.run(setup())
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(processes)
    answers = spawn.Queue()
    members = [range(FIRST_USER + i, FIRST_USER + users, processes) for i in range(processes)]
    shares = [pairs // processes + (i < pairs % processes) for i in range(processes)]
    children = [
        spawn.Process(
            target=hold_and_charge,
            args=(url, list(guilds), members[i], shares[i], barrier, answers),
        )
        for i in range(processes)
    ]
    for child in children:
        child.start()
    spans = [answers.get(timeout=900) for _ in children]
    for child in children:
        child.join()
    elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
    print(f"members: {users}, guilds: {len(guilds)}, processes: {processes}")
    print(f"pairs: {pairs} in {elapsed:.2f} s -> {pairs / elapsed:,.0f} hold+charge pairs/s")

    async def verify() -> None:
        db = await open_database(url)
        await check(QuotaEngine(db, QuotaDefaults()), guilds, pairs)
        await db.close()

    asyncio.run(verify())
    return pairs / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=20_000)
    parser.add_argument("--guilds", type=int, default=50, help="guilds of the spread case")
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--backend", choices=["all", "sqlite", "postgres"], default="all")
    parser.add_argument("--case", choices=["all", "hot", "spread"], default="all")
    parser.add_argument("--url", help="a postgresql:// database to use (it is filled with jobs)")
    args = parser.parse_args()
    cases = {"hot": guild_ids(1), "spread": guild_ids(args.guilds)}
    if args.case != "all":
        cases = {args.case: cases[args.case]}
    columns = []
    if args.backend in ("all", "sqlite"):
        columns.append("SQLite")
    if args.backend in ("all", "postgres"):
        columns += ["PG 1 process", f"PG {args.processes} processes"]
    figures: dict[tuple[str, str], float] = {}
    server = None
    if args.backend != "sqlite" and args.url is None:
        binaries = find_binaries()
        if binaries is None:
            raise SystemExit("PostgreSQL is not installed (initdb, pg_ctl); pass --url")
        server = PostgresServer(binaries)
        server.start()
    try:
        databases = Databases(server, "bench") if server else None
        with tempfile.TemporaryDirectory() as folder:
            for case, guilds in cases.items():
                for column in columns:
                    print(f"== {case}: {column}")
                    if column == "SQLite":
                        path = Path(folder) / f"{case}.sqlite3"
                        rate = asyncio.run(run(guilds, args.users, args.pairs, 1, path))
                    else:
                        url = args.url or asyncio.run(databases.fresh())  # type: ignore[union-attr]
                        if column == "PG 1 process":
                            rate = asyncio.run(
                                run(guilds, args.users, args.pairs, args.connections, url)
                            )
                        else:
                            rate = run_processes(
                                guilds, args.users, args.pairs, args.processes, url
                            )
                    figures[case, column] = rate
    finally:
        if server is not None:
            server.stop()
    print(f"== hold+charge pairs per second ({args.users} members, {args.pairs} pairs)")
    names = {"hot": "1 hot guild", "spread": f"{args.guilds} guilds"}
    print(f"{'':14}" + "".join(f"{column:>16}" for column in columns))
    for case in cases:
        row = "".join(f"{figures[case, column]:>16,.0f}" for column in columns)
        print(f"{names[case]:14}{row}")


if __name__ == "__main__":
    main()
