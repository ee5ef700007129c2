"""Checking input before anything is computed or encoded, so that bad input changes nothing."""

from __future__ import annotations

import numpy as np

from .errors import ModelError, SymbolError


def as_weights(w, name: str) -> np.ndarray:
    """Return ``w`` as a 1-d float array of finite, non-negative numbers (probabilities or
    counts), or raise :class:`ModelError` naming the first bad entry."""
    w = np.asarray(w, dtype=float)
    if w.ndim != 1 or w.size == 0:
        raise ModelError(f"{name} must be a non-empty 1-d array, got shape {w.shape}")
    bad = np.flatnonzero(~np.isfinite(w))
    if bad.size:
        raise ModelError(f"{name}[{bad[0]}] is {w[bad[0]]}: it must be a finite number")
    bad = np.flatnonzero(w < 0)
    if bad.size:
        raise ModelError(f"{name}[{bad[0]}] = {w[bad[0]]} is negative")
    return w


def as_integers(symbols) -> np.ndarray:
    """Return ``symbols`` as a 1-d int64 array, or raise :class:`SymbolError` naming the first
    entry that is not an integer (floats are accepted where they hold whole numbers)."""
    if symbols is None or isinstance(symbols, (str, bytes, dict)):
        raise SymbolError(f"symbols must be a sequence of integers, got {type(symbols).__name__}")
    try:
        raw = np.asarray(symbols)
    except Exception as exc:  # ragged lists and the like  # noqa: BLE001
        raise SymbolError(f"symbols must be a sequence of integers: {exc}") from None
    raw = raw.reshape(-1) if raw.ndim == 0 else raw
    if raw.ndim != 1:
        raise SymbolError(f"symbols must be a 1-d sequence, got shape {raw.shape}")
    if raw.size == 0:
        return np.zeros(0, dtype=np.int64)
    if np.issubdtype(raw.dtype, np.integer):
        if raw.dtype == np.uint64 and raw.max() >= 2**63:
            i = int(np.argmax(raw >= 2**63))
            raise SymbolError(f"symbol {raw[i]} at position {i} is outside every alphabet")
        return raw.astype(np.int64)
    if raw.dtype == bool or not np.issubdtype(raw.dtype, np.floating):
        raise SymbolError(f"symbols must be integers, got an array of {raw.dtype}")
    bad = np.flatnonzero(~np.isfinite(raw) | (raw != np.round(raw)))
    if bad.size:
        raise SymbolError(f"symbol {raw[bad[0]]} at position {bad[0]} is not an integer")
    huge = np.flatnonzero(np.abs(raw) >= 2.0**63)
    if huge.size:
        raise SymbolError(f"symbol {raw[huge[0]]} at position {huge[0]} is outside every alphabet")
    return raw.astype(np.int64)


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
