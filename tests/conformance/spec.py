"""Discord's OpenAPI spec (cached locally, never committed) and a JSON Schema validator on it.

The spec is the npm package ``discord-api-spec`` rebuilt into OpenAPI by ``get_spec.sh``
(``.cache/discord-api-spec/openapi.json``), or any ``openapi.json`` of
github.com/discord/discord-api-spec named by ``DISCORD_SPEC_PATH``. Schemas are Draft 2020-12;
``$ref``s point into ``components/schemas`` of the same document.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

REPO = Path(__file__).resolve().parents[2]
CACHED_SPEC = REPO / ".cache" / "discord-api-spec" / "openapi.json"
HOW_TO_GET = "run tests/conformance/get_spec.sh (npm install of discord-api-spec into .cache/)"


def spec_path() -> Path:
    """Return where the spec is looked for."""
    return Path(os.environ.get("DISCORD_SPEC_PATH") or CACHED_SPEC)


@dataclass(frozen=True)
class Finding:
    """One place where an emulator answer or a bot request does not match the spec."""

    where: str
    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.where} {self.pointer}: {self.message}"


class Spec:
    """Look up operation schemas of the spec and validate JSON against them."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._components = {"schemas": document["components"]["schemas"]}
        self._validators: dict[str, Draft202012Validator] = {}

    @classmethod
    def load(cls, path: Path) -> Spec:
        """Read a spec file."""
        return cls(json.loads(path.read_text()))

    @property
    def version(self) -> str:
        """Return the spec's version string."""
        return str(self.document.get("info", {}).get("version"))

    def operation(self, method: str, path_template: str) -> dict[str, Any] | None:
        """Return the operation of ``METHOD path`` or None when the spec has no such route."""
        return self.document["paths"].get(path_template, {}).get(method.lower())

    def response_schema(self, operation: dict[str, Any], status: int) -> dict[str, Any] | None:
        """Return the JSON schema of an answer, falling back to ``4XX``/``5XX``."""
        responses = operation.get("responses", {})
        entry = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
        if entry is None:
            raise KeyError(status)
        return _json_schema(entry)

    def request_schema(self, operation: dict[str, Any]) -> dict[str, Any] | None:
        """Return the JSON schema of the request body, if the operation has one."""
        body = operation.get("requestBody")
        return _json_schema(body) if body else None

    def component(self, name: str) -> dict[str, Any]:
        """Return ``{"$ref": ...}`` for a component schema."""
        if name not in self._components["schemas"]:
            raise KeyError(name)
        return {"$ref": f"#/components/schemas/{name}"}

    def validate(self, schema: dict[str, Any], instance: Any, where: str) -> list[Finding]:
        """Return every mismatch of ``instance`` against ``schema`` (best match per branch)."""
        key = json.dumps(schema, sort_keys=True)
        validator = self._validators.get(key)
        if validator is None:
            validator = Draft202012Validator({**schema, "components": self._components})
            self._validators[key] = validator
        return [
            Finding(where, "/" + "/".join(str(p) for p in error.absolute_path), _short(error))
            for error in validator.iter_errors(instance)
        ]


def _json_schema(entry: dict[str, Any]) -> dict[str, Any] | None:
    content = entry.get("content") or {}
    for kind in ("application/json", "multipart/form-data"):
        if kind in content and "schema" in content[kind]:
            return content[kind]["schema"]
    return None


def _short(error: Any) -> str:
    """Say what is wrong; for oneOf/anyOf, what the closest branch says."""
    if error.context:
        best = min(error.context, key=lambda e: len(list(e.absolute_path)) * -1)
        inner = "/".join(str(p) for p in best.absolute_path)
        return f"{best.message[:200]} (at {inner or '.'}, in one of {error.validator})"
    return error.message[:300]
