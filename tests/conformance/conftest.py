"""The spec fixture: skip (or, under CI, fail) when Discord's OpenAPI spec is not cached."""

from __future__ import annotations

import os

import pytest

from tests.conformance.spec import HOW_TO_GET, Spec, spec_path


@pytest.fixture(scope="session")
def spec() -> Spec:
    """Return Discord's OpenAPI spec, loaded once per run."""
    path = spec_path()
    if not path.exists():
        message = f"Discord's OpenAPI spec is not at {path}: {HOW_TO_GET}"
        if os.environ.get("DISCORD_SPEC_REQUIRE"):
            pytest.fail(message)
        pytest.skip(message)
    return Spec.load(path)


# The emulator fixtures of tests/emulator (an emulator in this loop, its driver).
from tests.emulator.conftest import driver, emulator  # noqa: E402, F401
