"""Symbol codes: Huffman's optimal prefix code, the Kraft sum and expected lengths.

A symbol code gives every symbol a whole number of bits, so it cannot follow a
probability whose information content is not an integer: Huffman's code is
optimal among symbol codes and still spends up to about one bit per symbol more
than the entropy. Stream codes such as ANS remove that loss.

Bits are written as strings of ``"0"`` and ``"1"``, which are easy to read.
"""

from __future__ import annotations

import heapq
from fractions import Fraction
from itertools import count

import numpy as np

from ._validate import as_exact_integers, as_symbols, as_weights
from .errors import DecodeError, ModelError

__all__ = ["HuffmanCode", "kraft_sum", "expected_length", "MAX_CODEWORD_LENGTH"]

#: The longest codeword :func:`kraft_sum` accepts, in bits: the sum is an exact fraction
#: with denominator ``2^max(len)``, so its cost grows with the longest codeword.
MAX_CODEWORD_LENGTH = 1 << 16


def kraft_sum(lengths) -> Fraction:
    """``sum_x 2^-len(x)`` as an exact fraction.

    A prefix code with these codeword lengths exists if and only if the sum is at
    most 1 (Kraft's inequality); a Huffman code reaches exactly 1. Lengths must be
    whole numbers from 0 to :data:`MAX_CODEWORD_LENGTH` (:class:`ModelError` otherwise).
    """
    lengths = as_exact_integers(lengths, ModelError, "codeword length")
    if lengths.size == 0:
        return Fraction(0)
    if (lengths < 0).any():
        raise ModelError(f"codeword lengths cannot be negative, got {lengths[lengths < 0][0]}")
    if (lengths > MAX_CODEWORD_LENGTH).any():
        raise ModelError(f"a codeword of {lengths.max()} bits is longer than the {MAX_CODEWORD_LENGTH} "
                         "bits kraft_sum accepts")
    longest = int(lengths.max())
    counts = np.bincount(lengths.astype(np.int64))  # sum_n count(n) 2^(longest - n) / 2^longest
    return Fraction(sum(int(c) << (longest - n) for n, c in enumerate(counts.tolist()) if c), 1 << longest)


def expected_length(probabilities, lengths) -> float:
    """``sum_x p(x) len(x)``: the average number of bits per symbol."""
    p = as_weights(probabilities, "probabilities")
    lengths = as_weights(lengths, "lengths")
    if p.shape != lengths.shape:
        raise ModelError(f"got {p.size} probabilities but {lengths.size} lengths")
    return float((p * lengths).sum())


class HuffmanCode:
    """Huffman's prefix code for symbols ``0 .. n-1``.

    ``weights`` are probabilities or counts (any non-negative numbers, not all
    zero). Symbols of weight zero get no codeword and cannot be encoded. Ties are
    broken by symbol order, so the code is reproducible. A single possible symbol
    gets the one-bit codeword ``"0"``.

    >>> code = HuffmanCode([0.5, 0.25, 0.25])
    >>> code.codebook
    {0: '0', 1: '10', 2: '11'}
    >>> code.decode(code.encode([2, 0, 1]))
    [2, 0, 1]
    """

    def __init__(self, weights):
        w = as_weights(weights, "weights")
        if not np.any(w > 0):
            raise ModelError("all weights are zero: at least one symbol must be possible")
        self.weights = w
        self.codebook: dict[int, str] = _huffman_codebook(w)
        self._decoding_table = {word: symbol for symbol, word in self.codebook.items()}

    @property
    def num_symbols(self) -> int:
        return self.weights.size

    @property
    def lengths(self) -> np.ndarray:
        """Codeword length of every symbol (0 for symbols of weight zero)."""
        return np.array([len(self.codebook.get(s, "")) for s in range(self.num_symbols)])

    def expected_length(self) -> float:
        """Average bits per symbol under the normalized weights."""
        return expected_length(self.weights / self.weights.sum(), self.lengths)

    def encode(self, symbols) -> str:
        """Concatenate the codewords of ``symbols``."""
        symbols = as_symbols(symbols, self.weights > 0)
        return "".join(self.codebook[s] for s in symbols.tolist())

    def decode(self, bits: str) -> list[int]:
        """Split ``bits`` into codewords. Because no codeword is a prefix of another,
        reading bit by bit until the bits read so far form a codeword is unambiguous."""
        if not isinstance(bits, str):
            raise DecodeError(f"bits must be a string of '0' and '1', got {type(bits).__name__}")
        symbols, word = [], ""
        longest = max(len(w) for w in self.codebook.values())
        for i, bit in enumerate(bits):
            if bit not in "01":
                raise DecodeError(f"bits[{i}] is {bit!r}: bits must be '0' or '1'")
            word += bit
            if word in self._decoding_table:
                symbols.append(self._decoding_table[word])
                word = ""
            elif len(word) >= longest:
                raise DecodeError(f"bits ending at position {i} are not a codeword of this code")
        if word:
            raise DecodeError(f"the bits end in the middle of a codeword ({word!r} is left over): "
                              "the data is truncated")
        return symbols

    def __repr__(self) -> str:
        return f"HuffmanCode({self.codebook})"


def _huffman_codebook(w: np.ndarray) -> dict[int, str]:
    """Merge the two lightest trees until one is left; the path to a leaf is its codeword."""
    tiebreak = count()
    # A tree is a dict {symbol: codeword so far}; merging prepends one bit to each side.
    heap = [(float(w[s]), next(tiebreak), {s: ""}) for s in range(w.size) if w[s] > 0]
    heapq.heapify(heap)
    if len(heap) == 1:
        return {symbol: "0" for symbol in heap[0][2]}
    while len(heap) > 1:
        w0, _, zero = heapq.heappop(heap)
        w1, _, one = heapq.heappop(heap)
        merged = {s: "0" + c for s, c in zero.items()} | {s: "1" + c for s, c in one.items()}
        heapq.heappush(heap, (w0 + w1, next(tiebreak), merged))
    return dict(sorted(heap[0][2].items()))

