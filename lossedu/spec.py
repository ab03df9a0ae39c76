"""The declarative pieces of a problem: :class:`Problem`, :class:`Variant` and their parts.

A problem is written once, as data, in one of the session modules ``s1.py`` ... ``s5.py``; see
``README.md`` in this folder for the pattern to copy. Everything a problem needs to be shown,
checked, hinted and graded is a field here, so nothing about it is written twice.

Templates (``prompt``, ``hints``, ``solution``) are Markdown with LaTeX. ``{{name}}`` is replaced by
the variant's value of ``name`` (a parameter or a derived quantity); ``{{name:.3f}}`` formats it.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Mapping, Sequence

import numpy as np

KINDS = ("expression", "vector", "value", "function", "choice", "steps")

#: Variable domains understood by the sampler (see :mod:`lossedu.checking.sampling`).
DOMAINS = ("real", "positive", "prob", "label01", "pm1", "nonneg", "eps", "onehot")

Params = dict[str, Any]


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer and the message that explains it.

    Attributes
    ----------
    answer : str or callable
        The wrong answer. For expression problems: expression text in the problem's variables
        (``{{param}}`` placeholders allowed) or ``params -> sympy.Expr``. For value problems:
        ``params -> float | array``. For choice problems: the option key.
    message : str
        What the learner reads when their answer matches (no reference answer in it).
    diagnosis : str
        A tag from :data:`lossedu.result.DIAGNOSES`; ``"known"`` unless a generic tag fits better.
    """

    answer: str | Callable[[Params], Any]
    message: str
    diagnosis: str = "known"


@dataclass(frozen=True)
class Option:
    """One option of a multiple-choice problem, with the explanation shown when it is picked."""

    key: str
    text: str
    correct: bool
    explanation: str


@dataclass(frozen=True)
class Region:
    """A region of a piecewise answer: ``place(point, rng)`` moves a sampled point inside it."""

    label: str
    place: Callable[[Params, np.random.Generator], Params]


@dataclass(frozen=True)
class Kink:
    """A kink of a piecewise answer.

    ``place(point, t)`` moves a sampled point to signed distance ``t`` from the kink (``t = 0``
    lies on it). At the kink any value between the two one-sided limits is accepted, which for a
    convex loss is exactly its subdifferential (MAE at a tie: [-1, 1]; hinge at y·s = 1: between
    -y and 0). Where the answer is differentiable (Huber at |r| = δ) both limits agree.
    """

    label: str
    place: Callable[[Params, float], Params]


def _no_params(rng: np.random.Generator) -> Params:
    return {}


@dataclass(frozen=True, eq=False)
class Problem:
    """One problem of the bank.

    Attributes
    ----------
    id, session, kind, title : identity; ``kind`` is one of :data:`KINDS`.
    concepts : ids from :data:`lossedu.concepts.CONCEPTS`.
    prompt, solution : Markdown + LaTeX templates (``{{name}}`` placeholders).
    variables : names of :data:`lossedu.checking.symbolic.SYMBOLS` an answer may use.
    hints : tiered hints, gentlest first; only the last may come close to the answer.
    mistakes : the catalogue of known wrong answers (:class:`Mistake`).
    points : weight in a gradebook.
    reference : ``params -> answer``: a SymPy expression (expression, steps), a list of them
        (vector), a float or array (value), a NumPy function (function). Choice problems take
        their answer from ``options``.
    canonical : the parameters of the canonical variant (the source text's own numbers).
    sampler : ``rng -> params`` for a learner's variant; None = every variant is canonical.
    derive : ``params -> dict`` of extra template values (e.g. the numbers of the solution).
    domains : variable -> domain (one of :data:`DOMAINS`, or a ``(low, high)`` pair).
    regions, kinks : the pieces of a piecewise reference (see :class:`Region`, :class:`Kink`).
    swap : a pair of variables whose exchange is a typical mistake (detected as ``"swap"``).
    chain : inner-derivative factors (expression text or ``params -> expr``) whose omission is a
        typical mistake (detected as ``"chain-rule"``).
    components : names of the components of a vector answer, e.g. ``("dL/dz1", ...)``.
    tolerance : ``(rtol, atol)`` for numeric comparison.
    options : the options of a choice problem.
    inputs : ``(params, rng) -> list of keyword-argument dicts`` for a function problem.
    signature : how the learner's function is called, e.g. ``"f(y, z) -> array (n,)"``.
    scenario : a key shared by problems that work on one scenario (the same numbers and data for
        a learner): the variant seed is drawn from it instead of the problem id. Empty: the id.
    outputs_judge : ``(variant, inputs, outputs, warnings) -> Result`` for a function problem
        judged by its own rule instead of by comparison with ``reference`` (a loss the learner
        designs, a classifier scored on hidden inputs); None: compare with ``reference``.
    """

    id: str
    session: int
    kind: str
    title: str
    concepts: tuple[str, ...]
    prompt: str
    variables: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    solution: str = ""
    mistakes: tuple[Mistake, ...] = ()
    points: float = 1.0
    reference: Callable[[Params], Any] | None = None
    canonical: Mapping[str, Any] = field(default_factory=dict)
    sampler: Callable[[np.random.Generator], Params] | None = None
    derive: Callable[[Params], Params] | None = None
    domains: Mapping[str, Any] = field(default_factory=dict)
    regions: tuple[Region, ...] = ()
    kinks: tuple[Kink, ...] = ()
    swap: tuple[str, str] | None = None
    chain: tuple[str | Callable[[Params], Any], ...] = ()
    components: tuple[str, ...] = ()
    tolerance: tuple[float, float] = (1e-6, 1e-9)
    options: tuple[Option, ...] = ()
    inputs: Callable[[Params, np.random.Generator], list[dict[str, np.ndarray]]] | None = None
    signature: str = ""
    scenario: str = ""
    outputs_judge: Callable[..., Any] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.id}: kind must be one of {KINDS}, got {self.kind!r}")
        for var in self.variables:
            if var not in self.domains:
                raise ValueError(f"{self.id}: variable {var!r} has no domain")
        for var, dom in self.domains.items():
            if not (dom in DOMAINS or (isinstance(dom, tuple) and len(dom) == 2)):
                raise ValueError(f"{self.id}: domain of {var!r} must be one of {DOMAINS} or a "
                                 f"(low, high) pair, got {dom!r}")
        if self.kind == "choice" and sum(o.correct for o in self.options) != 1:
            raise ValueError(f"{self.id}: a choice problem needs exactly one correct option")

    def __repr__(self) -> str:
        return f"Problem({self.id!r}, session={self.session}, kind={self.kind!r})"

    # ------------------------------------------------------------------ variants
    def variant(self, student: str | None = None, attempt: int = 0) -> "Variant":
        """The variant of this problem for ``student`` (canonical when ``student`` is None).

        The seed is the SHA-256 of ``f"{student}|{problem_id}|{attempt}"`` (``scenario`` in place of
        the id when set), so the same learner sees the same numbers on every machine, and a retry
        (``attempt + 1``) sees new ones.
        """
        seed = variant_seed(student, self.scenario or self.id, attempt)
        if student is None or self.sampler is None:
            params = dict(self.canonical)
        else:
            params = dict(self.sampler(np.random.default_rng(seed)))
        return Variant(problem=self, params=params, seed=seed, student=student, attempt=attempt)

    # ------------------------------------------------------------------ function protocol
    def draw_inputs(self, variant: "Variant", rng: np.random.Generator) -> list[dict[str, np.ndarray]]:
        """Inputs on which a learner's function is called (keyword arguments, one dict per call).

        They include ordinary values, extreme logits (±800), ties and kinks.
        """
        if self.kind != "function" or self.inputs is None:
            raise ValueError(f"{self.id} is a {self.kind!r} problem, not a function problem")
        return self.inputs(variant.params, rng)


@dataclass(frozen=True, eq=False)
class Variant:
    """One learner's version of a problem: the problem plus its parameters."""

    problem: Problem
    params: Params
    seed: int
    student: str | None = None
    attempt: int = 0

    @property
    def id(self) -> str:
        return self.problem.id

    @cached_property
    def context(self) -> Params:
        """Template values: the parameters plus the problem's derived quantities."""
        extra = self.problem.derive(self.params) if self.problem.derive else {}
        return {**self.params, **extra}

    def prompt(self) -> str:
        """The question as Markdown + LaTeX, with this variant's numbers."""
        return render(self.problem.prompt, self.context)

    def solution(self) -> str:
        """The worked solution as Markdown + LaTeX, with this variant's numbers."""
        return render(self.problem.solution, self.context)

    @property
    def hints(self) -> tuple[str, ...]:
        """The tiered hints, gentlest first."""
        return tuple(render(h, self.context) for h in self.problem.hints)

    @cached_property
    def reference(self) -> Any:
        """The reference answer of this variant (never shown to the learner by a check)."""
        if self.problem.kind == "choice":
            return next(o.key for o in self.problem.options if o.correct)
        if self.problem.reference is None:
            raise ValueError(f"{self.id} has no reference")
        return self.problem.reference(self.params)


def variant_seed(student: str | None, problem_id: str, attempt: int) -> int:
    """Seed of a variant: the first 8 bytes of SHA-256 of ``"student|problem_id|attempt"``."""
    digest = hashlib.sha256(f"{student}|{problem_id}|{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*(?::([^}]*))?\}\}")


def render(template: str, context: Mapping[str, Any]) -> str:
    """Replace ``{{name}}`` / ``{{name:fmt}}`` in ``template`` with values from ``context``.

    Floats without a format are written with ``:g``; everything else with ``str``.
    """

    def sub(match: re.Match) -> str:
        name, fmt = match.group(1), match.group(2)
        if name not in context:
            raise KeyError(f"template placeholder {{{{{name}}}}} has no value; known: "
                           f"{', '.join(sorted(context))}")
        value = context[name]
        if fmt:
            return format(value, fmt)
        if isinstance(value, (float, np.floating)):
            return format(float(value), "g")
        return str(value)

    return _PLACEHOLDER.sub(sub, template)
