"""The operations the bot offers, one slash command each."""

from __future__ import annotations

from enum import StrEnum


class Operation(StrEnum):
    """Every Pika operation the bot offers."""

    GENERATE = "generate"
    PIKAFFECT = "pikaffect"
    INGREDIENTS = "ingredients"
    ADDITIONS = "additions"
    SWAP = "swap"
    REPROMPT = "reprompt"
    EDIT = "edit"
    INPAINT = "inpaint"
    OUTPAINT = "outpaint"
    EXTEND = "extend"
    UPSCALE = "upscale"
    LIPSYNC = "lipsync"
    KEYFRAMES = "keyframes"
    """Pikaframes: a video through 2 to 5 images, with a transition between each."""
