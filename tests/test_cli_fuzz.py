"""The container fuzzer (ansedu.cli.fuzz): 10^5 damaged inputs per test run, every one a clean
DecodeError or the exact original; and the fuzzer itself notices a decoder that lies, crashes or hangs.

With the ~10^4 inputs of test_cli_container.py, the suite decodes about 1.1 * 10^5 damaged
containers per run. The longer documented run is in the fuzzer's docstring.
"""

from __future__ import annotations

import json
import time

import pytest

from ansedu.cli import fuzz
from ansedu.errors import DecodeError


def test_one_hundred_thousand_damaged_containers_fail_cleanly():
    cheap = fuzz.run(97_000, seed=2026, kinds=("overwrite", "flip", "cut", "random", "splice"))
    model = fuzz.run(3_000, seed=2027, kinds=("forge",))
    tallies = {**cheap, **model}
    assert sum(t.inputs for t in tallies.values()) == 100_000
    failures = [f for t in tallies.values() for f in t.failures]
    assert not failures, fuzz.report(tallies)
    for kind, t in tallies.items():
        assert t.rejected + t.identical == t.inputs, kind
        assert t.rejected > 0.8 * t.inputs, (kind, fuzz.report(tallies))  # damage that is damage


@pytest.mark.parametrize("compiled, block_decoder", [(False, "_decode_block"),
                                                     (True, "_decode_block_compiled")])
def test_forged_payloads_really_reach_the_model(compiled, block_decoder):
    # The forge kind recomputes the block CRC: the decoder must then run the model on bad words
    # (the pure-Python reference, or the compiled path that the command runs by default).
    calls = []
    original = fuzz.decode

    def spy(blob, **options):
        from ansedu.cli import container
        real = getattr(container, block_decoder)

        def counting(*args, **kwargs):
            calls.append(1)
            return real(*args, **kwargs)
        setattr(container, block_decoder, counting)
        try:
            return original(blob, **options)
        finally:
            setattr(container, block_decoder, real)
    fuzz.decode = spy
    try:
        tallies = fuzz.run(50, seed=1, kinds=("forge",), compiled=compiled)
    finally:
        fuzz.decode = original
    assert tallies["forge"].inputs == 50 and len(calls) >= 50
    assert not tallies["forge"].failures


@pytest.mark.parametrize("fault, problem", [
    ("lies", "differ from the original"),
    ("crashes", "crashed with IndexError"),
    ("hangs", "no answer after"),
])
def test_the_fuzzer_catches_a_bad_decoder(monkeypatch, fault, problem):
    original = fuzz.decode

    def bad(blob, **options):
        try:
            return original(blob, **options)
        except DecodeError:
            if fault == "lies":
                return b"something else"
            if fault == "crashes":
                raise IndexError("list index out of range")
            time.sleep(5)
            raise
    monkeypatch.setattr(fuzz, "decode", bad)
    tallies = fuzz.run(6, seed=0, kinds=("overwrite",), timeout=0.2)
    t = tallies["overwrite"]
    assert len(t.failures) == t.inputs - t.identical > 0
    assert all(problem in f["problem"] and f["seed"] == 0 for f in t.failures)
    assert "FAILURE seed 0 index" in fuzz.report(tallies)


def test_command_line(capsys):
    assert fuzz.main(["--count", "12", "--seed", "3", "--json"]) == 0
    tallies = json.loads(capsys.readouterr().out)
    assert set(tallies) == set(fuzz.KINDS) and sum(t["inputs"] for t in tallies.values()) == 12
    assert fuzz.main(["--count", "6", "--kinds", "cut,random", "--reference"]) == 0
    text = capsys.readouterr().out
    assert "6 inputs, 0 failures" in text and "cut" in text and "forge" not in text
    with pytest.raises(SystemExit) as exit_info:
        fuzz.main(["--kinds", "scramble"])
    assert exit_info.value.code == 2
    assert "unknown kind 'scramble'" in capsys.readouterr().err
