"""The one value every check produces.

A :class:`Result` travels from the judge to the notebook (rendered as HTML), to the progress
store (self-paced learning) and to the gradebook (homework). Nothing downstream consumes
anything else.
"""
from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass, field
from typing import Any

CORRECT = "correct"
INCORRECT = "incorrect"
INVALID = "invalid"
UNATTEMPTED = "unattempted"
UNDECIDED = "undecided"
STATUSES = (CORRECT, INCORRECT, INVALID, UNATTEMPTED, UNDECIDED)

#: Short tags for the kind of mistake; None when there is no diagnosis. Every catalogued mistake
#: of the bank carries one of these (never ``"known"``, kept only so that old records still load).
DIAGNOSES = (
    "sign",          # sign flipped, e.g. y - p instead of p - y, or a step up the gradient
    "factor",        # off by a constant factor (a forgotten 1/2, weight or scale)
    "extra-factor",  # an extra chain-rule factor, e.g. sigma'(z) multiplied into p - y
    "chain-rule",    # a missing inner derivative such as sigma'(z) or x
    "aggregation",   # sum instead of mean, divided by n instead of the batch size m, ...
    "batch",         # the wrong examples: the full batch where one mini-batch was asked
    "branch",        # right on one branch of a piecewise answer only, or the pieces exchanged
    "label",         # right for one label value only
    "swap",          # two quantities exchanged (y and y-hat, alpha and beta, two list entries)
    "unstable",      # right on paper, overflows or returns NaN on extreme inputs
    "kink",          # wrong (or not a subgradient) exactly at a kink
    "shape",         # wrong shape or number of components
    "rounding",      # right, but rounded more coarsely than the question's precision
    "quantity",      # a different quantity: the loss instead of its derivative, log10 for ln, ...
    "indexing",      # the wrong element: numbering from 1 read as numbering from 0
    "concept",       # a wrong option of a multiple-choice question
    "reference",     # calls a ready-made library function for the quantity asked
    "other",
    "known",         # legacy: old records only; never produced, never shown
)
#: Tags a learner may see (everything but the legacy ``"known"``).
LEARNER_DIAGNOSES = tuple(d for d in DIAGNOSES if d != "known")


_COLOURS = {
    CORRECT: ("#1b7837", "#e7f4e4"),
    INCORRECT: ("#b2182b", "#fbe9e7"),
    INVALID: ("#8c510a", "#fdf3e1"),
    UNATTEMPTED: ("#4d4d4d", "#f2f2f2"),
    UNDECIDED: ("#2166ac", "#e8f0fa"),
}
_ICONS = {CORRECT: "✔", INCORRECT: "✘", INVALID: "⚠", UNATTEMPTED: "…", UNDECIDED: "?"}


@dataclass(frozen=True)
class Result:
    """Outcome of checking one answer.

    Attributes
    ----------
    status : one of ``correct``, ``incorrect``, ``invalid``, ``unattempted``, ``undecided``.
    score : float in [0, 1].
    message : what the learner reads.
    diagnosis : a tag from :data:`DIAGNOSES`, or None.
    counterexample : ``{"point": {name: value}, "expected": ..., "got": ...}`` or None.
        It shows values at one point, never the reference answer itself.
    interpreted : LaTeX of how the answer was read, or None.
    problem_id : the problem this result is about, or None.
    """

    status: str
    score: float = 0.0
    message: str = ""
    diagnosis: str | None = None
    counterexample: dict[str, Any] | None = None
    interpreted: str | None = None
    problem_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if not 0.0 <= float(self.score) <= 1.0:
            raise ValueError(f"score must lie in [0, 1], got {self.score!r}")
        if self.diagnosis is not None and self.diagnosis not in DIAGNOSES:
            raise ValueError(f"diagnosis must be one of {DIAGNOSES} or None, got {self.diagnosis!r}")

    def __bool__(self) -> bool:
        return self.status == CORRECT

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    # ----------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Result":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, default=_jsonable)

    # ----------------------------------------------------------------- rendering
    def _counterexample_text(self) -> str:
        ce = self.counterexample
        if not ce:
            return ""
        point = ", ".join(f"{k} = {_fmt(v)}" for k, v in ce.get("point", {}).items())
        parts = [f"at {point}" if point else "at one input"]
        if "expected" in ce:
            parts.append(f"expected {_fmt(ce['expected'])}")
        if "got" in ce:
            parts.append(f"your answer gives {_fmt(ce['got'])}")
        return "; ".join(parts)

    def __str__(self) -> str:
        head = f"{_ICONS[self.status]} {self.status}"
        if self.problem_id:
            head += f" [{self.problem_id}]"
        lines = [head]
        if self.interpreted:
            lines.append(f"interpreted as: {self.interpreted}")
        if self.message:
            lines.append(self.message)
        if self.diagnosis in LEARNER_DIAGNOSES:
            lines.append(f"diagnosis: {self.diagnosis}")
        ce = self._counterexample_text()
        if ce:
            lines.append(f"counterexample: {ce}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        fg, bg = _COLOURS[self.status]
        rows = [
            f'<div class="lossedu-result lossedu-{self.status}" '
            f'style="border-left:6px solid {fg};background:{bg};padding:6px 10px;margin:4px 0;'
            f'font-family:sans-serif;color:#111">',
            f'<b style="color:{fg}">{_ICONS[self.status]} {html.escape(self.status)}</b>',
        ]
        if self.problem_id:
            rows.append(f' <span style="color:#555">[{html.escape(self.problem_id)}]</span>')
        if self.interpreted:
            rows.append(f'<div class="lossedu-interpreted">interpreted as: ${html.escape(self.interpreted)}$</div>')
        if self.message:
            rows.append(f"<div>{html.escape(self.message)}</div>")
        if self.diagnosis in LEARNER_DIAGNOSES:
            rows.append(f'<div>diagnosis: <code class="lossedu-diagnosis">{html.escape(self.diagnosis)}</code></div>')
        ce = self._counterexample_text()
        if ce:
            rows.append(f'<div class="lossedu-counterexample">counterexample: {html.escape(ce)}</div>')
        rows.append("</div>")
        return "".join(rows)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    return str(value)


def _jsonable(value: Any) -> Any:
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
    except ImportError:  # pragma: no cover
        pass
    return str(value)
