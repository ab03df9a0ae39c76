"""The learner's first hour, in a real browser, through `lossedu start` itself.

1. Before anything runs, a lesson's figure cell shows a picture with alt text (the static first
   state, or the saved widget view), never a widget repr.
2. A lesson opened from the workspace runs top to bottom; its live figure then replaces the
   static picture; the checkout's `git status` is what it was before (the tracked notebooks are
   untouched).
3. `lossedu progress` works in JupyterLab's own terminal (the environment's bin is on its PATH).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from . import lab
from .conftest import REPO, VIEWPORT

pytestmark = pytest.mark.browser

START_PAGE = "lessons/00_start_here.ipynb"
WORKSPACE = REPO / "test-artifacts" / "browser-workspace"  # inside the checkout, git-ignored


class StartServer(lab.LabServer):
    """JupyterLab as `lossedu start WORKSPACE` runs it (plus the test server's options)."""

    def command(self) -> list[str]:
        options = [arg for arg in super().command()[4:] if not arg.startswith("--ServerApp.root_dir")]
        return [sys.executable, "-m", "lossedu", "start", str(self.root_dir), *options]


def git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO,
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def status_before() -> str:
    return git_status()


@pytest.fixture(scope="module")
def ws_server(tmp_path_factory, status_before, artifacts) -> Iterator[StartServer]:
    shutil.rmtree(WORKSPACE, ignore_errors=True)
    WORKSPACE.mkdir(parents=True)  # empty: `lossedu start` fills it
    home = tmp_path_factory.mktemp("lossedu-home-ws")
    env = {"LOSSEDU_HOME": str(home), "LOSSEDU_STUDENT": "workspace-learner",
           "LOSSEDU_COURSE": str(REPO / "tests" / "course_ci.toml"), "PYTHONHASHSEED": "0",
           # a PATH without this environment: `lossedu start` must put it there itself
           "PATH": os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                                   if Path(p).resolve() != Path(sys.executable).parent.resolve())}
    server = StartServer(WORKSPACE, tmp_path_factory.mktemp("jupyter-ws"), env)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        if server.log_path.exists():
            shutil.copyfile(server.log_path, artifacts / "jupyterlab-workspace.log")


@pytest.fixture(scope="module")
def ws_page(chromium, ws_server) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=lab.CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            context.set_default_timeout(lab.SHORT_MS)
            page = context.new_page()
            page.on("dialog", lambda dialog: dialog.accept())
            yield page
        finally:
            browser.close()


def figure_cell(page):
    """The output area of the start page's figure cell (it holds a lossedu figure)."""
    return page.locator(f"{lab.NOTEBOOK} .jp-Cell .jp-OutputArea").filter(
        has=page.locator(".lossedu-static-figure, .lossedu-livefigure")).first


def test_start_created_the_workspace_from_the_course(ws_server):
    for folder in ("lessons", "exercises"):
        for notebook in (REPO / folder).glob("*.ipynb"):
            assert (WORKSPACE / folder / notebook.name).is_file(), notebook.name


def test_a_figure_shows_a_picture_with_alt_text_before_the_kernel_runs(ws_page, ws_server, artifacts):
    page = ws_page
    page.goto(ws_server.url(START_PAGE), timeout=lab.LOAD_MS)
    area = figure_cell(page)
    area.wait_for(state="attached", timeout=lab.LOAD_MS)
    static = area.locator("img.lossedu-static-figure")
    static.wait_for(state="visible", timeout=lab.LOAD_MS)  # before any cell ran
    lab.screenshot(page, artifacts, "07_static_figure_before_run", area)
    alt = static.get_attribute("alt")
    assert alt and "empirical risk" in alt and "w = 1.00" in alt
    box = static.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100, box
    assert "VBox(" not in area.inner_text()
    # once JupyterLab settles (kernel up, saved widget views restored) a picture is still shown
    lab.dismiss_dialogs(page)
    lab.wait_kernel_idle(page)
    shown = [img for img in area.locator("img").all() if img.is_visible()]
    assert shown and all(img.get_attribute("alt") for img in shown)
    assert "VBox(" not in area.inner_text()


def test_a_lesson_runs_in_the_workspace_and_the_checkout_stays_clean(ws_page, ws_server, status_before,
                                                                     artifacts):
    page = ws_page
    lab.open_notebook(page, ws_server, START_PAGE)
    lab.run_all_cells(page)
    area = figure_cell(page)
    live = area.locator(".lossedu-livefigure .widget-output img")
    live.wait_for(state="visible", timeout=lab.RUN_MS)
    assert "empirical risk" in (live.get_attribute("alt") or "")
    assert not area.locator("img.lossedu-static-figure").first.is_visible(), \
        "the live figure must replace the static picture"
    readout = area.locator(".lossedu-readout [aria-live]")
    assert readout.count() == 1
    menu_save(page)
    lab.screenshot(page, artifacts, "08_workspace_lesson_after_run", area)
    copy, source = (WORKSPACE / START_PAGE).read_bytes(), (REPO / START_PAGE).read_bytes()
    assert copy != source, "the run was not saved into the workspace copy"
    assert git_status() == status_before, "running a lesson changed files of the checkout"


def menu_save(page) -> None:
    """Save the notebook (Ctrl+S) and wait until JupyterLab reports no unsaved changes."""
    page.locator(f"{lab.NOTEBOOK}").first.click()
    page.keyboard.press("Control+s")
    page.wait_for_function("() => !document.querySelector('.lm-TabBar-tab.jp-mod-dirty')",
                           timeout=lab.SHORT_MS)


def test_lossedu_progress_runs_in_a_jupyterlab_terminal(ws_page, ws_server, artifacts):
    page = ws_page
    out = WORKSPACE / "progress-from-terminal.txt"
    out.unlink(missing_ok=True)
    ws_server.shutdown_kernels()
    page.goto(f"{ws_server.base_url}/lab?reset", timeout=lab.LOAD_MS)
    lab.dismiss_dialogs(page)
    page.locator(".jp-Launcher .jp-LauncherCard", has_text="Terminal").first.click()  # as a learner
    terminal = page.locator(".jp-Terminal .xterm-helper-textarea").first
    try:
        terminal.wait_for(state="attached", timeout=lab.LOAD_MS)
    finally:
        lab.screenshot(page, artifacts, "09_terminal_opened")
    time.sleep(1.0)  # the shell prints its prompt
    terminal.focus()
    page.keyboard.type(f"lossedu progress > {out.name} 2>&1; echo exit=$? >> {out.name}\n", delay=10)
    deadline = time.monotonic() + lab.RUN_MS / 1000
    while time.monotonic() < deadline and not (out.exists() and "exit=" in out.read_text()):
        time.sleep(0.2)
    lab.screenshot(page, artifacts, "09_terminal_lossedu_progress")
    text = out.read_text() if out.exists() else "(the command never ran)"
    assert "exit=0" in text and "command not found" not in text, text
    assert "Session 1" in text, text
