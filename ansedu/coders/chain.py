"""Chain coding: a stack coder whose decoder reads exactly ``P`` bits of data per symbol.

Decoding with :class:`~ansedu.coders.streaming.AnsCoder` is *non-local*: how many bits a
symbol takes from the data depends on its model, so changing one symbol's model shifts
where every later symbol starts reading, and later symbols change too. For bits-back
coding with models that are refined while the data is decoded (Bamler 2022, section
on chain coding) one wants the opposite: a change to one model should change one symbol.

:class:`ChainCoder` gets that by splitting the ANS step in two and keeping two stacks:

- ``compressed``: a stack of bits, stored as ``W``-bit words. Decoding a symbol pops exactly
  ``P`` bits, the *slot* ``q``, and returns the symbol ``x`` with ``c(x) <= q < c(x) + m(x)``.
  Symbol ``i`` therefore always reads bits ``iP .. iP + P - 1`` from the top, whatever the
  models of the other symbols are;
- ``remainders``: what decoding did not use, the remainder ``z = q - c(x)`` (one of ``m(x)``
  values), pushed in base ``m(x)``. Encoding pops ``z`` from here and pushes ``c(x) + z`` onto
  ``compressed``: the exact inverse.

The remainders live on an ANS-like stack: a head ``r`` over a bulk of words. With
``T = 2^(S - W - P)`` (``S`` = ``head_size``) its invariants are

1. ``r < 2^(S-P)``, so that pushing ``z < m <= 2^P`` keeps ``r * m + z < 2^S``;
2. ``r >= T`` whenever the remainders' bulk is non-empty.

Decoding pushes ``r -> r * m + z`` and then flushes the lowest word if ``r >= 2^(S-P)``
(restoring invariant 1; then ``r >> W >= T`` keeps invariant 2). Encoding pops: if ``r < m T``
and the bulk is non-empty, it refills a word first, then ``z = r mod m``, ``r = r div m``.
A push that flushed leaves ``r < m T`` (as ``r * m + z < 2^(S-P) m``), and one that did not
leaves ``r >= m T`` (by invariant 2) or an empty bulk, so the pop knows which happened. This
is streaming ANS with the flush after the push instead of before: decoding here is what
encoding is for :class:`AnsCoder`.

``ChainCoder(data)`` starts like constriction's ``ChainCoder.from_compressed``: words off the
top of ``data`` become the remainders' head until it is at least ``T``, the other words are
the compressed stack. Encoding onto a coder without remainders is allowed (the remainders then
give zeros and the coder spends ``P`` bits per symbol): chain coding pays off in bits-back
coding, where the remainders are data that would be stored anyway.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DecodeError, InvariantError, WordTypeError
from ..models.protocol import decoding_lookup, encoding_intervals
from .streaming import word_dtype

__all__ = ["ChainCoder"]


def _check_settings(precision, word_size, head_size) -> None:
    for name, value in (("precision", precision), ("word_size", word_size), ("head_size", head_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ConfigError(f"{name} must be a positive integer number of bits, got {value!r}")
    if word_size > 64:
        raise ConfigError(f"word_size must be at most 64 bits (a numpy word), got {word_size}")
    if precision > word_size:
        raise ConfigError(f"precision {precision} > word_size {word_size}: one flushed or refilled "
                          "remainders word per symbol needs precision <= word_size")
    if head_size < word_size + precision:
        raise ConfigError(f"head_size {head_size} < word_size + precision = {word_size + precision}: "
                          "the remainders' head must hold a word and a remainder")


class ChainCoder:
    """A chain coder: a stack whose decoding reads ``P`` bits of data per symbol (see the module).

    >>> import numpy as np
    >>> from ansedu import ChainCoder, EntropyModel
    >>> data = np.array([9, 14, 6, 14], dtype=np.uint8)
    >>> model = EntropyModel([7, 3, 6], precision=4)
    >>> ChainCoder(data, precision=4, word_size=4, head_size=8).decode(model, 3).tolist()
    [0, 2, 1]

    Args:
        compressed: words to decode from (``None``: empty).
        remainders: the words of :meth:`get_remainders` of an earlier decoding; if given,
            ``compressed`` is taken whole as the compressed stack (``None``: as described in the module).
        precision, word_size, head_size: ``P``, ``W``, ``S``; ``P <= W`` and ``S >= W + P``.
        debug: check the invariants after every symbol.
    """

    def __init__(self, compressed=None, *, remainders=None, precision: int = 24, word_size: int = 32,
                 head_size: int = 64, debug: bool = False):
        _check_settings(precision, word_size, head_size)
        self.precision, self.word_size, self.head_size = int(precision), int(word_size), int(head_size)
        self.debug = bool(debug)
        self.dtype = word_dtype(self.word_size)
        self._threshold = 1 << (self.head_size - self.word_size - self.precision)  # T
        self._head_limit = 1 << (self.head_size - self.precision)  # invariant 1's bound
        data = [] if compressed is None else self._load(compressed, "compressed")
        if remainders is None:
            rem, data = data, data  # the head comes off the top of the data
        else:
            rem = self._load(remainders, "remainders")
        # The remainders' head: words off the top until r >= T (or the words run out). Then
        # r < T 2^W = 2^(S-P) (invariant 1) and r >= T if words are left (invariant 2).
        head = 0
        while head < self._threshold and rem:
            head = (head << self.word_size) | rem.pop()
        # The compressed stack: whole words plus `_top`, the `_top_bits` (< W) unread bits of
        # a word that was split between symbols (read from its most significant bit down).
        self._words, self._top, self._top_bits = (data if remainders is None else list(data)), 0, 0
        self._rem_words = [] if remainders is None else rem
        self.remainders_head = head
        self._check_invariants()

    def _load(self, words, what) -> list:
        if not isinstance(words, np.ndarray) or words.dtype != self.dtype or words.ndim != 1:
            raise WordTypeError(f"{what} must be a 1-d numpy array of {self.dtype} words for "
                                f"word_size={self.word_size}, got {type(words).__name__}"
                                + (f" of {words.dtype}" if isinstance(words, np.ndarray) else ""))
        out = words.tolist()
        too_big = [i for i, w in enumerate(out) if w >> self.word_size]
        if too_big:
            raise WordTypeError(f"{what} word {too_big[0]} is {out[too_big[0]]}, more than {self.word_size} bits")
        return out

    # -- the two stacks ------------------------------------------------------------

    def get_compressed(self) -> np.ndarray:
        """The compressed stack as words, the top word last, each read from its highest bit down.

        If a word is partly read (or written), the ``b`` bits left of it are not a whole word:
        then the whole bit string is shifted up by ``W - b`` bits, so that a fresh coder reads
        the same bits in the same order, and the zeros that fill the bottom word are never read."""
        words, bits, W = self._words, self._top_bits, self.word_size
        if not bits:
            return np.array(words, dtype=self.dtype)
        pad, mask = W - bits, (1 << W) - 1
        shifted = [((w << pad) | (below >> bits)) & mask for w, below in zip(words, [0] + words[:-1])]
        shifted.append((self._top << pad) | (words[-1] >> bits if words else 0))
        return np.array(shifted, dtype=self.dtype)

    def get_remainders(self) -> np.ndarray:
        """The remainders: their bulk, then the head's base-``2^W`` digits (as few as it has), lowest first.

        Reading them back takes words off the top until the head is at least ``T``, which
        gives exactly these digits. No remainders (a zero head over an empty bulk) give no
        words. Data whose top word is zero (which :meth:`AnsCoder.get_compressed` never
        writes) loses that zero in ``get_data()``."""
        mask, head, digits = (1 << self.word_size) - 1, self.remainders_head, []
        while head:
            digits.append(head & mask)
            head >>= self.word_size
        return np.array(self._rem_words + digits, dtype=self.dtype)

    def get_data(self) -> np.ndarray:
        """``get_compressed()`` followed by ``get_remainders()``: what ``ChainCoder(data)`` started from,
        once every decoded symbol has been encoded back."""
        return np.concatenate([self.get_compressed(), self.get_remainders()])

    def pos(self):
        """A checkpoint: ``(compressed words, unread top bits, top, remainders words, remainders head)``."""
        return (len(self._words), self._top_bits, self._top, len(self._rem_words), self.remainders_head)

    # -- coding ------------------------------------------------------------------

    def decode(self, model, *args):
        """Decode symbols like :meth:`AnsCoder.decode`: each reads exactly ``P`` bits of the compressed stack.

        If the compressed stack runs out, :class:`DecodeError` is raised and the coder is unchanged."""
        amt, fixed, lookup_at = decoding_lookup(model, args, self.precision)
        single = amt is None
        P, W = self.precision, self.word_size
        words, n = self._words, len(self._words)
        top, bits = self._top, self._top_bits
        head, rem, limit = self.remainders_head, self._rem_words, self._head_limit
        flushed = []  # remainders words written by this call (undone if it fails)
        out = []
        for i in range(1 if single else amt):
            # Pop P bits: the unread bits of the top word first, then the high bits of the next.
            if bits >= P:
                bits -= P
                slot = top >> bits
                top &= (1 << bits) - 1
            else:
                if n == 0:
                    rem[len(rem) - len(flushed):] = []
                    raise DecodeError(f"ran out of compressed data after decoding {i} of {1 if single else amt} "
                                      f"symbols: each symbol reads {P} bits (the coder is unchanged)")
                n -= 1
                word, need = words[n], P - bits
                slot = (top << need) | (word >> (W - need))
                bits = W - need
                top = word & ((1 << bits) - 1)
            x, c, m = fixed(slot) if fixed is not None else lookup_at(i, slot)
            # Push the remainder z = slot - c in base m; flush after the push (invariant 1).
            head = head * m + slot - c
            if head >= limit:
                flushed.append(head & ((1 << W) - 1))
                rem.append(flushed[-1])
                head >>= W
            if self.debug:
                self._check_invariants(head, bits, top)
            out.append(x)
        del words[n:]
        self._top, self._top_bits, self.remainders_head = top, bits, head
        return out[0] if single else np.array(out, dtype=np.int32)

    def encode(self, symbol, model, *params) -> None:
        """Encode one symbol (with a model family: one number per parameter)."""
        self.encode_reverse([symbol], model, *([p] for p in params))

    def encode_reverse(self, symbols, model, *params) -> None:
        """Encode ``symbols`` last to first (the inverse of :meth:`decode`): pop each remainder, push ``P`` bits."""
        starts, masses = encoding_intervals(symbols, model, params, self.precision)
        P, W, T = self.precision, self.word_size, self._threshold
        words, rem = self._words, self._rem_words
        top, bits, head = self._top, self._top_bits, self.remainders_head
        for c, m in zip(reversed(starts), reversed(masses)):
            # Pop z in base m: refill first if the push we undo had flushed (r < m T, bulk non-empty).
            if head < m * T and rem:
                head = (head << W) | rem.pop()
            z = head % m
            head //= m
            # Push slot = c + z as P bits: the exact inverse of the pop in decode.
            slot = c + z
            if bits + P >= W:
                # Undo a pop that read a new word: its top `need` bits are the slot's low bits,
                # its low `bits` bits are the unread top; the slot's high bits were read before.
                need = W - bits
                words.append(((slot & ((1 << need) - 1)) << bits) | top)
                top, bits = slot >> need, P - need
            else:
                top, bits = (slot << bits) | top, bits + P
            if self.debug:
                self._check_invariants(head, bits, top)
        self._top, self._top_bits, self.remainders_head = top, bits, head

    def _check_invariants(self, head=None, bits=None, top=None) -> None:
        head = self.remainders_head if head is None else head
        bits = self._top_bits if bits is None else bits
        top = self._top if top is None else top
        if not head < self._head_limit:
            raise InvariantError(f"invariant 1 broken: remainders head {head} >= 2^{self.head_size - self.precision}")
        if self._rem_words and not head >= self._threshold:
            raise InvariantError(f"invariant 2 broken: remainders head {head} < T with a non-empty bulk")
        if not (0 <= bits < self.word_size and 0 <= top < 1 << bits):
            raise InvariantError(f"the partly read word holds {top} in {bits} bits")

    def __repr__(self) -> str:
        return (f"ChainCoder(precision={self.precision}, word_size={self.word_size}, head_size={self.head_size}, "
                f"compressed_words={len(self._words)}, remainders_words={len(self.get_remainders())})")
