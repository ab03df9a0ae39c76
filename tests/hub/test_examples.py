"""The deployment examples in examples/hub/ say what docs/hub.md says they say."""
from __future__ import annotations

from pathlib import Path

import yaml
from traitlets.config import Config

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "hub"


def load_config() -> Config:
    c = Config()
    source = (EXAMPLES / "jupyterhub_config.py").read_text()
    exec(compile(source, "jupyterhub_config.py", "exec"), {"get_config": lambda: c})  # our own file, not learner text
    return c


def test_single_machine_config_runs_the_service_and_points_servers_at_it():
    c = load_config()
    (service,) = [s for s in c.JupyterHub.services if s["name"] == "lossedu"]
    assert service["command"][-2:] == ["lossedu.cli", "hub-service"]
    assert service["environment"]["LOSSEDU_HUB_DB"].startswith(("postgresql://", "sqlite:///"))
    env = c.Spawner.environment
    assert env["LOSSEDU_HUB_SERVICE_URL"].startswith(service["url"])
    assert env["LOSSEDU_STUDENT"](type("S", (), {"user": type("U", (), {"name": "alice"})})()) == "alice"
    assert "lossedu start" in " ".join(c.Spawner.cmd)
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert "access:services!service=lossedu" in roles["server"]["scopes"]
    assert roles["lossedu-service"]["services"] == ["lossedu"]
    assert "instructors" in c.JupyterHub.load_groups


def test_z2jh_values_have_the_service_its_database_and_the_first_start_workspace():
    values = yaml.safe_load((EXAMPLES / "z2jh-values.yaml").read_text())
    hub, single = values["hub"], values["singleuser"]
    assert "hub-service" in hub["services"]["lossedu"]["command"]
    assert hub["extraEnv"]["LOSSEDU_HUB_DB"]["valueFrom"]["secretKeyRef"]["name"] == "lossedu-class-db"
    assert "access:services!service=lossedu" in hub["loadRoles"]["server"]["scopes"]
    assert single["extraEnv"]["LOSSEDU_HUB_SERVICE_URL"].endswith("/services/lossedu/")
    assert single["lifecycleHooks"]["postStart"]["exec"]["command"][:2] == ["lossedu", "start"]
    assert any(p["port"] == 10101 for p in hub["service"]["extraPorts"])
