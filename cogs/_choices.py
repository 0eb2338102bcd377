"""Choices shared by several commands, taken from the request models so they cannot drift."""

from __future__ import annotations

from discord import app_commands

from bot.pika.requests import AspectRatio, IngredientsMode, Model, Pikaffect, Style


def _choices(values: list[str]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=value, value=value) for value in values]


MODELS = _choices([m.value for m in Model if m is not Model.TURBO])
INGREDIENT_MODELS = _choices(["2.0", "2.1", "2.2"])
ASPECT_RATIOS = _choices([a.value for a in AspectRatio])
PIKAFFECTS = _choices([p.value for p in Pikaffect])
STYLES = _choices([s.value for s in Style])
INGREDIENT_MODES = _choices([m.value for m in IngredientsMode])
ZOOM = _choices(["in", "out"])
PAN = _choices(["left", "right"])
TILT = _choices(["up", "down"])
ROTATE = [
    app_commands.Choice(name="clockwise", value="cw"),
    app_commands.Choice(name="counter-clockwise", value="ccw"),
]
