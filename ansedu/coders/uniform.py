"""A positional numeral system on one Python integer: the optimal code for uniform symbols.

Writing a digit ``s`` in base ``b`` onto a number ``N`` is ``N <- N * b + s``;
reading it back is ``s = N mod b``, ``N <- N div b``. The base may change from
digit to digit, as long as the reader uses the same bases in the opposite order:
the last digit written is the first one read, so the number is a *stack*.

A digit in base ``b`` costs ``log2 b`` bits, which is optimal when the digit is
uniformly distributed; this is the building block of ANS.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import DecodeError, SymbolError

__all__ = ["UniformCoder"]


def _whole(value) -> int | None:
    """``value`` as an int if it is a whole number other than a bool (``3``, ``np.int64(3)``,
    ``3.0``), else None: NaN, infinities, fractions, strings and booleans are not digits."""
    if type(value) is int:
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return None
    try:
        whole = int(value)
        return whole if whole == value else None
    except (TypeError, ValueError, OverflowError):
        return None


def _check_base(base) -> int:
    whole = _whole(base)
    if whole is None or whole < 1:
        raise SymbolError(f"base must be a positive integer, got {base!r}")
    return whole


class UniformCoder:
    """A stack of digits with arbitrary bases, kept in one integer ``state``.

    The empty coder holds ``state = 1``: a leading one written before any digit,
    so that leading zero digits are not lost (``0`` pushed in base 10 onto ``1``
    gives ``10``, not ``0``). Its bits are not part of the message.

    Invariant: ``state >= 1``. A pop that would remove the leading one raises
    :class:`DecodeError` instead.

    >>> coder = UniformCoder()
    >>> coder.push(3, 10); coder.push(7, 10)
    >>> coder.state
    137
    >>> coder.pop(10), coder.pop(10)
    (7, 3)
    """

    #: No start-up cost: the leading one is implied by the length of the bits (see :mod:`ansedu.coders`).
    initial_bits = 0

    def __init__(self, state: int = 1):
        if isinstance(state, bool) or not isinstance(state, int) or state < 1:
            raise DecodeError(f"a UniformCoder's state is an integer >= 1, got {state!r}")
        self.state = state

    def push(self, symbol: int, base: int) -> None:
        """Write ``symbol`` (one of ``0 .. base-1``) as the new lowest digit."""
        base = _check_base(base)
        whole = _whole(symbol)
        if whole is None:
            raise SymbolError(f"symbol must be an integer, got {symbol!r}")
        symbol = whole
        if not 0 <= symbol < base:
            raise SymbolError(f"symbol {symbol} is not a digit in base {base}: it must be in 0..{base - 1}")
        self.state = self.state * base + symbol

    def pop(self, base: int) -> int:
        """Remove and return the lowest digit, read in base ``base``."""
        base = _check_base(base)
        rest, symbol = divmod(self.state, base)
        if rest == 0:  # the leading one would be popped
            if self.state == 1:
                raise DecodeError("nothing left to pop: the coder is empty")
            raise DecodeError(f"the state {self.state} holds less than one digit in base {base}: the data "
                              "is truncated, or popped with other bases than it was pushed with")
        self.state = rest
        return symbol

    def num_bits(self) -> int:
        """Bits of the message: the binary length of ``state`` without the leading one."""
        return self.state.bit_length() - 1

    def bits(self) -> str:
        """The message as a string of bits (``state`` in binary without the leading one)."""
        return bin(self.state)[3:]

    def is_empty(self) -> bool:
        return self.state == 1

    def __repr__(self) -> str:
        return f"UniformCoder(state={self.state})"
