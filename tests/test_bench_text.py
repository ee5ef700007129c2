"""The text part of the models benchmark runs on a small slice, verifies its round trips and reports
the figures it claims (speed itself is measured by running the benchmark, not asserted here)."""

import gzip
import json

import numpy as np
import pytest

from ansedu import load_text
from ansedu.bench import _text


def run(capsys, *argv):
    assert _text.main(list(argv)) == 0
    return capsys.readouterr().out


def test_text_part_json_on_a_small_slice(capsys):
    out = run(capsys, "--text-bytes", "3000", "--text-orders", "0,2", "--texts", "alice29,plrabn12",
              "--text-curves", "--json")
    results = json.loads(out)["text"]
    assert [t["text"] for t in results["texts"]] == ["alice29", "plrabn12"]
    for entry in results["texts"]:
        assert entry["bytes"] == 3000
        rows = {r["name"]: r for r in entry["rows"]}
        assert list(rows) == ["gzip -9", "bzip2 -9", "xz -9", "adaptive categorical (order 0)",
                              "context order 0", "context order 2"]
        data = load_text(entry["text"])[:3000]
        # the baselines are what the standard library gives on the same bytes
        assert rows["gzip -9"]["bits"] == 8 * len(gzip.compress(data, compresslevel=9, mtime=0))
        for name in ("adaptive categorical (order 0)", "context order 0", "context order 2"):
            r = rows[name]
            # the coded size is whole 32-bit words, at least the information content and at most
            # the two head words (64 bits) plus rounding above it
            assert r["bits"] % 32 == 0 and r["bits_per_byte"] == r["bits"] / 3000
            assert r["information_bits"] <= r["bits"] <= r["information_bits"] + 64 + 32
            curve = r["curve"]
            assert len(curve) == 1  # 3000 bytes: one block of 4096
            assert abs(curve[0] - r["information_bits"] / 3000) < 1e-3
            assert r["encode_s"] > 0 and r["decode_s"] > 0
        # on text a context of two bytes beats none
        assert rows["context order 2"]["bits"] < rows["context order 0"]["bits"]
        assert _text.best_model(entry)["name"] == "context order 2"


def test_text_part_table(capsys):
    out = run(capsys, "--text-bytes", "1500", "--text-orders", "1", "--texts", "asyoulik")
    assert "asyoulik (1,500 B)" in out and "| context order 1" in out and "| xz -9" in out
    assert "every round trip verified" in out


def test_a_failed_round_trip_is_reported(monkeypatch):
    original = _text.decode_adaptive
    monkeypatch.setattr(_text, "decode_adaptive",
                        lambda coder, model, amt: np.bitwise_xor(original(coder, model, amt), 1))
    with pytest.raises(AssertionError, match="round trip failed"):
        _text.measure_model("context order 1", lambda: _text.ContextModel(1, table_bits=16), b"hello world")


@pytest.mark.parametrize("argv", [["--text-orders", "9"], ["--text-orders", "a"], ["--texts", "bible"],
                                  ["--text-bytes", "-1"]])
def test_text_part_rejects_bad_arguments(argv, capsys):
    with pytest.raises(SystemExit):
        _text.main(argv)
    assert "error" in capsys.readouterr().err
