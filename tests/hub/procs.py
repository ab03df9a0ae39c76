"""Real parts the hub tests start and stop: PostgreSQL, the class service, a stub of the hub API.

Everything listens on 127.0.0.1 on a free port, lives in a temporary directory, and is stopped
by its own PID (also when a test fails). PostgreSQL refuses to run as root, so as root it runs
as the ``postgres`` system user, in a data directory that user owns.
"""
from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PG_BIN = Path("/usr/lib/postgresql/15/bin")
START_TIMEOUT_S = 60
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_pid(proc: subprocess.Popen | None, sig: int = signal.SIGTERM, wait: float = 15) -> None:
    """Signal one process we started, wait, then SIGKILL it."""
    if proc is None or proc.poll() is not None:
        return
    for s, w in ((sig, wait), (signal.SIGKILL, 5)):
        try:
            os.kill(proc.pid, s)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=w)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_http(url: str, proc: subprocess.Popen | None, what: str, log: Path, timeout: float = START_TIMEOUT_S,
              require_ok: bool = False) -> None:
    """Wait until ``url`` answers (any HTTP status; only 2xx with ``require_ok``), or fail with the
    tail of ``log``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            if not require_ok:
                return
            time.sleep(0.2)  # e.g. the proxy is up but has no route to the hub yet
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer at {url} within {timeout:g} s:\n{tail(log)}")


def tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


# --------------------------------------------------------------------------- PostgreSQL
class Postgres:
    """A PostgreSQL 15 server in a fresh temporary directory (data directory, unix socket, log),
    listening on 127.0.0.1. The directory sits directly in the system's temporary directory so that
    the ``postgres`` user can reach it; :meth:`stop` removes it."""

    def __init__(self) -> None:
        if not (PG_BIN / "postgres").exists():
            raise RuntimeError(f"PostgreSQL 15 is not installed at {PG_BIN}: apt-get install -y postgresql-15")
        import tempfile

        self.root = Path(tempfile.mkdtemp(prefix="lossedu-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.log = self.root / "postgres.log"
        self.proc: subprocess.Popen | None = None
        self.as_user = "postgres" if os.geteuid() == 0 else None
        self._n = 0

    def _run_kwargs(self) -> dict[str, Any]:
        if self.as_user is None:
            return {}
        return {"user": self.as_user, "group": pwd.getpwnam(self.as_user).pw_gid, "extra_groups": []}

    def start(self) -> "Postgres":
        self.root.mkdir(parents=True, exist_ok=True)
        if self.as_user is not None:
            entry = pwd.getpwnam(self.as_user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        os.chmod(self.root, 0o700)
        init = subprocess.run([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                               "--encoding=UTF8", "--no-sync"], cwd=self.root, capture_output=True, text=True,
                              **self._run_kwargs())
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{init.stdout}\n{init.stderr}")
        log = open(self.log, "wb")
        try:
            self.proc = subprocess.Popen(
                [str(PG_BIN / "postgres"), "-D", str(self.data), "-p", str(self.port), "-h", "127.0.0.1",
                 "-k", str(self.root), "-c", "fsync=off", "-c", "max_connections=200"],
                cwd=self.root, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, **self._run_kwargs())
        finally:
            log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited with {self.proc.returncode}:\n{tail(self.log)}")
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.2)
        raise RuntimeError(f"PostgreSQL did not accept connections within {START_TIMEOUT_S} s:\n{tail(self.log)}")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str = "class") -> str:
        """Create an empty database and return its URL."""
        import psycopg

        self._n += 1
        name = f"{prefix}_{self._n}_{os.getpid()}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        stop_pid(self.proc, signal.SIGINT)  # SIGINT: fast shutdown
        self.proc = None
        shutil.rmtree(self.root, ignore_errors=True)


# --------------------------------------------------------------------------- a stub of the hub API
class StubHub:
    """Answers the three hub API calls the service makes, for fixed tokens.

    ``tokens`` maps a token to a user name; ``scoped`` is the set of tokens that carry the
    service's access scope (the others identify their user but may not use the service).
    """

    SERVICE_TOKEN = "service-secret-token"

    def __init__(self, tokens: dict[str, str], groups: dict[str, list[str]], service: str = "lossedu",
                 scoped: set[str] | None = None) -> None:
        self.tokens = tokens
        self.groups = groups
        self.scoped = set(tokens) if scoped is None else scoped
        self.service = service
        self.calls = 0
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                hub.calls += 1
                token = self.headers.get("Authorization", "").split(" ", 1)[-1]
                if self.path == "/hub/api/user" and token in hub.tokens:
                    name = hub.tokens[token]
                    scopes = [f"access:services!service={hub.service}"] if token in hub.scoped else []
                    body = {"kind": "user", "name": name, "admin": False, "scopes": scopes,
                            "groups": [g for g, members in hub.groups.items() if name in members]}
                elif self.path == "/hub/api/user" and token == hub.SERVICE_TOKEN:
                    body = {"kind": "service", "name": hub.service, "scopes": []}
                elif self.path.startswith("/hub/api/groups/") and token == hub.SERVICE_TOKEN:
                    group = self.path.rsplit("/", 1)[1]
                    if group not in hub.groups:
                        return self._send(404, {"status": 404, "message": "no such group"})
                    body = {"kind": "group", "name": group, "users": hub.groups[group]}
                elif self.path == "/hub/api/users" and token == hub.SERVICE_TOKEN:
                    body = [{"kind": "user", "name": n} for n in sorted(set(hub.tokens.values()))]
                else:
                    return self._send(403, {"status": 403, "message": "forbidden"})
                self._send(200, body)

            def _send(self, code: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.api_url = f"http://127.0.0.1:{self.port}/hub/api"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "StubHub":
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.thread.is_alive():  # shutdown() waits for serve_forever(): only when it runs
            self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------- the class service
class Service:
    """``lossedu hub-service`` as a process, configured the way JupyterHub configures a service."""

    PREFIX = "/services/lossedu/"

    def __init__(self, db_url: str, api_url: str, token: str, scratch: Path, port: int | None = None,
                 extra: dict[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}{self.PREFIX}"
        self.scratch = Path(scratch)
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.log = self.scratch / "service.log"
        self.env = dict(os.environ, JUPYTERHUB_API_TOKEN=token, JUPYTERHUB_API_URL=api_url,
                        JUPYTERHUB_SERVICE_NAME="lossedu", JUPYTERHUB_SERVICE_PREFIX=self.PREFIX,
                        JUPYTERHUB_CLIENT_ID="service-lossedu", JUPYTERHUB_BASE_URL="/",
                        JUPYTERHUB_SERVICE_URL=f"http://127.0.0.1:{self.port}", LOSSEDU_HUB_DB=db_url,
                        LOSSEDU_HUB_COOKIE_SECRET_FILE=str(self.scratch / "cookie-secret"),
                        LOSSEDU_COURSE=str(REPO / "tests" / "course_ci.toml"), **(extra or {}))
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Service":
        log = open(self.log, "ab")
        try:
            self.proc = subprocess.Popen([sys.executable, "-m", "lossedu.cli", "hub-service"], env=self.env,
                                         cwd=self.scratch, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            log.close()
        wait_http(self.url + "api/health", self.proc, "lossedu hub-service", self.log)
        return self

    def kill(self) -> None:
        """SIGKILL: the abrupt end of a crash, no clean shutdown."""
        stop_pid(self.proc, signal.SIGKILL)
        self.proc = None

    def stop(self) -> None:
        stop_pid(self.proc)
        self.proc = None


def request(url: str, token: str | None = None, data: Any = None, method: str | None = None,
            timeout: float = 15) -> tuple[int, Any]:
    """(status, parsed JSON or text) of one HTTP request; never raises for an HTTP status."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"token {token}"
    body = json.dumps(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as reply:
            status, raw, kind = reply.status, reply.read(), reply.headers.get("Content-Type", "")
    except urllib.error.HTTPError as err:
        status, raw, kind = err.code, err.read(), err.headers.get("Content-Type", "")
    text = raw.decode("utf-8", "replace")
    return status, (json.loads(text) if "json" in kind and text else text)


def which_proxy() -> str:
    """configurable-http-proxy: the project's own copy first, then PATH."""
    own = REPO / ".venv" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    if own.exists():
        return str(own)
    found = shutil.which("configurable-http-proxy")
    if not found:
        raise RuntimeError("configurable-http-proxy is missing: npm install --prefix .venv/node configurable-http-proxy")
    return found
