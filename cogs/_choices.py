"""Choices shared by several commands, taken from the request models so they cannot drift."""

from __future__ import annotations

from discord import app_commands

from bot.pika.capabilities import CLASSIC_RATIOS
from bot.pika.requests import AspectRatio, IngredientsMode, Model, Pikaffect, Style


def _choices(values: list[str]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=value, value=value) for value in values]


MODELS = _choices([m.value for m in Model if m is not Model.TURBO])
INGREDIENT_MODELS = _choices(["2.0", "2.1", "2.2"])
ASPECT_RATIOS = _choices([a.value for a in AspectRatio if a.value in CLASSIC_RATIOS])
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


# The generation options /generate and /edit share: their help texts and their choices.
GENERATION_HELP = {
    "aspect_ratio": "Shape of the video",
    "fps": "Frames per second, 1 to 24",
    "motion": "Strength of motion, 1 to 4",
    "guidance": "How closely to follow the prompt, 5 to 25",
    "negative_prompt": "What the video should not show",
    "seed": "Seed for a repeatable result",
    "camera_zoom": "Zoom the camera",
    "camera_pan": "Pan the camera",
    "camera_tilt": "Tilt the camera",
    "camera_rotate": "Rotate the camera",
}
GENERATION_CHOICES = {
    "aspect_ratio": ASPECT_RATIOS,
    "camera_zoom": ZOOM,
    "camera_pan": PAN,
    "camera_tilt": TILT,
    "camera_rotate": ROTATE,
    "style": STYLES,
}
