"""A server's blocked words: matched the way a moderator means them, not byte for byte.

Both the word list and the text are brought to one form first: Unicode NFKC (full-width
letters, ligatures and other compatibility look-alikes become their plain letters), case
folded, with invisible format characters (zero-width spaces and joiners, soft hyphens, bidi
marks) removed and whitespace runs made one space, and letters of other scripts drawn like a
Latin letter (Cyrillic a U+0430, Greek omicron U+03BF; Unicode's confusables, read through
``confusable_homoglyphs``) taken as that letter. A word or phrase then matches as a whole
word (``ass`` does not block ``class``); a phrase in a script written without spaces (Chinese,
Japanese, Thai...) matches anywhere, as words there have no spaces around them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from confusable_homoglyphs import confusables

MAX_WORDS = 200
MAX_WORD_LENGTH = 100
_SPACE = re.compile(r"\s+")


class BlockedWordsFull(Exception):
    """The server already blocks ``MAX_WORDS`` words."""


def normalize(text: str) -> str:
    """The form both the blocked words and the checked text are compared in."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    visible = "".join(_as_latin(ch) for ch in folded if unicodedata.category(ch) != "Cf")
    return _SPACE.sub(" ", visible).strip()


@lru_cache(maxsize=4096)
def _as_latin(ch: str) -> str:
    """The Latin letter ``ch`` is drawn like, if it is a letter of another script; else ``ch``.

    Only letters of other scripts: digits and punctuation (COMMON) stay, so "0" is not "o".
    Both the word list and the text go through this, so a word in Cyrillic still matches
    Cyrillic text.
    """
    if ch.isascii() or not ch.isalpha():
        return ch
    found = confusables.is_confusable(ch, greedy=True, preferred_aliases=["latin"])
    for entry in found or ():
        if entry["alias"] in ("LATIN", "COMMON"):
            continue
        for glyph in entry["homoglyphs"]:
            latin: str = glyph["c"]
            if len(latin) == 1 and latin.isascii() and latin.isalpha():
                return latin.lower()
    return ch


def _unspaced(ch: str) -> bool:
    """Letters of scripts written without spaces between words."""
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK ", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "HANGUL"))


def _pattern(word: str) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(part) for part in word.split(" "))
    start = "" if _unspaced(word[0]) else r"(?<!\w)"
    end = "" if _unspaced(word[-1]) else r"(?!\w)"
    return re.compile(start + body + end)


def find_blocked(texts: Iterable[str], words: Iterable[str]) -> str | None:
    """The first blocked word (normalized) that any of ``texts`` contains, else None."""
    patterns = [(word, _pattern(word)) for word in {normalize(w) for w in words} if word]
    if not patterns:
        return None
    for text in texts:
        seen = normalize(text)
        for word, pattern in patterns:
            if pattern.search(seen):
                return word
    return None
