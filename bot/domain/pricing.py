"""What a video costs relative to its operation's base cost: bigger and longer cost more.

A server sets (or keeps) one cost per operation, for a 720p clip of 5 seconds. Pika's own
prices (as resold through ComfyUI's proxy, see PIKA_OFFICIAL.md section 3) grow with the
resolution and the length, faster for some operations than others; the multipliers below are
those price ratios, and a job's cost is its operation's cost times its multiplier, rounded up.
"""

from __future__ import annotations

import math

from bot.domain.operations import Operation

# (1080p?, 10 s?) -> price relative to 720p / 5 s.
_GENERATE = {(False, False): 1.0, (True, False): 2.25, (False, True): 3.0, (True, True): 5.0}
_SCENES = {(False, False): 1.0, (True, False): 1.67, (False, True): 1.33, (True, True): 5.0}
_FRAMES = {(False, False): 1.0, (True, False): 1.5, (False, True): 1.25, (True, True): 5.0}
_TABLES = {
    Operation.GENERATE: _GENERATE,
    Operation.INGREDIENTS: _SCENES,
    Operation.KEYFRAMES: _FRAMES,
}


def cost_multiplier(operation: Operation, resolution: str | None, seconds: int | None) -> float:
    """How many times its operation's cost a video of this size and length costs.

    ``resolution`` None or "720p" and ``seconds`` None or up to 5 are the base; keyframe
    videos longer than 10 seconds (fal allows 25) cost per started 10 seconds.
    """
    table = _TABLES.get(operation)
    if table is None:
        return 1.0
    hd = resolution == "1080p"
    long = seconds is not None and seconds > 5
    multiplier = table[(hd, long)]
    if operation is Operation.KEYFRAMES and seconds is not None and seconds > 10:
        multiplier *= math.ceil(seconds / 10)
    return multiplier


def credits_for(base: int, multiplier: float) -> int:
    """The credits a job holds: its base cost times its multiplier, rounded up."""
    return math.ceil(base * multiplier - 1e-9)
