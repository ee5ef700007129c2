"""An order-k context model for bytes: binary decomposition, adaptive bit counts per context,
and a PPM-like blend of the orders 0 to k.

**Binary decomposition.** A byte is coded as 8 binary decisions, most significant bit first.
Before each decision the model knows the bits of the byte decided so far; together with a
leading 1 they form the *partial byte* ``c0`` (1 before the first bit, then ``2, 3`` after it,
... up to ``128 .. 255`` before the last). The 255 values of ``c0`` are the inner nodes of a
binary tree whose 256 leaves are the bytes; each node has its own probability of a 1.
A 256-symbol distribution is thus 255 two-symbol distributions, and each is cheap to learn,
to quantize (one mass) and to look up (one comparison).

**Contexts.** The order-``j`` context of a decision is the ``j`` bytes before the current byte
together with ``c0``. Order 0 has 255 nodes (table index ``c0``), order 1 ``256 * 255`` (index
``256 * previous byte + c0``); for ``j >= 2`` the ``j`` bytes are hashed to a table of
``2^table_bits`` nodes (collisions are rare for text of a few MB and merely cost a little
compression, never correctness: encoder and decoder collide alike).

**Counts.** Each node holds two counts ``(n0, n1)`` of the bits seen there, as bytes (at most
255). They are *non-stationary*: when a 1 is seen, ``n1`` grows by one and a large ``n0`` is
halved (``n0 > 2`` becomes ``n0 // 2 + 1``), and the other way round for a 0. A context that
has changed its mind is believed quickly, which suits text (the letters after "th" in
one chapter are the best guide to the next). The idea is Matt Mahoney's in PAQ1.

**Blending the orders (PPM-style).** A long context predicts sharply but has seen little; a
short one has seen much but predicts vaguely. PPM escapes to shorter contexts when a long one
has no answer; here every order that has seen the node votes with its counts, and longer
contexts weigh more: with weight ``w_j = (j + 1)^2`` (doubled for a node that has only ever
seen one bit value, a *deterministic* context, whose prediction is especially reliable),

    p(1) = sum_j w_j (n1_j + 0.3) / sum_j w_j (n0_j + n1_j + 0.6)

over the orders ``j`` whose node has been seen; orders never seen there (``n0 = n1 = 0``)
abstain, which is the escape of PPM (and if no order has seen it, ``p(1) = 1/2``). Everything is integer arithmetic (counts
times 10), so encoder and decoder compute bit-identical masses on every machine:

    m(1) = floor(2^P * sum_j w_j (10 n1_j + 3) / sum_j w_j (10 (n0_j + n1_j) + 6)),

clamped to ``1 .. 2^P - 1`` so that both bits stay encodable.

**State in numpy arrays.** The counts of all orders are one ``uint8`` array of shape
``(k + 1, 2^table_bits, 2)`` (:attr:`ContextModel.counts`; a view of the bytes the Python loop
works on), so a compiled implementation can reuse it; the rest of the state is the last 8
bytes and ``c0``.
"""

from __future__ import annotations

import operator

import numpy as np

from .._validate import as_symbols
from ..errors import ModelError, SymbolError
from .adaptive import _as_data
from .categorical import check_precision

__all__ = ["ContextModel", "MAX_ORDER"]

#: The longest context (in bytes) the model can use.
MAX_ORDER = 8

_M64 = (1 << 64) - 1
_HASH_MUL = 0x9E3779B97F4A7C15  # 2^64 / golden ratio, odd: a multiplicative hash of the context bytes
_HASH_ORDER = 0xC2B2AE3D27D4EB4F  # separates orders whose context bytes hash alike
_NODE_MUL = 0x2F0B3A49  # odd: c0 -> distinct offsets inside one context's region
_LIMIT = 255  # counts are bytes


class ContextModel:
    """Adaptive order-``k`` model of bytes by binary decomposition (see the module docstring).

    It follows the adaptive-model protocol of :mod:`ansedu.models.adaptive`: its units are the
    8 bits of a byte, most significant first; ``interval(bit)`` / ``lookup(slot)`` give the
    distribution of the next bit, ``update(bit)`` learns it.

    >>> from ansedu import AnsCoder, ContextModel, encode_adaptive, decode_adaptive
    >>> coder = AnsCoder()
    >>> _ = encode_adaptive(coder, b"abracadabra", ContextModel(2))
    >>> bytes(decode_adaptive(coder, ContextModel(2), 11).astype("uint8"))
    b'abracadabra'

    Args:
        order: ``k``, the longest context in bytes (0 .. 8); orders 0 .. k are blended.
        precision: ``P``, must match the coder's.
        table_bits: each order's table has ``2^table_bits`` nodes (at least 16; memory
            ``2 (k + 1) 2^table_bits`` bytes).
    """

    units_per_symbol = 8

    def __init__(self, order: int, precision: int = 24, *, table_bits: int = 22):
        self.precision = check_precision(precision)
        if isinstance(order, (bool, np.bool_)) or not isinstance(order, (int, np.integer)) \
                or not 0 <= order <= MAX_ORDER:
            raise ModelError(f"order must be an integer from 0 to {MAX_ORDER}, got {order!r}")
        if isinstance(table_bits, (bool, np.bool_)) or not isinstance(table_bits, (int, np.integer)) \
                or not 16 <= table_bits <= 30:
            raise ModelError(f"table_bits must be an integer from 16 to 30 (order 1 needs 2^16 nodes), "
                             f"got {table_bits!r}")
        self.order, self.table_bits = int(order), int(table_bits)
        size = 1 << self.table_bits
        self._counts = bytearray(2 * (self.order + 1) * size)  # node i of order j: n0 at 2(j size + i), n1 next
        # integer weights: (j + 1)^2 per order j
        self._weights = [(j + 1) ** 2 for j in range(self.order + 1)]
        self._top = 1 << self.precision
        near = [2 * c0 for c0 in range(256)]
        far = [2 * ((c0 * _NODE_MUL) & (size - 1)) for c0 in range(256)]
        self._spreads = [near if j < 2 else far for j in range(self.order + 1)]
        self._history = 0  # the last 8 bytes, the latest in the lowest byte
        self._c0 = 1  # the partial byte
        self._start_byte()

    # -- contexts ------------------------------------------------------------------
    #
    # Node i of order j has n0 at entry 2 (j 2^table_bits + i) of the counts and n1 after it.
    # Order 0's node is c0 and order 1's is 256 * previous byte + c0; order j >= 2 hashes its j
    # bytes to h_j (table_bits bits) at each byte boundary and uses the node h_j XOR
    # (c0 * _NODE_MUL mod 2^table_bits), distinct for the 255 values of c0 (an odd multiplier is
    # a bijection modulo a power of two). As the order's offset j 2^(table_bits + 1) has no bits
    # below 2^(table_bits + 1), the entry of every order is a XOR:
    #     entry_j = base_j XOR spread_j[c0],
    # with base_j = j 2^(table_bits+1) + 2 h_j (h_0 = 0, h_1 = 256 * previous byte) fixed for the
    # byte, and spread[c0] = 2 c0 for orders 0 and 1, 2 (c0 * _NODE_MUL mod 2^table_bits) above.

    def _start_byte(self) -> None:
        """At a byte boundary: each order's base (order >= 2: a hash of its bytes)."""
        bits, h = self.table_bits, self._history
        bases = []
        for j in range(self.order + 1):
            if j == 0:
                node = 0
            elif j == 1:
                node = (h & 0xFF) << 8
            else:
                ctx = h & ((1 << (8 * j)) - 1)
                node = ((ctx * _HASH_MUL + j * _HASH_ORDER) & _M64) >> (64 - bits)
            bases.append((j << (bits + 1)) | (node << 1))
        self._bases = bases
        self._nodes()

    def _nodes(self) -> None:
        """The entries (of n0) of the current decision in every order, and its mass m(1)."""
        self._set_mass(*self._blend())

    def _blend(self) -> tuple[int, int]:
        """Set the current decision's entries in every order (``_idx``) and return the blend's
        numerator and denominator ``(s1, s)`` (see the module docstring). Subclasses add voters
        (:class:`~ansedu.models.match.MatchModel`) or change the blend (the ablation)."""
        c0, counts = self._c0, self._counts
        s1 = s = 0
        idx = []
        for i, w, spread in zip(self._bases, self._weights, self._spreads):
            i ^= spread[c0]
            idx.append(i)
            n0, n1 = counts[i], counts[i + 1]
            if n0 or n1:  # the blend, in integers (see the module docstring)
                if not (n0 and n1):
                    w += w
                s1 += w * (10 * n1 + 3)
                s += w * (10 * (n0 + n1) + 6)
        self._idx = idx
        return s1, s

    def _set_mass(self, s1: int, s: int) -> None:
        """``m(1) = floor(2^P s1 / s)``, clamped so that both bits keep a slot."""
        if not s:  # only possible when order 0 has not seen this node: p(1) = 1/2
            s1, s = 3, 6
        m1 = (s1 << self.precision) // s
        self._m1 = 1 if m1 < 1 else (self._top - 1 if m1 >= self._top else m1)

    # -- the model protocol, for the next bit ----------------------------------------------

    def interval(self, bit) -> tuple[int, int]:
        """``(c, m)`` of the next bit: 0 owns the slots ``0 .. m(0) - 1``, 1 the rest."""
        m1 = self._m1
        if not isinstance(bit, (float, np.floating, bool, np.bool_)):
            if bit == 1:
                return (1 << self.precision) - m1, m1
            if bit == 0:
                return 0, (1 << self.precision) - m1
        raise SymbolError(f"a ContextModel codes bits 0 and 1 (a byte as 8 of them), got {bit!r}")

    def lookup(self, slot: int) -> tuple[int, int, int]:
        m0 = (1 << self.precision) - self._m1
        return (0, 0, m0) if slot < m0 else (1, m0, self._m1)

    def update(self, bit: int) -> None:
        """Learn the bit just coded: update its counts in every order and move to the next decision."""
        counts = self._counts
        if bit:
            for i in self._idx:
                n = counts[i + 1]
                if n < _LIMIT:
                    counts[i + 1] = n + 1
                n = counts[i]
                if n > 2:
                    counts[i] = (n >> 1) + 1
        else:
            for i in self._idx:
                n = counts[i]
                if n < _LIMIT:
                    counts[i] = n + 1
                n = counts[i + 1]
                if n > 2:
                    counts[i + 1] = (n >> 1) + 1
        c0 = (self._c0 << 1) | (1 if bit else 0)
        if c0 >= 256:  # the byte is complete
            self._history = ((self._history << 8) | (c0 & 0xFF)) & _M64
            self._c0 = 1
            self._start_byte()
        else:
            self._c0 = c0
            self._nodes()

    # -- the adaptive-model protocol ---------------------------------------------------------

    def decompose(self, byte: int) -> tuple[int, ...]:
        """The 8 bits of ``byte``, most significant first."""
        return tuple((byte >> s) & 1 for s in range(7, -1, -1))

    def compose(self, bits) -> int:
        byte = 0
        for b in bits:
            byte = (byte << 1) | b
        return byte

    def check_symbols(self, data) -> np.ndarray:
        """``data`` (bytes, or integers 0..255) as an int64 array, or :class:`SymbolError`."""
        return as_symbols(_as_data(data), np.ones(256, dtype=bool))

    def forward_intervals(self, symbols):
        """Run forward over checked ``symbols`` (bytes as ints), learning them; return
        ``(bits, starts, masses)`` of the ``8 n`` decisions (what the generic loop of
        :func:`~ansedu.models.adaptive.forward_intervals` gives, without its calls per bit)."""
        top = 1 << self.precision
        bits_out, starts, masses = [], [], []
        update = self.update
        for byte in np.asarray(symbols).tolist():
            for s in (7, 6, 5, 4, 3, 2, 1, 0):
                m1 = self._m1
                if (byte >> s) & 1:
                    bits_out.append(1)
                    starts.append(top - m1)
                    masses.append(m1)
                    update(1)
                else:
                    bits_out.append(0)
                    starts.append(0)
                    masses.append(top - m1)
                    update(0)
        return bits_out, starts, masses

    # -- inspection -----------------------------------------------------------------

    @property
    def counts(self) -> np.ndarray:
        """The counts ``(n0, n1)`` of every node of every order: a ``uint8`` view of shape
        ``(order + 1, 2^table_bits, 2)`` (writing to it changes the model)."""
        return np.frombuffer(self._counts, dtype=np.uint8).reshape(self.order + 1, 1 << self.table_bits, 2)

    @property
    def p1(self) -> float:
        """The quantized probability that the next bit is 1."""
        return self._m1 / (1 << self.precision)

    def copy(self) -> "ContextModel":
        twin = object.__new__(ContextModel)
        twin.__dict__.update(self.__dict__)
        twin._counts = bytearray(self._counts)
        twin._idx = list(self._idx)
        return twin

    def __eq__(self, other) -> bool:
        return (type(other) is type(self) and self.order == other.order
                and self.precision == other.precision and self.table_bits == other.table_bits
                and self._history == other._history and self._c0 == other._c0
                and self._counts == other._counts)

    __hash__ = None

    def __repr__(self) -> str:
        return f"ContextModel(order={self.order}, precision={self.precision}, table_bits={self.table_bits})"
