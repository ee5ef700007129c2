"""The full coder's compiled path: :class:`~ansedu.models.MatchModel` (or :class:`~ansedu.ContextModel`)
and streaming ANS over a block, in numba.

``ansedu compress`` / ``decompress`` (:mod:`ansedu.cli.container`) code each block with a fresh
:class:`~ansedu.models.MatchModel` (container format 3; a :class:`~ansedu.ContextModel` in
formats 1 and 2) and an :class:`~ansedu.AnsCoder` (precision ``P``, 32-bit words,
64-bit head). In pure Python that runs at 10 to 40 kB/s. The kernels below run the *same*
arithmetic over a whole block as machine code and give byte-identical containers; the
pure-Python classes stay the definition (and what the book teaches), and the tests compare the
two byte for byte, both ways.

What each kernel mirrors (keep them in step when the reference changes):

- :func:`_bases`: ``ContextModel._start_byte`` (each order's base at a byte boundary: order 0
  nothing, order 1 the previous byte, orders >= 2 the multiplicative hash of their bytes);
- :func:`_mass`: ``ContextModel._nodes`` (the entries of the current decision, the integer
  blend of the orders and the clamp of ``m(1)``);
- :func:`_learn`: ``ContextModel.update`` (the non-stationary counts);
- :func:`_match_start`, :func:`_vote`, :func:`_learn_vote`: ``MatchModel._start_byte`` (the match
  pointer at a byte boundary), the match's vote in ``MatchModel._nodes`` (added to the sums of
  :func:`_mass`) and ``MatchModel.update`` (its ``q`` per length); with ``match=False`` they are
  not called and the kernels run the plain ContextModel;
- the step, flush and refill inside :func:`_encode_block` / :func:`_decode_bytes`:
  ``AnsCoder.encode_reverse`` and ``AnsCoder.decode`` (and ``_decode_bytes`` of the container,
  which writes the binary decision out the same way).

The counts live in one ``uint8`` array with the layout of ``ContextModel.counts``, fresh for
each block (a new anonymous mapping costs only the pages the block touches, where clearing a
reused one would write all of it: 48 MiB at the default settings, gigabytes at 30 table bits),
on huge pages where Linux offers them. The head is a ``uint64``: the container's head is 64
bits, so nothing overflows (``head // m << P`` stays below ``2^64`` by invariant 1 of
:mod:`ansedu.coders.streaming`). The encoder keeps the ``8 n`` masses of a block (4 bytes
each: 32 MiB for a 1 MiB block), as the reference keeps its lists, because ANS codes them
last to first.

Decoding is bounded: the kernel decodes exactly the block's raw length, ``8`` decisions per
byte, and stops with a status when the words run out, so a corrupted payload ends in a
:class:`~ansedu.errors.DecodeError` raised by the caller, never in a hang or a crash (every
word index is checked against ``n`` before it is read).

numba is optional: this module imports without it (:data:`HAVE_NUMBA` is then False and the
container runs the pure-Python reference). The kernels are compiled at their first use and
cached on disk (``cache=True``), as in :mod:`ansedu.fast.compiled`.
"""

from __future__ import annotations

import mmap

import numpy as np

from ..errors import DecodeError
from ..models.context import _HASH_MUL, _HASH_ORDER, _M64, _NODE_MUL, ContextModel
from ..models.match import (_CTX_MASK, _LEVELS, _Q_BITS, _Q_RATE, _Q_START, MATCH_BITS, MAX_LENGTH,
                            MINLEN)
from .compiled import HAVE_NUMBA

__all__ = ["HAVE_NUMBA", "encode_block", "decode_block", "BlockState"]

_WORD = 32  # the container's AnsCoder: 32-bit words, 64-bit head
_HEAD = 64
_CHUNK = 1 << 16  # bytes per kernel call: progress is reported between calls
_MINLEN, _MAX_LENGTH, _Q_ONE = MINLEN, MAX_LENGTH, 1 << _Q_BITS  # the match model's constants


# -- the model (mirrors ContextModel; see the module docstring) ------------------------------

def _bases(hist, k1, bits, ctx_mask, hash_add, hash_mul, bases):
    """Each order's base entry for the byte after ``hist`` (ContextModel._start_byte)."""
    bases[0] = 0
    if k1 > 1:
        bases[1] = (1 << (bits + 1)) | np.int64((hist & np.uint64(0xFF)) << np.uint64(9))
    shift = np.uint64(64 - bits)
    for j in range(2, k1):
        node = np.int64(((hist & ctx_mask[j]) * hash_mul + hash_add[j]) >> shift)
        bases[j] = (j << (bits + 1)) | (node << 1)


def _mass(counts, bases, spreads, weights, c0, k1, P, idx, v1, v):
    """m(1) of the current decision; its entries go to ``idx`` (ContextModel._nodes). ``v1, v``:
    the match model's vote added to the sums (MatchModel._nodes; 0, 0 when it abstains)."""
    s1 = v1
    s = v
    for j in range(k1):
        i = bases[j] ^ spreads[j, c0]
        idx[j] = i
        n0 = np.int64(counts[i])
        n1 = np.int64(counts[i + 1])
        # `if n0 or n1:` (the order votes), with w doubled `if not (n0 and n1)`, written without
        # branches: they follow the data and would be mispredicted about every other time
        w = (weights[j] << np.int64((n0 == 0) | (n1 == 0))) * np.int64((n0 | n1) != 0)
        s1 += w * (10 * n1 + 3)
        s += w * (10 * (n0 + n1) + 6)
    if s == 0:
        s1 = 3
        s = 6
    m1 = (s1 << P) // s  # below 2^55: s1 < 2^22 + 2^18 and P <= 32
    top = 1 << P
    if m1 < 1:
        m1 = 1
    elif m1 >= top:
        m1 = top - 1
    return m1


def _learn(counts, idx, k1, bit):
    """Learn ``bit`` in the entries ``idx`` (ContextModel.update; counts are bytes, at most 255)."""
    for j in range(k1):
        i = idx[j]
        hit = i + bit  # the count of the bit seen grows ...
        miss = i + 1 - bit  # ... and a large count of the other is halved
        n = np.int64(counts[hit])
        counts[hit] = n + np.int64(n < 255)  # (without branches, as in _mass)
        n = np.int64(counts[miss])
        counts[miss] = (n >> 1) + 1 if n > 2 else n


def _match_start(buf, pos, hist, positions, mst, ctx_mask, hash_mul, mbits):
    """Move the match pointer after byte ``buf[pos - 1]`` (MatchModel._start_byte): ``mst`` holds
    ``(pointer, length)``; returns 256 + the predicted byte, or 0 without a match."""
    ptr = mst[0]
    ln = mst[1]
    if ln:
        if buf[ptr] == buf[pos - 1]:
            ptr += 1
            if ln < _MAX_LENGTH:
                ln += 1
        else:
            ln = 0
    if pos >= _MINLEN:
        h = np.int64(((hist & ctx_mask) * hash_mul) >> np.uint64(64 - mbits))
        if ln == 0:
            p = np.int64(positions[h])
            n = 0
            while n < _MAX_LENGTH and n < p and buf[p - n - 1] == buf[pos - n - 1]:
                n += 1
            if n:
                ptr = p
                ln = n
        positions[h] = pos
    mst[0] = ptr
    mst[1] = ln
    return (256 | np.int64(buf[ptr])) if ln else 0


def _vote(expect, c0, b, level, q):
    """The match's vote on bit ``b`` of the byte (MatchModel._nodes), for a match of length
    ``level`` predicting ``expect`` (256 + the byte): ``(voted, bit, v1, v)``; ``(False, 0, 0, 0)``
    when it abstains."""
    if expect >> (8 - b) != c0:
        return False, 0, 0, 0
    bit = (expect >> (7 - b)) & 1
    qq = q[level]
    strength = (level * level) >> 3
    return True, bit, (strength * (qq if bit else _Q_ONE - qq)) >> 3, strength << (_Q_BITS - 3)


def _learn_vote(q, level, voted_bit, bit):
    """MatchModel.update: q of the vote's level moves towards the outcome."""
    qq = q[level]
    if bit == voted_bit:
        q[level] = qq + ((_Q_ONE - qq) >> _Q_RATE)
    else:
        q[level] = qq - (qq >> _Q_RATE)


def _prefetch(array, index):
    """A cache hint (see :mod:`ansedu.fast._prefetch`); nothing in pure Python."""


# -- the kernels --------------------------------------------------------------------------

_DEPTH = 1  # the decoder asks for the entries of all decisions this many bits ahead
_AHEAD = 2  # the encoder asks for the table entries of the byte this many bytes ahead


def _model_pass(data, start, stop, counts, hist, k1, bits, P, ctx_mask, hash_add, hash_mul,
                spreads, weights, m1s, match, positions, mst, q, mctx_mask, mbits):
    """Run the model forward over ``data[start:stop]``, learning it; ``m1s[8 t + b]`` gets m(1) of
    bit ``b`` (most significant first) of byte ``t``. Returns the history after the last byte.
    ``match``: with the match model (its state ``positions, mst, q``: see :class:`BlockState`)."""
    bases = np.empty(k1, np.int64)
    idx = np.empty(k1, np.int64)
    ahead = np.empty(k1, np.int64)
    # The encoder knows every entry in advance: those of the hashed orders (scattered over their
    # tables) are prefetched _AHEAD bytes before they are used. (The history _AHEAD bytes ahead.)
    hist_ahead = hist
    for t in range(start, min(start + _AHEAD, data.size)):
        hist_ahead = (hist_ahead << np.uint64(8)) | np.uint64(data[t])
    for t in range(start, stop):
        if t + _AHEAD < data.size:
            _bases(hist_ahead, k1, bits, ctx_mask, hash_add, hash_mul, ahead)
            future = np.int64(data[t + _AHEAD])
            for j in range(2, k1):
                c0 = 1
                for b in range(8):
                    _prefetch(counts, ahead[j] ^ spreads[j, c0])
                    c0 = 2 * c0 + ((future >> (7 - b)) & 1)
            hist_ahead = (hist_ahead << np.uint64(8)) | np.uint64(future)
        expect = 0
        if match and t > 0:
            expect = _match_start(data, t, hist, positions, mst, mctx_mask, hash_mul, mbits)
        _bases(hist, k1, bits, ctx_mask, hash_add, hash_mul, bases)
        byte = np.int64(data[t])
        c0 = 1
        level = mst[1]
        for b in range(8):
            voted, vbit, v1, v = False, 0, 0, 0
            if expect:
                voted, vbit, v1, v = _vote(expect, c0, b, level, q)
            m1 = _mass(counts, bases, spreads, weights, c0, k1, P, idx, v1, v)
            m1s[8 * t + b] = m1
            bit = (byte >> (7 - b)) & 1
            _learn(counts, idx, k1, bit)
            if voted:
                _learn_vote(q, level, vbit, bit)
            c0 = 2 * c0 + bit
        hist = (hist << np.uint64(8)) | np.uint64(byte)
    return hist


def _encode_block(data, m1s, P, words):
    """Encode the ``8 len(data)`` decisions last to first (AnsCoder.encode_reverse with the
    intervals of ContextModel.forward_intervals). Returns ``(head, n)``, or ``n = -1`` as soon
    as more than ``words.size`` bulk words would be needed (the caller stores the block)."""
    Pu = np.uint64(P)
    top = np.uint64(1) << Pu
    shift = np.uint64(_HEAD - P)
    W = np.uint64(_WORD)
    mask = np.uint64(0xFFFFFFFF)
    head = np.uint64(1) << np.uint64(_HEAD - _WORD)
    n = 0
    limit = words.size
    for i in range(8 * data.size - 1, -1, -1):
        m1 = np.uint64(m1s[i])
        if (data[i >> 3] >> (7 - (i & 7))) & 1:
            c = top - m1
            m = m1
        else:
            c = np.uint64(0)
            m = top - m1
        if (head >> shift) >= m:  # flush (AnsCoder.encode_reverse)
            if n == limit:
                return head, -1
            words[n] = head & mask
            n += 1
            head >>= W
        head = ((head // m) << Pu) + head % m + c  # the step
    return head, n


def _decode_bytes(words, n, head, counts, hist, k1, bits, P, ctx_mask, hash_add, hash_mul,
                  spreads, weights, out, start, stop, match, positions, mst, q, mctx_mask, mbits):
    """Decode ``out[start:stop]`` (the container's _decode_bytes / AnsCoder.decode with the
    model). Returns ``(t, head, n, hist)``: ``t < stop`` means the words ran out at byte ``t``."""
    bases = np.empty(k1, np.int64)
    idx = np.empty(k1, np.int64)
    Pu = np.uint64(P)
    top = np.uint64(1) << Pu
    pmask = top - np.uint64(1)
    low = np.uint64(1) << np.uint64(_HEAD - _WORD)
    W = np.uint64(_WORD)
    span = 1 << _DEPTH
    for t in range(start, stop):
        expect = 0
        if match and t > 0:
            expect = _match_start(out, t, hist, positions, mst, mctx_mask, hash_mul, mbits)
        level = mst[1]
        _bases(hist, k1, bits, ctx_mask, hash_add, hash_mul, bases)
        c0 = 1
        for b in range(8):
            # The decoder learns each bit only by decoding it: it prefetches the entries (of the
            # hashed orders) of every decision that may come _DEPTH bits later; the nearer ones
            # were asked for at the earlier bits. (Measured: depth 1 and 2 gave the same speed,
            # depth 3 less, and guessing the next byte's first entries from the candidates of
            # its last bits gained nothing.)
            if b + _DEPTH < 8:
                first = c0 << _DEPTH
                for j in range(2, k1):
                    for c in range(first, first + span):
                        _prefetch(counts, bases[j] ^ spreads[j, c])
            voted, vbit, v1, v = False, 0, 0, 0
            if expect:
                voted, vbit, v1, v = _vote(expect, c0, b, level, q)
            m1 = np.uint64(_mass(counts, bases, spreads, weights, c0, k1, P, idx, v1, v))
            m0 = top - m1
            slot = head & pmask
            if slot < m0:  # a 0: slots 0 .. m(0) - 1
                head = m0 * (head >> Pu) + slot
                bit = 0
            else:  # a 1
                head = m1 * (head >> Pu) + slot - m0
                bit = 1
            if head < low:  # refill (invariant 2)
                if n == 0:
                    return t, head, n, hist
                n -= 1
                head = (head << W) | np.uint64(words[n])
            _learn(counts, idx, k1, bit)
            if voted:
                _learn_vote(q, level, vbit, bit)
            c0 = 2 * c0 + bit
        byte = c0 & 0xFF
        out[t] = byte
        hist = (hist << np.uint64(8)) | np.uint64(byte)
    return stop, head, n, hist


_KERNELS: dict = {}


def _kernels():
    """The kernels compiled (once per process; the machine code is cached on disk). The helpers
    are rebound to their compiled versions first, so that the kernels call those."""
    if not _KERNELS:
        import numba
        # error_model="numpy": no ZeroDivisionError checks; no divisor here can be zero (s >= 6,
        # and every mass m >= 1 by the clamp of m(1))
        jit = numba.njit(cache=True, nogil=True, error_model="numpy")
        from ._prefetch import prefetch
        g = globals()
        g["_prefetch"] = prefetch
        for name in ("_bases", "_mass", "_learn", "_match_start", "_vote", "_learn_vote"):
            g[name] = jit(g[name])
        for name in ("_model_pass", "_encode_block", "_decode_bytes"):
            _KERNELS[name] = jit(g[name])
    return _KERNELS


# -- the model's tables, for one block ---------------------------------------------

class BlockState:
    """The tables of a fresh ``ContextModel(order, precision, table_bits=...)`` as arrays for the
    kernels: its counts, and the constants of its blend and hash; with ``match``, those of a
    fresh :class:`~ansedu.models.MatchModel` too (the position table, the pointer and length,
    the q of each length)."""

    def __init__(self, order: int, precision: int, table_bits: int, match: bool = False):
        ContextModel(order, precision, table_bits=16)  # the model's own checks of the settings
        self.order, self.precision, self.bits = int(order), int(precision), int(table_bits)
        self.match = bool(match)
        self.positions = _table(4 << MATCH_BITS).view(np.uint32) if match else np.zeros(1, np.uint32)
        self.mst = np.zeros(2, np.int64)
        self.q = np.full(_LEVELS, _Q_START, np.int64)
        self.mctx_mask = np.uint64(_CTX_MASK)
        self.mbits = MATCH_BITS
        k1, size = self.order + 1, 1 << self.bits
        self.k1 = k1
        self.counts = _table(2 * k1 * size)
        self.weights = np.array([(j + 1) ** 2 for j in range(k1)], dtype=np.int64)
        near = [2 * c0 for c0 in range(256)]
        far = [2 * ((c0 * _NODE_MUL) & (size - 1)) for c0 in range(256)]
        self.spreads = np.array([near if j < 2 else far for j in range(k1)], dtype=np.int64)
        self.ctx_mask = np.array([(1 << (8 * j)) - 1 for j in range(k1)], dtype=np.uint64)
        self.hash_add = np.array([(j * _HASH_ORDER) & _M64 for j in range(k1)], dtype=np.uint64)
        self.hash_mul = np.uint64(_HASH_MUL)

    def tables(self):
        return (self.counts, self.k1, self.bits, self.precision, self.ctx_mask, self.hash_add,
                self.hash_mul, self.spreads, self.weights)

    def match_tables(self):
        return self.match, self.positions, self.mst, self.q, self.mctx_mask, self.mbits


def _table(nbytes: int) -> np.ndarray:
    """A zeroed ``uint8`` array, on huge pages where the system offers them (Linux ``madvise``):
    the hashed orders read their tables at random, and with 4 kB pages nearly every read would
    also miss the address-translation cache (TLB). A plain ``np.zeros`` elsewhere."""
    huge = 1 << 21
    if nbytes < huge or not hasattr(mmap, "MADV_HUGEPAGE"):
        return np.zeros(nbytes, dtype=np.uint8)
    try:
        area = mmap.mmap(-1, nbytes + huge, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)  # zeroed;
        # over-allocated to align to 2 MiB (private: shared memory gets no huge pages)
        area.madvise(mmap.MADV_HUGEPAGE)
    except (OSError, ValueError):
        return np.zeros(nbytes, dtype=np.uint8)
    whole = np.frombuffer(area, dtype=np.uint8)  # keeps the mapping alive
    skip = -whole.ctypes.data % huge
    return whole[skip:skip + nbytes]


def encode_block(block: bytes, order: int, precision: int, table_bits: int, progress=None,
                 match: bool = False):
    """The coded payload of ``block`` (what the container's reference ``_code_block`` writes for a
    coded block), or ``None`` if it would not be smaller than the block (then it is stored).
    ``match``: the model is a MatchModel (format version 3), else a ContextModel."""
    k = _kernels()
    st = BlockState(order, precision, table_bits, match)
    counts, k1, bits, P, ctx_mask, hash_add, hash_mul, spreads, weights = st.tables()
    data = np.frombuffer(block, dtype=np.uint8)
    m1s = np.empty(8 * data.size, dtype=np.uint32)  # m(1) < 2^P <= 2^32
    hist = np.uint64(0)
    for start in range(0, data.size, _CHUNK):
        stop = min(start + _CHUNK, data.size)
        hist = np.uint64(k["_model_pass"](data, start, stop, counts, hist, k1, bits, P, ctx_mask,
                                          hash_add, hash_mul, spreads, weights, m1s,
                                          *st.match_tables()))
        if progress is not None:
            progress(stop - start)
    # The payload is 4 (n + 2) bytes (bulk and two head words), stored unless < len(block).
    # The largest bulk worth coding: 4 (n + 2) < len(block) is n <= (len(block) - 9) // 4.
    limit = (data.size - 9) // 4 if data.size >= 9 else 0
    words = np.empty(limit, dtype=np.uint32)
    head, n = k["_encode_block"](data, m1s, P, words)
    head, n = int(head), int(n)
    if n < 0:
        return None
    if n == 0 and head == 1 << (_HEAD - _WORD):  # an empty coder writes no words
        return b""
    payload = words[:n].astype("<u4").tobytes() + np.array(
        [head & 0xFFFFFFFF, head >> 32], dtype="<u4").tobytes()
    return payload if len(payload) < len(block) else None


def decode_block(payload: bytes, raw_len: int, order: int, precision: int, table_bits: int,
                 index: int, progress=None, match: bool = False) -> bytes:
    """Decode a coded payload into its ``raw_len`` bytes, with the checks and messages of the
    container's reference decoder (:class:`~ansedu.errors.DecodeError` on any problem)."""
    if len(payload) % 4:
        raise DecodeError(f"block {index} is corrupted: a coded payload is whole 32-bit words")
    words = np.frombuffer(payload, dtype="<u4").astype(np.uint32)
    low = 1 << (_HEAD - _WORD)
    # AnsCoder._load's checks, then the head from the top two words
    if words.size == 0:
        head, n = low, 0
    elif words.size < 2:
        raise DecodeError(f"compressed data of {words.size} words is truncated: a non-empty message "
                          "has at least 2 words (the head)")
    elif words[-1] == 0:
        raise DecodeError("compressed data is corrupted or truncated: its last word (the top of the "
                          "head) is zero, which get_compressed never writes")
    else:
        head, n = (int(words[-1]) << 32) | int(words[-2]), words.size - 2
    k = _kernels()
    st = BlockState(order, precision, table_bits, match)
    counts, k1, bits, P, ctx_mask, hash_add, hash_mul, spreads, weights = st.tables()
    out = np.empty(raw_len, dtype=np.uint8)
    hist, head = np.uint64(0), np.uint64(head)
    for start in range(0, raw_len, _CHUNK):
        stop = min(start + _CHUNK, raw_len)
        t, head, n, hist = k["_decode_bytes"](words, n, head, counts, hist, k1, bits, P, ctx_mask,
                                              hash_add, hash_mul, spreads, weights, out, start, stop,
                                              *st.match_tables())
        # numba returns Python ints: back to uint64, or the next call would type them as int64
        head, hist = np.uint64(head), np.uint64(hist)
        if t < stop:
            raise DecodeError(f"block {index} is corrupted or truncated: its compressed data "
                              "ran out before the block was complete")
        if progress is not None:
            progress(stop - start)
    if not (n == 0 and int(head) == low):
        raise DecodeError(f"block {index} is corrupted: its compressed data is not used up exactly")
    return out.tobytes()
