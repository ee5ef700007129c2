"""A match model on top of :class:`~ansedu.ContextModel`: long repeats predicted from their first
occurrence (the model of ``ansedu compress`` since container format version 3).

The context model of chapter 10 looks at most ``k`` (5) bytes back. A line of source code that
appeared 40 lines earlier, or a paragraph quoted twice, is therefore learned again byte by byte:
every byte costs about a bit even in the second copy. LZ77 coders (gzip, xz) code such a repeat
as one reference. The *match model* of PAQ and lpaq (Matt Mahoney) brings that to a
bit-by-bit model: it remembers where each context of ``MINLEN`` bytes last ended, and while the
current text follows an earlier occurrence it predicts that the next byte is the one that came
next there.

**The pointer.** At each byte boundary, with ``pos`` bytes of the block seen:

- if a match is active and the byte just seen is the one it predicted, the match grows by one
  (its length ``len`` counts the bytes that agree, up to ``MAX_LENGTH = 63``: longer matches are
  all trusted alike); otherwise it ends;
- if no match is active, the last ``MINLEN`` (6) bytes are hashed to a table of
  ``2^MATCH_BITS`` positions (``uint32``, fresh for each block, like the counts): the position
  stored there is where the same hash last ended. The bytes before both positions are compared
  backwards (at most 63); if ``len >= 1`` of them agree the match starts there (a hash
  collision gives ``len = 0``: no match);
- the table entry is then set to ``pos``.

The *predicted byte* is the byte at the match's position (the one that followed last time).

**The vote.** For each bit of a byte, as long as the bits decided so far agree with the
predicted byte, the match model predicts the predicted byte's next bit. How far to trust it
depends on the length: a match of 2 bytes is a coincidence as often as not, one of 60 bytes
almost never. For each length ``L`` the model learns ``q_L``, the probability (in
units of ``2^-12``) that the predicted bit is right: it starts at ``3/4`` and moves a
sixteenth of the way towards 1 when the bit was right and towards 0 when it was wrong. The
match then joins the integer blend of :class:`~ansedu.ContextModel` as one more voter, with a
strength ``t = floor(L^2 / 8)`` that grows with the square of the length:

    s1 += floor(t q / 8),    s += 512 t,

with ``q = q_L`` if the predicted bit is 1 and ``2^12 - q_L`` if it is 0. (The orders add
``w_j (10 n1_j + 3)`` and ``w_j (10 (n0_j + n1_j) + 6)``: a match of 8 bytes weighs about as
much as a deterministic order-5 node that has seen its bit 5 times, one of 16 bytes as one that
has seen it 22 times, one of 63 bytes more than any count can say; matches of 1 or 2 bytes
weigh nothing.) Once a bit disagrees the match abstains until the byte is complete, and at the
boundary the match ends.

The constants were chosen by measurement (the information content of the ``fullcoder``
benchmark's source input and of *Alice*): a strength growing like ``L`` instead of ``L^2``
gained less on source code (1.484 instead of 1.472 bits per byte) and left a copied block of
text at 0.48 instead of 0.09 bits per byte; twice ``L^2 / 8`` lost on *Alice*; a context of 5 or
8 bytes instead of 6 and a table of ``2^16`` to ``2^20`` positions changed little.

Everything is integer arithmetic, as in the context model, so the encoder and the decoder
(and the compiled kernels of :mod:`ansedu.fast.fullcoder`) compute the same masses.
"""

from __future__ import annotations

from .context import _HASH_MUL, _M64, ContextModel

__all__ = ["MatchModel", "MINLEN", "MATCH_BITS", "MAX_LENGTH"]

#: bytes of context hashed to find an earlier occurrence
MINLEN = 6
#: the position table has 2^MATCH_BITS entries
MATCH_BITS = 18
#: the match length is counted up to this (it bounds the backward comparison too)
MAX_LENGTH = 63
_LEVELS = MAX_LENGTH + 1  # q_L for L = 0 .. 63 (0 is never used)
_Q_BITS = 12  # q in units of 2^-12
_Q_START = 3 << (_Q_BITS - 2)  # 3/4
_Q_RATE = 4  # q moves 1/16 of the way
_CTX_MASK = (1 << (8 * MINLEN)) - 1


class MatchModel(ContextModel):
    """:class:`~ansedu.ContextModel` with a match model as one more voter (see the module
    docstring). Same arguments, same protocol; it keeps the bytes it has seen (the block).

    >>> from ansedu import AnsCoder, encode_adaptive, decode_adaptive
    >>> from ansedu.models import MatchModel
    >>> text = b"to be or not to be, that is the question; to be or not to be"
    >>> coder = AnsCoder()
    >>> _ = encode_adaptive(coder, text, MatchModel(2))
    >>> bytes(decode_adaptive(coder, MatchModel(2), len(text)).astype("uint8")) == text
    True
    """

    def __init__(self, order: int, precision: int = 24, *, table_bits: int = 22):
        self._live = False  # the parent's __init__ calls _start_byte before any byte is seen
        self._buf = bytearray()  # the block so far
        self._positions = [0] * (1 << MATCH_BITS)  # hash of MINLEN bytes -> where they last ended
        self._ptr = 0  # the predicted byte is _buf[_ptr] ...
        self._len = 0  # ... if _len > 0
        self._expect = 0  # 256 + the predicted byte, or 0 without a match
        self._q = [_Q_START] * _LEVELS
        self._level = -1  # L of the current decision's vote, or -1 when the match abstains
        self._bit = 0  # the bit it voted for
        super().__init__(order, precision, table_bits=table_bits)
        self._live = True

    def _start_byte(self) -> None:
        if self._live:  # a byte is complete: move the match pointer
            byte = self._history & 0xFF
            buf = self._buf
            buf.append(byte)
            pos = len(buf)
            if self._len:
                if buf[self._ptr] == byte:
                    self._ptr += 1
                    if self._len < MAX_LENGTH:
                        self._len += 1
                else:
                    self._len = 0
            if pos >= MINLEN:
                h = (((self._history & _CTX_MASK) * _HASH_MUL) & _M64) >> (64 - MATCH_BITS)
                if not self._len:
                    ptr = self._positions[h]
                    n = 0  # the bytes before ptr and before pos that agree
                    while n < MAX_LENGTH and n < ptr and buf[ptr - n - 1] == buf[pos - n - 1]:
                        n += 1
                    if n:
                        self._ptr, self._len = ptr, n
                self._positions[h] = pos
            self._expect = (256 | buf[self._ptr]) if self._len else 0
        super()._start_byte()

    def _nodes(self) -> None:
        # the orders' blend of ContextModel, then the match's vote before the division
        s1, s = self._blend()
        self._level = -1
        c0, e = self._c0, self._expect
        if e:
            done = c0.bit_length() - 1  # bits of the byte decided so far
            if e >> (8 - done) == c0:  # they agree with the predicted byte
                bit = (e >> (7 - done)) & 1
                level = self._len
                q = self._q[level]
                strength = (level * level) >> 3
                s1 += (strength * (q if bit else (1 << _Q_BITS) - q)) >> 3
                s += strength << (_Q_BITS - 3)
                self._level, self._bit = level, bit
        self._set_mass(s1, s)

    def update(self, bit: int) -> None:
        level = self._level
        if level >= 0:  # learn how often a match of this length is right
            q = self._q[level]
            if bit == self._bit:
                self._q[level] = q + (((1 << _Q_BITS) - q) >> _Q_RATE)
            else:
                self._q[level] = q - (q >> _Q_RATE)
        super().update(bit)

    # -- inspection -----------------------------------------------------------------

    @property
    def match_length(self) -> int:
        """The length of the active match (0: none)."""
        return self._len

    def copy(self) -> "MatchModel":
        twin = object.__new__(MatchModel)
        twin.__dict__.update(self.__dict__)
        twin._counts = bytearray(self._counts)
        twin._idx = list(self._idx)
        twin._buf = bytearray(self._buf)
        twin._positions = list(self._positions)
        twin._q = list(self._q)
        return twin

    def __eq__(self, other) -> bool:
        return (super().__eq__(other) and self._buf == other._buf and self._ptr == other._ptr
                and self._len == other._len and self._q == other._q
                and self._positions == other._positions)

    __hash__ = None

    def __repr__(self) -> str:
        return f"MatchModel(order={self.order}, precision={self.precision}, table_bits={self.table_bits})"
