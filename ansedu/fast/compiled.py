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
  masses to the kernel; other models with ``intervals`` (``CategoricalTable``, a
  continuous family with fixed parameters) pass the arrays of it; anything else (sequences of models, models without ``intervals``)
  runs the pure-Python coder;
- the quantized Gaussian, Laplace and logistic families (per-symbol ``loc``/``scale``
  arrays) encode and decode in kernels that compute each ``c(x)`` with the family's own
  functions (``_leaky_c`` and the tails of :mod:`ansedu.models.families`, compiled by
  numba through ``register_jitable``: the same operations in the same order, no fused
  multiply-add, no fastmath), so the masses, and the words, are the pure-Python ones;
  decoding guesses the symbol, checks it and searches (:func:`_family_lookup`), with
  fixed parameters too (the kernel then reads one ``loc`` and ``scale``).
  A family whose ``_c`` is not its own ``_leaky_c`` (replaced, as a test may do) runs in
  Python, and so does decoding a family with symbols outside int32 (the decoded array);
- decoding with one fixed model searches its ``cdf`` in the kernel; decoding with any other
  family (``CategoricalTable``) or a sequence of models calls the model's Python ``lookup``
  per symbol, i.e. it runs the pure-Python coder.

numba is optional: without it (or with ``compiled=False``) every call runs the
pure-Python coder and gives the same words. Compiled kernels are cached on disk
(``cache=True``; numba honours ``NUMBA_CACHE_DIR`` if the package directory is read-only).
numba checks a cached kernel against this file only: after editing the families'
arithmetic in ``ansedu/models/families.py``, delete ``ansedu/fast/__pycache__/*.nbi``
(or touch this file) to recompile. A stale kernel cannot give wrong output: on the first use
of each family in a process, :func:`_kernels_match` compares the kernels with the pure-Python
coder on a short message and, if they differ, warns and runs that family in Python.
"""

from __future__ import annotations

import importlib.util
import sys
from array import array

import numpy as np

from ..coders.streaming import AnsCoder
from ..errors import DecodeError
from ..models import families as _families
from ..models.categorical import EntropyModel
from ..models.families import _leaky_c
from .._validate import as_integers
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
        _KERNELS[loop] = numba.njit(cache=True, nogil=True, error_model="numpy")(loop)
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


_CHUNK = 1 << 22  # symbols per kernel call when decoding (the output grows chunk by chunk)
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
    # The families' arithmetic, compiled from the very functions the pure-Python coder runs
    # (numba's default float semantics: IEEE operations as written, never contracted into a
    # fused multiply-add or reordered; the tests check c(x) bit for bit).
    for f in (_families._gaussian_tail, _families._exp_pos, _families._laplace_tail,
              _families._logistic_tail, _leaky_c, _family_c, _invert, _family_lookup):
        register_jitable(f)
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


# -- model families: c(x) in the loop ------------------------------------------------------

#: the families' lower tails the kernels know, by number (``kind``)
_KINDS = {_families._gaussian_tail: 0, _families._laplace_tail: 1, _families._logistic_tail: 2}
_INT32 = (-2**31, 2**31 - 1)


def _family_kind(model):
    """``kind`` of a quantized continuous family whose ``c(x)`` the kernels compute, or -1."""
    if not isinstance(model, _families._QuantizedContinuous):
        return -1
    c = getattr(model, "_c", None)
    if not (getattr(c, "func", None) is _leaky_c and c.args[0] is model._tail):
        return -1  # c(x) is not the family's own _leaky_c (replaced): Python
    kind = _KINDS.get(model._tail, -1)
    if kind >= 0 and not _kernels_match(kind, type(model)):
        return -1
    return kind


def _family_decode_kind(model, args) -> int:
    """``kind`` when decoding ``decode(model, *args)`` with a family runs compiled, else -1: the
    family's own ``c(x)``, symbols that fit the int32 output, and parameter arrays or fixed
    parameters with an amount (shared by the ANS and range decoders)."""
    kind = _family_kind(model)
    if kind >= 0 and not _INT32[0] <= model.min_symbol <= model.max_symbol <= _INT32[1]:
        return -1  # the decoded int32 array could not hold every symbol: Python (and its error)
    if kind >= 0 and (num_params(model) == 2 or (len(args) == 1 and args[0] is not None)):
        return kind
    return -1


_MATCHED: dict = {}  # kind -> whether the (possibly cached) kernels agree with families.py


def _kernels_match(kind, family) -> bool:
    """Whether the compiled family kernels compute what ``ansedu/models/families.py`` computes now.

    numba checks a kernel it cached on disk against this file only, so after an edit of the
    families' arithmetic a cached kernel could silently keep the old one. On the first use of
    each family in a process, a short message with varied parameters is encoded and decoded by
    the kernels and by the pure-Python coder; if words or symbols differ, a warning says how to
    clear the cache and this family runs in Python (identical output, only slower)."""
    if kind not in _MATCHED:
        _MATCHED[kind] = True  # (the check itself runs the kernels)
        rng = np.random.default_rng(kind)
        model = family(-300, 300, precision=16)
        loc, scale = rng.normal(0.0, 100.0, 400), np.exp(rng.uniform(-6.0, 6.0, 400))
        x = np.clip(np.round(rng.normal(loc, np.minimum(scale, 50.0))), -300, 300).astype(np.int64)
        pure, fast = AnsCoder(precision=16), CompiledAnsCoder(precision=16)
        pure.encode_reverse(x, model, loc, scale)
        fast.encode_reverse(x, model, loc, scale)
        same = np.array_equal(pure.get_compressed(), fast.get_compressed())
        same = same and np.array_equal(fast.decode(model, loc, scale), x)
        if not same:
            import warnings
            warnings.warn(f"ansedu: the compiled kernels of {family.__name__} disagree with "
                          "ansedu/models/families.py (a stale numba cache after an edit?): that family "
                          "runs in pure Python. Delete ansedu/fast/__pycache__/*.nbi and *.nbc to "
                          "recompile.", RuntimeWarning, stacklevel=3)
        _MATCHED[kind] = bool(same)
    return _MATCHED[kind]


def _family_c(kind, lo_sym, hi_sym, total, free, free_int, x, loc, scale):
    """The family's ``c(x)``: :func:`ansedu.models.families._leaky_c` with its tail."""
    if kind == 0:
        return _leaky_c(_families._gaussian_tail, lo_sym, hi_sym, total, free, free_int, x, loc, scale)
    if kind == 1:
        return _leaky_c(_families._laplace_tail, lo_sym, hi_sym, total, free, free_int, x, loc, scale)
    return _leaky_c(_families._logistic_tail, lo_sym, hi_sym, total, free, free_int, x, loc, scale)


_INVERSES: dict = {}
_INVERSE_CELLS = 1 << 14


def _inverse_table(kind):
    """``z_j`` with ``F(z_j) = j / N`` (``N`` = :data:`_INVERSE_CELLS`) for the family's own
    standardized CDF ``F`` (its ``_tail``), by bisection; ``z_0 = -_Z_MAX``, ``z_N = _Z_MAX``.
    The decoder interpolates it for its guesses (any floating point is fine for a guess: the
    guess is checked with the exact ``c``)."""
    if kind not in _INVERSES:
        tail = next(t for t, k in _KINDS.items() if k == kind)
        p = np.arange(_INVERSE_CELLS + 1) / _INVERSE_CELLS
        q = np.minimum(p, 1.0 - p)  # the lower tail's probability
        lo, hi = np.zeros_like(q), np.full_like(q, _families._Z_MAX)
        for _ in range(64):  # F(-u) = tail(u) is non-increasing in u
            mid = 0.5 * (lo + hi)
            right = np.asarray(tail(mid)) > q
            lo = np.where(right, mid, lo)
            hi = np.where(right, hi, mid)
        _INVERSES[kind] = np.where(p < 0.5, -hi, hi)
    return _INVERSES[kind]


def _invert(inv, p, loc, scale, lo_sym, hi_sym):
    """A guess ``floor(loc + scale F^-1(p) + 1/2)`` for ``0 < p < 1``, from the table ``inv``
    (as ``_QuantizedContinuous._invert`` guesses with the exact inverse)."""
    cells = inv.size - 1
    t = p * cells
    j = int(t)
    if j >= cells:
        j = cells - 1
    z = inv[j] + (t - j) * (inv[j + 1] - inv[j])
    g = loc + scale * z + 0.5
    if not g < 4503599627370496.0:  # 2^52 (also NaN)
        return hi_sym
    if g < -4503599627370496.0:
        return lo_sym
    return int(np.floor(g))


def _family_lookup(kind, inv, lo_sym, hi_sym, total, free, free_int, leak, slot, loc, scale):
    """``(x, c(x), m(x))`` with ``c(x) <= slot < c(x + 1)``: what the family's ``lookup``
    returns (the answer is unique, as ``c`` increases; only the way there differs).

    As ``_QuantizedContinuous.lookup``: a bracket from the leaky floor, a guess from the inverse
    CDF (the table of :func:`_inverse_table` here, ``_guess``'s correction for the leaky floor
    when it matters), checked with two evaluations of ``c``; a wrong guess gallops and bisects
    as ``ansedu.models.families._search`` does (restated: numba cannot take its ``c``)."""
    hi = lo_sym + slot  # c(x) >= x - min
    if hi > hi_sym:
        hi = hi_sym
    lo = lo_sym + slot - free_int  # c(x + 1) <= 2^P - K + x + 1 - min
    if lo < lo_sym:
        lo = lo_sym
    x = _invert(inv, (slot + 0.5) * (1.0 / total), loc, scale, lo_sym, hi_sym)  # (a constant: hoisted)
    if leak:
        if free == 0.0:
            x = lo_sym + slot
        else:
            p = (slot + 0.5 - (x - lo_sym)) / free
            if p <= 0.0:
                x = lo_sym + slot
            elif p >= 1.0:
                x = lo_sym + slot - free_int
            else:
                x = _invert(inv, p, loc, scale, lo_sym, hi_sym)
    if x < lo:
        x = lo
    elif x > hi:
        x = hi
    cx = _family_c(kind, lo_sym, hi_sym, total, free, free_int, x, loc, scale)
    step = 1
    if cx <= slot:
        cx1 = _family_c(kind, lo_sym, hi_sym, total, free, free_int, x + 1, loc, scale)
        if slot < cx1:
            return x, cx, cx1 - cx  # the guess was right (the common case)
        lo = x + 1  # c(x + 1) <= slot: the answer is right of x
        while lo < hi:
            probe = lo + step
            if probe > hi:
                break
            if _family_c(kind, lo_sym, hi_sym, total, free, free_int, probe, loc, scale) > slot:
                hi = probe - 1
                break
            lo = probe
            step += step
    else:
        hi = x - 1  # c(x) > slot: the answer is left of x
        while lo < hi:
            probe = hi + 1 - step
            if probe < lo:
                break
            if _family_c(kind, lo_sym, hi_sym, total, free, free_int, probe, loc, scale) <= slot:
                lo = probe
                break
            hi = probe - 1
            step += step
    while lo < hi:  # invariant: c(lo) <= slot < c(hi + 1)
        mid = (lo + hi + 1) // 2
        if _family_c(kind, lo_sym, hi_sym, total, free, free_int, mid, loc, scale) <= slot:
            lo = mid
        else:
            hi = mid - 1
    c = _family_c(kind, lo_sym, hi_sym, total, free, free_int, lo, loc, scale)
    return lo, c, _family_c(kind, lo_sym, hi_sym, total, free, free_int, lo + 1, loc, scale) - c


def _family_encode_loop(kind, symbols, loc, scale, stride, lo_sym, hi_sym, total, free, free_int,
                        head, words, n, P, W, shift, mask):
    """Encode in reverse with a family: ``c(x)`` and ``c(x + 1)`` in the loop (what the family's
    ``intervals`` computes, edges included: ``c(min) = 0``, ``c(max + 1) = 2^P``), with the
    parameters ``loc[i * stride]``, ``scale[i * stride]`` (``stride`` 0: fixed parameters).
    Returns ``(bad, head, n)`` as :func:`_encode_loop`; ``bad >= 0`` also for a bad parameter.

    In blocks, last block first: first the block's intervals (they do not depend on the head,
    so the processor works on many at once), then the steps, which wait for each other."""
    block = 512
    starts = np.empty(block, dtype=np.uint64)
    masses = np.empty(block, dtype=np.uint64)
    end = symbols.size
    while end > 0:
        first = max(0, end - block)
        for i in range(first, end):
            x = symbols[i]
            lc = loc[i * stride]
            sc = scale[i * stride]
            if x < lo_sym or x > hi_sym or not (-np.inf < lc < np.inf and 0.0 < sc < np.inf):
                return i, head, n
            c = _family_c(kind, lo_sym, hi_sym, total, free, free_int, x, lc, sc)
            starts[i - first] = np.uint64(c)
            masses[i - first] = np.uint64(_family_c(kind, lo_sym, hi_sym, total, free, free_int, x + 1, lc, sc) - c)
        for i in range(end - 1, first - 1, -1):
            c = starts[i - first]
            m = masses[i - first]
            # Mirrors AnsCoder.encode_reverse (as _encode_loop does): flush, then the step.
            if (head >> shift) >= m:
                words[n] = head & mask
                n += 1
                head >>= W
            q = head // m
            head = (q << P) + (head - q * m) + c
        end = first
    return -1, head, n


def _family_intervals_loop(kind, symbols, loc, scale, lo_sym, hi_sym, total, free, free_int, starts, masses):
    """``starts[i], masses[i] = c(x), c(x + 1) - c(x)`` for every symbol, with per-symbol
    parameters (what the family's ``intervals`` computes, for the range encoder). Returns the
    position of a bad symbol or parameter, or -1."""
    for i in range(symbols.size):
        x = symbols[i]
        lc = loc[i]
        sc = scale[i]
        if x < lo_sym or x > hi_sym or not (-np.inf < lc < np.inf and 0.0 < sc < np.inf):
            return i
        c = _family_c(kind, lo_sym, hi_sym, total, free, free_int, x, lc, sc)
        starts[i] = np.uint64(c)
        masses[i] = np.uint64(_family_c(kind, lo_sym, hi_sym, total, free, free_int, x + 1, lc, sc) - c)
    return -1


def _family_decode_loop(kind, inv, loc, scale, stride, lo_sym, hi_sym, total, free, free_int, leak,
                        amt, head, words, n, P, W, low, out):
    """Decode ``amt`` symbols with a family; returns ``(done, head, n, why)``: ``why`` 0 done,
    1 the data ran out at symbol ``done``, 2 a bad parameter at ``done`` (the caller raises
    the pure path's error, changing nothing)."""
    pmask = (np.uint64(1) << P) - np.uint64(1)
    for i in range(amt):
        lc = loc[i * stride]
        sc = scale[i * stride]
        if not (-np.inf < lc < np.inf and 0.0 < sc < np.inf):
            return i, head, n, 2
        slot = head & pmask
        x, c, m = _family_lookup(kind, inv, lo_sym, hi_sym, total, free, free_int, leak,
                                 np.int64(slot), lc, sc)
        # Mirrors AnsCoder.decode (as _decode_loop does): the undone step and the refill.
        head = np.uint64(m) * (head >> P) + slot - np.uint64(c)
        if head < low:
            if n == 0:
                return i, head, n, 1
            n -= 1
            head = (head << W) | words[n]
        out[i] = x
    return amt, head, n, 0


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
        kind = _family_kind(one)
        if kind >= 0 and num_params(one) == 2:
            return self._encode_family(kind, one, symbols, params)
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
        kind = _family_decode_kind(one, args) if self.compiled else -1
        if kind >= 0:
            return self._decode_family(kind, one, args)
        if (not self.compiled or not isinstance(one, EntropyModel) or num_params(one)
                or len(args) != 1 or args[0] is None):
            return self._python(AnsCoder.decode, model, *args)
        amt = check_amount(args[0])
        bucket_shift = max(0, self.precision - 12)  # 2^12 buckets of slots at most
        cdf = one.cdf.astype(np.uint64)
        starts = np.arange(0, 1 << self.precision, 1 << bucket_shift, dtype=np.uint64)
        hint = np.searchsorted(cdf, starts, side="right").astype(np.int64) - 1
        hint = np.append(hint, cdf.size - 2)  # after the last bucket: hi = the alphabet size
        masses, loop = one.masses.astype(np.uint64), _compiled(_decode_loop)

        def step(first, out, head, n):  # one chunk: (done, head, n, why)
            done, head, n = loop(cdf, masses, hint, _U(bucket_shift), out.size, head, self._words, n,
                                 _U(self.precision), _U(self.word_size), _U(self._low), out)
            return done, head, n, int(done < out.size)

        return self._decode_chunks(amt, step, lambda done, why: None)

    def _decode_chunks(self, amt, step, explain):
        """Decode ``amt`` symbols in chunks of at most ``_CHUNK`` (so that an amount larger than the
        data can hold runs out of data, as in AnsCoder, instead of asking for a huge array first).
        ``step(first, out, head, n)`` decodes ``out.size`` symbols from symbol ``first`` on and
        returns ``(done, head, n, why)``, ``why`` nonzero when it stopped early; ``explain(done,
        why)`` may raise the pure path's error for that. The coder changes only on success."""
        head, n, pieces, total = _U(self.head), self._n, [], 0
        while True:
            out = np.empty(min(amt - total, _CHUNK), dtype=np.int32)
            done, head, n, why = step(total, out, _U(head), n)
            pieces.append(out[:done])
            total += int(done)
            if why:
                explain(total, why)
                raise DecodeError(
                    f"ran out of compressed data after decoding {total} of {amt} symbols: the coder is "
                    "empty, or its data is truncated or corrupted (the coder is unchanged)")
            if total == amt:
                break
        self.head, self._n = int(head), int(n)
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)

    # -- model families ------------------------------------------------------------------

    def _family_constants(self, one):
        return (one.min_symbol, one.max_symbol, one._total, one._free, one._free_int)

    def _encode_family(self, kind, one, symbols, params) -> None:
        """Encode with a quantized continuous family (per-symbol ``loc``/``scale``)."""
        if isinstance(symbols, np.ndarray) and symbols.dtype in (np.int64, np.int32) and symbols.ndim == 1:
            sym = symbols  # checked by the loop
        else:
            sym = as_integers(symbols)  # AnsCoder's first check: raises before anything changes
        arrays = _param_arrays(one, params, sym.size)  # the counts and lengths, as AnsCoder checks them
        loc, scale = (np.ascontiguousarray(a, dtype=np.float64) for a in arrays)
        if sym.size == 0:
            return
        words = np.empty(self._n + sym.size + 1, dtype=self.dtype)  # (as encode_reverse)
        words[:self._n] = self._words[:self._n]
        bad, head, n = _compiled(_family_encode_loop)(
            kind, sym, loc, scale, 1, *self._family_constants(one), _U(self.head), words, self._n,
            _U(self.precision), _U(self.word_size), _U(self.head_size - self.precision),
            _U((1 << self.word_size) - 1))
        if bad >= 0:
            one.intervals(sym, *arrays)  # raises the pure path's error (the first bad symbol or parameter)
            raise AssertionError(f"the compiled loop rejected symbol {bad}, the family accepts it")
        self._words, self._n, self.head = words[:n], int(n), int(head)

    def _decode_family(self, kind, one, args):
        """Decode with a quantized continuous family: per-symbol parameter arrays, or fixed
        parameters and an amount."""
        if num_params(one):
            arrays = _param_arrays(one, args)  # as decoding_lookup: the count and the shapes
            loc, scale = (np.ascontiguousarray(a, dtype=np.float64) for a in arrays)
            amt, stride = loc.size, 1
        else:
            amt, stride, arrays = check_amount(args[0]), 0, ()
            loc, scale = (np.array([v], dtype=np.float64) for v in one.params)
        loop, inv, constants = _compiled(_family_decode_loop), _inverse_table(kind), self._family_constants(one)

        def step(first, out, head, n):  # one chunk: (done, head, n, why)
            a, b = (first, first + out.size) if stride else (0, 1)
            done, head, n, why = loop(
                kind, inv, loc[a:b], scale[a:b], stride, *constants, bool(one._leak_matters), out.size,
                head, self._words, n, _U(self.precision), _U(self.word_size), _U(self._low), out)
            return done, head, n, why

        def explain(done, why):
            # AnsCoder checks every parameter before decoding: its error comes first
            if arrays and callable(getattr(one, "check_params", None)):
                one.check_params(*arrays)
            if why == 2:
                raise AssertionError(f"the compiled loop rejected parameter {done}, the family accepts it")

        return self._decode_chunks(amt, step, explain)

    def __repr__(self) -> str:
        return "Compiled" + super().__repr__() + ("" if self.compiled else " (pure Python)")
