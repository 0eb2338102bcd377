"""The real bot end to end, recorded and checked against Discord's spec: what the emulator
answered and what the bot asked."""

from __future__ import annotations

import os

import pytest

from bot.emulator.config import EmulatorConfig
from tests.conformance.traffic import check_traffic, load_allowlist, not_allowed
from tests.e2e.helpers import buttons, job_id_of
from tests.e2e.stack import start_stack, stop_stack


@pytest.mark.skipif(os.name != "posix", reason="the bot runs as a child process")
async def test_a_generate_with_buttons_modal_quota_and_autocomplete_conforms(tmp_path, spec):
    stack = await start_stack(tmp_path, emulator_config=EmulatorConfig(record_traffic=True))
    try:
        iid = await stack.slash("alice", "generate", {"prompt": "a red kite"})
        job_id = job_id_of(await stack.answer_of(iid))
        result = await stack.result_for(job_id)
        click = await stack.emu.click(
            "alice", result["id"], buttons(result)["Reprompt"]["custom_id"]
        )
        await stack.emu.wait_for_interaction(click, lambda i: i.get("modal"), timeout=15)
        await stack.emu.submit_modal("alice", click, {"prompt": "a blue kite at dusk"})
        await stack.emu.wait_for_message(
            "general", lambda m: "a blue kite at dusk" in str(m), timeout=30
        )
        await stack.answer_of(await stack.slash("alice", "quota"))
        await stack.emu.autocomplete("alice", "general", "extend", {"job": ""}, "job")
        traffic = await stack.emu.recording()
    finally:
        await stop_stack(stack)
    bot_requests = {(e["method"], e["route"]) for e in traffic if e["kind"] == "rest"}
    assert ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}") in (
        bot_requests
    ) or ("PATCH", "/channels/{channel_id}/messages/{message_id}") in bot_requests
    findings = not_allowed(check_traffic(spec, traffic), load_allowlist())
    assert not findings, "\n".join(str(f) for f in findings)
