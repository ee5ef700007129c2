"""The range coder: round trips (every kind of model), golden vectors worked out by hand,
bit-accounting bounds, checkpoints, and bad input."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ansedu
from ansedu import (Categorical, ConfigError, DecodeError, EntropyModel, RangeDecoder, RangeEncoder,
                    SymbolError, WordTypeError, word_dtype)
from strategies import model_and_message
from tiny_family import Peaked

# (precision, word_size, state_size): tiny teaching settings up to the defaults; every one has
# P <= W and S >= W + P, S a multiple of W.
RANGE_SETTINGS = [(1, 1, 2), (2, 2, 4), (4, 4, 8), (3, 4, 12), (4, 4, 12), (8, 8, 16), (12, 16, 32),
                  (16, 16, 48), (24, 32, 64), (32, 32, 64), (20, 32, 96)]


def coders(P, W, S, debug=True):
    kw = dict(precision=P, word_size=W, state_size=S, debug=debug)
    return RangeEncoder(**kw), (lambda words: RangeDecoder(words, **kw))


# --- round trips -------------------------------------------------------------------------

@settings(max_examples=200)
@given(st.data())
def test_round_trip_categorical_any_settings(data):
    P, W, S = data.draw(st.sampled_from(RANGE_SETTINGS))
    model, message = data.draw(model_and_message(P, max_len=80))
    encoder, decoder = coders(P, W, S)
    encoder.encode(message, model)
    words = encoder.get_compressed()
    assert words.dtype == word_dtype(W) and len(words) == encoder.num_words()
    d = decoder(words)
    assert d.decode(model, len(message)).tolist() == message
    # The encoder can go on after get_compressed (which does not change it).
    model2, more = data.draw(model_and_message(P, max_len=30))
    encoder.encode(more, model2)
    d = decoder(encoder.get_compressed())
    assert d.decode(model, len(message)).tolist() == message
    assert d.decode(model2, len(more)).tolist() == more


@settings(max_examples=100)
@given(st.data())
def test_round_trip_per_symbol_models(data):
    P, W, S = data.draw(st.sampled_from(RANGE_SETTINGS[2:]))
    pairs = data.draw(st.lists(model_and_message(P, max_len=1).filter(lambda mm: mm[1]), max_size=40))
    models, message = [m for m, _ in pairs], [s[0] for _, s in pairs]
    encoder, decoder = coders(P, W, S)
    encoder.encode(message, models)
    assert decoder(encoder.get_compressed()).decode(models).tolist() == message


@settings(max_examples=100)
@given(st.data())
def test_round_trip_model_family_with_per_symbol_parameters(data):
    P, W, S = data.draw(st.sampled_from([(4, 4, 8), (8, 8, 16), (12, 16, 32), (24, 32, 64)]))
    k = data.draw(st.integers(2, 5))
    family = Peaked(k, P)
    n = data.draw(st.integers(0, 50))
    peaks = data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    message = data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    encoder, decoder = coders(P, W, S)
    encoder.encode(message, family, np.array(peaks, dtype=float))
    assert decoder(encoder.get_compressed()).decode(family, np.array(peaks, dtype=float)).tolist() == message


QUANTIZED = [name for name in ("QuantizedGaussian", "QuantizedLaplace", "QuantizedLogistic") if hasattr(ansedu, name)]


def _family_and_message(name, rng, n=500):
    """(family, message, parameter arrays): the part II families once they are on main
    (ansedu.models.families, two parameters), and the tiny family of these tests (one)."""
    if name == "Peaked":
        peaks = rng.integers(0, 7, n).astype(float)
        return Peaked(7, 24), rng.integers(0, 7, n), (peaks,)
    means, scales = rng.normal(0, 10, n), rng.uniform(0.1, 8, n)
    message = np.clip(np.round(rng.normal(means, scales)), -20, 20).astype(int)
    return getattr(ansedu, name)(-20, 20), message, (means, scales)


@pytest.mark.parametrize("name", ["Peaked"] + QUANTIZED)
def test_round_trip_families_at_default_settings(name):
    family, message, params = _family_and_message(name, np.random.default_rng(3))
    encoder = RangeEncoder()
    encoder.encode(message, family, *params)
    assert RangeDecoder(encoder.get_compressed()).decode(family, *params).tolist() == message.tolist()


# --- golden vectors, worked out by hand ------------------------------------------------------

# Teaching settings P = 4, W = 4, S = 8: low is 8 bits, range must stay >= 2^(S-W) = 16.
# Model: masses m = [8, 5, 3] (sum 16), left cumulatives c = [0, 8, 13].
GOLDEN_MODEL = EntropyModel([8, 5, 3], precision=4)
SMALL = dict(precision=4, word_size=4, state_size=8)


def test_golden_vector_with_a_carry():
    # Start: low = 0, range = 2^8 = 256, no words.
    # x=1 (c=8, m=5): scale = 256 >> 4 = 16; low = 0 + 16*8 = 128; range = 16*5 = 80 (>= 16, no word).
    # x=2 (c=13, m=3): scale = 80 >> 4 = 5; low = 128 + 5*13 = 193; range = 5*3 = 15 < 16:
    #     write low >> 4 = 12 (193 = 12*16 + 1); low = 1*16 = 16; range = 15*16 = 240.
    # x=2: scale = 240 >> 4 = 15; low = 16 + 15*13 = 211; range = 15*3 = 45.
    # x=2: scale = 45 >> 4 = 2; low = 211 + 2*13 = 237; range = 2*3 = 6 < 16:
    #     write 237 >> 4 = 14 (237 = 14*16 + 13); low = 13*16 = 208; range = 96.
    # x=2: scale = 96 >> 4 = 6; low = 208 + 6*13 = 286 >= 256: a carry. low = 286 - 256 = 30 and
    #     the words [12, 14] become [12, 15]; range = 6*3 = 18 (>= 16, no word).
    # End: the final word is ceil(30 / 16) = 2, i.e. v = 32 in [low, low + range) = [30, 48).
    encoder = RangeEncoder(**SMALL, debug=True)
    encoder.encode([1, 2, 2, 2, 2], GOLDEN_MODEL)
    assert (encoder.low, encoder.range) == (30, 18)
    assert encoder.get_compressed().tolist() == [12, 15, 2]
    assert encoder.num_bits() == 12
    # The words read as a base-16 fraction, 0.CF2 = 3314/4096, lie in the message's interval:
    # symbol 1 is [8, 13)/16, within it the last 3 of 5 pieces of 16/256 ... exactly what the
    # encoder's low and range say: [(12*16 + 14)*256 + 208 + 78, ... ) / 2^16 with the carry.
    number = 12 * 256 + 15 * 16 + 2
    assert (12 * 16 + 14) * 256 + 208 + 78 <= number * 16 < (12 * 16 + 14) * 256 + 208 + 78 + 18


def test_golden_vector_final_word_carries():
    # x=2 (c=13, m=3): scale = 16; low = 208; range = 48.
    # x=1 (c=8, m=5): scale = 3; low = 208 + 24 = 232; range = 15 < 16:
    #     write 232 >> 4 = 14 (232 = 14*16 + 8); low = 8*16 = 128; range = 240.
    # x=1: scale = 15; low = 128 + 15*8 = 248; range = 15*5 = 75.
    # End: ceil(248 / 16) = 16 = 2^W does not fit a word: v = 256 is a carry into the words
    # ([14] -> [15]) and the final word is 0. 0.F0 (hex) = 0.9375 lies in [13/16, 1) for x=2.
    encoder = RangeEncoder(**SMALL, debug=True)
    encoder.encode([2, 1, 1], GOLDEN_MODEL)
    assert (encoder.low, encoder.range) == (248, 75)
    assert encoder.get_compressed().tolist() == [15, 0]
    assert encoder._words == [14]  # get_compressed carried into a copy only


def test_golden_decoding_step_by_step():
    # Decoding [12, 15, 2]: the window is S/W = 2 words, point = 12*16 + 15 = 207, low = 0,
    # range = 256: slot = (207 - 0) // 16 = 12 -> symbol 1 (8 <= 12 < 13); low = 128, range = 80.
    # Next: slot = (207 - 128) // 5 = 15 -> symbol 2; low = 193, range = 15 < 16: read word 2,
    # point = (207*16 + 2) mod 256 = 242, low = 16, range = 240.
    decoder = RangeDecoder(np.array([12, 15, 2], dtype=np.uint8), **SMALL, debug=True)
    assert decoder.point == 207
    assert decoder.decode(GOLDEN_MODEL) == 1
    assert (decoder.low, decoder.range) == (128, 80)
    assert decoder.decode(GOLDEN_MODEL) == 2
    assert (decoder.point, decoder.low, decoder.range) == (242, 16, 240)
    assert decoder.decode(GOLDEN_MODEL, 3).tolist() == [2, 2, 2]


# --- bit accounting --------------------------------------------------------------------------

# Bound (proof). Let A be the interval's width as a fraction of [0, 1): A = range / 2^(S + W e)
# after e words were written (a renormalization multiplies range by 2^W and e grows by 1, so A
# does not change). Encoding (c, m) sets range' = floor(range / 2^P) m, so
#     range m / 2^P >= range' > (range / 2^P - 1) m = range (m / 2^P) (1 - 2^P / range)
#                                               >= range (m / 2^P) (1 - eps),  eps = 2^(P - S + W),
# as range >= 2^(S-W). After n symbols, with I the information content under the quantized
# model, I <= -log2 A_n <= I + n log2(1 / (1 - eps)). Since range <= 2^S, A_n <= 2^(-W e), so
# W e <= -log2 A_n; since range >= 2^(S-W), A_n >= 2^(-W (e + 1)), so W (e + 1) >= -log2 A_n.
# get_compressed writes e + 1 words, hence
#     I <= num_bits <= I + n log2(1 / (1 - eps)) + W.

@settings(max_examples=150)
@given(st.data())
def test_bit_accounting_bounds(data):
    P, W, S = data.draw(st.sampled_from([s for s in RANGE_SETTINGS if s[2] - s[1] > s[0]]))
    model, message = data.draw(model_and_message(P, max_len=200))
    encoder, _ = coders(P, W, S, debug=False)
    encoder.encode(message, model)
    if not message:
        assert encoder.num_bits() == 0
        return
    info = model.information_content(message)
    eps = 2.0 ** (P - S + W)
    assert info - 1e-6 <= encoder.num_bits() <= info + len(message) * -math.log2(1 - eps) + W + 1e-6


def test_overhead_is_small_on_a_long_message():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(50))
    model = Categorical(p)
    message = rng.choice(50, size=20_000, p=p)
    encoder = RangeEncoder()
    encoder.encode(message, model)
    info = model.information_content(message)
    # eps = 2^-8 allows 0.0057 bits/symbol in the worst case; typical ranges lose far less.
    assert encoder.num_bits() - info < 0.002 * len(message) + 32


# --- checkpoints -------------------------------------------------------------------------------

@settings(max_examples=60)
@given(st.data())
def test_seek_to_every_checkpoint(data):
    P, W, S = data.draw(st.sampled_from(RANGE_SETTINGS))
    model, message = data.draw(model_and_message(P, max_len=60))
    if not message:
        return
    encoder, decoder = coders(P, W, S)
    checkpoints = []
    for x in message:
        checkpoints.append(encoder.pos())
        encoder.encode([x], model)
    d = decoder(encoder.get_compressed())
    order = data.draw(st.permutations(range(len(message))))
    for i in order:  # backwards and forwards, in any order
        d.seek(*checkpoints[i])
        assert d.pos() == checkpoints[i]
        assert d.decode(model, len(message) - i).tolist() == message[i:]


def test_seek_refuses_what_was_never_a_checkpoint():
    rng = np.random.default_rng(1)
    model = Categorical([0.6, 0.3, 0.1])
    message = rng.choice(3, size=400, p=[0.6, 0.3, 0.1])
    encoder = RangeEncoder()
    encoder.encode(message[:200], model)
    position, (low, range_) = encoder.pos()
    encoder.encode(message[200:], model)
    words = encoder.get_compressed()
    decoder = RangeDecoder(words)
    before = decoder.pos()
    with pytest.raises(DecodeError, match="cannot seek to word"):
        decoder.seek(len(words) + 1, (low, range_))
    with pytest.raises(DecodeError, match="not a state of this coder"):
        decoder.seek(position, (low, 5))  # range below 2^(S-W)
    with pytest.raises(DecodeError, match="not a state of this coder"):
        decoder.seek(position, (2**64, range_))
    # The data's point lies outside [low, low + range): detected.
    point = int(words[position]) << 32 | int(words[position + 1])
    with pytest.raises(DecodeError, match="never a checkpoint"):
        decoder.seek(position, ((point + 1) % 2**64, 2**32))
    with pytest.raises(DecodeError, match="checkpoint is"):
        decoder.seek(position, 17)
    assert decoder.pos() == before  # failed seeks change nothing
    decoder.seek(position, (low, range_))
    assert decoder.decode(model, 200).tolist() == message[200:].tolist()


# --- bad input ----------------------------------------------------------------------------------

def test_words_of_the_wrong_type():
    with pytest.raises(WordTypeError, match="numpy array"):
        RangeDecoder([1, 2, 3])
    with pytest.raises(WordTypeError, match="uint32"):
        RangeDecoder(np.array([1, 2], dtype=np.uint16))
    with pytest.raises(WordTypeError, match="1-d"):
        RangeDecoder(np.zeros((2, 2), dtype=np.uint32))
    with pytest.raises(WordTypeError, match="more than 4 bits"):
        RangeDecoder(np.array([3, 200], dtype=np.uint8), **SMALL)
    assert issubclass(WordTypeError, TypeError) and issubclass(WordTypeError, ValueError)


def test_decoding_past_the_end_raises_and_changes_nothing():
    model = Categorical([0.5, 0.3, 0.2], precision=12)  # every mass <= 2^(P-1): each symbol >= 1 bit
    encoder = RangeEncoder(precision=12, word_size=16, state_size=32)
    encoder.encode([0, 1, 2, 1, 0], model)
    decoder = RangeDecoder(encoder.get_compressed(), precision=12, word_size=16, state_size=32)
    assert decoder.decode(model, 5).tolist() == [0, 1, 2, 1, 0]
    before = (decoder.pos(), decoder.point)
    # Each symbol halves the range at least, so 32 more symbols need two more words than the
    # one word of padding the final word allows.
    with pytest.raises(DecodeError, match="past the end"):
        decoder.decode(model, 32)
    assert (decoder.pos(), decoder.point) == before
    with pytest.raises(DecodeError, match="no compressed data"):
        RangeDecoder(np.zeros(0, dtype=np.uint16), precision=12, word_size=16, state_size=32).decode(model)


def test_data_that_no_encoder_writes_is_refused():
    # P = 4, S = 8: range 255 (not a power of two) is a legal state; slot = value // 15 can be 16
    # for value 240..254, which lies in the 255 mod 16 = 15 units given to no symbol.
    decoder = RangeDecoder(np.array([15, 0], dtype=np.uint8), **SMALL)  # point = 240
    decoder.seek(0, (0, 255))
    with pytest.raises(DecodeError, match="no symbol's piece"):
        decoder.decode(GOLDEN_MODEL)


def test_models_of_another_precision_and_bad_settings():
    encoder = RangeEncoder()
    with pytest.raises(ConfigError, match="precision 12 but the coder uses precision 24"):
        encoder.encode([0, 1], Categorical([0.5, 0.5], precision=12))
    with pytest.raises(ConfigError, match="precision 12"):
        RangeDecoder(np.array([1, 2], dtype=np.uint32)).decode(Categorical([0.5, 0.5], precision=12))
    for bad in (dict(precision=33), dict(state_size=48), dict(state_size=32), dict(word_size=0),
                dict(precision=True), dict(word_size=128, state_size=256)):
        with pytest.raises(ConfigError):
            RangeEncoder(**bad)


def test_a_failed_encode_changes_nothing():
    model = Categorical([0.5, 0.5, 0.0])
    encoder = RangeEncoder()
    encoder.encode([0, 1, 1], model)
    before = (encoder.get_compressed().tolist(), encoder.pos())
    with pytest.raises(SymbolError, match="probability zero"):
        encoder.encode([0, 1, 2], model)
    with pytest.raises(SymbolError, match="outside the alphabet"):
        encoder.encode([5], model)
    assert (encoder.get_compressed().tolist(), encoder.pos()) == before


def test_protocol_edge_cases_like_the_stack_coders():
    # The checks of tests/test_protocol.py, for the queue: huge amounts run out cleanly (nothing
    # is allocated per symbol before decoding), bad amounts and non-models are named, an empty
    # message with an empty list of models works, symbols must be integers.
    model = Categorical([0.5, 0.5], precision=4)
    encoder = RangeEncoder(**SMALL)
    encoder.encode([1, 0, 1], model)
    decoder = RangeDecoder(encoder.get_compressed(), **SMALL)
    for amt in (10**9, 2**63):
        with pytest.raises(DecodeError, match="past the end"):
            decoder.decode(model, amt)
    for amt in (2.0, True, -1, "3"):
        with pytest.raises(DecodeError, match="amt"):
            decoder.decode(model, amt)
    assert decoder.decode(model, 3).tolist() == [1, 0, 1]
    for bad_model in (None, 3, "abc", [None], [0.5, 0.5], {"a": 1}):
        with pytest.raises(ansedu.ModelError, match="entropy model"):
            encoder.encode([0], bad_model)
    empty = RangeEncoder(**SMALL)
    empty.encode([], [])
    assert empty.is_empty() and empty.get_compressed().tolist() == []
    assert RangeDecoder(empty.get_compressed(), **SMALL).decode([]).tolist() == []
    for bad in (None, "01", [[0, 1]], [0, 0.5], [True, False], [0, "1"]):
        with pytest.raises(SymbolError):
            empty.encode(bad, model)
        assert empty.is_empty()
