"""TansCoder caches AnsCoder's step: the same words, and the tables agree with the step."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ansedu import AnsCoder, Categorical, TansCoder
from ansedu.errors import DecodeError
from strategies import model_and_message

SMALL = [(1, 1, 2), (2, 2, 4), (4, 4, 8), (3, 4, 12), (8, 8, 16)]


@pytest.mark.parametrize("setting", SMALL)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_same_words_as_the_rans_step(setting, data):
    P, W, S = setting
    model, message = data.draw(model_and_message(P))
    tans = TansCoder(model, precision=P, word_size=W, head_size=S)
    tans.encode_reverse(message)
    rans = AnsCoder(precision=P, word_size=W, head_size=S)  # the reference: the rANS step
    rans.encode_reverse(message, model)
    assert np.array_equal(tans.get_compressed(), rans.get_compressed())
    back = TansCoder(model, rans.get_compressed(), precision=P, word_size=W, head_size=S)
    assert back.decode(len(message)).tolist() == list(message)


def test_tables_hold_the_step_and_bad_input():
    model = Categorical([0.6, 0.3, 0.1], precision=4)
    t = TansCoder(model, precision=4, word_size=4, head_size=8)
    # by hand: masses 9, 5, 2 (cdf 0, 9, 14). Head 16 (= L), symbol 0 (m = 9, c = 0):
    # 16 >> (8 - 4) = 1 < 9, no flush; next = (16 // 9) * 16 + 16 % 9 + 0 = 16 + 7 = 23
    assert list(model.masses) == [9, 5, 2]
    assert (t.flush[0, 0], t.next[0, 0]) == (False, 23)
    # head 255, symbol 2 (m = 2, c = 14): 255 >> 4 = 15 >= 2: flush the word 255 & 15 = 15,
    # head 15; next = (15 // 2) * 16 + 15 % 2 + 14 = 112 + 1 + 14 = 127
    assert (t.flush[2, 255 - 16], t.word[2, 255 - 16], t.next[2, 255 - 16]) == (True, 15, 127)
    with pytest.raises(DecodeError):
        t.decode(3)


@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_every_table_entry_is_the_ans_coder_step(data):
    model, _ = data.draw(model_and_message(4))
    t = TansCoder(model, precision=4, word_size=4, head_size=8)
    coder = AnsCoder(precision=4, word_size=4, head_size=8)
    for x in np.flatnonzero(model.masses):
        for h in range(16, 256):
            coder._words, coder._n, coder.head = [], 0, h
            coder.encode_reverse([x], model)
            assert (bool(t.flush[x, h - 16]), int(t.next[x, h - 16])) == (coder._n == 1, coder.head)
            if coder._n:
                assert t.word[x, h - 16] == coder._words[0]
