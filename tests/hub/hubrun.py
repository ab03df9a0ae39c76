"""A real JupyterHub for the end-to-end test: proxy from npm, local spawner, password login, kernels.

The hub, its proxy, the learners' servers and their kernels all run on 127.0.0.1 from a temporary
directory. Every process the hub started carries ``LOSSEDU_E2E_RUN=<that directory>`` in its
environment; :meth:`Hub.stop` stops the hub by its PID, then ends any such process still alive
by its own PID (the spawner starts servers in sessions of their own).
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from . import procs

PASSWORD = "e2e-password"
SPAWN_TIMEOUT_S = 90
EXEC_TIMEOUT_S = 90

CONFIG = """
import sys
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.JupyterHub.db_url = "sqlite:///{root}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{root}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "{root}/jupyterhub.pid"
c.ConfigurableHTTPProxy.command = ["{proxy}"]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.pid_file = "{root}/proxy.pid"
c.ConfigurableHTTPProxy.debug = False

c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = "{password}"
c.Authenticator.allow_all = True

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{root}/home/{{username}}"
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.args = ["--allow-root", "--ServerApp.disable_check_xsrf=True"]
c.Spawner.start_timeout = {spawn_timeout}
c.Spawner.http_timeout = {spawn_timeout}
c.Spawner.environment = {{
    "LOSSEDU_HUB_SERVICE_URL": "http://127.0.0.1:{port}/services/lossedu/",
    "LOSSEDU_HOME": lambda spawner: "{root}/home/" + spawner.user.name + "/.lossedu",
    "LOSSEDU_STUDENT": lambda spawner: spawner.user.name,
    "LOSSEDU_COURSE": "{course}",
    "LOSSEDU_E2E_RUN": "{root}",
    "JUPYTER_RUNTIME_DIR": lambda spawner: "{root}/home/" + spawner.user.name + "/.runtime",
    "PYTHONHASHSEED": "0",
}}

# the class service, run beside the hub (external): the test stops and restarts it by its PID
c.JupyterHub.services = [
    {{"name": "lossedu", "url": "http://127.0.0.1:{service_port}", "api_token": "{service_token}",
      "oauth_no_confirm": True}},
    {{"name": "e2e-driver", "api_token": "{admin_token}"}},
]
c.JupyterHub.load_groups = {{"instructors": {{"users": ["ingrid"]}}}}
c.JupyterHub.load_roles = [
    {{"name": "user", "scopes": ["self", "access:services!service=lossedu"]}},
    {{"name": "server", "scopes": ["users:activity!user", "access:servers!server",
                                  "access:services!service=lossedu"]}},
    {{"name": "lossedu-service", "services": ["lossedu"],
      "scopes": ["list:users", "read:users:name", "read:groups", "read:users:groups"]}},
    {{"name": "admin", "services": ["e2e-driver"]}},
]
"""


class Hub:
    """JupyterHub with the class service registered as an external service."""

    def __init__(self, root: Path, service_port: int, service_token: str, course: Path) -> None:
        self.root = Path(root)
        self.port = procs.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.hub_port = procs.free_port()
        self.api_url = f"http://127.0.0.1:{self.hub_port}/hub/api"
        self.admin_token = uuid.uuid4().hex
        self.log = self.root / "jupyterhub.log"
        self.proc: subprocess.Popen | None = None
        (self.root / "home").mkdir(parents=True, exist_ok=True)
        (self.root / "jupyterhub_config.py").write_text(CONFIG.format(
            port=self.port, hub_port=self.hub_port, proxy_api_port=procs.free_port(), root=self.root,
            proxy=procs.which_proxy(), password=PASSWORD, spawn_timeout=SPAWN_TIMEOUT_S, course=course,
            service_port=service_port, service_token=service_token, admin_token=self.admin_token))

    def start(self) -> "Hub":
        log = open(self.log, "ab")
        env = dict(os.environ, LOSSEDU_E2E_RUN=str(self.root))
        try:
            self.proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(self.root / "jupyterhub_config.py")],
                                         cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            log.close()
        # through the proxy, and only once the hub's own route is in place (the proxy answers 404 before)
        procs.wait_http(self.url + "/hub/api/", self.proc, "JupyterHub", self.log, require_ok=True)
        return self

    def api(self, path: str, data: Any = None, method: str | None = None, token: str | None = None) -> tuple[int, Any]:
        return procs.request(self.url + "/hub/api/" + path, token or self.admin_token, data, method)

    def start_servers(self, *users: str) -> None:
        """Create the users if needed, start their servers together, wait until all are ready."""
        for user in users:
            status, body = self.api(f"users/{user}")
            if status == 404:
                status, body = self.api(f"users/{user}", {}, "POST")
                assert status == 201, f"creating {user}: {status} {body}"
            status, body = self.api(f"users/{user}/server", {}, "POST")
            assert status in (201, 202, 400), f"starting {user}'s server: {status} {body}"
        for user in users:
            self._wait_ready(user)

    def _wait_ready(self, user: str) -> None:
        deadline = time.monotonic() + SPAWN_TIMEOUT_S
        while time.monotonic() < deadline:
            status, model = self.api(f"users/{user}")
            server = (model.get("servers") or {}).get("", {}) if status == 200 else {}
            if server.get("ready"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"{user}'s server was not ready within {SPAWN_TIMEOUT_S} s:\n{procs.tail(self.log)}")

    def start_kernel(self, user: str) -> str:
        status, body = procs.request(f"{self.url}/user/{user}/api/kernels", self.admin_token, {"name": "python3"}, "POST")
        assert status == 201, f"starting a kernel for {user}: {status} {body}"
        return body["id"]

    def execute(self, user: str, kernel: str, code: str, timeout: float = EXEC_TIMEOUT_S) -> str:
        """Run ``code`` in the user's kernel through the hub's proxy; return its printed output."""
        from concurrent.futures import ThreadPoolExecutor

        url = f"ws://127.0.0.1:{self.port}/user/{user}/api/kernels/{kernel}/channels"
        with ThreadPoolExecutor(1) as pool:  # a thread of its own: the browser driver runs an event loop here
            return pool.submit(asyncio.run, _execute(url, self.admin_token, code, timeout)).result()

    def stop(self) -> None:
        procs.stop_pid(self.proc, signal.SIGTERM, wait=30)
        self.proc = None
        for pid in _ours(str(self.root)):  # servers, kernels or a proxy the hub left behind
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    break
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline and pid in _ours(str(self.root)):
                    time.sleep(0.1)


def _ours(marker: str) -> list[int]:
    """PIDs of live processes whose environment has ``LOSSEDU_E2E_RUN=<marker>``."""
    wanted = f"LOSSEDU_E2E_RUN={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if wanted in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


async def _execute(url: str, token: str, code: str, timeout: float) -> str:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    request = HTTPRequest(url, headers={"Authorization": f"token {token}"})
    conn = await asyncio.wait_for(websocket_connect(request), timeout)
    msg_id = uuid.uuid4().hex
    conn.write_message(json.dumps({
        "header": {"msg_id": msg_id, "username": "e2e", "session": uuid.uuid4().hex, "msg_type": "execute_request",
                   "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True}}))
    out: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the kernel did not finish within {timeout:g} s; output so far: {''.join(out)}")
            raw = await asyncio.wait_for(conn.read_message(), left)
            if raw is None:
                raise RuntimeError("the kernel websocket closed")
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["header"]["msg_type"], msg["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "error":
                raise RuntimeError(f"the code failed in the kernel: {content['ename']}: {content['evalue']}")
            elif kind == "status" and content["execution_state"] == "idle":
                return "".join(out)
    finally:
        conn.close()
