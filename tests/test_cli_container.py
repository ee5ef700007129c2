"""The .ans container (ansedu.cli.container): round trips on real files and edge cases, and
fuzzing of the decoder with corrupted, truncated and random containers.

Fuzz count per run of this file (all must end in a clean DecodeError, never another exception,
a hang or wrong output):
- every single-bit flip of three small containers of 381, 199 and 57 bytes
  (test_every_bit_flip_and_truncation_is_rejected): 5096, asserted >= 5000;
- every truncation of the same containers: 637, asserted >= 600;
- hypothesis: 2000 corrupted (random bytes overwritten), 1000 truncated (and extended),
  1500 random containers (with and without a valid magic/header), 150 forged containers whose
  CRCs are recomputed after corruption, so that the model-driven decoder itself runs.
In all about 10,380 inputs per run (>= 10^4); all but the forged ones are rejected by the header / block checks and
the CRC32s before the model runs, which keeps the suite fast.
"""

from __future__ import annotations

import glob
import io
import os
import struct
import sys
import sysconfig
import zlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ansedu.cli.container import (BLOCK_HEADER_SIZE, HEADER_SIZE, MAGIC, VERSION, Header,
                                  compress_stream, decompress_stream, read_header)
from ansedu.data import load_text
from ansedu.errors import ConfigError, DecodeError

# Small tables keep model set-up cheap in tests; the format records them, so nothing else changes.
SMALL = Header(order=3, table_bits=16, block_size=1 << 20)


def pack(data: bytes, header: Header = SMALL) -> bytes:
    out = io.BytesIO()
    n = compress_stream(io.BytesIO(data), out, len(data), header)
    assert n == len(out.getvalue())
    return out.getvalue()


def unpack(blob: bytes) -> bytes:
    out = io.BytesIO()
    n = decompress_stream(io.BytesIO(blob), out)
    assert n == len(out.getvalue())
    return out.getvalue()


def stdlib_source(name: str) -> bytes:
    with open(os.path.join(sysconfig.get_paths()["stdlib"], name), "rb") as f:
        return f.read()


def extension_module() -> bytes:
    """A compiled extension module of the running Python (a real ELF binary), at most 12 kB of it."""
    folders = [p for p in sys.path if p.endswith("lib-dynload")]
    folders.append(os.path.join(os.path.dirname(np.__file__), "_core"))  # numpy's, as a fallback
    files = sorted((f for d in folders for f in glob.glob(d + "/*.so")), key=os.path.getsize)
    assert files, f"no extension modules in {folders}"
    with open(files[0], "rb") as f:
        return f.read(12_000)


# -- round trips ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["alice29", "asyoulik", "lcet10", "plrabn12"])
def test_canterbury_round_trip_compresses(name):
    text = load_text(name)[20_000:24_000]
    blob = pack(text)
    assert unpack(blob) == text
    assert 8 * len(blob) / len(text) < 4.0  # English under the order-3 model, from an empty start


@pytest.mark.parametrize("name", ["keyword.py", "bisect.py"])
def test_stdlib_source_round_trip(name):
    source = stdlib_source(name)[:5000]
    blob = pack(source)
    assert unpack(blob) == source
    assert len(blob) < 0.6 * len(source)


def test_binary_extension_module_round_trip():
    binary = extension_module()
    assert binary[:4] == b"\x7fELF"
    blob = pack(binary)
    assert unpack(blob) == binary
    assert len(blob) < len(binary)  # ELF files have long runs of zeros


@pytest.mark.parametrize("data", [b"", b"A", b"\x00", b"z" * 3000, bytes(range(256))],
                         ids=["empty", "one byte", "one zero byte", "one repeated byte", "all bytes"])
def test_edge_cases_round_trip(data):
    blob = pack(data)
    assert unpack(blob) == data
    assert read_header(io.BytesIO(blob)).length == len(data)
    if not data:
        assert len(blob) == HEADER_SIZE  # no blocks at all


def test_repeated_byte_codes_far_below_a_bit_per_byte():
    blob = pack(b"z" * 3000)
    assert len(blob) - HEADER_SIZE - BLOCK_HEADER_SIZE < 3000 / 8 / 4


def test_random_bytes_are_stored_and_grow_by_at_most_the_headers():
    data = np.random.default_rng(1).integers(0, 256, 20_000, dtype=np.uint8).tobytes()
    blob = pack(data)
    assert unpack(blob) == data
    assert blob[HEADER_SIZE] == 0  # block kind 0: stored
    assert len(blob) == len(data) + HEADER_SIZE + BLOCK_HEADER_SIZE
    assert len(blob) <= len(data) * 1.001 + HEADER_SIZE + BLOCK_HEADER_SIZE


def test_several_blocks_each_checked_and_restarted():
    text = load_text("alice29")[:5000]
    header = Header(order=2, table_bits=16, block_size=1500)
    blob = pack(text, header)
    h = read_header(io.BytesIO(blob))
    assert (h.block_size, h.num_blocks, h.length) == (1500, 4, 5000)
    assert unpack(blob) == text
    # each block restarts its model: more blocks cost more bits than one block
    assert len(blob) > len(pack(text, Header(order=2, table_bits=16)))
    # a mix of kinds: random bytes between text blocks are stored, the text is coded
    rnd = np.random.default_rng(2).integers(0, 256, 1500, dtype=np.uint8).tobytes()
    mixed = text[:1500] + rnd + text[1500:3000]
    blob = pack(mixed, header)
    assert unpack(blob) == mixed
    kinds, pos = [], HEADER_SIZE
    for _ in range(3):
        kinds.append(blob[pos])
        pos += BLOCK_HEADER_SIZE + struct.unpack_from("<I", blob, pos + 5)[0]
    assert kinds == [1, 0, 1] and pos == len(blob)


@given(st.binary(max_size=300), st.integers(1, 120), st.integers(0, 4))
@settings(max_examples=60)
def test_round_trip_property(data, block_size, order):
    header = Header(order=order, table_bits=16, block_size=block_size)
    assert unpack(pack(data, header)) == data


# -- the decoder's checks, one by one, with the message a user sees -----------------------

TEXT = load_text("asyoulik")[:600]


def test_wrong_magic():
    with pytest.raises(DecodeError, match="not an ansedu file"):
        unpack(b"\x1f\x8b\x08\x00" + pack(TEXT)[4:])
    with pytest.raises(DecodeError, match="empty"):
        unpack(b"")


def reheader(blob: bytes, **changes) -> bytes:
    """``blob`` with header fields changed and the header CRC recomputed (a forged but consistent header)."""
    fields = dict(zip(("magic", "version", "order", "precision", "table_bits", "block_size", "length"),
                      struct.unpack_from("<8sBBBBIQ", blob)))
    fields.update(changes)
    body = struct.pack("<8sBBBBIQ", *fields.values())
    return body + struct.pack("<I", zlib.crc32(body)) + blob[HEADER_SIZE:]


def test_only_versions_2_and_3_are_written():
    assert VERSION == 3 and pack(TEXT)[8] == 3
    for version in (2, 3):
        blob = pack(TEXT, Header(order=3, table_bits=16, version=version))
        assert blob[8] == version and unpack(blob) == TEXT
    with pytest.raises(ConfigError, match="writes format versions 2 and 3, not 1"):
        pack(TEXT, Header(version=1))


def test_unsupported_version():
    with pytest.raises(DecodeError, match=f"unsupported format version {VERSION + 1}.*newer"):
        unpack(reheader(pack(TEXT), version=VERSION + 1))


@pytest.mark.parametrize("field, value", [("order", 9), ("precision", 40), ("table_bits", 8),
                                          ("block_size", 0)])
def test_unsupported_settings(field, value):
    with pytest.raises(DecodeError, match=f"unsupported settings.*{field}"):
        unpack(reheader(pack(TEXT), **{field: value}))


def test_header_corruption_is_caught_by_its_crc():
    blob = bytearray(pack(TEXT))
    blob[16] ^= 1  # the length
    with pytest.raises(DecodeError, match="file header is corrupted"):
        unpack(bytes(blob))


def test_truncated():
    blob = pack(TEXT)
    for cut, where in ((10, "file header"), (HEADER_SIZE + 5, "header of block 0"),
                       (len(blob) - 1, "payload of block 0")):
        with pytest.raises(DecodeError, match=f"truncated.*{where}"):
            unpack(blob[:cut])


def test_payload_corruption_is_caught_by_its_crc():
    blob = bytearray(pack(TEXT))
    blob[-7] ^= 0x40
    with pytest.raises(DecodeError, match="block 0 is corrupted .CRC32"):
        unpack(bytes(blob))


def test_length_mismatch_between_header_and_block():
    blob = reheader(pack(TEXT), length=len(TEXT) + 1)
    with pytest.raises(DecodeError, match="block 0 is corrupted: it says it holds 600 bytes.*601"):
        unpack(blob)


def test_trailing_data():
    with pytest.raises(DecodeError, match="unexpected data after the last block"):
        unpack(pack(TEXT) + b"\x00")
    with pytest.raises(DecodeError, match="unexpected data after the last block"):
        unpack(pack(b"") + pack(b""))


def forge(blob: bytes, pos: int, new: bytes) -> bytes:
    """Replace payload bytes of block 0 at ``pos`` and recompute its CRC, so only the model-driven
    decoder (and the CRC of the decoded data) can notice."""
    out = bytearray(blob)
    out[pos:pos + len(new)] = new
    head = bytes(out[HEADER_SIZE:HEADER_SIZE + 13])
    payload = bytes(out[HEADER_SIZE + BLOCK_HEADER_SIZE:])
    struct.pack_into("<I", out, HEADER_SIZE + 13, zlib.crc32(payload, zlib.crc32(head)))
    return bytes(out)


def test_forged_payload_is_caught_by_the_checksum_of_the_decoded_data():
    blob = pack(TEXT)
    start = HEADER_SIZE + BLOCK_HEADER_SIZE
    with pytest.raises(DecodeError, match="block 0"):
        unpack(forge(blob, start + 10, bytes([blob[start + 10] ^ 0x10])))


def blocks_of(blob: bytes) -> list[bytes]:
    """The blocks of a container (block header and payload each), in file order."""
    out, pos = [], HEADER_SIZE
    while pos < len(blob):
        end = pos + BLOCK_HEADER_SIZE + struct.unpack_from("<I", blob, pos + 5)[0]
        out.append(blob[pos:end])
        pos = end
    return out


def test_blocks_out_of_order_or_from_another_file_are_a_checksum_mismatch():
    # Format version 1 let this through (each block's CRC covered that block only): the blocks
    # of a file, swapped, decoded without an error into the wrong bytes. The fuzzer's splice
    # inputs found it; since version 2 block i's CRC covers blocks 0 .. i.
    header = Header(order=1, table_bits=16, block_size=40)
    text, other = TEXT[:120], TEXT[200:320]
    blob, foreign = pack(text, header), pack(other, header)
    a, b, c = blocks_of(blob)
    with pytest.raises(DecodeError, match="block 0: checksum mismatch.*out of order"):
        unpack(blob[:HEADER_SIZE] + b + a + c)
    with pytest.raises(DecodeError, match="block 1: checksum mismatch.*from another file"):
        unpack(blob[:HEADER_SIZE] + a + blocks_of(foreign)[1] + c)
    # the last block's CRC is the CRC32 of the whole file
    assert struct.unpack_from("<I", c, 9)[0] == zlib.crc32(text)


def as_version_1(blob: bytes, data: bytes) -> bytes:
    """``blob`` rewritten as format version 1 wrote it: each raw CRC over its own block only."""
    size = read_header(io.BytesIO(blob)).block_size
    out = [reheader(blob, version=1)[:HEADER_SIZE]]
    for i, block in enumerate(blocks_of(blob)):
        b = bytearray(block)
        struct.pack_into("<I", b, 9, zlib.crc32(data[i * size:(i + 1) * size]))
        struct.pack_into("<I", b, 13, zlib.crc32(bytes(b[BLOCK_HEADER_SIZE:]), zlib.crc32(bytes(b[:13]))))
        out.append(bytes(b))
    return b"".join(out)


def test_version_1_files_still_decode():
    header = Header(order=2, table_bits=16, block_size=50, version=2)  # versions 1 and 2: no match model
    data = TEXT[:170]
    old = as_version_1(pack(data, header), data)
    assert old != pack(data, header) and read_header(io.BytesIO(old)).version == 1
    assert unpack(old) == data
    damaged = bytearray(old)
    struct.pack_into("<I", damaged, HEADER_SIZE + 9, 12345)  # a wrong raw CRC in block 0 ...
    b = damaged[HEADER_SIZE:HEADER_SIZE + BLOCK_HEADER_SIZE]
    payload = bytes(blocks_of(old)[0][BLOCK_HEADER_SIZE:])
    struct.pack_into("<I", damaged, HEADER_SIZE + 13, zlib.crc32(payload, zlib.crc32(bytes(b[:13]))))
    with pytest.raises(DecodeError, match=r"block 0: checksum mismatch of the decoded data \(CRC32\)$"):
        unpack(bytes(damaged))  # ... is still caught, with version 1's message


def test_forged_raw_crc_is_a_checksum_mismatch():
    blob = bytearray(pack(TEXT))
    raw_crc_pos = HEADER_SIZE + 9
    blob[raw_crc_pos] ^= 1
    head = bytes(blob[HEADER_SIZE:HEADER_SIZE + 13])
    payload = bytes(blob[HEADER_SIZE + BLOCK_HEADER_SIZE:])
    struct.pack_into("<I", blob, HEADER_SIZE + 13, zlib.crc32(payload, zlib.crc32(head)))
    with pytest.raises(DecodeError, match="checksum mismatch of the decoded data"):
        unpack(bytes(blob))


# -- fuzzing ----------------------------------------------------------------------------------

# One block of text; random bytes then text in 60-byte blocks (stored, coded, coded: a damaged
# later block is found after the earlier ones decoded); a repetitive single block.
FUZZ_INPUTS = [load_text("lcet10")[:800],
               np.random.default_rng(3).integers(0, 256, 60, dtype=np.uint8).tobytes()
               + load_text("alice29")[:100],
               b"ab" * 150]
FUZZ_BLOBS = [pack(FUZZ_INPUTS[0], Header(order=2, table_bits=16)),
              pack(FUZZ_INPUTS[1], Header(order=2, table_bits=16, block_size=60)),
              pack(FUZZ_INPUTS[2], Header(order=2, table_bits=16))]


def rejected(blob: bytes, original: bytes) -> bool:
    """True if decoding ``blob`` raises DecodeError; it must never give other output or raise anything else."""
    try:
        out = unpack(blob)
    except DecodeError:
        return True
    assert out == original, "a damaged container decoded to wrong data without an error"
    return False


def test_every_bit_flip_and_truncation_is_rejected():
    flips = cuts = 0
    for data, blob in zip(FUZZ_INPUTS, FUZZ_BLOBS):
        for i in range(len(blob)):
            for bit in range(8):
                damaged = bytearray(blob)
                damaged[i] ^= 1 << bit
                assert rejected(bytes(damaged), data)  # CRC32 catches every single-bit error
                flips += 1
            assert rejected(blob[:i], data)
            cuts += 1
    assert flips >= 5000 and cuts >= 600, (flips, cuts)  # 5096 and 637 now


@given(st.sampled_from(range(3)), st.data())
@settings(max_examples=2000)
def test_fuzz_corrupted(which, data):
    blob = bytearray(FUZZ_BLOBS[which])
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(blob) - 1))
        blob[i] = data.draw(st.integers(0, 255))
    rejected(bytes(blob), FUZZ_INPUTS[which])  # unchanged blobs decode; changed ones must not lie


@given(st.sampled_from(range(3)), st.data())
@settings(max_examples=1000)
def test_fuzz_truncated_and_extended(which, data):
    blob = FUZZ_BLOBS[which]
    cut = data.draw(st.integers(0, len(blob) - 1))
    tail = data.draw(st.binary(max_size=8))
    damaged = blob[:cut] + tail
    if damaged != blob:
        assert rejected(damaged, FUZZ_INPUTS[which])


@given(st.one_of(st.binary(max_size=200),
                 st.binary(max_size=200).map(lambda b: MAGIC + b),
                 st.binary(max_size=200).map(lambda b: pack(b"")[:HEADER_SIZE] + b),
                 st.tuples(st.integers(0, 300), st.binary(max_size=200)).map(
                     lambda t: reheader(pack(b""), length=t[0], block_size=120) + t[1])))
@settings(max_examples=1500)
def test_fuzz_random_containers(blob):
    try:
        out = unpack(blob)
    except DecodeError:
        return
    # only a real (consistent) empty container decodes, and to nothing
    assert out == b"" and len(blob) == HEADER_SIZE and read_header(io.BytesIO(blob)).length == 0


@given(st.data())
@settings(max_examples=150)
def test_fuzz_forged_payloads_reach_the_model_and_fail_cleanly(data):
    original = FUZZ_INPUTS[0][:120]
    blob = pack(original, Header(order=2, table_bits=16))
    start = HEADER_SIZE + BLOCK_HEADER_SIZE
    pos = data.draw(st.integers(start, len(blob) - 1))
    new = data.draw(st.binary(min_size=1, max_size=min(4, len(blob) - pos)))
    forged = forge(blob, pos, new)
    if forged != blob:
        assert rejected(forged, original)
