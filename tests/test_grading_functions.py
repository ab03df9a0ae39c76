"""Implementation answers: run in the sandbox on inputs the grader drew, judged from outputs only."""
from __future__ import annotations

import csv
import json

from lossedu.grading import grade
from test_grading_helpers import HONEST, install_function_problem, write

STABLE = "import numpy as np\ndef my_bce(y, z):\n    return np.logaddexp(0.0, z) - y * z\nex.q6.check(my_bce)"
NAIVE = ("import numpy as np\ndef my_bce(y, z):\n    p = 1 / (1 + np.exp(-z))\n"
         "    return -(y * np.log(p) + (1 - y) * np.log(1 - p))\nex.q6.check(my_bce)")
LIBRARY = "from lossedu.losses import bce_with_logits\ndef my_bce(y, z):\n    return bce_with_logits(y, z)\nex.q6.check(my_bce)"
HIDDEN = ("import lossedu\nimport numpy as np\ndef helper(y, z):\n    return lossedu.losses.bce_with_logits(y, z)\n"
          "def my_bce(y, z):\n    return helper(y, z)\nex.q6.check(my_bce)")
SCIPY = ("import numpy as np\nfrom scipy.special import log_expit\ndef my_bce(y, z):\n"
         "    return -(y * log_expit(z) + (1 - y) * log_expit(-z))\nex.q6.check(my_bce)")
OWN_SIGMOID = ("import numpy as np\ndef sigmoid(z):\n    return np.exp(-np.logaddexp(0.0, -z))\n"
               "def my_bce(y, z):\n    return np.logaddexp(0.0, z) - y * z + 0 * sigmoid(z)\nex.q6.check(my_bce)")
LOOPS = "def my_bce(y, z):\n    while z.size > 0:\n        pass\n    return z\nex.q6.check(my_bce)"
STUB = "def my_bce(y, z):\n    ...\nex.q6.check(my_bce)"
THEN_CRASH = STABLE + "\nimport os\nos._exit(1)"


def test_function_answers_are_judged_from_outputs(tmp_path, monkeypatch):
    install_function_problem(monkeypatch)
    subs = tmp_path / "subs"
    for name, cell in {"stable": STABLE, "naive": NAIVE, "library": LIBRARY, "hidden": HIDDEN, "scipy": SCIPY,
                       "own": OWN_SIGMOID, "loops": LOOPS, "stub": STUB, "crash": THEN_CRASH}.items():
        write(subs, f"{name}.ipynb", [*HONEST, cell])
    summary = grade([subs], tmp_path / "out", jobs=2, timeout=6, memory_mb=400, sessions=(1,), call_budget=0.5)
    with open(tmp_path / "out" / "gradebook.csv", newline="", encoding="utf-8") as handle:
        book = {row["student"]: row for row in csv.DictReader(handle)}
    assert {s: row["test.bce_fn"] for s, row in book.items()} == {
        "stable": "2", "own": "2", "crash": "2", "naive": "0", "library": "0", "hidden": "0", "scipy": "0",
        "loops": "0", "stub": "0"}
    assert book["stable"]["max"] == "7"
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    fn = {r["student"]: r["result"] for r in results["results"] if r["problem"] == "test.bce_fn"}
    for cheat in ("library", "hidden", "scipy"):
        assert fn[cheat]["diagnosis"] == "reference", cheat
    assert fn["naive"]["diagnosis"] == "unstable"
    assert "TimeoutError" in fn["loops"]["message"]
    assert fn["stub"]["status"] == "unattempted"
    outcomes = {s["student"]: s["outcome"] for s in results["submissions"]}
    assert outcomes["crash"] == "crashed" and outcomes["loops"] == "ok"
    assert summary.seed == results["seed"]


def test_a_regrade_with_the_same_seed_is_identical(tmp_path, monkeypatch):
    install_function_problem(monkeypatch)
    subs = tmp_path / "subs"
    write(subs, "stable.ipynb", [*HONEST, STABLE])
    write(subs, "naive.ipynb", [*HONEST, NAIVE])
    first = grade([subs], tmp_path / "a", jobs=2, timeout=6, sessions=(1,), seed=1234)
    second = grade([subs], tmp_path / "b", jobs=2, timeout=6, sessions=(1,), seed=1234)
    assert first.seed == second.seed == 1234
    a = json.loads((tmp_path / "a" / "results.json").read_text())["results"]
    b = json.loads((tmp_path / "b" / "results.json").read_text())["results"]
    assert a == b
