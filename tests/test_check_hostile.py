"""Hostile and garbage answers: `check` answers quickly, never raises, never executes anything."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lossedu
from lossedu.checking import judge
from lossedu.result import STATUSES

FAST = 1.0  # seconds: a refused answer must come back well within this


@pytest.fixture
def sentinel(tmp_path):
    path = tmp_path / "pwned"
    yield path
    assert not path.exists(), "a hostile answer executed code"


def hostile_texts(path) -> list[str]:
    return [
        f"__import__('os').system('touch {path}')",
        f"open('{path}', 'w')",
        "exec(\"__import__('os').system('touch x')\")",
        "9**9**9", "10**10**10", "2**(2**(2**64))", "x" * 100_000, "y" * 100_000,
        "(" * 5000 + "y" + ")" * 5000, "-" * 10_000 + "y",
        "lambda: 0", "yhat.__class__", "y.__class__.__mro__[1].__subclasses__()",
        "[y for y in ()]", "{}", "f'{y}'", "y if y else yhat", "sympify('y')", "eval('1')",
        "\x00", "yhat; import os", "import os", "y := 3", "yhat[0]",
    ]


@pytest.mark.parametrize("index", range(len(hostile_texts("p"))))
def test_hostile_text_is_invalid_fast_and_harmless(sentinel, index):
    text = hostile_texts(sentinel)[index]
    start = time.perf_counter()
    r = lossedu.check("grad.mse", text)
    assert time.perf_counter() - start < FAST
    assert r.status == "invalid", (text[:40], r)
    assert r.message


@pytest.mark.parametrize("answer", [
    lambda y, yhat: yhat - y, object(), b"yhat - y", {"a": 1}, {1, 2}, 3 + 4j, float("nan"),
    float("inf"), 10**100, True, sp.Function("f")(sp.Symbol("y")), sp.Symbol("q"),
    sp.Derivative(sp.Symbol("y") ** 2, sp.Symbol("y")), sp.Integral(sp.Symbol("y"), sp.Symbol("y")),
    sp.Matrix([1, 2]), type, np.array([[1.0]]), sp.Eq(sp.Symbol("y"), 1),
])
def test_hostile_objects_are_invalid(answer):
    start = time.perf_counter()
    r = lossedu.check("grad.mse", answer)
    assert time.perf_counter() - start < FAST
    assert r.status == "invalid", r


def test_bad_problem_student_and_attempt():
    assert lossedu.check("no.such.problem", "1").status == "invalid"
    assert lossedu.check(["grad.mse"], "1").status == "invalid"
    assert lossedu.check("grad.mse", "yhat - y", student=3).status == "invalid"
    assert lossedu.check("grad.mse", "yhat - y", attempt=-1).status == "invalid"
    assert lossedu.check_steps("grad.mse", object()).status == "invalid"


ANSWERS = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=60),
              st.binary(max_size=20), st.builds(object), st.complex_numbers(allow_nan=False),
              st.sampled_from(["yhat - y", "sigmoid(z)", "Piecewise((1, y > 0), (0, True))", "b", "0.5"])),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
    max_leaves=8,
)
PIDS = ["grad.mse", "grad.hinge", "grad.softmax_ce", "example.bce_logit", "choice.nll",
        "impl.bce_with_logits", "grad.linreg_risk"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pid=st.sampled_from(PIDS), answer=ANSWERS)
def test_check_never_raises(pid, answer):
    r = lossedu.check(pid, answer)
    assert r.status in STATUSES and 0.0 <= r.score <= 1.0
    r = lossedu.check_steps(pid, answer)
    assert r.status in STATUSES


# ---------------------------------------------------------------------------- time limits
def _slow(*args, **kwargs):
    time.sleep(30)


def test_symbolic_timeout_is_undecided(monkeypatch):
    monkeypatch.setattr(judge, "_is_zero", _slow)
    monkeypatch.setattr(judge, "_PROVED", {})  # no remembered proof of this answer
    start = time.perf_counter()
    r = lossedu.check("grad.bce_logit", "exp(z)/(1 + exp(z)) - y")
    elapsed = time.perf_counter() - start
    assert r.status == "undecided" and "not marked wrong" in r.message
    assert elapsed < judge.HARD_LIMIT + 0.5


def test_whole_check_timeout_is_undecided(monkeypatch):
    monkeypatch.setattr(judge, "judge_expression", _slow)
    start = time.perf_counter()
    r = lossedu.check("grad.mse", "yhat - y")
    assert r.status == "undecided"
    assert time.perf_counter() - start < judge.HARD_LIMIT + 0.5


def test_timeout_off_the_main_thread(monkeypatch):
    monkeypatch.setattr(judge, "judge_expression", _slow)
    box = []
    worker = threading.Thread(target=lambda: box.append(lossedu.check("grad.mse", "yhat - y")))
    start = time.perf_counter()
    worker.start()
    worker.join(judge.HARD_LIMIT + 2)
    assert box and box[0].status == "undecided"
    assert time.perf_counter() - start < judge.HARD_LIMIT + 0.5


def test_a_looping_learner_function_is_stopped():
    def forever(y, z):
        while True:
            pass

    start = time.perf_counter()
    r = lossedu.check("impl.bce_with_logits", forever)
    assert r.status == "incorrect" and "did not return" in r.message  # its own fault, not the checker's
    assert time.perf_counter() - start < judge.HARD_LIMIT + 0.5


@pytest.mark.parametrize("catcher", ["inner", "outer", "sleeping"])
def test_a_function_that_swallows_the_timeout_cannot_hold_check(catcher):
    """Whatever the learner's code catches, check returns within its budget. (The functions loop
    until the test is over, so that their threads do not spin on through the rest of the suite.)"""
    over = threading.Event()

    def inner(y, z):
        while not over.is_set():
            try:
                sum(range(10_000))
            except BaseException:  # noqa: BLE001 - the point of the test
                pass

    def outer(y, z):
        for _ in range(10**12):
            try:
                while not over.is_set():
                    sum(range(1_000))
                return z
            except BaseException:  # noqa: BLE001
                continue

    def sleeping(y, z):
        while not over.is_set():
            try:
                time.sleep(0.01)
            except BaseException:  # noqa: BLE001
                pass

    fn = {"inner": inner, "outer": outer, "sleeping": sleeping}[catcher]
    lossedu.check("impl.bce_with_logits", lambda y, z: z)  # tables built before the clock
    try:
        start = time.perf_counter()
        r = lossedu.check("impl.bce_with_logits", fn)
        assert time.perf_counter() - start < judge.HARD_LIMIT + 0.5
        assert r.status == "incorrect" and "did not return" in r.message, r
    finally:
        over.set()


def test_alarm_is_restored_after_a_check():
    import signal

    before = signal.getsignal(signal.SIGALRM)
    lossedu.check("grad.bce_logit", "sigmoid(z) - y")
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
