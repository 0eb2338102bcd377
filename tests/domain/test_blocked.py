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
        "a g\u043er\u0443 scene",  # Cyrillic o and u, drawn as Latin o and y
        "a g\u03bfry scene",  # Greek omicron
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


def test_look_alike_letters_read_as_latin_but_digits_and_other_words_stay() -> None:
    assert find_blocked(["a g0ry scene"], ["gory"]) is None  # a digit is not a letter
    assert find_blocked(["\u0441\u0443\u043a\u0430"], ["\u0441\u0443\u043a\u0430"]) is not None
    assert find_blocked(["a glory scene"], ["gory"]) is None
    assert normalize("\u0420\u0430ris") == "paris"  # Cyrillic Er and a
