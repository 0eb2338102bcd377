"""What store code writes its SQL against, whichever database runs: ``Tx`` and ``Dialect``.

A transaction is an ``async`` function of a ``Tx``. SQL is written once with SQLite's
placeholders (``?`` in order, or ``?1``, ``?2`` by number); the PostgreSQL transaction turns
them into ``$1..$n`` once per statement text. The few things that really differ between the
two (JSON, case-insensitive LIKE, epoch seconds, row locks) come from the ``Dialect``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol


class Row(Protocol):
    """A result row: by position or by column name (``sqlite3.Row``, ``asyncpg.Record``)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Any]: ...


@dataclass(frozen=True)
class Dialect:
    """The SQL that differs between SQLite and PostgreSQL; everything else is written once."""

    name: str
    for_update: str
    """Appended to a SELECT that a write will act on: a row lock on PostgreSQL; nothing on
    SQLite, whose write transactions (BEGIN IMMEDIATE) already exclude each other."""
    like: str
    """ASCII case-insensitive LIKE (SQLite's LIKE is; PostgreSQL's ILIKE is)."""
    skip_locked: str
    """Appended to a SELECT of rows to claim: rows another transaction is claiming are
    skipped, not waited for (PostgreSQL); nothing on SQLite, whose writers take turns."""

    def int_list(self, placeholder: str) -> str:
        """A subquery of the integers in a JSON array parameter (for ``IN (...)``)."""
        if self.name == "postgres":
            return (
                f"(SELECT value::bigint FROM json_array_elements_text(CAST({placeholder} AS json)))"
            )
        return f"(SELECT value FROM json_each({placeholder}))"

    def json_text(self, column: str, key: str) -> str:
        """The text at ``key`` of a JSON object stored as text (``key`` is a fixed name)."""
        if self.name == "postgres":
            return f"(CAST({column} AS json) ->> '{key}')"
        return f"json_extract({column}, '$.{key}')"

    def epoch_seconds(self, column: str) -> str:
        """Whole seconds since 1970 of a stored instant (text)."""
        if self.name == "postgres":
            return f"CAST(floor(extract(epoch FROM CAST({column} AS timestamptz))) AS bigint)"
        return f"CAST(strftime('%s', {column}) AS INTEGER)"


SQLITE = Dialect("sqlite", for_update="", like="LIKE", skip_locked="")
POSTGRES = Dialect(
    "postgres", for_update=" FOR UPDATE", like="ILIKE", skip_locked=" FOR UPDATE SKIP LOCKED"
)


class Tx(Protocol):
    """One transaction: statements run in order and commit (or roll back) together."""

    @property
    def dialect(self) -> Dialect: ...

    async def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; return how many rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run a statement once per parameter row."""
        ...

    async def fetchone(self, sql: str, *args: Any) -> Row | None:
        """The first row of a query, or None."""
        ...

    async def fetchall(self, sql: str, *args: Any) -> list[Row]:
        """Every row of a query."""
        ...

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """The first column of the first row (None when there is no row)."""
        ...

    async def lock_guild(self, guild_id: int) -> None:
        """Hold the guild's lock until the transaction ends (check-then-write of its quota).

        SQLite's write transactions are already exclusive; PostgreSQL takes a
        transaction-level advisory lock, so processes sharing the database wait for each other.
        """
        ...


# Placeholders outside string literals and quoted names: '...' and "..." are skipped whole.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?(\d*)")


@lru_cache(maxsize=1024)
def to_dollar(sql: str) -> str:
    """Turn SQLite placeholders (``?`` in order or ``?N``) into PostgreSQL's ``$N``."""
    counter = 0
    kinds: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        nonlocal counter
        if match.group(0)[0] in "'\"":
            return match.group(0)
        number = match.group(1)
        if number:
            kinds.add("numbered")
            return f"${number}"
        kinds.add("ordered")
        counter += 1
        return f"${counter}"

    converted = _TOKENS.sub(replace, sql)
    if len(kinds) > 1:
        raise ValueError(f"a statement mixes ? and ?N placeholders: {sql[:80]!r}")
    return converted
