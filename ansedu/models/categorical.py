"""Fixed entropy models: tables of integer masses, and categorical distributions quantized to them.

Symbol ``x`` owns the ``m(x)`` slots starting at its left cumulative
``c(x) = m(0) + ... + m(x-1)``, so its quantized probability is ``m(x) / 2^P``.
:class:`EntropyModel` implements the model protocol (:mod:`ansedu.models.protocol`)
for any such table; :class:`Categorical` and :class:`Uniform` only decide the masses.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np

from .._validate import as_exact_integers, as_symbols, as_weights, exact_sum
from ..errors import DecodeError, ModelError, SymbolError

__all__ = ["EntropyModel", "Categorical", "Uniform", "quantize_probabilities", "check_precision", "MAX_PRECISION"]

#: The largest precision a model may have (slots are counted in int64).
MAX_PRECISION = 62

#: The most symbols a :class:`Uniform` model may have: it keeps a table with one entry per symbol.
MAX_UNIFORM_SYMBOLS = 1 << 24


def check_precision(precision, error=ModelError) -> int:
    """``precision`` as an int in ``1 .. MAX_PRECISION``, or ``error`` (a model's
    :class:`ModelError`, a coder's :class:`ConfigError`) naming the limits."""
    if isinstance(precision, (bool, np.bool_)) or not isinstance(precision, (int, np.integer)):
        raise error(f"precision must be an integer number of bits, got {precision!r}")
    if not 1 <= precision <= MAX_PRECISION:
        raise error(f"precision must be between 1 and {MAX_PRECISION} bits, got {precision}")
    return int(precision)


class EntropyModel:
    """A distribution over symbols ``0 .. n-1`` given by integer masses that sum to ``2^precision``.

    Subclasses only decide the masses; everything a coder needs is derived here.

    Attributes:
        precision: ``P``; the masses sum to ``2^P``.
        masses: ``m``, an int64 array of length ``n``.
        cdf: ``c``, an int64 array of length ``n + 1`` with ``cdf[x] = m(0) + ... + m(x-1)``
            and ``cdf[n] = 2^P``.
    """

    def __init__(self, masses, precision: int):
        self.precision = check_precision(precision)
        total = 1 << self.precision
        masses = as_exact_integers(masses, ModelError, "mass")
        if masses.size == 0:
            raise ModelError("masses must not be empty: a model needs at least one symbol")
        negative = np.flatnonzero(masses < 0)
        if negative.size:
            raise ModelError(f"mass {masses[negative[0]]} of symbol {negative[0]} is negative")
        too_big = np.flatnonzero(masses > total)
        if too_big.size:
            raise ModelError(f"mass {masses[too_big[0]]} of symbol {too_big[0]} is more than all "
                             f"2^{self.precision} = {total} slots")
        masses = masses.astype(np.int64)  # every mass is at most 2^62 now
        if exact_sum(masses) != total:  # summed exactly: int64 sums wrap around
            raise ModelError(f"masses must sum to 2^{self.precision} = {total}, they sum to {exact_sum(masses)}")
        self.masses = masses
        self.masses.setflags(write=False)
        self.cdf = np.concatenate([[0], np.cumsum(masses)]).astype(np.int64)
        self.cdf.setflags(write=False)
        # Plain Python lists: indexing them is much faster than indexing numpy arrays
        # one element at a time, which is what the scalar coders do.
        self._mass_list = masses.tolist()
        self._cdf_list = self.cdf.tolist()

    @property
    def num_symbols(self) -> int:
        return self.masses.size

    @property
    def probabilities(self) -> np.ndarray:
        """The quantized probabilities ``m(x) / 2^P`` that a coder actually uses."""
        return self.masses / float(1 << self.precision)

    def interval(self, symbol) -> tuple[int, int]:
        """``(c(x), m(x))``: symbol ``x`` owns slots ``c(x) .. c(x) + m(x) - 1``.

        Raises :class:`SymbolError` unless ``x`` is an integer (not a bool or a float) of the
        alphabet with non-zero mass."""
        if type(symbol) is int and symbol >= 0:  # the fast path, which coders take
            try:
                m = self._mass_list[symbol]
            except IndexError:
                m = 0
            if m:
                return self._cdf_list[symbol], m
        if isinstance(symbol, (bool, np.bool_)) or not isinstance(symbol, (int, np.integer)):
            raise SymbolError(f"a symbol is an integer, got {symbol!r}")
        symbol = int(as_symbols([int(symbol)], self.masses > 0)[0])
        return self._cdf_list[symbol], self._mass_list[symbol]

    def lookup(self, slot: int) -> tuple[int, int, int]:
        """The symbol ``x`` whose slots contain ``slot``, with ``(x, c(x), m(x))``.

        Raises :class:`DecodeError` unless ``slot`` is an integer in ``0 .. 2^P - 1``."""
        if type(slot) is not int:
            if isinstance(slot, (bool, np.bool_)) or not isinstance(slot, (int, np.integer)):
                raise DecodeError(f"a slot is an integer, got {slot!r}")
            slot = int(slot)
        if not 0 <= slot < self._cdf_list[-1]:
            raise DecodeError(f"slot {slot} is outside 0 .. 2^{self.precision} - 1")
        # The last x with cdf[x] <= slot; symbols of mass zero own no slot and are skipped.
        x = bisect_right(self._cdf_list, slot) - 1
        return x, self._cdf_list[x], self._mass_list[x]

    def intervals(self, symbols) -> tuple[np.ndarray, np.ndarray]:
        """``(c, m)`` of every symbol of a message at once (checked like :meth:`interval`)."""
        symbols = self.check_symbols(symbols)
        return self.cdf[symbols], self.masses[symbols]

    def check_symbols(self, symbols) -> np.ndarray:
        """Return ``symbols`` as an int64 array, or raise :class:`SymbolError` for the first
        one that is outside the alphabet or has probability zero under this model."""
        return as_symbols(symbols, self.masses > 0)

    def information_content(self, symbols) -> float:
        """Total bits ``sum_i -log2(m(x_i) / 2^P)`` of ``symbols`` under the quantized model."""
        symbols = self.check_symbols(symbols)
        return float(symbols.size * self.precision - np.log2(self.masses[symbols]).sum())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_symbols={self.num_symbols}, precision={self.precision})"


class Categorical(EntropyModel):
    """A categorical distribution given by float probabilities (or counts), quantized.

    The probabilities are normalized to sum to 1 and quantized to integer masses
    that sum to exactly ``2^precision``:

    - *leaky*: every symbol with non-zero probability gets ``m(x) >= 1``, so it can
      always be encoded; symbols of probability zero get ``m(x) = 0``;
    - *KL-optimal*: among all such masses, the quantized distribution ``q = m / 2^P``
      minimizes the cross entropy ``-sum_x p(x) log2 q(x)``, which is the same as
      minimizing ``KL(p || q)`` (see :func:`quantize_probabilities`).
    """

    def __init__(self, probabilities, precision: int = 24):
        precision = check_precision(precision)
        self.float_probabilities = _normalized(as_weights(probabilities, "probabilities"))
        super().__init__(quantize_probabilities(self.float_probabilities, precision), precision)


def _normalized(p: np.ndarray) -> np.ndarray:
    """Finite non-negative weights divided by their sum (scaled first where the sum overflows)."""
    if not np.any(p > 0):
        raise ModelError("all probabilities are zero: at least one symbol must be possible")
    with np.errstate(over="ignore"):
        total = p.sum()
    if not np.isfinite(total) or total < 1e-300:
        p = p / p.max()
        total = p.sum()
    return p / total


class Uniform(EntropyModel):
    """The uniform distribution over ``num_symbols`` symbols, quantized to ``precision`` bits.

    When ``num_symbols`` does not divide ``2^P``, the first ``2^P mod n`` symbols get one
    slot more than the others.
    """

    def __init__(self, num_symbols: int, precision: int = 24):
        precision = check_precision(precision)
        if (isinstance(num_symbols, (bool, np.bool_)) or not isinstance(num_symbols, (int, np.integer))
                or num_symbols < 1):
            raise ModelError(f"num_symbols must be a positive integer, got {num_symbols!r}")
        if num_symbols > 1 << precision:
            raise ModelError(f"{num_symbols} symbols do not fit into 2^{precision} slots: raise the precision")
        if num_symbols > MAX_UNIFORM_SYMBOLS:
            raise ModelError(f"{num_symbols} symbols are more than the {MAX_UNIFORM_SYMBOLS} that a Uniform "
                             "model holds: it keeps a table with one entry per symbol")
        base, extra = divmod(1 << precision, int(num_symbols))
        masses = np.full(int(num_symbols), base, dtype=np.int64)
        masses[:extra] += 1
        super().__init__(masses, precision)


def quantize_probabilities(p, precision: int) -> np.ndarray:
    """Integer masses ``m`` with ``sum(m) = 2^precision`` that are leaky and KL-optimal.

    ``p`` are probabilities or any non-negative weights (only their ratios matter).
    Maximizing ``sum_x p(x) log2 m(x)`` over leaky masses (``m(x) >= 1`` where ``p(x) > 0``)
    is a separable concave problem over integers: the ``k``-th slot of symbol ``x`` is worth
    ``v_x(k) = p(x) log2(k / (k - 1))``, which falls as ``k`` grows, so the best masses give
    each symbol its first slot and then the ``2^P - n`` slots of highest worth, whichever
    symbols they belong to. Equivalently, there is a threshold ``t`` such that every slot
    worth more than ``t`` is given and none worth less. (Moving one slot at a time to where
    it gains the most, from any start, ends in the same optimum; that is the slow way.)

    We find the threshold directly, with array operations over all symbols at once:

    1. the slots of ``x`` worth more than ``t`` are ``k < 1 + 1/(2^(t/p(x)) - 1)``, so
       for a given ``t`` every symbol's mass is one closed-form expression; their total
       falls as ``t`` grows. A few steps of regula falsi find ``t`` where that total
       crosses ``2^P``;
    2. the few slots still missing then go, one per symbol, to the symbols whose next
       slot is worth most;
    3. a final check moves single slots from the cheapest to the most valuable symbol
       while that improves the objective (in batches of disjoint moves, each of which
       gains); it proves the result optimal and normally has nothing to do.

    Cost: a few dozen array operations, ``O(n)`` each, instead of one heap operation per slot.
    """
    precision = check_precision(precision)
    w = as_weights(p, "probabilities")
    possible = np.flatnonzero(w > 0)
    if possible.size == 0:
        raise ModelError("all probabilities are zero: at least one symbol must be possible")
    total = 1 << precision
    if possible.size > total:
        raise ModelError(f"{possible.size} symbols with non-zero probability cannot each get one of "
                         f"the 2^{precision} = {total} slots: raise the precision")
    q = w[possible]
    m = np.zeros(w.size, dtype=np.int64)
    m[possible] = _optimal_masses(q / q.max(), total)
    return m


#: Relative margin by which a move must gain before the exchange check makes it (floating
#: point cannot tell apart the worths of slots that differ by less).
_MARGIN = 1e-12


def _extra_slots(q: np.ndarray, u: float, cap: int) -> np.ndarray:
    """How many slots beyond its first each symbol gets at threshold ``t = 1/u`` (natural log):
    ``#{j >= 1: q log(1 + 1/j) > t} = ceil(1 / expm1(t / q)) - 1``, at most ``cap``."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        bound = 1.0 / np.expm1(1.0 / (u * q))
    return (np.clip(np.ceil(bound), 1.0, float(cap) + 1.0) - 1.0).astype(np.int64)


def _optimal_masses(q: np.ndarray, total: int) -> np.ndarray:
    """Leaky KL-optimal masses for positive weights ``q`` (at most 1) summing to ``total``."""
    n = q.size
    extra = total - n  # the slots to share out beyond every symbol's first
    if n == 1 or extra == 0:
        return np.full(n, total // n, dtype=np.int64)

    # 1. Bracket u = 1/t: count(u_low) <= extra < count(u_high). For large masses the count is
    #    about q u - 1/2, which gives the first guess.
    def count(u):
        c = _extra_slots(q, u, extra)
        return c, exact_sum(c)

    u = (extra + 0.5 * n) / q.sum()
    c, k = count(u)
    if k <= extra:
        u_low, c_low, k_low = u, c, k
        u_high = u
        while True:
            u_high *= 2.0
            c_high, k_high = count(u_high)
            if k_high > extra:
                break
            u_low, c_low, k_low = u_high, c_high, k_high
    else:
        u_high, c_high, k_high = u, c, k
        u_low = u
        while True:
            u_low /= 2.0
            c_low, k_low = count(u_low)
            if k_low <= extra:
                break
            u_high, c_high, k_high = u_low, c_low, k_low

    # Regula falsi (Illinois variant) on count(u) - extra, which is nearly linear in u. Stop
    # when the count is exact, or when no symbol gains more than one slot across the bracket
    # (then step 2 is exact), or when the bracket is as narrow as floating point allows.
    f_low, f_high, side = float(k_low - extra), float(k_high - extra), 0
    for _ in range(200):
        if k_low == extra or np.all(c_high - c_low <= 1) or not u_low < u_high * (1 - 1e-14):
            break
        u = u_low - f_low * (u_high - u_low) / (f_high - f_low)
        if not u_low < u < u_high:
            u = 0.5 * (u_low + u_high)
        c, k = count(u)
        if k <= extra:
            u_low, c_low, k_low, f_low = u, c, k, float(k - extra)
            if side == -1:
                f_high *= 0.5
            side = -1
        else:
            u_high, c_high, k_high, f_high = u, c, k, float(k - extra)
            if side == 1:
                f_low *= 0.5
            side = 1

    # 2. Give every symbol its slots above the threshold; the missing ones go to the symbols
    #    that gain slots across the bracket, whose next slots are worth most. Where floating
    #    point cannot narrow the bracket to one slot per symbol (masses near 2^62), they are
    #    first shared in proportion to q, which keeps the worths q/m of the last slots equal.
    m = 1 + c_low
    missing = extra - k_low
    room = c_high - c_low  # slots a symbol may still take (within the bracket: > missing in all)
    while missing > 0:
        open_ = np.flatnonzero(room > 0)
        if missing > open_.size:
            share = np.minimum(room[open_], np.floor(missing * (q[open_] / q[open_].sum())).astype(np.int64))
        else:
            worth = q[open_] * np.log1p(1.0 / m[open_])
            share = np.zeros(open_.size, dtype=np.int64)
            share[np.argpartition(-worth, missing - 1)[:missing]] = 1
        if not share.any():  # (cannot happen: the proportional shares of missing > open_.size add up)
            share[np.argmax(room[open_])] = 1
        m[open_] += share
        room[open_] -= share
        missing -= exact_sum(share)

    # 3. The exchange check: no slot may be worth more to another symbol than to its owner.
    while True:
        gain = q * np.log1p(1.0 / m)  # worth of one more slot
        with np.errstate(divide="ignore"):
            loss = np.where(m >= 2, q * np.log1p(1.0 / np.maximum(m - 1, 1)), np.inf)  # worth of the last
        if gain.max() <= loss.min() * (1 + _MARGIN):
            return m
        # Pair the best gains with the cheapest losses; each pair gains, and so does the batch
        # (a symbol in both lists only cancels a pair that could not gain on its own).
        takers = np.flatnonzero(gain > loss.min() * (1 + _MARGIN))
        givers = np.flatnonzero(loss * (1 + _MARGIN) < gain.max())
        takers = takers[np.argsort(-gain[takers], kind="stable")]
        givers = givers[np.argsort(loss[givers], kind="stable")]
        k = min(takers.size, givers.size)
        pairs = int(np.count_nonzero(gain[takers[:k]] > loss[givers[:k]] * (1 + _MARGIN)))
        m[takers[:pairs]] += 1
        m[givers[:pairs]] -= 1
