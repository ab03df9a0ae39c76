"""JupyterHub on one machine with the lossedu class service (see docs/hub.md).

Learners log in with their system accounts (PAM) and get a JupyterLab server of their own, with
the course copied into ~/lossedu-course on first start (`lossedu start DIR --no-lab`). Each
checked answer goes to their own ~/.local/share/lossedu/progress.db first, then to the class
service, which JupyterHub starts and stops (a managed service). Members of the JupyterHub group
`instructors` see the live class at https://HUB/services/lossedu/.

Needs, in the hub's environment: pip install "lossedu[hub]"; configurable-http-proxy (npm).
Run:  jupyterhub -f jupyterhub_config.py   (as root, so that it can start servers as each user)
"""
import os
import sys

c = get_config()  # noqa: F821 - provided by JupyterHub

c.JupyterHub.bind_url = "http://:8000"  # put TLS in front (nginx, or c.JupyterHub.ssl_cert/ssl_key)

# --- who may log in, and who teaches
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = set()  # or: c.Authenticator.allow_all = True on a course machine
c.Authenticator.admin_users = {"teacher"}
c.JupyterHub.load_groups = {"instructors": {"users": ["teacher"]}}

# --- the learners' servers: the course workspace is created on first start, then JupyterLab
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = ["sh", "-c", 'lossedu start "$HOME/lossedu-course" --no-lab && exec jupyterhub-singleuser "$@"', "--"]
c.Spawner.default_url = "/lab/tree/lossedu-course/lessons/00_start_here.ipynb"
c.Spawner.environment = {
    "LOSSEDU_HUB_SERVICE_URL": "http://127.0.0.1:10101/services/lossedu/",
    "LOSSEDU_STUDENT": lambda spawner: spawner.user.name,  # the learner id is the hub user
}

# --- the class service (managed: JupyterHub starts it, gives it its token and restarts it with the hub)
c.JupyterHub.services = [
    {
        "name": "lossedu",
        "url": "http://127.0.0.1:10101",
        "command": [sys.executable, "-m", "lossedu.cli", "hub-service"],
        "environment": {
            # PostgreSQL (recommended); a small hub may use "sqlite:////srv/lossedu/class.db"
            "LOSSEDU_HUB_DB": os.environ.get("LOSSEDU_HUB_DB", "postgresql://lossedu@127.0.0.1:5432/lossedu"),
            "LOSSEDU_INSTRUCTORS_GROUP": "instructors",
            "LOSSEDU_HUB_COOKIE_SECRET_FILE": "/srv/lossedu/cookie-secret",
        },
        "oauth_no_confirm": True,
        "display": True,  # listed under Services in the hub's menu
    },
]

# --- permissions: every learner's server token may talk to the service (to send its own attempts);
# the service may read user names and groups (to tell instructors apart and count who has not started)
c.JupyterHub.load_roles = [
    {"name": "user", "scopes": ["self", "access:services!service=lossedu"]},
    {"name": "server", "scopes": ["users:activity!user", "access:servers!server", "access:services!service=lossedu"]},
    {"name": "lossedu-service", "services": ["lossedu"],
     "scopes": ["list:users", "read:users:name", "read:groups", "read:users:groups"]},
]
