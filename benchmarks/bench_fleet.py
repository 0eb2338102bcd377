"""How many jobs per second bot processes carry on one PostgreSQL: one process, then three.

    python benchmarks/bench_fleet.py [--jobs 300] [--job-seconds 5] [--fire-seconds 3]
        [--processes 1,3] [--url postgresql://...]

Each run is the real ``python -m bot`` (shards of 3 shared out among the processes), the
emulator's three servers, the simulator with push through a round-robin front, and a fresh
database (a throwaway PostgreSQL server unless ``--url``). ``--jobs`` members, spread over
the three servers, each fire one ``/generate`` within ``--fire-seconds``; the clock runs from
the first command to the last result posted. Printed per run: jobs carried per second
(submit + track + deliver), the time from Pika finishing to the result posted (p50, p99), and
REST calls per job. One prompt and seed, so the simulator renders once and the figures are
the bots'.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.store import JobStore, QuotaDefaults, QuotaEngine, open_database
from harness.figures import percentile
from harness.fleet import start_fleet
from harness.postgres import Databases, PostgresServer, find_binaries


async def run_once(url: str, processes: int, args: argparse.Namespace) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-fleet-{processes}-"))
    per_guild = -(-args.jobs // 3)
    fleet = await start_fleet(
        workdir,
        url,
        processes=processes,
        job_seconds=args.job_seconds,
        extra={
            "QUOTA_DEFAULT_ALLOWANCE": "10",
            "QUOTA_MAX_IN_FLIGHT_USER": "5",
            "QUOTA_MAX_IN_FLIGHT_GUILD": str(per_guild * 2),
        },
        fast=False,
    )
    database = await open_database(url)
    store = JobStore(database, QuotaEngine(database, QuotaDefaults()))
    try:
        members = await fleet.add_members(per_guild)
        guild_ids = await fleet.guild_ids()
        firing = [(g, name) for g, names in members.items() for name in names][: args.jobs]
        before = len(await fleet.emu.requests())
        started = time.monotonic()

        async def fire(index: int, guild: str, name: str) -> None:
            await asyncio.sleep(args.fire_seconds * index / len(firing))
            await fleet.emu.slash(
                name, f"{guild}/general", "generate", {"prompt": "bench", "seed": 1}
            )

        await asyncio.gather(*(fire(i, g, n) for i, (g, n) in enumerate(firing)))
        deadline = time.monotonic() + args.job_seconds * 3 + 600
        while True:
            records = []
            for guild in members:
                records += await store.recent_jobs(guild_ids[guild], None, limit=args.jobs * 2)
            delivered = [r for r in records if r.delivered]
            if len(delivered) >= len(firing) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.25)
        elapsed = time.monotonic() - started
        rest = [
            r
            for r in (await fleet.emu.requests())[before:]
            if "/_emulator" not in r.get("path", "")
        ]
        sim_jobs = {job.id: job for job in fleet.simulator.jobs}
        lags = []
        for record in delivered:
            sim = sim_jobs.get(record.provider_job_id or "")
            if sim is None or record.delivered_at is None:
                continue
            finished = sim.created_wall + timedelta(seconds=sim.run_seconds)
            lags.append((record.delivered_at - finished).total_seconds())
        return {
            "delivered": len(delivered),
            "jobs": len(firing),
            "seconds": elapsed,
            "per_second": len(delivered) / elapsed,
            # What the processes carry once the renders are done: the whole run less one job.
            "carried_per_second": len(delivered) / max(elapsed - args.job_seconds, 0.001),
            "p50": statistics.median(lags) if lags else float("nan"),
            "p99": percentile(lags, 0.99) if lags else float("nan"),
            "rest_per_job": len(rest) / max(len(firing), 1),
        }
    finally:
        await database.close()
        await fleet.stop()


async def run(args: argparse.Namespace) -> None:
    counts = [int(n) for n in args.processes.split(",")]
    server: PostgresServer | None = None
    databases: Databases | None = None
    if args.url is None:
        binaries = find_binaries()
        if binaries is None:
            raise SystemExit("PostgreSQL (initdb, pg_ctl) is not installed; give --url")
        server = PostgresServer(binaries)
        server.start()
        databases = Databases(server, "bench_fleet")
    try:
        results = []
        for processes in counts:
            url = args.url if databases is None else await databases.fresh()
            result = await run_once(url, processes, args)
            results.append((processes, result))
            print(
                f"{processes} process(es): {result['delivered']:.0f}/{result['jobs']:.0f} "
                f"delivered in {result['seconds']:.1f}s = {result['per_second']:.1f} jobs/s "
                f"({result['carried_per_second']:.1f}/s past the first render); "
                f"Pika done -> posted p50 {result['p50']:.2f}s p99 {result['p99']:.2f}s; "
                f"{result['rest_per_job']:.2f} REST/job",
                flush=True,
            )
    finally:
        if server is not None:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--job-seconds", type=float, default=5.0)
    parser.add_argument("--fire-seconds", type=float, default=3.0)
    parser.add_argument("--processes", default="1,3")
    parser.add_argument("--url", default=None)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
