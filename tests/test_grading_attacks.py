"""A hostile class, graded the documented way, inside the OS sandbox.

Each hostile student hands in the session's solution notebook (so a sound grader gives them the
points their answers earn) plus one cell that attacks: libc fork/system/open through ctypes,
processes that outlive the run (double fork, setsid) and come back to rewrite the gradebook,
signals to the grader (kill, pidfd), forged lines on the channel, a patched harness, reading a
classmate's notebook, reading answers from the package, a forged outcome, a huge notebook.

Expected scores are reasoned from what each student handed in: the solution notebook of session
k earns every point of session k (it computes each answer from ``ex.qN.params``); a notebook that
answers nothing but forges results earns nothing; a notebook whose function answer is a stub
earns nothing for it whatever its harness claims.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import secrets
import time
from pathlib import Path

import pytest

from lossedu import problems
from lossedu.grading import grade
from lossedu.grading.isolation import unavailable_reason
from lossedu.grading.release import homework_setup

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {1: "01_from_error_to_objective_exercises.ipynb", 2: "02_probabilistic_classification_exercises.ipynb"}
SESSIONS = (1, 2)
POINTS = {k: sum(p.points for p in problems.session_problems(k)) for k in SESSIONS}
MARK = f"evil{secrets.token_hex(3)}"  # process names of the attackers' children, and their files

pytestmark = pytest.mark.skipif(unavailable_reason() is not None,
                                reason=f"the OS sandbox cannot be created here: {unavailable_reason()}")


def solution(k: int) -> dict:
    nb = json.loads((ROOT / "solutions" / NOTEBOOKS[k]).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = homework_setup(source)
    return nb


def with_cell(k: int, code: str, keep_answers: bool = True) -> dict:
    """The solution of session ``k`` with ``code`` as a cell right after the setup cell; without
    ``keep_answers``, only the setup cell is kept before it (nothing answered honestly)."""
    nb = solution(k)
    codes = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
    setup = next(i for i in codes if "lossedu.session(" in "".join(nb["cells"][i]["source"]))
    cell = {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": code}
    if not keep_answers:
        nb["cells"] = nb["cells"][:setup + 1]
    nb["cells"].insert(setup + 1, cell)
    return nb


def _prelude() -> str:
    return ("import ctypes, os, time, json\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            f"def rename():\n    libc.prctl(15, b'{MARK}', 0, 0, 0)\n")


def attacks(paths: dict[str, Path]) -> dict[str, tuple[int, str, bool]]:
    """student -> (session, code of the attacking cell, whether the honest answers stay)."""
    out, subs, home, repo = (str(paths[k]) for k in ("out", "subs", "home_canary", "repo_canary"))
    rewrite = (f"open({out!r} + '/gradebook.csv', 'w').write('student,total\\nmallory_fork,999\\n')\n"
               f"open({home!r}, 'w').write('owned')\nopen({repo!r}, 'w').write('owned')\n")
    return {
        "mallory_fork": (1, _prelude() + (
            "pid = libc.fork()\n"
            "if pid == 0:\n    libc.setsid()\n    if libc.fork() == 0:\n        rename()\n        time.sleep(1.5)\n"
            + "".join("        " + line + "\n" for line in rewrite.splitlines()) + "    libc._exit(0)\n"), True),
        "mallory_system": (1, _prelude() + (
            f"libc.system(b'echo owned > {out}/gradebook.csv; echo owned > {home}; sleep 30 &')\n"
            f"libc.execv(b'/bin/sh', None)\n"), True),
        "mallory_open": (1, _prelude() + "".join(
            f"fd = libc.open({p!r}.encode(), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)\n"
            f"libc.write(fd, b'owned', 5)\n" for p in (f"{out}/gradebook.csv", home, repo, f"{subs}/alice/{NOTEBOOKS[1]}",
                                                     f"/tmp/{MARK}.txt"))
            + f"libc.unlink({subs!r}.encode() + b'/bob/{NOTEBOOKS[2]}')\n", True),
        "mallory_signal": (1, _prelude() + (
            f"grader = {os.getpid()}\n"
            "for target in (grader, os.getppid(), 0, -1):\n    libc.kill(target, 9)\n"
            "fd = libc.syscall(434, grader, 0)\nif fd >= 0:\n    libc.syscall(424, fd, 9, None, 0)\n"
            "try:\n    os.kill(grader, 9)\nexcept Exception:\n    pass\n"), True),
        "mallory_channel": (2, (
            "import os, json\n"
            "for pid in ('grad.bce_prob', 'impl.bce_with_logits', 'choice.nll'):\n"
            "    os.write(3, (json.dumps({'type': 'result', 'pid': pid, 'result': {'status': 'correct', 'score': 1.0,"
            " 'problem_id': pid}}) + '\\n').encode())\n"
            "os.write(3, b'{\"type\": \"done\"}\\n{\"type\": \"outcome\", \"outcome\": \"ok\"}\\n')\n"
            "os.write(3, b'{\"type\": \"error\", \"i\": 1, \"error\": \"MemoryError\", \"message\": \"\"}\\n')\n"), False),
        "mallory_harness": (2, (
            "import lossedu\n"
            "recorder = type(lossedu._capture)\n"
            "def fake(self, fn, inputs):\n"
            "    return [{'t': 'array', 'shape': [len(kw['z'])], 'v': [0.5] * len(kw['z'])} for kw in inputs], "
            "[[] for _ in inputs]\n"
            "recorder._call = fake\n"
            "ex['impl.bce_with_logits'].check(lambda y, z: z * 0.0)\n"), False),
        "mallory_classmate": (1, (
            f"import glob\nfound = [p for d in ({subs!r}, '/work', '/root', '/home', '/tmp') "
            "for p in glob.glob(d + '/**/*.ipynb', recursive=True)]\n"
            "text = ''.join(open(p).read() for p in found)\n"
            "raise RuntimeError('LEAK' + text[:400])\n"), True),
        "mallory_answers": (1, (
            "import importlib, glob\n"
            "names = ['lossedu.problems', 'lossedu.checking', 'lossedu.grading.engine', 'lossedu.grading.judging', 'lossedu.exercise', 'lossedu.losses', 'lossedu.risk', 'scipy', 'torch', 'sklearn']\n"
            "got = []\nfor n in names:\n    try:\n        importlib.import_module(n); got.append(n)\n"
            "    except Exception:\n        pass\n"
            "banks = [p for d in ('/sandbox', '/root', '/work', '/home', '/usr/lib/python3') "
            "for p in glob.glob(d + '/**/problems/s1*.py', recursive=True)]\n"
            "banks += glob.glob('/sandbox/**/lossedu/losses.py', recursive=True)\n"
            "ref = getattr(ex.q3, 'variant', None)\n"
            "if got or banks or ref is not None:\n    ex.q1.check(f\"{ex.q1.params['a']}*(yhat - y)\")\n"
            "raise RuntimeError(f'FOUND {got} {banks} {ref}')\n"), False),
        "mallory_outcome": (1, _prelude() + (
            "os.write(3, b'{\"type\": \"done\"}\\n')\n"
            "libc._exit(0)\n"), False),
    }


def snapshot(paths: list[Path]) -> dict[str, str]:
    found = {}
    for root in paths:
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in
                                               p.parts] if root.exists() else []
        for path in files:
            found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def marked_processes() -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                comm = Path(f"/proc/{entry}/comm").read_text().strip()
            except OSError:
                continue
            if comm.startswith(MARK[:15]):
                found.append(f"{entry} {comm}")
    return found


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    subs, out = tmp / "subs", tmp / "graded"
    home_canary = Path.home() / f".lossedu-canary-{MARK}"
    repo_canary = ROOT / f".canary-{MARK}"
    for canary in (home_canary, repo_canary):
        canary.write_text("untouched", encoding="utf-8")
    paths = {"out": out, "subs": subs, "home_canary": home_canary, "repo_canary": repo_canary}
    honest = {"alice": (1, solution(1)), "bob": (2, solution(2))}
    honest["alice"][1]["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                                        "source": f"# private note {MARK}-alice-secret"})
    students = {name: (k, nb) for name, (k, nb) in honest.items()}
    for name, (k, code, keep) in attacks(paths).items():
        students[name] = (k, with_cell(k, code, keep))
    big = solution(1)
    big["cells"][-1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x" * (30 * 2**20)}]
    students["mallory_huge"] = (1, big)
    for name, (k, nb) in students.items():
        (subs / name).mkdir(parents=True)
        (subs / name / NOTEBOOKS[k]).write_text(json.dumps(nb), encoding="utf-8")
    watched = [subs, home_canary, repo_canary, ROOT / "lossedu", ROOT / "solutions"]
    try:
        before = snapshot(watched)
        tmp_before = set(os.listdir("/tmp"))
        summary = grade([subs], out, jobs=2, timeout=8.0, memory_mb=512, sessions=SESSIONS)
        gradebook_at_end = (out / "gradebook.csv").read_text(encoding="utf-8")
        time.sleep(2.5)  # a survivor would strike now
        yield {"summary": summary, "out": out, "subs": subs, "before": before, "after": snapshot(watched),
               "gradebook": gradebook_at_end, "tmp_new": set(os.listdir("/tmp")) - tmp_before,
               "processes": marked_processes(), "sessions": {n: k for n, (k, _) in students.items()}}
    finally:
        for canary in (home_canary, repo_canary):
            canary.unlink(missing_ok=True)


def totals(out: Path) -> dict[str, float]:
    with open(out / "gradebook.csv", encoding="utf-8") as handle:
        return {row["student"]: float(row["total"]) for row in csv.DictReader(handle)}


def record(out: Path, student: str) -> dict:
    paths = list((out / "submissions").glob(f"{student}__*.json"))
    assert len(paths) == 1
    return json.loads(paths[0].read_text(encoding="utf-8"))


class TestHostileClass:
    def test_every_honest_score_is_exact(self, hostile_class):
        got = totals(hostile_class["out"])
        assert got["alice"] == POINTS[1]
        assert got["bob"] == POINTS[2]

    def test_attackers_get_what_their_own_answers_earn(self, hostile_class):
        got, k = totals(hostile_class["out"]), hostile_class["sessions"]
        for name in ("mallory_fork", "mallory_system", "mallory_open", "mallory_signal", "mallory_classmate",
                     "mallory_huge"):
            assert got[name] == POINTS[k[name]], name  # the solution's answers, no more
        assert got["mallory_channel"] == 0  # forged results count for nothing
        assert got["mallory_outcome"] == 0
        assert got["mallory_answers"] == 0  # no bank, no reference, no SciPy in reach: nothing to copy

    def test_a_forged_function_result_earns_only_what_the_forgery_computes(self, hostile_class):
        result = record(hostile_class["out"], "mallory_harness")["answers"]["impl.bce_with_logits"]["result"]
        assert result["score"] == 0.0
        assert totals(hostile_class["out"])["mallory_harness"] == 0

    def test_nothing_of_the_answers_is_in_reach(self, hostile_class):
        errors = record(hostile_class["out"], "mallory_answers")["cell_errors"]
        assert any(e["message"] == "FOUND [] [] None" for e in errors), errors

    def test_no_file_changed_outside_the_output_and_no_process_left(self, hostile_class):
        assert hostile_class["after"] == hostile_class["before"]
        assert not [n for n in hostile_class["tmp_new"] if MARK in n]
        assert hostile_class["processes"] == []
        assert (hostile_class["out"] / "gradebook.csv").read_text(encoding="utf-8") == hostile_class["gradebook"]

    def test_outcomes_come_from_what_the_grader_observed(self, hostile_class):
        out = hostile_class["out"]
        assert record(out, "mallory_channel")["outcome"] == "ok"  # a forged MemoryError line changes nothing
        assert record(out, "mallory_outcome")["outcome"] == "ok"  # ended itself with status 0 through libc
        assert record(out, "alice")["outcome"] == "ok"
        results = json.loads((out / "results.json").read_text(encoding="utf-8"))
        assert results["sandbox"].startswith("bubblewrap")
        assert "Sandbox: bubblewrap" in (out / "report.md").read_text(encoding="utf-8")

    def test_feedback_holds_no_classmate_file(self, hostile_class):
        feedback = (hostile_class["out"] / "feedback" / "mallory_classmate.md").read_text(encoding="utf-8")
        assert f"{MARK}-alice-secret" not in feedback
        everything = "".join(p.read_text(encoding="utf-8", errors="replace")
                             for p in hostile_class["out"].rglob("*") if p.is_file() and p.suffix in (".md", ".json", ".csv"))
        assert f"{MARK}-alice-secret" not in everything.replace(str(hostile_class["subs"]), "")

    def test_a_huge_notebook_is_graded_on_its_sources(self, hostile_class):
        rec = record(hostile_class["out"], "mallory_huge")
        assert rec["outcome"] == "ok"
        assert any("outputs dropped" in w for w in rec["warnings"])
