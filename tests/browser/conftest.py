"""Fixtures of the browser tests: one JupyterLab server and one headless Chromium per module.

The server serves a temporary copy of ``lessons/`` and ``exercises/`` with its own Jupyter
directories, progress store (``LOSSEDU_HOME``), learner id and the CI course configuration, so
the repository's notebooks and a developer's progress are never touched. Server and browser are
always stopped, also when a test fails. Screenshots go to ``test-artifacts/browser/``.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from . import lab

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
LEARNER = "browser-learner"
VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots and the server logs of this run go (git-ignored); cleared once per run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's Chromium; a missing browser is a failure with the install command, never a skip."""
    if not (os.path.isfile(lab.CHROMIUM) and os.access(lab.CHROMIUM, os.X_OK)):
        pytest.fail(lab.MISSING_CHROMIUM, pytrace=False)
    return lab.CHROMIUM


@pytest.fixture(scope="module")
def lab_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server kernels' progress store directory (``LOSSEDU_HOME``)."""
    return tmp_path_factory.mktemp("lossedu-home")


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory: pytest.TempPathFactory, lab_home: Path, artifacts: Path) -> Iterator[lab.LabServer]:
    """JupyterLab on 127.0.0.1, a free port, serving a copy of the notebooks."""
    root = tmp_path_factory.mktemp("lab-root")
    lab.copy_notebooks(REPO, root)
    env = {
        "LOSSEDU_HOME": str(lab_home),
        "LOSSEDU_STUDENT": LEARNER,
        "LOSSEDU_COURSE": str(REPO / "tests" / "course_ci.toml"),
        "PYTHONHASHSEED": "0",
    }
    server = lab.LabServer(root, tmp_path_factory.mktemp("jupyter"), env)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.copyfile(server.log_path, artifacts / "jupyterlab.log") if server.log_path.exists() else None


@pytest.fixture(scope="module")
def page(chromium: str, lab_server: lab.LabServer) -> Iterator[object]:
    """One Chromium page, reused by every scenario of the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=lab.CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            context.set_default_timeout(lab.SHORT_MS)
            page = context.new_page()
            page.on("dialog", lambda dialog: dialog.accept())  # e.g. "leave page?" between notebooks
            yield page
        finally:
            browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(autouse=True)
def _screenshot_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    """Keep a picture of the page when a scenario fails, next to the step screenshots."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and "page" in request.fixturenames:
        try:
            page = request.getfixturevalue("page")
            page.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"))
        except Exception:  # noqa: BLE001 - the failure itself is what matters
            pass
