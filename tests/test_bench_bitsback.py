"""The bitsback benchmark section codes the test digits, verifies the round trip and reports rates."""

import json

from ansedu import bench


def test_bitsback_section_reports_rates_and_baselines(capsys):
    assert bench.main(["bitsback", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    (mixture,) = results["models"]
    pixels = results["pixels"]
    assert pixels == 359 * 64
    # The mixture with its exact posterior lands on -log2 p(x) (the target: within 0.5 %).
    assert abs(mixture["net_bits"] - mixture["bound_bits"]) <= 0.005 * mixture["bound_bits"]
    assert mixture["initial_bits"] > 0 and mixture["file_bits"] >= mixture["net_bits"]
    assert set(results["baselines_bits"]) == {"gzip -9", "bzip2 -9", "xz -9", "PNG (1-bit, optimize)",
                                              "WebP lossless"}
    # ... and is at least 30 % below every baseline on the same images.
    assert all(mixture["net_bits"] <= 0.7 * bits for bits in results["baselines_bits"].values())
