"""A server's blocked words: refused privately in every text, free, and never sent to Pika."""

from __future__ import annotations

import pytest

from bot.emulator.driver import EmulatorError
from tests.e2e.helpers import buttons, job_id_of, text_of
from tests.e2e.stack import Stack

REFUSED = "not allowed in this server"


async def _private(stack: Stack, interaction_id: str) -> str:
    answer = await stack.answer_of(interaction_id)
    assert answer["flags"] & 64, text_of(answer)
    return text_of(answer)


def _submissions(stack: Stack) -> int:
    return len([r for r in stack.simulator.requests if r.path == "/web/generate"])


async def test_blocked_words_are_refused_however_they_are_written(stack):
    said = await _private(
        stack, await stack.slash("owner", "admin blocked-words add", {"words": "Gore, blood bath"})
    )
    assert "`gore`" in said and "`blood bath`" in said
    listed = await _private(stack, await stack.slash("owner", "admin blocked-words list"))
    assert "`blood bath`" in listed and "(2)" in listed
    # Members cannot even see /admin (Discord hides it by its default permissions).
    with pytest.raises(EmulatorError):
        await stack.slash("alice", "admin blocked-words add", {"words": "cat"})

    _, quota = await stack.store()
    guild = await stack.guild_id()
    tricks = [
        {"prompt": "a GORE scene"},
        {"prompt": "a g\u200bore scene"},  # a zero-width space inside
        {"prompt": "a \uff47\uff4f\uff52\uff45 scene"},  # full-width letters
        {"prompt": "a calm lake", "negative_prompt": "no blood  bath"},
    ]
    for options in tricks:
        said = await _private(stack, await stack.slash("alice", "generate", options))
        assert REFUSED in said, (options, said)
        assert "gore" not in said.lower() and "blood" not in said.lower()
    assert _submissions(stack) == 0
    assert await quota.ledger_entries(guild) == []

    # Whole words only: "gorean" and "bloodbath" are fine, and so is a word once allowed again.
    job = job_id_of(
        await stack.answer_of(await stack.slash("alice", "generate", {"prompt": "a gorean cliff"}))
    )
    result = await stack.result_for(job)
    assert result["attachments"], text_of(result)

    # A modal's text is checked too: Reprompt with a blocked word is refused, free.
    click = await stack.emu.click("alice", result["id"], buttons(result)["Reprompt"]["custom_id"])
    await stack.emu.wait_for_interaction(click, lambda i: i.get("modal"), timeout=15)
    submitted = await stack.emu.submit_modal("alice", click, {"prompt": "more gore"})
    state = await stack.emu.wait_for_interaction(
        submitted, lambda i: any(m["flags"] & 64 for m in i.get("messages", [])), timeout=15
    )
    private = [text_of(m) for m in state["messages"] if m["flags"] & 64]
    assert any(REFUSED in text for text in private), private
    assert _submissions(stack) == 1

    said = await _private(
        stack, await stack.slash("owner", "admin blocked-words remove", {"words": "GORE"})
    )
    assert "`gore`" in said
    job = job_id_of(
        await stack.answer_of(await stack.slash("alice", "generate", {"prompt": "a gore scene"}))
    )
    assert (await stack.result_for(job))["attachments"]
