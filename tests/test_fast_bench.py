"""The `fast` benchmark section runs at a small size and its JSON has the figures."""

import json
import subprocess
import sys

import numpy as np

from ansedu import Categorical, QuantizedGaussian, RangeEncoder
from ansedu.bench import fast


def test_fast_section_runs_small(tmp_path):
    plot = tmp_path / "fast.png"
    out = subprocess.run([sys.executable, "-m", "ansedu.bench", "fast", "--min-exp", "3", "--max-exp", "3",
                          "--repeat", "1", "--min-lanes", "1", "--python-max", "1000",
                          "--plot", str(plot), "--json"],
                         capture_output=True, text=True, check=True, timeout=300)
    results = json.loads(out.stdout)
    coders = {(r["model"], r["coder"]) for r in results["rows"]}
    for name in ("ansedu AnsCoder (pure Python)", "ansedu CompiledAnsCoder (numba)",
                 "ansedu InterleavedAnsCoder (numpy)", "ansedu TansCoder (8/8/16 tables)", "constriction AnsCoder", "constriction RangeEncoder",
                 "Huffman (ansedu.HuffmanCode)", "zlib (raw bytes)", "bz2 (raw bytes)", "lzma (raw bytes)"):
        assert ("categorical", name) in coders
    assert ("gaussian", "ansedu CompiledAnsCoder (numba)") in coders
    # the compiled range coder's row, for both models, with the pure range coder's bits
    for kind in ("categorical", "gaussian"):
        row = [r for r in results["rows"] if (r["model"], r["coder"]) == (kind, "ansedu CompiledRangeEncoder (numba)")]
        assert len(row) == 1 and row[0]["encode_ratio"] > 0 and row[0]["decode_ratio"] > 0
        x, margs = fast._message(kind, 1000, np.random.default_rng(0 + 1000))  # the bench's message (--seed 0)
        pure = RangeEncoder()
        if kind == "categorical":
            pure.encode(x, Categorical(margs[0]))
        else:
            pure.encode(x, QuantizedGaussian(fast.LO, fast.HI), *margs)
        assert row[0]["bits"] == pure.num_bits()
    rows = {(r["model"], r["coder"]): r for r in results["rows"]}
    python = rows[("categorical", "ansedu AnsCoder (pure Python)")]
    compiled = rows[("categorical", "ansedu CompiledAnsCoder (numba)")]
    assert compiled["bits"] == python["bits"]  # the same words
    assert rows[("categorical", "constriction AnsCoder")]["encode_ratio"] == 1.0
    for r in results["rows"]:
        assert r["symbols"] == 1000 and r["encode_ns_per_symbol"] > 0 and r["decode_ns_per_symbol"] > 0
        assert r["bits"] > 0.99 * r["information_bits"]  # nothing beats the information content by much
    assert plot.stat().st_size > 1000
