"""Coding a whole data set in one chain of bits-back steps on one AnsCoder, with the bits counted.

The first bits-back step pops a latent before anything was pushed, so the coder must start with
*initial bits*: here ``num_words`` random words, counted separately from the data's own cost.
They are not lost: decoding the whole chain gives them back exactly, so a decoder that knows
them (they are part of the compressed file) ends where the encoder began.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..coders.streaming import AnsCoder

__all__ = ["initial_words", "bits_held", "ChainResult", "encode_chain", "decode_chain"]


def initial_words(num_words: int, seed: int = 0) -> np.ndarray:
    """``num_words`` random uint32 words for a coder to start from (the last one non-zero, as
    :meth:`AnsCoder.get_compressed` writes it). At least two: the head of a 32/64 coder."""
    if num_words < 2:
        raise ValueError(f"a 64-bit head needs at least 2 initial words, got {num_words}")
    words = np.random.default_rng(seed).integers(0, 2**32, size=num_words, dtype=np.uint64)
    words[-1] |= 1 << 31  # a full top word: the head starts with all its bits
    return words.astype(np.uint32)


def bits_held(coder: AnsCoder) -> float:
    """The information the coder holds, in bits: its bulk plus ``log2`` of its head (finer than
    :meth:`AnsCoder.num_bits`, which counts whole words)."""
    position, head = coder.pos()
    return position * coder.word_size + math.log2(head)


@dataclass(frozen=True)
class ChainResult:
    """What :func:`encode_chain` made: the words, the initial words, and the bits along the chain."""
    words: np.ndarray
    initial: np.ndarray
    #: ``bits_held`` of the coder before the first data point and after each one (length n + 1).
    bits_along: np.ndarray

    @property
    def initial_bits(self) -> float:
        return float(self.bits_along[0])

    @property
    def net_bits(self) -> np.ndarray:
        """Each data point's own cost: the bits its step added to the chain."""
        return np.diff(self.bits_along)

    @property
    def total_bits(self) -> int:
        """The size of the compressed chain, initial bits included (whole words)."""
        return 32 * len(self.words)


def encode_chain(codec, data, initial: np.ndarray | None = None) -> ChainResult:
    """Push every data point with ``codec`` onto one AnsCoder started from ``initial`` words."""
    initial = initial_words(4) if initial is None else initial
    coder = AnsCoder(initial)
    along = [bits_held(coder)]
    for x in data:
        codec.push(coder, x)
        along.append(bits_held(coder))
    return ChainResult(coder.get_compressed(), initial, np.array(along))


def decode_chain(codec, words: np.ndarray, count: int, initial: np.ndarray | None = None) -> list:
    """Pop ``count`` data points (returned in the order they were pushed) and check that what is
    left is exactly the ``initial`` words, if given."""
    coder = AnsCoder(words)
    data = [codec.pop(coder) for _ in range(count)][::-1]
    if initial is not None and not np.array_equal(coder.get_compressed(), initial):
        raise ValueError("decoding did not end on the initial words: the data, the model or the "
                         "initial words differ from the encoder's")
    return data
