"""Parse form bodies (``multipart/form-data`` and urlencoded) from bytes already read.

The simulator reads every body once, to record it, before any handler runs; aiohttp's own
multipart reader wants the unread stream, so bodies are parsed here from the bytes instead.
The parser follows RFC 7578 as Starlette (the server behind FastAPI) applies it: a part with
a ``filename`` parameter is a file, any other part is a text field.
"""

from __future__ import annotations

import email.message
import email.utils
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl


class FormError(ValueError):
    """The body claims to be a form but cannot be parsed as one."""


@dataclass(frozen=True)
class FilePart:
    """One uploaded file."""

    name: str
    filename: str
    content_type: str | None
    data: bytes

    def describe(self) -> dict[str, Any]:
        """Return what the request log keeps of the file: everything but its bytes."""
        return {
            "name": self.name,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": len(self.data),
        }


@dataclass(frozen=True)
class FormBody:
    """A parsed form: text fields and file parts, each in the order sent."""

    fields: list[tuple[str, str]] = field(default_factory=list)
    files: list[FilePart] = field(default_factory=list)

    def texts(self, name: str) -> list[str]:
        return [value for key, value in self.fields if key == name]

    def uploads(self, name: str) -> list[FilePart]:
        return [part for part in self.files if part.name == name]

    def form_record(self) -> dict[str, str | list[str]]:
        """Return the text fields for the request log: a value, or a list when repeated."""
        record: dict[str, str | list[str]] = {}
        for key, value in self.fields:
            if key not in record:
                record[key] = value
                continue
            previous = record[key]
            record[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        return record


def media_type(content_type: str) -> str:
    """Return the lower-case media type of a Content-Type value, without parameters."""
    return content_type.split(";", 1)[0].strip().lower()


def is_form(content_type: str) -> bool:
    return media_type(content_type) in ("multipart/form-data", "application/x-www-form-urlencoded")


def parse_form(content_type: str, body: bytes) -> FormBody:
    """Parse a form body; any other content type gives an empty form, as Starlette does."""
    kind = media_type(content_type)
    if kind == "application/x-www-form-urlencoded":
        text = body.decode("utf-8", errors="replace")
        return FormBody(fields=parse_qsl(text, keep_blank_values=True))
    if kind == "multipart/form-data":
        boundary = _parameter("content-type", content_type, "boundary")
        if not boundary:
            raise FormError("multipart/form-data without a boundary")
        return _parse_multipart(body, boundary.encode("latin-1"))
    return FormBody()


def _parameter(header: str, value: str, name: str) -> str | None:
    """Read one parameter of a header value, with the stdlib's quoting and RFC 2231 rules."""
    message = email.message.Message()
    message[header] = value
    found = message.get_param(name, header=header)
    if isinstance(found, tuple):  # RFC 2231 (charset, language, value)
        found = email.utils.collapse_rfc2231_value(found)
    return found if isinstance(found, str) else None


def _parse_multipart(body: bytes, boundary: bytes) -> FormBody:
    delimiter = b"--" + boundary
    start = body.find(delimiter)
    if start < 0:
        raise FormError("the body does not contain its multipart boundary")
    position = start + len(delimiter)
    fields: list[tuple[str, str]] = []
    files: list[FilePart] = []
    while not body.startswith(b"--", position):
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            raise FormError("a multipart boundary line is not terminated")
        part_start = line_end + 2
        part_end = _next_delimiter(body, delimiter, part_start)
        _add_part(body[part_start:part_end], fields, files)
        position = part_end + 2 + len(delimiter)
    return FormBody(fields=fields, files=files)


def _next_delimiter(body: bytes, delimiter: bytes, start: int) -> int:
    """Return where the CRLF before the next real delimiter is.

    A delimiter counts only when followed by ``--``, spaces or a line end (RFC 2046), so a
    part whose bytes happen to contain the boundary followed by other bytes is left whole.
    """
    marker = b"\r\n" + delimiter
    found = body.find(marker, start)
    while found >= 0:
        after = body[found + len(marker) : found + len(marker) + 2]
        if after in (b"--", b"\r\n") or after[:1] in (b" ", b"\t"):
            return found
        found = body.find(marker, found + 1)
    raise FormError("the multipart body ends without its closing boundary")


def _add_part(raw: bytes, fields: list[tuple[str, str]], files: list[FilePart]) -> None:
    head, separator, data = raw.partition(b"\r\n\r\n")
    if not separator:
        if raw.startswith(b"\r\n"):  # a part with no headers at all
            head, data = b"", raw[2:]
        else:
            raise FormError("a multipart part has no blank line after its headers")
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").split("\r\n"):
        if not line:
            continue
        key, colon, value = line.partition(":")
        if not colon:
            raise FormError(f"malformed multipart header {line[:80]!r}")
        headers[key.strip().lower()] = value.strip()
    disposition = headers.get("content-disposition")
    if disposition is None or media_type(disposition) != "form-data":
        raise FormError("a multipart part lacks Content-Disposition: form-data")
    name = _parameter("content-disposition", disposition, "name")
    if name is None:
        raise FormError("a multipart part has no name")
    filename = _parameter("content-disposition", disposition, "filename")
    if filename is None:
        fields.append((name, data.decode("utf-8", errors="replace")))
    else:
        files.append(FilePart(name, filename, headers.get("content-type"), data))
