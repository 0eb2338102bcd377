"""An async client of the emulator's control API, for tests and tools."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any
from urllib.parse import quote

import aiohttp

Predicate = Callable[[Any], bool]


class EmulatorError(RuntimeError):
    """The control API refused a request; ``status`` and ``body`` say why."""

    def __init__(self, status: int, body: Any, what: str) -> None:
        super().__init__(f"{what} -> {status}: {body}")
        self.status = status
        self.body = body


class EmulatorDriver:
    """Drive an emulator: act as users, inspect what the bot did, bend time and inject faults.

    Waits poll the control API every ``poll_interval`` seconds until a predicate holds.
    """

    def __init__(
        self,
        base_url: str,
        *,
        session: aiohttp.ClientSession | None = None,
        poll_interval: float = 0.02,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._own_session = session is None
        self.poll_interval = poll_interval

    async def __aenter__(self) -> EmulatorDriver:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session if the driver made it."""
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        url = f"{self.base_url}/_emulator{path}"
        query = {k: str(v) for k, v in params.items() if v is not None}
        async with self._http().request(method, url, json=body, params=query) as response:
            text = await response.text()
            data = json.loads(text) if text else None
            if response.status >= 400:
                raise EmulatorError(response.status, data, f"{method} {path}")
            return data

    # -- users act ----------------------------------------------------------------------

    async def slash(
        self,
        user: str | int,
        channel: str | int,
        command: str | dict[str, Any],
        options: dict[str, Any] | None = None,
        attachments: dict[str, Any] | None = None,
        *,
        locale: str | None = None,
        guild: str | int | None = None,
    ) -> str:
        """Run a slash command as ``user``; return the interaction id.

        ``command`` is ``"name"``, ``"name sub"``, ``"name group sub"`` or
        ``{name, group?, subcommand?}``. ``attachments`` maps an option name to
        ``{filename, content_type?, data_base64}`` or ``(filename, bytes)``. ``channel`` is a
        name (first guild first), ``"Guild name/channel"``, an id, or a name in ``guild``.
        """
        files = {name: _attachment(value) for name, value in (attachments or {}).items()}
        body = {
            "user": user,
            "channel": channel,
            "command": command,
            "options": options or {},
            "attachments": files,
            "locale": locale,
            "guild": guild,
        }
        return (await self._call("POST", "/slash", body))["interaction_id"]

    async def autocomplete(
        self,
        user: str | int,
        channel: str | int,
        command: str | dict[str, Any],
        options: dict[str, Any] | None,
        focused: str,
        *,
        timeout: float | None = None,
        locale: str | None = None,
        guild: str | int | None = None,
    ) -> list[dict[str, Any]]:
        """Type into option ``focused`` and return the choices the bot offered."""
        body: dict[str, Any] = {
            "user": user,
            "channel": channel,
            "command": command,
            "options": options or {},
            "focused": focused,
            "locale": locale,
            "guild": guild,
        }
        if timeout is not None:
            body["timeout"] = timeout
        return (await self._call("POST", "/autocomplete", body))["choices"]

    async def click(
        self,
        user: str | int,
        message_id: int | str,
        custom_id: str,
        values: list[str] | None = None,
    ) -> str:
        """Press a button (or pick select ``values``); return the interaction id."""
        body = {
            "user": user,
            "message_id": str(message_id),
            "custom_id": custom_id,
            "values": values,
        }
        return (await self._call("POST", "/click", body))["interaction_id"]

    async def submit_modal(
        self, user: str | int, interaction_id: int | str, values: dict[str, Any]
    ) -> str:
        """Submit the modal ``interaction_id`` opened; return the new interaction id."""
        body = {"user": user, "interaction_id": str(interaction_id), "values": values}
        return (await self._call("POST", "/modal", body))["interaction_id"]

    async def say(
        self,
        user: str | int,
        channel: str | int,
        content: str,
        *,
        reply_to: int | None = None,
        guild: str | int | None = None,
    ) -> dict[str, Any]:
        """Post a plain message as ``user``."""
        body = {
            "user": user,
            "channel": channel,
            "content": content,
            "reply_to": reply_to,
            "guild": guild,
        }
        return await self._call("POST", "/messages", body)

    # -- inspect ------------------------------------------------------------------------

    async def interaction(self, interaction_id: int | str) -> dict[str, Any]:
        """Return an interaction's state: ack, response type, modal, messages, errors."""
        return await self._call("GET", f"/interactions/{interaction_id}")

    async def messages(
        self, channel: str | int, *, guild: str | int | None = None
    ) -> list[dict[str, Any]]:
        """Return every message of a channel, oldest first (ephemeral ones too).

        ``channel`` may be ``"Guild name/channel"``: the guild part travels as ``?guild=``
        because a slash cannot be part of a path segment.
        """
        name = str(channel)
        if "/" in name and guild is None:
            guild, _, name = name.rpartition("/")
        return await self._call("GET", f"/channels/{quote(name, safe='')}/messages", guild=guild)

    async def message(self, message_id: int | str) -> dict[str, Any]:
        """Return one message with its edit history."""
        return await self._call("GET", f"/messages/{message_id}")

    async def commands(self) -> dict[str, Any]:
        """Return the synced commands: ``{"global": [...], "guilds": {id: [...]}}``."""
        return await self._call("GET", "/commands")

    async def requests(
        self, *, since: int | None = None, route: str | None = None
    ) -> list[dict[str, Any]]:
        """Return logged REST requests (``since`` a sequence number, ``route`` a substring)."""
        return await self._call("GET", "/requests", since=since, route=route)

    async def world(self) -> dict[str, Any]:
        """Return users, guilds, roles and channels."""
        return await self._call("GET", "/world")

    async def gateway(self) -> dict[str, Any]:
        """Return gateway sessions and connections."""
        return await self._call("GET", "/gateway")

    async def download(self, url: str) -> bytes:
        """Fetch bytes from a URL (an attachment's CDN address)."""
        async with self._http().get(url) as response:
            if response.status != 200:
                raise EmulatorError(response.status, await response.text(), f"GET {url}")
            return await response.read()

    # -- waits --------------------------------------------------------------------------

    async def wait_for(
        self,
        fetch: Callable[[], Any],
        predicate: Predicate,
        *,
        timeout: float = 5.0,
        what: str = "condition",
    ) -> Any:
        """Poll ``fetch()`` until ``predicate(result)`` holds; raise with the last state."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while True:
            last = await fetch()
            if predicate(last):
                return last
            if time.monotonic() >= deadline:
                shown = json.dumps(last, indent=1, default=str)
                raise TimeoutError(f"{what} not met within {timeout}s; last state:\n{shown[:4000]}")
            await asyncio.sleep(self.poll_interval)

    async def wait_for_message(
        self,
        channel: str | int,
        predicate: Predicate = lambda m: True,
        *,
        timeout: float = 5.0,
        guild: str | int | None = None,
    ) -> dict[str, Any]:
        """Wait until a message of ``channel`` satisfies ``predicate``; return it."""
        found: list[dict[str, Any]] = []

        def check(messages: list[dict[str, Any]]) -> bool:
            found[:] = [m for m in messages if predicate(m)]
            return bool(found)

        await self.wait_for(
            lambda: self.messages(channel, guild=guild),
            check,
            timeout=timeout,
            what=f"a matching message in {channel}",
        )
        return found[-1]

    async def wait_for_interaction(
        self,
        interaction_id: int | str,
        predicate: Predicate = lambda i: bool(i["acknowledged"]),
        *,
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """Wait until the interaction satisfies ``predicate`` (default: acknowledged)."""
        return await self.wait_for(
            lambda: self.interaction(interaction_id),
            predicate,
            timeout=timeout,
            what=f"interaction {interaction_id}",
        )

    async def wait_for_gateway(
        self,
        predicate: Predicate,
        *,
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        """Wait until the gateway summary satisfies ``predicate``."""
        return await self.wait_for(self.gateway, predicate, timeout=timeout, what="gateway state")

    # -- bend the world -----------------------------------------------------------------

    async def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move the emulator's clock forward."""
        return await self._call("POST", "/clock", {"advance_seconds": seconds})

    async def fault(
        self,
        route: str,
        status: int,
        *,
        count: int = 1,
        retry_after: float | None = None,
        message: str | None = None,
        code: int | None = None,
        is_global: bool = False,
    ) -> dict[str, Any]:
        """Make the next ``count`` requests matching ``route`` answer ``status``."""
        body: dict[str, Any] = {"route": route, "status": status, "count": count}
        if retry_after is not None:
            body["retry_after"] = retry_after
        if message is not None:
            body["message"] = message
        if code is not None:
            body["code"] = code
        if is_global:
            body["global"] = True
        return await self._call("POST", "/faults", body)

    async def configure(self, **settings: Any) -> dict[str, Any]:
        """Change run-time limits, e.g. ``attachment_size_limit=1_000_000``."""
        return await self._call("PATCH", "/config", settings)

    async def add_user(self, username: str, **fields: Any) -> dict[str, Any]:
        """Create a user (member of the first guild unless ``guild=None``)."""
        return await self._call("POST", "/world/users", {"username": username, **fields})

    async def add_role(self, name: str, **fields: Any) -> dict[str, Any]:
        """Create a role (``permissions``, ``members``, ``guild``)."""
        return await self._call("POST", "/world/roles", {"name": name, **fields})

    async def add_channel(self, name: str, **fields: Any) -> dict[str, Any]:
        """Create a channel (``guild``, ``type``)."""
        return await self._call("POST", "/world/channels", {"name": name, **fields})

    async def add_guild(
        self,
        name: str,
        owner: str | int,
        *,
        members: list[str | int] | None = None,
        shard: tuple[int, int] | None = None,
        install: bool = True,
        channels: list[str] | None = None,
    ) -> dict[str, Any]:
        """Create a server; ``shard=(id, count)`` puts its id on that shard, ``install=False``
        leaves the bot out of it (for user-installed apps)."""
        body: dict[str, Any] = {"name": name, "owner": owner, "members": members or []}
        if shard is not None:
            body["shard"] = list(shard)
        if not install:
            body["install"] = False
        if channels:
            body["channels"] = channels
        return await self._call("POST", "/world/guilds", body)

    async def edit_guild(self, guild: str | int, **fields: Any) -> dict[str, Any]:
        """Change a server (``locale``, ``attachment_size_limit``, ``name``, ...)."""
        return await self._call("PATCH", f"/world/guilds/{quote(str(guild), safe='')}", fields)

    async def edit_user(self, user: str | int, **fields: Any) -> dict[str, Any]:
        """Change a user (``locale``, ``app_installed``, ``global_name``)."""
        return await self._call("PATCH", f"/world/users/{quote(str(user), safe='')}", fields)

    async def set_locale(self, user: str | int, locale: str) -> dict[str, Any]:
        """Set the language of a user's client, e.g. ``"zh-CN"`` (interactions' ``locale``)."""
        return await self.edit_user(user, locale=locale)

    async def install_app(self, user: str | int, installed: bool = True) -> dict[str, Any]:
        """Add the app to (or remove it from) a user's account: a user install."""
        return await self.edit_user(user, app_installed=installed)

    async def open_dm(self, user: str | int) -> dict[str, Any]:
        """Open ``user``'s DM with the bot; the result has ``id`` and ``ref`` (``"@user"``)."""
        return await self._call("POST", "/dms", {"user": user})

    async def open_private_channel(
        self, user: str | int, *others: str | int, name: str | None = None
    ) -> dict[str, Any]:
        """Open a DM (one other) or group DM (more) between users; the bot is not in it."""
        return await self._call("POST", "/dms", {"user": user, "with": list(others), "name": name})

    async def slash_in_dm(
        self,
        user: str | int,
        command: str | dict[str, Any],
        options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> str:
        """Run a command in ``user``'s DM with the bot (interaction context 1)."""
        return await self.slash(user, f"@{user}", command, options, **kwargs)

    async def dm_messages(self, user: str | int) -> list[dict[str, Any]]:
        """Return the messages of ``user``'s DM with the bot, oldest first."""
        return await self.messages(f"@{user}")

    async def edit_member(self, user: str | int, **fields: Any) -> dict[str, Any]:
        """Change a member (``add_roles``, ``remove_roles``, ``nick``, ``guild``)."""
        return await self._call("POST", "/world/members", {"user": user, **fields})

    async def drop_gateway(self, mode: str = "close", code: int = 4000) -> int:
        """Break the bot's gateway connections; return how many."""
        return (await self._call("POST", "/gateway/drop", {"mode": mode, "code": code}))["dropped"]

    async def hold_gateway(self, hold: bool = True) -> None:
        """Keep new gateway connections waiting (True) or let them in (False)."""
        await self._call("POST", "/gateway/hold", {"hold": hold})

    async def invalidate_sessions(self) -> int:
        """Invalidate every gateway session; the bot has to IDENTIFY again."""
        return (await self._call("POST", "/gateway/invalidate", {}))["invalidated"]

    async def record(self, on: bool = True) -> None:
        """Start or stop recording request/answer bodies and gateway dispatches."""
        await self._call("POST", "/recording", {"on": on})

    async def recording(self) -> list[dict[str, Any]]:
        """Return the recorded traffic (``kind`` "rest" or "gateway"), oldest first."""
        return (await self._call("GET", "/recording"))["traffic"]

    async def reset(self, *, commands: bool = False) -> None:
        """Forget messages, interactions, requests, faults and the clock offset."""
        await self._call("POST", "/reset", {"commands": commands})


def _attachment(value: Any) -> dict[str, Any]:
    if isinstance(value, tuple):
        filename, data = value[0], value[1]
        result = {"filename": filename, "data_base64": base64.b64encode(data).decode()}
        if len(value) > 2:
            result["content_type"] = value[2]
        return result
    return dict(value)
