"""A member's own defaults, set with /settings and used where a command leaves an option out."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

UNSET: Any = object()
"""Leave a setting as it is (None clears it back to the bot's default)."""


@dataclass(frozen=True)
class MemberDefaults:
    model: str | None = None
    aspect_ratio: str | None = None
    motion: int | None = None
    frame_rate: int | None = None
    negative_prompt: str | None = None
    private_results: bool = False

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(field.name for field in fields(cls))

    def options_base(self) -> dict[str, Any]:
        """The generation options these defaults set, for a command to put its own on top."""
        base = {
            "aspect_ratio": self.aspect_ratio,
            "motion": self.motion,
            "frame_rate": self.frame_rate,
            "negative_prompt": self.negative_prompt,
        }
        return {name: value for name, value in base.items() if value is not None}

    @property
    def empty(self) -> bool:
        return self == MemberDefaults()
