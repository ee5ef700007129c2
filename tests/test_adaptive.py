"""Adaptive models (AdaptiveCategorical, ContextModel) and the code that drives coders with them.

What must hold:
- the masses are exact: integers >= 1 that sum to 2^P, at every step, and lookup agrees with
  interval on every slot;
- the counts follow the documented rules (increments, halving when the total exceeds max_total,
  non-stationary bit counts), checked on examples worked out by hand;
- encoding and decoding never drift: decode(encode(data)) == data, and the decoder's model ends
  in exactly the encoder's model's state, with the stack coder (model forward, intervals pushed in
  reverse) and with queue coders (model beside the coder);
- on real text the models compress as they should (bounds derived below).
"""

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from strategies import SETTINGS

import ansedu
from ansedu import AdaptiveCategorical, AnsCoder, ContextModel, decode_adaptive, encode_adaptive
from ansedu.errors import ConfigError, DecodeError, ModelError, SymbolError
from ansedu.models.adaptive import forward_intervals, information_content
from ansedu.models.protocol import decoding_lookup, encoding_intervals


# -- a minimal exact queue coder, so the queue driving is tested whatever else exists -----------

class ExactQueueEncoder:
    """Arithmetic coding with unbounded integers (quadratic, for short test messages only).

    After n symbols the message is the interval [low, low + width) in units of 2^-(P n): each
    symbol keeps the piece c .. c+m-1 of the 2^P equal pieces of the current interval."""

    def __init__(self, precision):
        self.precision, self.low, self.width, self.n = precision, 0, 1, 0

    def encode(self, symbols, model):
        starts, masses = encoding_intervals(symbols, model, (), self.precision)
        for c, m in zip(starts, masses):
            self.low = (self.low << self.precision) + self.width * c
            self.width *= m
            self.n += 1


class ExactQueueDecoder:
    def __init__(self, encoder):
        self.precision, self.value = encoder.precision, encoder.low  # any number in the interval
        self.low, self.width = 0, 1 << (encoder.precision * encoder.n)

    def decode(self, model):
        _, fixed, _ = decoding_lookup(model, (), self.precision)
        # the width is still a multiple of 2^P: 2^(P (n - i)) times the masses so far
        piece = self.width >> self.precision
        x, c, m = fixed((self.value - self.low) // piece)
        self.low += piece * c
        self.width = piece * m
        return x


def queue_coders(precision, word_size, state_size):
    """(encoder, function making its decoder) for every queue coder available: the exact one above,
    and the range coder of chapter 9 (ansedu.RangeEncoder) once it is part of the library."""
    coders = [(ExactQueueEncoder(precision), ExactQueueDecoder)]
    if hasattr(ansedu, "RangeEncoder"):
        settings = dict(precision=precision, word_size=word_size, state_size=state_size, debug=True)
        coders.append((ansedu.RangeEncoder(**settings),
                       lambda enc: ansedu.RangeDecoder(enc.get_compressed(), **settings)))
    return coders


def check_both_ways(data, make_model, ans_settings=(24, 32, 64)):
    """Round trip with the stack coder and every queue coder; the models never drift."""
    precision, word_size, head_size = ans_settings
    coder = AnsCoder(precision=precision, word_size=word_size, head_size=head_size, debug=True)
    encoded_model = encode_adaptive(coder, data, make_model(precision))
    words = coder.get_compressed()
    decoder = AnsCoder(words, precision=precision, word_size=word_size, head_size=head_size, debug=True)
    decoded_model = make_model(precision)
    out = decode_adaptive(decoder, decoded_model, len(data))
    assert out.tolist() == list(data)
    assert decoded_model == encoded_model, "the decoder's model drifted from the encoder's"
    assert decoder.is_empty()
    for encoder, make_decoder in queue_coders(precision, word_size, head_size):
        encoded_queue = encode_adaptive(encoder, data, make_model(precision))
        assert encoded_queue == encoded_model  # the same model learned the same data
        decoded_queue = make_model(precision)
        assert decode_adaptive(make_decoder(encoder), decoded_queue, len(data)).tolist() == list(data)
        assert decoded_queue == encoded_model
    return words


def check_exact(model):
    """Masses >= 1 summing to 2^P; lookup(slot) agrees with interval for every slot (small P)."""
    P = model.precision
    if isinstance(model, AdaptiveCategorical):
        masses = model.masses
        assert masses.sum() == 1 << P and masses.min() >= 1
        units = range(model.num_symbols)
    else:
        units = (0, 1)
    total = 0
    for x in units:
        c, m = model.interval(x)
        assert m >= 1 and c == total
        total += m
        for slot in (c, c + m - 1) if P > 10 else range(c, c + m):
            assert model.lookup(slot) == (x, c, m)
    assert total == 1 << P


# -- AdaptiveCategorical ------------------------------------------------------------------------

def test_adaptive_categorical_masses_by_hand():
    # 3 symbols, P = 4 (16 slots), counts [1, 1, 1], T = 3: c(x) = floor(16 F(x) / 3) with
    # F = 0, 1, 2, 3 gives 0, 5, 10, 16, so the masses are [5, 5, 6].
    model = AdaptiveCategorical(3, precision=4, increment=2, max_total=16)
    assert model.masses.tolist() == [5, 5, 6]
    assert model.interval(1) == (5, 5) and model.lookup(9) == (1, 5, 5) and model.lookup(10) == (2, 10, 6)
    # Learning symbol 2 (increment 2): counts [1, 1, 3], T = 5, F = 0, 1, 2, 5:
    # c = 0, floor(16/5) = 3, floor(32/5) = 6, 16, so the masses are [3, 3, 10].
    model.update(2)
    assert model.counts.tolist() == [1, 1, 3] and model.masses.tolist() == [3, 3, 10]
    assert model.lookup(5) == (1, 3, 3) and model.lookup(6) == (2, 6, 10)


def test_adaptive_categorical_halves_when_the_total_exceeds_max_total():
    # n + increment = 5 = max_total, the smallest max_total allowed.
    model = AdaptiveCategorical(3, precision=3, increment=2, max_total=5)
    model.update(0)  # [3, 1, 1], T = 5: not above max_total, no rescale
    assert model.counts.tolist() == [3, 1, 1] and model.total == 5
    model.update(0)  # [5, 1, 1], T = 7 > 5: halve rounding up -> [3, 1, 1], T = 5
    assert model.counts.tolist() == [3, 1, 1] and model.total == 5
    model.update(2)  # [3, 1, 3], T = 7 > 5 -> [2, 1, 2]
    assert model.counts.tolist() == [2, 1, 2] and model.total == 5
    # 8 slots for T = 5: c = floor(8 F / 5) with F = 0, 2, 3, 5 -> 0, 3, 4, 8.
    assert model.masses.tolist() == [3, 1, 4]
    check_exact(model)


@st.composite
def categorical_config(draw):
    precision = draw(st.integers(1, 24))
    n = draw(st.integers(1, min(40, (1 << precision) - 1) if precision > 1 else 1))
    increment = draw(st.integers(1, max(1, min(64, (1 << precision) - n))))
    max_total = draw(st.integers(n + increment, max(n + increment, min(1 << precision, 1 << 16))))
    return n, precision, increment, max_total


@settings(max_examples=120)
@given(categorical_config(), st.data())
def test_adaptive_categorical_stays_exact_while_learning(config, data):
    n, precision, increment, max_total = config
    model = AdaptiveCategorical(n, precision=precision, increment=increment, max_total=max_total)
    counts = [1] * n
    for x in data.draw(st.lists(st.integers(0, n - 1), max_size=80)):
        check_exact(model) if precision <= 12 else None
        masses = model.masses
        assert masses.sum() == 1 << precision and masses.min() >= 1
        # the documented rule, restated: add the increment; halve rounding up above max_total
        counts[x] += increment
        if sum(counts) > max_total:
            counts = [(v + 1) // 2 for v in counts]
        model.update(x)
        assert model.counts.tolist() == counts and model.total <= max_total
        # the Fenwick tree agrees with a plain running sum
        F = np.concatenate([[0], np.cumsum(counts)])
        for y in range(n):
            c, m = model.interval(y)
            assert c == (int(F[y]) << precision) // int(F[-1])
            assert c + m == (int(F[y + 1]) << precision) // int(F[-1])


@pytest.mark.parametrize("kwargs, words", [
    (dict(num_symbols=3, precision=4, max_total=17), r"max_total 17 > 2\^4"),
    (dict(num_symbols=10, precision=4, increment=7, max_total=16), r"num_symbols \+ increment = 17"),
    (dict(num_symbols=0), "num_symbols must be a positive integer"),
    (dict(num_symbols=3, increment=0), "increment must be a positive integer"),
    (dict(num_symbols=3, counts=[1, 0, 2]), "counts must be 3 positive integers"),
    (dict(num_symbols=2, precision=4, increment=1, counts=[9, 9], max_total=16), "sum to 18 > max_total 16"),
])
def test_adaptive_categorical_rejects_settings_that_cannot_work(kwargs, words):
    with pytest.raises(ModelError, match=words):
        AdaptiveCategorical(**kwargs)


@settings(max_examples=60)
@given(categorical_config(), st.sampled_from(SETTINGS), st.data())
def test_adaptive_categorical_round_trips(config, ans_settings, data):
    n, _, increment, _ = config
    precision = ans_settings[0]
    max_total = min(1 << precision, 1 << 16)
    if n + increment > max_total:
        n, increment = 1, max(1, max_total - 1) if max_total > 1 else 1
    if n + increment > max_total:  # precision 1: two slots, one symbol and increment 1
        return check_both_ways([0, 0, 0], lambda P: AdaptiveCategorical(1, P, increment=1, max_total=2),
                               ans_settings)
    message = data.draw(st.lists(st.integers(0, n - 1), max_size=60))
    check_both_ways(message, lambda P: AdaptiveCategorical(n, P, increment=increment, max_total=max_total),
                    ans_settings)


# -- ContextModel ---------------------------------------------------------------------------------

def test_context_model_counts_and_blend_by_hand():
    P = 4
    model = ContextModel(0, precision=P, table_bits=16)
    assert model.interval(0) == (0, 8) and model.interval(1) == (8, 8)  # nothing seen: p(1) = 1/2
    for bit in model.decompose(0xFF):
        model.update(bit)
    # The root node (c0 = 1) of order 0 has seen one 1: n0 = 0, n1 = 1, a deterministic node
    # (weight 2 * 1^2 = 2): m(1) = floor(16 * 2 (10 + 3) / (2 (10 + 6))) = floor(16 * 26/32) = 13.
    assert model.counts[0, 1].tolist() == [0, 1]
    assert model.interval(1) == (3, 13) and model.lookup(2) == (0, 0, 3) and model.lookup(3) == (1, 3, 13)
    # Five 0x00 bytes: the root counts 0s up to n0 = 5; n1 = 1 is not above 2, so it stays.
    for _ in range(5):
        for bit in model.decompose(0x00):
            model.update(bit)
    assert model.counts[0, 1].tolist() == [5, 1]
    # Both seen, weight 1: m(1) = floor(16 (10 + 3) / (10 * 6 + 6)) = floor(208 / 66) = 3.
    assert model.interval(1) == (13, 3)
    model.update(1)  # a 1: n1 = 2 and the large n0 = 5 is halved to 5 // 2 + 1 = 3
    assert model.counts[0, 1].tolist() == [3, 2]


def test_context_model_blends_a_longer_context():
    # Order 1 after "ab" coded twice: before the 'b' of "ab" the order-1 context 'a' and order 0
    # both know the first bit of 'b' (0x62 = 0b01100010). The order-1 root node has seen one 0 (weight
    # 2 * 2^2 = 8, deterministic); the order-0 root has seen '0' three times ('a', 'b', 'a'):
    # weight 2 * 1 = 2 (deterministic). m(1) = floor(2^12 (8 * 3 + 2 * 3) / (8 * 16 + 2 * 36)) = 614.
    model = ContextModel(1, precision=12, table_bits=16)
    for byte in b"aba":
        for bit in model.decompose(byte):
            model.update(bit)
    assert model.counts[1, (ord("a") << 8) | 1].tolist() == [1, 0]
    assert model.counts[0, 1].tolist() == [3, 0]
    assert model.interval(1) == (4096 - 614, 614)


def test_context_model_fast_forward_equals_the_generic_loop():
    data = ansedu.load_text("alice29")[:400]
    fast = forward_intervals(ContextModel(3, table_bits=16), data)
    generic = ContextModel(3, table_bits=16)
    units, starts, masses = [], [], []
    for byte in data:
        for bit in generic.decompose(byte):
            c, m = generic.interval(bit)
            units.append(bit), starts.append(c), masses.append(m)
            generic.update(bit)
    assert fast == (units, starts, masses)


@settings(max_examples=60)
@given(st.integers(0, 3), st.sampled_from(SETTINGS), st.binary(max_size=40))
def test_context_model_round_trips_random_bytes(order, ans_settings, data):
    check_both_ways(data, lambda P: ContextModel(order, precision=P, table_bits=16), ans_settings)


@settings(max_examples=40)
@given(st.integers(0, 3), st.integers(1, 16), st.binary(max_size=30))
def test_context_model_masses_stay_exact(order, precision, data):
    model = ContextModel(order, precision=precision, table_bits=16)
    for byte in data:
        for bit in model.decompose(byte):
            check_exact(model)
            model.update(bit)
    check_exact(model)


def test_context_model_round_trips_real_text():
    data = ansedu.load_text("asyoulik")[:800]
    words = check_both_ways(data, lambda P: ContextModel(3, precision=P, table_bits=18))
    # it did compress: a model that learns from only 800 bytes still gets well below 8 bits/byte
    assert words.size * 32 < 5 * len(data)


@pytest.mark.parametrize("kwargs, words", [
    (dict(order=-1), "order must be an integer from 0 to 8"),
    (dict(order=9), "order must be an integer from 0 to 8"),
    (dict(order=2.0), "order must be an integer"),
    (dict(order=2, table_bits=15), "table_bits must be an integer from 16"),
    (dict(order=2, precision=0), "precision must be between 1"),
])
def test_context_model_rejects_bad_settings(kwargs, words):
    with pytest.raises(ModelError, match=words):
        ContextModel(**kwargs)


def test_context_model_state_is_a_numpy_view():
    model = ContextModel(2, table_bits=16)
    counts = model.counts
    assert counts.shape == (3, 1 << 16, 2) and counts.dtype == np.uint8 and not counts.any()
    for bit in model.decompose(ord("x")):
        model.update(bit)
    assert counts.sum() == 3 * 8  # the view sees the learning: 8 nodes per order, one count each


# -- bad input: a failed call changes nothing ---------------------------------------------------------

def test_bad_symbols_are_refused_before_anything_is_coded():
    coder = AnsCoder()
    coder.encode_reverse([1, 2], ansedu.Categorical([0.5, 0.25, 0.25]))
    before = coder.get_compressed().tolist()
    model = ContextModel(1, table_bits=16)
    with pytest.raises(SymbolError, match="256"):
        encode_adaptive(coder, [65, 66, 256], model)
    assert coder.get_compressed().tolist() == before and model == ContextModel(1, table_bits=16)
    cat = AdaptiveCategorical(4)
    with pytest.raises(SymbolError, match="outside the alphabet"):
        encode_adaptive(coder, [0, 3, 4], cat)
    assert cat == AdaptiveCategorical(4) and coder.get_compressed().tolist() == before
    with pytest.raises(SymbolError):
        ContextModel(0).interval(2)
    with pytest.raises(SymbolError):
        cat.interval(-1)


def test_precision_mismatch_and_non_models_are_refused():
    with pytest.raises(ConfigError, match="precision=24"):
        encode_adaptive(AnsCoder(), b"abc", ContextModel(1, precision=12, table_bits=16))
    with pytest.raises(ModelError, match="not an adaptive model"):
        encode_adaptive(AnsCoder(), [0, 1], ansedu.Categorical([0.5, 0.5]))
    with pytest.raises(ConfigError, match="not a coder"):
        encode_adaptive(object(), [0], AdaptiveCategorical(2))


def test_decoding_past_the_end_changes_nothing():
    coder = AnsCoder()
    encode_adaptive(coder, b"hello", ContextModel(2, table_bits=16))
    words = coder.get_compressed()
    decoder = AnsCoder(words)
    model = ContextModel(2, table_bits=16)
    with pytest.raises(DecodeError):
        decode_adaptive(decoder, model, 10_000)
    assert model == ContextModel(2, table_bits=16) and decoder.get_compressed().tolist() == words.tolist()
    assert bytes(decode_adaptive(decoder, model, 5).astype(np.uint8)) == b"hello"
    with pytest.raises(DecodeError, match="amt"):
        decode_adaptive(decoder, model, -1)


# -- compression on real text ----------------------------------------------------------------------------

def test_adaptive_categorical_costs_what_the_laplace_estimator_predicts():
    # With increment 1, initial counts 1 and no rescale, sequential coding with p(x) = f(x) / T
    # costs exactly log2 of  (n + A - 1)! / ((A - 1)! prod_x n_x!)  (the product of the
    # predictive probabilities telescopes). Quantization: m(x) >= f 2^P / T - 1, so each symbol
    # costs at most -log2(f / T) - log2(1 - T / 2^P) bits more than that.
    data = ansedu.load_text("alice29")[:5000]
    A, n, P = 256, len(data), 24
    model = AdaptiveCategorical(A, precision=P, increment=1, max_total=1 << 20)
    bits = information_content(model, data)
    exact = (math.lgamma(n + A) - math.lgamma(A) - sum(math.lgamma(k + 1) for k in Counter(data).values())) \
        / math.log(2)
    slack = -n * math.log2(1 - (n + A) / 2**P)
    assert exact - 1e-6 <= bits <= exact + slack + 1e-6


def test_context_models_compress_text_and_longer_contexts_help():
    # The first 8000 bytes of alice29.txt, whose static empirical entropy is H0 ~ 4.53 bits/byte
    # over k = 65 distinct bytes. Bounds:
    # - the adaptive categorical pays for learning: a count-based estimator's regret is about
    #   (k - 1)/2 log2(n) / n = 32 * 12.97 / 8000 ~ 0.05 bits/byte; allow twice that;
    # - the order-0 context model forgets on purpose (non-stationary counts, made for the long
    #   contexts): it may lose up to half a bit per byte against H0;
    # - order 2 must beat H0 by more than 1 bit/byte (on the whole text: 2.77 against 4.57), and
    #   every longer context must help on text: order 3 < order 2 < order 0.
    data = ansedu.load_text("alice29")[:8000]
    counts = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256)
    p = counts[counts > 0] / len(data)
    h0 = float(-(p * np.log2(p)).sum())
    assert np.count_nonzero(counts) == 65
    categorical = information_content(AdaptiveCategorical(256), data) / len(data)
    rate = {k: information_content(ContextModel(k, table_bits=18), data) / len(data) for k in (0, 2, 3)}
    assert categorical < h0 + 0.1
    assert rate[0] < h0 + 0.5
    assert rate[2] < h0 - 1.0
    assert rate[3] < rate[2] < rate[0]


def test_precisions_above_53_bits_use_exact_per_unit_models():
    # Recorded intervals travel as float64 parameters only up to precision 53; above it the stack
    # driver hands the coder one exact fixed model per unit instead.
    data = [0, 4, 4, 1, 4, 2, 4, 4, 3]
    check_both_ways(data, lambda P: AdaptiveCategorical(5, P), (60, 64, 128))
    check_both_ways(b"banana", lambda P: ContextModel(1, P, table_bits=16), (62, 64, 128))
    with pytest.raises(ConfigError, match="exact only up to precision 53"):
        ansedu.models.RecordedIntervals(60)
    recorded = ansedu.models.RecordedIntervals(4)
    with pytest.raises(ModelError, match="mass >= 1"):
        recorded.intervals(np.zeros(2), np.array([0.0, 15.0]), np.array([15.0, 2.0]))
