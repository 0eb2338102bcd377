"""Blocked words match what a moderator means, whatever tricks the writing plays."""

from __future__ import annotations

import pytest

from bot.domain.blocked import find_blocked, normalize


@pytest.mark.parametrize(
    "text",
    [
        "a gory scene",
        "a GORY scene",
        "a g\u200bory scene",  # zero-width space
        "a g\u00adory scene",  # soft hyphen
        "a \uff47\uff4f\uff52\uff59 scene",  # full-width letters
        "gory!",
    ],
)
def test_a_blocked_word_is_found_however_it_is_written(text: str) -> None:
    assert find_blocked([text], ["Gory"]) == "gory"


def test_only_whole_words_and_phrases_match() -> None:
    assert find_blocked(["a classic car"], ["ass"]) is None
    assert find_blocked(["blood  bath time"], ["blood bath"]) == "blood bath"
    assert find_blocked(["bloodbath"], ["blood bath"]) is None


def test_words_of_unspaced_scripts_match_inside_text() -> None:
    assert find_blocked(["一个血腥的场景"], ["血腥"]) == "血腥"
    assert find_blocked(["一个温馨的场景"], ["血腥"]) is None


def test_every_text_is_checked_and_an_empty_list_blocks_nothing() -> None:
    assert find_blocked(["a cat", "negative: gore"], ["gore"]) == "gore"
    assert find_blocked(["anything"], []) is None
    assert normalize("  A\u200d B  ") == "a b"
