"""Fire N jobs through the Discord emulator and the Pika simulator, and print what it cost.

    python benchmarks/bench_jobs.py [--jobs 200] [--job-seconds 20] [--fire-seconds 2]
        [--push] [--drop-share 0.2] [--bot-repo PATH] [--set NAME=VALUE ...]

N members each fire one ``/generate`` within ``--fire-seconds``; the bot is the real
``python -m bot`` process (from ``--bot-repo``, default this checkout, so an older commit can be
measured side by side) with its default settings except the quotas, raised so that every job
may run at once, and whatever ``--set`` gives. ``--push`` gives the bot an HTTP server and
``PIKA_WEBHOOK_URL`` so the simulator pushes; ``--drop-share`` drops that share of pushes.

Printed: jobs delivered, REST requests to Discord per job, 429s the bot received, Pika polls
per job, the time from the simulator finishing a job to its result being posted (p50, p99,
max; separately for jobs whose push was dropped), the bot's peak RSS (VmHWM), and the event
loop's lag p99 from the bot's /metrics when it has them.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.emulator.driver import EmulatorDriver
from bot.emulator.server import Emulator
from bot.pika.simulator import Simulator, SimulatorConfig
from bot.store import JobStore, QuotaDefaults, QuotaEngine, open_database
from harness.figures import percentile
from harness.process import REPO, BotProcess
from harness.world import PIKA_KEY, bot_env, free_port


def peak_memory_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def histogram_quantile(text: str, name: str, share: float) -> float | None:
    """The upper bound of the bucket holding the ``share`` quantile, from Prometheus text."""
    buckets = [
        (float("inf") if le == "+Inf" else float(le), float(count))
        for le, count in re.findall(rf'^{name}_bucket{{le="([^"]+)"}} (\S+)$', text, re.M)
    ]
    if not buckets or buckets[-1][1] == 0:
        return None
    total = buckets[-1][1]
    for bound, count in buckets:
        if count >= share * total:
            return bound
    return None


def lag_text(lags: list[float]) -> str:
    if not lags:
        return "none measured"
    return (
        f"p50 {statistics.median(lags):.2f}s, p99 {percentile(lags, 0.99):.2f}s, "
        f"max {max(lags):.2f}s ({len(lags)} jobs)"
    )


async def run(args: argparse.Namespace) -> None:
    jobs = args.jobs
    workdir = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    simulator = Simulator(
        SimulatorConfig(job_seconds=args.job_seconds, api_key=PIKA_KEY, render_concurrency=2)
    )
    await simulator.start(host="127.0.0.1", port=0)
    if args.drop_share:
        simulator.faults.update({"drop_webhooks": {"rate": args.drop_share}})
    emulator = Emulator()
    await emulator.start(host="127.0.0.1", port=0)
    database_path = workdir / "bot.sqlite3"
    extra = {
        "QUOTA_MAX_IN_FLIGHT_GUILD": str(jobs),
        "QUOTA_DEFAULT_ALLOWANCE": str(jobs),
        "LOG_LEVEL": "INFO",
    }
    port = free_port()
    extra["HTTP_LISTEN"] = f"127.0.0.1:{port}"
    if args.push:
        extra["PIKA_WEBHOOK_URL"] = f"http://127.0.0.1:{port}"
    for setting in args.set:
        name, _, value = setting.partition("=")
        extra[name] = value
    env = bot_env(emulator, simulator, database_path, "webbot", **extra)
    # Today's defaults for what the tests speed up: the benchmark measures the bot as shipped.
    for name in (
        "POLL_INTERVAL_SECONDS",
        "PROGRESS_EDIT_INTERVAL_SECONDS",
        "PIKA_POLLS_PER_SECOND",
    ):
        if name not in extra:
            env.pop(name, None)
    bot = BotProcess(env, workdir, repo=Path(args.bot_repo))
    await bot.start()
    await bot.wait_for_log("Logged in as", timeout=60)
    async with EmulatorDriver(emulator.base_url) as emu:
        await emu.wait_for(
            emu.commands, lambda c: len(c.get("global", [])) > 5, timeout=60, what="commands synced"
        )
        members = [f"member{n}" for n in range(jobs)]
        for name in members:
            await emu.add_user(name)
        before = len(await emu.requests())
        started = time.monotonic()

        async def fire(index: int) -> None:
            await asyncio.sleep(args.fire_seconds * index / jobs)
            # One prompt and seed: the simulator renders once, so every job finishes on time
            # and the figures measure the bot, not the simulator's render queue.
            await emu.slash(members[index], "general", "generate", {"prompt": "bench", "seed": 1})

        await asyncio.gather(*(fire(i) for i in range(jobs)))
        print(f"{jobs} commands sent in {time.monotonic() - started:.1f}s")

        database = await open_database(database_path)
        store = JobStore(database, QuotaEngine(database, QuotaDefaults()))
        guild = int((await emu.world())["guilds"][0]["id"])
        deadline = time.monotonic() + args.job_seconds * 3 + 600
        while True:
            records = await store.recent_jobs(guild, None, limit=jobs * 2)
            delivered = [r for r in records if r.delivered]
            if len(delivered) >= jobs or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        elapsed = time.monotonic() - started
        memory = peak_memory_mib(bot.process.pid) if bot.process else float("nan")
        metrics_text = ""
        try:
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"http://127.0.0.1:{port}/metrics") as response,
            ):
                if response.status == 200:
                    metrics_text = await response.text()
        except aiohttp.ClientError:
            pass  # an older bot has no HTTP server

        requests = (await emu.requests())[before:]
        rest = [r for r in requests if "/_emulator" not in r.get("path", "")]
        rate_limited = [r for r in rest if r.get("status") == 429]
        polls = [r for r in simulator.requests if r.scope == "poll"]
        sim_jobs = {job.id: job for job in simulator.jobs}
        dropped_ids = {w.job_id for w in simulator.webhooks if w.dropped}
        lags, dropped_lags = [], []
        for record in delivered:
            sim_job = sim_jobs.get(record.provider_job_id or "")
            if sim_job is None or record.delivered_at is None:
                continue
            finished = sim_job.created_wall + timedelta(seconds=sim_job.run_seconds)
            lag = (record.delivered_at - finished).total_seconds()
            (dropped_lags if sim_job.id in dropped_ids else lags).append(lag)
        failed = [r for r in records if r.status == "failed"]
        await database.close()

    print(f"jobs delivered: {len(delivered)}/{jobs} in {elapsed:.1f}s ({len(failed)} failed)")
    print(f"REST requests to Discord per job: {len(rest) / jobs:.2f} ({len(rest)} in all)")
    print(f"429s received by the bot: {len(rate_limited)}")
    print(f"Pika polls per job: {len(polls) / jobs:.2f} ({len(polls)} in all)")
    print(f"simulator finished -> result posted: {lag_text(lags + dropped_lags)}")
    if args.drop_share:
        print(f"  of which pushes dropped: {lag_text(dropped_lags)}")
        print(f"  pushes delivered: {lag_text(lags)}")
    if args.push:
        sent = [w for w in simulator.webhooks if not w.dropped]
        failed_pushes = [w for w in sent if w.status != 200]
        print(
            f"pushes: {len(sent)} sent, {len(failed_pushes)} not answered 200"
            + (
                f" (e.g. {failed_pushes[0].status or failed_pushes[0].error})"
                if failed_pushes
                else ""
            )
        )
    print(f"bot peak memory (VmHWM): {memory:.0f} MiB")
    lag99 = histogram_quantile(metrics_text, "pika_bot_event_loop_lag_seconds", 0.99)
    print(
        "event loop lag p99: "
        + (f"<= {lag99 * 1000:.0f} ms (histogram bucket)" if lag99 is not None else "n/a")
    )
    await bot.terminate(timeout=60)
    await emulator.stop()
    await simulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--job-seconds", type=float, default=20.0)
    parser.add_argument("--fire-seconds", type=float, default=2.0)
    parser.add_argument("--push", action="store_true")
    parser.add_argument("--drop-share", type=float, default=0.0)
    parser.add_argument("--bot-repo", default=str(REPO))
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
