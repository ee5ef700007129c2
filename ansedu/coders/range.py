"""Range coding: arithmetic coding on a bounded window, a queue (first in, first out).

A message is a nested interval. Start with ``[0, 1)``; each symbol ``x`` keeps the part
``[c(x), c(x) + m(x)) / 2^P`` of the current interval, so after the whole message the
interval's width is the product of the symbols' probabilities, and any number inside it
(written with about ``-log2(width)`` bits) identifies the message. Decoding reads the
number and asks, symbol after symbol, which part it lies in: the symbols come out in the
order they went in.

:class:`RangeEncoder` keeps only the part of the interval that can still change:

- ``low``: the interval's left end, as an ``S``-bit number (``S`` = ``state_size``) that
  continues the words already written: the interval is
  ``[(words, low), (words, low) + range)`` read as one long binary fraction;
- ``range``: the interval's width in units of the last bit of ``low``.

Encoding ``(c, m)`` cuts the interval into ``2^P`` equal pieces of ``scale = range >> P``
units (the rest, ``range mod 2^P``, is given to no symbol) and keeps ``m`` of them:
``low += scale * c``, ``range = scale * m``. When ``range`` drops below ``2^(S-W)`` the top
word of ``low`` can no longer change except by a carry, so it is written out and both
numbers are shifted up by ``W`` bits (*renormalization*).

Invariants of the encoder (``W`` = ``word_size``, ``P`` = ``precision``), written where
they are kept below:

1. ``0 <= low < 2^S``;
2. ``2^(S-W) <= range <= 2^S`` between symbols, so that ``scale = range >> P >= 2^(S-W-P) >= 1``;
3. the interval stays inside ``[0, 1)``: a *carry* (``low`` passing ``2^S``) adds one to the
   words already written and never runs past the first word.

Carries are handled by propagating them into the written words (the last word that is not
all ones is incremented and the all-ones words after it become zeros). Each word becomes
zero at most once this way, so all carries together cost time linear in the output. (A
compiled coder that streams words out instead keeps the run of all-ones words pending, as
Schindler's and LZMA's coders do, or avoids carries as constriction's coder does; the words
are the same number either way.)

**The end of the data.** :meth:`RangeEncoder.get_compressed` writes the words so far and
then *one* final word: the top word of the smallest multiple of ``2^(S-W)`` that is at least
``low`` (it lies inside the interval because ``range >= 2^(S-W)``). The rest of that number
is zero, so the decoder reads zeros past the end of the data: at most ``S/W - 1`` words
of them, because it reads ``S/W`` words ahead. Decoding that needs a word beyond that
padding has run past the end and raises :class:`~ansedu.errors.DecodeError`; so does a
point that falls into the unused rest of a range (data that no encoder writes). A range
code has no end marker, though: a few symbols decoded past the end without needing a new
word cannot be noticed, exactly as in every arithmetic coder. Store the message length.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DecodeError, InvariantError, WordTypeError
from ..models.protocol import decoding_lookup, encoding_intervals
from .streaming import word_dtype

__all__ = ["RangeEncoder", "RangeDecoder"]


def _check_settings(precision, word_size, state_size) -> None:
    for name, value in (("precision", precision), ("word_size", word_size), ("state_size", state_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ConfigError(f"{name} must be a positive integer number of bits, got {value!r}")
    if word_size > 64:
        raise ConfigError(f"word_size must be at most 64 bits (a numpy word), got {word_size}")
    if precision > word_size:
        raise ConfigError(f"precision {precision} > word_size {word_size}: with precision at most the "
                          "word size, one word written per symbol keeps range >= 2^(state_size - word_size)")
    if state_size % word_size or state_size < word_size + precision:
        raise ConfigError(f"state_size must be a multiple of word_size and at least word_size + precision "
                          f"(got state {state_size}, word {word_size}, precision {precision}): low is read "
                          "and written as whole words, and range >= 2^(state_size - word_size) must still "
                          "hold 2^precision pieces")


class _Settings:
    """What encoder and decoder share: the settings and the numbers derived from them."""

    def _init_settings(self, precision, word_size, state_size, debug):
        _check_settings(precision, word_size, state_size)
        self.precision, self.word_size, self.state_size = int(precision), int(word_size), int(state_size)
        self.debug = bool(debug)
        self.dtype = word_dtype(self.word_size)
        self._state_mask = (1 << self.state_size) - 1
        self._word_mask = (1 << self.word_size) - 1
        self._min_range = 1 << (self.state_size - self.word_size)  # invariant 2's lower bound
        self._top_shift = self.state_size - self.word_size  # low >> _top_shift is low's top word

    def _check_state(self, low, range_, what="coder") -> None:
        if not 0 <= low < 1 << self.state_size:
            raise InvariantError(f"{what} invariant 1 broken: low = {low} is not in [0, 2^{self.state_size})")
        if not self._min_range <= range_ <= 1 << self.state_size:
            raise InvariantError(f"{what} invariant 2 broken: range = {range_} is not in "
                                 f"[2^{self.state_size - self.word_size}, 2^{self.state_size}]")

    def _settings_repr(self) -> str:
        return f"precision={self.precision}, word_size={self.word_size}, state_size={self.state_size}"


class RangeEncoder(_Settings):
    """A range encoder: symbols go in first to last and come out of :class:`RangeDecoder` in the same order.

    >>> from ansedu import Categorical, RangeEncoder, RangeDecoder
    >>> model = Categorical([0.5, 0.3, 0.2])
    >>> encoder = RangeEncoder()
    >>> encoder.encode([0, 2, 1, 0], model)
    >>> words = encoder.get_compressed()            # np.uint32 words
    >>> RangeDecoder(words).decode(model, 4).tolist()
    [0, 2, 1, 0]

    Args:
        precision: ``P``, the bits a model's probabilities are counted in.
        word_size: ``W``, the bits of one word of compressed data.
        state_size: ``S``, the bits of ``low`` (``range`` may be ``2^S`` itself).
        debug: check the invariants after every symbol (for teaching and testing).
    """

    def __init__(self, *, precision: int = 24, word_size: int = 32, state_size: int = 64,
                 debug: bool = False):
        self._init_settings(precision, word_size, state_size, debug)
        self.clear()

    def clear(self) -> None:
        """Forget everything encoded: the interval is ``[0, 1)`` again."""
        self._words: list[int] = []
        self.low, self.range = 0, 1 << self.state_size
        self._num_symbols = 0

    def is_empty(self) -> bool:
        return self._num_symbols == 0

    # -- coding ------------------------------------------------------------------

    def encode(self, symbols, model, *params) -> None:
        """Encode ``symbols`` first to last (a queue: :meth:`RangeDecoder.decode` returns them in this order).

        ``model`` is one entropy model for all symbols, a sequence of one model per symbol, or
        a model family followed by its parameter arrays. Everything is checked before anything
        is encoded: bad input raises and leaves the encoder unchanged.
        """
        starts, masses = encoding_intervals(symbols, model, params, self.precision)
        P, W, shift = self.precision, self.word_size, self._top_shift
        state_mask, word_mask, min_range, top = self._state_mask, self._word_mask, self._min_range, 1 << self.state_size
        low, range_, words, debug = self.low, self.range, self._words, self.debug
        for c, m in zip(starts, masses):
            # Keep pieces c .. c+m-1 of the 2^P pieces of `scale` units (invariant 2: scale >= 1).
            scale = range_ >> P
            low += scale * c
            range_ = scale * m
            if low >= top:  # invariant 1 broken by a carry: add it to the words written so far
                low -= top
                _propagate_carry(words, word_mask)
            if range_ < min_range:
                # Renormalize: range >= scale >= 2^(S-W-P) and P <= W, so one word restores
                # range >= 2^(S-W) (invariant 2), and range * 2^W <= 2^S as range < 2^(S-W).
                words.append(low >> shift)
                low = (low << W) & state_mask
                range_ <<= W
            if debug:
                self._check_state(low, range_, "encoder")
        self.low, self.range = low, range_
        self._num_symbols += len(starts)

    # -- compressed data ---------------------------------------------------------

    def get_compressed(self) -> np.ndarray:
        """The words written so far plus one final word (none for an empty encoder).

        The final word is the top word of ``v``, the smallest multiple of ``2^(S-W)`` with
        ``v >= low``; then ``low <= v < low + 2^(S-W) <= low + range``, so ``v`` lies in the
        interval, and the decoder reads the zeros below it as padding. The encoder is not
        changed: more symbols may be encoded afterwards.
        """
        if self.is_empty():
            return np.zeros(0, dtype=self.dtype)
        words = list(self._words)
        v = -(-self.low >> self._top_shift)  # ceil(low / 2^(S-W)): the top word of v (maybe 2^W)
        if v >> self.word_size:  # v = 2^S: a carry into the words, and a zero word
            _propagate_carry(words, self._word_mask)
            v = 0
        words.append(v)
        return np.array(words, dtype=self.dtype)

    def words_so_far(self) -> np.ndarray:
        """The words written while encoding, without the final word (a later carry may still add one)."""
        return np.array(self._words, dtype=self.dtype)

    def num_words(self) -> int:
        """Length of :meth:`get_compressed`."""
        return 0 if self.is_empty() else len(self._words) + 1

    def num_bits(self) -> int:
        """Size of :meth:`get_compressed` in bits."""
        return self.num_words() * self.word_size

    # -- random access -----------------------------------------------------------

    def pos(self) -> tuple[int, tuple[int, int]]:
        """A checkpoint ``(position, (low, range))``: the words written so far and the interval.

        :meth:`RangeDecoder.seek` to it decodes the symbols encoded after this call. Carries
        may still change words before ``position``; the decoder works with ``point - low``
        modulo ``2^S``, which a carry does not change, so the checkpoint stays valid."""
        return len(self._words), (self.low, self.range)

    def __repr__(self) -> str:
        return f"RangeEncoder({self._settings_repr()}, num_words={self.num_words()})"


def _propagate_carry(words: list, word_mask: int) -> None:
    """Add one to the number the words spell (most significant first): invariant 3."""
    i = len(words) - 1
    while i >= 0 and words[i] == word_mask:
        words[i] = 0
        i -= 1
    if i < 0:  # the interval left [0, 1): impossible if invariants 1 and 2 held
        raise InvariantError("invariant 3 broken: a carry ran past the first word")
    words[i] += 1


class RangeDecoder(_Settings):
    """Decodes words from :meth:`RangeEncoder.get_compressed`, first symbol first.

    The decoder follows the encoder's ``low`` and ``range`` step by step and keeps ``point``,
    the ``S`` bits of the data that sit where ``low`` sits. Its invariants are the encoder's
    1 and 2 plus

    4. ``0 <= (point - low) mod 2^S < range``: the data's number lies inside the interval.

    A point in the rest ``range mod 2^P`` that no symbol owns breaks it: such data was not
    written by an encoder (or is read past its end), and raises :class:`DecodeError`.

    Args:
        compressed: a 1-d numpy array of words of :func:`~ansedu.word_dtype` ``(word_size)``.
        precision, word_size, state_size, debug: as for :class:`RangeEncoder` (must match).
    """

    def __init__(self, compressed, *, precision: int = 24, word_size: int = 32, state_size: int = 64,
                 debug: bool = False):
        self._init_settings(precision, word_size, state_size, debug)
        self._words = self._load(compressed)
        self._k = self.state_size // self.word_size  # words in the window
        self.seek(0, (0, 1 << self.state_size))

    def _load(self, compressed) -> list:
        if not isinstance(compressed, np.ndarray):
            raise WordTypeError(f"compressed data must be a numpy array of {self.dtype} words "
                                f"(as returned by get_compressed), got {type(compressed).__name__}")
        if compressed.dtype != self.dtype or compressed.ndim != 1:
            raise WordTypeError(f"compressed data must be a 1-d array of {self.dtype} words for "
                                f"word_size={self.word_size}, got {compressed.ndim}-d {compressed.dtype}")
        words = compressed.tolist()
        too_big = [i for i, w in enumerate(words) if w >> self.word_size]
        if too_big:
            raise WordTypeError(f"word {too_big[0]} is {words[too_big[0]]}, more than {self.word_size} bits")
        return words

    def _word(self, j: int) -> int:
        """Word ``j`` of the data, or a padding zero up to ``S/W - 1`` words past its end."""
        if j < len(self._words):
            return self._words[j]
        if j < len(self._words) + self._k - 1 and self._words:
            return 0
        raise DecodeError(f"ran past the end of the compressed data ({len(self._words)} words): the "
                          f"encoder's final word leaves at most {self._k - 1} word(s) of zero padding to read")

    # -- random access -----------------------------------------------------------

    def pos(self) -> tuple[int, tuple[int, int]]:
        """The current checkpoint ``(position, (low, range))``, as :meth:`RangeEncoder.pos` gives it."""
        return self._next - self._k, (self.low, self.range)

    def seek(self, position: int, state) -> None:
        """Jump to a checkpoint ``(position, (low, range))`` from :meth:`RangeEncoder.pos`.

        What can be checked is: the position lies in the data, ``low`` and ``range`` keep
        invariants 1 and 2, and the data's point lies in the interval (invariant 4). A state
        that passes these checks but was never a checkpoint here cannot be told apart from a
        real one: it decodes to symbols that were never encoded. The decoder is unchanged
        if the checks fail."""
        try:
            low, range_ = (int(v) for v in state)
            position = int(position)
        except (TypeError, ValueError):
            raise DecodeError(f"a checkpoint is (position, (low, range)), got ({position!r}, {state!r})") from None
        if not 0 <= position <= len(self._words):
            raise DecodeError(f"cannot seek to word {position}: the data has {len(self._words)} words")
        if not (0 <= low < 1 << self.state_size and self._min_range <= range_ <= 1 << self.state_size):
            raise DecodeError(f"({low}, {range_}) is not a state of this coder: low must be in "
                              f"[0, 2^{self.state_size}) and range in [2^{self.state_size - self.word_size}, "
                              f"2^{self.state_size}]")
        point = 0
        for j in range(position, position + self._k):
            if j < len(self._words) + self._k - 1 or not self._words:
                point = (point << self.word_size) | (self._words[j] if j < len(self._words) else 0)
            else:
                raise DecodeError(f"cannot seek to word {position}: no word of the data is left there, "
                                  "so no symbol was encoded after such a checkpoint")
        if (point - low) & self._state_mask >= range_:
            raise DecodeError(f"({position}, ({low}, {range_})) was never a checkpoint of this data: "
                              "the data's number does not lie in that interval")
        self.point, self.low, self.range, self._next = point, low, range_, position + self._k

    # -- coding ------------------------------------------------------------------

    def decode(self, model, *args):
        """Decode symbols: ``decode(model)`` one (an int), ``decode(model, amt)`` an int32 array,
        ``decode(family, *param_arrays)`` one per parameter entry, ``decode(models)`` one per model.

        If the data runs out or is not a range code, :class:`DecodeError` is raised and the
        decoder is left exactly as it was before the call.
        """
        amt, fixed, lookup_at = decoding_lookup(model, args, self.precision)
        single = amt is None
        P, W, shift = self.precision, self.word_size, self._top_shift
        state_mask, min_range, num_slots = self._state_mask, self._min_range, 1 << P
        point, low, range_, nxt = self.point, self.low, self.range, self._next
        words, n_words, debug = self._words, len(self._words), self.debug
        if not n_words and (single or amt):
            raise DecodeError("there is no compressed data to decode from (an empty encoder writes no words)")
        out = []
        for i in range(1 if single else amt):
            scale = range_ >> P
            slot = ((point - low) & state_mask) // scale  # invariant 4: point - low < range
            if slot >= num_slots:
                raise DecodeError(f"symbol {i}: the data's point lies in no symbol's piece of the "
                                  "interval: the data is corrupted, or decoding ran past its end "
                                  "(the decoder is unchanged)")
            x, c, m = fixed(slot) if fixed is not None else lookup_at(i, slot)
            low = (low + scale * c) & state_mask  # a carry out of low is the encoder's carry
            range_ = scale * m
            if range_ < min_range:  # renormalize as the encoder did: read one more word
                word = words[nxt] if nxt < n_words else self._word(nxt)
                nxt += 1
                point = ((point << W) & state_mask) | word
                low = (low << W) & state_mask
                range_ <<= W
            if debug:
                self._check_state(low, range_, "decoder")
                if not (point - low) & state_mask < range_:
                    raise InvariantError("decoder invariant 4 broken: the point left the interval")
            out.append(x)
        self.point, self.low, self.range, self._next = point, low, range_, nxt
        return out[0] if single else np.array(out, dtype=np.int32)

    def __repr__(self) -> str:
        return f"RangeDecoder({self._settings_repr()}, num_words={len(self._words)})"
