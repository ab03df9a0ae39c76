"""Judging the capstone's design task: a loss the learner designs, and the classifier it trains.

Both are function problems, so they follow the function protocol of
:mod:`lossedu.checking.functions` (inputs drawn by the checker, outputs judged as data; homework
grading calls the learner's code in its sandboxed child and judges here, in the parent). They
set ``Problem.outputs_judge`` because there is no single right answer to compare with:

* :func:`judge_loss_outputs`: a pair ``(loss_fn, grad_fn)`` of the learner's *own* loss. The
  gradient must match central finite differences of that loss (h = 1e-5 at moderate logits,
  h = 1e-3 in the tails), push every logit toward its label (dL/dz <= 0 for y = 1, >= 0 for
  y = 0, not all zero), and both functions must stay finite and warning-free at logits of
  ±40 and ±800.
* :func:`judge_classifier_outputs`: the learner's ``predict(X)`` returns 0/1 decisions on a test
  set drawn at check time (in homework from the grader's secret seed). Its expected cost, computed
  from the exact posterior of :mod:`lossedu.checking.scenario`, is compared with plain BCE
  thresholded at 1/2 and with the Bayes-optimal cost on the same points:

  ========================================================  =========================
  cost <= (1 + BAYES_MARGIN) x Bayes cost                   correct, score 1
  cost <= (1 - BEAT_MARGIN) x cost of BCE at 1/2 only       incorrect, score 1/2
  otherwise                                                 incorrect, score 0
  ========================================================  =========================

Feedback names the part that falls short (the gradient, stability, the threshold or the
orientation of the boundary, the cost) without giving a right answer.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from lossedu.checking import scenario
from lossedu.checking.calling import CALL_KEY, split_call
from lossedu.checking.functions import FD_STEP, FD_TOL, NOTHING, diagnose_values
from lossedu.result import CORRECT, INCORRECT, INVALID, UNATTEMPTED, Result
from lossedu.spec import Variant

#: Test points of the hidden test set.
N_TEST = 20_000
#: Full credit: within this share of the Bayes-optimal cost.
BAYES_MARGIN = 0.05
#: Half credit: at least this share below the cost of plain BCE thresholded at 1/2.
BEAT_MARGIN = 0.10
#: Step and tolerance of the finite differences in the tails (|z| from 8 to 30).
TAIL_STEP = 1e-3
TAIL_TOL = (1e-3, 1e-5)
#: Logits at which the pair must stay finite and silent.
EXTREME_Z = (800.0, -800.0, 40.0, -40.0)
_ROLE = {"loss": "loss function", "grad": "gradient function"}


# ---------------------------------------------------------------------------- inputs
def loss_inputs(params: dict, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Calls for the designed pair: finite-difference triples, tails and extreme logits.

    For 8 moderate logits (both labels) the loss at z - h, z, z + h (h = 1e-5) next to the
    gradient at z; the same for 6 tail logits |z| in [8, 30] with h = 1e-3; both functions at
    z = ±800 and ±40 for both labels.
    """
    calls: list[dict[str, Any]] = []
    # rounded, then moved half a step of the rounding away: never within h of a kink at a round
    # number such as the hinge's z = ±1, where a finite difference averages two slopes
    for h, z in ((FD_STEP, np.round(rng.uniform(-4.0, 4.0, 8), 3) + 5e-4),
                 (TAIL_STEP, np.round(rng.choice([-1.0, 1.0], 6) * rng.uniform(8.0, 30.0, 6), 2) + 5e-3)):
        y = np.tile([0.0, 1.0], len(z) // 2)
        calls += [{CALL_KEY: "loss", "y": y, "z": z + s} for s in (-h, 0.0, h)]
        calls.append({CALL_KEY: "grad", "y": y, "z": z})
    y_big = np.repeat([1.0, 0.0], len(EXTREME_Z))
    z_big = np.tile(EXTREME_Z, 2)
    calls += [{CALL_KEY: name, "y": y_big, "z": z_big} for name in ("loss", "grad")]
    return calls


def classifier_inputs(params: dict, rng: np.random.Generator) -> list[dict[str, np.ndarray]]:
    """One call: ``X`` of shape (N_TEST, 2), fresh points of the scenario (labels are not needed)."""
    X, _ = scenario.draw(params, N_TEST, rng)
    return [{"X": X}]


# ---------------------------------------------------------------------------- the designed loss
class _Call:
    def __init__(self, kwargs: dict[str, Any], out: Any, warned: Sequence[str]) -> None:
        self.name, self.args = split_call(kwargs)
        self.y = np.asarray(self.args.get("y"), float)
        self.z = np.asarray(self.args.get("z"), float)
        self.out, self.warned = out, list(warned)
        self.extreme = bool(np.max(np.abs(self.z), initial=0.0) > 35.0)

    def value(self) -> np.ndarray:
        return np.asarray(self.out, dtype=float)

    def at(self, j: int) -> str:
        return f"y = {self.y[j]:g}, z = {self.z[j]:.4g}"


def _blank(out: Any) -> bool:
    return out is None or (isinstance(out, str) and out == NOTHING)


def _fail(variant: Variant, message: str, diagnosis: str | None = "other",
          counterexample: dict | None = None, details: dict | None = None) -> Result:
    return Result(INCORRECT, 0.0, message, diagnosis, counterexample, None, variant.id, details or {})


def judge_loss_outputs(variant: Variant, inputs: Sequence[dict[str, Any]], outputs: Sequence[Any],
                       warnings: Sequence[Sequence[str]] | None = None) -> Result:
    """Judge the learner's designed pair (loss_fn, grad_fn) from its outputs (see the module doc)."""
    warnings = list(warnings) if warnings is not None else [[] for _ in inputs]
    calls = [_Call(k, o, w) for k, o, w in zip(inputs, outputs, warnings)]
    if any(c.name not in _ROLE for c in calls):
        return Result(INVALID, message=f"Every input must name its callable ({CALL_KEY}).", problem_id=variant.id)
    blank = [_ROLE[n] for n in _ROLE if all(_blank(c.out) for c in calls if c.name == n)]
    if blank:
        return Result(UNATTEMPTED, message=f"Not attempted yet: your {' and your '.join(blank)} "
                      f"{'returns' if len(blank) == 1 else 'return'} nothing.", problem_id=variant.id)
    unstable: list[str] = []
    for c in calls:
        role = _ROLE[c.name]
        if isinstance(c.out, str):
            if c.extreme:
                unstable.append(f"your {role} raised {c.out} at logits of ±800")
                continue
            return _fail(variant, f"Called with y and z of shape {c.z.shape}, your {role} raised an error: {c.out}")
        if c.value().shape != c.z.shape:
            return _fail(variant, f"Called with y and z of shape {c.z.shape}, your {role} returned shape "
                         f"{c.value().shape}; it must return one value per example.", "shape")
        bad = ~np.isfinite(c.value())
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            unstable.append(f"at {c.at(j)} your {role} returns {c.value()[j]}")
        elif c.warned:
            unstable.append(f"your {role} emits {c.warned[0]} "
                            f"{'at logits as large as ±800' if c.extreme else 'at ordinary logits'}")
    ordinary = [c for c in calls if not c.extreme and not isinstance(c.out, str)]
    slope = _slope_mismatch(variant, ordinary)
    if slope is not None:
        return slope
    direction = _direction(variant, [c for c in ordinary if c.name == "grad"])
    if direction is not None:
        return direction
    if unstable:
        return _fail(variant, "Your gradient matches the slope of your loss, but the pair is not numerically "
                     f"stable: {unstable[0]}. Never exponentiate a large positive number: build σ(z) and "
                     "log σ(z) from np.logaddexp(0, -z).", "unstable", details={"unstable": unstable})
    n_fd = sum(c.z.size for c in ordinary if c.name == "grad")
    return Result(CORRECT, 1.0, f"Your gradient matches finite differences of your own loss at {n_fd} logits, "
                  "tails included; it pushes every logit toward its label; both functions stay finite and "
                  "warning-free at logits of ±800.", problem_id=variant.id)


def _slope_mismatch(variant: Variant, calls: list[_Call]) -> Result | None:
    """Incorrect when the gradient differs from (L(z + h) - L(z - h)) / 2h of the learner's loss."""
    losses = [c for c in calls if c.name == "loss"]
    for g in (c for c in calls if c.name == "grad"):
        for h, tol in ((FD_STEP, FD_TOL), (TAIL_STEP, TAIL_TOL)):
            side = [next((c for c in losses if c.z.shape == g.z.shape and np.array_equal(c.y, g.y)
                          and np.allclose(c.z, g.z + s, rtol=0, atol=h * 1e-3)), None) for s in (h, -h)]
            if any(c is None for c in side):
                continue
            with np.errstate(all="ignore"):
                fd = (side[0].value() - side[1].value()) / (2 * h)
            got = g.value()
            ok = np.isfinite(got) & (np.abs(got - fd) <= tol[1] + tol[0] * np.abs(fd))
            if ok.all():
                continue
            j = int(np.flatnonzero(~ok)[0])
            tag, text = diagnose_values(g.args, got, fd, tol, "Your gradient")
            where = "in the tails" if h == TAIL_STEP else "at moderate logits"
            return _fail(variant, f"Your gradient does not match the slope of your own loss {where}: at "
                         f"{g.at(j)} the finite difference (L(z + h) − L(z − h))/2h of your loss is {fd[j]:.6g} "
                         f"but your gradient returns {got[j]:.6g}. {text} Differentiate your loss again "
                         "(every factor of the chain rule), or fix the loss if the gradient is the one you meant.",
                         tag or "other", {"point": {"y": float(g.y[j]), "z": float(g.z[j])},
                                          "expected": float(f"{fd[j]:.6g}"), "got": float(f"{got[j]:.6g}"),
                                          "function": "grad"})
    return None


def _direction(variant: Variant, grads: list[_Call]) -> Result | None:
    """Incorrect when the loss rewards moving a logit away from its label, or ignores the logit."""
    if not grads:
        return None
    y = np.concatenate([g.y for g in grads])
    z = np.concatenate([g.z for g in grads])
    d = np.concatenate([g.value() for g in grads])
    wrong = ((y == 1) & (d > 1e-9)) | ((y == 0) & (d < -1e-9))
    if wrong.any():
        j = int(np.flatnonzero(wrong)[0])
        both = all(wrong[y == v].any() for v in (0.0, 1.0))
        return _fail(variant, f"Your loss pushes the logit away from the label: at y = {y[j]:g}, z = {z[j]:.4g} "
                     f"dL/dz = {d[j]:.4g}, so gradient descent would move z "
                     f"{'down' if y[j] == 1 else 'up'}. A loss for labels 0/1 must not decrease as z moves "
                     "toward the wrong class.", "sign" if both else "label")
    if np.all(np.abs(d) <= 1e-9):
        return _fail(variant, "Your gradient is zero at every logit tried: the loss does not depend on z, "
                     "so training cannot move the model.")
    return None


# ---------------------------------------------------------------------------- the classifier
def judge_classifier_outputs(variant: Variant, inputs: Sequence[dict[str, Any]], outputs: Sequence[Any],
                             warnings: Sequence[Sequence[str]] | None = None) -> Result:
    """Score the learner's decisions on the hidden test set by their expected cost."""
    pid, params = variant.id, variant.params
    X = np.asarray(inputs[0]["X"], float)
    out = outputs[0]
    if _blank(out):
        return Result(UNATTEMPTED, message="Not attempted yet: your predict function returns nothing.",
                      problem_id=pid)
    if isinstance(out, str):
        return _fail(variant, f"Called with X of shape {X.shape}, your predict function raised an error: {out}")
    d = np.asarray(out, dtype=float)
    if d.size != len(X):
        return _fail(variant, f"Called with X of shape {X.shape}, your predict function returned shape "
                     f"{d.shape}; it must return one decision per row.", "shape")
    d = d.ravel()
    if not np.all(np.isfinite(d) & ((d == 0) | (d == 1))):
        return Result(INVALID, message="Your predict function must return decisions 0 or 1 (for example "
                      "(scores > t).astype(float)), not probabilities or scores.", problem_id=pid)
    cost = scenario.expected_cost(params, X, d)
    bayes = scenario.bayes_cost(params, X)
    base = scenario.expected_cost(params, X, scenario.baseline_decisions(params, X))
    full, half = (1 + BAYES_MARGIN) * bayes, (1 - BEAT_MARGIN) * base
    details = {"cost": cost, "bayes_cost": bayes, "baseline_cost": base, "full_credit_below": full,
               "half_credit_below": half, "positive_rate": float(d.mean())}
    numbers = (f"Expected cost per example on {len(X)} fresh test points: yours {cost:.4f}; plain BCE at "
               f"threshold 1/2: {base:.4f}; the best possible: {bayes:.4f}.")
    if cost <= full:
        return Result(CORRECT, 1.0, f"{numbers} Within {BAYES_MARGIN:.0%} of the best possible cost: full "
                      "credit.", problem_id=pid, details=details)
    why = _why_costly(params, X, d)
    if cost <= half:
        return Result(INCORRECT, 0.5, f"{numbers} You beat plain BCE at 1/2 by more than {BEAT_MARGIN:.0%} "
                      f"(half credit); full credit needs a cost at most {full:.4f}. {why}",
                      "other", problem_id=pid, details=details)
    return Result(INCORRECT, 0.0, f"{numbers} Credit needs a cost at least {BEAT_MARGIN:.0%} below plain BCE "
                  f"at 1/2 (at most {half:.4f}). {why}", "other", problem_id=pid, details=details)


def _why_costly(params: dict, X: np.ndarray, d: np.ndarray) -> str:
    """Which part falls short: everything one class, the threshold, or the boundary's orientation."""
    if d.min() == d.max():
        return (f"You predict {int(d[0])} for every point: a linear score with a threshold chosen from "
                "the costs does better.")
    a = scenario.log_odds(params, X)
    order = np.argsort(a)
    ds = d[order]
    zeros_below = np.concatenate([[0.0], np.cumsum(1 - ds)])
    ones_above = np.concatenate([[ds.sum()], ds.sum() - np.cumsum(ds)])
    agreement = float(np.max(zeros_below + ones_above)) / len(d)
    bayes_rate = float(scenario.bayes_decisions(params, X).mean())
    if agreement >= 0.98:
        more = "more" if d.mean() < bayes_rate else "fewer"
        return ("Your boundary points the right way, but it sits in the wrong place: the threshold is off "
                f"(predicting 1 for {more} points would cost less). Recheck the threshold for the loss you "
                "trained with.")
    return ("Your boundary is tilted compared with the best linear one: look at the training (is the loss "
            "minimised? is the model trained on the data of this scenario?) and at the loss itself.")
