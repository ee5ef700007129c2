"""Information measures in bits, including zero probabilities."""

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from ansedu import ModelError, cross_entropy, entropy, information_content, kl_divergence
from strategies import weights


def normalized(w):
    w = np.asarray(w, dtype=float)
    return w / w.sum()


def test_hand_computed_values():
    assert information_content(0.125) == 3
    assert information_content(1.0) == 0
    assert information_content(0.0) == math.inf
    assert entropy([0.5, 0.25, 0.25]) == 1.5
    assert entropy([1.0, 0.0]) == 0  # 0 log 0 = 0
    # A certain outcome carries +0 bits, not -0.0 (which would print as "-0.000").
    assert math.copysign(1, entropy([1.0, 0.0])) == math.copysign(1, information_content(1.0)) == 1
    # Coding Bernoulli(1/2) data with a code for (3/4, 1/4): 0.5 * log2(4/3) + 0.5 * 2 bits.
    assert cross_entropy([0.5, 0.5], [0.75, 0.25]) == pytest.approx(0.5 * math.log2(4 / 3) + 1)
    assert kl_divergence([0.5, 0.5], [0.75, 0.25]) == pytest.approx(0.5 * math.log2(4 / 3) + 1 - 1)
    assert kl_divergence([1.0, 0.0], [0.5, 0.5]) == 1
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert cross_entropy([0.0, 1.0], [0.0, 1.0]) == 0


@given(st.integers(1, 64))
def test_uniform_entropy(n):
    assert entropy(np.full(n, 1 / n)) == pytest.approx(math.log2(n))


@given(weights(max_symbols=20), weights(max_symbols=20))
def test_gibbs_and_decomposition(a, b):
    n = min(len(a), len(b))
    p, q = normalized(a[:n] if sum(a[:n]) else [1] * n), normalized(b[:n] if sum(b[:n]) else [1] * n)
    h, kl, ce = entropy(p), kl_divergence(p, q), cross_entropy(p, q)
    assert 0 <= h <= math.log2(n) + 1e-9
    assert kl >= 0 and kl_divergence(p, p) == pytest.approx(0, abs=1e-12)
    if math.isfinite(ce):
        assert ce == pytest.approx(h + kl, rel=1e-9, abs=1e-9)
    else:
        assert kl == math.inf


@pytest.mark.parametrize("bad,match", [([0.5, float("nan")], "finite"), ([1.5, -0.5], "negative"),
                                       ([0.0, 0.0], "sums to 0"), ([0.3, 0.3], "not 1"), ([], "non-empty")])
def test_bad_distributions(bad, match):
    with pytest.raises(ModelError, match=match):
        entropy(bad)
