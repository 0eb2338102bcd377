"""A Chinese-speaking member and server get Chinese; an English-speaking member, English.

Private answers follow the member's own client language; a job's public messages (progress,
result, buttons) follow the server's language (/admin language, else its Discord locale). The
synced commands carry zh-CN names and descriptions for every command, option and choice.
"""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.helpers import buttons, footer, text_of
from tests.e2e.stack import Stack

# What may stay Latin in a Chinese message: product names, model names and sizes.
ALLOWED = {"Pika", "Turbo", "Pikaffect", "Pikascenes", "Pikaframes", "WebP", "JPEG", "QuickTime"}


def english_words(text: str) -> list[str]:
    """Latin words of 4+ letters, outside code spans, mentions, timestamps and links."""
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r"\(https?://[^)]*\)|https?://\S+", " ", text)
    return [word for word in re.findall(r"[A-Za-z]{4,}", text) if word not in ALLOWED]


def chinese(message: dict[str, Any]) -> str:
    text = text_of(message) + "\n" + "\n".join(buttons(message))
    assert re.search(r"[\u4e00-\u9fff]", text), text
    assert not english_words(text), (english_words(text), text)
    return text


def job_of(message: dict[str, Any]) -> int:
    for embed in message.get("embeds", []):
        found = re.search(r"#(\d+)", footer(embed))
        if found:
            return int(found.group(1))
    raise AssertionError(message)


async def _result(stack: Stack, job_id: int, marker: str) -> dict[str, Any]:
    def is_result(message: dict[str, Any]) -> bool:
        return any(footer(e).endswith(f"#{job_id} · {marker}") for e in message.get("embeds", []))

    return await stack.emu.wait_for_message("general", is_result, timeout=45)


async def test_chinese_member_and_server_get_chinese_and_english_stays_english(stack):
    await stack.emu.set_locale("alice", "zh-CN")
    await stack.emu.set_locale("owner", "zh-CN")

    # The server's staff choose Chinese for its public messages (answered in Chinese).
    said = await stack.answer_of(
        await stack.slash("owner", "admin language", {"language": "zh-CN"})
    )
    assert "简体中文" in chinese(said)

    # A bad input: refused privately, in Chinese.
    refusal = await stack.answer_of(await stack.slash("alice", "generate", {}))
    assert refusal["flags"] & 64 and "请给出" in chinese(refusal)
    # A value the Pika layer refuses: in Chinese, naming the option as alice's client shows it.
    invisible = await stack.answer_of(
        await stack.slash("alice", "generate", {"prompt": "一只猫", "negative_prompt": "\u200b"})
    )
    assert invisible["flags"] & 64 and "反向提示词 去掉不可见字符" in chinese(invisible)

    # /generate: progress, result and buttons in Chinese.
    progress = await stack.answer_of(
        await stack.slash("alice", "generate", {"prompt": "一只冲浪的猫", "seed": 7})
    )
    job_id = job_of(progress)
    chinese(progress)
    result = await _result(stack, job_id, "成品")
    text = chinese(result)
    assert "种子: 7" in text and "生成 · 已完成" in text, text
    assert set(buttons(result)) == {"延长", "超分", "改提示词", "重新生成"}
    final = await stack.emu.message(progress["id"])
    for state in [*final.get("edits", []), final]:
        if state.get("embeds"):
            chinese(state)

    # /quota, privately, in Chinese.
    quota = await stack.answer_of(await stack.slash("alice", "quota"))
    assert quota["flags"] & 64 and "还剩 **9 积分**" in chinese(quota)

    # A quota refusal in Chinese.
    alice = await stack.user_id("alice")
    await stack.answer_of(
        await stack.slash("owner", "admin allowance user", {"user": alice, "credits": 0})
    )
    refused = await stack.answer_of(
        await stack.slash("alice", "generate", {"prompt": "一只会飞的狗"})
    )
    assert refused["flags"] & 64 and "你只剩 0 积分" in chinese(refused)

    # bob's client speaks English: his private answers are English.
    bob_quota = await stack.answer_of(await stack.slash("bob", "quota"))
    assert "**10 credits** left of 10 this day" in text_of(bob_quota)
    bob_refusal = await stack.answer_of(await stack.slash("bob", "generate", {}))
    assert "Give a `prompt`, an `image` or a `video`" in text_of(bob_refusal)

    # Back to the server's own Discord language (English here): bob's video is in English.
    await stack.answer_of(await stack.slash("owner", "admin language", {"language": "default"}))
    english = await stack.answer_of(await stack.slash("bob", "generate", {"prompt": "a heron"}))
    english_id = job_of(english)
    done = await stack.result_for(english_id)
    assert "Generate · Done" in text_of(done)
    assert set(buttons(done)) == {"Extend", "Upscale", "Reprompt", "Reroll"}


async def test_a_chinese_server_locale_makes_public_messages_chinese(stack):
    await stack.emu.edit_guild(await stack.guild_id(), locale="zh-CN")
    # bob's client is English: his progress and result follow the server, in Chinese.
    progress = await stack.answer_of(await stack.slash("bob", "generate", {"prompt": "一只鹤"}))
    result = await _result(stack, job_of(progress), "成品")
    chinese(result)
    # ...while his private answer stays English.
    quota = await stack.answer_of(await stack.slash("bob", "quota"))
    assert "credits" in text_of(quota)


def _localized(item: dict[str, Any], path: str, problems: list[str]) -> None:
    if not (item.get("name_localizations") or {}).get("zh-CN"):
        problems.append(f"{path}: no zh-CN name")
    if "description" in item and not (item.get("description_localizations") or {}).get("zh-CN"):
        problems.append(f"{path}: no zh-CN description")
    for option in item.get("options") or []:
        _localized(option, f"{path} {option['name']}", problems)
    for choice in item.get("choices") or []:
        # A choice such as "16:9", "2.2" or "1080p" reads the same in every language.
        worded = re.search(r"[A-Za-z]{2,}", re.sub(r"\d+p\b", "", choice["name"]))
        if worded and not (choice.get("name_localizations") or {}).get("zh-CN"):
            problems.append(f"{path} choice {choice['name']}: no zh-CN name")


async def test_synced_commands_carry_chinese_names_and_descriptions(stack):
    synced = (await stack.emu.commands())["global"]
    assert synced
    problems: list[str] = []
    for command in synced:
        _localized(command, f"/{command['name']}", problems)
    assert not problems, problems
    by_name = {c["name"]: c for c in synced}
    assert by_name["generate"]["name_localizations"]["zh-CN"] == "生成"
    assert by_name["quota"]["description_localizations"]["zh-CN"].startswith("你的积分")
