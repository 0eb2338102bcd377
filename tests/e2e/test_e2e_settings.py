"""/settings: defaults applied and overridden, private results, and /show bringing a job back."""

from __future__ import annotations

from typing import Any

from tests.e2e.helpers import buttons, job_id_of, text_of
from tests.e2e.stack import Stack


def _sent_options(stack: Stack) -> list[dict[str, Any]]:
    """The options Pika received, submission by submission."""
    return [
        (r.json or {}).get("options") or {}
        for r in stack.simulator.requests
        if r.path == "/web/generate"
    ]


async def _private(stack: Stack, interaction_id: str) -> str:
    answer = await stack.answer_of(interaction_id)
    assert answer["flags"] & 64, text_of(answer)
    return text_of(answer)


async def test_defaults_apply_explicit_options_win_and_show_brings_a_job_back(stack):
    shown = await _private(stack, await stack.slash("alice", "settings"))
    assert "Aspect ratio: the bot's default" in shown and "Private results: off" in shown

    said = await _private(
        stack,
        await stack.slash(
            "alice",
            "settings",
            {"aspect_ratio": "9:16", "motion": 3, "negative_prompt": "blurry faces"},
        ),
    )
    assert "Aspect ratio: `9:16`" in said and "Motion: `3`" in said and "`blurry faces`" in said

    # The defaults fill in what the command leaves out...
    first = job_id_of(
        await stack.answer_of(await stack.slash("alice", "generate", {"prompt": "a heron"}))
    )
    first_result = await stack.result_for(first)
    # ...and an option given to the command wins over the default.
    second = job_id_of(
        await stack.answer_of(
            await stack.slash("alice", "generate", {"prompt": "a crane", "aspect_ratio": "1:1"})
        )
    )
    await stack.result_for(second)
    # bob has no settings: the bot's defaults.
    third = job_id_of(
        await stack.answer_of(await stack.slash("bob", "generate", {"prompt": "a stork"}))
    )
    await stack.result_for(third)
    sent = _sent_options(stack)
    assert sent[0]["aspectRatio"] == "9:16" and sent[0]["parameters"]["motion"] == 3, sent[0]
    assert sent[0]["parameters"]["negativePrompt"] == "blurry faces", sent[0]
    assert sent[1]["aspectRatio"] == "1:1" and sent[1]["parameters"]["motion"] == 3, sent[1]
    assert sent[2]["aspectRatio"] == "16:9" and sent[2]["parameters"]["motion"] == 1, sent[2]

    # /show posts the first video again, here, with buttons that work.
    again = await stack.answer_of(await stack.slash("alice", "show", {"job": str(first)}))
    assert not again["flags"] & 64 and again["attachments"], text_of(again)
    assert f"brought back job #{first}" in text_of(again)
    assert set(buttons(again)) == set(buttons(first_result))
    await stack.emu.click("alice", again["id"], buttons(again)["Reroll"]["custom_id"])
    owner = await stack.user_id("alice")
    reroll = await stack.wait_for_job(
        lambda job: job.parent_job_id == first and job.owner_id == owner and job.finished
    )
    assert reroll.status == "succeeded"
    # Only one's own finished jobs can be shown.
    said = await _private(stack, await stack.slash("bob", "show", {"job": str(first)}))
    assert f"#{first} isn't yours" in said

    # Reset: back to the bot's defaults.
    said = await _private(stack, await stack.slash("alice", "settings", {"reset": True}))
    assert "Aspect ratio: the bot's default" in said and "Motion: the bot's default" in said


async def test_private_results_are_seen_by_their_owner_only(stack):
    await _private(stack, await stack.slash("alice", "settings", {"private_results": True}))
    progress = await stack.answer_of(await stack.slash("alice", "generate", {"prompt": "a secret"}))
    assert progress["flags"] & 64, text_of(progress)
    job_id = job_id_of(progress)
    result = await stack.result_for(job_id)
    alice = str(await stack.user_id("alice"))
    assert result["flags"] & 64 and result["visible_to"] == alice, result
    assert result["attachments"], text_of(result)
    public = [m for m in await stack.emu.messages("general") if not m["flags"] & 64]
    assert not [m for m in public if f"#{job_id}" in text_of(m)]
