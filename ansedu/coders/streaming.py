"""Streaming ANS: the bits-back step of :class:`~ansedu.coders.slow_ans.SlowAnsCoder` on a bounded head, over a bulk of words.

The slow coder is quadratic because every step divides one huge integer by
``m(x)``, which rewrites all of its digits. Streaming ANS runs the same bits-back
step on a bounded integer instead:

- the *head*: a number below ``2^S`` (``S`` = ``head_size``) that every step works on;
- the *bulk*: a stack of ``W``-bit words (``W`` = ``word_size``) that are only ever
  pushed or popped whole.

Before a step would make the head too large, its lowest word moves onto the bulk
(*flush*); after a decoding step makes it too small, the top word of the bulk
moves back (*refill*). Both cost ``O(1)``, so coding is linear in the message length.
The head sits on top of the bulk: read as one number, the compressed data is
``head * 2^(W n) + bulk[n-1] * 2^(W (n-1)) + ... + bulk[0]``. (This is not the
slow coder's number: the two round differently, but both spend almost exactly
the information content.)

Invariants (``L = 2^(S - W)``), written where they are kept below:

1. ``head < 2^S``: the head fits into ``S`` bits;
2. ``head >= L`` whenever the bulk is non-empty, so that no information sits in
   leading zeros between the head and the bulk. This coder starts its head at
   ``L`` (the lowest legal head, our *initial bits*) and so keeps ``head >= L``
   always; a decode that would go below ``L`` with an empty bulk is reading bits
   that were never written, and raises :class:`~ansedu.errors.DecodeError`.

The settings must satisfy ``1 <= P <= W`` (one flush or refill per symbol is
enough) and ``S = kW`` with ``k >= 2`` (``P <= S - W``, and the head is written out
as ``k`` whole words).
"""

from __future__ import annotations

from array import array

import numpy as np

from .._validate import as_index
from ..errors import ConfigError, DecodeError, InvariantError, WordTypeError
from ..models.categorical import MAX_PRECISION
from ..models.protocol import decoding_lookup, encoding_interval_arrays, reversed_chunks

__all__ = ["AnsCoder", "word_dtype", "MAX_HEAD_SIZE"]

#: The largest head an :class:`AnsCoder` accepts, in bits (the head is one Python integer,
#: written out as ``S/W`` words; constriction's heads are 32 or 64 bits).
MAX_HEAD_SIZE = 1024


def word_dtype(word_size: int) -> np.dtype:
    """The smallest unsigned numpy type that holds a word of ``word_size`` bits."""
    word_size = as_index(word_size, ConfigError, "word_size")
    if word_size < 1:
        raise ConfigError(f"word_size must be a positive number of bits, got {word_size}")
    for bits, dtype in ((8, np.uint8), (16, np.uint16), (32, np.uint32), (64, np.uint64)):
        if word_size <= bits:
            return np.dtype(dtype)
    raise ConfigError(f"word_size {word_size} is larger than 64 bits")


def _typecode(dtype: np.dtype) -> str:
    """The :mod:`array` type code of an unsigned numpy word type (same size, same byte order)."""
    for code in "BHILQ":
        if array(code).itemsize == dtype.itemsize:
            return code
    raise ConfigError(f"no array type for {dtype}")  # (cannot happen on a platform numpy supports)


def _check_settings(precision, word_size, head_size) -> None:
    for name, value in (("precision", precision), ("word_size", word_size), ("head_size", head_size)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ConfigError(f"{name} must be a positive integer number of bits, got {value!r}")
    if word_size > 64:
        raise ConfigError(f"word_size must be at most 64 bits (a numpy word), got {word_size}")
    if precision > MAX_PRECISION:
        raise ConfigError(f"precision must be at most {MAX_PRECISION} bits (the largest precision a "
                          f"model has), got {precision}")
    if head_size > MAX_HEAD_SIZE:
        raise ConfigError(f"head_size must be at most {MAX_HEAD_SIZE} bits, got {head_size}")
    if precision > word_size:
        raise ConfigError(f"precision {precision} > word_size {word_size}: with precision at most the "
                          "word size, one flushed or refilled word per symbol keeps the head in range")
    if head_size % word_size or head_size < 2 * word_size:
        raise ConfigError(f"head_size must be a multiple of word_size of at least twice its size "
                          f"(got head {head_size}, word {word_size}): the head is written out as whole "
                          "words, and after a flush it must still hold the precision's bits")


class AnsCoder:
    """A streaming ANS coder: a stack of symbols, compressed into words.

    >>> import numpy as np
    >>> from ansedu import AnsCoder, Categorical
    >>> model = Categorical([0.5, 0.3, 0.2])
    >>> coder = AnsCoder()
    >>> coder.encode_reverse([0, 2, 1, 0], model)
    >>> words = coder.get_compressed()            # np.uint32 words
    >>> AnsCoder(words).decode(model, 4).tolist()
    [0, 2, 1, 0]

    Args:
        compressed: words from :meth:`get_compressed` to decode from (``None``: empty).
        precision: ``P``, the bits a model's probabilities are counted in.
        word_size: ``W``, the bits of one word of compressed data.
        head_size: ``S``, the bits of the head.
        debug: check both invariants after every symbol (slower; for teaching and testing).
    """

    def __init__(self, compressed=None, *, precision: int = 24, word_size: int = 32,
                 head_size: int = 64, debug: bool = False):
        _check_settings(precision, word_size, head_size)
        self.precision, self.word_size, self.head_size = int(precision), int(word_size), int(head_size)
        self.debug = bool(debug)
        self.dtype = word_dtype(self.word_size)
        self._low = 1 << (self.head_size - self.word_size)  # L: the lowest legal head
        # The bulk is _words[:_n]; words above _n were popped by decoding and are kept
        # so that seek() can jump back to them; the next encode discards them. An array of
        # machine words holds a word in W/8 bytes (a list of Python ints needs 40).
        self._typecode = _typecode(self.dtype)
        self._words = array(self._typecode)
        self._n = 0
        self.head = self._low
        if compressed is not None:
            self._load(compressed)
        self._check_invariants()

    # -- compressed data ---------------------------------------------------------

    def _load(self, compressed) -> None:
        if not isinstance(compressed, np.ndarray):
            raise WordTypeError(f"compressed data must be a numpy array of {self.dtype} words "
                                f"(as returned by get_compressed), got {type(compressed).__name__}")
        if compressed.dtype != self.dtype or compressed.ndim != 1:
            raise WordTypeError(f"compressed data must be a 1-d array of {self.dtype} words for "
                                f"word_size={self.word_size}, got {compressed.ndim}-d {compressed.dtype}")
        if compressed.size == 0:
            return
        if self.word_size < 8 * self.dtype.itemsize:
            too_big = np.flatnonzero(compressed >> self.word_size)
            if too_big.size:
                raise WordTypeError(f"word {too_big[0]} is {compressed[too_big[0]]}, more than "
                                    f"{self.word_size} bits")
        k = self.head_size // self.word_size
        n = compressed.size - k
        if n < 0:
            raise DecodeError(f"compressed data of {compressed.size} words is truncated: a non-empty message "
                              f"has at least {k} words (the head)")
        if compressed[-1] == 0:
            raise DecodeError("compressed data is corrupted or truncated: its last word (the top of the "
                              "head) is zero, which get_compressed never writes")
        head = 0
        for w in reversed(compressed[n:].tolist()):
            head = (head << self.word_size) | w
        bulk = array(self._typecode)
        bulk.frombytes(np.ascontiguousarray(compressed[:n], dtype=self.dtype).tobytes())
        self._words, self._n, self.head = bulk, n, head

    def get_compressed(self) -> np.ndarray:
        """The compressed data: the bulk, then the head as ``S/W`` words, lowest first.

        These are the base-``2^W`` digits of ``head * 2^(W n) + bulk``, least significant
        first; the last word is never zero. An empty coder gives no words.
        """
        if self.is_empty():
            return np.zeros(0, dtype=self.dtype)
        mask = (1 << self.word_size) - 1
        head_words = [(self.head >> shift) & mask for shift in range(0, self.head_size, self.word_size)]
        out = np.empty(self._n + len(head_words), dtype=self.dtype)
        out[:self._n] = np.frombuffer(self._words, dtype=self.dtype, count=self._n)
        out[self._n:] = head_words
        return out

    def num_words(self) -> int:
        """Length of :meth:`get_compressed`."""
        return 0 if self.is_empty() else self._n + self.head_size // self.word_size

    def num_bits(self) -> int:
        """Size of :meth:`get_compressed` in bits, the ``initial_bits`` included."""
        return self.num_words() * self.word_size

    @property
    def initial_bits(self) -> int:
        """The one-off start-up cost included in :meth:`num_bits`: the ``S - W`` bits below the
        leading one of the initial head ``L`` (``0`` for an empty coder, which writes no words).
        ``num_bits() - initial_bits`` is what the message itself costs (see :mod:`ansedu.coders`)."""
        return 0 if self.is_empty() else self.head_size - self.word_size

    def is_empty(self) -> bool:
        """Whether the coder holds no data (as after ``AnsCoder()``)."""
        return self._n == 0 and self.head == self._low

    def clear(self) -> None:
        self._words, self._n, self.head = array(self._typecode), 0, self._low

    def clone(self) -> "AnsCoder":
        twin = AnsCoder(precision=self.precision, word_size=self.word_size,
                        head_size=self.head_size, debug=self.debug)
        twin._words, twin._n, twin.head = array(self._typecode, self._words), self._n, self.head
        return twin

    # -- random access -----------------------------------------------------------

    def pos(self) -> tuple[int, int]:
        """A checkpoint ``(position, state)``: the bulk's length in words and the head
        (the *state* of a checkpoint is always the head, as in :meth:`seek`).

        Recorded while encoding, it lets :meth:`seek` jump to the symbols that were
        encoded before it (which decode after everything encoded later)."""
        return self._n, self.head

    def seek(self, position: int, state: int) -> None:
        """Jump to a checkpoint ``(position, state)`` from :meth:`pos`, backwards or forwards,
        while decoding: ``position`` is a length of the bulk in words, ``state`` the head.

        Raises :class:`DecodeError` (and changes nothing) unless both are integers (not
        floats or bools) and the checkpoint fits this coder's data."""
        position = as_index(position, DecodeError, "position (a number of bulk words)")
        state = as_index(state, DecodeError, "state (the head)")
        if not 0 <= position <= len(self._words):
            raise DecodeError(f"cannot seek to word {position}: the data has {len(self._words)} bulk words")
        if not self._low <= state < 1 << self.head_size:
            raise DecodeError(f"state {state} is not a head of this coder: it must be in "
                              f"[2^{self.head_size - self.word_size}, 2^{self.head_size})")
        self._n, self.head = int(position), int(state)
        self._check_invariants()

    # -- coding ------------------------------------------------------------------

    def encode(self, symbol, model, *params) -> None:
        """Push one symbol (with a model family: one number per parameter)."""
        self.encode_reverse([symbol], model, *([p] for p in params))

    def encode_reverse(self, symbols, model, *params) -> None:
        """Push ``symbols`` last to first, so that :meth:`decode` returns them first to last.

        ``model`` is one entropy model for all symbols, a sequence of one model per
        symbol, or a model family followed by its parameter arrays (one entry per
        symbol), e.g. ``encode_reverse(symbols, QuantizedGaussian(-127, 127), means, stds)``.
        All symbols are checked before anything is pushed: bad input raises and leaves
        the coder unchanged.
        """
        starts, masses = encoding_interval_arrays(symbols, model, params, self.precision)

        P, W, shift = self.precision, self.word_size, self.head_size - self.precision
        mask = (1 << W) - 1
        head, debug = self.head, self.debug
        del self._words[self._n:]  # words popped by decoding are overwritten now
        words = self._words
        for c_chunk, m_chunk in reversed_chunks(starts, masses):  # plain ints, last symbol first
            for c, m in zip(c_chunk, m_chunk):
                # The step below maps h to h' = (h div m) 2^P + (h mod m) + c, and
                # h' < 2^S exactly when h < m 2^(S-P). So if h >= m 2^(S-P), flush first:
                # then h < 2^(S-W) <= m 2^(S-P) (as P <= W), and invariant 1 holds after the step.
                # Invariant 2: h' >= h, as 2^P >= m; after a flush h >= m 2^(S-P-W), so
                # h' >= 2^(S-P-W) 2^P = L.
                if head >> shift >= m:
                    words.append(head & mask)
                    head >>= W
                # The bits-back step of SlowAnsCoder on the head: pop z' in base m, push c + z' in base 2^P.
                head = ((head // m) << P) + head % m + c
                if debug:
                    self._check_invariants(head, len(words))
        self.head, self._n = head, len(words)

    def decode(self, model, *args):
        """Pop symbols: ``decode(model)`` one (an int), ``decode(model, amt)`` an int32 array
        of ``amt``; ``decode(family, *param_arrays)`` one per parameter entry; with a
        sequence of per-symbol models, one per model.

        If the data runs out, :class:`~ansedu.errors.DecodeError` is raised and the coder
        is left exactly as it was before the call.
        """
        amt, fixed, lookup_at = decoding_lookup(model, args, self.precision)
        single = amt is None
        P, W, low = self.precision, self.word_size, self._low
        pmask = (1 << P) - 1
        head, n, words, debug = self.head, self._n, self._words, self.debug
        out = []
        for i in range(1 if single else amt):
            slot = head & pmask
            x, c, m = fixed(slot) if fixed is not None else lookup_at(i, slot)
            # Undo the encoding step: the head before it was m * (head >> P) + (slot - c).
            head = m * (head >> P) + slot - c
            if head < low:  # invariant 2 broken: refill one word from the bulk
                if n == 0:
                    raise DecodeError(
                        f"ran out of compressed data after decoding {i} of {1 if single else amt} symbols: "
                        "the coder is empty, or its data is truncated or corrupted (the coder is unchanged)")
                n -= 1
                head = (head << W) | words[n]
            if debug:
                self._check_invariants(head, n)
            out.append(x)
        self.head, self._n = head, n
        return out[0] if single else np.array(out, dtype=np.int32)

    def _check_invariants(self, head=None, n=None) -> None:
        head = self.head if head is None else head
        n = self._n if n is None else n
        if not head < 1 << self.head_size:
            raise InvariantError(f"invariant 1 broken: head {head} >= 2^{self.head_size}")
        if not head >= self._low:
            raise InvariantError(f"invariant 2 broken: head {head} < 2^{self.head_size - self.word_size}")
        # A step adds at most one word, the top one; loaded words were checked by _load.
        if n and self._words[n - 1] >> self.word_size:
            raise InvariantError(f"the top bulk word has more than {self.word_size} bits")

    def __repr__(self) -> str:
        return (f"AnsCoder(precision={self.precision}, word_size={self.word_size}, "
                f"head_size={self.head_size}, num_words={self.num_words()})")
