"""The ``range`` part of the ``models`` benchmark runs on a small message, verifies all three
round trips, and prints the same figures as a table and as JSON-ready results.

(Speed itself is measured by running the benchmark, not asserted in tests.)"""

import json

import pytest

from ansedu.bench import _range
from ansedu.bench._common import section_parser


def run(argv):
    parser = section_parser("models", "test")
    _range.add_arguments(parser)
    return _range.measure(parser.parse_args(argv))


def test_range_part_runs_on_a_small_message():
    results = run(["--symbols", "3000", "--range-alphabet", "16", "--repeat", "1"])
    assert [row["name"] for row in results["coders"]] == list(_range.NAMES)
    for row in results["coders"]:
        # 3000 symbols cost at least their information content (up to the float model's
        # quantization) and at most a few words more.
        assert -0.1 < row["overhead_percent"] < 5
        assert row["bits"] - results["information_bits"] < 0.01 * results["information_bits"] + 128
        assert row["encode_ns_per_symbol"] > 0 and row["decode_ns_per_symbol"] > 0
    assert [r["symbols"] for r in results["by_length"]] == [100, 1000, 3000]
    text = _range.table(results)
    assert "constriction RangeEncoder" in text and "round trips verified for all three" in text
    assert json.loads(json.dumps(results)) == results


def test_range_part_refuses_bad_arguments():
    with pytest.raises(ValueError, match="range-alphabet"):
        run(["--symbols", "10", "--range-alphabet", "1"])


def test_a_failed_round_trip_is_reported(monkeypatch):
    # If a coder returned a wrong message, measure must raise rather than print figures.
    def wrong_ans(message, model, repeat):
        words, decoded, t_enc, t_dec = real_ans(message, model, repeat)
        return words, decoded[::-1] + 1, t_enc, t_dec

    real_ans = _range.run_ansedu
    monkeypatch.setattr(_range, "run_ansedu", wrong_ans)
    with pytest.raises(RuntimeError, match="ansedu.AnsCoder .* round trip FAILED"):
        run(["--symbols", "50", "--repeat", "1"])
