"""The model protocol: the little that a coder asks of an entropy model.

A coder with precision ``P`` splits the integers ``0 .. 2^P - 1`` (the *slots*)
among the symbols: symbol ``x`` owns the ``m(x)`` slots starting at its left
cumulative ``c(x)``, so its quantized probability is ``m(x) / 2^P``. Every coder of
ansedu (stack or queue) talks to a model through exactly these members:

- ``precision``: the number ``P`` of bits the slots are counted in;
- ``interval(x, *params) -> (c, m)``: the slots of symbol ``x``, for encoding; it
  raises :class:`~ansedu.errors.SymbolError` for a symbol it cannot encode;
- ``lookup(slot, *params) -> (x, c, m)``: the symbol that owns ``slot``, for decoding;
- ``num_params`` (optional, default 0): how many parameters the model takes per
  symbol. A model with ``num_params = 0`` is one fixed distribution; a *model family*
  (``num_params = k > 0``, for example a quantized Gaussian with a mean and a scale
  per symbol) is given ``k`` parameter arrays with one entry per symbol, and
  ``interval`` and ``lookup`` receive the ``k`` numbers of the symbol at hand;
- ``param_ndims`` (optional, default all 1): a family whose parameter is a row per symbol
  (a probability table of shape ``(n, alphabet)``) says so with a 2 at that position;
  its ``lookup`` then receives the symbol's row (a 1-d numpy array);
- ``check_params(*param_arrays)`` (optional): a family's check of all its parameters at once
  (finite numbers, positive scales, ...), called before anything is decoded, so that a bad
  parameter far into the message raises before the coder changes;
- ``intervals(symbols, *param_arrays) -> (c, m)`` (optional): all intervals of a
  message at once, as integer arrays, checked like ``interval``. Coders use it when
  it exists, so that encoding does not call Python per symbol for the model.

A coder may also be given a sequence of fixed models, one per symbol (adaptive or
autoregressive models, built as the message is read). Anything else, or a model of
another precision, is refused before anything is coded, so a failed call changes
nothing. The functions below are the one place where coders check what they were
given; :class:`~ansedu.models.categorical.EntropyModel` implements the protocol for
fixed tables of integer masses.
"""

from __future__ import annotations

import operator

import numpy as np

from .._validate import as_exact_integers, as_integers
from ..errors import ConfigError, DecodeError, ModelError, SymbolError

__all__ = ["is_model", "num_params", "encoding_intervals", "encoding_interval_arrays", "reversed_chunks",
           "decoding_lookup", "check_amount"]


def is_model(obj) -> bool:
    """Whether ``obj`` follows the model protocol (rather than being a sequence of models)."""
    return (hasattr(obj, "precision") and callable(getattr(obj, "interval", None))
            and callable(getattr(obj, "lookup", None)))


def num_params(model) -> int:
    """How many parameters per symbol ``model`` takes (0 for a fixed distribution)."""
    return int(getattr(model, "num_params", 0))


def _check_precision(model, precision: int, where: str) -> None:
    if model.precision != precision:
        raise ConfigError(f"{where} has precision {model.precision} but the coder uses precision "
                          f"{precision}: build the model with precision={precision}")


def _models_of(model, precision: int):
    """``model`` as (one model or None, list of per-symbol models or None), checked."""
    if is_model(model):
        _check_precision(model, precision, "the model")
        return model, None
    if isinstance(model, (list, tuple)) or (
            hasattr(model, "__len__") and hasattr(model, "__getitem__")
            and not isinstance(model, (str, bytes, np.ndarray, dict))):
        models = list(model)
        for i, m in enumerate(models):
            if not is_model(m):
                raise ModelError(f"the model of symbol {i} is a {type(m).__name__}, not an entropy model "
                                 "(an object with precision, interval and lookup)")
            if num_params(m):
                raise ModelError(f"the model of symbol {i} is a model family with {num_params(m)} "
                                 "parameters: give the family once, with one parameter array per parameter")
            _check_precision(m, precision, f"the model of symbol {i}")
        return None, models
    raise ModelError(f"model must be an entropy model (an object with precision, interval and lookup) or "
                     f"a sequence of them, one per symbol; got {type(model).__name__}")


def _param_arrays(model, params, n=None):
    """The ``k`` parameter arrays of a model family, as float arrays of one common length."""
    k = num_params(model)
    if len(params) != k:
        if k == 0:
            raise ModelError(f"{type(model).__name__} has fixed parameters, but {len(params)} parameter "
                             "array(s) were given; for per-symbol parameters use a model family")
        raise ModelError(f"{type(model).__name__} takes {k} parameter array(s), one entry per symbol; "
                         f"got {len(params)}")
    arrays = []
    ndims = tuple(getattr(model, "param_ndims", ())) or (1,) * k
    for j, p in enumerate(params):
        try:
            a = np.asarray(p, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ModelError(f"parameter array {j} of {type(model).__name__} must hold numbers: {exc}") from None
        if a.ndim != ndims[j]:
            raise ModelError(f"parameter array {j} must be {ndims[j]}-d, one entry per symbol; got shape {a.shape}")
        if n is not None and len(a) != n:
            raise ModelError(f"parameter array {j} has {len(a)} entries but there are {n} symbols: "
                             "give one entry per symbol")
        n = len(a) if n is None else n
        if len(a) != n:
            raise ModelError(f"the parameter arrays have different lengths ({len(arrays[0])} and {len(a)})")
        arrays.append(a)
    return arrays


def encoding_interval_arrays(symbols, model, params, precision: int):
    """Check a message and its model(s); return ``(starts, masses)``, one per symbol, as int64 arrays.

    This is everything a coder needs to encode: the checks all happen here, before a
    coder changes, so bad input (a symbol the model cannot encode, a model of another
    precision, parameter arrays of the wrong length) raises and changes nothing.
    """
    one, models = _models_of(model, precision)
    symbols = as_integers(symbols)
    n = symbols.size
    if one is not None:
        arrays = _param_arrays(one, params, n)
        if hasattr(one, "intervals"):
            starts, masses = one.intervals(symbols, *arrays)
        else:
            columns = [a.tolist() for a in arrays]
            pairs = [one.interval(x, *(col[i] for col in columns)) for i, x in enumerate(symbols.tolist())]
            starts, masses = [c for c, _ in pairs], [m for _, m in pairs]
    else:
        if params:
            raise ModelError("parameter arrays go with a model family, not with a sequence of models")
        if len(models) != n:
            raise SymbolError(f"got {n} symbols but {len(models)} models: give one model per symbol")
        pairs = [m.interval(x) for x, m in zip(symbols.tolist(), models)]
        starts, masses = [c for c, _ in pairs], [m for _, m in pairs]
    return _checked_intervals(starts, masses, n, precision, one if one is not None or not models else models[0])


def _checked_intervals(starts, masses, n: int, precision: int, model):
    """The intervals a model gave, as int64 arrays, checked to be slots of ``0 .. 2^P - 1``
    (a model that breaks the protocol must not make a coder divide by zero halfway)."""
    name = type(model).__name__
    try:
        starts = as_exact_integers(starts, ModelError, f"start of an interval of {name}")
        masses = as_exact_integers(masses, ModelError, f"mass of an interval of {name}")
    except ModelError as exc:
        raise ModelError(f"{name} gave intervals that are not integers: {exc}") from None
    if starts.shape != (n,) or masses.shape != (n,):
        raise ModelError(f"{name} gave {starts.size} starts and {masses.size} masses for {n} symbols")
    if n:
        bad = np.flatnonzero((masses < 1) | (starts < 0) | (starts > (1 << precision) - masses))
        if bad.size:
            i = bad[0]
            raise ModelError(f"{name} gave symbol {i} the interval c = {starts[i]}, m = {masses[i]}, "
                             f"which is not a non-empty run of the 2^{precision} slots")
    return starts.astype(np.int64), masses.astype(np.int64)


def encoding_intervals(symbols, model, params, precision: int):
    """:func:`encoding_interval_arrays`, as two lists of Python ints."""
    starts, masses = encoding_interval_arrays(symbols, model, params, precision)
    return starts.tolist(), masses.tolist()


#: How many symbols a coder turns into Python ints at a time (see :func:`reversed_chunks`).
CHUNK = 1 << 16


def reversed_chunks(starts: np.ndarray, masses: np.ndarray, chunk: int | None = None):
    """Yield ``(starts, masses)`` as lists of Python ints, last symbol first, ``chunk`` at a time
    (default :data:`CHUNK`).

    A coder's loop runs fastest over plain ints; converting a whole message at once would
    hold two Python ints per symbol (about 70 bytes), converting it in chunks holds one chunk."""
    chunk = CHUNK if chunk is None else chunk
    for end in range(starts.size, 0, -chunk):
        begin = max(0, end - chunk)
        yield starts[begin:end][::-1].tolist(), masses[begin:end][::-1].tolist()


def check_amount(amt) -> int:
    """``amt`` as a number of symbols to decode, or :class:`DecodeError` naming the problem."""
    if isinstance(amt, (bool, np.bool_)):
        raise DecodeError(f"amt must be a whole number of symbols to decode, got {amt!r}")
    try:
        amt = operator.index(amt)
    except TypeError:
        raise DecodeError(f"amt must be a whole number of symbols to decode, got {amt!r}") from None
    if amt < 0:
        raise DecodeError(f"amt must be a non-negative number of symbols to decode, got {amt}")
    return amt


def decoding_lookup(model, args, precision: int):
    """Check what a coder was asked to decode with; return ``(amt, fixed, lookup_at)``.

    - ``model`` is one fixed model and ``args`` is ``()`` (one symbol: ``amt`` is None)
      or ``(amt,)``; then ``fixed`` is its ``lookup(slot)``;
    - ``model`` is a family and ``args`` are its parameter arrays (``amt`` is their length);
    - ``model`` is a sequence of fixed models (``args`` is ``()`` or ``(amt,)`` equal to its length).

    ``lookup_at(i, slot)`` is the lookup for the ``i``-th symbol (``fixed`` is None unless
    one fixed model serves every symbol, which a coder may call directly: it is faster).
    Nothing is allocated per symbol here, so a huge ``amt`` costs nothing until decoded.
    """
    one, models = _models_of(model, precision)
    if one is not None and num_params(one):
        arrays = _param_arrays(one, args)
        if callable(getattr(one, "check_params", None)):
            one.check_params(*arrays)
        columns = [a.tolist() if a.ndim == 1 else a for a in arrays]
        lookup = one.lookup
        if len(columns) == 2:  # (the common case of a location and a scale, without a generator)
            first, second = columns
            return len(first), None, lambda i, slot: lookup(slot, first[i], second[i])
        return len(columns[0]), None, lambda i, slot: lookup(slot, *(col[i] for col in columns))
    if len(args) > 1:
        raise DecodeError(f"decode takes the model and at most an amount of symbols; got {len(args)} "
                          "more arguments (parameter arrays go with a model family)")
    amt = check_amount(args[0]) if args and args[0] is not None else None
    if one is not None:
        fixed = one.lookup
        return amt, fixed, lambda i, slot: fixed(slot)
    if amt is not None and amt != len(models):
        raise DecodeError(f"asked to decode {amt} symbols with {len(models)} per-symbol models")
    return len(models), None, lambda i, slot: models[i].lookup(slot)
