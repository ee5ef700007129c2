"""Interleaved ANS: many independent streaming ANS states (*lanes*) updated with array operations.

Symbol ``i`` of a message goes to lane ``i mod K`` (``K`` lanes). Each lane is a streaming
ANS coder of its own (the step, flush and refill of :class:`~ansedu.AnsCoder`, with the
same invariants), but all lanes step together, each numpy operation on all ``K`` of them.
Their flushed words go onto ONE stack: at each step the lanes that flush push their words
in lane order; decoding the same step, the same lanes refill (a lane's flush and refill
are decided by its own head alone), so they pop those words back, the lowest lane taking
the deepest word. This is how GPU and SIMD coders work: the lanes are the threads.

Where the time goes: a step is a fixed number of numpy calls (7 to encode, about 20 to
decode with a fixed model), each costing about a microsecond of interpreter and dispatch
overhead plus a little per lane (a few nanoseconds for the division, less for the rest). So
the coder does everything that does not depend on the heads before the steps, a block of
steps at a time (the intervals, the flush bounds ``m 2^(S-P) - 1``, ``2^P - m``) or once per
message (the slot-to-symbol table, :class:`SlotLookup`), keeps the per-step calls few and in
place (``out=``), picks the flushed words out of the kept heads once per block
(``np.compress``), and uses as many lanes as the flush cost allows: more lanes, fewer calls
per symbol. (A float64 reciprocal of ``m`` instead of the division, corrected by one, measured
slower here: the correction is five more calls; chapter 15 times both.)

The price of lanes is the *flush cost*: every lane starts from the lowest legal head
``L = 2^(S-W)`` and at the end writes its whole head (``S`` bits) although the head's
information fills only about ``log2(head) - (S - W)`` of them. A final head lies between
``2^(S-W)`` and ``2^S``, with ``log2(head)`` about evenly spread, so a lane costs about
``S - W/2`` bits (48 at the default 64-bit head and 32-bit words) and never more than ``S``.
:func:`choose_lanes` picks ``K`` so that this stays below a fraction of the message's
information content (0.1 % by default).

Compressed data: the bulk (the one stack of words), then each lane's head as ``S/W`` words,
lowest word first, lane 0 first. Settings need ``head_size <= 64`` (the heads are a uint64 array).
"""

from __future__ import annotations

import numpy as np

from ..coders.streaming import _check_settings, word_dtype
from .._validate import as_integers
from ..errors import ConfigError, DecodeError, WordTypeError
from ..models.categorical import EntropyModel
from ..models.protocol import _models_of, _param_arrays, check_amount, encoding_intervals, num_params

__all__ = ["FamilyLookup", "InterleavedAnsCoder", "SlotLookup", "choose_lanes", "flush_cost", "vector_lookup"]

#: Symbols per block while encoding: the heads of every step of a block are kept (to pick the
#: flushed words out of them afterwards), a block at a time so that they stay in the cache.
_BLOCK = 1 << 16


def flush_cost(head_size: int = 64, word_size: int = 32) -> float:
    """The expected flush cost of one lane in bits, ``S - W/2``: the lane writes its ``S``-bit
    head, whose information fills ``log2(head) - (S - W)`` bits, and ``log2(head)`` of a final
    head is about evenly spread between ``S - W`` and ``S``. (At most ``S``; measured in chapter 15.)"""
    return head_size - word_size / 2


def choose_lanes(num_symbols: int, bits_per_symbol: float, *, overhead: float = 1e-3,
                 head_size: int = 64, word_size: int = 32, max_lanes: int = 1 << 16) -> int:
    """The number of lanes for a message: as many as keep the expected flush cost
    (:func:`flush_cost` bits per lane, plus one bit of margin) below ``overhead`` times the
    information content, at least 1."""
    budget = overhead * num_symbols * bits_per_symbol / (flush_cost(head_size, word_size) + 1)
    return int(max(1, min(max_lanes, num_symbols, np.floor(budget))))


class SlotLookup:
    """The vectorized slot-to-symbol lookup of a fixed model: a bucket table plus corrections.

    A table of all ``2^P`` slots would answer with one memory access per lane, but at
    ``P = 24`` it has 16 million entries, and reading it at random misses the cache on nearly
    every lane (it measured slower than the small table here). So the slots are cut into
    ``2^b`` buckets of ``2^(P-b)`` slots (``b`` = 16 where the model allows), and
    ``first[bucket]`` is the symbol that owns the bucket's first slot: a table of 2^16 entries,
    which stays in the cache. Only symbols that start inside the bucket can own a later slot;
    so ``x = first[slot >> (P - b)]`` and then, ``corrections`` times, ``x += slot >= next[x]``
    (``next[x] = c(x) + m(x)``, where the next symbol starts). ``corrections`` is the most
    symbols that start inside one bucket, computed when the table is built; ``b`` grows (up
    to 20 bits) while it is above 2, and if it stays above, :meth:`__call__` falls back to a
    binary search of the ``cdf`` (``np.searchsorted``). Symbols of mass zero own no slot; the
    tables skip them (``symbols`` maps back).

    >>> from ansedu import Categorical
    >>> import numpy as np
    >>> lookup = SlotLookup(Categorical([0.5, 0.0, 0.25, 0.25], precision=4))
    >>> x, c, m = lookup(np.array([0, 7, 8, 11, 12, 15], dtype=np.uint64))
    >>> lookup.symbol(x).tolist(), c.tolist(), m.tolist()
    ([0, 0, 2, 2, 3, 3], [0, 0, 8, 8, 12, 12], [8, 8, 4, 4, 4, 4])
    """

    #: bucket bits tried first and at most, and the most corrections accepted
    BITS, MAX_BITS, MAX_CORRECTIONS = 16, 20, 2

    def __init__(self, model: EntropyModel):
        P = model.precision
        owned = np.flatnonzero(model.masses)  # the symbols that own slots, in order
        cdf = np.append(model.cdf[owned], 1 << P)  # strictly increasing
        self.symbols = None if owned.size == model.masses.size else owned
        self.cdf, self.masses = cdf[:-1].astype(np.uint64), model.masses[owned].astype(np.uint64)
        self.next = cdf[1:].astype(np.uint64)
        self._search_cdf = self.cdf
        for bits in range(min(P, self.BITS), min(P, self.MAX_BITS) + 1):
            shift = P - bits
            starts = np.arange(1 << bits, dtype=np.int64) << shift
            first = np.searchsorted(cdf, starts, side="right") - 1  # the owner of each bucket's first slot
            last = np.searchsorted(cdf, starts + ((1 << shift) - 1), side="right") - 1
            corrections = int((last - first).max())
            if corrections <= self.MAX_CORRECTIONS:
                break
        self.bits, self.corrections = bits, corrections
        self.first = first.astype(np.intp) if corrections <= self.MAX_CORRECTIONS else None
        self._shift = np.uint64(shift)

    def __call__(self, slots):
        """``(x, c, m)`` for a uint64 array of slots: ``x`` indexes the symbols that own slots
        (:meth:`symbol` gives the symbols), ``c`` and ``m`` are uint64 arrays."""
        if self.first is None:
            x = np.searchsorted(self._search_cdf, slots, side="right") - 1
        else:
            # (the buckets are below 2^20, so their int64 view is the same numbers, and
            # indexing with intp indices is numpy's fast path)
            x = self.first[(slots >> self._shift).view(np.int64)]
            for _ in range(self.corrections):
                x += slots >= self.next[x]
        return x, self.cdf[x], self.masses[x]

    def symbol(self, x):
        """The symbols for the indices ``x`` that :meth:`__call__` returns."""
        return x if self.symbols is None else self.symbols[x]


class FamilyLookup:
    """The vectorized slot-to-symbol lookup of a quantized continuous family (Gaussian, Laplace,
    logistic) with per-symbol ``loc``/``scale``: a guess from the inverse CDF, checked.

    Bisecting the symbol range costs ``log2(range)`` evaluations of the family's CDF for all
    lanes; instead, ``x = floor(loc + scale F^-1((slot + 1/2) / 2^P) + 1/2)`` guesses the
    symbol from the family's own standardized CDF ``F``, inverted by interpolating a table of it
    (``np.interp``, made once), and ONE evaluation of the family's cumulative ``c`` at ``x`` and
    ``x + 1`` (the family's own elementwise arithmetic, for all lanes in one call) checks the
    guess: ``c(x) <= slot < c(x + 1)``. The guess ignores the leaky floor (one slot per symbol)
    and the interpolation is not exact, so a few lanes (about one in several thousand, near a
    symbol's edge or far in a tail) are wrong; they step towards the answer (the check says
    which way) a few times, and what is still wrong is bisected by :func:`vector_lookup`. The
    answer is always the one the family's ``intervals`` defines.
    """

    #: steps of one symbol tried for a wrong guess before bisecting
    STEPS = 4

    def __init__(self, family):
        self.family = family
        u = np.linspace(0.0, 40.0, 40 * 64 + 1)  # |z| in steps of 1/64
        tail = np.asarray(family._tail(u), dtype=float)  # F(-u), non-increasing
        self._z = np.concatenate([-u[::-1], u[1:]])
        self._p = np.concatenate([tail[::-1], 1.0 - tail[1:]])
        self._scale = 1.0 / (1 << family.precision)

    @staticmethod
    def fits(model) -> bool:
        return (callable(getattr(model, "_tail", None)) and callable(getattr(model, "_c_array", None))
                and hasattr(model, "min_symbol") and num_params(model) == 2 and hasattr(model, "intervals"))

    def _c_pair(self, x, loc, scale):
        """``(c(x), c(x + 1))`` as int64 arrays for ``min <= x <= max``: what the family's
        ``intervals`` computes (its elementwise ``_c_array``, on ``x`` and ``x + 1`` in one call,
        and its edges ``c(min) = 0``, ``c(max + 1) = 2^P``), without re-checking the parameters
        (``decode`` checked them once) or the symbols (in range by construction)."""
        f, k = self.family, x.size
        both = f._c_array(np.concatenate([x, x + 1]).astype(float), np.concatenate([loc, loc]),
                          np.concatenate([scale, scale])).astype(np.int64)
        left, right = both[:k], both[k:]
        left[x == f.min_symbol] = 0
        right[x == f.max_symbol] = f._total
        return left, right

    def __call__(self, slots, loc, scale):
        f = self.family
        p = (slots.astype(float) + 0.5) * self._scale
        guess = np.interp(p, self._p, self._z)
        guess *= scale
        guess += loc
        guess += 0.5
        np.floor(guess, out=guess)
        np.clip(guess, f.min_symbol, f.max_symbol, out=guess)
        x = guess.astype(np.int64)
        left, right = self._c_pair(x, loc, scale)
        s = slots.view(np.int64)  # slots < 2^P <= 2^52: the same numbers
        wrong = np.flatnonzero((left > s) | (s >= right))
        for _ in range(self.STEPS):
            if not wrong.size:
                break
            # c(min) = 0 <= slot < 2^P = c(max + 1): a step never leaves the range
            x[wrong] += np.where(left[wrong] > s[wrong], -1, 1)
            left[wrong], right[wrong] = self._c_pair(x[wrong], loc[wrong], scale[wrong])
            wrong = wrong[(left[wrong] > s[wrong]) | (s[wrong] >= right[wrong])]
        if wrong.size:
            xw, cw, mw = vector_lookup(f, slots[wrong], [loc[wrong], scale[wrong]])
            x[wrong], left[wrong], right[wrong] = xw, cw, np.asarray(cw) + np.asarray(mw)
        right -= left
        return x, left.astype(np.uint64), right.astype(np.uint64)


def vector_lookup(model, slots, params=()):
    """``(x, c, m)`` as arrays for an array of slots (one per lane), vectorized.

    A fixed :class:`~ansedu.EntropyModel` searches its ``cdf`` (``np.searchsorted``; the coder
    itself uses the faster :class:`SlotLookup`); a family with ``min_symbol``/``max_symbol``
    (the quantized Gaussian, Laplace, logistic) or a :class:`~ansedu.CategoricalTable` bisects
    the symbol range with its vectorized ``intervals`` (one call for all lanes per halving);
    anything else calls ``lookup`` per lane in Python.
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

    # -- encoding ----------------------------------------------------------------------

    def encode_reverse(self, symbols, model, *params) -> None:
        """Push ``symbols`` (symbol ``i`` on lane ``i mod K``) so that :meth:`decode` returns
        them first to last; the model protocol of :class:`~ansedu.AnsCoder`. Checked first:
        bad input raises and changes nothing."""
        one, _ = _models_of(model, self.precision)
        if (isinstance(one, EntropyModel) and type(one).intervals is EntropyModel.intervals
                and type(one).check_symbols is EntropyModel.check_symbols):
            # Each block gathers its intervals from the model's tables (no message-long arrays
            # of starts and masses) and checks its symbols on the way: the range by min and max
            # (mode="wrap" then skips take's own bounds check), probability zero by a zero mass.
            # A block that fails has the model check the whole message, which raises naming the
            # first bad symbol; nothing is stored before the last block is done.
            symbols = as_integers(symbols)
            cdf, masses = one.cdf.astype(np.uint64), one.masses.astype(np.uint64)

            def fill(lo, hi, c, m):
                block = symbols[lo:hi]
                if block.view(np.uint64).max() >= masses.size:  # (negative symbols are huge here)
                    one.check_symbols(symbols)
                np.take(cdf, block, out=c.reshape(-1), mode="wrap")
                np.take(masses, block, out=m.reshape(-1), mode="wrap")
                if not m.all():
                    one.check_symbols(symbols)
                    raise AssertionError("unreachable: a symbol of mass zero passed the model's check")
        else:
            if one is not None and hasattr(one, "intervals"):
                sym = np.asarray(symbols)
                arrays = _param_arrays(one, params, sym.size if sym.ndim == 1 else None)
                starts, masses = one.intervals(symbols, *arrays)
            else:
                starts, masses = encoding_intervals(symbols, model, params, self.precision)
            starts, masses = np.asarray(starts, dtype=np.int64), np.asarray(masses, dtype=np.int64)
            symbols = starts

            def fill(lo, hi, c, m):
                np.copyto(c, starts[lo:hi].reshape(c.shape), casting="unsafe")
                np.copyto(m, masses[lo:hi].reshape(m.shape), casting="unsafe")
        n, K = len(symbols), self.lanes
        full, rem = divmod(n, K)  # full steps of K symbols, then a last step of rem < K lanes
        block = max(1, _BLOCK // K)  # steps per block
        # work arrays for a block: the heads before each step and after the last, and which
        # lanes flush (in coding order: last step first); the starts, masses, flush bounds
        # and 2^P - m (in message order)
        buffers = [np.empty((block + (i == 0), K), dtype=bool if i == 5 else np.uint64) for i in range(6)]
        heads, pushed = self.heads.copy(), [self._bulk]
        if rem:  # the last step (lanes 0 .. rem - 1) comes first: encoding runs backwards
            bufs = [b[:2 if i == 0 else 1, :rem] for i, b in enumerate(buffers)]
            fill(full * K, n, bufs[1], bufs[2])
            heads[:rem] = self._encode_steps(heads[:rem], *bufs, pushed)
        for end in range(full, 0, -block):  # then the full steps, last first, a block at a time
            steps = min(block, end)
            bufs = [b[:steps + 1 if i == 0 else steps] for i, b in enumerate(buffers)]
            fill((end - steps) * K, end * K, bufs[1], bufs[2])
            heads = self._encode_steps(heads, *bufs, pushed)
        self._bulk, self.heads = np.concatenate(pushed), heads

    def _encode_steps(self, heads, hist, starts, masses, bound, grow, flush, pushed):
        """Encode the rows of ``starts``/``masses`` (one step per row, in message order, so
        the last row first) on the lanes ``heads``; append the words pushed to ``pushed`` (in
        push order) and return the new heads. ``hist``, ``bound``, ``grow`` and ``flush`` are
        work arrays."""
        P, W, S = self.precision, self.word_size, self.head_size
        # AnsCoder's flush condition (ansedu/coders/streaming.py) is h >> (S-P) >= m, that is
        # h > m 2^(S-P) - 1 (for m = 2^P and S = 64 the product wraps to 0, and the bound to
        # 2^64 - 1: such a symbol never flushes, as in AnsCoder).
        np.left_shift(masses, np.uint64(S - P), out=bound)
        np.subtract(bound, np.uint64(1), out=bound)
        # AnsCoder's step h' = (h // m) 2^P + h % m + c is h + c + (h // m)(2^P - m): one
        # division and no remainder; no partial sum exceeds h' < 2^S.
        np.subtract(np.uint64(1 << P), masses, out=grow)
        k = heads.size
        hist[0] = heads  # hist[t] is the heads before step t
        q, h, s, width = (np.empty(k, np.uint64) for _ in range(4))
        width[:] = W
        # (the ufuncs as local names, each output array given by position: per call, this saves
        # a fifth of numpy's fixed cost, which at a thousand lanes is most of the step's time)
        greater, multiply, right_shift, floor_divide, add = (
            np.greater, np.multiply, np.right_shift, np.floor_divide, np.add)
        for h_in, h_out, b, f, m, g, c in zip(hist[:-1], hist[1:], bound[::-1], flush, masses[::-1],
                                              grow[::-1], starts[::-1]):
            greater(h_in, b, f)
            multiply(f, width, s)
            right_shift(h_in, s, h)  # the flush: the lane's lowest W bits leave the head
            floor_divide(h, m, q)
            multiply(q, g, q)
            add(h, q, h_out)
            add(h_out, c, h_out)
        # The flushed words: the low W bits of the heads before the flushing steps, in step
        # order and within a step in lane order (what decoding pops back, last first).
        # (np.compress: much faster than indexing with a boolean array)
        words = np.compress(flush.ravel(), hist[:-1].ravel())
        words &= np.uint64((1 << W) - 1)
        pushed.append(words)
        return hist[-1].copy()

    # -- decoding ----------------------------------------------------------------------

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
        if isinstance(one, EntropyModel):
            table = SlotLookup(one)

            def lookup(slots, lo, hi):
                return table(slots)
            symbol = table.symbol
        elif FamilyLookup.fits(one):
            guess = FamilyLookup(one)

            def lookup(slots, lo, hi):
                return guess(slots, arrays[0][lo:hi], arrays[1][lo:hi])

            def symbol(x):
                return x
        else:
            def lookup(slots, lo, hi):
                x, c, m = vector_lookup(one, slots, [a[lo:hi] for a in arrays])
                return x, np.asarray(c, dtype=np.uint64), np.asarray(m, dtype=np.uint64)

            def symbol(x):
                return x
        K = self.lanes
        P, W = np.full(K, self.precision, np.uint64), np.uint64(self.word_size)
        pmask, low = np.full(K, (1 << self.precision) - 1, np.uint64), np.full(K, self._low, np.uint64)
        h, slots, refill = self.heads.copy(), np.empty(K, np.uint64), np.empty(K, bool)
        bulk, n = self._bulk, self._bulk.size
        out = np.empty(amt, dtype=np.int32)
        full, rem = divmod(amt, K)
        bitwise_and, right_shift, multiply, add, subtract, less, flatnonzero = (
            np.bitwise_and, np.right_shift, np.multiply, np.add, np.subtract, np.less, np.flatnonzero)
        for t in range(full + (rem > 0)):
            lo = t * K
            if t == full:  # the last step has fewer lanes: narrow every per-lane array
                h_all = h
                h, slots, refill, P, pmask, low = (a[:rem] for a in (h, slots, refill, P, pmask, low))
            bitwise_and(h, pmask, slots)  # (outputs by position, as in _encode_steps)
            x, c, m = lookup(slots, lo, lo + h.size)
            out[lo:lo + h.size] = symbol(x)
            # AnsCoder's undone step and refill (ansedu/coders/streaming.py), on all lanes at once:
            # h = m (h >> P) + slot - c
            right_shift(h, P, h)
            multiply(h, m, h)
            add(h, slots, h)
            subtract(h, c, h)
            less(h, low, refill)
            lanes = flatnonzero(refill)  # (faster than indexing with the boolean array)
            k = lanes.size
            if k:
                if k > n:
                    raise DecodeError(f"ran out of compressed data after decoding {lo} of {amt} symbols "
                                      "(the coder is unchanged)")
                refilled = h[lanes]
                refilled <<= W
                refilled |= bulk[n - k:n]  # the lowest refilling lane takes the deepest word
                h[lanes] = refilled
                n -= k
        if rem:
            h = h_all
        self.heads, self._bulk = h, bulk[:n]
        return out

    def __repr__(self) -> str:
        return (f"InterleavedAnsCoder(lanes={self.lanes}, precision={self.precision}, "
                f"word_size={self.word_size}, head_size={self.head_size})")
