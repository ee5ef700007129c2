"""tANS as cached rANS: every step of :class:`~ansedu.AnsCoder` for one static model, in tables.

With a small head (``S`` bits, so ``2^S - 2^(S-W)`` possible heads) and one fixed model, the
streaming rANS step has few enough inputs to be tabulated once: for every symbol ``x`` and
head ``h``, encoding's (flush?, flushed word, next head); for every head, decoding's
(symbol, head after the undone step). Coding is then table look-ups and no division, which is
what table ANS (tANS, as in zstd's FSE) does. The tables are filled by the rANS step
of :class:`~ansedu.AnsCoder` applied to all heads at once, so the words are exactly AnsCoder's
with the same settings; tests check the tables and the words against AnsCoder itself.
"""

from __future__ import annotations

import numpy as np

from ..coders.streaming import AnsCoder, _check_settings, word_dtype
from ..errors import ConfigError, DecodeError, WordTypeError
from ..models.categorical import EntropyModel
from .compiled import HAVE_NUMBA, CompiledAnsCoder, _compiled

__all__ = ["TansCoder"]


def _tans_encode(symbols, flush, word, nxt, head, low, words, n):
    for i in range(symbols.size - 1, -1, -1):
        j = head - low
        x = symbols[i]
        if flush[x, j]:
            words[n] = word[x, j]
            n += 1
        head = nxt[x, j]
    return head, n


def _tans_decode(amt, sym, after, head, low, W, words, n, out):
    for i in range(amt):
        j = head - low
        out[i] = sym[j]
        head = after[j]
        if head < low:
            if n == 0:
                return i, head, n
            n -= 1
            head = (head << W) | words[n]
    return amt, head, n


def _loop(loop):
    return _compiled(loop) if HAVE_NUMBA else loop  # pure Python (slow, same words) without numba


_TABLES: dict = {}  # (masses, P, W, S) -> tables, for the last few models


class TansCoder:
    """A table-driven ANS coder for one fixed model and a small head (``head_size <= 16``).

    >>> from ansedu import Categorical, TansCoder
    >>> model = Categorical([0.5, 0.3, 0.2], precision=8)
    >>> coder = TansCoder(model, precision=8, word_size=8, head_size=16)
    >>> coder.encode_reverse([0, 2, 1, 0])
    >>> TansCoder(model, coder.get_compressed(), precision=8, word_size=8, head_size=16).decode(4).tolist()
    [0, 2, 1, 0]
    """

    def __init__(self, model, compressed=None, *, precision: int = 8, word_size: int = 8, head_size: int = 16):
        _check_settings(precision, word_size, head_size)
        if head_size > 16:
            raise ConfigError(f"head_size {head_size} > 16: tANS tabulates every head, 2^head_size of them")
        if not isinstance(model, EntropyModel) or model.precision != precision:
            raise ConfigError(f"TansCoder needs one fixed EntropyModel of precision {precision}")
        self.model, self.precision, self.word_size, self.head_size = model, precision, word_size, head_size
        self.dtype = word_dtype(word_size)
        self._low = 1 << (head_size - word_size)
        key = (self.model.masses.tobytes(), precision, word_size, head_size)
        if key not in _TABLES:  # the cache: built once per model and settings
            if len(_TABLES) >= 8:
                _TABLES.pop(next(iter(_TABLES)))
            _TABLES[key] = self._build_tables()
        self.flush, self.word, self.next, self.sym, self.after = _TABLES[key]
        ref = CompiledAnsCoder(compressed, precision=precision, word_size=word_size, head_size=head_size)
        self.head, self._n = ref.head, ref._n  # AnsCoder's checks and layout, loaded in numpy
        self._words = np.asarray(ref._words, dtype=np.int64)

    def _build_tables(self):
        """The rANS step of AnsCoder (ansedu/coders/streaming.py) on every head at once, in numpy:
        the flush condition and step of encode_reverse, the undone step of decode (before its
        refill). Tests check the tables against AnsCoder itself."""
        P, W, S, L = self.precision, self.word_size, self.head_size, self._low
        h = np.arange(L, 1 << S, dtype=np.int64)
        c = self.model.cdf[:-1, None].astype(np.int64)
        m = np.maximum(self.model.masses[:, None].astype(np.int64), 1)  # mass-0 rows are never used
        flush = (h >> (S - P)) >= m
        word = np.where(flush, h & ((1 << W) - 1), 0)
        g = np.where(flush, h >> W, h)
        nxt = ((g // m) << P) + g % m + c
        slot = h & ((1 << P) - 1)
        x = np.searchsorted(self.model.cdf, slot, side="right") - 1
        after = self.model.masses[x].astype(np.int64) * (h >> P) + slot - self.model.cdf[x]
        return flush, word, nxt, x, after

    def encode_reverse(self, symbols) -> None:
        symbols = self.model.check_symbols(symbols)
        words = np.empty(self._n + symbols.size, dtype=np.int64)
        words[:self._n] = self._words[:self._n]
        head, n = _loop(_tans_encode)(symbols, self.flush, self.word, self.next, self.head, self._low, words, self._n)
        self.head, self._words, self._n = int(head), words[:n], int(n)

    def decode(self, amt: int) -> np.ndarray:
        out = np.empty(int(amt), dtype=np.int32)
        done, head, n = _loop(_tans_decode)(int(amt), self.sym, self.after, self.head, self._low, self.word_size,
                                     self._words, self._n, out)
        if done < amt:
            raise DecodeError(f"ran out of compressed data after decoding {done} of {amt} symbols "
                              "(the coder is unchanged)")
        self.head, self._n = int(head), int(n)
        return out

    def get_compressed(self) -> np.ndarray:
        if self._n == 0 and self.head == self._low:
            return np.zeros(0, dtype=self.dtype)
        mask = (1 << self.word_size) - 1
        head_words = [(self.head >> s) & mask for s in range(0, self.head_size, self.word_size)]
        return np.concatenate([self._words[:self._n], head_words]).astype(self.dtype)  # AnsCoder's layout
