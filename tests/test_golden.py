"""Golden vectors worked out by hand (the arithmetic is in the comments)."""

import numpy as np
import pytest

from ansedu import AnsCoder, Categorical, SlowAnsCoder, UniformCoder

# A model with precision P = 2 (4 slots): m = [1, 2, 1], so c = [0, 1, 3].
# Symbol 0 owns slot 0, symbol 1 slots 1-2, symbol 2 slot 3.
P2_MODEL_PROBS = [0.25, 0.5, 0.25]


def test_model_golden():
    model = Categorical(P2_MODEL_PROBS, precision=2)
    assert model.masses.tolist() == [1, 2, 1]
    assert model.cdf.tolist() == [0, 1, 3, 4]
    assert [model.lookup(z) for z in range(4)] == [(0, 0, 1), (1, 1, 2), (1, 1, 2), (2, 3, 1)]


def test_uniform_coder_golden():
    # Start: state 1 (the leading one).
    # push 1 in base 2: 1*2 + 1 = 3;  push 2 in base 3: 3*3 + 2 = 11;  push 4 in base 5: 11*5 + 4 = 59.
    coder = UniformCoder()
    coder.push(1, 2)
    coder.push(2, 3)
    coder.push(4, 5)
    assert coder.state == 59
    # 59 = 0b111011: 6 binary digits, the first is the leading one -> 5 bits of message,
    # against log2(2*3*5) = log2 30 = 4.91 bits of information.
    assert coder.num_bits() == 5 and coder.bits() == "11011"
    # Pops come back last in, first out: 59 = 11*5 + 4; 11 = 3*3 + 2; 3 = 1*2 + 1.
    assert [coder.pop(5), coder.pop(3), coder.pop(2)] == [4, 2, 1]
    assert coder.state == 1 and coder.is_empty()


def test_uniform_coder_keeps_leading_zero_digits():
    # push 0 in base 10 twice onto 1: 10, then 100. Without the leading one both would be 0.
    coder = UniformCoder()
    coder.push(0, 10)
    coder.push(0, 10)
    assert coder.state == 100 and coder.num_bits() == 6


def test_slow_ans_golden():
    model = Categorical(P2_MODEL_PROBS, precision=2)
    coder = SlowAnsCoder(precision=2)
    # The initial bits: 0 pushed in base 2^P = 4 onto the leading one: state 1*4 + 0 = 4.
    assert coder.stack.state == 4
    # encode_reverse([0, 2, 1]) encodes 1, then 2, then 0.
    # x = 1 (c = 1, m = 2): pop z' in base 2 from 4: z' = 0, state 2; push 0 in base 1: 2;
    #                       push c + z' = 1 in base 4: 2*4 + 1 = 9.
    # x = 2 (c = 3, m = 1): pop base 1: z' = 0, state 9; push 3 in base 4: 9*4 + 3 = 39.
    # x = 0 (c = 0, m = 1): pop base 1: z' = 0, state 39; push 0 in base 4: 39*4 = 156.
    coder.encode_reverse([0, 2, 1], model)
    assert coder.stack.state == 156
    # 156 = 0b10011100: 8 digits - the leading one = 7 bits for a decoder, of which P = 2 are the
    # initial bits; the message's own 5 bits are exactly the information content
    # -log2(1/4) - log2(1/4) - log2(2/4) = 2 + 2 + 1.
    assert coder.num_bits() == 7 and coder.initial_bits == 2
    assert coder.num_bits() - coder.initial_bits == 5 == model.information_content([0, 2, 1])
    # Decoding: 156 % 4 = 0 -> x = 0, state 39; push 0 - 0 in base 1: 39.
    #           39 % 4 = 3 -> x = 2, state 9;   push 3 - 3 in base 1: 9.
    #            9 % 4 = 1 -> x = 1, state 2;   push 1 - 1 in base 2: 4, the empty state.
    assert coder.decode(model) == 0
    assert coder.stack.state == 39
    assert coder.decode(model, 2).tolist() == [2, 1]
    assert coder.stack.state == 4 and coder.is_empty()


def test_streaming_ans_golden():
    # Tiny settings: P = 2, W = 2, S = 4, so L = 2^(S-W) = 4 and the flush test is head >> 2 >= m.
    model = Categorical(P2_MODEL_PROBS, precision=2)
    coder = AnsCoder(precision=2, word_size=2, head_size=4, debug=True)
    assert coder.head == 4 and coder.pos() == (0, 4)
    # encode_reverse([0, 2, 1]) encodes 1, then 2, then 0.
    # x = 1 (c = 1, m = 2): 4 >> 2 = 1 < 2, no flush; head = (4 // 2) * 4 + 4 % 2 + 1 = 9.
    # x = 2 (c = 3, m = 1): 9 >> 2 = 2 >= 1, flush 9 & 3 = 1, head 2; head = 2 * 4 + 0 + 3 = 11.
    # x = 0 (c = 0, m = 1): 11 >> 2 = 2 >= 1, flush 11 & 3 = 3, head 2; head = 2 * 4 + 0 + 0 = 8.
    coder.encode_reverse([0, 2, 1], model)
    assert coder.pos() == (2, 8)
    # Compressed: bulk [1, 3], then head 8 = 0b10|00 as words lowest first: [0, 2].
    words = coder.get_compressed()
    assert words.dtype == np.uint8 and words.tolist() == [1, 3, 0, 2]
    # Read as one number, N = 8 * 2^4 + 3 * 2^2 + 1 = 141 = 0b10001101: 7 bits below its leading
    # one, of which S - W = 2 are the initial bits (the empty head L = 4 = 0b100), so the message's
    # number grew by 5 bits = its information content 2 + 2 + 1. The 4 stored words hold 8 bits:
    # those 7 plus the leading one, so num_bits() - initial_bits = 6.
    assert coder.num_bits() == 8 and coder.initial_bits == 2
    # Decoding: head 8: slot 8 & 3 = 0 -> x = 0; head = 1 * (8 >> 2) + 0 - 0 = 2 < 4: refill 3 -> 11.
    #           slot 11 & 3 = 3 -> x = 2; head = 1 * 2 + 3 - 3 = 2 < 4: refill 1 -> 9.
    #           slot 9 & 3 = 1 -> x = 1; head = 2 * 2 + 1 - 1 = 4 = L with an empty bulk: empty.
    decoder = AnsCoder(words, precision=2, word_size=2, head_size=4, debug=True)
    assert decoder.decode(model) == 0
    assert decoder.pos() == (1, 11)
    assert decoder.decode(model) == 2
    assert decoder.pos() == (0, 9)
    assert decoder.decode(model) == 1
    assert decoder.is_empty()


def test_streaming_ans_default_settings_golden():
    # Default P = 24, W = 32, S = 64; Categorical([1/2, 1/4, 1/4]) is exact at any precision:
    # m = [2^23, 2^22, 2^22], c = [0, 2^23, 3 * 2^22]. Encoding one symbol 2 from the empty head
    # L = 2^32: no flush (2^32 >> 40 = 0 < m); head = (2^32 // 2^22) * 2^24 + 0 + 3 * 2^22
    # = 2^10 * 2^24 + 3 * 2^22 = 2^34 + 3 * 2^22.
    model = Categorical([0.5, 0.25, 0.25])
    coder = AnsCoder()
    coder.encode(2, model)
    assert coder.head == 2**34 + 3 * 2**22
    # As two 32-bit words, lowest first: low = 3 * 2^22 = 12582912, high = 2^34 >> 32 = 4.
    assert coder.get_compressed().tolist() == [12582912, 4]
    assert coder.get_compressed().dtype == np.uint32


@pytest.mark.parametrize("settings", [dict(precision=2, word_size=2, head_size=4), {}])
def test_decoding_the_empty_coder_raises(settings):
    from ansedu import DecodeError
    precision = settings.get("precision", 24)
    model = Categorical(P2_MODEL_PROBS, precision=precision)
    # From the empty head L, slot 0 decodes symbol 0 (m = 1 << (P-2)) and the head drops to
    # m * (L >> P) < L with nothing to refill from.
    coder = AnsCoder(**settings)
    with pytest.raises(DecodeError, match="empty"):
        coder.decode(model)
    assert coder.is_empty()
