"""Check a recorded run: every REST answer and request body, and the gateway's objects."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tests.conformance.spec import Finding, Spec

ALLOWLIST = Path(__file__).with_name("allowlist.txt")
# Gateway events and the component schemas of the objects in them.
_GATEWAY_OBJECTS: dict[str, list[tuple[str, str]]] = {
    "READY": [("user", "UserPIIResponse")],
    "GUILD_CREATE": [
        ("", "GuildResponse"),
        ("members/*", "GuildMemberResponse"),
        ("channels/*", "GuildChannelResponse"),
        ("roles/*", "GuildRoleResponse"),
    ],
    "GUILD_MEMBER_ADD": [("", "GuildMemberResponse")],
    "GUILD_MEMBER_UPDATE": [("", "GuildMemberResponse")],
    "GUILD_ROLE_CREATE": [("role", "GuildRoleResponse")],
    "CHANNEL_CREATE": [("", "GuildChannelResponse")],
    "INTERACTION_CREATE": [
        ("member", "GuildMemberResponse"),
        ("user", "UserResponse"),
        ("message", "MessageResponse"),
    ],
    "MESSAGE_CREATE": [("", "MessageResponse")],
    "MESSAGE_UPDATE": [("", "MessageResponse")],
}


def spec_route(entry: dict[str, Any]) -> str | None:
    """Return the spec's path template for a recorded request."""
    route = entry.get("route")
    if route and route.endswith("/messages/{message_id}") and entry["path"].endswith("/@original"):
        return route.removesuffix("{message_id}") + "@original"
    return route


def check_traffic(spec: Spec, traffic: Iterable[dict[str, Any]]) -> list[Finding]:
    """Return every mismatch in a recording, unsorted, duplicates kept once."""
    findings: dict[str, Finding] = {}
    for entry in traffic:
        found = _check_rest(spec, entry) if entry["kind"] == "rest" else _check_event(spec, entry)
        for finding in found:
            findings.setdefault(str(finding), finding)
    return list(findings.values())


def _check_rest(spec: Spec, entry: dict[str, Any]) -> list[Finding]:
    route = spec_route(entry)
    if route is None or route.startswith("/cdn/"):
        return []
    method = entry["method"]
    operation = spec.operation(method, route)
    where = f"{method} {route}"
    if operation is None:
        return [Finding(where, "", "route not in the spec")]
    found: list[Finding] = []
    request_schema = spec.request_schema(operation)
    if request_schema is not None and entry.get("request") is not None and entry["status"] < 500:
        found += spec.validate(request_schema, entry["request"], f"{where} request (the bot)")
    try:
        schema = spec.response_schema(operation, entry["status"])
    except KeyError:
        return [*found, Finding(where, "", f"status {entry['status']} not in the spec")]
    if entry.get("response") is not None:
        if schema is None:
            found.append(Finding(f"{where} {entry['status']}", "", "spec has no JSON body here"))
        else:
            found += spec.validate(schema, entry["response"], f"{where} {entry['status']}")
    return found


def _check_event(spec: Spec, entry: dict[str, Any]) -> list[Finding]:
    found: list[Finding] = []
    for pointer, schema_name in _GATEWAY_OBJECTS.get(entry["event"], []):
        for at, value in _select(entry["data"], pointer):
            where = f"gateway {entry['event']} {schema_name}"
            found += [
                Finding(where, at + f.pointer.rstrip("/"), f.message)
                for f in spec.validate(spec.component(schema_name), value, where)
            ]
    return found


def _select(data: Any, pointer: str) -> list[tuple[str, Any]]:
    if not pointer:
        return [("", data)]
    head, _, rest = pointer.partition("/")
    if head == "*":
        items = list(enumerate(data)) if isinstance(data, list) else []
    elif isinstance(data, dict) and head in data:
        items = [(head, data[head])]
    else:
        items = []
    found = []
    for key, value in items:
        for at, inner in _select(value, rest):
            found.append((f"/{key}{at}", inner))
    return found


def load_allowlist(path: Path = ALLOWLIST) -> list[tuple[str, str]]:
    """Return (pattern, reason) pairs: ``pattern  # reason`` per line, fnmatch on a finding."""
    entries = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        pattern, _, reason = line.partition("  # ")
        if not reason.strip():
            raise ValueError(f"allowlist entry without a reason: {line!r}")
        entries.append((pattern.strip(), reason.strip()))
    return entries


def not_allowed(findings: list[Finding], allowlist: list[tuple[str, str]]) -> list[Finding]:
    """Return the findings no allowlist pattern covers."""
    return [f for f in findings if not any(fnmatch.fnmatchcase(str(f), p) for p, _ in allowlist)]
