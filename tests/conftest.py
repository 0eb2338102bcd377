"""Fixtures every kind of test may use: a throwaway PostgreSQL server (``harness.postgres``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.postgres import Databases, PostgresServer, find_binaries, required


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole test process, stopped (and deleted) at the end."""
    binaries = find_binaries()
    if binaries is None:
        message = "PostgreSQL (initdb, pg_ctl) is not installed"
        if required():
            pytest.fail(f"{message}, and POSTGRES_REQUIRE=1")
        pytest.skip(f"{message}; POSTGRES_REQUIRE=1 makes this a failure")
    with PostgresServer(binaries) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_databases(postgres_server: PostgresServer) -> Databases:
    return Databases(postgres_server, "store")
