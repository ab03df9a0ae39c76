"""Course configuration, data directory and learner id (lossedu.config)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lossedu import config
from lossedu.config import CourseConfig, CourseConfigError, load_course

CI_COURSE = Path(__file__).with_name("course_ci.toml")


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("LOSSEDU_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LOSSEDU_STUDENT", raising=False)
    monkeypatch.delenv("LOSSEDU_COURSE", raising=False)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "course.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- course files
def test_packaged_default_is_the_documented_course():
    course = load_course()
    assert (course.gates_enabled, course.mastery_share, course.open_sessions) == (True, 0.8, (1,))
    assert (course.homework_hints, course.homework_feedback) == (True, True)
    assert course.source.endswith("course_default.toml")


def test_ci_course_lifts_every_gate_and_is_picked_up_from_the_environment(monkeypatch):
    monkeypatch.setenv("LOSSEDU_COURSE", str(CI_COURSE))
    course = load_course()
    assert course.gates_enabled is False
    assert course.source == str(CI_COURSE)
    assert all(course.is_open(k) for k in range(1, 8))


def test_missing_keys_take_defaults_and_course_is_frozen(tmp_path):
    course = load_course(write(tmp_path, "[gates]\nmastery_share = 0.5\n"))
    assert course.mastery_share == 0.5 and course.gates_enabled and course.homework_feedback
    with pytest.raises(dataclasses.FrozenInstanceError):
        course.mastery_share = 0.1  # type: ignore[misc]


def test_open_sessions_and_session_one_are_open_without_a_gate(tmp_path):
    course = load_course(write(tmp_path, "[gates]\nopen_sessions = [3]\n"))
    assert course.is_open(1) and course.is_open(3)
    assert not course.is_open(2) and not course.is_open(4)
    assert load_course(write(tmp_path, "[gates]\nopen_sessions = []\n")).is_open(1)


@pytest.mark.parametrize("text, names", [
    ("[gates]\nmastery_share = 0\n", "[gates] mastery_share"),
    ("[gates]\nmastery_share = 1.5\n", "[gates] mastery_share"),
    ("[gates]\nmastery_share = '0.8'\n", "[gates] mastery_share"),
    ("[gates]\nmastery_share = true\n", "[gates] mastery_share"),
    ("[gates]\nenabled = 'yes'\n", "[gates] enabled"),
    ("[gates]\nenabled = 1\n", "[gates] enabled"),
    ("[gates]\nopen_sessions = [0]\n", "[gates] open_sessions"),
    ("[gates]\nopen_sessions = ['1']\n", "[gates] open_sessions"),
    ("[gates]\nopen_sessions = 1\n", "[gates] open_sessions"),
    ("[homework]\nhints = 'no'\n", "[homework] hints"),
    ("[homework]\nfeedback = 0\n", "[homework] feedback"),
    ("[gates]\nmastery_shar = 0.8\n", "[gates] mastery_shar"),
    ("[grading]\nx = 1\n", "[grading]"),
    ("gates = 3\n", "[gates]"),
])
def test_bad_values_name_the_key(tmp_path, text, names):
    path = write(tmp_path, text)
    with pytest.raises(CourseConfigError) as info:
        load_course(path)
    message = str(info.value)
    assert names in message and str(path) in message


def test_unknown_key_lists_the_allowed_ones(tmp_path):
    with pytest.raises(CourseConfigError, match="allowed keys: enabled, mastery_share, open_sessions"):
        load_course(write(tmp_path, "[gates]\nenable = false\n"))


def test_missing_file_and_bad_toml_are_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("LOSSEDU_COURSE", str(tmp_path / "nope.toml"))
    with pytest.raises(CourseConfigError, match=r"nope\.toml \(set by LOSSEDU_COURSE\) does not exist"):
        load_course()
    with pytest.raises(CourseConfigError, match="not valid TOML"):
        load_course(write(tmp_path, "[gates\nenabled = true\n"))
    assert isinstance(CourseConfigError("x"), ValueError)


def test_config_default_matches_the_dataclass_defaults():
    assert dataclasses.replace(load_course(), source="") == CourseConfig()


# --------------------------------------------------------------------------- data directory
def test_data_home_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("LOSSEDU_HOME", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert config.data_home() == tmp_path / "explicit"
    assert config.database_path() == tmp_path / "explicit" / "progress.db"
    monkeypatch.delenv("LOSSEDU_HOME")
    assert config.data_home() == tmp_path / "xdg" / "lossedu"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert config.data_home() == tmp_path / "user" / ".local" / "share" / "lossedu"
    assert not (tmp_path / "user").exists()  # resolving a path creates nothing


# --------------------------------------------------------------------------- learner id
def test_learner_id_is_created_once_from_the_login_name(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(config.getpass, "getuser", lambda: "ada")
    assert config.student_id() == "ada"
    first = capsys.readouterr().err
    assert first.count("\n") == 1 and "LOSSEDU_STUDENT" in first and "learner" in first
    assert (tmp_path / "home" / "learner").read_text().strip() == "ada"
    monkeypatch.setattr(config.getpass, "getuser", lambda: "someone-else")
    assert config.student_id() == "ada"  # stored, stable
    assert capsys.readouterr().err == ""  # the message is shown once only


def test_learner_id_precedence(tmp_path, monkeypatch):
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "learner").write_text("stored\n")
    assert config.student_id() == "stored"
    monkeypatch.setenv("LOSSEDU_STUDENT", "from-env")
    assert config.student_id() == "from-env"
    assert config.student_id("alice") == "alice"


@pytest.mark.parametrize("bad", ["", "   ", "a\nb", "a|b", "x" * 200, 42])
def test_bad_learner_ids_are_refused(bad):
    with pytest.raises(ValueError, match="student must be"):
        config.student_id(bad)
