"""The sandbox runner: limits, isolation, and a batch that one bad run cannot stop or skew.

Runs go through the real zygotes of :mod:`lossedu.grading.isolation`: in the OS sandbox where it
can be created, and without it (``--no-sandbox``) to check the Python-level fences on their own.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from lossedu.grading import isolation
from lossedu.grading.engine import CRASHED, MEMORY, OK, TIMEOUT, classify
from lossedu.grading.harness import Channel, reference_names, transform
from lossedu.grading.sandbox import Limits, Scheduler

LIMITS = Limits(timeout=3, memory_mb=300, drop_privileges=False)
SANDBOX = isolation.unavailable_reason() is None
MODES = [pytest.param(True, marks=pytest.mark.skipif(not SANDBOX, reason="no OS sandbox here")), False]


def run_all(snippets: dict[str, str], limits: Limits = LIMITS, sandbox: bool = SANDBOX) -> dict:
    """Run each snippet as a one-cell notebook; fd 3 is its channel."""
    reports = {}
    with tempfile.TemporaryDirectory() as tmp:
        zygotes = isolation.start_zygotes(2, isolation.runtime_folder(Path(tmp)), sandbox, {"catalog": {}, "warm": []})
        try:
            scheduler = Scheduler(2, zygotes=zygotes)
            for name, code in snippets.items():
                job = {"cells": ["import os", code], "student": "tester", "catalog": {}, "inputs": {}, "budget": 1.0}
                scheduler.submit_job(job, lambda rep, name=name: reports.__setitem__(name, rep), limits)
            scheduler.run()
        finally:
            for zygote in zygotes:
                zygote.stop()
    return reports


@pytest.mark.parametrize("sandbox", MODES)
def test_each_failure_gets_its_own_outcome_and_the_rest_run(tmp_path, sandbox):
    outside = tmp_path / "outside.txt"
    reports = run_all({
        "good1": "os.write(3, b'{\"type\": \"answer\", \"pid\": \"a\", \"answer\": {\"t\": \"int\", \"v\": 1}}\\n')",
        "loop": "while True: pass",
        "memory": "x = bytearray(2 * 1024**3)",
        "exit": "os._exit(0)",
        "flood": "while True: os.write(3, b'{\"type\": \"spam\", \"v\": \"' + b'y' * 10000 + b'\"}\\n')",
        "garbage": "os.write(3, b'not json\\n{\"no_type\": 1}\\n[1,2]\\n')",
        "good2": "print('hello')",
    }, sandbox=sandbox)
    assert len(reports) == 7
    outcomes = {name: classify(rep, LIMITS)[0] for name, rep in reports.items()}
    assert outcomes == {"good1": OK, "loop": TIMEOUT, "memory": MEMORY, "exit": CRASHED, "flood": CRASHED,
                        "garbage": OK, "good2": OK}
    assert {"type": "answer", "pid": "a", "answer": {"t": "int", "v": 1}} in reports["good1"].messages
    assert reports["good2"].stdout == "hello\n"
    assert reports["garbage"].bad_lines == 3
    assert reports["flood"].overflow
    assert "time limit of 3 s" in classify(reports["loop"], LIMITS)[1]
    assert "os._exit" in classify(reports["exit"], LIMITS)[1]
    assert not outside.exists()


def _errors(report) -> list[str]:
    return [f"{m.get('error')}: {m.get('message')}" for m in report.messages if m.get("type") == "error"]


@pytest.mark.parametrize("sandbox", MODES)
def test_processes_signals_and_writes_outside_are_refused(tmp_path, sandbox):
    outside = tmp_path / "outside.txt"
    reports = run_all({
        "fork": "os.fork()",
        "subprocess": "import subprocess; subprocess.run(['true'])",
        "kill": "import signal; os.kill(os.getppid(), signal.SIGKILL)",
        "write": f"open({str(outside)!r}, 'w').write('x')",
        "pathlib": f"import pathlib; pathlib.Path({str(outside)!r}).write_text('x')",
        "remove": f"os.remove({str(tmp_path)!r})",
        "posix": "import posix; posix.fork()",
        "local": "open('mine.txt', 'w').write('ok'); print(open('mine.txt').read())",
    }, sandbox=sandbox)
    for name in ("fork", "subprocess", "kill", "posix"):
        assert any("PermissionError" in e for e in _errors(reports[name])), name
    for name in ("write", "pathlib", "remove"):  # the fence refuses; inside the sandbox the path does not even exist
        refused = ("PermissionError", "FileNotFoundError") if sandbox else ("PermissionError",)
        assert any(e.startswith(refused) for e in _errors(reports[name])), (name, _errors(reports[name]))
    assert reports["local"].stdout == "ok\n"
    assert not outside.exists() and tmp_path.exists()


def test_huge_output_is_capped_and_truncated():
    reports = run_all({"huge": "print('x' * 50_000_000)", "many": "for i in range(30000): print(i)"},
                      limits=Limits(timeout=5, memory_mb=600, file_mb=4, output_bytes=1000, drop_privileges=False))
    for name in ("huge", "many"):
        assert reports[name].stdout.endswith("[... output truncated]")
        assert len(reports[name].stdout) < 1100
    assert reports["many"].stdout.startswith("0\n1\n2\n")


@pytest.mark.skipif(not SANDBOX, reason="no OS sandbox here")
def test_inside_the_sandbox_nothing_of_the_grader_is_visible(tmp_path):
    import sys

    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret")
    reports = run_all({
        "look": (f"import os, sys\nprint(os.path.exists({str(secret)!r}), os.path.exists({str(Path.home())!r} + '/.bashrc'),"
                 f" os.path.exists({os.getcwd()!r}), os.listdir('/proc'), os.getpid())"),
        "net": "import socket\ns = socket.create_connection(('127.0.0.1', 22), timeout=1)",
        "paths": "import sys\nprint([p for p in sys.path if 'site' in p or 'lib' in p])",
    })
    assert reports["look"].stdout == "False False False [] 1\n"
    assert any("OSError" in e or "Error" in e for e in _errors(reports["net"]))
    assert sys.prefix not in reports["paths"].stdout  # the checkout's environment is not named inside


def test_grandchildren_are_killed_with_their_process_group():
    import time

    seen = {}

    def target(fd):  # trusted mode (no process blocking), same process-group clean-up
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        Channel(fd).send({"type": "child", "pid": pid})

    scheduler = Scheduler(1)
    scheduler.submit(target, lambda rep: seen.update(rep=rep), timeout=5)
    scheduler.run()
    grandchild = seen["rep"].messages[0]["pid"]
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        time.sleep(0.02)
    with pytest.raises(ProcessLookupError):
        os.kill(grandchild, 0)


def test_ipython_syntax_is_transformed_and_plain_code_untouched():
    assert transform("x = 1") == "x = 1"
    assert "get_ipython()" in transform("%matplotlib inline\nx = 1")
    assert "get_ipython()" in transform("!pip install foo")


def test_reference_detection_follows_helpers_but_not_own_names():
    import numpy as np
    from lossedu import losses

    scope = {"np": np, "losses": losses}
    exec("def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n"
         "def mine(y, z):\n    return np.logaddexp(0, z) - y * z + 0 * sigmoid(z)\n"
         "def helper(y, z):\n    return losses.bce_with_logits(y, z)\n"
         "def sneaky(y, z):\n    return helper(y, z)\n", scope)
    assert reference_names(scope["mine"]) == []
    assert reference_names(scope["sneaky"]) == ["losses (lossedu.losses)"]
    assert reference_names(losses.bce_with_logits)  # the library function itself


def test_numpy_reexported_by_a_reference_library_is_not_a_reference(monkeypatch):
    """SciPy's array-API layer re-exports NumPy (module and ufuncs); using NumPy stays allowed."""
    import sys
    import types

    import numpy as np
    import scipy.special

    compat = types.ModuleType("scipy._fake_array_api_compat")
    compat.numpy, compat.exp, compat.log1p = np, np.exp, np.log1p
    monkeypatch.setitem(sys.modules, compat.__name__, compat)
    scope = {"np": np, "exp": np.exp, "expit": scipy.special.expit}
    exec("def mine(y, z):\n    return np.log1p(exp(-abs(z))) + np.maximum(z, 0) - y * z\n"
         "def theirs(y, z):\n    return -np.log(expit(z))\n", scope)
    assert reference_names(scope["mine"]) == []
    [flag] = reference_names(scope["theirs"])
    assert flag.startswith("expit (scipy.special")
