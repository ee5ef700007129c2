"""Checking input before anything is computed or encoded, so that bad input changes nothing.

Every check raises one of ansedu's documented exceptions (:mod:`ansedu.errors`) naming the
problem; none lets numpy's or Python's own ``TypeError``, ``OverflowError`` or ``IndexError``
through, and none converts silently (no strings read as numbers, no floats truncated to
integers, no booleans read as 0 and 1).
"""

from __future__ import annotations

import numbers
import operator

import numpy as np

from .errors import ModelError, SymbolError

#: numpy kinds of real numbers (signed and unsigned integers, floats).
_REAL_KINDS = "iuf"


def _array(x, error, name: str) -> np.ndarray:
    """``np.asarray(x)``, or ``error`` for what numpy cannot make an array of (ragged lists, ...)."""
    if x is None or isinstance(x, (str, bytes, dict, set)):
        raise error(f"{name} must be a sequence of numbers, got {type(x).__name__}")
    try:
        return np.asarray(x)
    except Exception as exc:  # ragged lists and the like  # noqa: BLE001
        raise error(f"{name} must be a sequence of numbers: {exc}") from None


def _is_real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def as_floats(x, name: str, error=ModelError) -> np.ndarray:
    """``x`` (a number or an array of any shape) as a float array, or ``error`` naming the first
    entry that is not a real number (strings, complex numbers, booleans, ``None``) or is too
    large for a float. NaN and infinities are let through: callers decide about them."""
    raw = x if isinstance(x, np.ndarray) else _array(x, error, name)
    if raw.dtype.kind in _REAL_KINDS:
        return raw.astype(float)
    if raw.dtype == object:
        flat = raw.reshape(-1).tolist()
        for i, v in enumerate(flat):
            if not _is_real(v):
                raise error(f"{name}[{i}] is {v!r}: it must be a real number")
            try:
                float(v)
            except OverflowError:
                raise error(f"{name}[{i}] is too large for a float") from None
        return np.array([float(v) for v in flat], dtype=float).reshape(raw.shape)
    raise error(f"{name} must hold real numbers, got an array of {raw.dtype}")


def as_weights(w, name: str) -> np.ndarray:
    """Return ``w`` as a 1-d float array of finite, non-negative numbers (probabilities or
    counts), or raise :class:`ModelError` naming the first bad entry."""
    w = as_floats(w, name)
    if w.ndim != 1 or w.size == 0:
        raise ModelError(f"{name} must be a non-empty 1-d array, got shape {w.shape}")
    bad = np.flatnonzero(~np.isfinite(w))
    if bad.size:
        raise ModelError(f"{name}[{bad[0]}] is {w[bad[0]]}: it must be a finite number")
    bad = np.flatnonzero(w < 0)
    if bad.size:
        raise ModelError(f"{name}[{bad[0]}] = {w[bad[0]]} is negative")
    return w


def exact_sum(values: np.ndarray) -> int:
    """The exact sum of a non-negative int64 array, as a Python int (numpy's sum wraps around)."""
    values = np.asarray(values, dtype=np.int64)
    high = int((values >> 31).sum())  # each part sums below 2^63 for fewer than 2^32 entries
    low = int((values & ((1 << 31) - 1)).sum())
    return (high << 31) + low


def as_exact_integers(x, error, name: str) -> np.ndarray:
    """``x`` as a 1-d array of exact integers: an int64 array, or an object array of Python
    ints where some do not fit into int64. Floats are accepted where they hold whole numbers;
    booleans, strings, NaN and fractions raise ``error`` naming the first bad entry (``name``
    is what one entry is called, e.g. "symbol")."""
    raw = _array(x, error, f"{name}s")
    raw = raw.reshape(-1) if raw.ndim == 0 else raw
    if raw.ndim != 1:
        raise error(f"{name}s must be a 1-d sequence, got shape {raw.shape}")
    if raw.size == 0:
        return np.zeros(0, dtype=np.int64)
    if raw.dtype.kind == "f":
        raw = raw.astype(float)  # (float16 and longdouble compared with 2^53 would overflow or round)
    if raw.dtype.kind == "f" and not isinstance(x, np.ndarray) and np.nanmax(np.abs(raw)) >= 2.0**53:
        # A list mixing floats with ints too large for a float: read the ints exactly.
        raw = np.asarray(x, dtype=object).reshape(-1)
    if raw.dtype.kind == "i":
        return raw.astype(np.int64, copy=False)
    if raw.dtype.kind == "u":
        if raw.max() < 2**63:
            return raw.astype(np.int64)
        raw = raw.astype(object)
    if raw.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(raw) | (raw != np.round(raw)))
        if bad.size:
            raise error(f"{name} {raw[bad[0]]} at position {bad[0]} is not an integer")
        if np.abs(raw).max() < 2.0**63:
            return raw.astype(np.int64)
        raw = raw.astype(object)
    if raw.dtype != object:
        raise error(f"{name}s must be integers, got an array of {raw.dtype}")
    out = []
    for i, v in enumerate(raw.tolist()):
        if (isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral, float))
                or (isinstance(v, float) and not (np.isfinite(v) and v == round(v)))):
            raise error(f"{name} {v!r} at position {i} is not an integer")
        out.append(int(v))
    if all(-2**63 <= v < 2**63 for v in out):
        return np.array(out, dtype=np.int64)
    return np.array(out, dtype=object)


def as_integers(symbols) -> np.ndarray:
    """Return ``symbols`` as a 1-d int64 array, or raise :class:`SymbolError` naming the first
    entry that is not an integer (floats are accepted where they hold whole numbers)."""
    if symbols is None or isinstance(symbols, (str, bytes, dict, set)):
        raise SymbolError(f"symbols must be a sequence of integers, got {type(symbols).__name__}")
    out = as_exact_integers(symbols, SymbolError, "symbol")
    if out.dtype == object:
        i = next(i for i, v in enumerate(out.tolist()) if not -2**63 <= v < 2**63)
        raise SymbolError(f"symbol {out[i]} at position {i} is outside every alphabet")
    return out


def as_index(value, error, name: str) -> int:
    """``value`` as a Python int, if it is an integer (Python or numpy, not a bool), or ``error``."""
    if isinstance(value, (bool, np.bool_)):
        raise error(f"{name} must be an integer, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise error(f"{name} must be an integer, got {value!r}") from None


def as_symbols(symbols, possible: np.ndarray) -> np.ndarray:
    """Return ``symbols`` as an int64 array, or raise :class:`SymbolError` naming the
    first symbol that is not an integer, is outside ``0 .. len(possible)-1``, or has
    ``possible[symbol] == False`` (probability zero)."""
    out = as_integers(symbols)
    n = len(possible)
    outside = np.flatnonzero((out < 0) | (out >= n))
    if outside.size:
        i = outside[0]
        raise SymbolError(f"symbol {out[i]} at position {i} is outside the alphabet 0..{n - 1}")
    impossible = np.flatnonzero(~possible[out]) if out.size else outside
    if impossible.size:
        i = impossible[0]
        raise SymbolError(f"symbol {out[i]} at position {i} has probability zero under the model, "
                          "so it cannot be encoded; give every symbol that can occur a non-zero probability")
    return out
