"""The instructor's view computed from attempts: counts, diagnoses, stuck learners, gates, CSV, SVG."""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

from lossedu import config
from lossedu.hub import summary

Q = ["p1", "p2", "p3"]
PREV = ["a1", "a2"]
NOW = 1_800_000_000.0  # seconds since the epoch
COURSE = config.CourseConfig(gates_enabled=True, mastery_share=0.5, open_sessions=(1,))


def row(learner: str, pid: str, status: str, t: float, diagnosis: str | None = None, answer: str | None = None,
        session: int = 2, **flags) -> dict:
    from datetime import datetime, timezone

    stamp = datetime.fromtimestamp(NOW - t, timezone.utc).isoformat()
    return {"attempt_id": f"{learner}{pid}{t}", "learner": learner, "problem_id": pid, "session": session,
            "status": status, "diagnosis": diagnosis, "answer": answer, "created_at": stamp,
            "solution_revealed": flags.get("revealed", 0), "practice_only": flags.get("practice", 0)}


def view(rows, roster=("ann", "ben", "cid", "dee")):
    return summary.class_summary(rows, 2, Q, roster, previous=1, previous_questions=PREV, course=COURSE, now=NOW)


def test_each_learner_counts_once_per_question_as_correct_trying_or_not_started():
    rows = [row("ann", "p1", "incorrect", 50), row("ann", "p1", "correct", 40),
            row("ben", "p1", "incorrect", 30), row("ben", "p2", "invalid", 20),
            row("cid", "p1", "correct", 10)]
    table = {q["question"]: q for q in view(rows)["questions"]}
    assert (table["q1"]["correct"], table["q1"]["trying"], table["q1"]["not_started"]) == (2, 1, 1)
    assert (table["q2"]["correct"], table["q2"]["trying"], table["q2"]["not_started"]) == (0, 1, 3)
    assert (table["q3"]["correct"], table["q3"]["trying"], table["q3"]["not_started"]) == (0, 0, 4)
    assert all(q["correct"] + q["trying"] + q["not_started"] == 4 for q in table.values())


def test_a_learner_not_on_the_roster_but_with_answers_is_counted():
    out = view([row("eve", "p1", "correct", 5)], roster=["ann"])
    assert out["roster_size"] == 2 and out["questions"][0]["correct"] == 1


def test_diagnoses_are_ranked_with_an_example_and_without_names():
    rows = [row("ann", "p2", "incorrect", 60, "sign_flipped", "-(y-p)"),
            row("ben", "p2", "incorrect", 50, "sign_flipped", "p-y"),
            row("ben", "p2", "incorrect", 45, "sign_flipped", "p - y"),
            row("cid", "p1", "incorrect", 40, "factor_off", "2*x"),
            row("cid", "nope", "incorrect", 40, "made up", "x")]  # not a question of the session
    top = view(rows)["diagnoses"]
    assert top[0]["diagnosis"] == "sign_flipped" and top[0]["question"] == "q2"
    assert (top[0]["count"], top[0]["learners"]) == (3, 2)
    assert top[0]["example"] == "p - y"  # the latest such answer
    assert "ann" not in str(top) and "ben" not in str(top)
    assert top[1]["diagnosis"] == "factor_off" and top[1]["count"] == 1
    assert len(top) == 2


def test_stuck_after_three_wrong_in_a_row_but_not_once_corrected():
    rows = [row("ann", "p1", "incorrect", 30), row("ann", "p1", "incorrect", 20), row("ann", "p1", "invalid", 10),
            row("ben", "p1", "incorrect", 30), row("ben", "p1", "incorrect", 20), row("ben", "p1", "correct", 15),
            row("ben", "p1", "incorrect", 10)]
    stuck = {s["learner"]: s["reason"] for s in view(rows)["stuck"]}
    assert stuck == {"ann": "3 wrong in a row on q1"}


def test_stuck_when_long_without_progress_only_while_questions_remain():
    idle = summary.STUCK_IDLE_S + 60
    rows = [row("ann", "p1", "correct", idle), row("ann", "p2", "incorrect", idle - 10)]
    rows += [row("ben", p, "correct", idle) for p in Q]
    stuck = {s["learner"]: s["reason"] for s in view(rows)["stuck"]}
    assert list(stuck) == ["ann"] and stuck["ann"].startswith("no progress for 11 min")


def test_gate_states_follow_mastery_of_the_previous_session():
    rows = [row("ann", "a1", "correct", 100, session=1),                      # 1 of 2 = 50 %: unlocked
            row("ben", "a1", "correct", 100, session=1, revealed=1),         # revealed: does not count
            row("cid", "a2", "correct", 100, session=1, practice=1)]         # practice only
    out = view(rows)
    assert out["gates"] == {"locked": 3, "unlocked": 1}
    assert {p["learner"]: p["gate"] for p in out["learners"]}["ann"] == "unlocked"
    assert out["attempts"] == 0  # rows of session 1 are not answers of session 2


def test_csv_has_one_line_per_learner_and_question():
    out = view([row("ann", "p1", "correct", 5)])
    lines = list(csv.DictReader(io.StringIO(summary.to_csv(out))))
    assert len(lines) == 4 * 3
    ann = [l for l in lines if l["learner"] == "ann"]
    assert [l["state"] for l in ann] == ["correct", "not_started", "not_started"]
    assert ann[0]["problem_id"] == "p1" and ann[0]["session"] == "2"


def test_svg_bars_are_proportional_to_the_counts():
    out = view([row("ann", "p1", "correct", 5), row("ben", "p1", "incorrect", 5)])
    root = ET.fromstring(summary.to_svg(out, width=460))
    ns = "{http://www.w3.org/2000/svg}"
    bars = [r for r in root.iter(ns + "rect") if r.find(ns + "title") is not None]
    widths = {r.find(ns + "title").text: float(r.get("width")) for r in bars}
    span = 460 - 60 - 20
    assert widths["q1 correct: 1"] == span / 4 and widths["q1 not started: 2"] == span / 2
    assert widths["q3 not started: 4"] == span


def test_the_terminal_view_shows_counts_mistakes_and_stuck_learners():
    from lossedu.hub import classview

    rows = [row("ann", "p1", "incorrect", 30, "sign", "y - p"), row("ann", "p1", "incorrect", 20, "sign", "y-p"),
            row("ann", "p1", "incorrect", 10, "sign", "y - p"), row("ben", "p1", "correct", 10)]
    out = dict(view(rows), title="Session 2: T")
    text = classview.render(out)
    assert "Session 2: T — 4 learners, 4 answers" in text
    assert any(line.split()[:5] == ["q1", "p1", "1", "1", "2"] for line in text.splitlines())
    assert "3 × q1 sign (1 learners)  e.g. y - p" in text
    assert "ann: 3 wrong in a row on q1" in text


def test_the_terminal_view_says_what_it_needs(monkeypatch, capsys):
    from lossedu.hub import classview

    monkeypatch.delenv("LOSSEDU_HUB_SERVICE_URL", raising=False)
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    assert classview.main(["--session", "1"]) == 2
    assert "needs the service URL and a hub token" in capsys.readouterr().err
    assert classview.main(["--url", "http://127.0.0.1:9/x/", "--token", "t"]) == 1
    assert "cannot be reached" in capsys.readouterr().err
