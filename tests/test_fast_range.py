"""CompiledRangeEncoder / CompiledRangeDecoder give exactly the pure range coder's words and
symbols, both ways, on every setting of tests/test_range.py; bad input raises the same errors
and changes nothing; what is not compiled runs the pure coder."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ansedu
import ansedu.coders.range as pure_range
import ansedu.fast.range as fast_range
import test_range  # (imported as a module, so that its tests are not collected twice)
from ansedu import (Categorical, CompiledRangeDecoder, CompiledRangeEncoder, ConfigError, DecodeError,
                    EntropyModel, RangeDecoder, RangeEncoder, SymbolError,
                    WordTypeError)
from ansedu.fast import HAVE_NUMBA
from strategies import model_and_message
from tiny_family import Peaked

SETTINGS = test_range.RANGE_SETTINGS  # every setting the range coder's tests use
SMALL = test_range.SMALL


def _kw(setting):
    P, W, S = setting
    return dict(precision=P, word_size=W, state_size=S)


def _state(coder):
    """Everything that defines an encoder's content, or a decoder's position."""
    if isinstance(coder, RangeEncoder):
        return (coder.get_compressed().tolist(), coder.words_so_far().tolist(), coder.pos(),
                coder.num_words(), coder.num_bits(), coder.is_empty())
    return coder.pos(), coder.point


def test_numba_is_installed_and_which_settings_compile():
    assert HAVE_NUMBA  # the course pins numba; without it the tests below would test Python twice
    for setting in SETTINGS:
        fits = setting[2] <= 64
        assert CompiledRangeEncoder(**_kw(setting)).compiled == fits
        assert CompiledRangeDecoder(np.zeros(0, dtype=ansedu.word_dtype(setting[1])), **_kw(setting)).compiled == fits
    assert not CompiledRangeEncoder(debug=True).compiled and not CompiledRangeEncoder(compiled=False).compiled
    assert "pure Python" in repr(CompiledRangeEncoder(compiled=False))
    assert issubclass(CompiledRangeEncoder, RangeEncoder) and issubclass(CompiledRangeDecoder, RangeDecoder)
    assert ansedu.fast.CompiledRangeEncoder is CompiledRangeEncoder


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("compiled", [True, False])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_same_words_and_symbols_both_ways(setting, compiled, data):
    kw = _kw(setting)
    model, message = data.draw(model_and_message(setting[0], max_len=120))
    kind = data.draw(st.sampled_from([np.int64, np.int32, list]))
    message = message if kind is list else np.array(message, dtype=kind)
    slow, fast = RangeEncoder(**kw), CompiledRangeEncoder(**kw, compiled=compiled)
    # two calls, so that the second continues (and may carry into) what the first wrote
    cut = data.draw(st.integers(0, len(message)))
    for part in (message[:cut], message[cut:]):
        slow.encode(part, model)
        fast.encode(part, model)
        assert _state(fast) == _state(slow) and (fast.low, fast.range) == (slow.low, slow.range)
    words = slow.get_compressed()
    assert fast.get_compressed().dtype == words.dtype
    n = len(message)
    if not n:
        return
    # the pure encoder's words through the compiled decoder (in two calls), beside the pure decoder
    fast_dec, slow_dec = CompiledRangeDecoder(words, **kw, compiled=compiled), RangeDecoder(words, **kw)
    cut = data.draw(st.integers(0, n))
    got = []
    for amt in (cut, n - cut):
        got += fast_dec.decode(model, amt).tolist()
        slow_dec.decode(model, amt)
        assert _state(fast_dec) == _state(slow_dec) and (fast_dec.low, fast_dec.range) == (slow_dec.low, slow_dec.range)
    assert got == list(message)
    # and the compiled encoder's words through the pure decoder
    assert RangeDecoder(fast.get_compressed(), **kw).decode(model, n).tolist() == list(message)


def _edge_models(P):
    """Masses 1 and near the maximum, and one symbol with every slot (range stays 2^S: with
    state_size 64 that is the 2^64 the kernels hold as 0)."""
    top = 1 << P
    models = [EntropyModel([top], precision=P), EntropyModel([1, top - 1], precision=P),
              EntropyModel([top - 1, 1], precision=P)]
    if P >= 2:
        models += [EntropyModel([1, top - 2, 1], precision=P), EntropyModel([0, 1, 0, top - 1, 0], precision=P)]
    return models


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s[2] <= 64])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_edge_case_models(setting, data):
    kw = _kw(setting)
    for model in _edge_models(setting[0]):
        possible = np.flatnonzero(model.masses).tolist()
        message = data.draw(st.lists(st.sampled_from(possible), max_size=300))
        slow, fast = RangeEncoder(**kw), CompiledRangeEncoder(**kw)
        slow.encode(message, model)
        fast.encode(np.array(message, dtype=np.int64), model)
        assert _state(fast) == _state(slow) and fast.range == slow.range
        if message:
            words = slow.get_compressed()
            fast_dec, slow_dec = CompiledRangeDecoder(words, **kw), RangeDecoder(words, **kw)
            assert fast_dec.decode(model, len(message)).tolist() == message
            assert slow_dec.decode(model, len(message)).tolist() == message
            assert _state(fast_dec) == _state(slow_dec) and fast_dec.range == slow_dec.range


def test_the_full_range_of_a_64_bit_state_survives_the_kernels():
    # one symbol with all 2^24 slots: every symbol keeps range = 2^64 (held as 0 inside)
    model = EntropyModel([1 << 24], precision=24)
    fast = CompiledRangeEncoder()
    fast.encode(np.zeros(1000, dtype=np.int64), model)
    assert (fast.low, fast.range, fast.num_words()) == (0, 1 << 64, 1)
    decoder = CompiledRangeDecoder(fast.get_compressed())
    assert decoder.decode(model, 1000).tolist() == [0] * 1000 and decoder.range == 1 << 64
    # and after it, a symbol of mass 1 and one of nearly everything
    slow = RangeEncoder()
    slow.encode([0] * 1000, model)
    other = EntropyModel([1, (1 << 24) - 1], precision=24)
    for coder in (fast, slow):
        coder.encode([1, 0, 1, 1, 0], other)
    assert _state(fast) == _state(slow) and fast.range == slow.range


# --- carries ------------------------------------------------------------------------------

def _straddling_message(model, kw, length, rng):
    """Symbols that keep the interval across the carry point (low + range > 2^S), so that every
    word written meanwhile is all ones, then one symbol above it: a carry through all of them."""
    encoder = RangeEncoder(**kw)
    cdf, top, out = model.cdf.tolist(), 1 << kw["state_size"], []
    symbols = range(len(cdf) - 1)
    for i in range(length):
        scale, x = encoder.range >> kw["precision"], None
        if encoder.low + encoder.range > top:
            t = top - encoder.low  # the carry point, relative to low
            inside = [s for s in symbols if cdf[s] * scale < t < cdf[s + 1] * scale]
            above = [s for s in symbols if cdf[s] * scale >= t and cdf[s + 1] > cdf[s]]
            x = above[0] if i == length - 1 and above else (inside[0] if inside else None)
        if x is None:
            x = int(rng.choice(np.flatnonzero(model.masses)))
        out.append(x)
        encoder.encode([x], model)
    return out


def test_long_carry_chains(monkeypatch):
    chains = []
    carry = pure_range._propagate_carry

    def counting(words, word_mask):  # the pure encoder's carries, and how many all-ones words each crossed
        i = len(words) - 1
        while i >= 0 and words[i] == word_mask:
            i -= 1
        chains.append(len(words) - 1 - i)
        return carry(words, word_mask)

    rng = np.random.default_rng(5)
    longest = {}
    for setting in [(24, 32, 64), (32, 32, 64), (16, 16, 48), (12, 16, 32), (8, 8, 16), (4, 4, 8)]:
        kw = _kw(setting)
        for trial in range(4):
            model = Categorical(rng.dirichlet(np.ones(5)), precision=setting[0])
            message = _straddling_message(model, kw, 300, rng)
            slow, fast = RangeEncoder(**kw), CompiledRangeEncoder(**kw)
            chains.clear()
            monkeypatch.setattr(pure_range, "_propagate_carry", counting)
            slow.encode(message, model)
            monkeypatch.undo()
            longest[setting] = max([longest.get(setting, 0)] + chains)
            fast.encode(np.array(message), model)
            assert _state(fast) == _state(slow)
            assert CompiledRangeDecoder(slow.get_compressed(), **kw).decode(model, 300).tolist() == message
    # the messages did what they were built for: carries through runs of all-ones words
    assert all(run >= 3 for run in longest.values()) and max(longest.values()) >= 20, sorted(longest.items())


def test_golden_vectors_with_carries():
    # tests/test_range.py's hand-worked vectors: a carry into the words, and a final word that carries
    model = test_range.GOLDEN_MODEL
    fast = CompiledRangeEncoder(**SMALL)
    fast.encode(np.array([1, 2, 2, 2, 2]), model)
    assert (fast.low, fast.range, fast.get_compressed().tolist()) == (30, 18, [12, 15, 2])
    fast = CompiledRangeEncoder(**SMALL)
    fast.encode(np.array([2, 1, 1]), model)
    assert fast.get_compressed().tolist() == [15, 0] and fast.words_so_far().tolist() == [14]
    decoder = CompiledRangeDecoder(np.array([12, 15, 2], dtype=np.uint8), **SMALL)
    assert decoder.decode(model, 2).tolist() == [1, 2]
    assert (decoder.point, decoder.low, decoder.range) == (242, 16, 240)


# --- models that are not one fixed table -------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.data())
def test_families_and_model_sequences(data):
    P, W, S = data.draw(st.sampled_from([(4, 4, 8), (8, 8, 16), (12, 16, 32), (24, 32, 64), (32, 32, 64)]))
    kw = dict(precision=P, word_size=W, state_size=S)
    k = data.draw(st.integers(2, 5))
    family = Peaked(k, P)
    n = data.draw(st.integers(0, 60))
    peaks = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)), dtype=float)
    message = data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    slow, fast = RangeEncoder(**kw), CompiledRangeEncoder(**kw)
    slow.encode(message, family, peaks)
    fast.encode(message, family, peaks)
    assert _state(fast) == _state(slow)
    assert CompiledRangeDecoder(slow.get_compressed(), **kw).decode(family, peaks).tolist() == message
    # a sequence of fixed models, one per symbol
    pairs = data.draw(st.lists(model_and_message(P, max_len=1).filter(lambda mm: mm[1]), max_size=30))
    models, symbols = [m for m, _ in pairs], [s[0] for _, s in pairs]
    slow.encode(symbols, models)
    fast.encode(symbols, models)
    assert _state(fast) == _state(slow)


def test_quantized_gaussian_at_default_settings():
    rng = np.random.default_rng(2)
    family, message, params = test_range._family_and_message("QuantizedGaussian", rng, n=3000)
    slow, fast = RangeEncoder(), CompiledRangeEncoder()
    slow.encode(message, family, *params)
    fast.encode(message, family, *params)
    assert _state(fast) == _state(slow)
    assert CompiledRangeDecoder(fast.get_compressed()).decode(family, *params).tolist() == message.tolist()


def test_what_is_compiled(monkeypatch):
    calls = []
    kernel = fast_range._kernel
    monkeypatch.setattr(fast_range, "_kernel", lambda loop: calls.append(loop.__name__) or kernel(loop))
    model = Categorical([0.5, 0.3, 0.2])
    encoder = CompiledRangeEncoder()
    encoder.encode(np.array([0, 1, 2]), model)
    encoder.encode([1, 1], model)
    encoder.encode([0, 2], Peaked(3, 24), [1.0, 2.0])
    assert calls == ["_encode_loop"] * 3
    decoder = CompiledRangeDecoder(encoder.get_compressed())
    decoder.decode(model, 5)
    assert calls[-1] == "_decode_loop" and len(calls) == 4
    decoder.decode(Peaked(3, 24), [1.0, 2.0])  # a family: the pure decoder
    decoder.seek(0, (0, 1 << 64))
    assert decoder.decode(model) == 0  # one symbol: the pure decoder
    assert len(calls) == 4
    # compiled=False, debug and wide states never reach a kernel
    for setting, flags in (((24, 32, 64), dict(compiled=False)), ((24, 32, 64), dict(debug=True)), ((20, 32, 96), {})):
        model = Categorical([0.5, 0.3, 0.2], precision=setting[0])
        coder = CompiledRangeEncoder(**_kw(setting), **flags)
        coder.encode(np.array([0, 1, 2]), model)
        decoder = CompiledRangeDecoder(coder.get_compressed(), **_kw(setting), **flags)
        assert decoder.decode(model, 3).tolist() == [0, 1, 2]
    assert len(calls) == 4


def test_checkpoints_work_across_the_two():
    rng = np.random.default_rng(4)
    model = Categorical([0.6, 0.3, 0.1])
    message = rng.choice(3, size=2000, p=[0.6, 0.3, 0.1])
    slow, fast = RangeEncoder(), CompiledRangeEncoder()
    checkpoints = []
    for part in np.array_split(message, 10):
        assert fast.pos() == slow.pos()
        checkpoints.append(fast.pos())
        slow.encode(part, model)
        fast.encode(part, model)
    decoder = CompiledRangeDecoder(fast.get_compressed())
    for i, part in reversed(list(enumerate(np.array_split(message, 10)))):
        decoder.seek(*checkpoints[i])
        assert decoder.decode(model, len(part)).tolist() == part.tolist()


# --- bad input: the same errors, and nothing changes ---------------------------------------------

def _same_error(call_slow, call_fast):
    with pytest.raises(ansedu.AnseduError) as slow:
        call_slow()
    with pytest.raises(type(slow.value)) as fast:
        call_fast()
    assert str(fast.value) == str(slow.value)
    return slow.value


@pytest.mark.parametrize("kind", [np.int64, np.int32, list])
def test_bad_symbols_and_models_change_nothing(kind):
    model = Categorical([0.25, 0.0, 0.25, 0.25, 0.25])
    as_kind = (lambda x: list(x)) if kind is list else (lambda x: np.array(x, dtype=kind))
    rng = np.random.default_rng(0)
    # a state in which the next symbol above the carry point carries through a run of all-ones words
    message = _straddling_message(model, dict(precision=24, word_size=32, state_size=64), 200, rng)
    slow, fast = RangeEncoder(), CompiledRangeEncoder()
    slow.encode(message[:-1], model)
    fast.encode(as_kind(message[:-1]), model)
    before = _state(fast)
    assert before == _state(slow)
    for bad in ([message[-1], 1], [message[-1], 0, 7], [message[-1], 1, 7], [-1], [message[-1]] * 50 + [1]):
        error = _same_error(lambda: slow.encode(as_kind(bad), model), lambda: fast.encode(as_kind(bad), model))
        assert isinstance(error, SymbolError)
        assert _state(fast) == before and (fast.low, fast.range) == (slow.low, slow.range)
    for bad_call in (lambda c: c.encode(as_kind([0]), Categorical([0.5, 0.5], precision=12)),
                     lambda c: c.encode(as_kind([0]), model, [1.0]),
                     lambda c: c.encode(as_kind([0]), None),
                     lambda c: c.encode(as_kind([0, 1]), Peaked(3, 24), [1.0]),
                     lambda c: c.encode([0.5], model)):
        _same_error(lambda: bad_call(slow), lambda: bad_call(fast))
        assert _state(fast) == before
    fast.encode(as_kind(message[-1:]), model)  # and the carry still works afterwards
    slow.encode(message[-1:], model)
    assert _state(fast) == _state(slow)


def test_bad_words_give_the_same_errors():
    for words, kw in (([1, 2, 3], {}), (np.array([1, 2], dtype=np.uint16), {}),
                      (np.zeros((2, 2), dtype=np.uint32), {}), (np.array([3, 200], dtype=np.uint8), SMALL),
                      (np.array([0, 1, 2], dtype=np.uint8), _kw((1, 1, 2)))):
        error = _same_error(lambda: RangeDecoder(words, **kw), lambda: CompiledRangeDecoder(words, **kw))
        assert isinstance(error, WordTypeError)


def test_decoding_errors_are_the_pure_decoders_and_change_nothing():
    model = Categorical([0.5, 0.3, 0.2], precision=12)
    kw = _kw((12, 16, 32))
    encoder = CompiledRangeEncoder(**kw)
    encoder.encode(np.array([0, 1, 2, 1, 0]), model)
    words = encoder.get_compressed()
    slow, fast = RangeDecoder(words, **kw), CompiledRangeDecoder(words, **kw)
    assert fast.decode(model, 5).tolist() == slow.decode(model, 5).tolist() == [0, 1, 2, 1, 0]
    before = _state(fast)
    for args in ((32,), (10**9,), (2**63,), (2.0,), (True,), (-1,), ("3",)):
        _same_error(lambda: slow.decode(model, *args), lambda: fast.decode(model, *args))
        assert _state(fast) == before == _state(slow)
    _same_error(lambda: slow.decode(Categorical([0.5, 0.5]), 1), lambda: fast.decode(Categorical([0.5, 0.5]), 1))
    empty = np.zeros(0, dtype=np.uint16)
    _same_error(lambda: RangeDecoder(empty, **kw).decode(model, 1),
                lambda: CompiledRangeDecoder(empty, **kw).decode(model, 1))
    assert CompiledRangeDecoder(empty, **kw).decode(model, 0).tolist() == []
    # data that no encoder writes: a point in the rest of a range that no symbol owns
    slow, fast = (cls(np.array([15, 0], dtype=np.uint8), **SMALL) for cls in (RangeDecoder, CompiledRangeDecoder))
    for d in (slow, fast):
        d.seek(0, (0, 255))
    golden = test_range.GOLDEN_MODEL
    error = _same_error(lambda: slow.decode(golden, 1), lambda: fast.decode(golden, 1))
    assert "no symbol's piece" in str(error) and _state(fast) == _state(slow)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_corrupted_data_gives_the_same_symbols_or_the_same_error(data):
    setting = data.draw(st.sampled_from([s for s in SETTINGS if s[2] <= 64]))
    kw = _kw(setting)
    model, message = data.draw(model_and_message(setting[0], max_len=60))
    words = RangeEncoder(**kw).get_compressed() if not message else None
    if words is None:
        encoder = RangeEncoder(**kw)
        encoder.encode(message, model)
        words = encoder.get_compressed()
    words = words.copy()
    if words.size:
        i = data.draw(st.integers(0, words.size - 1))
        words[i] = data.draw(st.integers(0, (1 << setting[1]) - 1))
    amt = data.draw(st.integers(0, 2 * len(message) + 5))
    slow, fast = RangeDecoder(words, **kw), CompiledRangeDecoder(words, **kw)
    try:
        expected = slow.decode(model, amt).tolist()
    except DecodeError as error:
        with pytest.raises(DecodeError) as caught:
            fast.decode(model, amt)
        assert str(caught.value) == str(error) and _state(fast) == _state(RangeDecoder(words, **kw))
    else:
        assert fast.decode(model, amt).tolist() == expected and _state(fast) == _state(slow)


def test_settings_errors_are_the_pure_coders():
    for bad in (dict(precision=33), dict(state_size=48), dict(word_size=0), dict(precision=True)):
        _same_error(lambda: RangeEncoder(**bad), lambda: CompiledRangeEncoder(**bad))
    assert isinstance(_same_error(lambda: RangeEncoder(state_size=32), lambda: CompiledRangeEncoder(state_size=32)),
                      ConfigError)


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s[2] <= 64])
def test_the_end_of_the_data_is_where_the_pure_decoder_finds_it(setting):
    # Each symbol costs at least one bit, so the pure decoder, one symbol at a time, runs out after
    # some number `last` of symbols: the compiled decoder decodes exactly `last` and not one more.
    kw = _kw(setting)
    P = setting[0]
    model = EntropyModel([1 << (P - 1)] + ([1 << (P - 2)] * 2 if P > 1 else [1]), precision=P)
    rng = np.random.default_rng(P)
    for length in (1, 2, 7, 40):
        encoder = RangeEncoder(**kw)
        encoder.encode(rng.integers(0, len(model.masses), length), model)
        words = encoder.get_compressed()
        slow, last = RangeDecoder(words, **kw), 0
        while True:
            try:
                slow.decode(model)
            except DecodeError:
                break
            last += 1
        assert last >= length
        fast = CompiledRangeDecoder(words, **kw)
        with pytest.raises(DecodeError, match="past the end"):
            fast.decode(model, last + 1)
        assert fast.decode(model, last).tolist() == RangeDecoder(words, **kw).decode(model, last).tolist()
        assert _state(fast) == _state(slow)


@pytest.mark.parametrize("piece", [1, 3, 7])
def test_decoding_in_pieces(monkeypatch, piece):
    # A long decode runs the kernel on pieces that grow (1 << 22 symbols at first); the state
    # carries from one piece to the next exactly as within one.
    monkeypatch.setattr(fast_range, "_PIECE", piece)
    rng = np.random.default_rng(piece)
    model = Categorical([0.7, 0.2, 0.1])
    message = rng.choice(3, size=500, p=[0.7, 0.2, 0.1])
    encoder = CompiledRangeEncoder()
    encoder.encode(message, model)
    words = encoder.get_compressed()
    fast, slow = CompiledRangeDecoder(words), RangeDecoder(words)
    assert fast.decode(model, 500).tolist() == slow.decode(model, 500).tolist() == message.tolist()
    assert _state(fast) == _state(slow) and (fast.low, fast.range) == (slow.low, slow.range)
    with pytest.raises(DecodeError, match="past the end"):
        fast.decode(model, 100)
    assert _state(fast) == _state(slow)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_round_trip_contract_for_the_queue_in_every_pairing(data):
    # The round trip of tests/contract.py, for a queue: an encoder that already holds a prefix
    # encodes the message; any decoder (pure or compiled) of its words gives the prefix and then
    # the message, and every pairing of encoder and decoder ends in the same decoder state.
    setting = data.draw(st.sampled_from(SETTINGS))
    kw = _kw(setting)
    model, prefix = data.draw(model_and_message(setting[0], max_len=40))
    model2, message = data.draw(model_and_message(setting[0], max_len=80))
    ends = set()
    for encoder_cls in (RangeEncoder, CompiledRangeEncoder):
        encoder = encoder_cls(**kw)
        encoder.encode(prefix, model)
        encoder.encode(np.array(message, dtype=np.int64), model2)
        words = encoder.get_compressed()
        assert words.dtype == ansedu.word_dtype(setting[1]) and len(words) == encoder.num_words()
        for decoder_cls in (RangeDecoder, CompiledRangeDecoder):
            if not prefix + message:
                continue
            decoder = decoder_cls(words, **kw)
            assert decoder.decode(model, len(prefix)).tolist() == prefix
            assert decoder.decode(model2, len(message)).tolist() == message
            ends.add((tuple(words.tolist()), _state(decoder), decoder.low, decoder.range))
    assert len(ends) <= 1


# --- the quantized continuous families: decoding compiled with compiled.py's _family_lookup ---------

QUANTIZED = test_range.QUANTIZED
COMPILED_SETTINGS = [s for s in SETTINGS if s[2] <= 64]
_EXTREME_LOCS = [0.0, -0.5, 0.5, 1e-300, -1e300, 1e300, 2.0**52, -2.0**53, 1e15, 3.5, -7.25]
_EXTREME_SCALES = [5e-324, 1e-300, 1e-9, 0.3, 1.0, 1e3, 1e12, 1e300, 1.7e308]


@st.composite
def _family_case(draw, P, fixed=False):
    """(family, message, parameter arrays or (), number of symbols): any alphabet that fits P,
    near 0 or at the edges of int32, random and extreme parameters."""
    name = draw(st.sampled_from(QUANTIZED))
    k = draw(st.one_of(st.integers(1, min(1 << P, 8)), st.integers(1, min(1 << P, 20000))))
    lo = draw(st.one_of(st.integers(-30, 30), st.sampled_from([-2**31, 2**31 - k, -5000])))
    n = draw(st.integers(0, 80))
    locs = st.one_of(st.floats(lo - 20.0, lo + k + 20.0), st.sampled_from(_EXTREME_LOCS),
                     st.floats(-1e300, 1e300))
    scales = st.one_of(st.floats(0.01, 50.0), st.sampled_from(_EXTREME_SCALES),
                       st.floats(1e-300, 1e300))
    if fixed:
        family = getattr(ansedu, name)(lo, lo + k - 1, draw(locs), draw(scales), precision=P)
        params = ()
    else:
        family = getattr(ansedu, name)(lo, lo + k - 1, precision=P)
        params = (np.array(draw(st.lists(locs, min_size=n, max_size=n))),
                  np.array(draw(st.lists(scales, min_size=n, max_size=n))))
    # symbols: mostly near the location (likely ones), some anywhere in the alphabet (unlikely ones)
    message = [draw(st.integers(lo, lo + k - 1)) for _ in range(n)]
    return family, np.array(message, dtype=np.int64), params, n


def _decode_both(slow, fast, family, params, n, cut):
    """Decode with the pure and the compiled decoder in two calls; the same symbols and state."""
    got = []
    for a, b in ((0, cut), (cut, n)):
        args = tuple(p[a:b] for p in params) if params else (b - a,)
        want = slow.decode(family, *args)
        have = fast.decode(family, *args)
        assert have.dtype == np.int32 and have.tolist() == want.tolist()
        assert _state(fast) == _state(slow) and (fast.low, fast.range) == (slow.low, slow.range)
        got += have.tolist()
    return got


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("fixed", [False, True])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_families_decode_compiled_with_the_pure_symbols_both_ways(setting, fixed, data):
    kw = _kw(setting)
    family, message, params, n = data.draw(_family_case(setting[0], fixed))
    slow_enc, fast_enc = RangeEncoder(**kw), CompiledRangeEncoder(**kw)
    slow_enc.encode(message, family, *params)
    fast_enc.encode(message, family, *params)
    assert _state(fast_enc) == _state(slow_enc)
    cut = data.draw(st.integers(0, n))
    # pure encoder -> compiled decoder (beside the pure decoder), and compiled encoder -> pure decoder
    words = slow_enc.get_compressed()
    if n:
        got = _decode_both(RangeDecoder(words, **kw), CompiledRangeDecoder(words, **kw), family, params, n, cut)
        assert got == message.tolist()
        assert RangeDecoder(fast_enc.get_compressed(), **kw).decode(family, *params or (n,)).tolist() == got


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_families_on_garbage_data_give_the_same_symbols_or_the_same_error(data):
    setting = data.draw(st.sampled_from(COMPILED_SETTINGS))
    kw = _kw(setting)
    fixed = data.draw(st.booleans())
    family, _, params, n = data.draw(_family_case(setting[0], fixed))
    dtype = ansedu.word_dtype(setting[1])
    words = np.array(data.draw(st.lists(st.integers(0, (1 << setting[1]) - 1), max_size=12)), dtype=dtype)
    slow, fast = RangeDecoder(words, **kw), CompiledRangeDecoder(words, **kw)
    args = params or (n,)
    try:
        want = slow.decode(family, *args)
    except DecodeError as error:
        with pytest.raises(DecodeError) as caught:
            fast.decode(family, *args)
        assert str(caught.value) == str(error)
    else:
        assert fast.decode(family, *args).tolist() == want.tolist()
    assert _state(fast) == _state(slow) and (fast.low, fast.range) == (slow.low, slow.range)


@pytest.mark.parametrize("name", QUANTIZED)
def test_family_errors_are_the_pure_decoders_and_change_nothing(name):
    family = getattr(ansedu, name)(-20, 20)
    rng = np.random.default_rng(5)
    _, message, (loc, scale) = test_range._family_and_message(name, rng, n=300)
    encoder = CompiledRangeEncoder()
    encoder.encode(message, family, loc, scale)
    words = encoder.get_compressed()
    slow, fast = RangeDecoder(words), CompiledRangeDecoder(words)
    assert fast.decode(family, loc[:100], scale[:100]).tolist() == slow.decode(family, loc[:100], scale[:100]).tolist()
    before = _state(fast)
    rest_loc, rest_scale = loc[100:], scale[100:]
    bad_calls = []
    for j, value in ((0, np.nan), (0, np.inf), (1, 0.0), (1, -1.0), (1, np.inf), (1, np.nan)):
        for at in (0, 57, 199):
            arrays = [rest_loc.copy(), rest_scale.copy()]
            arrays[j][at] = value
            bad_calls.append(tuple(arrays))
    bad_calls += [(rest_loc,), (rest_loc, rest_scale[:-1]), (rest_loc, rest_scale, rest_scale), (),
                  (rest_loc.reshape(2, -1), rest_scale.reshape(2, -1)), (["a"] * 200, rest_scale)]
    for args in bad_calls:
        _same_error(lambda: slow.decode(family, *args), lambda: fast.decode(family, *args))
        assert _state(fast) == before == _state(slow)
    # running out of data: more symbols than were encoded (then the rest still decodes)
    more = (np.concatenate([rest_loc, rest_loc]), np.concatenate([rest_scale, rest_scale]))
    _same_error(lambda: slow.decode(family, *more), lambda: fast.decode(family, *more))
    assert _state(fast) == before == _state(slow)
    fixed = getattr(ansedu, name)(-20, 20, 0.0, 3.0)
    _same_error(lambda: slow.decode(fixed, 10**6), lambda: fast.decode(fixed, 10**6))
    assert _state(fast) == before == _state(slow)
    empty = np.zeros(0, dtype=np.uint32)
    _same_error(lambda: RangeDecoder(empty).decode(family, loc, scale),
                lambda: CompiledRangeDecoder(empty).decode(family, loc, scale))
    bad = loc.copy()
    bad[3] = np.nan  # the parameters are checked before the data
    _same_error(lambda: RangeDecoder(empty).decode(family, bad, scale),
                lambda: CompiledRangeDecoder(empty).decode(family, bad, scale))
    assert CompiledRangeDecoder(empty).decode(family, loc[:0], scale[:0]).tolist() == []
    assert fast.decode(family, rest_loc, rest_scale).tolist() == message[100:].tolist()


def test_families_decode_in_the_kernel_not_in_python(monkeypatch):
    calls = []
    kernel = fast_range._kernel
    monkeypatch.setattr(fast_range, "_kernel", lambda loop: calls.append(loop.__name__) or kernel(loop))
    rng = np.random.default_rng(6)
    for name in QUANTIZED:
        family, message, params = test_range._family_and_message(name, rng, n=500)
        fixed = getattr(ansedu, name)(-20, 20, 1.5, 4.0)
        encoder = CompiledRangeEncoder()
        encoder.encode(message, family, *params)
        checkpoint = encoder.pos()
        encoder.encode(message, fixed)
        words = encoder.get_compressed()
        lookups = []
        for model in (family, fixed):  # an instance attribute: counts this model's Python lookups
            monkeypatch.setattr(model, "lookup", lambda *a, _f=type(model).lookup, _m=model:
                                lookups.append(a) or _f(_m, *a))
        decoder = CompiledRangeDecoder(words)
        del calls[:]
        assert decoder.decode(family, *params).tolist() == message.tolist()
        assert decoder.decode(fixed, message.size).tolist() == message.tolist()
        assert calls == ["_family_decode_loop"] * 2 and lookups == []
        # what stays Python: one symbol, compiled=False (the Python lookup is called)
        decoder.seek(*checkpoint)
        assert decoder.decode(fixed) == message[0]
        assert len(lookups) == 1
        assert CompiledRangeDecoder(words, compiled=False).decode(family, *params).tolist() == message.tolist()
        assert len(lookups) == 1 + message.size and calls == ["_family_decode_loop"] * 2


@pytest.mark.parametrize("piece", [1, 3, 7])
@pytest.mark.parametrize("name", QUANTIZED)
def test_families_decode_in_pieces(monkeypatch, piece, name):
    # as test_decoding_in_pieces: each piece reads its own symbols' parameters
    monkeypatch.setattr(fast_range, "_PIECE", piece)
    family, message, params = test_range._family_and_message(name, np.random.default_rng(piece), n=400)
    fixed = getattr(ansedu, name)(-20, 20, -2.5, 6.0)
    encoder = CompiledRangeEncoder()
    encoder.encode(message, family, *params)
    encoder.encode(message, fixed)
    words = encoder.get_compressed()
    fast, slow = CompiledRangeDecoder(words), RangeDecoder(words)
    for args in (params, (len(message),)):
        model = family if args is params else fixed
        assert fast.decode(model, *args).tolist() == slow.decode(model, *args).tolist() == message.tolist()
        assert _state(fast) == _state(slow) and (fast.low, fast.range) == (slow.low, slow.range)


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s[2] <= 64])
@pytest.mark.parametrize("family", ["QuantizedGaussian", "QuantizedLaplace", "QuantizedLogistic"])
def test_family_encoding_computes_intervals_compiled_with_the_same_words(monkeypatch, setting, family):
    """Encoding with a family and per-symbol parameters computes c(x) in numba (not the family's
    numpy intervals) and writes the pure encoder's words; a bad parameter raises the pure error,
    the encoder unchanged."""
    rng = np.random.default_rng(setting[0])
    h = min(60, (2 ** setting[0] - 2) // 2)  # the range must fit the precision
    model = getattr(ansedu, family)(-h, h, precision=setting[0])
    loc = rng.normal(0.0, h / 2 + 1, 300) * rng.choice([1.0, 1e-3, 1e3], 300)
    scale = np.exp(rng.uniform(-8.0, 8.0, 300))
    x = np.clip(np.round(rng.normal(loc, np.minimum(scale, 40.0))), -h, h).astype(np.int64)
    slow, fast = RangeEncoder(**_kw(setting)), CompiledRangeEncoder(**_kw(setting))
    slow.encode(x, model, loc, scale)
    assert fast_range._family_kind(model) >= 0  # (its first-use check runs the pure coder: before the patch)
    calls = []
    real = fast_range._compiled
    monkeypatch.setattr(fast_range, "_compiled", lambda loop: calls.append(loop.__name__) or real(loop))
    monkeypatch.setattr(type(model), "intervals", lambda *a: pytest.fail("numpy intervals used"))
    fast.encode(x, model, loc, scale)
    assert "_family_intervals_loop" in calls and _state(fast) == _state(slow)
    monkeypatch.undo()
    bad = scale.copy()
    bad[123] = np.nan
    before = _state(fast)
    with pytest.raises(Exception) as compiled_error:
        fast.encode(x, model, loc, bad)
    with pytest.raises(type(compiled_error.value)) as pure_error:
        slow.encode(x, model, loc, bad)
    assert str(compiled_error.value) == str(pure_error.value)
    assert _state(fast) == before
