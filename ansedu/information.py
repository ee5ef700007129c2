"""Information content, entropy, cross entropy and KL divergence, in bits.

A probability of zero is handled exactly: an impossible outcome has infinite
information content, terms with ``p(x) = 0`` contribute nothing to an entropy
(the limit of ``p log p``), and a model that gives zero probability to something
the data does produce costs infinitely many bits.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_floats, as_weights
from .errors import ModelError

__all__ = ["information_content", "entropy", "cross_entropy", "kl_divergence", "as_distribution"]

#: How far the probabilities may sum from 1 before we call them a mistake.
SUM_TOLERANCE = 1e-6


def as_distribution(p, name: str = "p") -> np.ndarray:
    """Return ``p`` as a float array after checking that it is a probability vector.

    Raises :class:`~ansedu.errors.ModelError` naming the problem: an empty vector,
    NaN or infinite entries, negative entries, or a sum that is not 1.
    """
    p = as_weights(p, name)
    with np.errstate(over="ignore"):
        total = p.sum()
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise ModelError(f"{name} sums to {total:.9g}, not 1: normalize it first (p / p.sum())")
    return p


def information_content(p):
    """``-log2 p``: the bits an optimal code spends on an outcome of probability ``p``.

    Works elementwise on arrays; ``p = 0`` gives ``inf``.
    """
    p = as_floats(p, "p")
    if np.any(~np.isfinite(p)) or np.any(p < 0) or np.any(p > 1):
        raise ModelError("information_content needs probabilities in [0, 1]")
    with np.errstate(divide="ignore"):
        result = -np.log2(p) + 0.0  # + 0.0 turns -log2(1) = -0.0 into 0.0
    return float(result) if result.ndim == 0 else result


def entropy(p) -> float:
    """``H(p) = sum_x p(x) * -log2 p(x)``, the expected information content."""
    p = as_distribution(p)
    nonzero = p[p > 0]
    return float(-(nonzero * np.log2(nonzero)).sum()) + 0.0  # no -0.0 for certain outcomes


def cross_entropy(p, q) -> float:
    """``H(p, q) = sum_x p(x) * -log2 q(x)``: the expected bits when data from ``p``
    is coded with a code built for ``q``. Infinite if ``q(x) = 0`` where ``p(x) > 0``."""
    p, q = _pair(p, q)
    used = p > 0
    if np.any(q[used] == 0):
        return float("inf")
    return float(-(p[used] * np.log2(q[used])).sum())


def kl_divergence(p, q) -> float:
    """``D(p || q) = sum_x p(x) log2(p(x) / q(x)) = H(p, q) - H(p) >= 0``:
    the bits per symbol wasted by coding data from ``p`` with a code for ``q``."""
    p, q = _pair(p, q)
    used = p > 0
    if np.any(q[used] == 0):
        return float("inf")
    # Computed term by term rather than as H(p, q) - H(p), which cancels badly.
    return float(max(0.0, (p[used] * np.log2(p[used] / q[used])).sum()))


def _pair(p, q):
    p, q = as_distribution(p, "p"), as_distribution(q, "q")
    if p.shape != q.shape:
        raise ModelError(f"p and q must have the same length, got {p.size} and {q.size}")
    return p, q
