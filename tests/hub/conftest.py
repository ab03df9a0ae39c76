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


def _stub_hub() -> procs.StubHub:
    tokens = dict(LEARNERS, **{INSTRUCTOR_TOKEN: "ingrid", UNSCOPED_TOKEN: "dave"})
    return procs.StubHub(tokens, {"instructors": ["ingrid"]}, scoped=set(tokens) - {UNSCOPED_TOKEN}).start()


@pytest.fixture(scope="module")
def stub_hub() -> Iterator[procs.StubHub]:
    hub = _stub_hub()
    try:
        yield hub
    finally:
        hub.stop()


@pytest.fixture(scope="module")
def module_service(postgres: procs.Postgres, stub_hub: procs.StubHub,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[procs.Service]:
    """The class service on its own PostgreSQL database, authenticating through the stub hub."""
    svc = procs.Service(postgres.new_database(), stub_hub.api_url, procs.StubHub.SERVICE_TOKEN,
                        tmp_path_factory.mktemp("service"))
    try:
        svc.start()
        yield svc
    finally:
        svc.stop()


@pytest.fixture
def service(module_service: procs.Service) -> procs.Service:
    """The module's service, running, with an empty store (one service start per module: they are slow)."""
    import psycopg

    if module_service.proc is None or module_service.proc.poll() is not None:
        module_service.start()
    with psycopg.connect(module_service.env["LOSSEDU_HUB_DB"], autocommit=True) as conn:
        conn.execute("DELETE FROM attempts")
    return module_service
