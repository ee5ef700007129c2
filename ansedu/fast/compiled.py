"""A compiled streaming ANS coder: :class:`~ansedu.coders.streaming.AnsCoder`'s loops in numba.

:class:`CompiledAnsCoder` gives exactly the words of :class:`~ansedu.AnsCoder` (same
flush, step and refill, same layout of the compressed data); only the loops over the
symbols run as machine code. The readable step stays in ``ansedu/coders/streaming.py``,
which is what the book teaches; the two kernels below mirror it line by line and say
which lines.

What is compiled, and what stays Python:

- settings whose head fits into numba's 64-bit integers (``head_size <= 64``) are
  compiled; wider heads (``(20, 32, 96)``, ``(40, 64, 128)``) need Python's big
  integers and run the pure-Python coder;
- encoding with one fixed model (:class:`~ansedu.EntropyModel`) passes its ``cdf`` and
  masses to the kernel; a model family passes the arrays of its vectorized
  ``intervals``; anything else (sequences of models, models without ``intervals``)
  runs the pure-Python coder;
- decoding with one fixed model searches its ``cdf`` in the kernel; decoding with a
  family (or a sequence of models) calls the model's Python ``lookup`` per symbol, i.e.
  it runs the pure-Python coder.

numba is optional: without it (or with ``compiled=False``) every call runs the
pure-Python coder and gives the same words. Compiled kernels are cached on disk
(``cache=True``; numba honours ``NUMBA_CACHE_DIR`` if the package directory is read-only).
"""

from __future__ import annotations

import importlib.util
import sys

import numpy as np

from ..coders.streaming import AnsCoder
from ..errors import DecodeError, WordTypeError
from ..models.categorical import EntropyModel
from ..models.protocol import _models_of, _param_arrays, check_amount, num_params

__all__ = ["CompiledAnsCoder", "HAVE_NUMBA"]

def _numba_installed() -> bool:
    # Looked up, not imported: importing numba takes a noticeable fraction of a second, so it
    # happens at the first compiled call (see _compiled), not at `import ansedu`.
    if "numba" in sys.modules:
        return sys.modules["numba"] is not None
    try:
        return importlib.util.find_spec("numba") is not None
    except (ImportError, ValueError):
        return False


#: whether numba is installed (pip install ansedu[fast]); without it everything runs pure Python
HAVE_NUMBA = _numba_installed()
_KERNELS: dict = {}


def _compiled(loop):
    """``loop`` compiled by numba (once per process; the machine code is cached on disk)."""
    if loop not in _KERNELS:
        import numba
        _KERNELS[loop] = numba.njit(cache=True, nogil=True)(loop)
    return _KERNELS[loop]


def _encode_loop(starts, masses, symbols, head, words, n, P, W, shift, mask):
    """Encode in reverse; ``symbols`` (int64) index ``starts``/``masses`` (uint64 tables),
    or is empty and ``starts``/``masses`` are per-symbol arrays. Returns ``(head, n)``."""
    per_symbol = symbols.size == 0
    count = starts.size if per_symbol else symbols.size
    for i in range(count - 1, -1, -1):
        if per_symbol:
            c = starts[i]
            m = masses[i]
        else:
            c = starts[symbols[i]]
            m = masses[symbols[i]]
        # Mirrors AnsCoder.encode_reverse in ansedu/coders/streaming.py: the flush
        # condition `if head >> shift >= m` (push the lowest word) and the step
        # `head = ((head // m) << P) + head % m + c`; the invariants are argued there.
        if (head >> shift) >= m:
            words[n] = head & mask
            n += 1
            head >>= W
        head = ((head // m) << P) + head % m + c
    return head, n


def _decode_loop(cdf, masses, hint, bucket_shift, amt, head, words, n, P, W, low, out):
    """Decode ``amt`` symbols with one fixed model; returns ``(decoded, head, n)``:
    ``decoded < amt`` means the data ran out (the caller raises, changing nothing).
    ``hint[b]`` is the symbol that owns the first slot of bucket ``b`` (slots ``>> bucket_shift``),
    with one more entry, the last symbol."""
    pmask = (np.uint64(1) << P) - np.uint64(1)
    for i in range(amt):
        slot = head & pmask
        # The model's lookup (EntropyModel.lookup): the last x with cdf[x] <= slot, by
        # bisection between the symbols owning the first slots of this bucket and the next.
        b = slot >> bucket_shift
        lo = hint[b]
        hi = hint[b + 1] + 1  # cdf[lo] <= slot < cdf[hi]
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if cdf[mid] <= slot:
                lo = mid
            else:
                hi = mid
        c = cdf[lo]
        m = masses[lo]
        # Mirrors AnsCoder.decode in ansedu/coders/streaming.py: the undone step
        # `head = m * (head >> P) + slot - c` and the refill `if head < low`.
        head = m * (head >> P) + slot - c
        if head < low:
            if n == 0:
                return i, head, n
            n -= 1
            head = (head << W) | words[n]
        out[i] = lo
    return amt, head, n


def _first_bad_symbol(symbols, masses):
    """The position of the first symbol outside the alphabet or of mass zero, or -1."""
    for i in range(symbols.size):
        x = symbols[i]
        if x < 0 or x >= masses.size or masses[x] == 0:
            return i
    return -1


_U = np.uint64


class CompiledAnsCoder(AnsCoder):
    """:class:`~ansedu.AnsCoder` with its loops compiled by numba (same arguments, same words).

    >>> import numpy as np
    >>> from ansedu import AnsCoder, Categorical, CompiledAnsCoder
    >>> model = Categorical([0.5, 0.3, 0.2])
    >>> fast = CompiledAnsCoder(); fast.encode_reverse([0, 2, 1, 0], model)
    >>> slow = AnsCoder(); slow.encode_reverse([0, 2, 1, 0], model)
    >>> bool(np.array_equal(fast.get_compressed(), slow.get_compressed()))
    True

    Args: those of :class:`~ansedu.AnsCoder`, and ``compiled`` (default True): False runs
    the pure-Python coder (as does a missing numba or a head wider than 64 bits).
    """

    def __init__(self, compressed=None, *, precision: int = 24, word_size: int = 32,
                 head_size: int = 64, debug: bool = False, compiled: bool = True):
        super().__init__(compressed, precision=precision, word_size=word_size,
                         head_size=head_size, debug=debug)
        # The bulk lives in a uint64 numpy array here (a list in AnsCoder).
        self._words = np.array(self._words, dtype=np.uint64)
        self.compiled = bool(compiled) and HAVE_NUMBA and self.head_size <= 64 and not self.debug

    def _load(self, compressed) -> None:
        if isinstance(compressed, np.ndarray) and compressed.dtype == self.dtype and compressed.ndim == 1 \
                and compressed.size and not np.any(compressed.astype(np.uint64) >> _U(self.word_size)) \
                and self.head_size <= 64:
            k = self.head_size // self.word_size
            if len(compressed) < k:
                raise DecodeError(f"compressed data of {len(compressed)} words is truncated: a non-empty "
                                  f"message has at least {k} words (the head)")
            if compressed[-1] == 0:
                raise DecodeError("compressed data is corrupted or truncated: its last word (the top of "
                                  "the head) is zero, which get_compressed never writes")
            head = 0
            for w in reversed(compressed[len(compressed) - k:].tolist()):
                head = (head << self.word_size) | w
            n = len(compressed) - k
            self._words, self._n, self.head = compressed[:n].astype(np.uint64), n, head
        else:
            super()._load(compressed)  # the checks and error messages of AnsCoder

    # -- the list-based pure-Python coder, for what is not compiled ---------------

    def _python(self, method, *args):
        self._words = self._words.tolist()
        try:
            return method(self, *args)
        finally:
            self._words = np.array(self._words, dtype=np.uint64)

    def get_compressed(self) -> np.ndarray:
        if self.is_empty():
            return np.zeros(0, dtype=self.dtype)
        mask = (1 << self.word_size) - 1
        head_words = [(self.head >> s) & mask for s in range(0, self.head_size, self.word_size)]
        return np.concatenate([self._words[:self._n], np.array(head_words, dtype=np.uint64)]).astype(self.dtype)

    def clear(self) -> None:
        super().clear()
        self._words = np.zeros(0, dtype=np.uint64)

    def clone(self) -> "CompiledAnsCoder":
        twin = CompiledAnsCoder(precision=self.precision, word_size=self.word_size,
                                head_size=self.head_size, debug=self.debug, compiled=self.compiled)
        twin._words, twin._n, twin.head = self._words.copy(), self._n, self.head
        return twin

    def encode_reverse(self, symbols, model, *params) -> None:
        """As :meth:`AnsCoder.encode_reverse`; compiled for one model with ``intervals``."""
        one, _ = _models_of(model, self.precision)
        if not self.compiled or one is None or not hasattr(one, "intervals"):
            return self._python(AnsCoder.encode_reverse, symbols, model, *params)
        if isinstance(one, EntropyModel) and not params:
            starts, masses = one.cdf.astype(np.uint64), one.masses.astype(np.uint64)
            if isinstance(symbols, np.ndarray) and symbols.dtype in (np.int64, np.int32) and symbols.ndim == 1:
                sym = symbols if symbols.dtype == np.int64 else symbols.astype(np.int64)
                if _compiled(_first_bad_symbol)(sym, masses) >= 0:  # the same check as one.check_symbols, compiled
                    one.check_symbols(symbols)  # raises the model's error, before anything changes
            else:
                sym = one.check_symbols(symbols)  # raises before anything changes
            count = sym.size
        else:
            sym_in = np.asarray(symbols)
            arrays = _param_arrays(one, params, sym_in.size if sym_in.ndim == 1 else None)
            starts, masses = one.intervals(symbols, *arrays)
            starts, masses = np.asarray(starts, dtype=np.uint64), np.asarray(masses, dtype=np.uint64)
            sym = np.zeros(0, dtype=np.int64)
            count = starts.size
        if count == 0:
            return
        words = np.empty(self._n + count + 1, dtype=np.uint64)  # at most one flush per symbol
        words[:self._n] = self._words[:self._n]
        head, n = _compiled(_encode_loop)(starts, masses, sym, _U(self.head), words, self._n,
                                 _U(self.precision), _U(self.word_size),
                                 _U(self.head_size - self.precision), _U((1 << self.word_size) - 1))
        self._words, self._n, self.head = words[:n], int(n), int(head)

    def decode(self, model, *args):
        """As :meth:`AnsCoder.decode`; compiled for one fixed model and an amount."""
        one, _ = _models_of(model, self.precision)
        if (not self.compiled or not isinstance(one, EntropyModel) or num_params(one)
                or len(args) != 1 or args[0] is None):
            return self._python(AnsCoder.decode, model, *args)
        amt = check_amount(args[0])
        out = np.empty(amt, dtype=np.int32)
        bucket_shift = max(0, self.precision - 12)  # 2^12 buckets of slots at most
        cdf = one.cdf.astype(np.uint64)
        starts = np.arange(0, 1 << self.precision, 1 << bucket_shift, dtype=np.uint64)
        hint = np.searchsorted(cdf, starts, side="right").astype(np.int64) - 1
        hint = np.append(hint, cdf.size - 2)  # after the last bucket: hi = the alphabet size
        done, head, n = _compiled(_decode_loop)(cdf, one.masses.astype(np.uint64), hint, _U(bucket_shift), amt,
                                       _U(self.head), self._words, self._n, _U(self.precision),
                                       _U(self.word_size), _U(self._low), out)
        if done < amt:
            raise DecodeError(
                f"ran out of compressed data after decoding {done} of {amt} symbols: the coder is "
                "empty, or its data is truncated or corrupted (the coder is unchanged)")
        self.head, self._n = int(head), int(n)
        return out

    def __repr__(self) -> str:
        return "Compiled" + super().__repr__() + ("" if self.compiled else " (pure Python)")
