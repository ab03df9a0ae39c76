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

        The seed is the SHA-256 of ``f"{student}|{key}|{attempt}"`` where ``key`` is the problem's
        ``scenario`` when set and its id otherwise, so the same learner sees the same numbers on
        every machine, and problems of one scenario share their data. A retry (``attempt + 1``)
        draws again from its own seed until its reference answer differs from the previous
        attempt's (see :func:`_learner_params`), so a revealed solution never answers the next
        variant. A choice problem also draws the order of its options (``params["order"]``).
        """
        seed = variant_seed(student, self.scenario or self.id, attempt)
        if student is None:
            params = dict(self.canonical)
            if self.kind == "choice":
                params["order"] = list(range(len(self.options)))
        else:
            params = dict(_learner_params(self, student, int(attempt)))
        return Variant(problem=self, params=params, seed=seed, student=student, attempt=attempt)

    def draw(self, rng: np.random.Generator) -> Params:
        """One draw of a learner's parameters: the sampler's, plus the option order of a choice problem."""
        params = dict(self.sampler(rng)) if self.sampler is not None else dict(self.canonical)
        if self.kind == "choice":
            params["order"] = [int(v) for v in rng.permutation(len(self.options))]
        return params

    def reference_of(self, params: Params) -> Any:
        """The reference answer for ``params`` (a choice problem: the key shown for the right option)."""
        if self.kind == "choice":
            correct = next(i for i, o in enumerate(self.options) if o.correct)
            return OPTION_KEYS[list(params["order"]).index(correct)]
        if self.reference is None:
            raise ValueError(f"{self.id} has no reference")
        return self.reference(params)

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
        """Template values: the parameters plus the problem's derived quantities.

        A choice problem adds ``key`` (the key shown for the right option) and ``key_<k>`` (the
        key shown for the option written with key ``k``), for solutions and hints.
        """
        extra = self.problem.derive(self.params) if self.problem.derive else {}
        if self.problem.kind == "choice":
            shown = {o.key: k for k, o in self.shown_options()}
            extra = {**extra, "key": self.reference, **{f"key_{k}": v for k, v in shown.items()}}
        return {**self.params, **extra}

    def prompt(self) -> str:
        """The question as Markdown + LaTeX, with this variant's numbers (and options, shuffled)."""
        text = render(self.problem.prompt, self.context)
        keys = [k for k in self.params if k != "order"]
        if self.problem.kind in ("value", "function") and keys:
            text += ("\n\n_Your numbers: with `p = ex.qN.params`, use "
                     + ", ".join(f'`p["{k}"]`' for k in keys) + "._")
        if self.problem.kind == "value":
            text += " " + PRECISION_TEXT
        if self.problem.kind == "choice":
            stem, texts = split_options(text)
            listed = "\n".join(f"- **{k}**: {texts.get(o.key, o.text)}" for k, o in self.shown_options())
            text = f"{stem.rstrip()}\n\n{listed}\n\nAnswer with the key of one option, as shown here."
        return text

    def option_text(self, option: "Option") -> str:
        """The full text of ``option`` as the question lists it (its short ``text`` otherwise)."""
        _, texts = split_options(render(self.problem.prompt, self.context))
        return texts.get(option.key, option.text)

    def _shown_letters(self, text: str) -> str:
        """``**b**`` (an option written with key b) -> the key this variant shows it under."""
        if self.problem.kind != "choice":
            return text
        shown = {o.key: k for k, o in self.shown_options()}
        return _BOLD_KEY.sub(lambda m: f"**{shown.get(m.group(1), m.group(1))}**", text)

    def solution(self) -> str:
        """The worked solution as Markdown + LaTeX, with this variant's numbers (and option keys)."""
        return self._shown_letters(render(self.problem.solution, self.context))

    @property
    def hints(self) -> tuple[str, ...]:
        """The tiered hints, gentlest first."""
        return tuple(self._shown_letters(render(h, self.context)) for h in self.problem.hints)

    @cached_property
    def reference(self) -> Any:
        """The reference answer of this variant (never shown to the learner by a check)."""
        return self.problem.reference_of(self.params)

    # ------------------------------------------------------------------ choice problems
    def shown_options(self) -> list[tuple[str, "Option"]]:
        """``(key shown, option)`` in the order this variant shows them (a, b, c, ...)."""
        order = self.params.get("order") or list(range(len(self.problem.options)))
        return [(OPTION_KEYS[pos], self.problem.options[i]) for pos, i in enumerate(order)]

    def option(self, key: str) -> "Option | None":
        """The option shown under ``key`` (case and brackets ignored), or None."""
        want = key.strip().strip("().[] ").lower()
        return next((o for k, o in self.shown_options() if k == want), None)

    def shown_key(self, option: "Option") -> str:
        """The key under which this variant shows ``option``."""
        return next(k for k, o in self.shown_options() if o is option)


_OPTION_LINE = re.compile(r"^- \*\*([a-h])\*\*: ?(.*)$", re.MULTILINE)
_BOLD_KEY = re.compile(r"\*\*([a-h])\*\*")


def split_options(prompt: str) -> tuple[str, dict[str, str]]:
    """A choice prompt written with its options as ``- **a**: text`` lines -> (stem, {key: text}).

    The bank may write the options into the prompt in authoring order (as the seed text does);
    the variant lists them again in its own shuffled order.
    """
    texts = {m.group(1): m.group(2).strip() for m in _OPTION_LINE.finditer(prompt)}
    stem = _OPTION_LINE.sub("", prompt).rstrip()
    return stem, texts


#: Keys under which the options of a choice problem are shown, in order.
OPTION_KEYS = "abcdefgh"
#: Draws of one attempt before giving up on a reference different from the previous attempt's.
MAX_REDRAWS = 64
#: Beyond this attempt number the chain to the previous attempt is not followed (a plain draw).
MAX_CHAIN = 1000


def answer_key(problem: Problem, params: Params) -> str:
    """A comparable fingerprint of the reference answer for ``params`` (numbers rounded to 9 digits)."""
    ref = problem.reference_of(params)
    if problem.kind == "function":
        return repr(sorted((k, repr(v)) for k, v in params.items()))
    try:
        arr = np.asarray(ref, dtype=float)
        return "values:" + repr(np.round(arr, 9).tolist())
    except (TypeError, ValueError):
        return "text:" + repr(ref)


_CHAINS: dict[tuple[str, str], list[Params]] = {}


def _learner_params(problem: Problem, student: str, attempt: int) -> Params:
    """The parameters of a learner's variant ``attempt``.

    Attempt 0 is the first draw from its seed. Attempt ``a`` draws from its own seed until the
    reference answer differs from attempt ``a - 1``'s (at most :data:`MAX_REDRAWS` draws), so
    ``solution()`` then ``retry()`` never shows the answer of the next variant. The chain is
    cached per learner; beyond :data:`MAX_CHAIN` attempts a plain draw is used.
    """
    def draw(rng: np.random.Generator, before: str | None) -> Params:
        params = problem.draw(rng)
        for _ in range(MAX_REDRAWS):
            if not ambiguous(problem, params) and (before is None or answer_key(problem, params) != before):
                break
            params = problem.draw(rng)
        return params

    if problem.sampler is None and problem.kind != "choice":
        return dict(problem.canonical)
    if attempt > MAX_CHAIN:
        return draw(np.random.default_rng(variant_seed(student, problem.scenario or problem.id, attempt)), None)
    chain = _CHAINS.setdefault((problem.id + "\x00" + repr(id(problem)), student), [])
    while len(chain) <= attempt:
        a = len(chain)
        rng = np.random.default_rng(variant_seed(student, problem.scenario or problem.id, a))
        chain.append(draw(rng, answer_key(problem, chain[-1]) if a > 0 else None))
    return chain[attempt]


def ambiguous(problem: Problem, params: Params) -> bool:
    """True when a catalogued wrong answer of a value problem would pass as right for ``params``
    (e.g. a mini-batch whose 1-based numbers read as 0-based indices pick the same values because
    two examples are identical), or two catalogued mistakes give the same numbers (the feedback
    could not tell them apart): such a variant is never drawn for a learner."""
    if problem.kind != "value":
        return False
    expected = np.asarray(problem.reference_of(params), dtype=float)
    answers = [expected]
    for mistake in problem.mistakes:
        if not callable(mistake.answer):
            continue
        try:
            wrong = np.asarray(mistake.answer(params), dtype=float)
        except (TypeError, ValueError, IndexError, ZeroDivisionError):
            continue
        if wrong.shape != expected.shape:
            continue
        # a mistake that passes as right, or that two catalogued mistakes share (whose message then?)
        if any(np.all(value_close(wrong, a, problem.tolerance)) for a in answers):
            return True
        answers.append(wrong)
    return False


def variant_seed(student: str | None, problem_id: str, attempt: int) -> int:
    """Seed of a variant: the first 8 bytes of SHA-256 of ``"student|problem_id|attempt"``."""
    digest = hashlib.sha256(f"{student}|{problem_id}|{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


#: The precision policy of every value question, as a problem's ``tolerance``: an entry is right
#: when it is within half a unit of the third significant digit of the expected value (so 0.667
#: for 2/3, not 0.67), or within 1e-6 of an exact zero. The pair's numbers are the loosest
#: relative and absolute tolerance the rule can reach; :func:`value_close` applies the rule.
VALUE_TOL = (5e-3, 1e-6)
SIGNIFICANT_DIGITS = 3


def value_close(got: Any, expected: Any, tolerance: tuple[float, float]) -> np.ndarray:
    """Entry-wise: is ``got`` right for ``expected`` under ``tolerance``?

    With :data:`VALUE_TOL` the precision policy applies (three significant digits); any other
    ``(rtol, atol)`` means ``|got - expected| <= atol + rtol * |expected|``.
    """
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    rtol, atol = tolerance
    with np.errstate(all="ignore"):
        if tuple(tolerance) == VALUE_TOL:
            magnitude = np.floor(np.log10(np.maximum(np.abs(expected), 1e-300)))
            half_unit = 0.5 * 10.0 ** (magnitude - (SIGNIFICANT_DIGITS - 1))
            return np.abs(got - expected) <= half_unit * (1 + 1e-9) + atol
        return np.abs(got - expected) <= atol + rtol * np.abs(expected)
#: The sentence every value question ends with.
PRECISION_TEXT = "Give numbers to at least three significant digits (exact forms such as 1/3 work too)."


def coefficient_tex(c: float) -> str:
    """``c`` as a LaTeX factor in front of a term: empty for 1, ``"3\\,"`` otherwise."""
    return "" if float(c) == 1.0 else f"{float(c):g}\\,"


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
