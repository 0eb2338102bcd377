"""What a member's text becomes before it is stored or sent: visible characters, in NFC.

Discord lets members paste anything into an option or a modal, including control characters,
zero-width spaces and bidirectional overrides that render as nothing (or reorder what is shown).
Pika then gets garbage, and a prompt made only of such characters would be billed as a video
of nothing. Zero-width joiners and non-joiners are kept inside text: emoji sequences and
scripts such as Persian need them; they still count as invisible when deciding emptiness.
"""

from __future__ import annotations

import unicodedata

# Invisible characters that carry no meaning in a prompt, only tricks: zero-width space, word
# joiner, BOM, Mongolian vowel separator, and the bidirectional embeddings/overrides/isolates.
_INVISIBLE = frozenset(
    "\u200b\u2060\ufeff\u180e\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_KEPT_CONTROLS = frozenset("\n")


def clean_text(value: str) -> str:
    """Return ``value`` in NFC without control or invisible characters, trimmed.

    Tabs and other whitespace controls become spaces; line breaks are kept (a prompt may have
    several lines); every other control character and zero-width trick is dropped.
    """
    kept: list[str] = []
    for character in unicodedata.normalize("NFC", value.replace("\r\n", "\n")):
        if character in _INVISIBLE:
            continue
        if unicodedata.category(character) == "Cc" and character not in _KEPT_CONTROLS:
            if character.isspace():
                kept.append(" ")
            continue
        kept.append(character)
    return "".join(kept).strip()


def has_visible_text(value: str) -> bool:
    """Whether anything would show once control, format (zero-width) and space characters go."""
    return any(
        not character.isspace() and unicodedata.category(character) not in ("Cc", "Cf")
        for character in value
    )
