"""Every bad input raises the documented error with a message naming the problem,
and leaves the coder exactly as it was (no user data is lost)."""

import math

import numpy as np
import pytest

from ansedu import (AnsCoder, Categorical, ConfigError, DecodeError, ModelError, SlowAnsCoder,
                    SymbolError, Uniform, UniformCoder, WordTypeError)
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
