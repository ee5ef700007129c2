"""Adaptive models: models that learn from the symbols they have already coded, and the code that
drives a coder with them.

An *adaptive model* follows the model protocol (:mod:`ansedu.models.protocol`) for the **next**
symbol it codes, and learns that symbol afterwards:

- ``precision``, ``interval(x) -> (c, m)`` and ``lookup(slot) -> (x, c, m)``: the distribution of
  the next coded unit, given everything coded before it; they do not change the model;
- ``update(x)``: learn the unit ``x`` that was just coded (called *after* it was coded, by the
  encoder and by the decoder alike, so both hold the same model at every step);
- ``units_per_symbol``, ``decompose(x)`` and ``compose(units)``: a message symbol may be coded as
  several units (a byte as 8 binary decisions, see :mod:`ansedu.models.context`); here one unit
  is the symbol itself;
- ``check_symbols(data)``: the message as an int64 array, or :class:`~ansedu.errors.SymbolError`;
- ``copy()`` and ``==``: a snapshot of the model, and equality of the learned state.

The encoder and the decoder start from the same fresh model and feed it the same past, so they
compute the same ``(c, m)`` for every symbol: nothing about the model is transmitted.

How a coder is driven depends on its shape (:func:`encode_adaptive`, :func:`decode_adaptive`):

- a **queue** (a range coder) decodes in the order it encodes, so the model simply runs beside
  it: give the model's current distribution for one unit, code it, update;
- a **stack** (ANS) decodes in the reverse order. The decoder must see the symbols first to last
  (it can only learn from what it has decoded), so the *encoder* runs the model forward over the
  whole message, records each unit's ``(c, m)``, and then pushes the recorded intervals last to
  first; the decoder pops them first to last while running the model forward, exactly as the
  encoder did.
"""

from __future__ import annotations

import operator

import numpy as np

from .._validate import as_integers, as_symbols
from ..errors import ConfigError, DecodeError, ModelError, SymbolError
from .categorical import check_precision

__all__ = ["AdaptiveCategorical", "RecordedIntervals", "encode_adaptive", "decode_adaptive",
           "forward_intervals", "information_content"]


def _positive_int(value, name: str) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise ModelError(f"{name} must be a positive integer, got {value!r}")
    try:
        value = operator.index(value)
    except TypeError:
        raise ModelError(f"{name} must be a positive integer, got {value!r}") from None
    if value < 1:
        raise ModelError(f"{name} must be a positive integer, got {value}")
    return value


class AdaptiveCategorical:
    """A categorical model over ``0 .. n-1`` that counts the symbols it has coded.

    Every symbol starts with count 1 (or the given ``counts``); after a symbol is coded its count
    grows by ``increment``. The model's probability of ``x`` is (up to rounding) its share
    ``f(x) / T`` of the total ``T`` of all counts.

    **Integer masses that sum to exactly** ``2^P``. With ``F(x) = f(0) + ... + f(x-1)`` the left
    cumulative count, the slots of ``x`` start at ``c(x) = floor(F(x) 2^P / T)``. Since
    ``c(0) = 0`` and ``c(n) = 2^P``, the masses ``m(x) = c(x+1) - c(x)`` sum to exactly ``2^P``
    whatever the counts; and as ``T <= 2^P`` (kept below) and ``f(x) >= 1``, every
    ``m(x) >= floor(f(x) 2^P / T) >= 1``: every symbol stays encodable.

    **O(log n) per symbol.** The counts live in a Fenwick tree, which gives ``F(x)`` and adds to
    one count in ``O(log n)`` steps; decoding finds the symbol of a slot by descending the same
    tree (the largest ``x`` with ``F(x) <= floor(((slot + 1) T - 1) / 2^P)`` owns ``slot``).
    Nothing is quantized anew per symbol.

    **Rescaling.** When the total exceeds ``max_total``, every count is halved, rounding up (so
    it stays >= 1). This keeps ``T <= max_total <= 2^P`` (which needs
    ``n + increment <= max_total``: after halving, ``T <= (max_total + increment + n) / 2``) and
    makes the model forget slowly: counts from before a rescale weigh half as much as new ones,
    so the model follows a text whose statistics drift.

    Args:
        num_symbols: the alphabet size ``n``.
        precision: ``P``, must match the coder's.
        increment: what a coded symbol adds to its count (larger: learns faster, relative to the
            initial counts of 1).
        max_total: the total at which the counts are halved; at most ``2^P`` (default
            ``min(2^16, 2^P)``).
        counts: initial counts (positive integers), default all 1.
    """

    units_per_symbol = 1

    def __init__(self, num_symbols: int, precision: int = 24, *, increment: int = 32,
                 max_total: int | None = None, counts=None):
        self.precision = check_precision(precision)
        n = _positive_int(num_symbols, "num_symbols")
        self.increment = _positive_int(increment, "increment")
        self.max_total = (min(1 << 16, 1 << self.precision) if max_total is None
                          else _positive_int(max_total, "max_total"))
        if self.max_total > 1 << self.precision:
            raise ModelError(f"max_total {self.max_total} > 2^{self.precision}: the total of the counts "
                             "must fit into the slots, or some symbol could get mass zero")
        if n + self.increment > self.max_total:
            raise ModelError(f"num_symbols + increment = {n + self.increment} > max_total {self.max_total}: "
                             "after halving, the counts would not fit below max_total; raise max_total "
                             "(and the precision) or lower the increment")
        if counts is None:
            counts = [1] * n
        else:
            arr = np.asarray(counts)
            if (arr.ndim != 1 or arr.size != n or not np.issubdtype(arr.dtype, np.integer)
                    or np.any(arr < 1)):
                raise ModelError(f"counts must be {n} positive integers")
            if int(arr.sum()) > self.max_total:
                raise ModelError(f"the initial counts sum to {int(arr.sum())} > max_total {self.max_total}")
            counts = arr.tolist()
        self.num_symbols = n
        self._counts = [int(v) for v in counts]
        self._build()

    # -- the Fenwick tree ------------------------------------------------------------

    def _build(self) -> None:
        """Rebuild the tree from the counts in O(n): tree[i] holds the sum of counts i-lowbit(i) .. i-1."""
        n = self.num_symbols
        tree = [0] + self._counts
        for i in range(1, n + 1):
            j = i + (i & -i)
            if j <= n:
                tree[j] += tree[i]
        self._tree = tree
        self.total = sum(self._counts)
        self._top = 1 << (n.bit_length() - 1)  # the largest power of two <= n, for the descent

    def _cumulative(self, x: int) -> int:
        """``F(x) = f(0) + ... + f(x-1)``."""
        tree, s = self._tree, 0
        while x:
            s += tree[x]
            x &= x - 1
        return s

    # -- the model protocol (for the next symbol) --------------------------------------

    def interval(self, x) -> tuple[int, int]:
        """``(c(x), m(x))`` under the counts so far (does not learn ``x``)."""
        if not (type(x) is int and 0 <= x < self.num_symbols):
            x = int(self.check_symbols([x])[0])
        F = self._cumulative(x)
        P, T = self.precision, self.total
        c = (F << P) // T
        return c, ((F + self._counts[x]) << P) // T - c

    def lookup(self, slot: int) -> tuple[int, int, int]:
        """The symbol whose slots contain ``slot``, with ``(x, c(x), m(x))``."""
        P, T = self.precision, self.total
        if not 0 <= slot < 1 << P:
            raise ValueError(f"slot {slot} is outside 0 .. 2^{P} - 1")
        bound = ((slot + 1) * T - 1) >> P  # x owns slot  <=>  F(x) <= bound < F(x + 1)
        tree, n, pos, step, target = self._tree, self.num_symbols, 0, self._top, bound
        while step:  # Fenwick descent: the largest pos with F(pos) <= target
            nxt = pos + step
            if nxt <= n and tree[nxt] <= target:
                pos = nxt
                target -= tree[nxt]
            step >>= 1
        F = bound - target  # F(pos): what the descent subtracted
        c = (F << P) // T
        return pos, c, ((F + self._counts[pos]) << P) // T - c

    def update(self, x: int) -> None:
        """Learn ``x``: its count grows by ``increment``; halve all counts if the total exceeds ``max_total``."""
        inc = self.increment
        self._counts[x] += inc
        self.total += inc
        if self.total > self.max_total:
            self._counts = [(v + 1) >> 1 for v in self._counts]
            self._build()
            return
        tree, n, i = self._tree, self.num_symbols, x + 1
        while i <= n:
            tree[i] += inc
            i += i & -i

    # -- the adaptive-model protocol ---------------------------------------------------

    def decompose(self, x) -> tuple[int]:
        return (x,)

    def compose(self, units) -> int:
        return units[0]

    def check_symbols(self, data) -> np.ndarray:
        """``data`` as an int64 array, or :class:`SymbolError` for the first symbol outside ``0 .. n-1``."""
        return as_symbols(_as_data(data), np.ones(self.num_symbols, dtype=bool))

    # -- inspection ---------------------------------------------------------------

    @property
    def counts(self) -> np.ndarray:
        """The current counts ``f`` (a copy)."""
        return np.array(self._counts, dtype=np.int64)

    @property
    def masses(self) -> np.ndarray:
        """The current masses ``m(x)`` of all symbols (they sum to ``2^P``)."""
        F = np.concatenate([[0], np.cumsum(self._counts)]).tolist()
        c = [(v << self.precision) // self.total for v in F]
        return np.diff(np.array(c, dtype=object)).astype(np.int64)

    @property
    def probabilities(self) -> np.ndarray:
        """The current quantized probabilities ``m(x) / 2^P``."""
        return self.masses / float(1 << self.precision)

    def copy(self) -> "AdaptiveCategorical":
        twin = object.__new__(AdaptiveCategorical)
        twin.__dict__.update(self.__dict__)
        twin._counts, twin._tree = list(self._counts), list(self._tree)
        return twin

    def __eq__(self, other) -> bool:
        return (type(other) is type(self) and self.precision == other.precision
                and self.increment == other.increment and self.max_total == other.max_total
                and self._counts == other._counts)

    __hash__ = None

    def __repr__(self) -> str:
        return (f"AdaptiveCategorical(num_symbols={self.num_symbols}, precision={self.precision}, "
                f"increment={self.increment}, max_total={self.max_total}, total={self.total})")


def _as_data(data):
    """Bytes-like data as an integer array (bytes are symbols 0..255); anything else unchanged."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return np.frombuffer(bytes(data), dtype=np.uint8)
    return data


class RecordedIntervals:
    """A model family whose parameters are the intervals themselves: ``(c, m)`` per unit.

    :func:`encode_adaptive` records each unit's ``(c, m)`` while running an adaptive model
    forward, and hands them to a stack coder as ``coder.encode_reverse(units, RecordedIntervals(P),
    starts, masses)``. It is only for encoding: a decoder has no intervals to replay, it runs the
    model.
    """

    num_params = 2

    def __init__(self, precision: int):
        self.precision = check_precision(precision)
        if self.precision > 53:
            raise ConfigError("RecordedIntervals passes intervals as float64 parameters, exact only "
                              f"up to precision 53, not {self.precision}")

    def interval(self, x, c, m) -> tuple[int, int]:
        c, m = int(c), int(m)
        if not (m >= 1 and 0 <= c and c + m <= 1 << self.precision):
            raise ModelError(f"({c}, {m}) is not an interval of 2^{self.precision} slots with mass >= 1")
        return c, m

    def intervals(self, symbols, starts, masses):
        c, m = starts.astype(np.int64), masses.astype(np.int64)
        bad = np.flatnonzero((m < 1) | (c < 0) | (c + m > 1 << self.precision))
        if bad.size:
            i = bad[0]
            raise ModelError(f"recorded interval {i} ({c[i]}, {m[i]}) is not an interval of "
                             f"2^{self.precision} slots with mass >= 1")
        return c, m

    def lookup(self, slot, c, m):
        raise ModelError("recorded intervals can only be encoded; decode by running the adaptive model")


def forward_intervals(model, data):
    """Run ``model`` forward over ``data`` (learning it); return ``(units, starts, masses)`` as lists.

    Uses the model's own ``forward_intervals`` when it has a faster one; otherwise it asks
    ``interval`` and calls ``update`` unit by unit."""
    symbols = model.check_symbols(data)
    fast = getattr(model, "forward_intervals", None)
    if fast is not None:
        return fast(symbols)
    units, starts, masses = [], [], []
    interval, update, decompose = model.interval, model.update, model.decompose
    for x in symbols.tolist():
        for u in decompose(x):
            c, m = interval(u)
            units.append(u)
            starts.append(c)
            masses.append(m)
            update(u)
    return units, starts, masses


def information_content(model, data) -> float:
    """The bits ``sum -log2(m / 2^P)`` that ``data`` costs under ``model`` (which learns it)."""
    _, _, masses = forward_intervals(model, data)
    if not masses:
        return 0.0
    return float(len(masses) * model.precision - np.log2(np.asarray(masses, dtype=float)).sum())


def _check_model(coder, model, action: str) -> None:
    if not (isinstance(getattr(coder, "precision", None), int)
            and any(callable(getattr(coder, name, None)) for name in action.split("|"))):
        raise ConfigError(f"{type(coder).__name__} is not a coder: it has no precision, or no "
                          f"{' / '.join(action.split('|'))}")
    for member in ("precision", "interval", "lookup", "update", "decompose", "compose", "check_symbols"):
        if not hasattr(model, member):
            raise ModelError(f"{type(model).__name__} is not an adaptive model: it has no {member!r} "
                             "(see ansedu.models.adaptive)")
    if model.precision != coder.precision:
        raise ConfigError(f"the model has precision {model.precision} but the coder uses precision "
                          f"{coder.precision}: build the model with precision={coder.precision}")


def encode_adaptive(coder, data, model):
    """Encode ``data`` with an adaptive ``model`` that learns it as it goes; return ``model``.

    ``model`` must be fresh (or in the state the decoder's model will start from); it is
    advanced in place, so afterwards it has learned all of ``data``.

    - a stack coder (one with ``encode_reverse``, e.g. :class:`~ansedu.AnsCoder`): the model runs
      forward over the whole message and records every unit's ``(c, m)``; the recorded intervals
      are then pushed last to first, so that the decoder pops them first to last;
    - a queue coder (one with ``encode`` only, e.g. a range encoder): unit by unit, the coder
      encodes with the model's current distribution, then the model learns the unit.

    The data is checked before anything is coded: a bad symbol raises and changes nothing.
    """
    _check_model(coder, model, "encode_reverse|encode")
    symbols = model.check_symbols(data)
    if hasattr(coder, "encode_reverse"):
        backup = model.copy()
        try:
            units, starts, masses = forward_intervals(model, symbols)
            if model.precision <= 53:
                coder.encode_reverse(units, RecordedIntervals(model.precision), starts, masses)
            else:  # intervals above 2^53 are not exact as float parameters: one fixed model per unit
                coder.encode_reverse(units, [_FixedInterval(model.precision, u, c, m)
                                             for u, c, m in zip(units, starts, masses)])
        except BaseException:
            _restore(model, backup)
            raise
    else:  # a queue: _check_model made sure it has encode
        encode, interval_model, update, decompose = coder.encode, model, model.update, model.decompose
        for x in symbols.tolist():
            for u in decompose(x):
                encode([u], interval_model)  # the coder asks model.interval(u): the current state
                update(u)
    return model


def decode_adaptive(coder, model, amt: int) -> np.ndarray:
    """Decode ``amt`` symbols, running the adaptive ``model`` forward as they come out.

    ``model`` must start in the state the encoder's model started from; it is advanced in place
    and ends in the state the encoder's model ended in. Works with a stack coder (ANS pops the
    units first to last because the encoder pushed them last to first) and with a queue decoder
    alike. If the data runs out, :class:`~ansedu.errors.DecodeError` is raised and both the coder
    (when it has ``pos``/``seek``) and the model are left as they were.
    """
    _check_model(coder, model, "decode")
    if isinstance(amt, (bool, np.bool_)):
        raise DecodeError(f"amt must be a whole number of symbols to decode, got {amt!r}")
    try:
        amt = operator.index(amt)
    except TypeError:
        raise DecodeError(f"amt must be a whole number of symbols to decode, got {amt!r}") from None
    if amt < 0:
        raise DecodeError(f"amt must be a non-negative number of symbols to decode, got {amt}")
    checkpoint = coder.pos() if hasattr(coder, "pos") and hasattr(coder, "seek") else None
    backup = model.copy()
    decode, update, compose, k = coder.decode, model.update, model.compose, model.units_per_symbol
    out = []
    try:
        if k == 1:
            for _ in range(amt):
                u = decode(model)  # the coder asks model.lookup(slot): the current state
                update(u)
                out.append(u)
        else:
            for _ in range(amt):
                units = []
                for _ in range(k):
                    u = decode(model)
                    update(u)
                    units.append(u)
                out.append(compose(units))
    except BaseException:
        _restore(model, backup)
        if checkpoint is not None:
            coder.seek(*checkpoint)
        raise
    return np.array(out, dtype=np.int64)


def _restore(model, backup) -> None:
    model.__dict__.clear()
    model.__dict__.update(backup.__dict__)


class _FixedInterval:
    """One unit's recorded interval as a fixed model (used above precision 53)."""

    def __init__(self, precision, unit, c, m):
        self.precision, self._unit, self._c, self._m = precision, unit, c, m

    def interval(self, x):
        if x != self._unit:
            raise SymbolError(f"this recorded interval is for unit {self._unit}, not {x}")
        return self._c, self._m

    def lookup(self, slot):
        raise ModelError("recorded intervals can only be encoded; decode by running the adaptive model")
