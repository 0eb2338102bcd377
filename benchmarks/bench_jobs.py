"""Run N jobs at once through the Discord emulator and the Pika simulator, and print figures.

    python benchmarks/bench_jobs.py [--jobs 500] [--job-seconds 20]

Prints REST requests to Discord per job, 429s the bot received, Pika polls per job, the time
from the simulator finishing a job to its result being posted (p50, p99), and the bot's peak
memory. The bot is the real ``python -m bot`` process with its default edit interval and poll
settings, except the provider's poll rate limit (``--polls-per-second``).
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

from bot.emulator.driver import EmulatorDriver
from bot.emulator.server import Emulator
from bot.pika.simulator import Simulator, SimulatorConfig
from bot.store import JobStore, QuotaDefaults, QuotaEngine, open_database
from harness.process import BotProcess
from harness.world import PIKA_KEY, bot_env


def peak_memory_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def run(jobs: int, job_seconds: float, polls_per_second: float) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    simulator = Simulator(
        SimulatorConfig(job_seconds=job_seconds, api_key=PIKA_KEY, render_concurrency=2)
    )
    await simulator.start(host="127.0.0.1", port=0)
    emulator = Emulator()
    await emulator.start(host="127.0.0.1", port=0)
    database_path = workdir / "bot.sqlite3"
    env = bot_env(emulator, simulator, database_path, "webbot")
    env.update(
        {
            "QUOTA_MAX_IN_FLIGHT_USER": str(jobs),
            "QUOTA_MAX_IN_FLIGHT_GUILD": str(jobs),
            "QUOTA_DEFAULT_ALLOWANCE": str(jobs * 2),
            "PIKA_POLLS_PER_SECOND": str(polls_per_second),
            "POLL_INTERVAL_SECONDS": "3",
            "PROGRESS_EDIT_INTERVAL_SECONDS": "3",
            "LOG_LEVEL": "INFO",
        }
    )
    bot = BotProcess(env, workdir)
    await bot.start()
    await bot.wait_for_log("Logged in as", timeout=60)
    async with EmulatorDriver(emulator.base_url) as emu:
        await emu.wait_for(
            emu.commands, lambda c: len(c.get("global", [])) > 5, timeout=60, what="commands synced"
        )
        before = len(await emu.requests())
        started = time.monotonic()
        users = ["alice", "bob", "owner"]
        await asyncio.gather(
            *(
                # One prompt and seed: the simulator renders once, so every job finishes on time
                # and the figures measure the bot, not the simulator's render queue.
                emu.slash(users[i % 3], "general", "generate", {"prompt": "benchmark", "seed": 1})
                for i in range(jobs)
            )
        )
        print(f"{jobs} commands sent in {time.monotonic() - started:.1f}s")

        database = await open_database(database_path)
        store = JobStore(database, QuotaEngine(database, QuotaDefaults()))
        deadline = time.monotonic() + job_seconds * 3 + 600
        while True:
            records = await store.recent_jobs(
                int((await emu.world())["guilds"][0]["id"]), None, limit=jobs * 2
            )
            delivered = [r for r in records if r.delivered]
            if len(delivered) >= jobs or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        elapsed = time.monotonic() - started
        memory = peak_memory_mib(bot.process.pid)

        requests = (await emu.requests())[before:]
        rest = [r for r in requests if "/_emulator" not in r.get("path", "")]
        rate_limited = [r for r in rest if r.get("status") == 429]
        polls = [r for r in simulator.requests if r.scope == "poll"]
        sim_jobs = {job.id: job for job in simulator.jobs}
        lags = []
        for record in delivered:
            sim_job = sim_jobs.get(record.provider_job_id or "")
            if sim_job is None or record.delivered_at is None:
                continue
            finished = sim_job.created_wall + timedelta(seconds=sim_job.run_seconds)
            lags.append((record.delivered_at - finished).total_seconds())
        failed = [r for r in records if r.status == "failed"]
        await database.close()

    print(f"jobs delivered: {len(delivered)}/{jobs} in {elapsed:.1f}s ({len(failed)} failed)")
    print(f"REST requests to Discord per job: {len(rest) / jobs:.2f} ({len(rest)} in all)")
    print(f"429s received by the bot: {len(rate_limited)}")
    print(f"Pika polls per job: {len(polls) / jobs:.2f} ({len(polls)} in all)")
    if lags:
        print(
            f"simulator finished -> result posted: p50 {statistics.median(lags):.2f}s, "
            f"p99 {percentile(lags, 0.99):.2f}s, max {max(lags):.2f}s"
        )
    print(f"bot peak memory (VmHWM): {memory:.0f} MiB")
    await bot.terminate(timeout=30)
    await emulator.stop()
    await simulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--job-seconds", type=float, default=20.0)
    parser.add_argument("--polls-per-second", type=float, default=20.0)
    args = parser.parse_args()
    asyncio.run(run(args.jobs, args.job_seconds, args.polls_per_second))


if __name__ == "__main__":
    main()
