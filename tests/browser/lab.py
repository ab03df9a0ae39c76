"""A real JupyterLab in headless Chromium: the server, the browser, and a learner's gestures.

The server runs on loopback with throw-away Jupyter directories, progress store and learner id,
on a temporary copy of the notebooks, so a browser test never touches the repository's notebooks
or a developer's own progress. It is stopped by its own process group, always.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING_CHROMIUM = (
    f"the browser tests need Debian's Chromium at {CHROMIUM}, which is missing. "
    "Install it with `apt-get update && apt-get install -y chromium` (as root), then re-run. "
    "Playwright's own browser downloads are not used."
)

#: Explicit waits (milliseconds): generous for a loaded 2-core machine, never a fixed sleep.
SERVER_TIMEOUT_S = 60
LOAD_MS = 60_000
RUN_MS = 60_000
SHORT_MS = 30_000

#: Settings that keep pop-ups out of the learner's way and keep every cell in the DOM.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/extensionmanager-extension:plugin": {"enabled": False},
}


# --------------------------------------------------------------------------------- the server
def free_port() -> int:
    """A free TCP port on loopback (the OS picks it when binding port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """One JupyterLab process serving ``root_dir`` on ``127.0.0.1:port``.

    Parameters
    ----------
    root_dir : directory the server shows (a temporary copy of the notebooks).
    scratch : temporary directory for Jupyter's config, data, runtime and settings.
    env : extra environment variables for the server and its kernels.
    """

    def __init__(self, root_dir: Path, scratch: Path, env: dict[str, str]) -> None:
        self.root_dir = Path(root_dir)
        self.scratch = Path(scratch)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.scratch / "jupyterlab.log"
        self.env = self._environment(env)
        self.proc: subprocess.Popen[bytes] | None = None

    def _environment(self, extra: dict[str, str]) -> dict[str, str]:
        dirs = {name: self.scratch / name for name in ("config", "data", "runtime", "settings", "workspaces")}
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        labconfig = dirs["config"] / "labconfig"
        labconfig.mkdir(exist_ok=True)
        (labconfig / "default_setting_overrides.json").write_text(json.dumps(LAB_SETTINGS))
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(dirs["config"]),
            JUPYTER_DATA_DIR=str(dirs["data"]),
            JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
            JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
            JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
            JUPYTER_PLATFORM_DIRS="1",
            PYDEVD_DISABLE_FILE_VALIDATION="1",
            MPLBACKEND="module://matplotlib_inline.backend_inline",
        )
        env.update(extra)
        return env

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "jupyter", "lab",
            "--no-browser",
            "--allow-root",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={self.root_dir}",
            "--ServerApp.open_browser=False",
            "--ServerApp.disable_check_xsrf=True",  # lets the fixture end kernels over the REST API
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",  # no package index queries
        ]

    def start(self) -> "LabServer":
        log = open(self.log_path, "wb")
        try:
            self.proc = subprocess.Popen(
                self.command(), cwd=self.root_dir, env=self.env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        finally:
            log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base_url + "/api/status", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"JupyterLab did not answer within {SERVER_TIMEOUT_S} s:\n{self.log_tail()}")

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """SIGTERM the server's process group, wait, then SIGKILL; then end any kernel it left.

        Kernels run in sessions of their own (so a group signal does not reach them). The server
        shuts them down on SIGTERM; a kernel still alive afterwards is ended by its own PID.
        """
        proc, self.proc = self.proc, None
        if proc is None:
            return
        kernels = self._kernel_pids(proc.pid)
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        for pid in kernels:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if not self._is_our_kernel(pid):
                    break
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    break
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline and self._is_our_kernel(pid):
                    time.sleep(0.1)

    def _is_our_kernel(self, pid: int) -> bool:
        """True while ``pid`` is a live kernel with a connection file in this server's runtime dir."""
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        return state != "Z" and str(self.scratch / "runtime") in cmdline

    def _kernel_pids(self, server_pid: int) -> list[int]:
        """PIDs of the kernels this server started (its children holding our runtime dir)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == server_pid and self._is_our_kernel(int(entry.name)):
                pids.append(int(entry.name))
        return pids

    def api(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(self.base_url + path, method=method)
        with urllib.request.urlopen(request, timeout=10) as reply:
            body = reply.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """End every kernel session (keeps the 2-core machine free between scenarios)."""
        for session in self.api("/api/sessions"):
            self.api(f"/api/sessions/{session['id']}", method="DELETE")

    def url(self, notebook: str) -> str:
        # ?reset: a fresh workspace, so only this notebook opens.
        return f"{self.base_url}/lab/tree/{notebook}?reset"


def copy_notebooks(repo: Path, dest: Path, folders: tuple[str, ...] = ("lessons", "exercises")) -> None:
    """Copy the notebook folders into ``dest`` (tests work on the copy, never the repository)."""
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    for folder in folders:
        src = repo / folder
        if src.is_dir():
            shutil.copytree(src, dest / folder, ignore=ignore, dirs_exist_ok=True)
        else:
            (dest / folder).mkdir(parents=True, exist_ok=True)


# --------------------------------------------------------------------------- a learner's gestures
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
CODE_CELLS = f"{NOTEBOOK} .jp-CodeCell"


def open_notebook(page: Any, server: LabServer, notebook: str) -> None:
    """Open one notebook in a fresh workspace; wait until all its cells show and its kernel is idle."""
    if not (server.root_dir / notebook).is_file():
        raise AssertionError(f"{notebook} does not exist in the repository (the browser tests open it)")
    n_cells = len(server.api(f"/api/contents/{notebook}")["content"]["cells"])
    page.goto(server.url(notebook), timeout=LOAD_MS)
    page.wait_for_function(
        """([sel, n]) => document.querySelectorAll(sel).length === n""",
        arg=[f"{NOTEBOOK} .jp-Cell", n_cells],
        timeout=LOAD_MS,
    )
    dismiss_dialogs(page)
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Spinner", state="detached", timeout=LOAD_MS)
    wait_kernel_idle(page)
    collapse_left_sidebar(page)


def collapse_left_sidebar(page: Any) -> None:
    """Give the notebook the full width (what a learner does on a small screen)."""
    current = page.locator("#jp-left-stack:not(.lm-mod-hidden)")
    if current.count():
        page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()
        current.wait_for(state="detached", timeout=SHORT_MS)


def dismiss_dialogs(page: Any) -> None:
    """Close a kernel-selection or other modal dialog if one is up (selects its default)."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        page.locator(".jp-Dialog .jp-mod-accept").first.click()
        dialog.wait_for(state="detached", timeout=SHORT_MS)


def wait_kernel_idle(page: Any, timeout: int = LOAD_MS) -> None:
    """Wait for the notebook's kernel indicator to read idle."""
    page.wait_for_function(
        """() => {
            const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
            const name = panel && panel.querySelector('.jp-KernelName');
            const status = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator');
            return name && /Python/.test(name.textContent)
                && status && status.getAttribute('data-status') === 'idle';
        }""",
        timeout=timeout,
    )


def menu(page: Any, name: str, command: str) -> None:
    """Open a main-menu menu by its label and click the item bound to ``command``."""
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=name).first.click()
    page.locator(f'.lm-Menu-item[data-command="{command}"]').click()


_CELLS_JS = "[...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')]"
_PROMPT_JS = "(cell => cell.querySelector('.jp-InputArea-prompt').textContent)"
_SOURCE_JS = "(cell => [...cell.querySelectorAll('.cm-line')].map(l => l.textContent).join('\\n').trim())"


def run_all_cells(page: Any, timeout: int = RUN_MS) -> None:
    """Edit → Clear Outputs of All Cells, then Run → Run All Cells, as a learner would; wait
    until every non-empty code cell has run. A cell that raised fails with its traceback.

    Clearing first makes "has an execution count" mean "ran now" (stored notebooks carry the
    counts of their last run) and removes saved widget views, so any widget found is live.
    """
    menu(page, "Edit", "editmenu:clear-all")
    page.wait_for_function(
        f"() => {_CELLS_JS}.every(c => !/\\d/.test({_PROMPT_JS}(c)))", timeout=SHORT_MS)
    menu(page, "Run", "runmenu:run-all")
    page.wait_for_function(
        f"""() => {_CELLS_JS}.some(c => /\\[\\d+\\]/.test({_PROMPT_JS}(c)))
                 && {_CELLS_JS}.every(c => !{_PROMPT_JS}(c).includes('*'))""",
        timeout=timeout,
    )
    wait_kernel_idle(page, timeout)
    not_run = page.evaluate(
        f"""() => {_CELLS_JS}.map((c, i) => [i, {_PROMPT_JS}(c), {_SOURCE_JS}(c)])
                 .filter(([i, prompt, src]) => src && !/\\[\\d+\\]/.test(prompt)).map(([i]) => i)"""
    )
    if not_run:
        errors = page.locator(
            f'{NOTEBOOK} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        detail = errors.first.inner_text() if errors.count() else "(no error output shown)"
        raise AssertionError(f"Run All Cells stopped: code cells {not_run} did not run.\n{detail}")


def cell_sources(page: Any) -> list[str]:
    """The text of every code cell editor, in order."""
    return page.eval_on_selector_all(
        f"{CODE_CELLS} .cm-content",
        "els => els.map(e => [...e.querySelectorAll('.cm-line')].map(l => l.textContent).join('\\n'))",
    )


def type_into_cell(page: Any, cell: Any, text: str) -> None:
    """Click a code cell's editor, select all, type ``text`` (really typed) and check it landed."""
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text, delay=5)
    typed = editor.evaluate(
        "e => [...e.querySelectorAll('.cm-line')].map(l => l.textContent).join('\\n')"
    )
    assert typed == text, f"the editor holds {typed!r} after typing {text!r}"


def run_cell_with_shift_enter(page: Any, cell: Any) -> None:
    """Shift+Enter in the cell being edited; wait for its new execution count and an idle kernel."""
    prompt = cell.locator(".jp-InputArea-prompt")
    before = prompt.text_content()
    page.keyboard.press("Shift+Enter")
    page.wait_for_function(
        """([el, before]) => el.textContent !== before && /\\[\\d+\\]/.test(el.textContent)""",
        arg=[prompt.element_handle(), before],
        timeout=RUN_MS,
    )
    wait_kernel_idle(page, RUN_MS)


def append_code_cell(page: Any) -> Any:
    """An empty code cell at the end of the notebook: the trailing empty one that Shift+Enter on
    the last cell leaves, or a new one (click the last cell's prompt, Esc, B)."""
    cells = page.locator(f"{NOTEBOOK} .jp-Cell")
    count = cells.count()
    last = cells.nth(count - 1)
    if "jp-CodeCell" in (last.get_attribute("class") or "") and not last.locator(".cm-content").inner_text().strip():
        return last
    last.locator(".jp-InputArea-prompt").click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length > n",
        arg=[f"{NOTEBOOK} .jp-Cell", count],
        timeout=SHORT_MS,
    )
    return cells.nth(count)


def screenshot(page: Any, directory: Path, name: str, target: Any = None) -> Path:
    """Save a PNG of the page, or of one element, as a test artifact and return its path.

    An element taller than the window is shown scrolled into view in a page screenshot (the
    notebook scrolls inside its own panel, so a stitched element screenshot would be garbled).
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    if target is not None:
        target.scroll_into_view_if_needed()
        box = target.bounding_box()
        if box and box["height"] <= page.viewport_size["height"] - 120:
            target.screenshot(path=str(path))
            return path
    page.screenshot(path=str(path))
    return path


def shutdown_kernels_and_open(page: Any, server: LabServer, notebook: str) -> None:
    """Free the machine from the previous scenario's kernels, then open ``notebook``."""
    server.shutdown_kernels()
    open_notebook(page, server, notebook)


def wait_figure_settled(page: Any, figure: Any, quiet_ms: int = 600, timeout: int = RUN_MS) -> None:
    """Wait until a live figure has stopped redrawing: kernel idle, image and readout unchanged.

    A slider sends one update per key press; each redraw sets the readout first and the image
    second, and the kernel is briefly idle between updates. So "settled" means: idle, and
    neither the image nor the readout changed for ``quiet_ms``.
    """
    page.wait_for_function(
        """([fig, quiet]) => {
            const img = fig.querySelector('.widget-output img');
            const readout = fig.querySelector('.lossedu-readout');
            const status = document.querySelector(
                '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator');
            const now = performance.now();
            const state = [img && img.getAttribute('src'), readout && readout.innerText,
                           status && status.getAttribute('data-status')].join('|');
            const last = window.__losseduSettle;
            if (!last || last.state !== state) {
                window.__losseduSettle = {state: state, since: now};
                return false;
            }
            return status.getAttribute('data-status') === 'idle' && now - last.since >= quiet;
        }""",
        arg=[figure.element_handle(), quiet_ms],
        polling=100,
        timeout=timeout,
    )
