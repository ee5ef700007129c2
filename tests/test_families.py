"""Model families with per-symbol parameters: round trips with every coder, leakiness and exact
sums, closeness to the exact quantized probabilities, bit-identical masses (vectorized against
scalar, and across processes), a lookup that does not scan the range, and bad input.

To test another coder with every family, add one entry to CODERS."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ansedu import (AnsCoder, CategoricalTable, ConfigError, ModelError, QuantizedGaussian,
                    QuantizedLaplace, QuantizedLogistic, SlowAnsCoder, SymbolError)
from ansedu.models import families
from contract import snapshot

FAMILIES = [QuantizedGaussian, QuantizedLaplace, QuantizedLogistic]


@dataclass
class Coder:
    """How a test drives one coder: ``encode(symbols, model, *params) -> data`` and
    ``decode(data, model, *params) -> symbols``, at the coder's ``precision``."""
    name: str
    precision: int
    encode: Callable
    decode: Callable


def ans(precision=24, word_size=32, head_size=64):
    settings_ = dict(precision=precision, word_size=word_size, head_size=head_size)

    def encode(symbols, model, *params):
        coder = AnsCoder(**settings_)
        coder.encode_reverse(symbols, model, *params)
        return coder.get_compressed()

    def decode(words, model, *params):
        coder = AnsCoder(words, **settings_)
        out = coder.decode(model, *params)
        assert coder.is_empty()
        return out

    return Coder(f"AnsCoder({precision}, {word_size}, {head_size})", precision, encode, decode)


def slow_ans(precision):
    def encode(symbols, model, *params):
        coder = SlowAnsCoder(precision)
        coder.encode_reverse(symbols, model, *params)
        return coder

    def decode(coder, model, *params):
        out = coder.decode(model, *params)
        assert coder.is_empty()
        return out

    return Coder(f"SlowAnsCoder({precision})", precision, encode, decode)


# Every coder that speaks the model protocol; the range coder and the chain coder join here.
CODERS = [ans(), ans(12, 16, 32), ans(8, 8, 16), ans(40, 64, 128), slow_ans(24), slow_ans(12)]
CODER_IDS = [c.name for c in CODERS]


# -- strategies -----------------------------------------------------------------------------

def ranges(precision):
    """(min, max) ranges with at most 2^precision integers, negative symbols included."""
    most = min(2**precision, 600) - 1
    return st.integers(-300, 300).flatmap(
        lambda lo: st.integers(0, most).map(lambda k: (lo, lo + k)))


scales = st.one_of(st.floats(1e-6, 1e-2), st.floats(1e-2, 100.0), st.floats(100.0, 1e9))


@st.composite
def message_and_params(draw, lo, hi, max_len=40):
    """Symbols in lo..hi with a location and a scale per symbol, some far outside the range."""
    n = draw(st.integers(0, max_len))
    symbols = draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n))
    locs = draw(st.lists(st.one_of(st.floats(lo - 3.0, hi + 3.0), st.floats(-1e12, 1e12)),
                         min_size=n, max_size=n))
    # Most symbols near their location (as a trained model would give), some anywhere.
    for i in range(n):
        if draw(st.booleans()):
            locs[i] = symbols[i] + draw(st.floats(-2.0, 2.0))
    return symbols, np.array(locs, dtype=float), np.array(draw(st.lists(scales, min_size=n, max_size=n)))


# -- round trips ----------------------------------------------------------------------------

@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("coder", CODERS, ids=CODER_IDS)
@given(data=st.data())
@settings(max_examples=40)
def test_round_trip_with_per_symbol_parameters(family, coder, data):
    lo, hi = data.draw(ranges(coder.precision))
    symbols, locs, scales_ = data.draw(message_and_params(lo, hi))
    model = family(lo, hi, precision=coder.precision)
    encoded = coder.encode(symbols, model, locs, scales_)
    assert coder.decode(encoded, model, locs, scales_).tolist() == symbols


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("coder", CODERS, ids=CODER_IDS)
@given(data=st.data())
@settings(max_examples=25)
def test_round_trip_with_fixed_parameters(family, coder, data):
    lo, hi = data.draw(ranges(coder.precision))
    loc = data.draw(st.floats(lo - 50.0, hi + 50.0))
    scale = data.draw(scales)
    symbols = data.draw(st.lists(st.integers(lo, hi), max_size=40))
    model = family(lo, hi, loc, scale, precision=coder.precision)
    assert model.num_params == 0
    encoded = coder.encode(symbols, model)
    assert coder.decode(encoded, model, len(symbols)).tolist() == symbols
    # The fixed model is the family at constant parameters: the same intervals exactly.
    fam = family(lo, hi, precision=coder.precision)
    n = len(symbols)
    c1, m1 = model.intervals(symbols)
    c2, m2 = fam.intervals(symbols, np.full(n, loc), np.full(n, scale))
    assert c1.tolist() == c2.tolist() and m1.tolist() == m2.tolist()


@pytest.mark.parametrize("coder", CODERS, ids=CODER_IDS)
@given(data=st.data())
@settings(max_examples=40)
def test_categorical_table_round_trip(coder, data):
    k = data.draw(st.integers(1, min(12, 2**coder.precision)))
    n = data.draw(st.integers(0, 30))
    rows = data.draw(st.lists(st.lists(st.one_of(st.just(0.0), st.floats(1e-9, 1e6)), min_size=k, max_size=k)
                              .filter(lambda r: sum(r) > 0), min_size=n, max_size=n))
    table = np.array(rows, dtype=float).reshape(n, k)
    symbols = data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))  # zero-probability ones too
    model = CategoricalTable(coder.precision)
    encoded = coder.encode(symbols, model, table)
    assert coder.decode(encoded, model, table).tolist() == symbols


def test_a_realistic_message_costs_its_information_content():
    """10^4 symbols from per-symbol Gaussians, as a network would predict them: the compressed
    size is the information content under the quantized model plus at most the head (64 bits)
    and a fraction of a word of rounding."""
    rng = np.random.default_rng(1)
    n = 10_000
    means, stds = rng.uniform(-100, 100, n), rng.lognormal(1.0, 1.0, n)
    symbols = np.clip(np.round(rng.normal(means, stds)), -127, 127).astype(int)
    model = QuantizedGaussian(-127, 127)
    coder = AnsCoder()
    coder.encode_reverse(symbols, model, means, stds)
    info = model.information_content(symbols, means, stds)
    assert info - 1 <= coder.num_bits() <= info + 64 + 32 + 0.001 * info
    assert AnsCoder(coder.get_compressed()).decode(model, means, stds).tolist() == symbols.tolist()


# -- the masses -------------------------------------------------------------------------------

def exact_cdf(family, z):
    if family is QuantizedGaussian:
        return 0.5 * math.erfc(-z / math.sqrt(2))
    if family is QuantizedLaplace:
        return 0.5 * math.exp(z) if z < 0 else 1 - 0.5 * math.exp(-z)
    return 1 / (1 + math.exp(-z)) if z > -700 else 0.0


@pytest.mark.parametrize("family", FAMILIES)
@given(lo=st.integers(-200, 200), k=st.integers(1, 300), loc=st.floats(-1e6, 1e6),
       scale=scales, precision=st.integers(9, 32))
def test_masses_are_leaky_and_sum_exactly(family, lo, k, loc, scale, precision):
    model = family(lo, lo + k - 1, precision=precision)
    m = model.masses(loc, scale)
    assert m.size == k and m.min() >= 1 and int(m.sum()) == 2**precision


@pytest.mark.parametrize("family", FAMILIES)
@given(loc=st.floats(-140.0, 140.0), scale=st.floats(0.05, 200.0))
def test_masses_are_close_to_the_exact_quantized_probabilities(family, loc, scale):
    """Total variation to the exact probabilities of the bins (tails to the edges) is at most
    the CDF approximation (1.5e-7 per boundary) plus the floors and the leak (about 3 slots
    per symbol); KL divergence (the bits lost per symbol) is tiny."""
    lo, hi, precision = -127, 127, 24
    k = hi - lo + 1
    q = family(lo, hi, precision=precision).probabilities(loc, scale)
    cdf = [0.0] + [exact_cdf(family, (x - 0.5 - loc) / scale) for x in range(lo + 1, hi + 1)] + [1.0]
    p = np.diff(cdf)
    tv = 0.5 * np.abs(p - q).sum()
    assert tv <= k * (1.5e-7 + 3 * 2.0**-precision)
    kl = float(np.sum(p[p > 0] * np.log2(p[p > 0] / q[p > 0])))
    assert kl <= 1e-4


def test_golden_masses_worked_out_by_hand():
    """Three symbols -1, 0, 1 at precision 8: 256 - 3 = 253 slots are shared out by F, one each
    is free. c(0) = floor(F(-1/2) 253) + 1 and c(1) = floor(F(1/2) 253) + 2.
    Gaussian: Phi(-0.5) = 0.308538, 78.06 -> 79; Phi(0.5) = 0.691462, 174.94 -> 176.
    Laplace: e^-0.5 / 2 = 0.303265, 76.73 -> 77; 0.696735, 176.27 -> 178.
    Logistic: 1 / (1 + e^0.5) = 0.377541, 95.52 -> 96; 0.622459, 157.48 -> 159."""
    assert QuantizedGaussian(-1, 1, 0.0, 1.0, precision=8).masses().tolist() == [79, 176 - 79, 256 - 176]
    assert QuantizedLaplace(-1, 1, 0.0, 1.0, precision=8).masses().tolist() == [77, 178 - 77, 256 - 178]
    assert QuantizedLogistic(-1, 1, 0.0, 1.0, precision=8).masses().tolist() == [96, 159 - 96, 256 - 159]
    # The categorical table, row [1, 2, 1]: F = 1/4, 3/4; c = floor(0.25 253) + 1 = 64,
    # floor(0.75 253) + 2 = 191.
    assert CategoricalTable(8).masses([[1.0, 2.0, 1.0]]).tolist() == [[64, 127, 65]]


@pytest.mark.parametrize("tail", [families._gaussian_tail, families._laplace_tail, families._logistic_tail])
@given(st.lists(st.floats(0.0, families._Z_MAX), min_size=2, max_size=50))
def test_the_float_cdfs_are_monotone_in_floating_point(tail, us):
    """Not only in exact arithmetic: evaluated in doubles, the tail F(-u) never rises as u grows
    (and so c(x) never falls), so a rounding error can never take a slot from the leaky floor."""
    u = np.sort(np.array(us))
    values = tail(u)
    assert np.all(np.diff(values) <= 0) and np.all(values <= 0.5) and np.all(values >= 0)
    assert tail(0.0) == 0.5
    for i in range(u.size):  # the same values from Python floats, one by one
        assert tail(float(u[i])) == values[i]


def test_the_upper_tail_is_not_rounded_away():
    """Right of the mean the cumulative is computed from the upper tail F(-z), not from 1 - F(-z)
    (which is exactly 1.0 in doubles once F(-z) < 2^-54): the masses are symmetric."""
    for family in FAMILIES:
        m = family(-60, 60, 0.0, 4.0, precision=12).masses()
        assert m[1:-1].tolist() == m[1:-1][::-1].tolist()


# -- bit identity ---------------------------------------------------------------------------

@pytest.mark.parametrize("family", FAMILIES)
def test_vectorized_and_scalar_paths_agree_exactly(family):
    rng = np.random.default_rng(7)
    n = 20_000
    lo, hi = -127, 127
    locs = np.concatenate([rng.uniform(-200, 200, n // 2), rng.normal(0, 1e4, n // 2)])
    scales_ = np.exp(rng.uniform(np.log(1e-6), np.log(1e7), n))
    symbols = rng.integers(lo, hi + 1, n)
    near = rng.random(n) < 0.5  # half of them where the distribution has its mass
    symbols[near] = np.clip(np.round(locs[near] + scales_[near] * rng.normal(size=near.sum())), lo, hi)
    model = family(lo, hi)
    c, m = model.intervals(symbols, locs, scales_)
    assert (m >= 1).all()
    for i in range(0, n, 7):
        x, loc, scale = int(symbols[i]), float(locs[i]), float(scales_[i])
        assert model.interval(x, loc, scale) == (c[i], m[i])
        for slot in (int(c[i]), int(c[i] + m[i] - 1), int(c[i] + m[i] // 2)):
            assert model.lookup(slot, loc, scale) == (x, c[i], m[i])


def test_categorical_table_vectorized_and_scalar_paths_agree_exactly():
    rng = np.random.default_rng(3)
    table = rng.dirichlet(np.full(50, 0.3), size=500) * rng.uniform(0.1, 1e6, (500, 1))
    symbols = rng.integers(0, 50, 500)
    model = CategoricalTable()
    c, m = model.intervals(symbols, table)
    for i in range(500):
        assert model.interval(int(symbols[i]), table[i]) == (c[i], m[i])
        assert model.lookup(int(c[i] + m[i] - 1), table[i]) == (symbols[i], c[i], m[i])


ENCODE_IN_ANOTHER_PROCESS = """
import json, sys
import numpy as np
from ansedu import AnsCoder, QuantizedGaussian, QuantizedLaplace, QuantizedLogistic
rng = np.random.default_rng(11)
n = 3000
out = {}
for family in (QuantizedGaussian, QuantizedLaplace, QuantizedLogistic):
    means, stds = rng.uniform(-150, 150, n), np.exp(rng.uniform(-12, 12, n))
    symbols = rng.integers(-127, 128, n)
    coder = AnsCoder()
    model = family(-127, 127)
    coder.encode_reverse(symbols, model, means, stds)
    out[family.__name__] = {"words": coder.get_compressed().tolist(), "symbols": symbols.tolist(),
                            "means": means.tolist(), "stds": stds.tolist(),
                            "masses": model.intervals(symbols, means, stds)[1].tolist()}
json.dump(out, sys.stdout)
"""


def test_a_message_encoded_in_another_process_decodes_here():
    """The other process computes its masses with its own numpy and its own interpreter state
    (vectorized); this one decodes symbol by symbol with Python floats: same words, same masses."""
    result = subprocess.run([sys.executable, "-c", ENCODE_IN_ANOTHER_PROCESS], capture_output=True,
                            text=True, check=True, timeout=300)
    data = json.loads(result.stdout)
    for family in FAMILIES:
        d = data[family.__name__]
        means, stds = np.array(d["means"]), np.array(d["stds"])
        model = family(-127, 127)
        decoded = AnsCoder(np.array(d["words"], dtype=np.uint32)).decode(model, means, stds)
        assert decoded.tolist() == d["symbols"]
        assert model.intervals(d["symbols"], means, stds)[1].tolist() == d["masses"]


# -- decoding does not scan the range -------------------------------------------------------

@pytest.mark.parametrize("family", FAMILIES)
def test_lookup_evaluates_the_cdf_a_logarithmic_number_of_times(family, monkeypatch):
    """Two evaluations of c when the guess is right; never more than a gallop and a bisection
    over the range (about 4 log2 K), even for a huge range and extreme parameters."""
    lo, hi = -2**17, 2**17  # 262,145 symbols at precision 24
    model = family(lo, hi)
    calls = []
    original = model._c
    monkeypatch.setattr(model, "_c", lambda *a: calls.append(1) or original(*a))
    rng = np.random.default_rng(5)
    counts = []
    for loc, scale in [(0.0, 30.0), (1000.5, 1e-6), (-5e5, 2.0), (3e4, 1e6), (17.0, 1e12), (0.0, 5e4)]:
        for slot in rng.integers(0, 2**24, 200).tolist() + [0, 2**24 - 1]:
            calls.clear()
            x, c, m = model.lookup(slot, loc, scale)
            assert c <= slot < c + m and (c, m) == model.interval(x, loc, scale)
            counts.append(len(calls))
    assert max(counts) <= 4 * math.log2(hi - lo + 1) + 4
    calls.clear()
    for slot in rng.integers(0, 2**24, 500).tolist():  # an ordinary distribution: mostly 2
        model.lookup(slot, 3.0, 10.0)
    assert len(calls) <= 2.2 * 500


# -- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("family", FAMILIES)
def test_bad_construction_is_refused(family):
    with pytest.raises(ModelError, match="min_symbol 5 > max_symbol 4"):
        family(5, 4)
    with pytest.raises(ModelError, match="257 integers .* 2\\^8 = 256 slots"):
        family(0, 256, precision=8)
    family(0, 255, precision=8)  # exactly one slot each: allowed
    with pytest.raises(ModelError, match="integer"):
        family(0.5, 3)
    for loc, scale in [(0.0, 0.0), (0.0, -1.0), (0.0, math.inf), (0.0, math.nan), (math.nan, 1.0),
                       (math.inf, 1.0)]:
        with pytest.raises(ModelError, match="finite"):
            family(-3, 3, loc, scale)
    with pytest.raises(ModelError, match="both"):
        family(-3, 3, 0.0)
    with pytest.raises(ModelError, match="at most 52"):
        family(-3, 3, precision=60)


@pytest.mark.parametrize("make", [lambda: AnsCoder(precision=12, word_size=16, head_size=32),
                                  lambda: SlowAnsCoder(12)])
@pytest.mark.parametrize("family", FAMILIES)
def test_bad_input_to_a_coder_changes_nothing(family, make):
    coder = make()
    model = family(-10, 10, precision=12)
    coder.encode_reverse([1, -2, 3], model, [0.0, 1.0, 2.0], [1.0, 2.0, 3.0])
    before = snapshot(coder)
    means, stds = np.zeros(4), np.ones(4)
    cases = [
        (ModelError, "positive finite", ([0, 1, 2, 3], model, means, [1.0, 0.0, 1.0, 1.0])),
        (ModelError, "positive finite", ([0, 1, 2, 3], model, means, [1.0, 1.0, 1.0, -2.0])),
        (ModelError, "finite", ([0, 1, 2, 3], model, [0.0, math.nan, 0.0, 0.0], stds)),
        (ModelError, "positive finite", ([0, 1, 2, 3], model, means, [1.0, 1.0, math.inf, 1.0])),
        (SymbolError, "11 at position 2 is outside the range -10 .. 10", ([0, 1, 11, 3], model, means, stds)),
        (SymbolError, "outside the range", ([-11, 1, 2, 3], model, means, stds)),
        (ModelError, "3 entries but there are 4 symbols", ([0, 1, 2, 3], model, means[:3], stds[:3])),
        (ModelError, "takes 2 parameter array", ([0, 1, 2, 3], model, means)),
        (ConfigError, "precision 24", ([0, 1, 2, 3], family(-10, 10), means, stds)),
    ]
    for error, message, args in cases:
        with pytest.raises(error, match=message):
            coder.encode_reverse(*args)
        assert snapshot(coder) == before
    # Decoding: a bad parameter at the LAST position raises before anything is decoded.
    for error, message, args in [
        (ModelError, "positive finite", (model, [0.0, 0.0, 0.0], [1.0, 1.0, 0.0])),
        (ModelError, "finite", (model, [0.0, 0.0, math.inf], [1.0, 1.0, 1.0])),
        (ModelError, "2 entries but there are 3|different lengths", (model, [0.0, 0.0, 0.0], [1.0, 1.0])),
        (ConfigError, "precision 24", (family(-10, 10), [0.0, 1.0, 2.0], [1.0, 2.0, 3.0])),
    ]:
        with pytest.raises(error, match=message):
            coder.decode(*args)
        assert snapshot(coder) == before
    assert coder.decode(model, [0.0, 1.0, 2.0], [1.0, 2.0, 3.0]).tolist() == [1, -2, 3]


def test_bad_tables_are_refused_and_change_nothing():
    coder = AnsCoder()
    model = CategoricalTable()
    coder.encode_reverse([0, 1], model, [[1.0, 1.0], [1.0, 3.0]])
    before = snapshot(coder)
    for table, message in [([[1.0, math.nan], [1.0, 1.0]], "finite"), ([[1.0, 1.0], [0.0, 0.0]], "all zeros"),
                           ([[1.0, -1.0], [1.0, 1.0]], "non-negative"), ([[1.0, 1.0]], "1 entries but there are 2 symbols"),
                           ([1.0, 1.0], "2-d")]:
        with pytest.raises(ModelError, match=message):
            coder.encode_reverse([0, 1], model, table)
        if "entries" not in message:  # (a one-row table decodes one symbol: that is not bad input)
            with pytest.raises(ModelError, match=message):
                coder.decode(model, table)
        assert snapshot(coder) == before
    with pytest.raises(SymbolError, match="outside the alphabet 0..1"):
        coder.encode_reverse([0, 2], model, [[1.0, 1.0], [1.0, 1.0]])
    assert coder.decode(model, [[1.0, 1.0], [1.0, 3.0]]).tolist() == [0, 1]
