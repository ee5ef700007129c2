"""The Bernoulli family: one binary symbol per entry, with its own probability of a 1.

At precision ``P`` a probability ``p`` of the symbol 1 becomes the mass
``m(1) = min(max(round(p 2^P), 1), 2^P - 1)`` and ``m(0) = 2^P - m(1)``, with symbol 0 first
(``c(0) = 0``, ``c(1) = m(0)``). Both symbols keep at least one slot (leaky), so any binary
data can be coded whatever the probabilities. ``p 2^P`` is exact in floating point (a power of
two scales without rounding) and ``round`` is exact, so the masses are bit-identical on every
machine and in the vectorized (encoding) and per-symbol (decoding) paths alike.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_integers
from ..errors import ModelError, SymbolError
from .categorical import check_precision

__all__ = ["Bernoulli"]


class Bernoulli:
    """Binary symbols with a probability of 1 per entry: ``coder.encode_reverse(bits, Bernoulli(), p)``.

    A model family with one parameter (``num_params = 1``): an array ``p`` with one probability
    of a 1 per symbol, each in [0, 1] (0 and 1 are allowed: the leaky floor keeps the other
    symbol possible, at a cost of ``P`` bits).
    """

    num_params = 1

    def __init__(self, precision: int = 24):
        self.precision = check_precision(precision)
        self._total = 1 << self.precision

    def _mass_of_one(self, p):
        """``m(1)`` for probabilities ``p`` (a float or an array of them)."""
        scaled = np.rint(np.asarray(p, dtype=float) * self._total)
        return np.clip(scaled, 1, self._total - 1).astype(np.int64)

    def _check_p(self, p: np.ndarray) -> None:
        bad = np.flatnonzero(~((p >= 0) & (p <= 1)))  # also catches NaN
        if bad.size:
            raise ModelError(f"probability {p[bad[0]]} at position {bad[0]} is not in [0, 1]")

    def intervals(self, symbols, p):
        symbols = as_integers(symbols)
        p = np.asarray(p, dtype=float)
        self._check_p(p)
        bad = np.flatnonzero((symbols != 0) & (symbols != 1))
        if bad.size:
            raise SymbolError(f"symbol {symbols[bad[0]]} at position {bad[0]} is not a bit (0 or 1)")
        m1 = self._mass_of_one(p)
        m0 = self._total - m1
        return np.where(symbols == 1, m0, 0), np.where(symbols == 1, m1, m0)

    def interval(self, x, p):
        (c,), (m,) = self.intervals([x], [p])
        return int(c), int(m)

    def lookup(self, slot, p):
        if not 0 <= p <= 1:
            raise ModelError(f"probability {p} is not in [0, 1]")
        m1 = int(self._mass_of_one(p))
        m0 = self._total - m1
        return (0, 0, m0) if slot < m0 else (1, m0, m1)

    def __repr__(self) -> str:
        return f"Bernoulli(precision={self.precision})"
