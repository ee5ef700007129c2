"""The benchmark command runs, verifies both round trips and prints its tables.

(Speed itself is measured by running the benchmark, not asserted in tests.)"""

from ansedu import bench


def test_benchmark_runs_on_a_small_message(capsys):
    assert bench.main(["--symbols", "3000", "--alphabet", "16", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "ansedu.AnsCoder" in out and "constriction AnsCoder" in out
    assert "round trips verified for both" in out
    assert out.count("|      3,000 |") == 1  # the linearity table reached the full length


def test_benchmark_rejects_bad_arguments(capsys):
    import pytest
    with pytest.raises(SystemExit):
        bench.main(["--symbols", "0"])
    assert "--symbols" in capsys.readouterr().err
