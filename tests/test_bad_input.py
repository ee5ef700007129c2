"""Every bad input raises the documented error with a message naming the problem,
and leaves the coder exactly as it was (no user data is lost)."""

import math
from fractions import Fraction

import numpy as np
import pytest

from ansedu import (AnsCoder, AnseduError, Categorical, ConfigError, DecodeError, EntropyModel,
                    HuffmanCode, ModelError, SlowAnsCoder, SymbolError, Uniform, UniformCoder,
                    WordTypeError, entropy, expected_length, information_content, kraft_sum,
                    quantize_probabilities, word_dtype)
from contract import snapshot

MODEL = Categorical([0.5, 0.3, 0.2, 0.0])


@pytest.mark.parametrize("probabilities,match", [
    ([0.5, math.nan], "probabilities\\[1\\] is nan"),
    ([0.5, math.inf], "finite"),
    ([0.7, -0.2, 0.5], "probabilities\\[1\\] = -0.2 is negative"),
    ([0.0, 0.0], "all probabilities are zero"),
    ([], "non-empty"),
    ([[0.5, 0.5]], "1-d"),
])
def test_bad_probabilities(probabilities, match):
    with pytest.raises(ModelError, match=match):
        Categorical(probabilities)


def test_too_many_symbols_for_the_precision():
    with pytest.raises(ModelError, match="raise the precision"):
        Categorical(np.ones(20), precision=4)
    with pytest.raises(ModelError, match="raise the precision"):
        Uniform(17, precision=4)


@pytest.mark.parametrize("precision", [0, 63, 2.5, "24", True])
def test_bad_model_precision(precision):
    with pytest.raises(ModelError, match="precision"):
        Categorical([0.5, 0.5], precision=precision)


@pytest.mark.parametrize("coder", [AnsCoder, SlowAnsCoder], ids=["AnsCoder", "SlowAnsCoder"])
@pytest.mark.parametrize("symbols,bad,match", [
    ([0, 1, 4], 4, "symbol 4 at position 2 is outside the alphabet 0..3"),
    ([0, -1], -1, "symbol -1 at position 1 is outside the alphabet"),
    ([1, 3, 0], 3, "symbol 3 at position 1 has probability zero"),
    ([0, 1.5], 1.5, "not an integer"),
    (["a"], "a", "integers"),
])
def test_bad_symbols_change_nothing(coder, symbols, bad, match):
    c = coder()
    c.encode_reverse([2, 1, 0], MODEL)
    before = snapshot(c)
    with pytest.raises(SymbolError, match=match):
        c.encode_reverse(symbols, MODEL)
    assert snapshot(c) == before
    with pytest.raises(SymbolError):
        c.encode(bad, MODEL)
    assert snapshot(c) == before


def test_model_precision_must_match_the_coder():
    with pytest.raises(ConfigError, match="precision=24"):
        AnsCoder().encode(0, Categorical([0.5, 0.5], precision=12))
    with pytest.raises(ConfigError, match="model of symbol 1"):
        AnsCoder().encode_reverse([0, 0], [MODEL, Categorical([1.0], precision=8)])
    with pytest.raises(SymbolError, match="one model per symbol"):
        AnsCoder().encode_reverse([0, 0, 0], [MODEL, MODEL])
    with pytest.raises(ModelError, match="entropy model"):
        AnsCoder().encode(0, [0.5, 0.5])


@pytest.mark.parametrize("settings,match", [
    (dict(precision=33), "precision 33 > word_size 32"),
    (dict(head_size=48), "multiple of word_size"),
    (dict(head_size=32), "at least twice"),
    (dict(word_size=65, head_size=130, precision=24), "at most 64"),
    (dict(precision=0), "positive integer"),
    (dict(word_size=8.0), "positive integer"),
])
def test_settings_that_cannot_work(settings, match):
    with pytest.raises(ConfigError, match=match):
        AnsCoder(**settings)


def test_decoding_an_empty_coder():
    for coder in (AnsCoder(), SlowAnsCoder()):
        with pytest.raises(DecodeError, match="empty"):
            coder.decode(MODEL)
        assert coder.is_empty()
    with pytest.raises(DecodeError, match="empty"):
        UniformCoder().pop(10)


@pytest.mark.parametrize("coder", [AnsCoder, SlowAnsCoder], ids=["AnsCoder", "SlowAnsCoder"])
def test_decoding_past_the_end_raises_and_keeps_the_data(coder):
    rng = np.random.default_rng(0)
    message = rng.choice(3, size=200, p=[0.5, 0.3, 0.2])
    c = coder()
    c.encode_reverse(message, MODEL)
    before = snapshot(c)
    with pytest.raises(DecodeError, match="after decoding 200 of 260|ran out"):
        c.decode(MODEL, 260)
    assert snapshot(c) == before  # all or nothing
    assert c.decode(MODEL, 200).tolist() == message.tolist()


def test_truncated_compressed_data():
    rng = np.random.default_rng(1)
    message = rng.choice(3, size=2000, p=[0.5, 0.3, 0.2])
    coder = AnsCoder()
    coder.encode_reverse(message, MODEL)
    words = coder.get_compressed()
    # Losing words at the start (the bottom of the stack, decoded last) runs out of data.
    with pytest.raises(DecodeError, match="ran out"):
        AnsCoder(words[10:]).decode(MODEL, 2000)
    # Losing the end loses the head; what is left is not a valid message.
    with pytest.raises(DecodeError, match="last word"):
        AnsCoder(np.append(words[:-1], np.uint32(0)))
    with pytest.raises(DecodeError, match="truncated"):
        AnsCoder(words[:1])


def test_compressed_words_of_the_wrong_type():
    words = np.array([5, 7], dtype=np.uint32)
    for bad, match in [(words.astype(np.int64), "uint32"), (words.astype(np.float32), "uint32"),
                       ([5, 7], "numpy array"), (words.reshape(1, 2), "1-d")]:
        with pytest.raises(WordTypeError, match=match):
            AnsCoder(bad)
    with pytest.raises(WordTypeError, match="uint8"):
        AnsCoder(words, precision=4, word_size=4, head_size=8)
    with pytest.raises(WordTypeError, match="more than 4 bits"):
        AnsCoder(np.array([3, 17], dtype=np.uint8), precision=4, word_size=4, head_size=8)
    assert isinstance(WordTypeError("x"), TypeError)


def test_bad_checkpoints():
    coder = AnsCoder()
    coder.encode_reverse([0, 1, 2] * 50, MODEL)
    with pytest.raises(DecodeError, match="cannot seek"):
        coder.seek(10**6, coder.head)
    with pytest.raises(DecodeError, match="not a head"):
        coder.seek(0, 5)


def test_uniform_coder_bad_digits():
    coder = UniformCoder()
    with pytest.raises(SymbolError, match="not a digit in base 10"):
        coder.push(10, 10)
    with pytest.raises(SymbolError, match="base must be a positive integer"):
        coder.push(0, 0)
    coder.push(3, 4)
    with pytest.raises(DecodeError, match="less than one digit"):
        coder.pop(100)
    assert coder.state == 7


# --- issue 7: bad input that was not a clear error --------------------------------------------

def test_slow_coder_single_decode_checks_the_precision():  # item 1
    coder = SlowAnsCoder(precision=24)
    coder.encode_reverse([0, 1, 2, 1], MODEL)
    before = snapshot(coder)
    with pytest.raises(ConfigError, match="precision 8 but the coder uses precision 24"):
        coder.decode(Categorical([0.5, 0.3, 0.2], precision=8))
    assert snapshot(coder) == before


@pytest.mark.parametrize("masses,match", [
    ([2**62] * 4 + [2**8], "more than all 2\\^8"),  # summed in int64 this wrapped around to 2^8
    ([2**64, 0], "more than all"),                  # raised OverflowError
    ([2**8 + 2**64, -2**64], "negative"),
    ([128.5, 127.5], "128.5 at position 0 is not an integer"),  # was truncated to [128, 127]
    ([128.0, 129.0], "sum to 2\\^8 = 256, they sum to 257"),
    ([True] * 256, "integers"),
    (["128", "128"], "integers"),
    ([128, math.nan], "not an integer"),
    ([[128, 128]], "1-d"),
    ([], "empty"),
    (None, "sequence"),
])
def test_entropy_model_masses_are_checked_exactly(masses, match):  # item 2
    with pytest.raises(ModelError, match=match):
        EntropyModel(masses, 8)


def test_entropy_model_accepts_exact_integer_masses():
    assert EntropyModel([128.0, 128.0], 8).masses.tolist() == [128, 128]  # whole floats are integers
    assert EntropyModel(np.array([2**61, 2**61], dtype=np.uint64), 62).cdf.tolist() == [0, 2**61, 2**62]


@pytest.mark.parametrize("call", [
    lambda: quantize_probabilities([], 8),  # IndexError before
    lambda: quantize_probabilities([0, 0], 8),
    lambda: quantize_probabilities([math.inf, 1], 8),  # hung before
    lambda: quantize_probabilities([math.nan, 1], 8),  # gave [0, 256] silently
    lambda: quantize_probabilities([-1, 2], 8),        # gave [0, 256] silently
    lambda: quantize_probabilities([1, 1], 63),
])
def test_quantization_refuses_what_is_not_a_distribution(call):  # item 3
    with pytest.raises(ModelError):
        call()


def test_huge_weights_are_scaled_not_overflowed():
    # Item 3: Categorical([1e308, 1e308]) raised IndexError (the sum overflowed to inf). These are
    # finite, non-negative weights of ratio 1:1, so they are a valid model: it is built, not refused.
    assert Categorical([1e308, 1e308], precision=8).masses.tolist() == [128, 128]
    assert quantize_probabilities([3e307, 1e308], 8).tolist() == quantize_probabilities([0.3, 1], 8).tolist()
    assert quantize_probabilities([5e-324, 0], 8).tolist() == [256, 0]


@pytest.mark.parametrize("call", [
    lambda c: c.push(0, math.inf), lambda c: c.push(math.inf, 10), lambda c: c.push(-math.inf, 10),
    lambda c: c.push(math.nan, 10), lambda c: c.pop(math.inf), lambda c: c.pop(math.nan),
    lambda c: c.push(np.array([3]), 10), lambda c: c.push(True, 10), lambda c: c.push(1, True),
    lambda c: c.push("1", 10), lambda c: c.push(0, 2.5),
])
def test_uniform_coder_infinite_and_odd_digits(call):  # item 6
    coder = UniformCoder()
    coder.push(3, 10)
    with pytest.raises(SymbolError):
        call(coder)
    assert coder.state == 13


def test_uniform_coder_whole_numbers_of_other_types():
    coder = UniformCoder()
    coder.push(np.int64(3), 10.0)
    assert coder.state == 13 and coder.pop(np.uint8(10)) == 3


@pytest.mark.parametrize("position,state", [(None, 2**40), (0, None), (1.0, "h"), (True, 2**40),
                                            (0, True), ("0", 2**40), (0.0, 2**40), (0, 2.0**40),
                                            (0, float(2**60 + 1))])
def test_seek_takes_integers_only(position, state):  # item 8
    coder = AnsCoder()
    coder.encode_reverse([0, 1, 2] * 50, MODEL)
    checkpoint = coder.pos()
    coder.decode(MODEL, 10)
    before = snapshot(coder), coder.pos()
    with pytest.raises(DecodeError, match="must be an integer"):
        coder.seek(position, state)
    assert (snapshot(coder), coder.pos()) == before
    coder.seek(np.int64(checkpoint[0]), np.uint64(checkpoint[1]))  # numpy integers are integers
    assert coder.pos() == checkpoint


@pytest.mark.parametrize("settings,match", [
    (dict(head_size=2**36), "head_size must be at most 1024"),  # exhausted memory before
    (dict(word_size=64, head_size=2048), "head_size must be at most 1024"),
    (dict(precision=63, word_size=64, head_size=128), "precision must be at most 62"),
    (dict(precision=64, word_size=64, head_size=128), "precision must be at most 62"),
    (dict(precision=np.True_), "positive integer"),
])
def test_settings_have_upper_limits(settings, match):  # item 9
    with pytest.raises(ConfigError, match=match):
        AnsCoder(**settings)


def test_largest_settings_work():
    coder = AnsCoder(precision=62, word_size=64, head_size=1024)
    model = Categorical([0.25, 0.75], precision=62)
    coder.encode_reverse([1, 0, 1], model)
    assert AnsCoder(coder.get_compressed(), precision=62, word_size=64,
                    head_size=1024).decode(model, 3).tolist() == [1, 0, 1]


@pytest.mark.parametrize("precision", [0, 63, 2.5, True, "8"])
def test_slow_coder_precision_is_a_setting(precision):
    with pytest.raises(ConfigError, match="precision"):
        SlowAnsCoder(precision)


@pytest.mark.parametrize("probabilities", [["a", "b"], [1 + 1j], [[1], [1, 2]], ["0.5", "0.5"],
                                           [True, False], [None, 1.0], "ab", {0: 1.0}, [10**400, 1]])
def test_probabilities_must_be_real_numbers(probabilities):  # item 11
    with pytest.raises(ModelError, match="probabilities"):
        Categorical(probabilities)


@pytest.mark.parametrize("bits", [b"01", ["", "0"], ["0", "1"], None, 5, "012"])
def test_huffman_decode_takes_a_string_of_bits(bits):  # item 11
    with pytest.raises(DecodeError):
        HuffmanCode([1, 1]).decode(bits)


@pytest.mark.parametrize("symbol", [True, np.True_, 1.0, np.float64(1.0), "1", None, 3, -1, 10**30])
def test_interval_takes_integer_symbols(symbol):  # item 11: True and 1.0 gave symbol 1's slots
    with pytest.raises(SymbolError):
        MODEL.interval(symbol)
    assert MODEL.interval(np.int64(1)) == MODEL.interval(1)


@pytest.mark.parametrize("slot", [-1, 2**24, 1.5, 0.0, None, True, "0", 10**30])
def test_lookup_takes_a_slot(slot):  # item 11: -1 raised a plain ValueError
    with pytest.raises(DecodeError):
        MODEL.lookup(slot)
    assert MODEL.lookup(np.uint32(0)) == MODEL.lookup(0)


@pytest.mark.parametrize("call", [
    lambda: kraft_sum(["a"]), lambda: kraft_sum([1.5]), lambda: kraft_sum([math.inf]),
    lambda: kraft_sum([-1]), lambda: kraft_sum([10**9]),  # 2^(10^9) would take minutes
    lambda: expected_length([0.5, 0.5], [1]), lambda: expected_length(["a"], [1]),
    lambda: information_content("a"), lambda: information_content([1j]),
    lambda: entropy(["0.5", "0.5"]), lambda: word_dtype("a"),
])
def test_other_functions_raise_documented_errors(call):
    with pytest.raises(AnseduError):
        call()


def test_kraft_sum_stays_exact():
    assert kraft_sum([1, 2, 2]) == 1 and kraft_sum([]) == 0
    assert kraft_sum([65536, 65536, 1]) == Fraction(1, 2) + Fraction(2, 2**65536)
