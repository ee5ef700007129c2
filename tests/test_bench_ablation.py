"""The ablation of chapter 16 measures what it says: each variant changes exactly its component,
the information content is what the coder spends, and the claims of the chapter hold on small inputs."""

import json
import lzma

import numpy as np
import pytest

from ansedu import AnsCoder, ContextModel, encode_adaptive, load_text
from ansedu.bench import _ablation
from ansedu.cli.container import BLOCK_HEADER_SIZE, HEADER_SIZE

TEXT = load_text("alice29")[:4000]


def test_model_bits_is_what_the_coder_spends():
    bits = _ablation.model_bits(ContextModel(3), TEXT)
    coder = AnsCoder()
    encode_adaptive(coder, TEXT, ContextModel(3))
    assert bits <= coder.num_bits() <= bits + 64 + 32
    # and the .ans file adds only its headers (one block, coded)
    size = _ablation.ans_file_size(TEXT, 1 << 20, order=3)
    assert size == HEADER_SIZE + BLOCK_HEADER_SIZE + coder.num_bits() // 8
    assert _ablation.model_bits(ContextModel(3), b"") == 0.0


@pytest.mark.parametrize("variant", [_ablation._EqualWeights, _ablation._LongestOnly, _ablation._NoBonus])
def test_blend_variants_agree_with_the_model_where_their_change_does_nothing(variant):
    # order 0 has one vote: equal weights and "longest only" change nothing; the bonus doubles
    # the only weight, which cancels in the ratio
    data = TEXT[:1500]
    assert _ablation.model_bits(variant(0), data) == _ablation.model_bits(ContextModel(0), data)


def test_each_variant_changes_the_prediction_at_order_5():
    data = TEXT[:1500]
    full = _ablation.model_bits(ContextModel(5), data)
    for make in (lambda: _ablation._EqualWeights(5), lambda: _ablation._NoBonus(5),
                 lambda: _ablation._LongestOnly(5), lambda: _ablation._Stationary(5)):
        assert _ablation.model_bits(make(), data) != full


def test_stationary_counts_are_not_halved():
    # order 0, the first decision (c0 = 1) of bytes 0x80 (bit 1) four times, then 0x00 (bit 0)
    adaptive, stationary = ContextModel(0), _ablation._Stationary(0)
    for model in (adaptive, stationary):
        _ablation.model_bits(model, b"\x80" * 4 + b"\x00")
    assert tuple(adaptive.counts[0, 1]) == (1, 3)  # n1 = 4 halved to 3 by the 0
    assert tuple(stationary.counts[0, 1]) == (1, 4)


def test_stationary_counts_stay_bytes():
    model = _ablation._Stationary(0)
    _ablation.model_bits(model, b"\xff" * 600)
    n0, n1 = model.counts[0, 1]
    assert n0 == 0 and 128 <= n1 <= 255


def test_ablation_keys_and_the_full_model_beats_order_0():
    results = _ablation.ablation({"t": TEXT[:2000] * 2}, {k: _ablation.VARIANTS[k] for k in
                                                          ("full model (order 5)", "order 0", "+ match model")})
    assert results["full model (order 5)"]["t"] < results["order 0"]["t"] - 0.5
    assert results["+ match model"]["t"] < results["full model (order 5)"]["t"] - 0.2  # the copy


def test_repeats_xz_and_the_match_model_code_an_exact_copy_almost_for_free_the_context_model_does_not():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, 3000, dtype=np.uint8).tobytes()
    (row,) = _ablation.repeats({"random": x})
    assert row["xz -9"]["copy_bits_per_byte"] < 0.5 < 1.5 < row["ansedu, no match model"]["copy_bits_per_byte"]
    assert row["ansedu"]["copy_bits_per_byte"] < 0.5
    assert row["xz -9"]["first_bits_per_byte"] == 8 * len(lzma.compress(x, preset=9)) / 3000
    # random bytes: ansedu's model cannot predict the first copy, with or without the match model
    assert row["ansedu"]["first_bits_per_byte"] > 7.9 and row["ansedu, no match model"]["first_bits_per_byte"] > 7.9


def test_smaller_blocks_cost_more():
    text = load_text("alice29")[:12000]
    rows = _ablation.block_sizes(text, [4096, 16384])
    assert [r["block_size"] for r in rows] == [4096, 16384]
    assert rows[0]["bits_per_byte"] > rows[1]["bits_per_byte"] + 0.1
    assert rows[1]["bytes"] == _ablation.ans_file_size(text, 16384)


def test_main_json_on_a_tiny_input(capsys):
    assert _ablation.main(["--bytes", "600", "--repeat-bytes", "300", "--skip-blocks", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert results["inputs"] == {"alice29": 600, "source": 600}
    assert list(results["ablation"]) == list(_ablation.VARIANTS)
    assert "block_sizes" not in results
    assert [r["input"] for r in results["repeats"]] == ["text (alice29)", "random bytes"]
    assert "ablation" in _ablation.table(results)


def test_main_rejects_a_bad_size():
    with pytest.raises(SystemExit):
        _ablation.main(["--bytes", "0"])


def test_fullcoder_section_runs_the_ablation_on_request(monkeypatch):
    from ansedu.bench import _ablation, fullcoder
    seen = []
    monkeypatch.setattr(_ablation, "main", lambda argv=None: seen.append(argv) or 0)
    assert fullcoder.main(["--ablation", "--json"]) == 0 and fullcoder.main(["--ablation"]) == 0
    assert seen == [["--json"], []]
