"""Learner functions: ready-made losses through indirection, batches of mixed scales, float32
finite differences, and the counterexample batch.

(The time bound on learner code is tested in ``test_check_hostile.py``.)
"""
from __future__ import annotations

import functools
import importlib

import numpy as np
import pytest

from lossedu import losses, problems
from lossedu.checking import functions

BCE = "impl.bce_with_logits"
SOFTMAX = "impl.softmax_cross_entropy"
PAIR = "impl.bce_with_logits_grad"


# ---------------------------------------------------------------------------- ready-made losses
class _Holder:
    pass


_holder = _Holder()
_holder.loss = losses.bce_with_logits
_table = {"bce": losses.bce_with_logits}
_module = importlib.import_module("lossedu.losses")
_vectorized = np.vectorize(lambda a, b: float(losses.bce_with_logits(np.array([a]), np.array([b]))[0]))
_partial = functools.partial(losses.bce_with_logits)


def _via_importlib(y, z):
    return importlib.import_module("lossedu." + "losses").bce_with_logits(y, z)


def _via_holder(y, z):
    return _holder.loss(y, z)


def _via_dict(y, z):
    return _table["bce"](y, z)


def _via_vectorize(y, z):
    return _vectorized(y, z)


def _via_getattr(y, z):
    return getattr(_module, "bce_with_" + "logits")(y, z)


def _via_partial_in_lambda(y, z):
    return (lambda a, b: _partial(a, b))(y, z)


@pytest.mark.parametrize("fn", [_via_importlib, _via_holder, _via_dict, _via_vectorize, _via_getattr,
                                _partial, _via_partial_in_lambda],
                         ids=["importlib", "holder", "dict", "vectorize", "getattr", "partial", "lambda"])
def test_ready_made_loss_through_indirection_earns_no_credit(fn):
    r = problems.check(BCE, fn)
    assert r.status == "incorrect" and r.diagnosis == "reference", r
    assert "bce_with_logits" in r.message or "lossedu.losses" in r.message
    assert r.details["values"] == "correct"  # it says the values were right, but computed elsewhere


def test_own_numpy_code_is_not_mistaken_for_a_ready_made_loss():
    def mine(y, z):
        return np.logaddexp(0.0, z) - y * z
    assert problems.check(BCE, mine).status == "correct"


# ---------------------------------------------------------------------------- mixed scales
def _softmax_ce(y, z, axis_max):
    m = z.max(axis=1, keepdims=True) if axis_max else z.max()
    lse = np.squeeze(m, axis=1) if axis_max else m
    lse = lse + np.log(np.exp(z - m).sum(axis=1))
    return lse - z[np.arange(len(y)), y]


def test_softmax_subtracting_the_global_max_fails_on_rows_of_different_scales():
    per_row = problems.check(SOFTMAX, lambda y, z: _softmax_ce(y, z, True))
    assert per_row.status == "correct", per_row
    whole = problems.check(SOFTMAX, lambda y, z: _softmax_ce(y, z, False))
    assert whole.status == "incorrect", whole
    assert "batch" in whole.message  # names the batch on which it goes wrong


def test_test_batches_mix_rows_of_very_different_scales():
    v = problems.get(SOFTMAX).variant(None)
    inputs = functions.test_inputs(v)
    spreads = [np.ptp(np.asarray(kw["z"]).max(axis=1)) for kw in inputs if np.ndim(kw["z"]) == 2]
    assert max(spreads) > 1000  # row maxima more than 1000 apart within one batch


def test_counterexample_names_the_batch_when_the_function_reduces_over_it():
    """Right on every single row, wrong on a batch: the message gives the batch, not a row alone."""
    def batch_dependent(y, z):
        return np.logaddexp(0.0, z) - y * z + 0.1 * (z.max() - z)  # 0 for a batch of one row
    r = problems.check(BCE, batch_dependent)
    assert r.status == "incorrect", r
    assert "row" in r.message and "of the batch" in r.message
    row = r.counterexample["point"]
    one = batch_dependent(np.array([row["y"]]), np.array([row["z"]]))
    assert one[0] == pytest.approx(r.counterexample["expected"], rel=1e-5)  # the row alone is right


# ---------------------------------------------------------------------------- float32
def _loss32(y, z):
    y, z = np.asarray(y, np.float32), np.asarray(z, np.float32)
    return (np.maximum(z, np.float32(0)) - y * z) + np.log1p(np.exp(-np.abs(z)))


def _grad32(y, z):
    y, z = np.asarray(y, np.float32), np.asarray(z, np.float32)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(np.float32) - y


def test_a_float32_loss_and_gradient_pair_is_accepted():
    assert _loss32(np.ones(2), np.ones(2)).dtype == np.float32
    r = problems.check(PAIR, (_loss32, _grad32))
    assert r.status == "correct", r


def test_float64_finite_difference_step_is_too_small_for_float32():
    """Why the step depends on the dtype: with h = 1e-5 float32 rounding swamps the slope."""
    y, z = np.array([0.0, 1.0, 1.0]), np.array([0.37, -1.21, 2.9])
    h = functions.FD_STEP
    fd = (_loss32(y, z + h).astype(float) - _loss32(y, z - h).astype(float)) / (2 * h)
    rtol, atol = functions.FD_TOL
    assert not np.all(np.abs(fd - _grad32(y, z)) <= atol + rtol * np.abs(_grad32(y, z)))
    h = functions.FD_STEP_32
    fd = (_loss32(y, z + h).astype(float) - _loss32(y, z - h).astype(float)) / (2 * h)
    assert np.allclose(fd, _grad32(y, z), rtol=2e-3, atol=2e-4)


def test_a_float32_pair_with_a_wrong_gradient_is_still_caught():
    r = problems.check(PAIR, (_loss32, lambda y, z: 2 * _grad32(y, z)))
    assert r.status == "incorrect" and r.diagnosis == "factor"
