"""Turn slash command options into request fields, leaving out what the user did not set."""

from __future__ import annotations

from typing import Any


def drop_unset(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


def generation_options(
    *,
    base: dict[str, Any] | None = None,
    aspect_ratio: str | None = None,
    fps: int | None = None,
    motion: int | None = None,
    guidance: int | None = None,
    negative_prompt: str | None = None,
    seed: int | None = None,
    camera_zoom: str | None = None,
    camera_pan: str | None = None,
    camera_tilt: str | None = None,
    camera_rotate: str | None = None,
) -> dict[str, Any]:
    """Options for a request: an earlier job's options (if any) with the user's changes on top."""
    options = dict(base or {})
    options.update(
        drop_unset(
            aspect_ratio=aspect_ratio,
            frame_rate=fps,
            motion=motion,
            guidance=guidance,
            negative_prompt=negative_prompt,
            seed=seed,
        )
    )
    camera = dict(options.get("camera") or {})
    camera.update(
        drop_unset(zoom=camera_zoom, pan=camera_pan, tilt=camera_tilt, rotate=camera_rotate)
    )
    if camera:
        options["camera"] = camera
    return options
