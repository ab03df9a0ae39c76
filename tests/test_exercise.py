"""The notebook API (lossedu.exercise) against the real problem bank.

Gates are lifted here (tests/course_ci.toml); gating itself is tested in test_gates.py.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lossedu
from lossedu import exercise, problems
from lossedu.store import ProgressStore

CI_COURSE = Path(__file__).with_name("course_ci.toml")


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("LOSSEDU_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LOSSEDU_STUDENT", "alice")
    monkeypatch.setenv("LOSSEDU_COURSE", str(CI_COURSE))
    exercise.set_capture(None)
    yield
    exercise.set_capture(None)


def _bce(y, z):
    return np.logaddexp(0.0, z) - y * z


#: NumPy implementations, written independently of the bank: its references call lossedu.losses,
#: which gets no credit as an implementation answer.
def _weighted_pair(a: float):
    def loss(y, z):
        return a * y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)

    def grad(y, z):
        s = np.exp(-np.logaddexp(0.0, -z))
        return a * y * (s - 1) + (1 - y) * s

    return loss, grad


#: NumPy implementations for a variant's parameters, written independently of the bank.
NUMPY_ANSWERS = {
    "impl.bce_with_logits": lambda p: (lambda y, z: np.logaddexp(0.0, -y * z)) if p["labels"] == "pm1" else _bce,
    "impl.softmax_cross_entropy": lambda p: (lambda y, z: np.logaddexp.reduce(z / p["T"], axis=1)
                                             - z[np.arange(len(y)), y] / p["T"]),
    "impl.bce_with_logits_grad": lambda p: _weighted_pair(p["alpha"]),
}


def reference_answer(q: exercise.Question):
    """A correct answer for the question's current variant: the bank's own reference, or for an
    implementation a NumPy one."""
    from capstone_answers import IDS, answer_for

    if q.id in IDS:
        answer = answer_for(q.variant)
    else:
        answer = NUMPY_ANSWERS[q.id](q.params) if q.problem.kind == "function" else q.variant.reference
    assert problems.check(q.id, answer, student=q.variant.student, attempt=q.attempt).status == "correct"
    return answer


def wrong_answer(q: exercise.Question):
    """An answer that is wrong for any problem kind (a value far from any reference)."""
    kind = q.problem.kind
    if kind == "choice":
        return next(k for k in q.options() if k != q.variant.reference)
    term = f"12345*{q.problem.variables[0]} + 678" if q.problem.variables else "12345"
    if kind in ("expression", "steps"):
        return term
    if kind == "vector":
        return [term] * max(1, len(q.problem.components))
    if kind == "function":
        def f(**kw):
            return np.full(np.shape(next(iter(kw.values()))), 12345.0)
        return (f, f) if isinstance(q.variant.reference, tuple) else f  # a pair problem takes (loss, grad)
    return 12345.678


def params_json(params: dict) -> str:
    return json.dumps(params, sort_keys=True, default=lambda v: np.asarray(v).tolist())


def rows(store_owner=None) -> list[dict]:
    return ProgressStore().attempts()


# --------------------------------------------------------------------------- binding
@pytest.mark.parametrize("k", problems.sessions())
def test_questions_follow_the_bank_order_and_ids(k):
    ex = lossedu.session(k)
    expected = [p.id for p in problems.session_problems(k)]
    assert [q.id for q in ex] == expected and len(ex) == len(expected)
    for n, pid in enumerate(expected, 1):
        assert getattr(ex, f"q{n}") is ex[pid]
        assert ex[pid].problem is problems.get(pid)
        assert f"q{n}" in dir(ex)


def test_bad_names_and_sessions_are_clear_errors():
    ex = lossedu.session(1)
    with pytest.raises(AttributeError, match=f"q1 to q{len(ex)}, not q99"):
        ex.q99
    with pytest.raises(KeyError, match="grad.mse"):
        ex["nope"]
    for bad in (0, 99, "1", True, 1.0):
        with pytest.raises(ValueError, match=r"k must be a session number, one of \[1, 2, 3, 4, 5, 6\]"):
            lossedu.session(bad)
    with pytest.raises(ValueError, match="student must be"):
        lossedu.session(1, student="")


# --------------------------------------------------------------------------- variants
def test_params_and_prompt_are_this_learners_variant(capsys):
    ex = lossedu.session(1)
    for q in ex:
        expected = q.problem.variant("alice", 0)
        assert params_json(q.params) == params_json(expected.params)
        shown = expected.prompt().replace("ex.qN.", f"ex.q{q.number}.")
        assert q.prompt() == shown
        q.show()
        out = capsys.readouterr().out
        assert shown in out and q.problem.title in out


VARIANTS_SCRIPT = """
import json, sys
import numpy as np
import lossedu
out = {}
for k in (1, 2):
    for q in lossedu.session(k, student=sys.argv[1]):
        out[q.id] = [q.attempt, json.dumps(q.params, sort_keys=True, default=lambda v: np.asarray(v).tolist())]
print(json.dumps(out))
"""


def test_variants_are_deterministic_across_processes_and_retry_changes_them(tmp_path):
    here = {}
    for k in (1, 2):
        for q in lossedu.session(k, student="carol"):
            here[q.id] = [q.attempt, params_json(q.params)]
    run = subprocess.run([sys.executable, "-c", VARIANTS_SCRIPT, "carol"], capture_output=True, text=True,
                         check=True, timeout=120)
    assert json.loads(run.stdout) == here
    ex = lossedu.session(1, student="carol")
    sampled = [q for q in ex if q.problem.sampler is not None]
    assert sampled, "session 1 has problems with learner-specific numbers"
    before = {q.id: params_json(q.params) for q in sampled}
    for q in sampled:
        q.retry()
    assert all(q.attempt == 1 for q in sampled)
    assert any(params_json(q.params) != before[q.id] for q in sampled)
    restarted = lossedu.session(1, student="carol")  # a new kernel reads the stored attempt
    for q in sampled:
        assert restarted[q.id].attempt == 1
        assert params_json(restarted[q.id].params) == params_json(q.problem.variant("carol", 1).params)
    run = subprocess.run([sys.executable, "-c", VARIANTS_SCRIPT, "carol"], capture_output=True, text=True,
                         check=True, timeout=120)
    assert json.loads(run.stdout)[sampled[0].id][0] == 1


def test_instructor_sees_a_learners_numbers():
    bob = lossedu.session(1, student="bob")
    assert bob.student == "bob"
    for q in bob:
        assert params_json(q.params) == params_json(q.problem.variant("bob", 0).params)


# --------------------------------------------------------------------------- checking
def test_check_returns_the_judges_result_and_records_it():
    ex = lossedu.session(1)
    q = ex.q1
    good = q.check(reference_answer(q))
    assert good.status == "correct" and good.problem_id == q.id and "lossedu-correct" in good._repr_html_()
    bad = q.check(wrong_answer(q))
    expected = problems.check(q.id, wrong_answer(q), student="alice", attempt=0)
    assert bad.status == expected.status == "incorrect" and bad.diagnosis == expected.diagnosis
    recorded = rows()
    assert [(r["problem_id"], r["status"], r["session"], r["practice_only"]) for r in recorded] == [
        (q.id, "correct", 1, 0), (q.id, "incorrect", 1, 0)]
    assert q.mastered and q.id in ex.mastered()


@pytest.mark.parametrize("k", problems.sessions())
def test_every_question_accepts_its_reference_and_rejects_a_wrong_answer(k):
    ex = lossedu.session(k)
    for q in ex:
        assert q.check(reference_answer(q)).status == "correct", q.id
        assert q.check(wrong_answer(q)).status == "incorrect", q.id
    assert ex.mastered() == {q.id for q in ex}
    assert len(rows()) == 2 * len(ex)


def test_interpreted_as_is_shown_for_text_answers():
    ex = lossedu.session(1)
    expression = next(q for q in ex if q.problem.kind == "expression")
    result = expression.check("yhat*2")
    assert result.interpreted and "interpreted as" in result._repr_html_()


def stub(y, yhat):
    ...  # YOUR CODE HERE


def stub_with_doc(y, z):
    """Compute the loss."""
    pass


def stub_raising(y, z):
    raise NotImplementedError


def real(y, yhat):
    return yhat - y


def real_if(y, yhat):
    if y:
        return None
    return yhat


@pytest.mark.parametrize("answer", [..., None, stub, stub_with_doc, stub_raising, lambda y: None])
def test_answers_left_as_generated_are_unattempted_and_not_recorded(answer):
    for k in problems.sessions():
        for q in lossedu.session(k):
            result = q.check(answer)
            assert result.status == "unattempted" and result.score == 0
    assert rows() == []


def test_real_functions_are_not_mistaken_for_stubs():
    assert exercise.is_unattempted(...) and exercise.is_unattempted(stub)
    assert not exercise.is_unattempted(real) and not exercise.is_unattempted(real_if)
    assert not exercise.is_unattempted(lambda y: y) and not exercise.is_unattempted(np.exp)
    assert not exercise.is_unattempted("yhat - y") and not exercise.is_unattempted(0)


def test_hints_are_tiered_and_counted(capsys):
    q = lossedu.session(1).q1
    hints = q.variant.hints
    assert len(hints) >= 2
    for n, text in enumerate(hints, 1):
        q.hint()
        out = capsys.readouterr().out
        assert f"Hint {n} of {len(hints)}" in out and text in out
        assert all(other not in out for other in hints if other != text)
    q.hint()
    assert "No more hints" in capsys.readouterr().out
    q.check(wrong_answer(q))
    assert rows()[-1]["hints_seen"] == len(hints)
    q.retry()
    capsys.readouterr()
    q.hint()
    assert f"Hint 1 of {len(q.variant.hints)}" in capsys.readouterr().out  # a fresh variant starts over


def test_solution_is_shown_and_marks_the_variant(capsys):
    q = lossedu.session(1).q3
    q.solution()
    out = capsys.readouterr().out
    assert q.variant.solution() in out and "retry()" in out
    result = q.check(reference_answer(q))
    assert result.status == "correct" and "retry()" in result.message
    assert rows()[-1]["solution_revealed"] == 1 and not q.mastered


def test_show_renders_markdown_in_ipython(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(lossedu.display, "in_ipython", lambda: True)
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    q = lossedu.session(1).q2
    q.show()
    q.hint()
    assert [type(o).__name__ for o in shown] == ["Markdown", "Markdown"]
    assert q.prompt() in shown[0].data and "$" in shown[0].data


# --------------------------------------------------------------------------- capture hook
def test_capture_hook_records_without_judging_or_storing():
    calls = []
    ex = lossedu.session(1)
    store_rows_before = rows()
    exercise.set_capture(lambda pid, answer: calls.append((pid, answer)))
    assert exercise.get_capture() is not None
    r1 = ex.q1.check("yhat - y")
    r2 = ex.q2.check(...)
    assert calls == [(ex.q1.id, "yhat - y"), (ex.q2.id, ...)]
    assert (r1.status, r1.message, r1.score) == ("undecided", "recorded for grading", 0.0)
    assert r2.status == "undecided" and r1.problem_id == ex.q1.id
    assert rows() == store_rows_before == []
    exercise.set_capture(None)
    assert exercise.get_capture() is None
    assert ex.q1.check(reference_answer(ex.q1)).status == "correct"
    with pytest.raises(TypeError, match="hook must be a callable"):
        exercise.set_capture(42)


# --------------------------------------------------------------------------- homework mode
def course_file(tmp_path: Path, hints: bool, feedback: bool) -> Path:
    path = tmp_path / "course.toml"
    path.write_text(f"[homework]\nhints = {str(hints).lower()}\nfeedback = {str(feedback).lower()}\n")
    return path


def test_homework_refuses_solutions_and_stores_nothing(tmp_path, capsys):
    hw = lossedu.session(2, homework=True)
    assert hw.gate.state == "homework" and "Homework" in repr(hw)
    q = hw.q1
    q.solution()
    assert "not available in homework" in capsys.readouterr().out
    q.retry()
    assert "not available in homework" in capsys.readouterr().out and q.attempt == 0
    q.hint()
    assert "Hint 1" in capsys.readouterr().out  # the CI course allows hints
    result = q.check(reference_answer(q))
    assert result.status == "correct"  # feedback allowed by the CI course
    assert q.check(...).status == "unattempted"
    assert not (tmp_path / "home" / "progress.db").exists()


def test_homework_without_hints_or_feedback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOSSEDU_COURSE", str(course_file(tmp_path, hints=False, feedback=False)))
    q = lossedu.session(1, homework=True).q1
    q.hint()
    assert "Hints are turned off for homework" in capsys.readouterr().out
    result = q.check(wrong_answer(q))
    assert (result.status, result.message) == ("undecided", "recorded; feedback after grading")
    assert result.diagnosis is None and result.counterexample is None
    assert q.check(None).status == "unattempted"


# --------------------------------------------------------------------------- banner
def test_banner_lists_questions_with_mastery_ticks():
    ex = lossedu.session(1)
    ex.q2.check(reference_answer(ex.q2))
    text = repr(ex)
    assert text.splitlines()[0].startswith("Session 1") and "alice" in text
    assert "Gates lifted by the course configuration." in text
    assert f"✔ q2  {ex.q2.id}" in text and f"○ q1  {ex.q1.id}" in text
    page = ex._repr_html_()
    assert 'class="lossedu-banner lossedu-gate-lifted"' in page
    assert page.count("<li>") == len(ex) and "✔" in page


# --------------------------------------------------------------------------- broken store
def test_a_corrupt_database_leaves_practice_working(tmp_path, capsys):
    db = tmp_path / "home" / "progress.db"
    db.parent.mkdir()
    junk = np.random.default_rng(3).bytes(4096)
    db.write_bytes(junk)
    ex = lossedu.session(1)
    assert ex.store is None and ex.gate.state == "unavailable"
    text = repr(ex)
    assert str(db) in text and "lossedu progress --repair" in text
    assert "lossedu-store-error" in ex._repr_html_()
    q = ex.q4
    result = q.check(reference_answer(q))
    assert result.status == "correct" and "Not saved" in result.message
    before = params_json(q.params)
    q.retry()
    assert q.attempt == 1 and (q.problem.sampler is None or params_json(q.params) != before)
    q.hint()
    assert "Hint 1" in capsys.readouterr().out
    assert db.read_bytes() == junk  # never touched, never deleted


def test_an_implementation_calling_the_library_earns_nothing_in_the_notebook():
    """Calling lossedu.losses is "incorrect" (diagnosis "reference") in the notebook too: it is
    stored as such and does not count towards mastery; a NumPy implementation then does."""
    from lossedu import losses

    q = lossedu.session(2)["impl.bce_with_logits"]
    result = q.check(lambda y, z: losses.bce_with_logits(y, z))
    assert (result.status, result.score, result.diagnosis) == ("incorrect", 0.0, "reference")
    assert "lossedu.losses.bce_with_logits" in result.message and not q.mastered
    assert rows()[-1]["status"] == "incorrect" and rows()[-1]["diagnosis"] == "reference"
    assert q.check(NUMPY_ANSWERS[q.id](q.params)).status == "correct" and q.mastered
