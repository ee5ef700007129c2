"""InterleavedAnsCoder: each lane is an AnsCoder; one lane gives AnsCoder's words exactly."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ansedu import AnsCoder, Categorical, InterleavedAnsCoder, QuantizedGaussian, choose_lanes
from ansedu.errors import DecodeError, SymbolError
from strategies import SETTINGS, model_and_message

SMALL_HEADS = [s for s in SETTINGS if s[2] <= 64]


@pytest.mark.parametrize("setting", SMALL_HEADS)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_lanes_are_ans_coders_and_round_trip(setting, data):
    P, W, S = setting
    model, message = data.draw(model_and_message(P))
    K = data.draw(st.integers(1, 6))
    coder = InterleavedAnsCoder(lanes=K, precision=P, word_size=W, head_size=S)
    coder.encode_reverse(message, model)
    # lane j holds symbols j, j + K, ...: its head is that of an AnsCoder given just those
    for j in range(K):
        alone = AnsCoder(precision=P, word_size=W, head_size=S)
        alone.encode_reverse(message[j::K], model)
        assert int(coder.heads[j]) == alone.head
    words = coder.get_compressed()
    if K == 1:  # one lane writes exactly AnsCoder's words
        one = AnsCoder(precision=P, word_size=W, head_size=S)
        one.encode_reverse(message, model)
        assert np.array_equal(words, one.get_compressed())
    decoder = InterleavedAnsCoder(words, lanes=K, precision=P, word_size=W, head_size=S)
    assert decoder.decode(model, len(message)).tolist() == list(message)
    assert decoder.is_empty() or not message


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(-30, 30), min_size=1, max_size=80), st.integers(1, 7), st.integers(0, 2**32 - 1))
def test_gaussian_family_round_trip(symbols, K, seed):
    rng = np.random.default_rng(seed)
    means, stds = rng.normal(0, 10, len(symbols)), rng.uniform(0.2, 20, len(symbols))
    family = QuantizedGaussian(-30, 30)
    coder = InterleavedAnsCoder(lanes=K)
    coder.encode_reverse(symbols, family, means, stds)
    if K == 1:
        ref = AnsCoder()
        ref.encode_reverse(symbols, family, means, stds)
        assert np.array_equal(coder.get_compressed(), ref.get_compressed())
    decoded = InterleavedAnsCoder(coder.get_compressed(), lanes=K).decode(family, len(symbols), means, stds)
    assert decoded.tolist() == symbols


def test_bad_input_changes_nothing_and_lanes_rule():
    model = Categorical([0.5, 0.0, 0.5])
    coder = InterleavedAnsCoder(lanes=3)
    coder.encode_reverse([0, 2, 2, 0, 2], model)
    before = coder.get_compressed()
    with pytest.raises(SymbolError):
        coder.encode_reverse([0, 1], model)
    assert np.array_equal(coder.get_compressed(), before)
    with pytest.raises(DecodeError, match="ran out"):
        InterleavedAnsCoder(before, lanes=3).decode(model, 1000)
    # the rule: expected flush cost (S - W/2 bits per lane, one bit of margin) at most 0.1 %
    # of the information content
    assert choose_lanes(10**7, 4.0) == int(0.001 * 4e7 / (64 - 32 / 2 + 1))
    assert choose_lanes(10, 1.0) == 1


# -- the slot-to-symbol lookup -------------------------------------------------------------

from ansedu.fast import SlotLookup, flush_cost, vector_lookup  # noqa: E402
from ansedu.models.categorical import EntropyModel  # noqa: E402

PRECISIONS = sorted({s[0] for s in SETTINGS})  # the precisions the coder tests use (1 .. 40)


@st.composite
def integer_models(draw, max_symbols=300):
    """An EntropyModel straight from integer masses, with the extremes the lookup must survive:
    masses of 1 beside a near-maximal one, zero masses, one symbol owning every slot, long
    runs of tiny masses inside one bucket, and alphabets from 1 to hundreds of symbols."""
    P = draw(st.sampled_from([p for p in PRECISIONS if p <= 32]))
    total = 1 << P
    n = draw(st.integers(1, min(max_symbols, total + 3)))
    kind = draw(st.sampled_from(["cuts", "one big", "all ones", "single"]))
    if kind == "single":
        masses = [0] * n
        masses[draw(st.integers(0, n - 1))] = total
    elif kind == "all ones" and n <= total:  # n - 1 symbols of mass 1, the rest on one symbol
        masses = [1] * n
        masses[draw(st.integers(0, n - 1))] += total - n
    elif kind == "one big":  # masses 0 or 1, and one near-maximal mass
        masses = [draw(st.integers(0, 1)) for _ in range(n)]
        if sum(masses) >= total:
            masses = [0] * n
        masses[draw(st.integers(0, n - 1))] += total - sum(masses)
    else:  # random cut points of the 2^P slots (repeated cuts give zero masses)
        cuts = sorted(draw(st.lists(st.integers(0, total), min_size=n - 1, max_size=n - 1)))
        masses = np.diff([0, *cuts, total]).tolist()
    return EntropyModel(masses, P)


def _edge_slots(model, rng, extra=64):
    """Every interval's first and last slot, 0 and 2^P - 1, and random slots."""
    total = 1 << model.precision
    owned = model.masses > 0
    edges = np.concatenate([model.cdf[:-1][owned], model.cdf[1:][owned] - 1, [0, total - 1],
                            rng.integers(0, total, extra)])
    return np.unique(edges).astype(np.uint64)


class _Tiny(SlotLookup):  # few bucket bits: forces corrections, and the fallback to a search
    BITS, MAX_BITS, MAX_CORRECTIONS = 1, 3, 1


@pytest.mark.parametrize("cls", [SlotLookup, _Tiny])
@settings(max_examples=150, deadline=None)
@given(model=integer_models(), seed=st.integers(0, 2**32 - 1))
def test_slot_lookup_agrees_with_binary_search(cls, model, seed):
    slots = _edge_slots(model, np.random.default_rng(seed))
    lookup = cls(model)
    x, c, m = lookup(slots)
    want_x, want_c, want_m = vector_lookup(model, slots)
    assert lookup.symbol(x).tolist() == want_x.tolist()
    assert c.tolist() == want_c.tolist() and m.tolist() == want_m.tolist()
    assert np.all(m > 0) and np.all(c <= slots) and np.all(slots < c + m)
    assert c.dtype == m.dtype == np.uint64
    # the table's promise: at most `corrections` symbols start inside a bucket (or no table)
    assert lookup.first is None or lookup.corrections <= cls.MAX_CORRECTIONS


def test_slot_lookup_paths():
    # 2^16 buckets of 256 slots: a model whose masses are all >= 256 needs one correction at most
    wide = SlotLookup(EntropyModel([1000, 300, (1 << 24) - 1300], 24))
    assert wide.bits == 16 and wide.corrections == 1
    assert SlotLookup(EntropyModel([1 << 22] * 4, 24)).corrections == 0  # boundaries on bucket edges
    # a run of 4096 masses of 1 inside one bucket: more bits, then the binary search
    crowded = SlotLookup(EntropyModel([1] * 4096 + [(1 << 24) - 4096], 24))
    assert crowded.first is None
    exact = SlotLookup(EntropyModel([1] * 8 + [0] + [8], 4))  # precision <= 16: one slot a bucket
    assert exact.bits == 4 and exact.corrections == 0
    assert exact.symbol(exact(np.arange(16, dtype=np.uint64))[0]).tolist() == list(range(8)) + [9] * 8


# -- the step's arithmetic at the edges ------------------------------------------------------

@pytest.mark.parametrize("setting", SMALL_HEADS)
@pytest.mark.parametrize("masses", ["whole", "near whole", "ones"])
def test_extreme_masses_match_ans_coder(setting, masses):
    """Masses of 2^P (the flush bound m 2^(S-P) - 1 wraps around at S = 64), 2^P - 1 and 1:
    one lane writes AnsCoder's words, more lanes (also more lanes than symbols) round-trip."""
    P, W, S = setting
    total = 1 << P
    if masses == "whole":
        model, message = EntropyModel([0, total], P), [1] * 50
    elif masses == "near whole":
        if total < 2:
            pytest.skip("precision 1 has no mass between 1 and 2^P")
        model, message = EntropyModel([total - 1, 1], P), [0, 1] * 20 + [1] * 10
    else:
        k = min(total, 5)
        model = EntropyModel([1] * (k - 1) + [total - k + 1], P)
        message = [i % (k - 1) if k > 1 else 0 for i in range(60)]
    one = AnsCoder(precision=P, word_size=W, head_size=S)
    one.encode_reverse(message, model)
    coder = InterleavedAnsCoder(lanes=1, precision=P, word_size=W, head_size=S)
    coder.encode_reverse(message, model)
    assert np.array_equal(coder.get_compressed(), one.get_compressed())
    for K in (1, 3, len(message) + 5):
        coder = InterleavedAnsCoder(lanes=K, precision=P, word_size=W, head_size=S)
        coder.encode_reverse(message, model)
        back = InterleavedAnsCoder(coder.get_compressed(), lanes=K, precision=P, word_size=W, head_size=S)
        assert back.decode(model, len(message)).tolist() == message
        assert back.is_empty()


@settings(max_examples=30, deadline=None)
@given(model=integer_models(max_symbols=40), K=st.integers(1, 70), data=st.data())
def test_integer_models_round_trip_on_many_lanes(model, K, data):
    """Lanes 1 .. 70 (often more than symbols), at the test precisions up to 32 with the
    default 32-bit words and 64-bit heads (or smaller settings for small precisions)."""
    P = model.precision
    W = 32 if P <= 32 else 64
    S = 64
    if P <= 16 and data.draw(st.booleans()):
        W, S = 16, 32
    possible = np.flatnonzero(model.masses).tolist()
    message = data.draw(st.lists(st.sampled_from(possible), max_size=120))
    coder = InterleavedAnsCoder(lanes=K, precision=P, word_size=W, head_size=S)
    coder.encode_reverse(message, model)
    for j in range(K):  # each lane is an AnsCoder of its symbols
        alone = AnsCoder(precision=P, word_size=W, head_size=S)
        alone.encode_reverse(message[j::K], model)
        assert int(coder.heads[j]) == alone.head
    back = InterleavedAnsCoder(coder.get_compressed(), lanes=K, precision=P, word_size=W, head_size=S)
    assert back.decode(model, len(message)).tolist() == message


def test_decode_error_leaves_coder_unchanged():
    model = Categorical([0.6, 0.3, 0.1])
    coder = InterleavedAnsCoder(lanes=4)
    coder.encode_reverse([0, 1, 2, 0, 1, 2, 0, 0, 1], model)
    words = coder.get_compressed()
    decoder = InterleavedAnsCoder(words, lanes=4)
    heads, bulk = decoder.heads.copy(), decoder._bulk.copy()
    with pytest.raises(DecodeError, match="ran out"):
        decoder.decode(model, 10_000)
    assert np.array_equal(decoder.heads, heads) and np.array_equal(decoder._bulk, bulk)
    assert decoder.decode(model, 9).tolist() == [0, 1, 2, 0, 1, 2, 0, 0, 1]


def test_flush_cost_per_lane_is_measured_s_minus_half_w():
    """The expected flush cost S - W/2 per lane (what choose_lanes charges) against the
    overhead measured on a message of 200 lanes, each of about 2000 bits."""
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(16))
    model = Categorical(p)
    message = rng.choice(16, size=100_000, p=p)
    info = model.information_content(message)
    K = 200
    coder = InterleavedAnsCoder(lanes=K)
    coder.encode_reverse(message, model)
    per_lane = (coder.num_bits() - info) / K
    assert flush_cost(64, 32) == 48
    assert abs(per_lane - flush_cost(64, 32)) < 3  # the mean of 200 lanes: its spread is about 0.7 bits


@pytest.mark.parametrize("bad, match", [(-1, "outside the alphabet"), (7, "outside the alphabet"),
                                        (1, "probability zero")])
def test_bad_symbol_in_any_block_names_the_first_and_changes_nothing(bad, match):
    """Encoding checks each block of steps as it goes (last block first); the error still
    names the first bad symbol of the message, and the coder keeps its words."""
    model = Categorical([0.5, 0.0, 0.25, 0.25])
    rng = np.random.default_rng(3)
    message = rng.choice([0, 2, 3], size=300_000)
    coder = InterleavedAnsCoder(lanes=5)
    coder.encode_reverse(message[:1000], model)
    before = coder.get_compressed()
    message[[17, 250_000]] = bad
    with pytest.raises(SymbolError, match=f"{match}|position 17") as err:
        coder.encode_reverse(message, model)
    assert "position 17" in str(err.value)
    assert np.array_equal(coder.get_compressed(), before)


# -- the families' lookup: a guess from the inverse CDF, checked -----------------------------

from ansedu import QuantizedLaplace, QuantizedLogistic  # noqa: E402
from ansedu.fast import FamilyLookup  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(family=st.sampled_from([QuantizedGaussian, QuantizedLaplace, QuantizedLogistic]),
       lo=st.integers(-300, 10), width=st.integers(0, 400), precision=st.sampled_from([12, 16, 24, 32]),
       seed=st.integers(0, 2**32 - 1))
def test_family_lookup_agrees_with_bisection(family, lo, width, precision, seed):
    """Tiny and wide ranges, narrow and wide scales, locations inside and far outside the
    range (where most slots belong to the leaky floor), and every interval's edges."""
    if width + 1 > 2**precision // 2:
        width = 2**precision // 2 - 1
    model = family(lo, lo + width, precision=precision)
    rng = np.random.default_rng(seed)
    n = 300
    loc = rng.choice([rng.uniform(lo - 50, lo + width + 50), lo - 1e4, lo + width + 1e4], size=n)
    scale = np.exp(rng.uniform(np.log(1e-3), np.log(1e3), n))
    symbols = rng.integers(lo, lo + width + 1, n)
    c, m = model.intervals(symbols, loc, scale)
    # each lane: a random slot, or the first or last slot of its symbol's interval
    pick = rng.integers(0, 3, n)
    slots = np.where(pick == 0, c, np.where(pick == 1, c + m - 1, c + (rng.random(n) * m).astype(np.int64)))
    slots = slots.astype(np.uint64)
    x, cx, mx = FamilyLookup(model)(slots, loc, scale)
    want = vector_lookup(model, slots, [loc, scale])
    assert x.tolist() == want[0].tolist() == symbols.tolist()
    assert cx.tolist() == np.asarray(want[1]).tolist() and mx.tolist() == np.asarray(want[2]).tolist()


def test_two_messages_stack_like_ans_coder():
    """A second encode_reverse pushes on top of the first (each starting again at lane 0):
    decoding pops the second, then the first; with one lane the words are AnsCoder's."""
    rng = np.random.default_rng(5)
    model = Categorical([0.5, 0.2, 0.2, 0.1])
    first, second = rng.choice(4, size=1234).tolist(), rng.choice(4, size=777).tolist()
    for K in (1, 7, 100):
        coder = InterleavedAnsCoder(lanes=K)
        coder.encode_reverse(first, model)
        coder.encode_reverse(second, model)
        if K == 1:
            one = AnsCoder()
            one.encode_reverse(first, model)
            one.encode_reverse(second, model)
            assert np.array_equal(coder.get_compressed(), one.get_compressed())
        back = InterleavedAnsCoder(coder.get_compressed(), lanes=K)
        assert back.decode(model, len(second)).tolist() == second
        assert back.decode(model, len(first)).tolist() == first
        assert back.is_empty()
