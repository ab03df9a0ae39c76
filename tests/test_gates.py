"""Mastery gates with the real bank: locked -> practice only -> unlocked once mastered.

Correct answers come from each variant's own reference (``Variant.reference``), so the tests
exercise the same judge a learner meets.
"""
from __future__ import annotations

from pathlib import Path

import pytest

import lossedu
from lossedu import exercise, problems
from lossedu.store import ProgressStore, required_count


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("LOSSEDU_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LOSSEDU_STUDENT", "dana")
    monkeypatch.delenv("LOSSEDU_COURSE", raising=False)  # the packaged course: gates on, share 0.8
    exercise.set_capture(None)


def course(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "course.toml"
    path.write_text(text)
    return path


def solve(q: exercise.Question):
    """Answer ``q`` with its current variant's reference answer."""
    return q.check(q.variant.reference)


def wrong_answer(q: exercise.Question):
    """An answer far from any reference, built from the problem's own variables."""
    if q.problem.kind == "choice":
        return next(k for k in q.options() if k != q.variant.reference)
    if q.problem.kind == "expression":
        return f"12345*{q.problem.variables[0]} + 678"
    return 12345.678


def ids(k: int) -> list[str]:
    return [p.id for p in problems.session_problems(k)]


def test_a_fresh_learner_sees_session_1_open_and_session_2_locked():
    assert lossedu.session(1).gate.state == "open"
    ex2 = lossedu.session(2)
    gate = ex2.gate
    assert gate.locked and gate.previous == 1
    assert gate.remaining == tuple(ids(1)) and gate.mastered == ()
    assert gate.required == required_count(len(ids(1)), 0.8)
    text = repr(ex2)
    assert "Locked" in text and "80%" in text
    assert ", ".join(f"q{i}" for i in range(1, len(ids(1)) + 1)) in text   # q-numbers, as the learner sees them
    assert ids(1)[0] not in text.split("\n")[1]                               # not problem ids
    assert "lossedu-gate-locked" in ex2._repr_html_()


def test_locked_checks_are_practice_only_then_unlock_on_mastery():
    s1, s2 = lossedu.session(1), lossedu.session(2)
    first = s2.q1
    practice = solve(first)
    assert practice.status == "correct"  # feedback as usual ...
    assert "Practice only" in practice.message  # ... but it does not count
    assert ProgressStore().attempts("dana")[-1]["practice_only"] == 1
    assert not first.mastered

    need = required_count(len(s1), 0.8)
    for q in s1.questions[: need - 1]:
        assert solve(q).status == "correct" and q.mastered
    gate = s2.gate
    assert gate.locked
    assert gate.remaining == tuple(ids(1)[need - 1:])  # exactly what is left
    assert ", ".join(f"q{i}" for i in range(need, len(s1) + 1)) in repr(s2)

    last = solve(s1.questions[need - 1])
    assert "Session 1 is now mastered" in last.message
    assert s2.gate.state == "unlocked"  # evaluated live, no new session() needed
    assert "Unlocked" in repr(s2)
    counted = solve(first)
    assert counted.status == "correct" and "Practice only" not in counted.message
    assert first.mastered and ProgressStore().attempts("dana")[-1]["practice_only"] == 0


def test_wrong_answers_do_not_unlock():
    s1 = lossedu.session(1)
    for q in s1:
        assert q.check(wrong_answer(q)).status == "incorrect"
    assert lossedu.session(2).gate.locked and s1.mastered() == set()


def test_a_revealed_solution_needs_a_fresh_variant():
    q = lossedu.session(1).q3
    q.solution()
    result = solve(q)
    assert result.status == "correct" and not q.mastered
    assert "retry()" in result.message
    old_attempt = q.attempt
    q.retry()
    assert q.attempt == old_attempt + 1
    fresh = solve(q)
    assert fresh.status == "correct" and q.mastered


def test_the_old_variants_reference_is_wrong_after_retry_when_numbers_change():
    q = next(q for q in lossedu.session(1) if q.problem.sampler is not None and q.problem.kind == "value")
    old = q.variant.reference
    q.retry()
    while q.variant.reference == old:  # the sampler may repeat numbers; move on until they differ
        q.retry()
    assert q.check(old).status == "incorrect"


def test_gates_lifted_by_the_course_configuration(tmp_path, monkeypatch):
    monkeypatch.setenv("LOSSEDU_COURSE", str(course(tmp_path, "[gates]\nenabled = false\n")))
    ex = lossedu.session(3)
    assert ex.gate.state == "lifted" and "lifted" in repr(ex)
    result = solve(ex.q1)
    assert "Practice only" not in result.message and ex.q1.mastered


def test_open_sessions_and_mastery_share(tmp_path, monkeypatch):
    monkeypatch.setenv("LOSSEDU_COURSE", str(course(tmp_path, "[gates]\nopen_sessions = [1, 3]\nmastery_share = 1.0\n")))
    assert lossedu.session(3).gate.state == "open"
    s4 = lossedu.session(4)
    assert s4.gate.locked and s4.gate.previous == 3 and s4.gate.required == len(ids(3))
    s1 = lossedu.session(1)
    for q in s1.questions[:-1]:
        solve(q)
    assert lossedu.session(2).gate.locked  # share 1.0: every problem is needed
    solve(s1.questions[-1])
    assert lossedu.session(2).gate.state == "unlocked"


def test_mastery_is_per_learner_and_survives_restarts():
    s1 = lossedu.session(1)
    for q in s1:
        solve(q)
    assert lossedu.session(2).gate.state == "unlocked"
    assert lossedu.session(2, student="erin").gate.locked
    assert lossedu.session(1).mastered() == set(ids(1))


def test_practice_while_locked_says_plainly_it_will_not_count():
    practice = solve(lossedu.session(2).q1)
    assert "will not count later either" in practice.message and "check it again" in practice.message


def test_a_chained_lock_says_the_previous_session_is_locked_too():
    gate3 = lossedu.session(3).gate
    assert gate3.locked and gate3.previous_locked
    assert "Session 2 is itself locked" in gate3.describe()
    gate2 = lossedu.session(2).gate
    assert gate2.locked and not gate2.previous_locked and "itself locked" not in gate2.describe()


def test_a_mastered_session_is_labelled_mastered():
    s1 = lossedu.session(1)
    assert s1.gate.state == "open"
    for q in s1.questions[: required_count(len(s1), 0.8)]:
        solve(q)
    assert s1.gate.state == "mastered"
    assert "Mastered:" in repr(s1) and "lossedu-gate-mastered" in s1._repr_html_()
    assert lossedu.session(2).gate.state == "unlocked"
