"""Fixed entropy models: tables of integer masses, and categorical distributions quantized to them.

Symbol ``x`` owns the ``m(x)`` slots starting at its left cumulative
``c(x) = m(0) + ... + m(x-1)``, so its quantized probability is ``m(x) / 2^P``.
:class:`EntropyModel` implements the model protocol (:mod:`ansedu.models.protocol`)
for any such table; :class:`Categorical` and :class:`Uniform` only decide the masses.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right

import numpy as np

from .._validate import as_symbols, as_weights
from ..errors import ModelError

__all__ = ["EntropyModel", "Categorical", "Uniform", "quantize_probabilities", "check_precision", "MAX_PRECISION"]

#: The largest precision a model may have (slots are counted in int64).
MAX_PRECISION = 62


def check_precision(precision) -> int:
    if isinstance(precision, bool) or not isinstance(precision, (int, np.integer)):
        raise ModelError(f"precision must be an integer number of bits, got {precision!r}")
    if not 1 <= precision <= MAX_PRECISION:
        raise ModelError(f"precision must be between 1 and {MAX_PRECISION} bits, got {precision}")
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
        masses = np.asarray(masses, dtype=np.int64)
        total = 1 << self.precision
        if masses.ndim != 1 or masses.size == 0 or np.any(masses < 0) or masses.sum() != total:
            raise ModelError(f"masses must be non-negative integers summing to 2^{self.precision} = {total}")
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
        """``(c(x), m(x))``: symbol ``x`` owns slots ``c(x) .. c(x) + m(x) - 1``."""
        try:
            m = self._mass_list[symbol] if symbol >= 0 else 0
        except (IndexError, TypeError):
            m = 0
        if not m:  # not a plain in-range index of a possible symbol: let as_symbols judge it
            symbol = int(as_symbols([symbol], self.masses > 0)[0])
            m = self._mass_list[symbol]
        return self._cdf_list[symbol], m

    def lookup(self, slot: int) -> tuple[int, int, int]:
        """The symbol ``x`` whose slots contain ``slot``, with ``(x, c(x), m(x))``."""
        # The last x with cdf[x] <= slot; symbols of mass zero own no slot and are skipped.
        x = bisect_right(self._cdf_list, slot) - 1
        if not 0 <= slot < self._cdf_list[-1]:
            raise ValueError(f"slot {slot} is outside 0 .. 2^{self.precision} - 1")
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
        p = as_weights(probabilities, "probabilities")
        if not np.any(p > 0):
            raise ModelError("all probabilities are zero: at least one symbol must be possible")
        self.float_probabilities = p / p.sum()
        super().__init__(quantize_probabilities(self.float_probabilities, precision), precision)


class Uniform(EntropyModel):
    """The uniform distribution over ``num_symbols`` symbols, quantized to ``precision`` bits.

    When ``num_symbols`` does not divide ``2^P``, the first ``2^P mod n`` symbols get one
    slot more than the others.
    """

    def __init__(self, num_symbols: int, precision: int = 24):
        precision = check_precision(precision)
        if isinstance(num_symbols, bool) or not isinstance(num_symbols, (int, np.integer)) or num_symbols < 1:
            raise ModelError(f"num_symbols must be a positive integer, got {num_symbols!r}")
        if num_symbols > 1 << precision:
            raise ModelError(f"{num_symbols} symbols do not fit into 2^{precision} slots: raise the precision")
        base, extra = divmod(1 << precision, int(num_symbols))
        masses = np.full(int(num_symbols), base, dtype=np.int64)
        masses[:extra] += 1
        super().__init__(masses, precision)


def quantize_probabilities(p, precision: int) -> np.ndarray:
    """Integer masses ``m`` with ``sum(m) = 2^precision`` that are leaky and KL-optimal.

    Maximizing ``sum_x p(x) log2 m(x)`` is a separable concave problem over integers,
    so moving one slot at a time to where it gains the most is optimal:

    1. start every possible symbol at ``max(1, floor(p(x) 2^P))``;
    2. while slots are missing, give one to the symbol whose ``p(x) log2(m+1)/m``
       gain is largest; while there are too many, take one from the symbol
       (with ``m >= 2``) whose ``p(x) log2 m/(m-1)`` loss is smallest;
    3. then move single slots from the cheapest to the most valuable symbol
       while that improves the objective.
    """
    precision = check_precision(precision)
    p = np.asarray(p, dtype=float)
    total = 1 << precision
    possible = np.flatnonzero(p > 0)
    if possible.size > total:
        raise ModelError(f"{possible.size} symbols with non-zero probability cannot each get one of "
                         f"the 2^{precision} = {total} slots: raise the precision")
    m = np.zeros(p.size, dtype=np.int64)
    m[possible] = np.maximum(1, np.floor(p[possible] * total)).astype(np.int64)

    # The gains and losses of one slot differ in the 1/m^2 term only, so they are computed
    # with log1p: log2((m + 1) / m) in floating point cannot tell m from m + 1 for large m.
    def gain(x):  # bits gained (times -1, for the min-heap) by one more slot for x
        return -p[x] * np.log1p(1.0 / m[x])

    def loss(x):  # bits lost by one slot less for x; only for m(x) >= 2
        return -p[x] * np.log1p(-1.0 / m[x]) if m[x] >= 2 else np.inf

    # Where floating point cannot tell two gains (or losses) apart, the smaller (larger)
    # mass gets the slot (gives it up), which is right for equal probabilities.
    surplus = int(m.sum()) - total
    if surplus < 0:
        heap = [(gain(x), m[x], x) for x in possible]
        heapq.heapify(heap)
        for _ in range(-surplus):
            x = heapq.heappop(heap)[2]
            m[x] += 1
            heapq.heappush(heap, (gain(x), m[x], x))
    elif surplus > 0:
        heap = [(loss(x), -m[x], x) for x in possible]
        heapq.heapify(heap)
        for _ in range(surplus):
            x = heapq.heappop(heap)[2]
            m[x] -= 1
            heapq.heappush(heap, (loss(x), -m[x], x))

    # Exchange step: the greedy start from floor() is optimal in almost all cases;
    # this loop makes it optimal in all of them (and stops: each move gains).
    pp = p[possible]
    while possible.size > 1:
        mp = m[possible].astype(float)
        gains = pp * np.log1p(1.0 / mp)
        with np.errstate(divide="ignore"):
            losses = np.where(mp >= 2, -pp * np.log1p(-1.0 / np.maximum(mp, 2)), np.inf)
        best, cheapest = np.argmax(gains), np.argmin(losses)
        if best == cheapest or gains[best] <= losses[cheapest] * (1 + 1e-12):
            break
        m[possible[best]] += 1
        m[possible[cheapest]] -= 1
    return m
