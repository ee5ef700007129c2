"""Entropy models: exact sums, leaky and KL-optimal quantization, lookups."""

import itertools
import math

import numpy as np
from hypothesis import given, strategies as st

from ansedu import Categorical, Uniform, quantize_probabilities
from strategies import weights


def cross_entropy_bits(p, masses, precision):
    used = p > 0
    return float(-(p[used] * (np.log2(masses[used]) - precision)).sum())


@given(weights(max_symbols=40), st.integers(6, 62))
def test_masses_sum_exactly_and_are_leaky(w, precision):
    model = Categorical(w, precision=precision)
    p = np.asarray(w) / sum(w)
    assert int(model.masses.sum()) == 2**precision  # exact, as Python ints
    assert np.all((model.masses >= 1) == (p > 0))  # leaky, and impossible symbols get nothing
    assert model.cdf[0] == 0 and model.cdf[-1] == 2**precision
    assert np.all(np.diff(model.cdf) == model.masses)


def all_leaky_masses(p, precision):
    """Every way to split 2^precision slots among the possible symbols (at least one each)."""
    possible = np.flatnonzero(p > 0)
    for cut in itertools.combinations(range(1, 2**precision), len(possible) - 1):
        parts = np.diff([0, *cut, 2**precision])
        m = np.zeros(p.size, dtype=np.int64)
        m[possible] = parts
        yield m


@given(st.lists(st.one_of(st.just(0.0), st.floats(0.001, 1.0)), min_size=1, max_size=4)
       .filter(lambda w: sum(w) > 0), st.integers(2, 5))
def test_quantization_is_kl_optimal_by_brute_force(w, precision):
    p = np.asarray(w) / sum(w)
    if np.count_nonzero(p) > 2**precision:
        return
    ours = quantize_probabilities(p, precision)
    best = min(cross_entropy_bits(p, m, precision) for m in all_leaky_masses(p, precision))
    assert cross_entropy_bits(p, ours, precision) <= best + 1e-12


@given(weights(max_symbols=30), st.integers(8, 62))
def test_quantization_no_single_slot_move_helps(w, precision):
    # For this separable concave objective, no improving single-slot move means optimal.
    p = np.asarray(w) / sum(w)
    m = quantize_probabilities(p, precision)
    used = np.flatnonzero(p > 0)
    gains = {x: p[x] * math.log1p(1 / m[x]) for x in used}
    losses = {x: -p[x] * math.log1p(-1 / m[x]) for x in used if m[x] >= 2}
    for x, g in gains.items():
        for y, l in losses.items():
            assert x == y or g <= l * (1 + 1e-9) + 1e-300


def test_equal_probabilities_get_masses_within_one():
    for precision in (8, 24, 32, 48, 62):
        m = Categorical(np.ones(12), precision=precision).masses
        assert m.max() - m.min() == 1


def test_tiny_probabilities_are_leaky():
    model = Categorical([1 - 1e-12, 1e-12, 0.0], precision=12)
    assert model.masses.tolist() == [4095, 1, 0]


@given(st.integers(1, 300), st.integers(9, 24))
def test_uniform(n, precision):
    model = Uniform(n, precision=precision)
    assert model.masses.sum() == 2**precision
    assert model.masses.max() - model.masses.min() <= 1


@given(weights(max_symbols=20), st.integers(5, 24), st.data())
def test_lookup_inverts_interval(w, precision, data):
    model = Categorical(w, precision=precision)
    slot = data.draw(st.integers(0, 2**precision - 1))
    x, c, m = model.lookup(slot)
    assert (c, m) == model.interval(x) and c <= slot < c + m and m > 0


def test_information_content_under_quantized_model():
    model = Categorical([0.5, 0.25, 0.25], precision=4)
    assert model.information_content([0, 1, 2, 2]) == 1 + 2 + 2 + 2
