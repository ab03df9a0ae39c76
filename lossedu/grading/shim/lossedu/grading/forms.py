"""``pack_session`` inside the grading sandbox: the capture-only exercise set of a pack session.

The released notebook passes its form spec; only the session number is used here, and the
questions and their numbers are the ones the grader sent in.
"""
from __future__ import annotations

import json
from typing import Any

import lossedu


def pack_session(spec: str | dict[str, Any]) -> Any:
    """The exercise set of the pack session named in ``spec`` (capture-only while grading)."""
    data = json.loads(spec) if isinstance(spec, str) else spec
    return lossedu.session(int(data["session"]), homework=True)
