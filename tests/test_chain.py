"""The ChainCoder: Bamler's non-local example, locality in general, round trips, bad input."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ansedu import (AnsCoder, Categorical, ChainCoder, ConfigError, DecodeError, EntropyModel,
                    WordTypeError, word_dtype)
from strategies import model_and_message
from tiny_family import Peaked

# (precision, word_size, head_size): P <= W, S >= W + P; P need not divide W.
CHAIN_SETTINGS = [(1, 1, 2), (4, 4, 8), (3, 4, 12), (5, 8, 13), (7, 8, 16), (12, 16, 32), (24, 32, 64),
                  (20, 32, 96)]

# Bamler (2022), the chain-coding section: precision 4, data [9, 14, 6, 14], masses [7, 3, 6]
# for every symbol, or [6, 4, 6] for the first one only.
PAPER_DATA = np.array([9, 14, 6, 14], dtype=np.uint8)
A = EntropyModel([7, 3, 6], precision=4)  # c = [0, 7, 10]
B = EntropyModel([6, 4, 6], precision=4)  # c = [0, 6, 10]: only slot 6 changes its symbol
PAPER = dict(precision=4, word_size=4, head_size=8)


def test_paper_example_ans_is_non_local():
    # AnsCoder with P = W = 4 and an 8-bit head reads the top two words as the head:
    # head = 14*16 + 6 = 230, bulk [9, 14], and refills when head < 2^4.
    # With A first: slot 230 & 15 = 6 -> x=0, head = 7*14 + 6 = 104; slot 8 -> x=1,
    #   head = 3*6 + 1 = 19; slot 3 -> x=0, head = 7*1 + 3 = 10 < 16: refill 14 -> 174;
    #   slot 14 -> x=2, head = 6*10 + 4 = 64.                             -> [0, 1, 0, 2]
    # With B first: slot 6 -> x=1 (c=6, m=4), head = 4*14 + 0 = 56; slot 8 -> x=1,
    #   head = 3*3 + 1 = 10: refill -> 174; slot 14 -> x=2, head = 64; slot 0 -> x=0. -> [1, 1, 2, 0]
    assert AnsCoder(PAPER_DATA, **PAPER).decode([A, A, A, A]).tolist() == [0, 1, 0, 2]
    assert AnsCoder(PAPER_DATA, **PAPER).decode([B, A, A, A]).tolist() == [1, 1, 2, 0]


def test_paper_example_chain_coder_is_local():
    # The top word 14 (>= T = 2^(8-4-4) = 1) is the remainders' head; each symbol then reads one
    # 4-bit word: slots 6, 14, 9. With A: 6 -> 0, 14 -> 2, 9 -> 1. With B first: 6 -> 1, then the
    # same slots give the same symbols. (Four words hold three slots and the initial head.)
    assert ChainCoder(PAPER_DATA, **PAPER).decode([A, A, A]).tolist() == [0, 2, 1]
    assert ChainCoder(PAPER_DATA, **PAPER).decode([B, A, A]).tolist() == [1, 2, 1]
    # Remainders: r = 14*7 + 6 = 104 >= 16: flush 8, r = 6; r = 6*6 + 4 = 40: flush 8, r = 2;
    # r = 2*3 + 2 = 8.
    coder = ChainCoder(PAPER_DATA, **PAPER, debug=True)
    coder.decode([A, A, A])
    assert coder.get_remainders().tolist() == [8, 8, 8] and coder.get_compressed().tolist() == []
    with pytest.raises(DecodeError, match="ran out of compressed data"):
        coder.decode(A)
    # Encoding the symbols back gives the data back (bits-back with the chain coder).
    back = ChainCoder(coder.get_compressed(), remainders=coder.get_remainders(), **PAPER, debug=True)
    back.encode_reverse([0, 2, 1], [A, A, A])
    assert back.get_data().tolist() == PAPER_DATA.tolist()


@settings(max_examples=100)
@given(st.data())
def test_changing_one_model_changes_only_that_symbol(data):
    P, W, S = data.draw(st.sampled_from(CHAIN_SETTINGS))
    n = data.draw(st.integers(1, 20))
    model, _ = data.draw(model_and_message(P, max_len=0))
    other, _ = data.draw(model_and_message(P, max_len=0))
    need = -(-(n * P) // W) + -(-(S - P) // W) + 1
    words = data.draw(st.lists(st.integers(1, 2**W - 1), min_size=need, max_size=need))
    words = np.array(words, dtype=np.uint64).astype(word_dtype(W))
    i = data.draw(st.integers(0, n - 1))
    models = [model] * n
    changed = models[:i] + [other] + models[i + 1:]
    kw = dict(precision=P, word_size=W, head_size=S, debug=True)
    one = ChainCoder(words, **kw).decode(models)
    two = ChainCoder(words, **kw).decode(changed)
    assert [j for j in range(n) if one[j] != two[j]] in ([], [i])


@settings(max_examples=150)
@given(st.data())
def test_decode_then_encode_gives_the_data_back(data):
    P, W, S = data.draw(st.sampled_from(CHAIN_SETTINGS))
    model, _ = data.draw(model_and_message(P, max_len=0))
    words = data.draw(st.lists(st.integers(0, 2**W - 1), max_size=40))
    if words:
        words[-1] = max(words[-1], 1)  # a top word of zero would be dropped (see get_remainders)
    words = np.array(words, dtype=np.uint64).astype(word_dtype(W))
    kw = dict(precision=P, word_size=W, head_size=S, debug=True)
    coder = ChainCoder(words, **kw)
    available = len(coder.get_compressed()) * W // P
    n = data.draw(st.integers(0, available))
    symbols = coder.decode(model, n)
    coder.encode_reverse(symbols, model)
    assert coder.get_data().tolist() == words.tolist()
    # Across coders: rebuild from the two stacks when no word is split between symbols.
    coder = ChainCoder(words, **kw)
    symbols = coder.decode(model, n)
    if coder.pos()[1] == 0:
        back = ChainCoder(coder.get_compressed(), remainders=coder.get_remainders(), **kw)
        back.encode_reverse(symbols, model)
        assert back.get_data().tolist() == words.tolist()


@settings(max_examples=150)
@given(st.data())
def test_encode_then_decode_round_trip(data):
    P, W, S = data.draw(st.sampled_from(CHAIN_SETTINGS))
    kw = dict(precision=P, word_size=W, head_size=S, debug=True)
    # Some remainders to start from (as in bits-back coding), or none.
    start = data.draw(st.lists(st.integers(1, 2**W - 1), max_size=6))
    coder = ChainCoder(remainders=np.array(start, dtype=np.uint64).astype(word_dtype(W)), **kw)
    model, message = data.draw(model_and_message(P, max_len=40))
    coder.encode_reverse(message, model)
    # Every symbol costs exactly P bits of compressed data.
    assert len(coder.get_compressed()) == -(-(len(message) * P) // W)
    back = ChainCoder(coder.get_compressed(), remainders=coder.get_remainders(), **kw)
    assert back.decode(model, len(message)).tolist() == message
    assert back.get_remainders().tolist() == start


def test_family_and_per_symbol_models():
    rng = np.random.default_rng(0)
    family = Peaked(5, 24)
    peaks = rng.integers(0, 5, 300).astype(float)
    message = rng.integers(0, 5, 300)
    coder = ChainCoder(remainders=rng.integers(1, 2**32, 50, dtype=np.uint64).astype(np.uint32))
    coder.encode_reverse(message, family, peaks)
    assert coder.decode(family, peaks).tolist() == message.tolist()
    models = [Categorical(rng.dirichlet(np.ones(4))) for _ in range(50)]
    symbols = [int(rng.choice(4, p=m.float_probabilities)) for m in models]
    coder.encode_reverse(symbols, models)
    assert coder.decode(models).tolist() == symbols


def test_bad_input():
    with pytest.raises(WordTypeError, match="uint32"):
        ChainCoder(np.array([1, 2], dtype=np.uint8))
    with pytest.raises(WordTypeError, match="numpy array"):
        ChainCoder([1, 2, 3])
    with pytest.raises(WordTypeError, match="more than 4 bits"):
        ChainCoder(np.array([1, 99], dtype=np.uint8), **PAPER)
    with pytest.raises(ConfigError, match="precision 4 but the coder uses precision 24"):
        ChainCoder(np.array([1, 2, 3], dtype=np.uint32)).decode(A)
    for bad in (dict(precision=33), dict(head_size=40), dict(word_size=0)):
        with pytest.raises(ConfigError):
            ChainCoder(**bad)
    coder = ChainCoder(PAPER_DATA, **PAPER)
    with pytest.raises(DecodeError, match="after decoding 3 of 5"):
        coder.decode(A, 5)
    assert coder.get_data().tolist() == PAPER_DATA.tolist()  # unchanged by the failed call
