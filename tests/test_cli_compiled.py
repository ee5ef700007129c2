"""The full coder's compiled path (ansedu.fast.fullcoder) writes and reads exactly the containers of
the pure-Python reference (ansedu.cli.container), rejects what the reference rejects with the
same message, and the command switches between the two (--reference, ANSEDU_REFERENCE=1)."""

from __future__ import annotations

import io
import os
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ansedu.cli import main
from ansedu.cli import container
from ansedu.cli.container import (BLOCK_HEADER_SIZE, HEADER_SIZE, Header, compress_stream,
                                  decompress_stream, use_compiled)
from ansedu.data import load_text
from ansedu.errors import ConfigError, DecodeError
from ansedu.fast.compiled import HAVE_NUMBA

# Small tables keep the reference's model set-up cheap; the format records them.
SMALL = Header(order=3, table_bits=16)


def pack(data: bytes, header: Header = SMALL, compiled: bool = True, progress=None) -> bytes:
    out = io.BytesIO()
    n = compress_stream(io.BytesIO(data), out, len(data), header, progress, compiled=compiled)
    assert n == len(out.getvalue())
    return out.getvalue()


def unpack(blob: bytes, compiled: bool = True, progress=None) -> bytes:
    out = io.BytesIO()
    n = decompress_stream(io.BytesIO(blob), out, progress, compiled=compiled)
    assert n == len(out.getvalue())
    return out.getvalue()


def outcome(blob: bytes, compiled: bool):
    """What decoding ``blob`` gives: ("ok", bytes) or ("error", message)."""
    try:
        return "ok", unpack(blob, compiled)
    except DecodeError as e:
        return "error", str(e)


@pytest.fixture(autouse=True)
def _no_reference_override(monkeypatch):
    """These tests choose the path themselves: ANSEDU_REFERENCE=1 in the caller's environment
    (a way to run the other container tests on the reference) must not change them."""
    monkeypatch.delenv("ANSEDU_REFERENCE", raising=False)


def test_numba_is_installed_in_the_course_venv():
    assert HAVE_NUMBA  # the course pins numba; without it the tests below would test Python twice
    assert use_compiled(None) and use_compiled(True) and not use_compiled(False)


TEXT = load_text("alice29")[30_000:36_000]
RNG = np.random.default_rng(12)
INPUTS = {
    "text": TEXT,
    "binary": bytes(RNG.integers(0, 8, 3000, dtype=np.uint8) * 31) + struct.pack("<256H", *range(256)),
    "empty": b"",
    "one byte": b"A",
    "repeated byte": b"\x00" * 5000,
    "random": RNG.integers(0, 256, 2000, dtype=np.uint8).tobytes(),
    # long repeats with changes between them: the match model (format version 3) starts,
    # grows, breaks inside a byte and restarts
    "long repeats": (TEXT[:700] + b"#" + TEXT[:400] + RNG.integers(0, 256, 50, dtype=np.uint8).tobytes()
                     + TEXT[100:900] + TEXT[:700].replace(b"e", b"E")),
}
HEADERS = {
    "order 3": SMALL,
    "order 0, 12-bit": Header(order=0, precision=12, table_bits=16),
    "order 1, 32-bit": Header(order=1, precision=32, table_bits=16),
    "order 5, blocks of 1000": Header(order=5, table_bits=17, block_size=1000),
    "order 8, blocks of 333": Header(order=8, table_bits=16, block_size=333),
    "version 2 (no match model)": Header(order=3, table_bits=16, version=2),
    "version 2, blocks of 1000": Header(order=5, table_bits=17, block_size=1000, version=2),
}


@pytest.mark.parametrize("name", list(INPUTS))
@pytest.mark.parametrize("setting", list(HEADERS))
def test_compiled_writes_the_reference_bytes_and_both_read_both(name, setting):
    data, header = INPUTS[name], HEADERS[setting]
    reference = pack(data, header, compiled=False)
    compiled = pack(data, header, compiled=True)
    assert compiled == reference
    assert unpack(reference, compiled=True) == data
    if len(data) <= 2000:  # the reference decoder is slow: the rest are covered by the line above
        assert unpack(compiled, compiled=False) == data


def test_a_multi_block_file_is_coded_and_stored_block_by_block():
    data = TEXT[:3000] + INPUTS["random"][:1500] + TEXT[3000:4500]
    header = Header(order=4, table_bits=16, block_size=1500)
    blob = pack(data, header, compiled=True)
    assert blob == pack(data, header, compiled=False)
    kinds, pos = [], HEADER_SIZE
    while pos < len(blob):
        kind, raw, plen, _ = struct.unpack("<BIII", blob[pos:pos + 13])
        kinds.append(kind)
        pos += BLOCK_HEADER_SIZE + plen
    assert kinds == [1, 1, 0, 1]  # the random block is stored, the text blocks coded
    seen = []
    assert unpack(blob, compiled=True, progress=seen.append) == data
    assert sum(seen) == len(data)


def test_progress_is_reported_within_a_large_block():
    data = (TEXT * 30)[:150_000]
    seen = []
    blob = pack(data, Header(order=2, table_bits=16), compiled=True, progress=seen.append)
    assert len(seen) >= 3 and sum(seen) == len(data)  # every 64 kB, not once per block
    assert unpack(blob) == data


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=48) | st.lists(st.sampled_from(b"ab\x00\xff"), max_size=120).map(bytes),
       st.sampled_from([12, 16, 24, 32]), st.integers(0, 8), st.integers(1, 50))
def test_short_blocks_near_the_stored_threshold_are_identical(data, precision, order, block_size):
    # Blocks of a few bytes decide between coded and stored by a handful of words: the compiled
    # encoder stops early when the words would not fit, and must decide exactly as the reference.
    header = Header(order=order, precision=precision, table_bits=16, block_size=block_size)
    blob = pack(data, header, compiled=True)
    assert blob == pack(data, header, compiled=False)
    assert unpack(blob, compiled=True) == data


# -- corrupted containers -------------------------------------------------------------------

BASE = pack(TEXT[:300], Header(order=3, table_bits=16, block_size=200))


def reforge(blob: bytes) -> bytes:
    """Recompute every CRC after a change, so that the model-driven decoder itself runs."""
    head = bytearray(blob[:HEADER_SIZE])
    head[24:28] = struct.pack("<I", zlib.crc32(bytes(head[:24])))
    out, pos = bytes(head), HEADER_SIZE
    while pos + BLOCK_HEADER_SIZE <= len(blob):
        bh = blob[pos:pos + 13]
        plen = struct.unpack("<I", bh[5:9])[0]
        payload = blob[pos + BLOCK_HEADER_SIZE:pos + BLOCK_HEADER_SIZE + plen]
        out += bh + struct.pack("<I", zlib.crc32(payload, zlib.crc32(bh))) + payload
        pos += BLOCK_HEADER_SIZE + plen
    return out + blob[pos:]


@settings(max_examples=250, deadline=None)
@given(st.lists(st.tuples(st.integers(HEADER_SIZE, len(BASE) - 1), st.integers(0, 255)),
                min_size=1, max_size=4),
       st.booleans())
def test_forged_containers_fail_alike_in_both_decoders(edits, keep_crc):
    blob = bytearray(BASE)
    for pos, value in edits:
        blob[pos] = value
    blob = bytes(blob) if keep_crc else reforge(bytes(blob))
    got = outcome(blob, compiled=True)
    assert got == outcome(blob, compiled=False)  # the same error message, or the same bytes
    if got[0] == "ok":
        assert got[1] == TEXT[:300]  # never output that differs from the original


def coded_block(payload_words) -> bytes:
    """A one-block container of 64 bytes whose coded payload is ``payload_words`` (CRCs correct)."""
    payload = np.asarray(payload_words, dtype="<u4").tobytes()
    head = bytearray(Header(order=2, table_bits=16, block_size=64, length=64).pack())
    bh = struct.pack("<BIII", 1, 64, len(payload), 0)
    return bytes(head) + bh + struct.pack("<I", zlib.crc32(payload, zlib.crc32(bh))) + payload


@pytest.mark.parametrize("words, message", [
    ([], "ran out"),  # an empty coded payload: the data runs out at once
    ([7], "truncated"),  # one word: not even a head
    ([5, 0], "last word"),  # a zero top word, which the encoder never writes
    ([5, 1], "ran out"),  # a head of 2^32 + 5 cannot code 64 bytes
    ([3] * 15, "not used up exactly"),  # words left over (or a wrong CRC of the decoded bytes)
])
def test_hand_made_payloads_are_rejected_like_the_reference(words, message):
    blob = coded_block(words)
    kind, text = outcome(blob, compiled=True)
    assert kind == "error" and (message in text or "checksum mismatch" in text)
    assert (kind, text) == outcome(blob, compiled=False)
    partial = blob[:-3]  # a payload that is not whole words (its CRC recomputed)
    assert outcome(reforge_length(partial), compiled=True)[0] == "error"


def reforge_length(blob: bytes) -> bytes:
    """The last block's payload length and CRC set to what is left of ``blob``."""
    bh = bytearray(blob[HEADER_SIZE:HEADER_SIZE + 13])
    payload = blob[HEADER_SIZE + BLOCK_HEADER_SIZE:]
    bh[5:9] = struct.pack("<I", len(payload))
    bh = bytes(bh)
    return blob[:HEADER_SIZE] + bh + struct.pack("<I", zlib.crc32(payload, zlib.crc32(bh))) + payload


def test_every_truncation_is_rejected_by_the_compiled_decoder():
    for cut in range(len(BASE)):
        with pytest.raises(DecodeError):
            unpack(BASE[:cut], compiled=True)
    with pytest.raises(DecodeError, match="after the last block"):
        unpack(BASE + b"\x00", compiled=True)


def test_compiled_without_numba_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(container, "HAVE_NUMBA", False)
    assert not use_compiled(None)  # the default falls back to the reference
    with pytest.raises(ConfigError, match="numba"):
        pack(b"abc", compiled=True)
    assert unpack(pack(b"abc", compiled=None), compiled=None) == b"abc"


# -- the command switch ---------------------------------------------------------------------

@pytest.fixture
def calls(monkeypatch):
    """Which block coders ran: 'reference' or 'compiled', per block (compressing and decompressing)."""
    log = []

    def spy(fn, label):
        def wrapper(*args, **kwargs):
            log.append(label)
            return fn(*args, **kwargs)
        return wrapper

    for name, label in (("_code_block", "reference"), ("_decode_block", "reference"),
                        ("_code_block_compiled", "compiled"), ("_decode_block_compiled", "compiled")):
        monkeypatch.setattr(container, name, spy(getattr(container, name), label))
    return log


@pytest.mark.parametrize("how", ["default", "--reference", "ANSEDU_REFERENCE=1"])
def test_the_command_runs_the_compiled_path_unless_told_otherwise(tmp_path, monkeypatch, calls, how):
    path = tmp_path / "text.txt"
    data = TEXT[:1500]
    path.write_bytes(data)
    flags = ["--reference"] if how == "--reference" else []
    if how.startswith("ANSEDU"):
        monkeypatch.setenv("ANSEDU_REFERENCE", "1")
    assert main(["compress", "--order", "2", "--table-bits", "16", *flags, str(path)]) == 0
    packed = (tmp_path / "text.txt.ans").read_bytes()
    os.remove(path)
    assert main(["decompress", *flags, str(tmp_path / "text.txt.ans")]) == 0
    assert path.read_bytes() == data
    expected = "compiled" if how == "default" else "reference"
    assert calls == [expected, expected]  # one block compressed, one decompressed
    assert packed == pack(data, Header(order=2, table_bits=16), compiled=False)


def test_the_command_reports_a_corrupted_file_through_the_compiled_decoder(tmp_path, capsys):
    bad = bytearray(BASE)
    bad[HEADER_SIZE + BLOCK_HEADER_SIZE + 3] ^= 0x10
    (tmp_path / "bad.ans").write_bytes(reforge(bytes(bad)))
    assert main(["decompress", str(tmp_path / "bad.ans")]) == 1
    assert "block 0" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()  # no partial output


@pytest.mark.parametrize("command", ["compress", "decompress"])
def test_help_explains_the_switch(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--reference" in text and "ANSEDU_REFERENCE=1" in text and "byte for byte" in text


# -- the benchmark ----------------------------------------------------------------------------

@pytest.mark.parametrize("compiled_only", [False, True])
def test_the_benchmark_times_both_paths_or_only_the_compiled_one(capsys, compiled_only):
    import json
    from ansedu.bench import fullcoder
    argv = ["--sample", "1200", "--order", "2", "--json"] + (["--compiled-only"] if compiled_only else [])
    assert fullcoder.main(argv) == 0
    results = json.loads(capsys.readouterr().out)
    assert results["compiled"] is True
    for name, entry in results["inputs"].items():
        ours = [r for r in entry["rows"] if r["coder"].startswith("ansedu")]
        expected = ["ansedu (order 2)"] + ([] if compiled_only else ["ansedu (order 2, reference)"])
        assert [r["coder"] for r in ours] == expected
        assert len({r["bytes"] for r in ours}) == 1  # the same container
        assert set(entry["ansedu_speed"]) == ({"compiled"} if compiled_only else {"compiled", "reference"})
        for speed in entry["ansedu_speed"].values():
            assert min(speed.values()) > 0 and len(speed) == 4  # MB/s each way, wall and CPU time
    assert "compiled" in fullcoder.table(results) and "MB/s" in fullcoder.table(results)


def test_without_numba_the_command_runs_the_reference(tmp_path):
    import subprocess
    import sys
    (tmp_path / "a.txt").write_bytes(TEXT[:400])
    code = ("import sys; sys.modules['numba'] = None  # as if numba were not installed\n"
            "from ansedu.cli import main, container\n"
            "assert not container.use_compiled(None)\n"
            "raise SystemExit(main(['compress', '--table-bits', '16', 'a.txt']))")
    env = {k: v for k, v in os.environ.items() if k != "ANSEDU_REFERENCE"}
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True, timeout=120, env=env)
    assert (tmp_path / "a.txt.ans").read_bytes() == pack(TEXT[:400], Header(table_bits=16), compiled=True)


def test_the_decompression_bar_counts_to_the_original_length(tmp_path, monkeypatch):
    import ansedu.cli as cli
    seen = {}

    class Recording(cli._Progress):
        def close(self):
            seen["total"], seen["n"] = self.bar.total, self.bar.n
            super().close()

    monkeypatch.setattr(cli, "_Progress", Recording)
    data = RNG.integers(0, 256, 80_000, dtype=np.uint8).tobytes() + TEXT * 20  # 80 kB stored, then text
    (tmp_path / "f.ans").write_bytes(pack(data, Header(order=2, table_bits=16, block_size=1 << 16)))
    assert main(["decompress", "-v", str(tmp_path / "f.ans")]) == 0
    assert seen == {"total": len(data), "n": len(data)}  # not the compressed size
    assert (tmp_path / "f").read_bytes() == data


def test_the_match_model_makes_version_3_smaller_on_repeats_and_both_decoders_tell_the_versions_apart():
    data = INPUTS["long repeats"]
    v3 = pack(data, SMALL, compiled=True)
    v2 = pack(data, Header(order=3, table_bits=16, version=2), compiled=True)
    assert v3[8] == 3 and v2[8] == 2
    assert len(v3) < 0.9 * len(v2)  # the repeats cost far less with the match model
    for compiled in (True, False):
        assert unpack(v3, compiled=compiled) == data and unpack(v2, compiled=compiled) == data
    # a version 3 payload read as version 2 (another model) is caught, by both decoders alike
    forged = bytearray(v3)
    forged[8] = 2
    body = bytes(forged[:24])
    forged[24:28] = struct.pack("<I", zlib.crc32(body))
    errors = []
    for compiled in (True, False):
        with pytest.raises(DecodeError) as info:
            unpack(bytes(forged), compiled=compiled)
        errors.append(str(info.value))
    assert errors[0] == errors[1]
