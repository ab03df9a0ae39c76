"""The forked sandbox: limits, isolation, and a batch that one bad child cannot stop or skew."""
from __future__ import annotations

import os

import pytest

from lossedu.grading.engine import CRASHED, MEMORY, OK, TIMEOUT, classify
from lossedu.grading.harness import Channel, reference_names, transform
from lossedu.grading.sandbox import Limits, Scheduler

LIMITS = Limits(timeout=3, memory_mb=300, drop_privileges=False)


def run_all(snippets: dict[str, str], jobs: int = 2, limits: Limits = LIMITS) -> dict:
    """Run each snippet in a sandboxed child; it has ``ch`` (the channel) and ``np``."""
    reports = {}
    scheduler = Scheduler(jobs)
    for name, code in snippets.items():
        def target(fd, code=code):
            import numpy as np

            ch = Channel(fd)
            ch.send({"type": "cell", "i": 0})
            try:
                exec(code, {"ch": ch, "np": np, "os": os})
            except MemoryError:
                ch.send({"type": "error", "i": 0, "error": "MemoryError", "message": ""})
            ch.send({"type": "done"})
        scheduler.submit(target, lambda rep, name=name: reports.__setitem__(name, rep), limits=limits)
    scheduler.run()
    return reports


def test_each_failure_gets_its_own_outcome_and_the_rest_run(tmp_path):
    outside = tmp_path / "outside.txt"
    reports = run_all({
        "good1": "ch.send({'type': 'answer', 'pid': 'a', 'answer': {'t': 'int', 'v': 1}})",
        "loop": "while True: pass",
        "memory": "x = bytearray(2 * 1024**3)",
        "exit": "os._exit(0)",
        "flood": "while True: ch.send({'type': 'spam', 'v': 'y' * 10000})",
        "garbage": "os.write(199, b'not json\\n{\"no_type\": 1}\\n[1,2]\\n')",
        "good2": "print('hello')",
    })
    assert len(reports) == 7
    outcomes = {name: classify(rep, LIMITS)[0] for name, rep in reports.items()}
    assert outcomes == {"good1": OK, "loop": TIMEOUT, "memory": MEMORY, "exit": CRASHED, "flood": CRASHED,
                        "garbage": OK, "good2": OK}
    assert reports["good1"].messages[1] == {"type": "answer", "pid": "a", "answer": {"t": "int", "v": 1}}
    assert reports["good2"].stdout == "hello\n"
    assert reports["garbage"].bad_lines == 3
    assert reports["flood"].overflow
    assert "time limit of 3 s in cell 0" in classify(reports["loop"], LIMITS)[1]
    assert not outside.exists()


def test_processes_signals_and_writes_outside_are_refused(tmp_path):
    outside = tmp_path / "outside.txt"
    reports = run_all({
        "fork": "os.fork()",
        "subprocess": "import subprocess; subprocess.run(['true'])",
        "kill": "import signal; os.kill(os.getppid(), signal.SIGKILL)",
        "write": f"open({str(outside)!r}, 'w').write('x')",
        "pathlib": f"import pathlib; pathlib.Path({str(outside)!r}).write_text('x')",
        "remove": f"os.remove({str(tmp_path)!r})",
        "local": "open('mine.txt', 'w').write('ok'); ch.send({'type': 'read', 'v': open('mine.txt').read()})",
    })
    for name in ("fork", "subprocess", "kill", "write", "pathlib", "remove"):
        assert "PermissionError" in reports[name].stderr, name
    assert {"type": "read", "v": "ok"} in reports["local"].messages
    assert not outside.exists() and tmp_path.exists()


def test_huge_output_is_capped_and_truncated():
    reports = run_all({"huge": "print('x' * 50_000_000)", "many": "for i in range(30000): print(i)"},
                      limits=Limits(timeout=3, memory_mb=600, file_mb=4, output_bytes=1000, drop_privileges=False))
    assert "File too large" in reports["huge"].stderr
    assert reports["many"].stdout.startswith("0\n1\n2\n")
    assert reports["many"].stdout.endswith("[... output truncated]")
    assert len(reports["many"].stdout) < 1100


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


def test_direct_posix_fork_is_refused_too():
    reports = run_all({"posix": "import posix; posix.fork()"})
    assert "PermissionError" in reports["posix"].stderr


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
