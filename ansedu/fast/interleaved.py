"""Interleaved ANS: many independent streaming ANS states (*lanes*) updated with array operations.

Symbol ``i`` of a message goes to lane ``i mod K`` (``K`` lanes). Each lane is a streaming
ANS coder of its own (the step, flush and refill of :class:`~ansedu.AnsCoder`, with the
same invariants), but all lanes step together, one numpy operation for all ``K`` of them.
Their flushed words go onto ONE stack: at each step the lanes that flush push their words
in lane order; decoding the same step, the same lanes refill (a lane's flush and refill
are decided by its own head alone), so they pop those words back, the lowest lane taking
the deepest word. This is how GPU and SIMD coders work: the lanes are the threads.

The price is the *flush cost*: at the end every lane writes its whole head, and every lane
started from the lowest legal head ``L = 2^(S-W)``; each lane costs at most ``S`` bits more
than one coder would. :func:`choose_lanes` picks ``K`` so that this stays below a fraction of
the message's information content (0.1 % by default).

Compressed data: the bulk (the one stack of words), then each lane's head as ``S/W`` words,
lowest word first, lane 0 first. Settings need ``head_size <= 64`` (the heads are a uint64 array).
"""

from __future__ import annotations

import numpy as np

from ..coders.streaming import _check_settings, word_dtype
from ..errors import ConfigError, DecodeError, WordTypeError
from ..models.categorical import EntropyModel
from ..models.protocol import _models_of, _param_arrays, check_amount, encoding_intervals, num_params

__all__ = ["InterleavedAnsCoder", "choose_lanes", "vector_lookup"]


def choose_lanes(num_symbols: int, bits_per_symbol: float, *, overhead: float = 1e-3,
                 head_size: int = 64, max_lanes: int = 1 << 16) -> int:
    """The number of lanes for a message: as many as keep the flush cost (at most ``head_size``
    bits per lane) below ``overhead`` times the information content, at least 1."""
    budget = overhead * num_symbols * bits_per_symbol / head_size
    return int(max(1, min(max_lanes, num_symbols, np.floor(budget))))


def vector_lookup(model, slots, params=()):
    """``(x, c, m)`` as arrays for an array of slots (one per lane), vectorized.

    A fixed :class:`~ansedu.EntropyModel` searches its ``cdf`` (``np.searchsorted``); a family
    with ``min_symbol``/``max_symbol`` (the quantized Gaussian, Laplace, logistic) or a
    :class:`~ansedu.CategoricalTable` bisects the symbol range with its vectorized ``intervals``
    (one call for all lanes per halving); anything else calls ``lookup`` per lane in Python.
    """
    if isinstance(model, EntropyModel):
        x = np.searchsorted(model.cdf, slots, side="right") - 1  # the last x with cdf[x] <= slot
        return x, model.cdf[x], model.masses[x]
    if hasattr(model, "intervals") and (hasattr(model, "min_symbol") or num_params(model) == 1):
        if hasattr(model, "min_symbol"):
            lo_sym, hi_sym = model.min_symbol, model.max_symbol
        else:  # CategoricalTable: one row of probabilities per symbol
            lo_sym, hi_sym = 0, params[0].shape[1] - 1
        lo = np.full(len(slots), lo_sym, dtype=np.int64)   # c(lo) <= slot
        hi = np.full(len(slots), hi_sym + 1, dtype=np.int64)  # c(hi) > slot (hi = max + 1: 2^P)
        slots = slots.astype(np.int64)
        while True:
            open_ = hi - lo > 1
            if not open_.any():
                break
            mid = np.where(open_, (lo + hi) // 2, lo)
            c, _ = model.intervals(mid, *params)
            below = np.asarray(c) <= slots
            lo = np.where(open_ & below, mid, lo)
            hi = np.where(open_ & ~below, mid, hi)
        c, m = model.intervals(lo, *params)
        return lo, np.asarray(c), np.asarray(m)
    out = [model.lookup(int(s), *(p[i] for p in params)) for i, s in enumerate(slots)]
    return tuple(np.array(col, dtype=np.int64) for col in zip(*out))


class InterleavedAnsCoder:
    """``K`` streaming ANS coders stepping together in numpy, writing one stream of words.

    >>> from ansedu import Categorical, InterleavedAnsCoder
    >>> model = Categorical([0.5, 0.3, 0.2])
    >>> coder = InterleavedAnsCoder(lanes=3)
    >>> coder.encode_reverse([0, 2, 1, 0, 1, 1, 2], model)
    >>> InterleavedAnsCoder(coder.get_compressed(), lanes=3).decode(model, 7).tolist()
    [0, 2, 1, 0, 1, 1, 2]

    Args:
        compressed: words from :meth:`get_compressed` (``None``: empty).
        lanes: ``K``, the number of lanes (the decoder must use the encoder's; see :func:`choose_lanes`).
        precision, word_size, head_size: as for :class:`~ansedu.AnsCoder`, with ``head_size <= 64``.
    """

    def __init__(self, compressed=None, *, lanes: int, precision: int = 24, word_size: int = 32,
                 head_size: int = 64):
        _check_settings(precision, word_size, head_size)
        if head_size > 64:
            raise ConfigError(f"head_size {head_size} > 64: the lanes' heads are a uint64 array")
        if isinstance(lanes, bool) or not isinstance(lanes, (int, np.integer)) or lanes < 1:
            raise ConfigError(f"lanes must be a positive integer, got {lanes!r}")
        self.lanes, self.precision, self.word_size, self.head_size = int(lanes), int(precision), int(word_size), int(head_size)
        self.dtype = word_dtype(self.word_size)
        self._low = 1 << (self.head_size - self.word_size)
        self.heads = np.full(self.lanes, self._low, dtype=np.uint64)
        self._bulk = np.zeros(0, dtype=np.uint64)
        if compressed is not None:
            self._load(compressed)

    def _load(self, compressed) -> None:
        if not isinstance(compressed, np.ndarray) or compressed.dtype != self.dtype or compressed.ndim != 1:
            raise WordTypeError(f"compressed data must be a 1-d numpy array of {self.dtype} words "
                                "(as returned by get_compressed)")
        if compressed.size == 0:
            return
        k = self.head_size // self.word_size
        if compressed.size < k * self.lanes:
            raise DecodeError(f"compressed data of {compressed.size} words is truncated: {self.lanes} lanes "
                              f"write at least {k * self.lanes} words (their heads)")
        words = compressed.astype(np.uint64)
        if self.word_size < 64 and np.any(words >> np.uint64(self.word_size)):
            raise WordTypeError(f"a word has more than {self.word_size} bits")
        n = words.size - k * self.lanes
        head_words = words[n:].reshape(self.lanes, k)
        heads = np.zeros(self.lanes, dtype=np.uint64)
        for j in range(k - 1, -1, -1):
            heads = (heads << np.uint64(self.word_size)) | head_words[:, j]
        if np.any(heads < np.uint64(self._low)):
            raise DecodeError("compressed data is corrupted: a lane's head is below 2^(S-W)")
        self._bulk, self.heads = words[:n], heads

    def is_empty(self) -> bool:
        return self._bulk.size == 0 and bool(np.all(self.heads == np.uint64(self._low)))

    def get_compressed(self) -> np.ndarray:
        """The bulk, then the ``K`` heads (``S/W`` words each, lowest first, lane 0 first)."""
        if self.is_empty():
            return np.zeros(0, dtype=self.dtype)
        k = self.head_size // self.word_size
        mask = np.uint64((1 << self.word_size) - 1)
        head_words = np.stack([(self.heads >> np.uint64(self.word_size * j)) & mask for j in range(k)], axis=1)
        return np.concatenate([self._bulk, head_words.ravel()]).astype(self.dtype)

    def num_bits(self) -> int:
        return self.get_compressed().size * self.word_size

    def encode_reverse(self, symbols, model, *params) -> None:
        """Push ``symbols`` (symbol ``i`` on lane ``i mod K``) so that :meth:`decode` returns
        them first to last; the model protocol of :class:`~ansedu.AnsCoder`. Checked first:
        bad input raises and changes nothing."""
        one, _ = _models_of(model, self.precision)
        if one is not None and hasattr(one, "intervals"):
            sym = np.asarray(symbols)
            arrays = _param_arrays(one, params, sym.size if sym.ndim == 1 else None)
            starts, masses = one.intervals(symbols, *arrays)
        else:
            starts, masses = encoding_intervals(symbols, model, params, self.precision)
        starts, masses = np.asarray(starts, dtype=np.uint64), np.asarray(masses, dtype=np.uint64)
        n, K = starts.size, self.lanes
        P, W = np.uint64(self.precision), np.uint64(self.word_size)
        shift, mask = np.uint64(self.head_size - self.precision), np.uint64((1 << self.word_size) - 1)
        heads, pushed = self.heads.copy(), [self._bulk]
        for t in range((n - 1) // K, -1, -1):  # the steps, last first
            c, m = starts[t * K:(t + 1) * K], masses[t * K:(t + 1) * K]
            h = heads[:c.size]
            # AnsCoder's flush condition and step (ansedu/coders/streaming.py), on all lanes at once
            flush = (h >> shift) >= m
            if flush.any():
                pushed.append(h[flush] & mask)  # in lane order: decoding pops them back in reverse
                h = h >> (flush.astype(np.uint64) * W)
            q = h // m
            heads[:c.size] = (q << P) + (h - q * m) + c
        self._bulk, self.heads = np.concatenate(pushed), heads

    def decode(self, model, amt=None, *params):
        """Pop ``amt`` symbols (an int32 array): ``decode(model, amt)`` with a fixed model,
        ``decode(family, amt, *param_arrays)`` with a family (arrays of ``amt`` entries).
        If the data runs out, :class:`~ansedu.errors.DecodeError` is raised, nothing changed."""
        one, _ = _models_of(model, self.precision)
        if one is None:
            raise ConfigError("InterleavedAnsCoder decodes with one model or one family (not a sequence)")
        amt = check_amount(amt)
        arrays = _param_arrays(one, params, amt if num_params(one) else None)
        if callable(getattr(one, "check_params", None)) and arrays:
            one.check_params(*arrays)
        K, P, W = self.lanes, np.uint64(self.precision), np.uint64(self.word_size)
        pmask, low = np.uint64((1 << self.precision) - 1), np.uint64(self._low)
        heads, bulk, n = self.heads.copy(), self._bulk, self._bulk.size
        out = np.empty(amt, dtype=np.int32)
        for t in range((amt + K - 1) // K):
            lo, hi = t * K, min(amt, (t + 1) * K)
            h = heads[:hi - lo]
            slot = h & pmask
            x, c, m = vector_lookup(one, slot, [a[lo:hi] for a in arrays])
            # AnsCoder's undone step and refill (ansedu/coders/streaming.py), on all lanes at once
            h = np.asarray(m, dtype=np.uint64) * (h >> P) + slot - np.asarray(c, dtype=np.uint64)
            refill = h < low
            k = int(np.count_nonzero(refill))
            if k:
                if k > n:
                    raise DecodeError(f"ran out of compressed data after decoding {lo} of {amt} symbols "
                                      "(the coder is unchanged)")
                h[refill] = (h[refill] << W) | bulk[n - k:n]  # lowest refilling lane takes the deepest word
                n -= k
            heads[:hi - lo] = h
            out[lo:hi] = x
        self.heads, self._bulk = heads, bulk[:n]
        return out

    def __repr__(self) -> str:
        return (f"InterleavedAnsCoder(lanes={self.lanes}, precision={self.precision}, "
                f"word_size={self.word_size}, head_size={self.head_size})")
