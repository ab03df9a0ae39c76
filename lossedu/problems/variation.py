"""Loss parameters that vary between variants, shared by the session modules.

Each ``NAME = dict(canonical=..., sampler=..., derive=...)`` is spread into a :class:`Problem`
(``**WEIGHTED``): the canonical variant keeps the source text's loss (weight 1, no smoothing,
temperature 1); a learner's variant draws the parameter, and ``derive`` gives the template text
that states it (empty for the canonical value).
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from lossedu import derivations as D
from lossedu.spec import coefficient_tex


# ---------------------------------------------------------------------------- an example's weight
def _weight_sampler(rng: np.random.Generator) -> dict:
    """A per-example weight a (as in a weighted risk): the loss of this example is a times the plain one."""
    return {"a": int(rng.choice([2, 3, 4, 5]))}


def _weight_text(params: dict) -> dict:
    a = params["a"]
    return {"a_tex": coefficient_tex(a),
            "weighted": "" if a == 1 else f" of an example that carries weight $a = {a}$ in the risk",
            "weighted_sentence": "" if a == 1 else
            f" This example carries the weight $a = {a}$: its loss is $a$ times the plain one."}


WEIGHTED = dict(canonical={"a": 1}, sampler=_weight_sampler, derive=_weight_text)


# ---------------------------------------------------------------------------- smoothed targets
def _smoothing_sampler(rng: np.random.Generator) -> dict:
    """Label smoothing: the target of a label y ∈ {0, 1} is ỹ = (1 − ε)y + ε/2."""
    return {"eps": float(rng.choice([0.05, 0.1, 0.2, 0.3]))}


def _smoothing_text(params: dict) -> dict:
    eps = params["eps"]
    if eps == 0:
        return {"target": "y", "target_tex": "y", "smoothing": ""}
    return {"target": f"((1 - {eps:g})*y + {eps / 2:g})", "target_tex": r"\tilde y",
            "smoothing": (rf" With label smoothing $\varepsilon = {eps:g}$ the target is "
                          rf"$\tilde y = (1 - \varepsilon)\,y + \varepsilon/2$ instead of $y$.")}


def _smoothed(params: dict) -> sp.Expr:
    """ỹ as a SymPy expression in y (y itself when ε = 0)."""
    eps = sp.nsimplify(params["eps"])
    return (1 - eps) * D.y + eps / 2


SMOOTHED = dict(canonical={"eps": 0.0}, sampler=_smoothing_sampler, derive=_smoothing_text)


# ---------------------------------------------------------------------------- softmax temperature
def _temperature_sampler(rng: np.random.Generator) -> dict:
    """A softmax temperature T: the probabilities are softmax(z / T)."""
    return {"T": float(rng.choice([0.5, 2.0, 3.0, 4.0]))}


def _temperature_text(params: dict) -> dict:
    T = params["T"]
    if T == 1:
        return {"scaled": "z", "temp": ""}
    return {"scaled": f"z/{T:g}",
            "temp": rf" The softmax runs at temperature $T = {T:g}$: $\hat p = \mathrm{{softmax}}(z / T)$."}


def _tempered(exprs: list, params: dict) -> list:
    """Expressions in z1, z2, z3 with every z_j replaced by z_j / T."""
    T = sp.nsimplify(params["T"])
    return [sp.sympify(e).subs({zj: zj / T for zj in D.ZS}, simultaneous=True) for e in exprs]


TEMPERATURE = dict(canonical={"T": 1.0}, sampler=_temperature_sampler, derive=_temperature_text)


