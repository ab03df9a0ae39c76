"""The capstone's design task graded as homework: four submissions, each short in one part.

The notebooks derive every answer from ``ex[...].params`` with NumPy (the noise-aware loss
q = rho + (1 - 2 rho) sigma(z), trained by gradient descent, cut at the cost threshold
c_fp / (c_fp + c_fn)), so their scores follow from what each one hands in:

* ``right``: all three parts right                                  2 + 1 + 3 = 6 points
* ``wronggrad``: the gradient misses the factor (1 - 2 rho)          0 + 1 + 3 = 4 (the factor only rescales
  the step, so training still reaches the same model)
* ``unstable``: sigma(z) as 1 / (1 + exp(-z)) overflows at z = -800  0 + 1 + 3 = 4
* ``costly``: plain BCE thresholded at 1/2                           2 + 1 + 0 = 3
"""
from __future__ import annotations

import csv
import json

from lossedu import problems
from lossedu.grading import grade
from test_grading_helpers import write

SETUP = "import numpy as np\nimport lossedu\nex = lossedu.session(6, homework=True)\np = ex['cap.design_loss'].params"
STABLE_SIGMOID = "def sig(z):\n    return np.exp(-np.logaddexp(0.0, -z))"
NAIVE_SIGMOID = "def sig(z):\n    return 1.0 / (1.0 + np.exp(-z))"
NOISE_AWARE = """
rho = p['rho']
def my_loss(y, z):
    return -(y * np.log(rho + (1 - 2 * rho) * sig(z)) + (1 - y) * np.log(rho + (1 - 2 * rho) * sig(-z)))
def my_grad(y, z):
    q, not_q = rho + (1 - 2 * rho) * sig(z), rho + (1 - 2 * rho) * sig(-z)
    return -(y / q - (1 - y) / not_q) * FACTOR * sig(z) * sig(-z)
def prob(z):
    return rho + (1 - 2 * rho) * sig(z)
"""
PLAIN_BCE = """
def my_loss(y, z):
    return np.logaddexp(0.0, z) - y * z
def my_grad(y, z):
    return sig(z) - y
def prob(z):
    return sig(z)
"""
TRAIN = """
ex['cap.design_loss'].check((my_loss, my_grad))
t = p['c_fp'] / (p['c_fp'] + p['c_fn'])
ex['cap.design_threshold'].check(t)
A = np.column_stack([p['X'], np.ones(len(p['y']))])
theta = np.zeros(3)
for _ in range(3000):
    theta = theta - 1.0 * (A.T @ my_grad(p['y'], A @ theta) / len(p['y']) + 1e-3 * np.r_[theta[:2], 0.0])
def predict(X):
    return (prob(X @ theta[:2] + theta[2]) > CUT).astype(float)
ex['cap.design_classifier'].check(predict)
"""
SUBMISSIONS = {
    "right": [SETUP, STABLE_SIGMOID, NOISE_AWARE.replace("FACTOR", "(1 - 2 * rho)"), TRAIN.replace("CUT", "t")],
    "wronggrad": [SETUP, STABLE_SIGMOID, NOISE_AWARE.replace("FACTOR", "1.0"), TRAIN.replace("CUT", "t")],
    "unstable": [SETUP, NAIVE_SIGMOID, NOISE_AWARE.replace("FACTOR", "(1 - 2 * rho)"), TRAIN.replace("CUT", "t")],
    "costly": [SETUP, STABLE_SIGMOID, PLAIN_BCE, TRAIN.replace("CUT", "0.5")],
}
DESIGN = ("cap.design_loss", "cap.design_threshold", "cap.design_classifier")
EXPECTED = {"right": (2, 1, 3), "wronggrad": (0, 1, 3), "unstable": (0, 1, 3), "costly": (2, 1, 0)}


def test_four_design_submissions_get_the_expected_scores(tmp_path):
    subs = tmp_path / "subs"
    for student, cells in SUBMISSIONS.items():
        write(subs, f"{student}.ipynb", cells)
    grade([subs], tmp_path / "out", jobs=2, timeout=60, sessions=(6,), seed=77)
    with open(tmp_path / "out" / "gradebook.csv", newline="", encoding="utf-8") as handle:
        book = {row["student"]: row for row in csv.DictReader(handle)}
    earned = {s: tuple(float(book[s][pid]) for pid in DESIGN) for s in SUBMISSIONS}
    assert earned == {s: tuple(float(v) for v in e) for s, e in EXPECTED.items()}
    assert {s: float(book[s]["total"]) for s in SUBMISSIONS} == {"right": 6, "wronggrad": 4, "unstable": 4, "costly": 3}
    assert float(book["right"]["max"]) == sum(p.points for p in problems.session_problems(6))
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    got = {(r["student"], r["problem"]): r["result"] for r in results["results"]}
    assert got[("wronggrad", "cap.design_loss")]["diagnosis"] == "factor"
    assert "slope of your own loss" in got[("wronggrad", "cap.design_loss")]["message"]
    assert got[("unstable", "cap.design_loss")]["diagnosis"] == "unstable"
    costly = got[("costly", "cap.design_classifier")]
    assert costly["status"] == "incorrect" and costly["score"] == 0
    assert "threshold" in costly["message"]
    assert {s["outcome"] for s in results["submissions"]} == {"ok"}
