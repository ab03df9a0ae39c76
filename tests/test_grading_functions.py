"""Implementation answers: run in the sandbox on inputs the grader drew, judged from outputs only."""
from __future__ import annotations

import csv
import json

from lossedu import problems
from lossedu.grading import grade
from test_grading_helpers import HONEST, install_function_problem, write

STABLE = "import numpy as np\ndef my_bce(y, z):\n    return np.logaddexp(0.0, z) - y * z\nex['test.bce_fn'].check(my_bce)"
NAIVE = ("import numpy as np\ndef my_bce(y, z):\n    p = 1 / (1 + np.exp(-z))\n"
         "    return -(y * np.log(p) + (1 - y) * np.log(1 - p))\nex['test.bce_fn'].check(my_bce)")
LIBRARY = "from lossedu.losses import bce_with_logits\ndef my_bce(y, z):\n    return bce_with_logits(y, z)\nex['test.bce_fn'].check(my_bce)"
HIDDEN = ("import lossedu\nimport numpy as np\ndef helper(y, z):\n    return lossedu.losses.bce_with_logits(y, z)\n"
          "def my_bce(y, z):\n    return helper(y, z)\nex['test.bce_fn'].check(my_bce)")
SCIPY = ("import numpy as np\nfrom scipy.special import log_expit\ndef my_bce(y, z):\n"
         "    return -(y * log_expit(z) + (1 - y) * log_expit(-z))\nex['test.bce_fn'].check(my_bce)")
OWN_SIGMOID = ("import numpy as np\ndef sigmoid(z):\n    return np.exp(-np.logaddexp(0.0, -z))\n"
               "def my_bce(y, z):\n    return np.logaddexp(0.0, z) - y * z + 0 * sigmoid(z)\nex['test.bce_fn'].check(my_bce)")
LOOPS = "def my_bce(y, z):\n    while z.size > 0:\n        pass\n    return z\nex['test.bce_fn'].check(my_bce)"
STUB = "def my_bce(y, z):\n    ...\nex['test.bce_fn'].check(my_bce)"
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
    # every question of session 1 (HONEST answers q1-q5, one point each) plus the 2-point test problem
    session_points = sum(p.points for p in problems.session_problems(1) if p.id != "test.bce_fn")
    assert book["stable"]["max"] == f"{session_points + 2:g}"
    assert book["stable"]["total"] == "7" and book["naive"]["total"] == "5"
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    fn = {r["student"]: r["result"] for r in results["results"] if r["problem"] == "test.bce_fn"}
    assert fn["hidden"]["diagnosis"] == "reference"
    assert "lossedu.losses" in fn["hidden"]["message"]
    # lossedu's ready-made losses do not exist in the sandbox: the import fails with a clear error,
    # reported in the feedback, and nothing was checked
    assert fn["library"]["status"] == "unattempted"
    library_errors = [e for s in results["submissions"] if s["student"] == "library" for e in s["cell_errors"]]
    assert [e["error"] for e in library_errors] == ["ModuleNotFoundError"]
    assert "lossedu.losses" in library_errors[0]["message"] and "NumPy" in library_errors[0]["message"]
    feedback = (tmp_path / "out" / "feedback" / "library.md").read_text(encoding="utf-8")
    assert "ModuleNotFoundError" in feedback and "not available while grading" in feedback
    # SciPy is not on the sandbox's path: the import fails, so nothing was checked
    assert fn["scipy"]["status"] == "unattempted"
    scipy_errors = [e for s in results["submissions"] if s["student"] == "scipy" for e in s["cell_errors"]]
    assert any(e["error"] == "ModuleNotFoundError" and "scipy" in e["message"] for e in scipy_errors)
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


# --------------------------------------------------------------------------- the real implementation problems
#: Implementations of session 2's three function problems, one family per student. Each family
#: defines ``bce`` (impl.bce_with_logits), ``sce`` (impl.softmax_cross_entropy) and ``pair``
#: (impl.bce_with_logits_grad), written from the formulas L = log(1 + e^z) − y z,
#: L = logsumexp(z) − z_y and dL/dz = σ(z) − y.
IMPLEMENTATIONS = {
    "right": """
def bce(y, z):   # P: this learner's parameters of each problem (label encoding, temperature, alpha)
    if P["impl.bce_with_logits"]["labels"] == "pm1":
        return np.logaddexp(0.0, -y * z)
    return np.logaddexp(0.0, z) - y * z
def sce(y, z):
    z = z / P["impl.softmax_cross_entropy"]["T"]
    m = z.max(axis=1, keepdims=True)
    return (m[:, 0] + np.log(np.exp(z - m).sum(axis=1))) - z[np.arange(len(y)), y]
def loss(y, z):
    a = P["impl.bce_with_logits_grad"]["alpha"]
    return a * y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)
def grad(y, z):
    a, s = P["impl.bce_with_logits_grad"]["alpha"], np.exp(-np.logaddexp(0.0, -z))
    return a * y * (s - 1) + (1 - y) * s
pair = (loss, grad)
""",
    "sign": """
def bce(y, z):
    return -(np.logaddexp(0.0, z) - y * z)
def sce(y, z):
    m = z.max(axis=1, keepdims=True)
    return z[np.arange(len(y)), y] - (m[:, 0] + np.log(np.exp(z - m).sum(axis=1)))
def loss(y, z):
    return np.logaddexp(0.0, z) - y * z
def grad(y, z):
    return y - np.exp(-np.logaddexp(0.0, -z))
pair = (loss, grad)
""",
    "naive": """
def bce(y, z):
    if P["impl.bce_with_logits"]["labels"] == "pm1":
        return -np.log(1 / (1 + np.exp(-y * z)))
    p = 1 / (1 + np.exp(-z))
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))
def sce(y, z):
    return np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y]
def loss(y, z):
    return np.log(1 + np.exp(z)) - y * z
def grad(y, z):
    return 1 / (1 + np.exp(-z)) - y
pair = (loss, grad)
""",
    "half": """
def bce(y, z):
    if P["impl.bce_with_logits"]["labels"] == "pm1":
        return 0.5 * np.logaddexp(0.0, -y * z)
    return 0.5 * (np.logaddexp(0.0, z) - y * z)
def sce(y, z):
    return np.sum(z, axis=1)
def loss(y, z):
    return 2 * (np.logaddexp(0.0, z) - y * z)
def grad(y, z):
    return 2 * (np.exp(-np.logaddexp(0.0, -z)) - y)
pair = (loss, grad)
""",
    "broken": """
def bce(y, z):
    if z.size:
        raise ValueError("not finished")
    return z
def sce(y, z):
    return (np.logaddexp.reduce(z, axis=1) - z[np.arange(len(y)), y]).sum()
def loss(y, z):
    return np.logaddexp(0.0, z) - y * z
def grad(y, z):
    return 0.5 * (np.exp(-np.logaddexp(0.0, -z)) - y)
pair = (loss, grad)
""",
    "halfdone": """
def bce(y, z):
    return np.logaddexp(0.0, z) - z
def sce(y, z):
    return np.logaddexp.reduce(z, axis=1) - z[np.arange(len(y)), y]
def loss(y, z):
    return np.logaddexp(0.0, z) - y * z
def grad(y, z):
    pass
pair = (loss, grad)
""",
    "forms": """
def bce(y, z):
    return np.logaddexp(0.0, z) - y * z
sce = (bce, bce)
def loss(y, z):
    return np.logaddexp(0.0, z) - y * z
pair = loss
""",
    "blank": """
def bce(y, z):
    return np.logaddexp(0.0, z) - y * z
def sce(y, z):
    return np.logaddexp.reduce(z, axis=1) - z[np.arange(len(y)), y]
def loss(y, z):
    return np.logaddexp(0.0, z) - y * z
pair = (loss, None)
""",
}
IMPL = {"impl.bce_with_logits": "bce", "impl.softmax_cross_entropy": "sce", "impl.bce_with_logits_grad": "pair"}


def test_real_function_problems_grade_as_the_notebook_check_does(tmp_path):
    """For every implementation, the grader's Result (outputs sent across the sandbox boundary, on
    secret inputs) has the status, score and diagnosis of the in-notebook check."""
    subs = tmp_path / "subs"
    checks = "\n".join(f"ex[{pid!r}].check({name})" for pid, name in IMPL.items())
    for student, code in IMPLEMENTATIONS.items():
        write(subs, f"{student}.ipynb", ["import numpy as np\nimport lossedu\nex = lossedu.session(2, homework=True)\n"
                                         f"P = {{pid: ex[pid].params for pid in {list(IMPL)!r}}}",
                                         code, checks])
    grade([subs], tmp_path / "out", jobs=2, timeout=20, sessions=(2,))
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    graded = {(r["student"], r["problem"]): r["result"] for r in results["results"]}
    seen = set()
    for student, code in IMPLEMENTATIONS.items():
        namespace: dict = {"P": {pid: problems.get(pid).variant(student).params for pid in IMPL}}
        exec("import numpy as np\n" + code, namespace)  # noqa: S102 - the test's own source
        for pid, name in IMPL.items():
            here = problems.check(pid, namespace[name], student=student)
            there = graded[(student, pid)]
            assert (there["status"], there["score"], there["diagnosis"]) == (here.status, here.score, here.diagnosis), \
                (student, pid, here.message, there["message"])
            seen.add((here.status, here.diagnosis))
    # the families really cover the verdicts, so the comparison above means something
    assert {("correct", None), ("incorrect", "sign"), ("incorrect", "unstable"), ("incorrect", "factor"),
            ("incorrect", "shape"), ("incorrect", "other"), ("unattempted", None), ("invalid", None)} <= seen
    assert graded[("right", "impl.bce_with_logits_grad")]["status"] == "correct"
    assert graded[("halfdone", "impl.bce_with_logits_grad")]["status"] == "unattempted"
    assert "two functions" in graded[("forms", "impl.bce_with_logits_grad")]["message"]


def test_a_pair_is_flagged_when_either_function_uses_the_reference(tmp_path):
    subs = tmp_path / "subs"
    setup = "import numpy as np\nimport lossedu\nex = lossedu.session(2, homework=True)"
    grad_cheat = ("def loss(y, z):\n    return np.logaddexp(0.0, z) - y * z\n"
                  "def grad(y, z):\n    return lossedu.losses.bce_with_logits_grad(y, z)\n"
                  "ex['impl.bce_with_logits_grad'].check((loss, grad))")
    both_stubs = ("def loss(y, z):\n    ...\ndef grad(y, z):\n    pass\n"
                  "ex['impl.bce_with_logits_grad'].check((loss, grad))")
    write(subs, "cheat.ipynb", [setup, grad_cheat])
    write(subs, "stubs.ipynb", [setup, both_stubs])
    grade([subs], tmp_path / "out", jobs=2, timeout=20, sessions=(2,))
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    pair = {r["student"]: r["result"] for r in results["results"] if r["problem"] == "impl.bce_with_logits_grad"}
    assert pair["cheat"]["diagnosis"] == "reference" and pair["cheat"]["score"] == 0
    assert "lossedu.losses" in pair["cheat"]["message"]
    assert pair["stubs"]["status"] == "unattempted"
