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
