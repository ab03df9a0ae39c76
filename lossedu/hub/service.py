"""``lossedu hub-service``: the class service, run by JupyterHub or beside it.

Every request is authenticated through JupyterHub (:mod:`jupyterhub.services.auth`): a learner's
kernel sends the user's own API token (``Authorization: token ...``), the instructor's browser
signs in with JupyterHub OAuth (a cookie set by ``oauth_callback``). The token or cookie must
carry the scope ``access:services!service=<name>``. Then:

========================== ============================ =========================================
route (under the prefix)   who                          what
========================== ============================ =========================================
``POST api/attempts``      a learner                    store own attempts (idempotent)
``GET api/attempts``       a learner: own; instructors  attempts, ``?learner=NAME``
``GET api/class``          instructors                  the live view as JSON, ``?session=K``
``GET api/class.csv``      instructors                  CSV export of the live view
``GET api/class.svg``      instructors                  stacked bars per question
``GET`` (the page)         instructors                  the live page (refreshes by itself)
``GET api/health``         anyone                       ``{"ok": true}`` once the store is open
========================== ============================ =========================================

Instructors are the members of a JupyterHub group (``--instructors-group``, default
``instructors``), read from the user model or from the hub's groups API, plus any names given
with ``--instructors``. Anyone else gets 403 on class data and on another learner's records.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from lossedu.hub import db, page, summary

log = logging.getLogger("lossedu.hub")
GROUP_CACHE_S = 10.0
MAX_BATCH = 1000


class ServiceState:
    """What every handler shares: the store, the thread pool, instructors, the course."""

    def __init__(self, store: db.ClassStore, group: str, instructors: set[str], default_session: int,
                 threads: int = 4) -> None:
        self.store = store
        self.group = group
        self.instructors = instructors
        self.default_session = default_session
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="lossedu-db")
        self._members: tuple[float, set[str]] = (0.0, set())
        self._roster: tuple[float, set[str]] = (0.0, set())

    async def db(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    async def group_members(self, hub_auth: Any) -> set[str]:
        """Members of the instructors group, asked of the hub with the service's token (cached)."""
        stamp, members = self._members
        if time.monotonic() - stamp < GROUP_CACHE_S:
            return members
        try:
            model = await hub_auth._api_request("GET", f"{hub_auth.api_url}/groups/{self.group}")
            members = set(model.get("users", [])) if isinstance(model, dict) else set()
        except Exception as err:  # no such group, or the service may not read groups
            log.debug("cannot read group %s: %s", self.group, err)
            members = set()
        self._members = (time.monotonic(), members)
        return members

    async def hub_users(self, hub_auth: Any) -> set[str]:
        """Every hub user (for 'not started'), if the service may list users; else empty (cached)."""
        stamp, users = self._roster
        if time.monotonic() - stamp < GROUP_CACHE_S:
            return users
        try:
            models = await hub_auth._api_request("GET", f"{hub_auth.api_url}/users")
            users = {m["name"] for m in models if isinstance(m, dict) and "name" in m}
        except Exception as err:
            log.debug("cannot list hub users: %s", err)
            users = set()
        self._roster = (time.monotonic(), users)
        return users


def _handlers(prefix: str, state: ServiceState) -> list[Any]:
    from tornado import web
    from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated

    class Base(HubOAuthenticated, web.RequestHandler):
        """Resolves the hub user asynchronously; API routes answer 401/403 in JSON, never redirect."""

        api = True

        async def prepare(self) -> None:
            model = await self.hub_auth.get_user(self, sync=False)
            if model and self.hub_scopes and not self.hub_auth.check_scopes(self.hub_scopes, model):
                self._hub_auth_user_cache = None
                raise web.HTTPError(403, f"{model.get('name')} lacks the scope {sorted(self.hub_scopes)}")
            self._hub_auth_user_cache = model
            if model is None and self.api:
                raise web.HTTPError(401, "sign in through JupyterHub: send the hub API token "
                                         "(Authorization: token ...) or use the page")

        def write_error(self, status_code: int, **kwargs: Any) -> None:
            reason = self._reason
            exc = kwargs.get("exc_info", (None, None))[1]
            if isinstance(exc, web.HTTPError) and exc.log_message:
                reason = exc.log_message % exc.args if exc.args else exc.log_message
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"error": status_code, "message": reason}))

        async def is_instructor(self, name: str, model: dict[str, Any]) -> bool:
            if name in state.instructors or state.group in (model.get("groups") or []):
                return True
            return name in await state.group_members(self.hub_auth)

        async def require_instructor(self) -> dict[str, Any]:
            user = self.current_user
            if not await self.is_instructor(user["name"], user):
                raise web.HTTPError(403, f"{user['name']} is not in the instructors group {state.group!r}")
            return user

        def session_arg(self) -> int:
            from lossedu import problems

            text = self.get_argument("session", str(state.default_session))
            known = problems.sessions()
            if not text.isdigit() or int(text) not in known:
                raise web.HTTPError(400, f"session must be one of {known}, got {text!r}")
            return int(text)

        async def class_summary(self) -> dict[str, Any]:
            from lossedu import problems

            session = self.session_arg()
            order = problems.sessions()
            previous = order[order.index(session) - 1] if order.index(session) else None
            wanted = [session] + ([previous] if previous is not None else [])
            rows = await state.db(state.store.attempts, None, wanted)
            staff = state.instructors | await state.group_members(self.hub_auth)
            seen = set(await state.db(state.store.learners))
            roster = (seen | await state.hub_users(self.hub_auth)) - staff
            rows = [r for r in rows if r["learner"] not in staff]
            prev_ids = [p.id for p in problems.session_problems(previous)] if previous is not None else []
            result = summary.class_summary(rows, session, [p.id for p in problems.session_problems(session)],
                                           roster, previous=previous, previous_questions=prev_ids)
            result["title"] = problems.session_title(session)
            result["sessions"] = order
            return result

    class Attempts(Base):
        async def post(self) -> None:
            user = self.current_user
            try:
                body = json.loads(self.request.body or b"{}")
                items = body["attempts"]
                if not isinstance(items, list) or len(items) > MAX_BATCH:
                    raise db.AttemptError(f"'attempts' must be a list of at most {MAX_BATCH} attempts")
                attempts = [db.validate_attempt(a) for a in items]
            except (ValueError, KeyError, TypeError) as err:
                raise web.HTTPError(400, f"malformed attempts: {err}") from None
            others = sorted({a["learner"] for a in attempts} - {user["name"]})
            if others:
                raise web.HTTPError(403, f"{user['name']} may only send their own attempts, not {others}")
            stored = await state.db(state.store.add, user["name"], attempts)
            self.finish({"received": len(attempts), "stored": stored,
                         "ids": [a["attempt_id"] for a in attempts]})

        async def get(self) -> None:
            user = self.current_user
            learner = self.get_argument("learner", user["name"])
            if learner != user["name"]:
                await self.require_instructor()
            rows = await state.db(state.store.attempts, learner)
            self.finish({"learner": learner, "attempts": rows})

    class ClassJSON(Base):
        async def get(self) -> None:
            await self.require_instructor()
            result = await self.class_summary()
            result["svg"] = summary.to_svg(result)
            self.finish(result)

    class ClassCSV(Base):
        async def get(self) -> None:
            await self.require_instructor()
            result = await self.class_summary()
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.set_header("Content-Disposition", f'attachment; filename="class-session{result["session"]}.csv"')
            self.finish(summary.to_csv(result))

    class ClassSVG(Base):
        async def get(self) -> None:
            await self.require_instructor()
            self.set_header("Content-Type", "image/svg+xml")
            self.finish(summary.to_svg(await self.class_summary()))

    class Page(Base):
        api = False

        @web.authenticated
        async def get(self) -> None:
            user = self.current_user
            if not await self.is_instructor(user["name"], user):
                self.set_status(403)
                self.set_header("Content-Type", "text/html; charset=utf-8")
                self.finish(page.forbidden(user["name"], state.group))
                return
            self.set_header("Content-Type", "text/html; charset=utf-8")
            xsrf = self.xsrf_token
            self.finish(page.render(self.session_arg(), user["name"], xsrf.decode() if isinstance(xsrf, bytes) else xsrf))

    class Health(web.RequestHandler):
        async def get(self) -> None:
            version = await state.db(state.store.schema_version)
            self.finish({"ok": True, "schema": version})

    return [(prefix, Page), (prefix + "oauth_callback", HubOAuthCallbackHandler),
            (prefix + "api/attempts", Attempts), (prefix + "api/class", ClassJSON),
            (prefix + "api/class.csv", ClassCSV), (prefix + "api/class.svg", ClassSVG),
            (prefix + "api/health", Health)]


def _cookie_secret(path: Path) -> bytes:
    """A cookie secret kept across restarts (so instructors stay signed in)."""
    from_env = os.environ.get("LOSSEDU_HUB_COOKIE_SECRET", "")
    if from_env:
        return from_env.encode()
    if path.exists():
        return path.read_bytes().strip()
    secret = secrets.token_hex(32).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secret)
    return secret


def make_app(state: ServiceState, prefix: str, cookie_secret: bytes) -> Any:
    """The Tornado application of the service."""
    from tornado import web

    return web.Application(_handlers(prefix, state), cookie_secret=cookie_secret)


def _parser() -> argparse.ArgumentParser:
    env = os.environ
    default_url = env.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101")
    p = argparse.ArgumentParser(prog="lossedu hub-service", description=__doc__.split("\n")[0])
    p.add_argument("--db", default=env.get("LOSSEDU_HUB_DB", "sqlite:///lossedu-class.db"),
                   help="postgresql://... or sqlite:///FILE (default $LOSSEDU_HUB_DB, else sqlite:///lossedu-class.db)")
    p.add_argument("--url", default=default_url,
                   help="address to listen on (default $JUPYTERHUB_SERVICE_URL, set by JupyterHub)")
    p.add_argument("--instructors-group", default=env.get("LOSSEDU_INSTRUCTORS_GROUP", "instructors"))
    p.add_argument("--instructors", default=env.get("LOSSEDU_INSTRUCTORS", ""),
                   help="comma-separated user names that are instructors besides the group")
    p.add_argument("--session", type=int, default=int(env.get("LOSSEDU_HUB_SESSION", "1")),
                   help="session shown by default on the page (the page can switch)")
    p.add_argument("--cookie-secret-file", default=env.get("LOSSEDU_HUB_COOKIE_SECRET_FILE", "lossedu-hub-cookie-secret"))
    p.add_argument("--threads", type=int, default=4, help="database threads")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the service until interrupted."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[lossedu-hub %(asctime)s] %(message)s")
    if not os.environ.get("JUPYTERHUB_API_TOKEN"):
        print("lossedu hub-service: JUPYTERHUB_API_TOKEN is not set; run it as a JupyterHub service "
              "(c.JupyterHub.services, see docs/hub.md)", file=sys.stderr)
        return 2
    try:
        store = db.ClassStore(args.db)
    except Exception as err:
        print(f"lossedu hub-service: cannot open the class store {args.db}: {err}", file=sys.stderr)
        return 2
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/lossedu/")
    state = ServiceState(store, args.instructors_group, {n.strip() for n in args.instructors.split(",") if n.strip()},
                         args.session, args.threads)
    app = make_app(state, prefix, _cookie_secret(Path(args.cookie_secret_file)))
    where = urlparse(args.url)
    from tornado.ioloop import IOLoop

    app.listen(where.port or 80, where.hostname or "127.0.0.1", xheaders=True)
    log.info("lossedu class service on %s%s (store: %s)", args.url.rstrip("/"), prefix, store.kind)
    try:
        IOLoop.current().start()
    except KeyboardInterrupt:
        pass
    return 0
