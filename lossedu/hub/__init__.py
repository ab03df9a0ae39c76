"""The class on JupyterHub: a shared store of every learner's attempts and a live instructor view.

Four parts, each in its own module:

``lossedu.hub.db``
    :class:`~lossedu.hub.db.ClassStore`, the shared store (PostgreSQL through psycopg 3, or SQLite
    for a small single-machine hub), with numbered migrations. Attempts are keyed by a stable
    attempt id, so sending one twice stores it once.
``lossedu.hub.service``
    ``lossedu hub-service``: a Tornado web service run by JupyterHub (managed) or beside it
    (external). Every request is authenticated through JupyterHub: a learner's kernel presents the
    user's own API token, the instructor's browser signs in with JupyterHub OAuth.
``lossedu.hub.sync``
    The kernel side: each checked answer is written to the learner's local SQLite store first,
    then sent in the background; an outage or restart of the service loses nothing.
``lossedu.hub.summary`` / ``lossedu.hub.classview``
    What the instructor sees, in the browser page and in ``lossedu class`` in a terminal.

Environment read by the kernel side (JupyterHub sets the last two in every single-user server):

``LOSSEDU_HUB_SERVICE_URL``  the service's URL; unset means no sync at all.
``JUPYTERHUB_API_TOKEN``     the learner's own token, presented to the service.
``JUPYTERHUB_USER``          the hub user name; only this learner's attempts are sent.
"""
from __future__ import annotations

SERVICE_URL_ENV = "LOSSEDU_HUB_SERVICE_URL"
TOKEN_ENV = "JUPYTERHUB_API_TOKEN"
USER_ENV = "JUPYTERHUB_USER"
