"""Huffman codes: prefix-free, optimal, within one bit of the entropy."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

from ansedu import DecodeError, HuffmanCode, ModelError, SymbolError, entropy, kraft_sum
from strategies import weights


def test_golden_code():
    # Merge 0.1 + 0.15 -> 0.25 (symbols 3, 2), then 0.25 + 0.25 -> 0.5 (1 and the pair),
    # then 0.5 + 0.5. Lengths: symbol 0: 1 bit, 1: 2 bits, 2 and 3: 3 bits.
    code = HuffmanCode([0.5, 0.25, 0.15, 0.1])
    assert code.lengths.tolist() == [1, 2, 3, 3]
    assert code.expected_length() == pytest.approx(0.5 + 0.5 + 0.45 + 0.3)
    assert code.decode(code.encode([3, 0, 2, 1])) == [3, 0, 2, 1]


def test_single_symbol_and_counts():
    assert HuffmanCode([0, 5, 0]).codebook == {1: "0"}
    assert HuffmanCode([3, 1]).lengths.tolist() == [1, 1]


def optimal_expected_length(w):
    """Huffman's expected length is the sum of the merged weights (an independent computation)."""
    import heapq
    heap = [x for x in w if x > 0]
    heapq.heapify(heap)
    total = 0.0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        total += merged
        heapq.heappush(heap, merged)
    return total / sum(w) if len([x for x in w if x > 0]) > 1 else 1.0


@given(weights(max_symbols=30), st.data())
def test_properties(w, data):
    code = HuffmanCode(w)
    words = list(code.codebook.values())
    # Prefix-free: no codeword starts another.
    assert not any(a != b and b.startswith(a) for a in words for b in words)
    p = np.asarray(w) / sum(w)
    lengths = code.lengths[p > 0]
    if len(words) > 1:
        assert kraft_sum(lengths) == 1  # a complete tree
        h = entropy(p)
        assert h - 1e-9 <= code.expected_length() < h + 1
    assert code.expected_length() == pytest.approx(optimal_expected_length(w), rel=1e-9)
    message = data.draw(st.lists(st.sampled_from(sorted(code.codebook)), max_size=50))
    assert code.decode(code.encode(message)) == message


def test_kraft_sum_is_exact():
    assert kraft_sum([1, 2, 3, 3]) == 1
    assert kraft_sum([1, 1, 1]) == Fraction(3, 2)


def test_bad_input():
    code = HuffmanCode([0.5, 0.5, 0.0])
    with pytest.raises(SymbolError, match="probability zero"):
        code.encode([0, 2])
    with pytest.raises(SymbolError, match="outside the alphabet"):
        code.encode([3])
    with pytest.raises(DecodeError, match="truncated"):
        HuffmanCode([0.5, 0.25, 0.25]).decode("1")
    with pytest.raises(DecodeError, match="'0' or '1'"):
        code.decode("012")
    with pytest.raises(ModelError):
        HuffmanCode([0, 0])
    with pytest.raises(ModelError):
        HuffmanCode([1, math.nan])
