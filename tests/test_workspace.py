"""The learner's workspace (lossedu.workspace, `lossedu start`), `python -m lossedu`, the wheel's
course data and the one set-up script."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lossedu import start, workspace as ws

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A small course: two lessons, one exercise set, a syllabus."""
    root = tmp_path / "course"
    (root / "lessons").mkdir(parents=True)
    (root / "exercises").mkdir()
    (root / "lessons" / "00_start_here.ipynb").write_text('{"cells": ["start v1"]}')
    (root / "lessons" / "01_a.ipynb").write_text('{"cells": ["lesson a v1"]}')
    (root / "lessons" / "README.md").write_text("syllabus")
    (root / "lessons" / "notes.txt").write_text("not course material")
    (root / "exercises" / "01_a_exercises.ipynb").write_text('{"cells": ["ex a v1"]}')
    return root


def test_first_sync_copies_lessons_and_exercises_in_the_course_layout(course, tmp_path):
    home = tmp_path / "work"
    report = ws.sync(home, root=course)
    assert sorted(report.added) == ["exercises/01_a_exercises.ipynb", "lessons/00_start_here.ipynb",
                                    "lessons/01_a.ipynb", "lessons/README.md"]
    assert (home / "lessons" / "01_a.ipynb").read_text() == '{"cells": ["lesson a v1"]}'
    assert not (home / "lessons" / "notes.txt").exists()
    assert ws.sync(home, root=course).summary() == "workspace up to date"


def test_course_update_adds_new_notebooks_and_never_overwrites_the_learners(course, tmp_path):
    home = tmp_path / "work"
    ws.sync(home, root=course)
    (home / "lessons" / "01_a.ipynb").write_text('{"cells": ["my answers"]}')  # learner's work
    # the course moves on: a new lesson, and new versions of two existing ones
    (course / "lessons" / "02_b.ipynb").write_text('{"cells": ["lesson b"]}')
    (course / "lessons" / "01_a.ipynb").write_text('{"cells": ["lesson a v2"]}')
    (course / "lessons" / "00_start_here.ipynb").write_text('{"cells": ["start v2"]}')
    report = ws.sync(home, root=course)
    assert report.added == ["lessons/02_b.ipynb"]
    assert report.kept == ["lessons/01_a.ipynb"]
    assert report.updated == ["lessons/00_start_here.ipynb"]  # untouched copy follows the course
    assert (home / "lessons" / "01_a.ipynb").read_text() == '{"cells": ["my answers"]}'
    assert (home / "lessons" / "00_start_here.ipynb").read_text() == '{"cells": ["start v2"]}'
    assert "lossedu start --refresh 01_a" in report.summary()


def test_refresh_gives_a_fresh_copy_and_keeps_the_old_one(course, tmp_path):
    home = tmp_path / "work"
    ws.sync(home, root=course)
    (home / "lessons" / "01_a.ipynb").write_text('{"cells": ["my answers"]}')
    fresh, backup = ws.refresh(home, "01_a", root=course)
    assert fresh.read_text() == '{"cells": ["lesson a v1"]}'
    assert backup is not None and backup.read_text() == '{"cells": ["my answers"]}'
    assert backup.relative_to(home).parts[0] == "backups"
    # twice in the same second: the first backup survives
    fresh.write_text("second edit")
    _, second = ws.refresh(home, "lessons/01_a.ipynb", root=course)
    assert second != backup and second.read_text() == "second edit" and backup.exists()
    # the refreshed copy counts as untouched: a course update reaches it
    (course / "lessons" / "01_a.ipynb").write_text('{"cells": ["lesson a v2"]}')
    assert ws.sync(home, root=course).updated == ["lessons/01_a.ipynb"]


def test_refresh_of_an_unknown_name_says_what_exists(course, tmp_path):
    with pytest.raises(ValueError, match=r"'99_x' is not a course notebook; choose one of: .*01_a"):
        ws.refresh(tmp_path / "work", "99_x", root=course)


def test_workspace_must_not_be_the_course_or_a_file(course, tmp_path):
    with pytest.raises(ValueError, match="must not be the course folder"):
        ws.sync(course, root=course)
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(NotADirectoryError):
        ws.sync(afile, root=course)


def test_the_checkout_is_the_course_and_holds_every_lesson_and_exercise_set():
    files = {p.as_posix() for p in ws.course_files()}
    lessons = {f"lessons/{p.name}" for p in (ROOT / "lessons").glob("*.ipynb")}
    exercises = {f"exercises/{p.name}" for p in (ROOT / "exercises").glob("*.ipynb")}
    assert lessons and exercises and lessons | exercises <= files
    assert not any(f.startswith("solutions/") for f in files)


def test_start_prepares_the_workspace_and_puts_this_environment_first_on_path(tmp_path, capsys):
    home = tmp_path / "course-home"
    assert start.start_main([str(home), "--no-lab"]) == 0
    assert (home / "lessons" / "00_start_here.ipynb").exists()
    assert "added" in capsys.readouterr().out
    env = start.lab_environment({"PATH": "/usr/bin:/bin"})
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    command = start.lab_command(home, ["--no-browser", "--port", "8899"])
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={home.resolve()}" in command
    assert command[-1] == start.START_PAGE and "--port" in command


def test_start_reports_a_bad_refresh_name_without_starting(tmp_path, capsys):
    assert start.start_main([str(tmp_path / "w"), "--refresh", "nope", "--no-lab"]) == 2
    assert "'nope' is not a course notebook" in capsys.readouterr().err


def test_python_dash_m_lossedu_is_the_command():
    out = subprocess.run([sys.executable, "-m", "lossedu", "--help"], capture_output=True, text=True,
                         check=True)
    assert "start" in out.stdout and "progress" in out.stdout


def test_the_checkouts_workspace_is_git_ignored():
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "/workspace/" in ignored


@pytest.mark.slow
def test_the_wheel_carries_the_course(tmp_path):
    """A plain `pip install lossedu` gets the lessons and exercise sets (package data)."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("lossedu-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("lessons", "exercises"):
        for notebook in (ROOT / folder).glob("*.ipynb"):
            assert f"lossedu/_course/{folder}/{notebook.name}" in names
    assert not any("solutions" in n for n in names)
    assert "lossedu/workspace.py" in names


def _run_setup(tmp_path: Path, system_lines: str, as_root: bool) -> subprocess.CompletedProcess:
    """Run scripts/setup-system on a copy with its own package lists (no installing)."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "setup-system").write_text((ROOT / "scripts" / "setup-system").read_text())
    (scripts / "system-packages.txt").write_text(system_lines)
    (scripts / "npm-packages.txt").write_text("# nothing\n")
    fake = tmp_path / "bin"  # `id -u` answers as told; no sudo on PATH
    fake.mkdir()
    (fake / "id").write_text(f"#!/bin/sh\necho {0 if as_root else 1000}\n")
    (fake / "apt-get").write_text('#!/bin/sh\necho "apt-get $*" >> "$APT_LOG"\n')
    for tool in ("id", "apt-get"):
        (fake / tool).chmod(0o755)
    env = {"PATH": f"{fake}:/usr/bin:/bin", "APT_LOG": str(tmp_path / "apt.log")}
    return subprocess.run(["bash", str(scripts / "setup-system"), str(tmp_path / "venv")],
                          capture_output=True, text=True, env=env, cwd=tmp_path)


def test_setup_installs_nothing_when_everything_is_there(tmp_path):
    result = _run_setup(tmp_path, "coreutils  ls\nbash /bin/b*sh\n", as_root=True)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "apt.log").exists()


def test_setup_as_root_installs_what_is_missing(tmp_path):
    result = _run_setup(tmp_path, "# comment\nchromium /no/such/chromium\nbash bash\n", as_root=True)
    assert result.returncode == 0, result.stderr
    log = (tmp_path / "apt.log").read_text()
    assert "install -y" in log and "chromium" in log and " bash" not in log


def test_setup_without_root_or_sudo_stops_with_the_one_command(tmp_path):
    result = _run_setup(tmp_path, "chromium /no/such/chromium\npostgresql /no/pg/*/initdb\n",
                        as_root=False)
    assert result.returncode == 1
    assert "sudo apt-get update && sudo apt-get install -y" in result.stderr
    assert "chromium postgresql" in result.stderr
    assert not (tmp_path / "apt.log").exists()


def test_the_package_lists_name_what_the_tests_use():
    system = (ROOT / "scripts" / "system-packages.txt").read_text().split()
    for package in ("make", "chromium", "bubblewrap", "postgresql"):
        assert package in system
    assert "configurable-http-proxy" in (ROOT / "scripts" / "npm-packages.txt").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "scripts/setup-system" in makefile and "LOSSEDU_CHP" in makefile
    assert '-m "not browser and not hub"' in makefile
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "apt-get" not in ci  # one path: CI does what a newcomer does
    markers = (ROOT / "pyproject.toml").read_text()
    assert '"hub:' in markers and '"browser:' in markers
    assert json.loads(json.dumps(ws.FOLDERS)) == ["lessons", "exercises"]
