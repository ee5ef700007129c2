"""The benchmark command runs, verifies both round trips and prints its tables or JSON.

(Speed itself is measured by running the benchmark, not asserted in tests.)"""

import json
import re

import pytest

from ansedu import bench


def test_core_section_runs_on_a_small_message(capsys):
    assert bench.main(["core", "--symbols", "3000", "--alphabet", "16", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "ansedu.AnsCoder" in out and "constriction AnsCoder" in out
    assert "round trips verified for both" in out
    assert len(re.findall(r"^\| 3,000 +\|", out, re.M)) == 1  # the linearity table reached the full length


def test_core_section_json_has_the_same_figures(capsys):
    assert bench.main(["core", "--symbols", "2000", "--alphabet", "8", "--repeat", "1", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    names = [row["name"] for row in results["coders"]]
    assert names == ["ansedu.AnsCoder (pure Python)", "constriction AnsCoder (Rust)"]
    for row in results["coders"]:
        # 2000 symbols of a non-trivial model cost more than nothing, and at most a few words more
        # than their information content.
        assert 0 <= row["bits"] - results["information_bits"] < 0.05 * results["information_bits"] + 128
        assert row["encode_ns_per_symbol"] > 0 and row["decode_ns_per_symbol"] > 0
    assert [r["symbols"] for r in results["linearity"]] == [2000]


def test_sections_are_listed_and_unknown_ones_refused(capsys):
    assert bench.main([]) == 0
    assert "core" in capsys.readouterr().out
    assert bench.main(["nonsense"]) == 2
    assert "unknown section 'nonsense'" in capsys.readouterr().err


def test_benchmark_rejects_bad_arguments(capsys):
    with pytest.raises(SystemExit):
        bench.main(["core", "--symbols", "0"])
    assert "--symbols" in capsys.readouterr().err
