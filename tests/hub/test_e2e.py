"""End to end on a real JupyterHub: two learners answer in their own servers; the instructor
watches the live page in Chromium; tokens are confined to their owner; the service is killed and
restarted mid-session and no attempt is lost.

Real parts: PostgreSQL 15, JupyterHub with configurable-http-proxy, the local process spawner,
password login, Jupyter servers and kernels, the class service, headless Chromium. Screenshots
go to ``test-artifacts/hub/`` (docs/hub.md shows them).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from . import hubrun, procs
from .answers import mae, mse

pytestmark = pytest.mark.hub

REPO = procs.REPO
ARTIFACTS = REPO / "test-artifacts" / "hub"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FEW_SECONDS_MS = 15_000  # the page refreshes every 3 s; generous for a loaded machine
LOAD_MS = 60_000


@pytest.fixture(scope="module")
def classroom(postgres: procs.Postgres) -> Iterator[tuple[hubrun.Hub, procs.Service]]:
    """JupyterHub plus the class service (external, on PostgreSQL), stopped by PID at the end."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"the hub test needs Debian's Chromium at {CHROMIUM}: apt-get install -y chromium", pytrace=False)
    root = Path(tempfile.mkdtemp(prefix="lossedu-e2e-"))
    token = uuid.uuid4().hex
    service_port = procs.free_port()
    hub = hubrun.Hub(root, service_port, token, REPO / "tests" / "course_ci.toml")
    service = procs.Service(postgres.new_database(), hub.api_url, token, root / "service", port=service_port)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        hub.start()
        service.start()
        yield hub, service
    finally:
        service.stop()
        hub.stop()
        for log in (hub.log, service.log):
            if log.exists():
                shutil.copy(log, ARTIFACTS / log.name)
        shutil.rmtree(root, ignore_errors=True)


def answer(hub: hubrun.Hub, user: str, kernel: str, answers: list[tuple[str, str]]) -> list[str]:
    """Check answers in the learner's kernel; return the statuses printed there."""
    code = "import lossedu\nex = lossedu.session(1)\n" + "".join(
        f"print(ex.{q}.check({a!r}).status)\n" for q, a in answers)
    return hub.execute(user, kernel, code).split()


def own_attempts(hub: hubrun.Hub, token: str) -> list[dict]:
    status, body = procs.request(hub.url + "/services/lossedu/api/attempts", token)
    assert status == 200, f"a learner reading own attempts got {status}: {body}"
    return body["attempts"]


def wait_for(predicate, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}")


def test_a_live_class_on_jupyterhub(classroom) -> None:
    from playwright.sync_api import expect, sync_playwright

    hub, service = classroom
    hub.start_servers("alice", "bob")
    kernels = {user: hub.start_kernel(user) for user in ("alice", "bob")}
    tokens = {u: hub.execute(u, k, "import os; print(os.environ['JUPYTERHUB_API_TOKEN'])").strip()
              for u, k in kernels.items()}

    # two learners answer in their own servers
    assert answer(hub, "alice", kernels["alice"], [("q1", mse("alice", right=False)), ("q1", mse("alice"))]) == ["incorrect", "correct"]
    assert answer(hub, "bob", kernels["bob"], [("q1", mse("bob", right=False))] * 3) == ["incorrect"] * 3

    # a learner's own token: own records yes, class data and another learner's records no
    wait_for(lambda: len(own_attempts(hub, tokens["alice"])) == 2, "alice's two attempts on the service")
    for path in ("api/class", "api/class.csv", "api/attempts?learner=bob"):
        status, body = procs.request(f"{hub.url}/services/lossedu/{path}", tokens["alice"])
        assert status == 403, f"alice's token on {path}: {status} {body}"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(hub.url + "/hub/login", timeout=LOAD_MS)
            page.fill("#username_input", "ingrid")
            page.fill("#password_input", hubrun.PASSWORD)
            page.click("#login_submit")
            page.wait_for_url("**/hub/**", timeout=LOAD_MS)
            page.goto(hub.url + "/services/lossedu/", timeout=LOAD_MS)  # OAuth through the hub
            learners = page.locator("#learners")
            expect(learners).to_contain_text("alice", timeout=FEW_SECONDS_MS)
            expect(learners).to_contain_text("bob", timeout=FEW_SECONDS_MS)
            q1 = page.locator("#questions tbody tr").first
            expect(q1.locator("td.correct")).to_have_text("1", timeout=FEW_SECONDS_MS)
            expect(q1.locator("td.trying")).to_have_text("1")
            expect(page.locator("#stuck")).to_contain_text("bob")
            expect(page.locator("#diagnoses")).to_contain_text("y - yhat")  # the example, without a name
            expect(page.locator("#diagnoses")).not_to_contain_text("alice")
            page.screenshot(path=str(ARTIFACTS / "hub_live_view.png"), full_page=True)

            # the service is killed mid-session; learners keep answering; nothing is lost
            service.kill()
            assert answer(hub, "alice", kernels["alice"], [("q2", mae("alice")), ("q3", "0")])[0] == "correct"
            assert answer(hub, "bob", kernels["bob"], [("q1", mse("bob"))]) == ["correct"]
            expect(page.locator("#status")).to_contain_text("not updated", timeout=FEW_SECONDS_MS)
            service.start()
            wait_for(lambda: len(own_attempts(hub, tokens["alice"])) == 4, "alice's queued attempts after the restart")
            wait_for(lambda: len(own_attempts(hub, tokens["bob"])) == 4, "bob's queued attempt after the restart")
            expect(q1.locator("td.correct")).to_have_text("2", timeout=FEW_SECONDS_MS)
            expect(page.locator("#stuck")).not_to_contain_text("bob", timeout=FEW_SECONDS_MS)
            page.screenshot(path=str(ARTIFACTS / "hub_after_restart.png"), full_page=True)
        finally:
            browser.close()

    # the same view in a terminal, with the instructor's own token
    status, body = hub.api("users/ingrid/tokens", {"scopes": ["access:services!service=lossedu"], "note": "e2e"}, "POST")
    assert status == 201, body
    out = subprocess.run([sys.executable, "-m", "lossedu.cli", "class", "--session", "1", "--url",
                          hub.url + "/services/lossedu/", "--token", body["token"]],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "2 learners, 8 answers" in out.stdout and "grad.mse" in out.stdout
