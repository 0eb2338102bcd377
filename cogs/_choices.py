"""Choices shared by several commands, taken from the request models so they cannot drift."""

from __future__ import annotations

from discord import app_commands

from bot.pika.capabilities import CLASSIC_RATIOS
from bot.pika.requests import AspectRatio, IngredientsMode, Model, Pikaffect, Style
from bot.ui.command_text import L, slug


def _choices(values: list[str]) -> list[app_commands.Choice[str]]:
    """Choices that read the same in every language (models, aspect ratios)."""
    return [app_commands.Choice(name=value, value=value) for value in values]


def named_choices(kind: str, values: list[str]) -> list[app_commands.Choice[str]]:
    """Choices whose names are words: ``choice.<kind>.<value>`` in the catalogs."""
    return [app_commands.Choice(name=L(f"choice.{kind}.{slug(v)}"), value=v) for v in values]


MODELS = _choices([m.value for m in Model if m is not Model.TURBO])
INGREDIENT_MODELS = _choices(["2.0", "2.1", "2.2"])
ASPECT_RATIOS = _choices([a.value for a in AspectRatio if a.value in CLASSIC_RATIOS])
PIKAFFECTS = named_choices("effect", [p.value for p in Pikaffect])
STYLES = named_choices("style", [s.value for s in Style])
INGREDIENT_MODES = named_choices("mode", [m.value for m in IngredientsMode])
ZOOM = named_choices("zoom", ["in", "out"])
PAN = named_choices("pan", ["left", "right"])
TILT = named_choices("tilt", ["up", "down"])
ROTATE = named_choices("rotate", ["cw", "ccw"])


# The generation options /generate and /edit share: their help texts and their choices.
GENERATION_HELP = {
    "aspect_ratio": L("opt.aspect_ratio"),
    "fps": L("opt.fps"),
    "motion": L("opt.motion"),
    "guidance": L("opt.guidance"),
    "negative_prompt": L("opt.negative_prompt"),
    "seed": L("opt.seed"),
    "camera_zoom": L("opt.camera_zoom"),
    "camera_pan": L("opt.camera_pan"),
    "camera_tilt": L("opt.camera_tilt"),
    "camera_rotate": L("opt.camera_rotate"),
}
GENERATION_CHOICES = {
    "aspect_ratio": ASPECT_RATIOS,
    "camera_zoom": ZOOM,
    "camera_pan": PAN,
    "camera_tilt": TILT,
    "camera_rotate": ROTATE,
    "style": STYLES,
}


INGREDIENT_HELP = {
    "prompt": L("opt.ingredients.prompt"),
    "image1": L("opt.ingredients.image1"),
    "image2": L("opt.ingredients.image2"),
    "image3": L("opt.ingredients.image3"),
    "image4": L("opt.ingredients.image4"),
    "image5": L("opt.ingredients.image5"),
    "mode": L("opt.mode"),
}
"""The descriptions of /ingredients' options that every provider's version shares."""
