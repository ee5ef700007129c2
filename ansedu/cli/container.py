"""The ``.ans`` container: how ``ansedu compress`` lays out a compressed file (format version 3).

All integers are little-endian and unsigned.

**File header** (28 bytes)::

    offset size  field
    0      8     magic  89 41 4E 53 0D 0A 1A 0A   ("\\x89ANS\\r\\n\\x1a\\n": a non-ASCII first byte
                                                    and CR LF / ^Z / LF catch text-mode mangling)
    8      1     format version (3; versions 1 and 2 are still read)
    9      1     model order k (0 .. 8)      \\
    10     1     precision P (12 .. 32)       | the model settings: the decoder builds the same
    11     1     table bits (16 .. 30)        | MatchModel(k, P, table_bits=...) as the encoder
    12     4     block size B (1 .. 2^30)    /  (versions 1 and 2: ContextModel)
    16     8     original length N (bytes)
    24     4     CRC32 of bytes 0 .. 23

The header is complete before any data is read, so ``ansedu info`` needs only these 28 bytes.
There are ``ceil(N / B)`` blocks (none for an empty file); each but the last holds ``B``
original bytes, the last the rest.

**Block** (17-byte block header, then the payload)::

    0      1     kind: 0 = stored (payload is the original bytes), 1 = coded (ANS words)
    1      4     raw length (original bytes in this block)
    5      4     payload length in bytes
    9      4     CRC32 of the original bytes from the start of the file to the end of
                 this block (version 1: of this block alone)
    13     4     CRC32 of bytes 0 .. 12 of this block header and of the payload

A *coded* payload is the output of :meth:`~ansedu.AnsCoder.get_compressed` (32-bit words,
precision ``P``) after encoding the block with a fresh :class:`~ansedu.models.MatchModel`
(:func:`~ansedu.encode_adaptive`): the :class:`~ansedu.ContextModel` with a match model for
long repeats, whose position table, like the counts, starts empty in every block. A block is *stored* when coding would not make it smaller,
so random bytes grow only by the 28-byte header and 17 bytes per block (0.0016 % at the
default 1 MiB block): at most 0.1 % plus the header.

**Why the block CRC runs over the whole file so far.** In version 1 each block carried the CRC32
of its own bytes. Every block was then correct on its own, and a file whose blocks were swapped,
or taken from another file written with the same settings, decoded without an error into the
wrong bytes: ``python -m ansedu.cli.fuzz`` found this (its ``splice`` inputs). Since version 2
the CRC of block ``i`` covers the original bytes of blocks ``0 .. i``, so it depends on every
earlier block and on the order: the last block's CRC is the CRC32 of the whole file, and a
missing, reordered or foreign block is a checksum mismatch.

**Version 3: the match model.** Version 3 has the same layout as version 2; only the model
differs: :class:`~ansedu.models.MatchModel` instead of :class:`~ansedu.ContextModel` (on the
benchmark's Python sources 1.613 -> 1.475 bits per byte, on the Canterbury texts 2.189 ->
2.168, on its binary 2.017 -> 1.864). Since the model decides every mass, the same payload means different bytes under the
two models, so the version in the header says which model to build; files of versions 1 and 2
decode exactly as before, and ``Header(version=2)`` still writes version 2.

**Why blocks, and what they cost.** Each block is coded independently: its model starts empty,
so memory stays bounded by one block plus the model's tables whatever the file size, a
damaged block is detected before the next is read, and (later) blocks could be coded in
parallel. The price is that every block learns its statistics again from nothing: the first
bytes of a block are coded by a model that knows nothing yet (the learning curve of chapter 10),
so the more blocks, the more bits. With 1 MiB blocks a file pays this once per MiB; a small
block size pays it often (compare ``python -m ansedu.bench fullcoder --block-size 65536``).

**What the decoder checks** (:func:`decompress_stream`, :func:`read_header`), each with a
:class:`~ansedu.errors.DecodeError` naming the problem: the magic (not an ansedu file), the
version (a newer format), the header CRC and the settings' ranges, each block header's
kind and lengths against ``B`` and what is left of ``N``, the payload's CRC *before* decoding
(so nearly every corrupted file is rejected without running the model), truncation anywhere,
that a coded payload is used up exactly by its ``raw length`` bytes, the CRC32 of the decoded
bytes, and that nothing follows the last block. Decoding time is bounded by ``N`` (never a hang).

**Two implementations, one format.** The functions below are the reference: pure Python, the
definition of the format. With numba installed, :func:`compress_stream` and
:func:`decompress_stream` run the same model and coder compiled
(:mod:`ansedu.fast.fullcoder`, some 50 times faster) and write and read the very same
bytes; ``compiled=False`` (or the environment variable ``ANSEDU_REFERENCE=1``) forces the
reference. Only the coding of a block's payload differs: the header and block checks above are
the same code for both, and the checks of a payload's words (whole words, a head, a non-zero top
word, running out, used up exactly) are restated in :func:`ansedu.fast.fullcoder.decode_block`
with the same messages (the tests compare both decoders' outcomes on forged containers).
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass

import numpy as np

from ..coders.streaming import AnsCoder
from ..errors import ConfigError, DecodeError
from ..fast.compiled import HAVE_NUMBA
from ..models.adaptive import RecordedIntervals
from ..models.context import MAX_ORDER, ContextModel
from ..models.match import MatchModel

__all__ = ["MAGIC", "VERSION", "Header", "read_header", "compress_stream", "decompress_stream",
           "HEADER_SIZE", "BLOCK_HEADER_SIZE", "DEFAULT_ORDER", "DEFAULT_BLOCK_SIZE", "use_compiled"]

MAGIC = b"\x89ANS\r\n\x1a\n"
VERSION = 3
READABLE_VERSIONS = (1, 2, 3)  # version 1: the raw CRC covers one block only; 1 and 2: no match model
WRITABLE_VERSIONS = (2, 3)
DEFAULT_ORDER = 5
DEFAULT_PRECISION = 24
DEFAULT_TABLE_BITS = 22
DEFAULT_BLOCK_SIZE = 1 << 20
MAX_BLOCK_SIZE = 1 << 30

_HEADER = struct.Struct("<8sBBBBIQ")  # magic, version, order, precision, table bits, block size, length
_BLOCK = struct.Struct("<BIII")  # kind, raw length, payload length, raw CRC
HEADER_SIZE = _HEADER.size + 4  # 28
BLOCK_HEADER_SIZE = _BLOCK.size + 4  # 17
STORED, CODED = 0, 1
_STEP = 4096  # bytes between progress callbacks inside a block


@dataclass(frozen=True)
class Header:
    """The settings and size recorded in a container's header."""

    order: int = DEFAULT_ORDER
    precision: int = DEFAULT_PRECISION
    table_bits: int = DEFAULT_TABLE_BITS
    block_size: int = DEFAULT_BLOCK_SIZE
    length: int = 0
    version: int = VERSION

    @property
    def num_blocks(self) -> int:
        return -(-self.length // self.block_size)

    def check(self, error=ConfigError) -> "Header":
        """Raise ``error`` unless every setting is one this version can code."""
        for name, lo, hi in (("order", 0, MAX_ORDER), ("precision", 12, 32), ("table_bits", 16, 30),
                             ("block_size", 1, MAX_BLOCK_SIZE), ("length", 0, (1 << 64) - 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise error(f"{name} must be an integer from {lo} to {hi}, got {value!r}")
        return self

    def pack(self) -> bytes:
        body = _HEADER.pack(MAGIC, self.version, self.order, self.precision, self.table_bits,
                            self.block_size, self.length)
        return body + struct.pack("<I", zlib.crc32(body))

    def model(self) -> ContextModel:
        """The fresh model of a block: a MatchModel since version 3, a ContextModel before."""
        cls = MatchModel if self.version >= 3 else ContextModel
        return cls(self.order, self.precision, table_bits=self.table_bits)


def use_compiled(compiled=None) -> bool:
    """Whether to run the compiled path: ``compiled=None`` means yes when numba is installed and
    the environment variable ``ANSEDU_REFERENCE`` is not ``1`` (or ``yes``, ``true``); ``True``
    requires numba."""
    if compiled is None:
        return HAVE_NUMBA and os.environ.get("ANSEDU_REFERENCE", "").strip() not in ("1", "yes", "true")
    if compiled and not HAVE_NUMBA:
        raise ConfigError("the compiled path needs numba (pip install ansedu[fast]); "
                          "compiled=False runs the pure-Python reference")
    return bool(compiled)


def _read_exact(stream, n: int, what: str) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise DecodeError(f"the file is truncated: it ends inside {what} ({len(data)} of {n} bytes)")
    return data


def read_header(stream) -> Header:
    """Read and check the 28-byte file header from a binary stream."""
    first = stream.read(len(MAGIC))
    if first != MAGIC[:len(first)] or not first:
        raise DecodeError("not an ansedu file (wrong magic bytes)" if first
                          else "the file is empty: not an ansedu file")
    rest = _read_exact(stream, HEADER_SIZE - len(first), "the file header") if len(first) == len(MAGIC) \
        else b""
    if len(first) < len(MAGIC):
        raise DecodeError(f"the file is truncated: it ends inside the file header ({len(first)} of "
                          f"{HEADER_SIZE} bytes)")
    raw = first + rest
    magic, version, order, precision, table_bits, block_size, length = _HEADER.unpack(raw[:_HEADER.size])
    if version not in READABLE_VERSIONS:
        raise DecodeError(f"unsupported format version {version}: this ansedu reads versions "
                          f"{', '.join(map(str, READABLE_VERSIONS))}"
                          + (" (the file was written by a newer ansedu)" if version > VERSION else ""))
    (crc,) = struct.unpack("<I", raw[_HEADER.size:])
    if crc != zlib.crc32(raw[:_HEADER.size]):
        raise DecodeError("the file header is corrupted (CRC32 mismatch)")
    header = Header(order, precision, table_bits, block_size, length, version)
    return header.check(lambda msg: DecodeError(f"unsupported settings in the header: {msg}"))


def _code_block(block: bytes, header: Header, progress=None) -> tuple[int, bytes]:
    """(kind, payload) of one block: coded with a fresh model, or stored if that is not smaller."""
    model, P = header.model(), header.precision
    symbols = np.frombuffer(block, dtype=np.uint8)
    units, starts, masses = [], [], []
    for i in range(0, len(block), _STEP):  # the model runs forward in steps, to report progress
        u, c, m = model.forward_intervals(symbols[i:i + _STEP])
        units += u
        starts += c
        masses += m
        if progress is not None:
            progress(min(_STEP, len(block) - i))
    coder = AnsCoder(precision=P)
    coder.encode_reverse(units, RecordedIntervals(P), np.array(starts, dtype=np.float64),
                         np.array(masses, dtype=np.float64))
    payload = coder.get_compressed().astype("<u4").tobytes()
    if len(payload) >= len(block):
        return STORED, bytes(block)
    return CODED, payload


def _block_bytes(kind: int, block: bytes, payload: bytes, running_crc: int) -> bytes:
    """A block as written: ``running_crc`` is the CRC32 of the file up to the end of ``block``."""
    head = _BLOCK.pack(kind, len(block), len(payload), running_crc)
    return head + struct.pack("<I", zlib.crc32(payload, zlib.crc32(head))) + payload


def _code_block_compiled(block: bytes, header: Header, progress=None) -> tuple[int, bytes]:
    """:func:`_code_block` by the compiled kernels (the same bytes)."""
    from ..fast.fullcoder import encode_block
    payload = encode_block(block, header.order, header.precision, header.table_bits, progress,
                           match=header.version >= 3)
    return (STORED, bytes(block)) if payload is None else (CODED, payload)


def compress_stream(src, dst, length: int, header: Header | None = None, progress=None,
                    compiled: bool | None = None) -> int:
    """Compress exactly ``length`` bytes read from binary stream ``src`` into ``dst``.

    ``header`` gives the settings (its ``length`` is replaced by ``length``; its ``version``, 3
    by default, may be 2 to write the format without the match model). ``progress(n)`` is
    called as ``n`` more input bytes are done. ``compiled``: see :func:`use_compiled` (the output
    is the same either way). Returns the number of bytes written.
    """
    header = Header(**{**(header or Header()).__dict__, "length": length}).check()
    if header.version not in WRITABLE_VERSIONS:
        raise ConfigError(f"ansedu writes format versions {' and '.join(map(str, WRITABLE_VERSIONS))}, "
                          f"not {header.version!r}")
    code_block = _code_block_compiled if use_compiled(compiled) else _code_block
    written = dst.write(header.pack())
    running = 0  # CRC32 of the original bytes so far
    left = length
    while left:
        block = src.read(min(header.block_size, left))
        if not block:
            raise ConfigError(f"the input ended {left} bytes before its announced length {length}")
        left -= len(block)
        kind, payload = code_block(block, header, progress)
        running = zlib.crc32(block, running)
        written += dst.write(_block_bytes(kind, block, payload, running))
    return written


def _decode_block(header: Header, payload: bytes, raw_len: int, index: int, progress=None) -> bytes:
    if len(payload) % 4:
        raise DecodeError(f"block {index} is corrupted: a coded payload is whole 32-bit words")
    words = np.frombuffer(payload, dtype="<u4").astype(np.uint32)
    coder = AnsCoder(words, precision=header.precision)
    model = header.model()
    out = bytearray()
    for i in range(0, raw_len, _STEP):
        n = min(_STEP, raw_len - i)
        out += _decode_bytes(coder, model, n, index)
        if progress is not None:
            progress(n)
    if not coder.is_empty():
        raise DecodeError(f"block {index} is corrupted: its compressed data is not used up exactly")
    return bytes(out)


def _decode_bytes(coder: AnsCoder, model: ContextModel, amt: int, index: int) -> bytearray:
    """``decode_adaptive(coder, model, amt)`` for a ContextModel (or MatchModel), with the coder's decoding step
    written out (one binary decision: slot < m(0) is a 0) instead of a call through the model
    protocol per bit: the same arithmetic as AnsCoder.decode, about twice as fast in pure Python.
    The round-trip tests check it against the library's encoder."""
    P, W, low = coder.precision, coder.word_size, coder._low
    top = 1 << P
    pmask = top - 1
    head, n, words = coder.head, coder._n, coder._words
    update = model.update
    out = bytearray()
    for _ in range(amt):
        byte = 0
        for _ in range(8):
            m1 = model._m1
            m0 = top - m1
            slot = head & pmask
            if slot < m0:  # a 0: slots 0 .. m(0) - 1
                head = m0 * (head >> P) + slot
                bit = 0
            else:  # a 1: slots m(0) .. 2^P - 1
                head = m1 * (head >> P) + slot - m0
                bit = 1
            if head < low:  # refill one word (invariant 2 of ansedu.coders.streaming)
                if n == 0:
                    raise DecodeError(f"block {index} is corrupted or truncated: its compressed data "
                                      "ran out before the block was complete")
                n -= 1
                head = (head << W) | words[n]
            update(bit)
            byte = (byte << 1) | bit
        out.append(byte)
    coder.head, coder._n = head, n
    return out


def _decode_block_compiled(header: Header, payload: bytes, raw_len: int, index: int,
                           progress=None) -> bytes:
    """:func:`_decode_block` by the compiled kernels (same checks, same messages)."""
    from ..fast.fullcoder import decode_block
    return decode_block(payload, raw_len, header.order, header.precision, header.table_bits, index,
                        progress, match=header.version >= 3)


def decompress_stream(src, dst, progress=None, header: Header | None = None,
                      compiled: bool | None = None) -> int:
    """Decompress a whole container from binary stream ``src`` into ``dst``; return the bytes written.

    Every block is checked completely before any of it is written to ``dst``. ``header``: the
    header if the caller has already read it from ``src``. ``compiled``: see :func:`use_compiled`
    (the checks are the same either way). Raises :class:`~ansedu.errors.DecodeError` on any
    problem (see the module docstring).
    """
    decode_block = _decode_block_compiled if use_compiled(compiled) else _decode_block
    if header is None:
        header = read_header(src)
    left, written = header.length, 0
    running = 0  # CRC32 of the decoded bytes so far (format version 2)
    for index in range(header.num_blocks):
        what = f"the header of block {index}"
        head = _read_exact(src, _BLOCK.size, what)
        kind, raw_len, payload_len, raw_crc = _BLOCK.unpack(head)
        (check,) = struct.unpack("<I", _read_exact(src, 4, what))
        expected = min(header.block_size, left)
        if kind not in (STORED, CODED):
            raise DecodeError(f"block {index} is corrupted: unknown block kind {kind}")
        if raw_len != expected:
            raise DecodeError(f"block {index} is corrupted: it says it holds {raw_len} bytes, the header "
                              f"implies {expected}")
        if kind == STORED and payload_len != raw_len:
            raise DecodeError(f"block {index} is corrupted: a stored block's payload is its {raw_len} bytes, "
                              f"not {payload_len}")
        if kind == CODED and payload_len > raw_len:
            raise DecodeError(f"block {index} is corrupted: a coded payload is never longer than the block")
        payload = _read_exact(src, payload_len, f"the payload of block {index}")
        if zlib.crc32(payload, zlib.crc32(head)) != check:
            raise DecodeError(f"block {index} is corrupted (CRC32 mismatch of its compressed data)")
        if kind == STORED:
            block = payload
            if progress is not None:
                progress(raw_len)
        else:
            block = decode_block(header, payload, raw_len, index, progress)
        running = zlib.crc32(block, running)
        if (running if header.version >= 2 else zlib.crc32(block)) != raw_crc:
            raise DecodeError(f"block {index}: checksum mismatch of the decoded data (CRC32"
                              + (" of the file up to this block: a block is corrupted, missing, "
                                 "out of order or from another file)" if header.version >= 2 else ")"))
        written += dst.write(block)
        left -= raw_len
    if src.read(1):
        raise DecodeError("unexpected data after the last block (a corrupted length, or two files "
                          "joined together)")
    return written
