"""A compiled streaming ANS coder: :class:`~ansedu.coders.streaming.AnsCoder`'s loops in numba.

:class:`CompiledAnsCoder` gives exactly the words of :class:`~ansedu.AnsCoder` (same
flush, step and refill, same layout of the compressed data); only the loops over the
symbols run as machine code. The readable step stays in ``ansedu/coders/streaming.py``,
which is what the book teaches; the two kernels below mirror it line by line and say
which lines. One step is computed differently, with the same result: encoding with a fixed
model divides the head by a mass through a precomputed reciprocal (:func:`_divide`, exact,
argued there) instead of a division instruction, which would be most of a step's time.

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
from array import array

import numpy as np

from ..coders.streaming import AnsCoder
from ..errors import DecodeError
from ..models.categorical import EntropyModel
from ..models.protocol import _models_of, _param_arrays, check_amount, num_params

__all__ = ["CompiledAnsCoder", "HAVE_NUMBA"]

_U = np.uint64


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
        _register_helpers()
        _KERNELS[loop] = numba.njit(cache=True, nogil=True)(loop)
    return _KERNELS[loop]


# -- dividing by a mass without a division instruction --------------------------------
#
# Encoding's step divides the head by the symbol's mass m, and each step waits for the one
# before: a 64-bit division instruction (about 15 cycles on a recent x86) is most of a step.
# For a fixed model the masses are known before the loop, so each gets a precomputed
# reciprocal, and the loop divides by one multiplication, an addition and a shift. Integer
# arithmetic throughout: the quotient is exact, with no float estimate to correct. These
# helpers are plain Python (exact on Python ints, which is how the tests check the
# arithmetic, besides checking it compiled) and run inside the compiled loop through numba's
# register_jitable (see _register_helpers).

def _mulhi(a, b):
    """The high 64 bits of the 128-bit product of two 64-bit numbers: ``(a * b) >> 64``.
    (Compiled: one multiply instruction; numba has no 128-bit integers, see _register_helpers.)"""
    return (int(a) * int(b)) >> 64


def _reciprocals(masses):
    """``(magic, l)``, uint64 arrays (division by invariant integers, Granlund and Montgomery,
    PLDI 1994), for masses ``1 <= d <= 2^32`` (precision <= 32): then
    ``_divide(n, magic, l) == n // d`` for ``0 <= n < d 2^(64-l)``. Masses 0 get the tables
    of 1 (they are never divided by: such symbols cannot be encoded).

    ``l`` is the number of bits of ``d - 1``, so ``2^(l-1) < d <= 2^l``, and ``magic`` holds the
    low 64 bits of the 65-bit multiplier ``M = floor(2^(64+l) / d) + 1``:
    ``magic = M - 2^64 = floor(2^64 (2^l - d) / d) + 1``, below ``2^64`` as ``2^l - d < d``.
    """
    d = np.maximum(np.asarray(masses, dtype=np.uint64), _U(1))
    if np.any(d > _U(1 << 32)):
        raise ValueError("_reciprocals takes masses of at most 2^32 (precision <= 32)")
    _, l = np.frexp((d - _U(1)).astype(np.float64))  # l = bits of d - 1 (exact: d - 1 < 2^53)
    l = l.astype(np.uint64)
    a = (_U(1) << l) - d  # 2^l - d < d <= 2^32
    # floor(2^64 a / d) by long division in base 2^32 (each dividend fits into 64 bits, as a, r1 < d <= 2^32)
    q1, r1 = np.divmod(a << _U(32), d)
    q0 = (r1 << _U(32)) // d
    return (q1 << _U(32)) + q0 + _U(1), l


def _divide(n, magic, l):
    """``n // d`` for ``0 <= n < d 2^(64-l)``, given the tables of ``d`` from :func:`_reciprocals`.

    Why it is exact. ``e = M d - 2^(64+l)`` is in ``(0, d]`` (``M`` rounds ``2^(64+l)/d`` up).
    Write ``n = q d + r`` with ``0 <= r < d``: ``n M / 2^(64+l) = q + r/d + n e / (d 2^(64+l))``,
    and the last term is below ``2^-l <= 1/d`` (as ``n < 2^64`` and ``e <= d``), so the
    fraction stays below ``(d-1)/d + 1/d = 1`` and ``floor(n M / 2^(64+l)) = q``. As
    ``n M / 2^64 = n + n magic / 2^64``, that is ``(n + t) >> l`` with ``t = _mulhi(magic, n)``.

    Why nothing overflows: ``n + t <= n M / 2^64 <= n 2^l / d + n / 2^64``, and for
    ``n <= d 2^(64-l) - 1`` that is below ``2^64 - 1 + 1``. In the encoding step ``n`` is a head
    after the flush, below ``m 2^(S-P)``; that is at most ``m 2^(64-l)`` because ``S <= 64``
    and ``l <= P`` (a mass is at most ``2^P``).
    """
    return (n + _mulhi(magic, n)) >> l


_TABLES: dict = {}  # the masses' bytes -> the tables of _fixed_tables, for the last few models


def _fixed_tables(model):
    """``(starts, masses, magic, shifts)`` of a fixed model as uint64 arrays, kept for the last
    few models: computing the reciprocals costs tens of microseconds, as much as encoding a
    few thousand symbols."""
    key = (model.precision, model.masses.tobytes())
    if key not in _TABLES:
        if len(_TABLES) >= 8:
            del _TABLES[next(iter(_TABLES))]
        masses = model.masses.astype(np.uint64)
        _TABLES[key] = (model.cdf.astype(np.uint64), masses) + _reciprocals(masses)
    return _TABLES[key]


_REGISTERED: list = []


def _register_helpers() -> None:
    """Make the helpers above callable from compiled code (once): ``_divide`` as it is (numba
    compiles its Python), ``_mulhi`` as a 128-bit multiplication, which numba's integers cannot
    write. The Python functions stay what they are for Python callers."""
    if _REGISTERED:
        return
    from llvmlite import ir
    from numba.core import types
    from numba.extending import intrinsic, overload, register_jitable

    @intrinsic
    def mulhi_u64(typingctx, a, b):
        def codegen(context, builder, signature, args):
            wide = ir.IntType(128)
            product = builder.mul(builder.zext(args[0], wide), builder.zext(args[1], wide))
            return builder.trunc(builder.lshr(product, ir.Constant(wide, 64)), ir.IntType(64))
        if a == types.uint64 and b == types.uint64:
            return types.uint64(types.uint64, types.uint64), codegen

    @overload(_mulhi)
    def mulhi_impl(a, b):
        return lambda a, b: mulhi_u64(a, b)

    register_jitable(_divide)
    _REGISTERED.append(True)


def _encode_loop(starts, masses, magic, shifts, symbols, head, words, n, P, W, shift, mask):
    """Encode in reverse; ``symbols`` index ``starts``/``masses`` (uint64 tables) and the
    reciprocals of the masses (``_reciprocals``), or ``symbols`` is empty and ``starts``/``masses``
    are per-symbol arrays (divided by a division instruction: their reciprocals would cost
    more to compute than the divisions they save). Returns ``(bad, head, n)``: ``bad >= 0`` is
    the position of a symbol outside the alphabet or of mass zero; the caller then discards
    ``head``, ``n`` and ``words`` and raises the model's error, changing nothing."""
    per_symbol = symbols.size == 0
    count = starts.size if per_symbol else symbols.size
    for i in range(count - 1, -1, -1):
        if per_symbol:
            c = starts[i]
            m = masses[i]
        else:
            x = symbols[i]
            # EntropyModel.check_symbols's rule, restated here because numba cannot call it; on a
            # bad symbol the caller runs the model's own check, which raises its error
            if x < 0 or x >= masses.size or masses[x] == 0:
                return i, head, n
            c = starts[x]
            m = masses[x]
        # Mirrors AnsCoder.encode_reverse in ansedu/coders/streaming.py: the flush
        # condition `if head >> shift >= m` (push the lowest word) and the step
        # `head = ((head // m) << P) + head % m + c`; the invariants are argued there.
        if (head >> shift) >= m:
            words[n] = head & mask
            n += 1
            head >>= W
        if per_symbol:
            q = head // m
        else:
            q = _divide(head, magic[x], shifts[x])  # == head // m, exactly (head < m 2^(S-P) now)
        head = (q << P) + (head - q * m) + c  # head - q * m == head % m
    return -1, head, n


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
        # The bulk lives in a numpy array of the word type here (an array.array in AnsCoder).
        if not isinstance(self._words, np.ndarray):  # (_load below made it one already)
            self._words = np.frombuffer(self._words, dtype=self.dtype).copy()
        self.compiled = bool(compiled) and HAVE_NUMBA and self.head_size <= 64 and not self.debug

    def _load(self, compressed) -> None:
        super()._load(compressed)  # the checks and error messages of AnsCoder
        self._words = np.frombuffer(self._words, dtype=self.dtype).copy()  # writable, our own

    # -- the pure-Python coder (on an array.array bulk), for what is not compiled --

    def _python(self, method, *args):
        self._words = array(self._typecode, self._words.tobytes())
        try:
            return method(self, *args)
        finally:
            self._words = np.frombuffer(self._words, dtype=self.dtype).copy()

    def clear(self) -> None:
        super().clear()
        self._words = np.zeros(0, dtype=self.dtype)

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
            starts, masses, magic, shifts = _fixed_tables(one)
            if isinstance(symbols, np.ndarray) and symbols.dtype in (np.int64, np.int32) and symbols.ndim == 1:
                sym = symbols  # checked by the loop
            else:
                sym = one.check_symbols(symbols)  # raises before anything changes
            count = sym.size
        else:
            sym_in = np.asarray(symbols)
            arrays = _param_arrays(one, params, sym_in.size if sym_in.ndim == 1 else None)
            starts, masses = one.intervals(symbols, *arrays)
            starts, masses = np.asarray(starts, dtype=np.uint64), np.asarray(masses, dtype=np.uint64)
            sym, magic = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)  # (not used)
            shifts = magic
            count = starts.size
        if count == 0:
            return
        # At most one flush per symbol. Pages of this buffer that are never written (most of
        # it: a word holds several symbols) are never touched, so they cost no memory.
        words = np.empty(self._n + count + 1, dtype=self.dtype)
        words[:self._n] = self._words[:self._n]
        bad, head, n = _compiled(_encode_loop)(
            starts, masses, magic, shifts, sym, _U(self.head), words, self._n, _U(self.precision),
            _U(self.word_size), _U(self.head_size - self.precision), _U((1 << self.word_size) - 1))
        if bad >= 0:
            one.check_symbols(symbols)  # raises the model's error (the first bad symbol's); nothing changed
            raise AssertionError(f"the compiled loop rejected symbol {bad}, the model accepts it")
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
