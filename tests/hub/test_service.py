"""The class service on a real PostgreSQL, every request authenticated through a (stub) hub API."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from . import procs
from .conftest import INSTRUCTOR_TOKEN, UNSCOPED_TOKEN
from .test_store import attempt

pytestmark = pytest.mark.hub


def post(svc, token, attempts):
    return procs.request(svc.url + "api/attempts", token, {"attempts": attempts}, "POST")


def test_a_learner_stores_own_attempts_once_and_reads_them_back(service):
    batch = [attempt("alice", 1), attempt("alice", 2, status="correct", score=1.0, diagnosis=None)]
    status, body = post(service, "tok-alice", batch)
    assert status == 200 and (body["received"], body["stored"]) == (2, 2)
    status, body = post(service, "tok-alice", batch)  # a retry after a lost reply
    assert status == 200 and body["stored"] == 0
    status, body = procs.request(service.url + "api/attempts", "tok-alice")
    assert status == 200 and [a["attempt_id"] for a in body["attempts"]] == ["alice-1", "alice-2"]


def test_a_learner_cannot_write_or_read_another_learners_records(service):
    assert post(service, "tok-bob", [attempt("bob", 1)])[0] == 200
    status, body = post(service, "tok-alice", [attempt("bob", 9)])
    assert status == 403 and "only send their own" in body["message"]
    status, body = procs.request(service.url + "api/attempts?learner=bob", "tok-alice")
    assert status == 403 and "instructors" in body["message"]
    status, body = procs.request(service.url + "api/attempts?learner=bob", INSTRUCTOR_TOKEN)
    assert status == 200 and [a["attempt_id"] for a in body["attempts"]] == ["bob-1"]


@pytest.mark.parametrize("path", ["api/class", "api/class.csv", "api/class.svg"])
def test_class_data_is_for_instructors_only(service, path):
    post(service, "tok-alice", [attempt("alice", 1)])
    assert procs.request(service.url + path, "tok-alice")[0] == 403
    status, body = procs.request(service.url + path, INSTRUCTOR_TOKEN)
    assert status == 200 and "alice" in str(body) if path != "api/class.svg" else status == 200


def test_requests_without_a_valid_scoped_token_are_refused(service):
    assert procs.request(service.url + "api/class")[0] == 401
    assert procs.request(service.url + "api/class", "not-a-token")[0] == 401
    status, body = procs.request(service.url + "api/attempts", UNSCOPED_TOKEN)
    assert status == 403 and "access:services!service=lossedu" in body["message"]
    assert procs.request(service.url + "api/health")[0] == 200


def test_malformed_posts_get_a_specific_400_and_store_nothing(service):
    status, body = procs.request(service.url + "api/attempts", "tok-alice", {"attempts": [{"learner": "alice"}]}, "POST")
    assert status == 400 and "lacks the field 'attempt_id'" in body["message"]
    status, body = procs.request(service.url + "api/attempts", "tok-alice", {"nope": 1}, "POST")
    assert status == 400 and "attempts" in body["message"]
    status, body = procs.request(service.url + "api/class?session=99", INSTRUCTOR_TOKEN)
    assert status == 400 and "session must be one of" in body["message"]
    assert procs.request(service.url + "api/attempts", "tok-alice")[1]["attempts"] == []


def test_the_class_view_counts_learners_and_hides_instructors(service):
    from lossedu import problems

    first, second = [p.id for p in problems.session_problems(1)][:2]
    now = datetime.now(timezone.utc).isoformat()
    post(service, "tok-alice", [attempt("alice", 1, problem_id=first, status="correct", score=1.0, diagnosis=None,
                                        created_at=now)])
    post(service, "tok-bob", [attempt("bob", n, problem_id=second, answer=f"wrong {n}", created_at=now)
                              for n in (1, 2, 3)])
    post(service, INSTRUCTOR_TOKEN, [attempt("ingrid", 1, problem_id=first)])  # trying it out
    status, view = procs.request(service.url + "api/class?session=1", INSTRUCTOR_TOKEN)
    assert status == 200
    names = {p["learner"] for p in view["learners"]}
    assert names == {"alice", "bob", "carol", "dave"}  # hub users, instructors left out
    q1, q2 = view["questions"][0], view["questions"][1]
    assert (q1["correct"], q1["trying"], q1["not_started"]) == (1, 0, 3)
    assert (q2["correct"], q2["trying"], q2["not_started"]) == (0, 1, 3)
    assert view["diagnoses"][0] == {"question": "q2", "problem_id": second, "diagnosis": "sign_flipped",
                                    "count": 3, "learners": 1, "example": "wrong 3"}
    assert [s["learner"] for s in view["stuck"]] == ["bob"]
    assert view["svg"].startswith("<svg")


def test_a_killed_service_restarts_on_the_same_store_and_loses_nothing(service):
    post(service, "tok-alice", [attempt("alice", n) for n in range(5)])
    service.kill()
    with pytest.raises(OSError):  # down: the sender keeps its queue (see test_sync)
        post(service, "tok-alice", [attempt("alice", 9)])
    service.start()
    status, body = post(service, "tok-alice", [attempt("alice", n) for n in range(8)])
    assert status == 200 and body["stored"] == 3
    assert len(procs.request(service.url + "api/attempts", "tok-alice")[1]["attempts"]) == 8
