"""The fullcoder benchmark section runs on a small sample, verifies its round trips, and reports
what the coders really produce (speed is measured by running the benchmark, not asserted here)."""

import bz2
import io
import json
import lzma

from ansedu.bench import SECTIONS, fullcoder
from ansedu.cli.container import BLOCK_HEADER_SIZE, HEADER_SIZE, Header, compress_stream


def test_fullcoder_json_on_a_small_sample(capsys):
    assert "fullcoder" in SECTIONS
    assert fullcoder.main(["--sample", "1500", "--order", "2", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert results["section"] == "fullcoder" and results["order"] == 2
    data = fullcoder.inputs(1500)
    assert set(results["inputs"]) == set(data) >= {"canterbury", "source"}
    for name, entry in results["inputs"].items():
        assert entry["bytes"] == 1500
        rows = {r["coder"]: r for r in entry["rows"]}
        assert list(rows)[:4] == ["ansedu (order 2)", "gzip -9", "bzip2 -9", "xz -9"]
        assert rows["bzip2 -9"]["bytes"] == len(bz2.compress(data[name], 9))
        assert rows["xz -9"]["bytes"] == len(lzma.compress(data[name], preset=9))
        out = io.BytesIO()
        compress_stream(io.BytesIO(data[name]), out, 1500, Header(order=2))
        ours = rows["ansedu (order 2)"]
        assert ours["bytes"] == len(out.getvalue()) > HEADER_SIZE + BLOCK_HEADER_SIZE
        assert abs(ours["bits_per_byte"] - 8 * ours["bytes"] / 1500) < 1e-12
    text = fullcoder.table(results)
    assert "canterbury (1500 bytes)" in text and "bits/byte" in text
