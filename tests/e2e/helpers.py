"""Reading what a user sees in the emulator's messages."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any


def footer(embed: dict[str, Any]) -> str:
    return (embed.get("footer") or {}).get("text", "")


def job_id_of(message: dict[str, Any]) -> int:
    for embed in message.get("embeds", []):
        found = re.match(r"Pika job #(\d+)", footer(embed))
        if found:
            return int(found.group(1))
    raise AssertionError(f"no job id in {message}")


def field(message: dict[str, Any], name: str) -> str | None:
    for embed in message.get("embeds", []):
        for item in embed.get("fields", []):
            if item["name"] == name:
                return item["value"]
    return None


def percentages_shown(message: dict[str, Any]) -> list[int]:
    """Every progress percentage the message showed, in order, over all its edits."""
    seen = []
    for state in [*message.get("edits", []), message]:
        value = field(state, "Progress") or ""
        found = re.search(r"(\d+)%", value)
        if found and (not seen or seen[-1] != int(found.group(1))):
            seen.append(int(found.group(1)))
    return seen


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The message's buttons by label."""
    return {
        component.get("label"): component
        for row in message.get("components", [])
        for component in row.get("components", [])
    }


def text_of(message: dict[str, Any]) -> str:
    """All the words of a message: content, titles, descriptions, fields, footers."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds", []):
        parts += [embed.get("title") or "", embed.get("description") or "", footer(embed)]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


def result_counts(messages: list[dict[str, Any]]) -> Counter[str]:
    """How many times each job's result (or failure) was posted among ``messages``."""
    return Counter(
        footer(embed)
        for message in messages
        for embed in message.get("embeds", [])
        if footer(embed).endswith((" · result", " · failed"))
    )
