"""Finding submissions and deciding whose each one is (never from inside the notebook)."""
from __future__ import annotations

import pytest

from lossedu.grading.collect import RosterError, find_submissions, read_roster
from test_grading_helpers import HONEST, write


def test_identity_from_file_names_and_student_folders(tmp_path):
    subs = tmp_path / "subs"
    write(subs, "alice.ipynb", HONEST)
    write(subs, "bob/01_from_error_to_objective_exercises.ipynb", HONEST)
    write(subs, "bob/02_other.ipynb", HONEST)
    write(subs, ".ipynb_checkpoints/alice-checkpoint.ipynb", HONEST)
    (subs / "notes.txt").write_text("not a notebook")
    found = {(s.student, s.label) for s in find_submissions([subs])}
    assert found == {("alice", "alice.ipynb"), ("bob", "bob/01_from_error_to_objective_exercises.ipynb"),
                     ("bob", "bob/02_other.ipynb")}
    single = find_submissions([subs / "bob" / "01_from_error_to_objective_exercises.ipynb"])
    assert [s.student for s in single] == ["bob"]


def test_roster_maps_files_and_folders(tmp_path):
    subs = tmp_path / "subs"
    write(subs, "submission_17.ipynb", HONEST)
    write(subs, "Carol Smith/01_x.ipynb", HONEST)
    roster = tmp_path / "roster.csv"
    roster.write_text("File,Student_ID\nsubmission_17.ipynb,s17\nCarol Smith,csmith\n", encoding="utf-8")
    found = {s.label: (s.student, s.identity) for s in find_submissions([subs], read_roster(roster))}
    assert found == {"submission_17.ipynb": ("s17", "roster"), "Carol Smith/01_x.ipynb": ("csmith", "roster")}


def test_bad_rosters_and_paths_have_clear_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name_of_thing,whatever\n", encoding="utf-8")
    with pytest.raises(RosterError, match="needs a file column"):
        read_roster(bad)
    clash = tmp_path / "clash.csv"
    clash.write_text("file,student\na.ipynb,x\na.ipynb,y\n", encoding="utf-8")
    with pytest.raises(RosterError, match="line 3: 'a.ipynb' is mapped to both"):
        read_roster(clash)
    with pytest.raises(RosterError, match="cannot read"):
        read_roster(tmp_path / "missing.csv")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        find_submissions([tmp_path / "nope"])
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(ValueError, match="not an .ipynb"):
        find_submissions([tmp_path / "a.txt"])
