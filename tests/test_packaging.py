"""Packaging: the conda route (environment.yml) and the pip route (pyproject.toml) must not drift."""
import re
import subprocess
import sys
from pathlib import Path

import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def _requirement(spec: str) -> tuple[str, str]:
    """'numpy>=1.24; python_version<"3.11"' -> ('numpy', '>=1.24')."""
    spec = spec.split(";")[0].strip()
    match = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    assert match, f"cannot read requirement {spec!r}"
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + [d for group in project["optional-dependencies"].values() for d in group]
    return dict(_requirement(s) for s in specs)


def _environment() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    plain = [d for d in env["dependencies"] if isinstance(d, str)]
    return dict(_requirement(d) for d in plain if _requirement(d)[0] not in {"python", "pip"})


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    assert _environment() == _pyproject()


def test_conda_route_installs_the_package_after_the_environment_and_python_floor_matches():
    """repo2docker builds environment.yml before the source is there, so the package itself is
    installed by postBuild (and by the README's conda command), never from inside the environment."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert all(isinstance(d, str) for d in env["dependencies"]), "no pip section: the source is not there yet"
    post_build = (ROOT / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post_build
    assert (ROOT / "postBuild").stat().st_mode & 0o111, "postBuild must be executable"
    assert "pip install --no-deps -e ." in (ROOT / "README.md").read_text()
    floor = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert f"python{floor}" in env["dependencies"]


def test_requirement_reader_sees_a_drift():
    """The comparison above must be able to fail: a changed version is a difference."""
    assert _requirement("numpy>=1.24") != _requirement("numpy>=1.25")
    assert _requirement("tomli>=2.0; python_version < '3.11'") == ("tomli", ">=2.0")


def test_import_lossedu_is_light():
    """`import lossedu` must not pull in nbformat, sympy, matplotlib or the grader."""
    code = (
        "import sys, time; t = time.perf_counter(); import lossedu; "
        "heavy = [m for m in ('nbformat', 'sympy', 'matplotlib', 'nbclient', 'jsonschema') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_lists_its_commands():
    out = subprocess.run([sys.executable, "-m", "lossedu.cli", "--help"], capture_output=True, text=True, check=True)
    for command in ("progress", "generate", "execute", "release", "grade", "gradescope"):
        assert command in out.stdout
    bad = subprocess.run([sys.executable, "-m", "lossedu.cli", "frobnicate"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown command 'frobnicate'" in bad.stderr
