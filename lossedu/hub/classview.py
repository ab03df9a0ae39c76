"""``lossedu class``: the instructor's live view in a terminal (same numbers as the page).

Run it in a terminal of the instructor's own JupyterHub server: the hub already set the service
URL (``LOSSEDU_HUB_SERVICE_URL``) and the instructor's token (``JUPYTERHUB_API_TOKEN``).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from typing import Any

from lossedu.hub import SERVICE_URL_ENV, TOKEN_ENV


def fetch(url: str, token: str, path: str, timeout: float = 10.0) -> bytes:
    """GET ``{url}/{path}`` with the hub token; a clear error for every failure."""
    request = urllib.request.Request(url.rstrip("/") + "/" + path, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.read()
    except urllib.error.HTTPError as err:
        detail = err.read()[:300].decode("utf-8", "replace")
        raise RuntimeError(f"the class service answered {err.code} for {path}: {detail}") from None
    except OSError as err:
        raise RuntimeError(f"the class service at {url} cannot be reached ({err})") from None


def render(d: dict[str, Any]) -> str:
    """The live view as plain text."""
    lines = [f"{d['title']} — {d['roster_size']} learners, {d['attempts']} answers ({d['generated_at']})", ""]
    lines.append(f"{'question':<9}{'problem':<28}{'correct':>8}{'trying':>8}{'not started':>13}")
    for q in d["questions"]:
        lines.append(f"{q['question']:<9}{q['problem_id'][:27]:<28}{q['correct']:>8}{q['trying']:>8}{q['not_started']:>13}")
    lines += ["", "most frequent mistakes:"]
    for x in d["diagnoses"] or []:
        example = f"  e.g. {x['example']}" if x["example"] else ""
        lines.append(f"  {x['count']:>4} × {x['question']} {x['diagnosis']} ({x['learners']} learners){example}")
    if not d["diagnoses"]:
        lines.append("  none yet")
    lines += ["", "stuck:"] + ([f"  {s['learner']}: {s['reason']}" for s in d["stuck"]] or ["  nobody"])
    lines += ["", "gates: " + (", ".join(f"{k} {v}" for k, v in d["gates"].items()) or "none")]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="lossedu class", description="the live view of a session taught on JupyterHub")
    p.add_argument("--session", type=int, default=1)
    p.add_argument("--url", default=os.environ.get(SERVICE_URL_ENV, ""), help=f"service URL (default ${SERVICE_URL_ENV})")
    p.add_argument("--token", default=os.environ.get(TOKEN_ENV, ""), help=f"hub API token (default ${TOKEN_ENV})")
    p.add_argument("--watch", type=float, default=0.0, metavar="SECONDS", help="refresh every SECONDS until Ctrl-C")
    p.add_argument("--csv", metavar="FILE", help="write the CSV export to FILE ('-' for stdout) and exit")
    args = p.parse_args(argv)
    if not args.url or not args.token:
        print(f"lossedu class: needs the service URL and a hub token (--url/--token, or ${SERVICE_URL_ENV} and "
              f"${TOKEN_ENV}, which JupyterHub sets in your server)", file=sys.stderr)
        return 2
    try:
        if args.csv:
            data = fetch(args.url, args.token, f"api/class.csv?session={args.session}").decode("utf-8")
            if args.csv == "-":
                sys.stdout.write(data)
            else:
                with open(args.csv, "w", encoding="utf-8") as handle:
                    handle.write(data)
            return 0
        while True:
            view = json.loads(fetch(args.url, args.token, f"api/class?session={args.session}"))
            if args.watch:
                print("\033[2J\033[H", end="")
            print(render(view), flush=True)
            if not args.watch:
                return 0
            time.sleep(args.watch)
    except RuntimeError as err:
        print(f"lossedu class: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
