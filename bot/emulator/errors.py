"""Discord's error answers, raised anywhere in the emulator and rendered by one middleware."""

from __future__ import annotations

from typing import Any


class DiscordError(Exception):
    """An answer Discord would give instead of success: HTTP status plus its JSON body."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """Return the JSON body Discord sends for this error."""
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def not_found() -> DiscordError:
    """Return the answer for a route Discord does not have."""
    return DiscordError(404, 0, "404: Not Found")


def unauthorized() -> DiscordError:
    """Return the answer for a missing or wrong bot token."""
    return DiscordError(401, 0, "401: Unauthorized")


def unknown_interaction() -> DiscordError:
    """Return the answer for a callback after the deadline or for an unknown interaction."""
    return DiscordError(404, 10062, "Unknown interaction")


def already_acknowledged() -> DiscordError:
    """Return the answer for a second interaction callback."""
    return DiscordError(400, 40060, "Interaction has already been acknowledged.")


def invalid_webhook_token() -> DiscordError:
    """Return the answer for an interaction token older than its lifetime."""
    return DiscordError(401, 50027, "Invalid Webhook Token")


def unknown_webhook() -> DiscordError:
    """Return the answer for a webhook id/token pair that does not exist."""
    return DiscordError(404, 10015, "Unknown Webhook")


def unknown_message() -> DiscordError:
    """Return the answer for a message id that does not exist (here)."""
    return DiscordError(404, 10008, "Unknown Message")


def unknown_channel() -> DiscordError:
    """Return the answer for a channel id that does not exist."""
    return DiscordError(404, 10003, "Unknown Channel")


def unknown_guild() -> DiscordError:
    """Return the answer for a guild id that does not exist."""
    return DiscordError(404, 10004, "Unknown Guild")


def too_large() -> DiscordError:
    """Return the answer for a file over the upload limit or a body over the request limit."""
    return DiscordError(413, 40005, "Request entity too large")


def empty_message() -> DiscordError:
    """Return the answer for a message with nothing in it."""
    return DiscordError(400, 50006, "Cannot send an empty message")


def cannot_edit_foreign() -> DiscordError:
    """Return the answer for editing a message somebody else wrote."""
    return DiscordError(403, 50005, "Cannot edit a message authored by another user")


class FormErrors:
    """Collect field errors at nested paths and raise them in Discord's shape."""

    def __init__(self) -> None:
        self._tree: dict[str, Any] = {}
        self.count = 0

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        """Record one error for the field at ``path`` (e.g. ``("embeds", 0, "title")``)."""
        node = self._tree
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
        self.count += 1

    def check_length(self, path: tuple[str | int, ...], value: Any, low: int, high: int) -> None:
        """Record a BASE_TYPE_BAD_LENGTH error unless ``low <= len(value) <= high``."""
        if value is None:
            return
        length = len(value) if isinstance(value, str | list | dict) else len(str(value))
        if not low <= length <= high:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def nest(self, prefix: tuple[str | int, ...], other: FormErrors) -> None:
        """Merge another collection's errors under ``prefix``."""
        if not other.count:
            return
        node = self._tree
        for part in prefix:
            node = node.setdefault(str(part), {})
        _merge(node, other._tree)
        self.count += other.count

    def raise_if_any(self) -> None:
        """Raise Discord's 50035 Invalid Form Body if any error was recorded."""
        if self.count:
            raise DiscordError(400, 50035, "Invalid Form Body", errors=self._tree)


def _merge(into: dict[str, Any], other: dict[str, Any]) -> None:
    for key, value in other.items():
        if key == "_errors":
            into.setdefault("_errors", []).extend(value)
        else:
            _merge(into.setdefault(key, {}), value)
