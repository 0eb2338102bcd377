"""User installs and DMs: a member's own install works where no server pays, on their allowance.

alice has the app on her own account (the emulator's world says so). In her DM with the bot
and in "Outside", a server that never installed the bot, her jobs are personal: answered and
delivered through the interaction (the bot has no channel there), by DM once the token is
gone, and charged to her personal allowance, never to a server's budget.
"""

from __future__ import annotations

from bot.domain.jobs import PERSONAL_SCOPE
from bot.domain.operations import Operation
from bot.emulator.config import EmulatorConfig
from bot.emulator.driver import EmulatorError
from tests.e2e.helpers import job_id_of, text_of
from tests.e2e.stack import Stack, decode_video, start_stack, stop_stack

PERSONAL = {"QUOTA_PERSONAL_ALLOWANCE": "3", "QUOTA_DEFAULT_ALLOWANCE": "10"}


async def _start(tmp_path, **extra: str) -> Stack:
    return await start_stack(
        tmp_path,
        job_seconds=1.5,
        bot_extra={**PERSONAL, **extra},
        emulator_config=EmulatorConfig(extra_guilds=True),
    )


async def _remaining(stack: Stack, scope: int, user: str = "alice") -> int | None:
    _, quota = await stack.store()
    status = await quota.status(scope, await stack.user_id(user), [], exempt=False)
    return status.remaining


async def test_in_a_dm_and_in_a_server_without_the_bot_the_personal_allowance_pays(tmp_path):
    stack = await _start(tmp_path)
    try:
        server = await stack.guild_id()
        _, quota = await stack.store()
        cost = await quota.cost(PERSONAL_SCOPE, Operation.GENERATE)

        in_dm = await stack.emu.slash_in_dm("alice", "generate", {"prompt": "a cat, in my DM"})
        progress = await stack.answer_of(in_dm)
        job_in_dm = job_id_of(progress)
        result = await stack.result_for(job_in_dm, channel="@alice")
        assert result["attachments"], text_of(result)
        assert decode_video(await stack.emu.download(result["attachments"][0]["url"]))["frames"]
        state = await stack.emu.interaction(in_dm)
        assert result["id"] in state.get("followup_ids", []), state

        outside = await stack.emu.slash(
            "alice", "Outside/general", "generate", {"prompt": "a dog, outside"}
        )
        job_outside = job_id_of(await stack.answer_of(outside))
        result = await stack.result_for(job_outside, channel="Outside/general")
        assert result["attachments"] and not result["flags"] & 64, text_of(result)

        # Where the server hides external apps' answers, Discord makes them private: the job
        # is still made and shown to alice alone, never refused or lost.
        await stack.emu.edit_guild("Outside", use_external_apps=False)
        hidden = await stack.emu.slash("alice", "Outside/lounge", "generate", {"prompt": "a fox"})
        job_hidden = job_id_of(await stack.answer_of(hidden))
        result = await stack.result_for(job_hidden, channel="Outside/lounge")
        assert result["attachments"] and result["flags"] & 64, text_of(result)
        assert not [m for m in await stack.emu.messages("Outside/lounge") if not m["flags"] & 64]

        # All three came out of alice's personal allowance; the server's budget is untouched.
        assert await _remaining(stack, PERSONAL_SCOPE) == 3 - 3 * cost
        assert await _remaining(stack, server) == 10
        kinds = [e.kind.value for e in await quota.ledger_entries(PERSONAL_SCOPE)]
        assert kinds.count("charge") == 3, kinds

        # /quota in the DM says it is her personal allowance.
        answer = await stack.answer_of(await stack.emu.slash_in_dm("alice", "quota"))
        assert "personal" in text_of(answer).lower(), text_of(answer)
        assert f"{3 - 3 * cost} credit" in text_of(answer), text_of(answer)
    finally:
        await stop_stack(stack)


async def test_a_personal_job_that_outlives_the_token_arrives_by_dm(tmp_path):
    stack = await start_stack(
        tmp_path,
        job_seconds=6.0,
        bot_extra=PERSONAL,
        emulator_config=EmulatorConfig(extra_guilds=True),
    )
    try:
        interaction = await stack.emu.slash(
            "alice", "Outside/general", "generate", {"prompt": "a very long render"}
        )
        job_id = job_id_of(await stack.answer_of(interaction))
        await stack.wait_for_job_in(PERSONAL_SCOPE, job_id, "running")
        await stack.emu.advance_clock(16 * 60)

        async def dm() -> list[dict]:
            try:
                return await stack.emu.dm_messages("alice")
            except EmulatorError:  # no DM opened yet
                return []

        def with_result(messages: list[dict]) -> bool:
            return any(f"Pika job #{job_id} · result" in text_of(m) for m in messages)

        messages = await stack.emu.wait_for(dm, with_result, timeout=40, what="the result by DM")
        result = next(m for m in messages if f"Pika job #{job_id} · result" in text_of(m))
        assert result["attachments"], text_of(result)
        assert decode_video(await stack.emu.download(result["attachments"][0]["url"]))["frames"]
        # Nothing was sent to a channel of a server that never installed the bot.
        assert not [
            m for m in await stack.emu.messages("Outside/general") if m["id"] == result["id"]
        ]
    finally:
        await stop_stack(stack)


async def test_personal_use_turned_off_is_said_and_costs_nothing(tmp_path):
    stack = await _start(tmp_path, QUOTA_PERSONAL_ALLOWANCE="0")
    try:
        answer = await stack.answer_of(
            await stack.emu.slash_in_dm("alice", "generate", {"prompt": "a cat"})
        )
        assert answer["flags"] & 64, text_of(answer)
        assert "personal use" in text_of(answer) and "turned off" in text_of(answer)
        assert not [r for r in stack.simulator.requests if r.path == "/web/generate"]
    finally:
        await stop_stack(stack)
