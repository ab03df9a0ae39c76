"""Fixtures of the hub tests: one PostgreSQL per run, a stub hub API, the class service."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from . import procs

LEARNERS = {"tok-alice": "alice", "tok-bob": "bob", "tok-carol": "carol"}
INSTRUCTOR_TOKEN = "tok-ingrid"
UNSCOPED_TOKEN = "tok-dave"


@pytest.fixture(scope="session")
def postgres() -> Iterator[procs.Postgres]:
    """PostgreSQL 15 in a temporary data directory, stopped by its PID at the end."""
    server = procs.Postgres()
    try:
        server.start()
    except Exception as err:
        server.stop()
        pytest.fail(f"PostgreSQL could not be started: {err}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres: procs.Postgres) -> str:
    """A fresh, empty database."""
    return postgres.new_database()


@pytest.fixture
def stub_hub() -> Iterator[procs.StubHub]:
    tokens = dict(LEARNERS, **{INSTRUCTOR_TOKEN: "ingrid", UNSCOPED_TOKEN: "dave"})
    hub = procs.StubHub(tokens, {"instructors": ["ingrid"]}, scoped=set(tokens) - {UNSCOPED_TOKEN}).start()
    try:
        yield hub
    finally:
        hub.stop()


@pytest.fixture
def service(pg_url: str, stub_hub: procs.StubHub, tmp_path: Path) -> Iterator[procs.Service]:
    """The class service on PostgreSQL, authenticating through the stub hub."""
    svc = procs.Service(pg_url, stub_hub.api_url, procs.StubHub.SERVICE_TOKEN, tmp_path / "service")
    try:
        svc.start()
        yield svc
    finally:
        svc.stop()
