"""Past one process: three bot processes (shards 0, 1, 2 of 3) on one PostgreSQL database.

A process is SIGKILLed in the middle of 300 jobs and not restarted: the others take its jobs
over once its leases lapse, and every job is posted once, billed once and sent to Pika once.
The quota race of the store tests is run again through the three bots.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.jobs import PERSONAL_SCOPE
from bot.store import JobStore, QuotaDefaults, QuotaEngine, open_database
from harness.fleet import Fleet, start_fleet
from harness.postgres import Databases
from tests.e2e.helpers import job_id_of, result_counts, text_of
from tests.e2e.stack import settled

JOBS_PER_GUILD = 100
LEASE = 6.0
POLL = 3.0  # the bot's default interval; survivors look for lapsed leases every LEASE / 3
DELIVERY_SLACK = 15.0
"""Past the takeover, the download and upload of a video: generous, as CI shares 2 cores."""
ROOMY = {
    "QUOTA_DEFAULT_ALLOWANCE": "10",
    "QUOTA_MAX_IN_FLIGHT_USER": "5",
    "QUOTA_MAX_IN_FLIGHT_GUILD": str(JOBS_PER_GUILD * 2),
}


async def _answers(fleet: Fleet, interactions: list[str], timeout: float) -> list[dict]:
    """The first settled message of each interaction (ephemeral or not)."""

    async def answer(interaction: str) -> dict:
        state = await fleet.emu.wait_for_interaction(
            interaction, lambda i: any(settled(m) for m in i.get("messages", [])), timeout=timeout
        )
        return next(m for m in state["messages"] if settled(m))

    return list(await asyncio.gather(*(answer(i) for i in interactions)))


@pytest.mark.timeout(420)
async def test_three_processes_carry_300_jobs_through_a_kill_exactly_once(
    tmp_path, postgres_databases: Databases
):
    url = await postgres_databases.fresh()
    fleet = await start_fleet(
        tmp_path,
        url,
        processes=3,
        job_seconds=5.0,
        lease_seconds=LEASE,
        poll_seconds=POLL,
        extra=ROOMY,
    )
    database = await open_database(url)
    quota = QuotaEngine(database, QuotaDefaults())
    store = JobStore(database, quota)
    try:
        members = await fleet.add_members(JOBS_PER_GUILD)
        guild_ids = await fleet.guild_ids()

        async def fire(guild: str, index: int, name: str) -> str:
            await asyncio.sleep(index * 0.02)  # 100 commands a server within two seconds
            # One prompt and seed: the simulator renders one video for all, so the timings
            # measure the bots, not the simulator's render queue.
            return await fleet.emu.slash(
                name, f"{guild}/general", "generate", {"prompt": "fleet", "seed": 1}
            )

        interactions = await asyncio.gather(
            *(fire(g, i, name) for g, names in members.items() for i, name in enumerate(names))
        )
        answers = await _answers(fleet, interactions, timeout=150)
        job_ids = [job_id_of(answer) for answer in answers]
        assert len(set(job_ids)) == 3 * JOBS_PER_GUILD

        # Kill the process of shard 1 (Art Club) mid-run: some of its results posted, more
        # of its jobs unfinished.
        victim = fleet.bots[1]
        owner = "shards-1"
        await victim.wait_for_log("delivered as message", timeout=60, occurrences=5)
        held = await database.read(
            lambda tx: tx.fetchall(
                "SELECT id FROM jobs WHERE lease_owner = ? AND delivered_at IS NULL", owner
            )
        )
        orphans = {int(row[0]) for row in held}
        assert len(orphans) >= 10, f"shard 1 held only {len(orphans)} unfinished jobs"
        assert await victim.kill() == -9
        killed_at = datetime.now(UTC)
        killed_clock = time.monotonic()

        # Watch the orphans change hands: each is leased by a survivor (or already posted)
        # within the lease plus one poll interval of the kill.
        taken_after: dict[int, float] = {}

        async def all_taken() -> bool:
            rows = await database.read(
                lambda tx: tx.fetchall(
                    "SELECT id, lease_owner, delivered_at FROM jobs WHERE lease_owner IS NULL "
                    "OR lease_owner <> ? OR delivered_at IS NOT NULL",
                    owner,
                )
            )
            for row in rows:
                if int(row[0]) in orphans:
                    taken_after.setdefault(int(row[0]), time.monotonic() - killed_clock)
            return len(taken_after) == len(orphans)

        await fleet.emu.wait_for(all_taken, bool, timeout=60, what="the orphans taken over")
        assert max(taken_after.values()) <= LEASE + POLL, sorted(taken_after.values())[-5:]

        async def all_delivered() -> bool:
            sql = "SELECT count(*) FROM jobs WHERE delivered_at IS NULL"
            return await database.read(lambda tx: tx.fetchval(sql)) == 0

        await fleet.emu.wait_for(all_delivered, bool, timeout=180, what="every job delivered")
        took = time.monotonic() - killed_clock

        # Posted exactly once each, wherever it was asked for.
        messages = []
        for guild in members:
            messages += await fleet.emu.messages(f"{guild}/general")
        assert result_counts(messages) == Counter(
            {f"Pika job #{job_id} · result": 1 for job_id in job_ids}
        ), fleet.logs()

        # Pika saw one submission per job, the killed process's jobs included.
        submitted = [job.id for job in fleet.simulator.jobs]
        assert len(submitted) == len(set(submitted)) == 3 * JOBS_PER_GUILD
        records = [await store.get_job(job_id) for job_id in job_ids]
        assert {r.provider_job_id for r in records if r is not None} == set(submitted)

        # Every balance is exact: one hold and one charge per job, nothing left held.
        for guild in members:
            usage = await quota.usage_report(guild_ids[guild])
            assert len(usage) == JOBS_PER_GUILD
            assert {(row.jobs, row.charged, row.held, row.succeeded) for row in usage} == {
                (1, 1, 0, 1)
            }
        assert await quota.audit() == []
        for job_id in orphans:
            record = await store.get_job(job_id)
            assert record is not None
            entries = await quota.ledger_entries(record.guild_id, job_id=job_id)
            kinds = [e.kind.value for e in entries]
            assert kinds == ["hold", "charge"], (job_id, kinds)

        # And posted soon after: within the lease and a poll of Pika being done (or of the
        # kill, for those Pika finished before it), plus the upload.
        sim_jobs = {job.id: job for job in fleet.simulator.jobs}
        late, waits = [], []
        for job_id in orphans:
            record = await store.get_job(job_id)
            assert record is not None and record.delivered_at is not None
            sim = sim_jobs[record.provider_job_id or ""]
            finished = sim.created_wall + timedelta(seconds=sim.run_seconds)
            waited = (record.delivered_at - max(killed_at, finished)).total_seconds()
            waits.append(waited)
            if waited > LEASE + POLL + DELIVERY_SLACK:
                late.append((job_id, round(waited, 1)))
        assert not late, f"delivered too late: {late[:10]}\n{fleet.logs()}"
        assert "Took over" in fleet.bots[0].log_text() + fleet.bots[2].log_text()
        print(
            f"{len(orphans)} orphaned jobs: all taken over within "
            f"{max(taken_after.values()):.1f}s of the kill (lease {LEASE}s, poll {POLL}s), all "
            f"delivered {took:.1f}s after it; each at most {max(waits):.1f}s after it (or Pika) "
            "was done"
        )
    finally:
        await database.close()
        await fleet.stop()


@pytest.mark.timeout(180)
async def test_a_member_who_can_afford_3_gets_exactly_3_of_50_across_three_processes(
    tmp_path, postgres_databases: Databases
):
    url = await postgres_databases.fresh()
    fleet = await start_fleet(
        tmp_path, url, processes=3, job_seconds=2.0, extra={"QUOTA_PERSONAL_ALLOWANCE": "3"}
    )
    database = await open_database(url)
    quota = QuotaEngine(database, QuotaDefaults())
    try:
        # Three servers without the bot, one on each shard: racer's user install answers in
        # all three, so the three processes race on one personal allowance.
        await fleet.emu.add_user("racer", guild=None)
        await fleet.emu.install_app("racer")
        for shard in range(3):
            await fleet.emu.add_guild(
                f"Elsewhere {shard}", "racer", shard=(shard, 3), install=False
            )
        interactions = await asyncio.gather(
            *(
                fleet.emu.slash(
                    "racer",
                    f"Elsewhere {n % 3}/general",
                    "generate",
                    {"prompt": f"race {n}"},
                )
                for n in range(50)
            )
        )
        answers = await _answers(fleet, interactions, timeout=60)
        accepted = [a for a in answers if "Pika job #" in text_of(a)]
        refused = [a for a in answers if "Pika job #" not in text_of(a)]
        assert len(accepted) == 3, [text_of(a)[:80] for a in answers]
        assert len(refused) == 47
        assert all(a["flags"] & 64 for a in refused)
        assert all("credit" in text_of(a).lower() for a in refused), text_of(refused[0])
        racer = int(
            next(u["id"] for u in (await fleet.emu.world())["users"] if u["username"] == "racer")
        )
        holds = [
            e
            for e in await quota.ledger_entries(PERSONAL_SCOPE, user_id=racer)
            if e.kind.value == "hold"
        ]
        assert len(holds) == 3

        async def three_submitted() -> bool:
            return _submissions(fleet, "race ") == 3

        await fleet.emu.wait_for(three_submitted, bool, timeout=30, what="three submissions")
        # Settle: nothing more reaches Pika once the three are running.
        await fleet.emu.wait_for(
            lambda: _all_finished(fleet), bool, timeout=30, what="the three jobs finished"
        )
        assert _submissions(fleet, "race ") == 3
    finally:
        await database.close()
        await fleet.stop()


def _submissions(fleet: Fleet, prefix: str) -> int:
    return sum(1 for job in fleet.simulator.jobs if job.prompt.startswith(prefix))


async def _all_finished(fleet: Fleet) -> bool:
    return fleet.simulator.jobs.in_flight() == 0


@pytest.mark.timeout(180)
async def test_a_push_that_reaches_another_process_wakes_the_one_holding_the_job(
    tmp_path, postgres_databases: Databases
):
    """Two processes; every push goes to the one that holds none of the jobs. The safety-net
    polls are a minute away (no history yet, fallback 120 s), so a result posted within
    seconds of Pika finishing was woken by the push, through the database."""
    url = await postgres_databases.fresh()
    fleet = await start_fleet(
        tmp_path,
        url,
        processes=2,  # bot-0: shards 0 and 2; bot-1: shard 1
        job_seconds=2.0,
        extra={**ROOMY, "PIKA_FALLBACK_POLL_SECONDS": "120"},
    )
    fleet.front.pinned = 1
    database = await open_database(url)
    store = JobStore(database, QuotaEngine(database, QuotaDefaults()))
    try:
        guild = fleet.guild_names[0]  # on shard 0: its jobs are bot-0's
        members = (await fleet.add_members(5, prefix="w"))[guild]
        interactions = await asyncio.gather(
            *(
                fleet.emu.slash(name, f"{guild}/general", "generate", {"prompt": "wake", "seed": 2})
                for name in members
            )
        )
        answers = await _answers(fleet, interactions, timeout=60)
        job_ids = [job_id_of(answer) for answer in answers]

        async def all_delivered() -> bool:
            jobs = [await store.get_job(job_id) for job_id in job_ids]
            return all(job is not None and job.delivered for job in jobs)

        await fleet.emu.wait_for(all_delivered, bool, timeout=40, what="every job delivered")
        finished = {job.id: job for job in fleet.simulator.jobs}
        for job_id in job_ids:
            record = await store.get_job(job_id)
            assert record is not None and record.delivered_at is not None
            pika = finished[record.provider_job_id or ""]
            done = pika.created_wall + timedelta(seconds=pika.run_seconds)
            assert (record.delivered_at - done).total_seconds() < 15, (job_id, record)
        assert fleet.front.forwarded[1] >= len(job_ids) and fleet.front.forwarded[0] == 0
        messages = await fleet.emu.messages(f"{guild}/general")
        assert result_counts(messages) == Counter(
            {f"Pika job #{job_id} · result": 1 for job_id in job_ids}
        )
    finally:
        await database.close()
        await fleet.stop()
