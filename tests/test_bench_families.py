"""The ``families`` part of the ``models`` benchmark runs, verifies both round trips and reports its
figures as a table and as JSON. (Speed itself is measured by running the benchmark, not asserted.)"""

import json

import pytest

from ansedu import bench
from ansedu.bench import _families, models
from ansedu.bench._common import section_parser


def run_part(argv):
    parser = section_parser("models", "test")
    _families.add_arguments(parser)
    _families.add_arguments(parser)  # a second part adding the shared options is no conflict
    return _families.measure(parser.parse_args(argv))


def test_the_part_measures_both_coders_on_a_small_message():
    results = run_part(["--symbols", "3000", "--repeat", "1", "--seed", "4"])
    json.dumps(results)  # everything is JSON
    assert results["round_trips_verified"] and results["symbols"] == 3000
    names = [row["name"] for row in results["coders"]]
    assert names[0].startswith("ansedu.AnsCoder") and names[1].startswith("constriction")
    info, exact = results["quantized_information_bits"], results["exact_information_bits"]
    # The quantized model costs a little more than the exact Gaussians, never less by more than
    # rounding, and not much more (leak and 1.5e-7 CDF error: well under 1 %).
    assert exact - 1 < info < 1.01 * exact
    for row in results["coders"]:
        # 3000 symbols: at least their information content (less one bit of rounding), at most a
        # few words more.
        assert info - 1 <= row["bits"] <= info + 4 * 32
        assert row["overhead_percent"] == pytest.approx(100 * (row["bits"] / info - 1))
        assert row["encode_ns_per_symbol"] > 0 and row["decode_ns_per_symbol"] > 0
    assert results["model_intervals_ns_per_symbol"] > 0
    assert results["fixed_categorical_encode_ns_per_symbol"] > 0 and results["family_over_fixed_decode"] > 0
    text = _families.table(results)
    assert "Round trips verified for both" in text and "3,000 symbols" in text
    assert "percentage points" in text and "one fixed Categorical" in text


def test_the_models_section_prints_the_part_as_json(capsys, monkeypatch):
    # Only this part: the other parts of the section are written elsewhere.
    monkeypatch.setattr(models, "PARTS", [("families", "ansedu.bench._families")])
    assert bench.main(["models", "--only", "families", "--symbols", "500", "--repeat", "1", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert results["section"] == "models"
    assert [row["name"].split()[0] for row in results["families"]["coders"]] == ["ansedu.AnsCoder", "constriction"]


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="--symbols"):
        run_part(["--symbols", "0"])
