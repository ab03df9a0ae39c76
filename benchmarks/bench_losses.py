"""Time every vectorized loss in lossedu.losses on 10^6 elements against the closest plain
NumPy / scipy.special expression, and print a table (best of several repeats).

    .venv/bin/python benchmarks/bench_losses.py [--n 1000000] [--repeat 5]

Our functions also validate their inputs (finite, in domain, broadcastable); the ratio shows what
that and the stable formulations cost. The references skip validation.
"""
from __future__ import annotations

import argparse
import timeit

import numpy as np
import scipy.special as sp

from lossedu import losses as L


def cases(n: int, k: int = 10):
    rng = np.random.default_rng(0)
    y_reg, pred = rng.normal(size=n), rng.normal(size=n)
    y_pm = rng.choice([-1.0, 1.0], size=n)
    y01 = rng.integers(0, 2, size=n).astype(np.float64)
    z = rng.normal(scale=5.0, size=n)
    p = rng.uniform(0.001, 0.999, size=n)
    Z = rng.normal(scale=5.0, size=(n // k, k))
    labels = rng.integers(0, k, size=n // k)
    rows = np.arange(n // k)
    w = rng.uniform(0.5, 2.0, size=k)

    def ref_multiclass_hinge():
        others = Z.copy()
        others[rows, labels] = -np.inf
        return np.maximum(0.0, 1.0 + others.max(axis=1) - Z[rows, labels])

    return [
        ("mse", lambda: L.mse(y_reg, pred), lambda: 0.5 * (pred - y_reg) ** 2),
        ("mse_grad", lambda: L.mse_grad(y_reg, pred), lambda: pred - y_reg),
        ("mae", lambda: L.mae(y_reg, pred), lambda: np.abs(pred - y_reg)),
        ("huber", lambda: L.huber(y_reg, pred), lambda: sp.huber(1.0, pred - y_reg)),
        ("huber_grad", lambda: L.huber_grad(y_reg, pred), lambda: np.clip(pred - y_reg, -1.0, 1.0)),
        ("zero_one", lambda: L.zero_one(y_pm, z), lambda: (y_pm * z <= 0).astype(float)),
        ("hinge", lambda: L.hinge(y_pm, z), lambda: np.maximum(0.0, 1.0 - y_pm * z)),
        ("hinge_grad", lambda: L.hinge_grad(y_pm, z), lambda: np.where(y_pm * z < 1, -y_pm, 0.0)),
        ("multiclass_hinge", lambda: L.multiclass_hinge(labels, Z), ref_multiclass_hinge),
        ("bce", lambda: L.bce(y01, p), lambda: -(sp.xlogy(y01, p) + sp.xlogy(1 - y01, 1 - p))),
        ("bce_grad", lambda: L.bce_grad(y01, p), lambda: (p - y01) / (p * (1 - p))),
        ("bce_with_logits", lambda: L.bce_with_logits(y01, z),
         lambda: -(y01 * sp.log_expit(z) + (1 - y01) * sp.log_expit(-z))),
        ("bce_with_logits_grad", lambda: L.bce_with_logits_grad(y01, z), lambda: sp.expit(z) - y01),
        ("weighted_bce_with_logits", lambda: L.weighted_bce_with_logits(y01, z, alpha=2.0, beta=0.5),
         lambda: -(2.0 * y01 * sp.log_expit(z) + 0.5 * (1 - y01) * sp.log_expit(-z))),
        ("sigmoid", lambda: L.sigmoid(z), lambda: sp.expit(z)),
        ("log_sigmoid", lambda: L.log_sigmoid(z), lambda: sp.log_expit(z)),
        ("logsumexp", lambda: L.logsumexp(Z), lambda: sp.logsumexp(Z, axis=-1)),
        ("softmax", lambda: L.softmax(Z), lambda: sp.softmax(Z, axis=-1)),
        ("log_softmax", lambda: L.log_softmax(Z), lambda: sp.log_softmax(Z, axis=-1)),
        ("softmax_cross_entropy", lambda: L.softmax_cross_entropy(labels, Z),
         lambda: -sp.log_softmax(Z, axis=-1)[rows, labels]),
        ("softmax_ce (w, eps=0.1)",
         lambda: L.softmax_cross_entropy(labels, Z, class_weight=w, label_smoothing=0.1),
         lambda: -np.sum(w * (0.9 * np.eye(k)[labels] + 0.1 / k) * sp.log_softmax(Z, axis=-1), axis=1)),
        ("softmax_cross_entropy_grad", lambda: L.softmax_cross_entropy_grad(labels, Z),
         lambda: sp.softmax(Z, axis=-1) - np.eye(k)[labels]),
    ]


def best_ms(fn, repeat: int) -> float:
    return 1e3 * min(timeit.repeat(fn, number=1, repeat=repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**6, help="elements per call (default 10^6)")
    parser.add_argument("--repeat", type=int, default=5, help="repeats; the best is reported")
    args = parser.parse_args()
    print(f"n = {args.n:,} elements (class losses: {args.n // 10:,} x 10), best of {args.repeat}")
    print(f"{'name':<28}{'ours ms':>10}{'ref ms':>10}{'ratio':>8}")
    for name, ours, ref in cases(args.n):
        np.testing.assert_allclose(ours(), ref(), rtol=1e-9, atol=1e-12)  # same numbers first
        a, b = best_ms(ours, args.repeat), best_ms(ref, args.repeat)
        print(f"{name:<28}{a:>10.2f}{b:>10.2f}{a / b:>8.2f}")


if __name__ == "__main__":
    main()
