"""The buttons on a result start new jobs, after restarts too, and only for their owner."""

from __future__ import annotations

import re

import pytest

from bot.emulator.driver import EmulatorError
from tests.e2e.helpers import buttons, job_id_of, text_of
from tests.e2e.stack import decode_video


async def _make_video(stack, user="alice", prompt="a red kite"):
    progress = await stack.answer_of(
        await stack.slash(user, "generate", {"prompt": prompt, "seed": 11})
    )
    job_id = job_id_of(progress)
    return job_id, await stack.result_for(job_id)


async def _started_from(stack, parent_id: int, owner_name: str):
    owner = await stack.user_id(owner_name)
    return await stack.wait_for_job(
        lambda job: (
            job.parent_job_id == parent_id
            and job.owner_id == owner
            and job.id not in _started_from.seen
            and job.progress_message_id is not None
        ),
        timeout=30,
    )


_started_from.seen = set()


async def test_buttons_work_after_a_restart(stack):
    _started_from.seen.clear()
    job_id, result = await _make_video(stack)
    await stack.bot.terminate()
    await stack.bot.start()
    await stack.bot.wait_for_log("Logged in as", occurrences=2, timeout=60)
    # The command tree did not change, so the restart did not sync it again.
    assert len(re.findall(r"Synced \d+ slash commands", stack.bot.log_text())) == 1
    assert "Slash commands unchanged; not syncing" in stack.bot.log_text()

    # Extend: a new job, shown as a reply to the result, 4 s longer.
    await stack.emu.click("alice", result["id"], buttons(result)["Extend"]["custom_id"])
    extend = await _started_from(stack, job_id, "alice")
    _started_from.seen.add(extend.id)
    extended = await stack.result_for(extend.id)
    progress = await stack.emu.message(extend.progress_message_id)
    assert progress["message_reference"]["message_id"] == result["id"]
    assert f"started this from job #{job_id}" in progress["content"]
    assert progress["edit_count"] >= 2
    original = decode_video(await stack.emu.download(result["attachments"][0]["url"]))
    longer = decode_video(await stack.emu.download(extended["attachments"][0]["url"]))
    assert longer["seconds"] >= original["seconds"] + 3.5
    assert "Extend" in text_of(extended) and "a red kite" in text_of(extended)

    # Reprompt: a modal pre-filled with the old prompt, then the new prompt's video.
    click = await stack.emu.click("alice", result["id"], buttons(result)["Reprompt"]["custom_id"])
    opened = await stack.emu.wait_for_interaction(click, lambda i: i.get("modal"), timeout=15)
    modal_text = str(opened["modal"])
    assert "a red kite" in modal_text
    await stack.emu.submit_modal("alice", click, {"prompt": "a blue kite at dusk"})
    reprompt = await _started_from(stack, job_id, "alice")
    _started_from.seen.add(reprompt.id)
    assert "a blue kite at dusk" in text_of(await stack.result_for(reprompt.id))

    # Reroll: the same request with a new seed.
    await stack.emu.click("alice", result["id"], buttons(result)["Reroll"]["custom_id"])
    reroll = await _started_from(stack, job_id, "alice")
    _started_from.seen.add(reroll.id)
    rerolled = await stack.result_for(reroll.id)
    assert "a red kite" in text_of(rerolled)
    assert "Seed: 11" not in text_of(rerolled)


async def test_only_the_owner_may_press_unless_the_server_allows_anyone(stack):
    job_id, result = await _make_video(stack)
    upscale = buttons(result)["Upscale"]["custom_id"]

    refusal = await stack.answer_of(await stack.emu.click("bob", result["id"], upscale))
    assert refusal["flags"] & 64
    assert "Only <@" in text_of(refusal) and "can use the buttons" in text_of(refusal)
    assert await stack.job_ids() == [job_id]

    # /admin is Manage Server only: Discord does not even let alice run it.
    with pytest.raises(EmulatorError) as hidden:
        await stack.slash("alice", "admin buttons", {"anyone": True})
    assert hidden.value.status == 403
    done = await stack.answer_of(await stack.slash("owner", "admin buttons", {"anyone": True}))
    assert "Anyone may now press" in text_of(done)

    await stack.emu.click("bob", result["id"], upscale)
    _started_from.seen.clear()
    job = await _started_from(stack, job_id, "bob")
    assert "· result" in text_of(await stack.result_for(job.id))
    _, quota = await stack.store()
    usage = {row.user_id: row.charged for row in await quota.usage_report(await stack.guild_id())}
    assert usage == {await stack.user_id("alice"): 1, await stack.user_id("bob"): 2}
