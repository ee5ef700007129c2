"""Model families: quantized continuous distributions and categorical tables with per-symbol parameters.

A neural compression model predicts a different distribution for every symbol: a mean and a
scale per pixel, or a probability vector per position. A *model family* (``num_params = k > 0``
in the model protocol, :mod:`ansedu.models.protocol`) is given the ``k`` parameter arrays
alongside the message, in constriction's style::

    coder.encode_reverse(symbols, QuantizedGaussian(-127, 127), means, stds)
    decoded = coder.decode(QuantizedGaussian(-127, 127), means, stds)

Built with fixed parameters (``QuantizedGaussian(-127, 127, mean=0.0, std=5.0)``) the same class
is one fixed distribution (``num_params = 0``), used like a :class:`~ansedu.models.Categorical`.

**Leaky quantization.** For a distribution with CDF ``F`` on the integers ``min .. max``
(``K = max - min + 1`` of them) and precision ``P``, symbol ``x`` owns the slots
``c(x) .. c(x + 1) - 1`` with

    c(min) = 0,   c(max + 1) = 2^P,
    c(x) = floor(F(x - 1/2) * (2^P - K)) + (x - min)   for min < x <= max.

Every symbol gets one slot for free (the ``x - min`` term: the *leaky floor*), and the other
``2^P - K`` slots are shared out by the continuous distribution; the probability outside the
range (the tails beyond ``min - 1/2`` and ``max + 1/2``) goes to the edge symbols. As ``F`` is
non-decreasing, ``c`` increases by at least one per symbol: every mass is at least 1.

**Bit-identical masses.** Encoder and decoder must compute exactly the same ``c(x)``, even on
different machines, or decoding turns into garbage (chapter 8 shows it). ``numpy.exp`` and
``math.exp`` may differ in the last bit (SIMD implementations, other libm versions), so ``F``
is evaluated here with correctly rounded IEEE operations only (``+ - * /``, comparisons,
``floor`` and ``ceil``), in ONE function that runs unchanged on numpy arrays (the vectorized encoder) and on
Python floats (the per-symbol decoder). IEEE 754 fixes the result of each such operation to the
last bit, so the same inputs give the same masses everywhere. The functions are also monotone
*in floating point*, not only in exact arithmetic: they are compositions of monotone rounded
operations (Horner polynomials with positive coefficients in a non-negative variable, squaring
of non-negative numbers, division of a positive constant), so the leaky floor can never be broken
by a rounding error. Only the lower tail ``F(-u)`` is ever computed: right of the location the
(symmetric) distributions use ``floor(F(z) M) = M - ceil(F(-z) M)``, which keeps the upper tail
that ``1 - F(-z)`` would round away.

- Gaussian: ``erfc(t) ~ 1 / (1 + a1 t + ... + a6 t^6)^16`` (Abramowitz and Stegun 7.1.28,
  absolute error below ``3e-7``; all ``a_i > 0``), so ``F`` is within ``1.5e-7`` of the exact CDF.
- Laplace and logistic: ``exp(u)`` for ``u >= 0`` as ``T(u / 2^10)^(2^10)`` with ``T`` the degree-6
  Taylor polynomial (relative error about ``1e-9``), then ``F`` from it.

These accuracies only decide how close the masses are to the exact quantized probabilities
(a cost of far less than 0.001 bits per symbol); correctness needs only determinism and monotony.

**Decoding without scanning the range.** :meth:`lookup` guesses the symbol from an approximate
inverse CDF (plain floating point is fine for a guess), then checks it with the exact ``c`` and
corrects it: usually two evaluations of ``c``, at worst ``O(log K)`` (a bisection).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..errors import ModelError, SymbolError
from .categorical import check_precision

try:  # the C accelerator of statistics.NormalDist.inv_cdf (used for guesses only)
    from _statistics import _normal_dist_inv_cdf as _inv_normal
except ImportError:  # pragma: no cover - other Python implementations
    from statistics import NormalDist as _NormalDist

    def _inv_normal(p, mu, sigma):
        return _NormalDist(mu, sigma).inv_cdf(p)

__all__ = ["QuantizedGaussian", "QuantizedLaplace", "QuantizedLogistic", "CategoricalTable",
           "MAX_FAMILY_PRECISION"]

#: The largest precision of a family: ``F * (2^P - K)`` and its floor are then exact in a double.
MAX_FAMILY_PRECISION = 52

# |z| is clamped here: every CDF below is then within 1e-27 of 0 or 1, far below one slot.
_Z_MAX = 64.0

_BLOCK = 8192  # symbols per block of the vectorized path

# --- the deterministic arithmetic (works on numpy float64 arrays and on Python floats) ---------

# Abramowitz & Stegun 7.1.28: erfc(t) ~ (1 + a1 t + ... + a6 t^6)^-16 for t >= 0, error <= 3e-7.
_A1, _A2, _A3 = 0.0705230784, 0.0422820123, 0.0092705272
_A4, _A5, _A6 = 0.0001520143, 0.0002765672, 0.0000430638
_SQRT_HALF = 0.7071067811865476  # the double nearest 1/sqrt(2): a constant, so every machine has it


# The functions below run unchanged on Python floats and on numpy arrays. They are written with
# augmented assignments, which update an array in place (fewer temporaries, faster) and rebind a
# float: ``p *= t`` and ``p = p * t`` are the same rounded operation either way.

def _gaussian_tail(u):
    """``F(-u)`` of the standard Gaussian for ``0 <= u <= _Z_MAX``, within 1.5e-7, and
    non-increasing in floating point: ``erfc(t) / 2`` with ``t = u / sqrt(2)`` and
    ``erfc(t) ~ (1 + a1 t + ... + a6 t^6)^-16``."""
    t = u * _SQRT_HALF
    p = t * _A6  # Horner: 1 + t (a1 + t (a2 + t (a3 + t (a4 + t (a5 + t a6)))))
    p += _A5
    p *= t
    p += _A4
    p *= t
    p += _A3
    p *= t
    p += _A2
    p *= t
    p += _A1
    p *= t
    p += 1.0
    p *= p  # ^2
    p *= p  # ^4
    p *= p  # ^8
    p *= p  # ^16
    return 0.5 / p


_EXP_HALVINGS = 10  # exp(u) = exp(u / 2^10) ^ (2^10): ten squarings in _exp_pos
_EXP_SCALE = 1.0 / (1 << _EXP_HALVINGS)  # a power of two: the scaling is exact
_INV_FACT = (1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5)  # 1/6!, ..., 1/2! (a tuple: numba reads it too)


def _exp_pos(u):
    """``exp(u)`` for ``0 <= u <= _Z_MAX`` (relative error ~1e-9), non-decreasing in floating point:
    the Taylor polynomial of degree 6 at ``t = u / 2^10 <= 1/16`` (positive coefficients), squared
    ten times. (Unrolled: loops cost more than the arithmetic for Python floats.)"""
    t = u * _EXP_SCALE
    e = t * _INV_FACT[0]  # Horner: 1 + t (1 + t (1/2 + t (1/6 + t (1/24 + t (1/120 + t / 720)))))
    e += _INV_FACT[1]
    e *= t
    e += _INV_FACT[2]
    e *= t
    e += _INV_FACT[3]
    e *= t
    e += _INV_FACT[4]
    e *= t
    e += 1.0
    e *= t
    e += 1.0
    e *= e  # ^2
    e *= e  # ^4
    e *= e  # ^8
    e *= e  # ^16
    e *= e  # ^32
    e *= e  # ^64
    e *= e  # ^128
    e *= e  # ^256
    e *= e  # ^512
    e *= e  # ^1024 = 2^_EXP_HALVINGS
    return e


def _laplace_tail(u):
    """``F(-u) = exp(-u) / 2`` of the standard Laplace distribution."""
    return 0.5 / _exp_pos(u)


def _logistic_tail(u):
    """``F(-u) = 1 / (1 + exp(u))`` of the standard logistic distribution."""
    return 1.0 / (1.0 + _exp_pos(u))


def _check_range(min_symbol, max_symbol, precision):
    for name, v in (("min_symbol", min_symbol), ("max_symbol", max_symbol)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise ModelError(f"{name} must be an integer, got {v!r}")
    min_symbol, max_symbol = int(min_symbol), int(max_symbol)
    if min_symbol > max_symbol:
        raise ModelError(f"min_symbol {min_symbol} > max_symbol {max_symbol}: the range is empty")
    precision = check_precision(precision)
    if precision > MAX_FAMILY_PRECISION:
        raise ModelError(f"a model family's precision must be at most {MAX_FAMILY_PRECISION} bits "
                         f"(its cumulatives are computed in doubles), got {precision}")
    k = max_symbol - min_symbol + 1
    if k > 1 << precision:
        raise ModelError(f"the range {min_symbol} .. {max_symbol} has {k} integers but precision {precision} "
                         f"has only 2^{precision} = {1 << precision} slots: every symbol needs one; "
                         "raise the precision or shrink the range")
    if max(abs(min_symbol), abs(max_symbol)) > 2**50:
        raise ModelError("min_symbol and max_symbol must lie within +-2^50 (the cumulatives are computed in doubles)")
    return min_symbol, max_symbol, precision


def _leaky_c(tail, min_symbol, max_symbol, total, free, free_int, x, loc, scale):
    """``c(x)`` for one symbol ``min <= x <= max + 1`` of the leaky quantization of a symmetric
    distribution with lower tail ``tail`` (``free = 2^P - K`` as a float and as ``free_int``).

    The decoder's path: Python ints and floats here (a model binds its constants, see
    ``_QuantizedContinuous.__init__``), and the same function compiled by numba in
    :mod:`ansedu.fast.compiled`, so that both compute every ``c(x)`` with the same operations.
    Right of the location ``floor(F(z) (2^P - K))`` is ``(2^P - K) - ceil(F(-z) (2^P - K))``
    (see ``_c_array``, the vectorized spelling of the same formula).
    """
    if x == min_symbol:
        return 0
    if x > max_symbol:
        return total
    z = (x - 0.5 - loc) / scale
    if z < 0.0:
        u = -z
        if u > _Z_MAX:
            u = _Z_MAX
        return math.floor(tail(u) * free) + (x - min_symbol)
    if z > _Z_MAX:
        z = _Z_MAX
    return free_int - math.ceil(tail(z) * free) + (x - min_symbol)


class _QuantizedContinuous:
    """A continuous location-scale distribution quantized leakily to the integers ``min .. max``.

    Subclasses give ``_tail(u) = F(-u)`` for ``u >= 0`` (the standardized CDF of a symmetric
    distribution, in the deterministic arithmetic above),
    ``_inverse_guess(p)`` (its approximate inverse, any floating point) and the parameter names.
    """

    _param_names = ("loc", "scale")

    def __init__(self, min_symbol, max_symbol, loc=None, scale=None, precision=24):
        self.min_symbol, self.max_symbol, self.precision = _check_range(min_symbol, max_symbol, precision)
        self.num_symbols = self.max_symbol - self.min_symbol + 1
        self._free = float((1 << self.precision) - self.num_symbols)  # 2^P - K, exact in a double
        self._total = 1 << self.precision
        self._free_int = self._total - self.num_symbols
        # Whether the leaky floor (K of the 2^P slots) moves the symbols' slots enough for the
        # lookup's guess to correct for it (it costs one more approximate inverse CDF).
        self._leak_matters = self.num_symbols << 12 > self._total
        self._c = functools.partial(_leaky_c, self._tail, self.min_symbol, self.max_symbol, self._total,
                                    self._free, self._free_int)
        if (loc is None) != (scale is None):
            raise ModelError(f"give both {self._param_names[0]} and {self._param_names[1]} (fixed parameters) "
                             "or neither (a model family with per-symbol parameter arrays)")
        if loc is None:
            self.num_params, self.params = 2, None
        else:
            self.num_params = 0
            self.params = self._check_scalar_params(loc, scale)
        self._table = None
        if self.num_params == 0:
            self.cdf_table()  # a fixed model of up to 2^16 symbols keeps its table: like a Categorical

    # -- parameters -----------------------------------------------------------------------

    def _check_scalar_params(self, loc, scale):
        a, b = self._param_names
        try:
            loc, scale = float(loc), float(scale)
        except (TypeError, ValueError):
            raise ModelError(f"{a} and {b} must be numbers, got {loc!r} and {scale!r}") from None
        if not math.isfinite(loc):
            raise ModelError(f"{a} must be a finite number, got {loc}")
        if not (0.0 < scale < math.inf):
            raise ModelError(f"{b} must be a positive finite number, got {scale}")
        return loc, scale

    def _check_param_arrays(self, loc, scale, n):
        a, b = self._param_names
        loc = np.asarray(loc, dtype=float).reshape(-1) if np.ndim(loc) else np.full(n, float(loc))
        scale = np.asarray(scale, dtype=float).reshape(-1) if np.ndim(scale) else np.full(n, float(scale))
        for name, arr in ((a, loc), (b, scale)):
            if arr.size != n:
                raise ModelError(f"the {name} array has {arr.size} entries but there are {n} symbols: "
                                 "give one entry per symbol")
        bad = np.flatnonzero(~np.isfinite(loc))
        if bad.size:
            raise ModelError(f"{a}[{bad[0]}] is {loc[bad[0]]}: parameters must be finite numbers")
        bad = np.flatnonzero(~((scale > 0) & (scale < np.inf)))
        if bad.size:
            raise ModelError(f"{b}[{bad[0]}] is {scale[bad[0]]}: it must be a positive finite number")
        return loc, scale

    def check_params(self, *param_arrays):
        """Raise :class:`ModelError` for the first bad parameter of the arrays (the model protocol
        calls this before decoding, so that nothing is decoded with bad parameters)."""
        if self.num_params == 0:
            if param_arrays:
                raise ModelError(f"this {type(self).__name__} has fixed parameters; no parameter arrays")
            return
        if len(param_arrays) != 2:
            raise ModelError(f"{type(self).__name__} takes 2 parameter arrays "
                             f"({', '.join(self._param_names)}), got {len(param_arrays)}")
        self._check_param_arrays(*param_arrays, np.size(param_arrays[0]))

    def _params_for(self, params):
        if self.num_params == 0:
            if params:
                raise ModelError(f"this {type(self).__name__} has fixed parameters; build it without "
                                 f"{self._param_names[0]} and {self._param_names[1]} for per-symbol parameters")
            return self.params
        if len(params) != 2:
            raise ModelError(f"{type(self).__name__} takes 2 parameters per symbol "
                             f"({', '.join(self._param_names)}), got {len(params)}")
        return self._check_scalar_params(*params)

    # -- the quantized CDF: one function for arrays and scalars ---------------------------

    # ``self._c(x, loc, scale)`` (the scalar spelling, for one symbol ``min <= x <= max + 1``:
    # the decoder's path) is :func:`_leaky_c` with this model's constants bound (set in __init__;
    # a partial costs no more per call than a method reading them from ``self``), and
    # ``_c_array`` below is the array spelling of the same formula; the arithmetic in them that
    # can round (``_tail``, the standardization, the product) is the same code or the same single
    # operation, and the rest (abs, min, select, floor, ceil) is exact.
    # The distributions are symmetric, F(z) = 1 - F(-z), and right of the location
    # floor(F(z) (2^P - K)) is computed as (2^P - K) - ceil(F(-z) (2^P - K)): the same number in
    # exact arithmetic, but without rounding 1 - F(-z) (which would lose the upper tail).

    def _c_array(self, x, loc, scale):
        """``c(x)`` for arrays of ``min < x <= max`` (floats): the vectorized encoder's path."""
        z = (x - 0.5 - loc) / scale
        scaled_tail = self._tail(np.minimum(np.abs(z), _Z_MAX))
        scaled_tail *= self._free
        below = np.floor(scaled_tail)
        above = np.ceil(scaled_tail)
        np.subtract(self._free, above, out=above)
        return np.where(z < 0.0, below, above) + (x - self.min_symbol)

    # -- the model protocol -----------------------------------------------------------------

    def interval(self, x, *params):
        """``(c(x), m(x))`` of one symbol (with a family: its ``loc`` and ``scale``)."""
        loc, scale = self._params_for(params)
        if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)):
            if not (isinstance(x, (float, np.floating)) and float(x).is_integer()):
                raise SymbolError(f"symbol {x!r} is not an integer")
        x = int(x)
        if not self.min_symbol <= x <= self.max_symbol:
            raise SymbolError(f"symbol {x} is outside the range {self.min_symbol} .. {self.max_symbol}")
        if self._table is not None:
            i = x - self.min_symbol
            return self._table[i], self._table[i + 1] - self._table[i]
        c = self._c(x, loc, scale)
        return c, self._c(x + 1, loc, scale) - c

    def lookup(self, slot, *params):
        """The symbol whose slots contain ``slot``, as ``(x, c(x), m(x))``; no scan of the range."""
        if len(params) == 2 and self.num_params == 2:
            loc, scale = params  # the decoder's hot path: check the two numbers inline
            if not (-math.inf < loc < math.inf and 0.0 < scale < math.inf):
                loc, scale = self._check_scalar_params(loc, scale)  # raises, naming the problem
        else:
            loc, scale = self._params_for(params)
        if not 0 <= slot < self._total:
            raise ValueError(f"slot {slot} is outside 0 .. 2^{self.precision} - 1")
        if self._table is not None:
            return self._table_lookup(slot)
        # Bracket from the leaky floor alone: c(x) >= x - min and c(x) <= 2^P - K + x - min.
        hi = lo = self.min_symbol + slot
        if hi > self.max_symbol:
            hi = self.max_symbol
        lo -= self._free_int
        if lo < self.min_symbol:
            lo = self.min_symbol
        if self._leak_matters:
            guess = self._guess(slot, loc, scale)
        else:  # (the common case, inlined: it is most of the decoder's time)
            g = loc + scale * self._inverse_guess((slot + 0.5) / self._total) + 0.5
            guess = math.floor(g) if -2.0**52 < g < 2.0**52 else (self.min_symbol if g < 0 else self.max_symbol)
        if lo <= guess < hi:  # check the guess: two evaluations of c when it is right
            c = self._c
            cx = c(guess, loc, scale)
            if cx <= slot:
                cx1 = c(guess + 1, loc, scale)
                if slot < cx1:
                    return guess, cx, cx1 - cx
        return _search(self._c, slot, lo, hi, guess, loc, scale)

    def _guess(self, slot, loc, scale) -> int:
        # First ignore the leaky floor: F(x - 1/2) ~ slot / 2^P, so x ~ loc + scale F^-1(p) + 1/2.
        x = self._invert((slot + 0.5) / self._total, loc, scale)
        if self._leak_matters:
            if not self._free:  # one slot per symbol, nothing else: c(x) = x - min
                return self.min_symbol + slot
            # Then take the floor of the guessed x into account: F(x - 1/2) ~ (slot - (x - min)) / (2^P - K).
            p = (slot + 0.5 - (x - self.min_symbol)) / self._free
            if p <= 0.0:
                return self.min_symbol + slot  # only the leaky floor is left of x: c(x) = x - min
            if p >= 1.0:
                return self.min_symbol + slot - int(self._free)  # right of the body: c(x) = 2^P - K + x - min
            x = self._invert(p, loc, scale)
        return x

    def _invert(self, p, loc, scale) -> int:
        x = loc + scale * self._inverse_guess(p) + 0.5
        if not x < 2.0**52:  # also catches NaN
            return self.max_symbol
        if x < -2.0**52:
            return self.min_symbol
        return math.floor(x)

    def intervals(self, symbols, *param_arrays):
        """``(c, m)`` of every symbol at once as int64 arrays (the vectorized encoder's path)."""
        from .._validate import as_integers

        x = as_integers(symbols)
        bad = np.flatnonzero((x < self.min_symbol) | (x > self.max_symbol))
        if bad.size:
            raise SymbolError(f"symbol {x[bad[0]]} at position {bad[0]} is outside the range "
                              f"{self.min_symbol} .. {self.max_symbol}")
        if self.num_params == 0:
            if param_arrays:
                raise ModelError(f"this {type(self).__name__} has fixed parameters; no parameter arrays")
            table = np.asarray(self.cdf_table())
            i = x - self.min_symbol
            return table[i], table[i + 1] - table[i]
        if len(param_arrays) != 2:
            raise ModelError(f"{type(self).__name__} takes 2 parameter arrays "
                             f"({', '.join(self._param_names)}), got {len(param_arrays)}")
        loc, scale = self._check_param_arrays(*param_arrays, x.size)
        return self._intervals(x, loc, scale)

    def _intervals(self, x, loc, scale):
        # In blocks, so that the few dozen temporary arrays of the arithmetic stay in the cache.
        n = x.size
        left = np.empty(n, dtype=np.int64)
        right = np.empty(n, dtype=np.int64)
        for a in range(0, n, _BLOCK):
            b = min(a + _BLOCK, n)
            xb = x[a:b].astype(float)
            left[a:b] = self._c_array(xb, loc[a:b], scale[a:b])
            right[a:b] = self._c_array(xb + 1.0, loc[a:b], scale[a:b])
        # The edges are set, not computed: c(min) = 0 and c(max + 1) = 2^P.
        left[x == self.min_symbol] = 0
        right[x == self.max_symbol] = self._total
        return left, right - left

    # -- whole distributions (fixed parameters, figures, tests) ----------------------------

    def cdf_table(self, *params) -> list:
        """``[c(min), ..., c(max), 2^P]`` for the given (or the fixed) parameters, as a list of ints."""
        loc, scale = self._params_for(params)
        if self._table is not None and not params:
            return self._table
        xs = np.arange(self.min_symbol + 1, self.max_symbol + 1, dtype=float)
        inner = self._c_array(xs, np.full(xs.size, loc), np.full(xs.size, scale)).astype(np.int64)
        table = [0] + inner.tolist() + [self._total]
        if not params and self.num_params == 0 and self.num_symbols <= 1 << 16:
            self._table = table  # fixed small models: interval and lookup read the table
        return table

    def masses(self, *params) -> np.ndarray:
        """The integer masses ``m(min), ..., m(max)`` (an int64 array)."""
        return np.diff(np.asarray(self.cdf_table(*params), dtype=np.int64))

    def probabilities(self, *params) -> np.ndarray:
        """The quantized probabilities ``m(x) / 2^P`` that a coder actually uses."""
        return self.masses(*params) / float(self._total)

    def information_content(self, symbols, *param_arrays) -> float:
        """Total bits ``sum_i -log2(m(x_i) / 2^P)`` of ``symbols`` under the quantized model(s)."""
        _, m = self.intervals(symbols, *param_arrays)
        return float(m.size * self.precision - np.log2(m).sum())

    def _table_lookup(self, slot):
        from bisect import bisect_right

        i = bisect_right(self._table, slot) - 1
        return self.min_symbol + i, self._table[i], self._table[i + 1] - self._table[i]

    def __repr__(self) -> str:
        fixed = "" if self.params is None else ", " + ", ".join(
            f"{n}={v!r}" for n, v in zip(self._param_names, self.params))
        return (f"{type(self).__name__}({self.min_symbol}, {self.max_symbol}{fixed}, "
                f"precision={self.precision})")


def _search(c, slot, lo, hi, guess, *params):
    """The ``x`` in ``lo .. hi`` with ``c(x) <= slot < c(x + 1)``, as ``(x, c(x), m(x))``.

    ``c`` is non-decreasing and the answer is known to lie in ``lo .. hi``. The search starts at
    the guess and gallops away from it (steps 1, 2, 4, ...) until the answer is bracketed, then
    bisects: two evaluations of ``c`` when the guess is right, ``O(log distance)`` otherwise.
    """
    x = guess if lo <= guess <= hi else (lo if guess < lo else hi)
    c_lo = c_hi1 = None  # c(lo) and c(hi + 1), once known
    cx = c(x, *params)
    step = 1
    if cx <= slot:  # the answer is x or to its right
        lo, c_lo = x, cx
        while lo < hi:
            probe = lo + step
            if probe > hi:
                break
            cp = c(probe, *params)
            if cp > slot:
                hi, c_hi1 = probe - 1, cp
                break
            lo, c_lo = probe, cp
            step += step
    else:  # the answer is left of x
        hi, c_hi1 = x - 1, cx
        while lo < hi:
            probe = hi + 1 - step
            if probe < lo:
                break
            cp = c(probe, *params)
            if cp <= slot:
                lo, c_lo = probe, cp
                break
            hi, c_hi1 = probe - 1, cp
            step += step
    while lo < hi:  # invariant: c(lo) <= slot < c(hi + 1)
        mid = (lo + hi + 1) // 2
        cm = c(mid, *params)
        if cm <= slot:
            lo, c_lo = mid, cm
        else:
            hi, c_hi1 = mid - 1, cm
    if c_lo is None:
        c_lo = c(lo, *params)
    if c_hi1 is None:
        c_hi1 = c(lo + 1, *params)
    return lo, c_lo, c_hi1 - c_lo


class QuantizedGaussian(_QuantizedContinuous):
    """A Gaussian with mean ``mean`` and standard deviation ``std``, quantized leakily to the
    integers ``min_symbol .. max_symbol`` (bins ``[x - 1/2, x + 1/2)``; tails go to the edges).

    ``QuantizedGaussian(-127, 127)`` is a family: give per-symbol ``means`` and ``stds`` arrays to
    the coder. ``QuantizedGaussian(-127, 127, mean=0.0, std=3.0)`` is one fixed distribution.
    """

    _param_names = ("mean", "std")

    def __init__(self, min_symbol, max_symbol, mean=None, std=None, precision=24):
        super().__init__(min_symbol, max_symbol, mean, std, precision)

    _tail = staticmethod(_gaussian_tail)

    @staticmethod
    def _inverse_guess(p):
        if p >= 1.0:
            p = 1.0 - 1e-16
        return _inv_normal(p, 0.0, 1.0)


class QuantizedLaplace(_QuantizedContinuous):
    """A Laplace distribution (density ``exp(-|x - loc| / scale) / (2 scale)``), quantized leakily
    to ``min_symbol .. max_symbol``; a family unless ``loc`` and ``scale`` are given."""

    _tail = staticmethod(_laplace_tail)

    @staticmethod
    def _inverse_guess(p):
        if p < 0.5:
            return math.log(2.0 * p)
        return -math.log(2.0 * (1.0 - p)) if p < 1.0 else _Z_MAX


class QuantizedLogistic(_QuantizedContinuous):
    """A logistic distribution (CDF ``1 / (1 + exp(-(x - loc) / scale))``), quantized leakily to
    ``min_symbol .. max_symbol``; a family unless ``loc`` and ``scale`` are given."""

    _tail = staticmethod(_logistic_tail)

    @staticmethod
    def _inverse_guess(p):
        return math.log(p) - math.log(1.0 - p) if p < 1.0 else _Z_MAX


class CategoricalTable:
    """A categorical family over ``0 .. alphabet - 1`` with one row of probabilities (or counts)
    per symbol: ``coder.encode_reverse(symbols, CategoricalTable(), table)`` with ``table`` of
    shape ``(n, alphabet)``, and ``coder.decode(CategoricalTable(), table)``.

    Each row is quantized leakily (every symbol, even one of probability zero, gets at least one
    slot) by the same rule as the continuous families, with ``F`` the row's cumulative sum
    divided by its total (sequential sums, so every path adds in the same order):
    ``c(x) = floor(F(x) * (2^P - K)) + x``. This costs at most about ``K / 2^P`` of the
    probability and a rounding per symbol; it is not the KL-optimal quantization of
    :class:`~ansedu.models.Categorical` (which would take a heap run per row), but it is
    vectorized over the whole table when encoding. Decoding quantizes one row (in numpy) and
    bisects it.
    """

    num_params = 1
    param_ndims = (2,)  # the one parameter is a row per symbol: a 2-d array (n, alphabet)

    def __init__(self, precision=24):
        self.precision = check_precision(precision)
        if self.precision > MAX_FAMILY_PRECISION:
            raise ModelError(f"a model family's precision must be at most {MAX_FAMILY_PRECISION} bits, "
                             f"got {self.precision}")
        self._total = 1 << self.precision

    def _check_table(self, table, n=None):
        try:
            t = np.asarray(table, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ModelError(f"the probability table must hold numbers: {exc}") from None
        if t.ndim != 2 or t.shape[1] == 0:
            raise ModelError(f"the probability table must have shape (symbols, alphabet), got {t.shape}")
        if n is not None and t.shape[0] != n:
            raise ModelError(f"the probability table has {t.shape[0]} rows but there are {n} symbols: "
                             "give one row per symbol")
        k = t.shape[1]
        if k > self._total:
            raise ModelError(f"an alphabet of {k} symbols does not fit into 2^{self.precision} slots")
        bad = np.argwhere(~np.isfinite(t) | (t < 0))
        if bad.size:
            i, j = bad[0]
            raise ModelError(f"table[{i}, {j}] = {t[i, j]}: probabilities must be finite and non-negative")
        return t

    def _cdf_rows(self, t):
        """The leaky cumulatives of every row: an int64 array of shape (n, K + 1)."""
        n, k = t.shape
        cum = np.cumsum(t, axis=-1)  # sequential: the same additions in every path
        total = cum[..., -1:]
        zero = np.flatnonzero(total.reshape(-1) <= 0)
        if zero.size:
            raise ModelError(f"row {zero[0]} of the probability table is all zeros")
        free = float(self._total - k)
        inner = np.floor(cum[..., :-1] / total * free) + np.arange(1, k, dtype=float)
        out = np.empty((n, k + 1), dtype=np.int64)
        out[:, 0] = 0
        out[:, 1:k] = inner
        out[:, k] = self._total
        return out

    def intervals(self, symbols, table):
        from .._validate import as_integers

        x = as_integers(symbols)
        t = self._check_table(table, x.size)
        k = t.shape[1]
        bad = np.flatnonzero((x < 0) | (x >= k))
        if bad.size:
            raise SymbolError(f"symbol {x[bad[0]]} at position {bad[0]} is outside the alphabet 0..{k - 1}")
        cdf = self._cdf_rows(t)
        rows = np.arange(x.size)
        left, right = cdf[rows, x], cdf[rows, x + 1]
        return left, right - left

    def interval(self, x, row):
        (c,), (m,) = self.intervals([x], np.asarray(row, dtype=float).reshape(1, -1))
        return int(c), int(m)

    def lookup(self, slot, row):
        cdf = self._cdf_rows(self._check_table(np.asarray(row, dtype=float).reshape(1, -1)))[0]
        if not 0 <= slot < self._total:
            raise ValueError(f"slot {slot} is outside 0 .. 2^{self.precision} - 1")
        x = int(np.searchsorted(cdf, slot, side="right")) - 1
        return x, int(cdf[x]), int(cdf[x + 1] - cdf[x])

    def check_params(self, table):
        """Raise :class:`ModelError` for a bad table (called by the protocol before decoding)."""
        t = self._check_table(table)
        zero = np.flatnonzero(~np.any(t > 0, axis=1))
        if zero.size:
            raise ModelError(f"row {zero[0]} of the probability table is all zeros")

    def masses(self, table) -> np.ndarray:
        """The integer masses of every row, shape ``(n, alphabet)``."""
        return np.diff(self._cdf_rows(self._check_table(table)), axis=-1)

    def __repr__(self) -> str:
        return f"CategoricalTable(precision={self.precision})"
