"""What each part of the full coder's model gains (chapter 16): an ablation, the block size, repeats.

    python -m ansedu.bench._ablation [--bytes N] [--skip-blocks] [--json]

**Ablation.** The model of ``ansedu compress`` (:class:`~ansedu.ContextModel`, order 5) with one
component changed at a time, measured as the information content of a text under the model
(``sum -log2 p`` of its bits, per byte: what the ANS coder spends, less its final words):

- ``equal weights``: every order votes with weight 1 instead of ``(j + 1)^2``;
- ``no deterministic bonus``: a node that has only seen one bit value is not weighed double;
- ``stationary counts``: the counts only grow (both halved when one reaches 255), instead of
  halving the other count at each bit;
- ``longest order only``: no blend, the longest order whose node has been seen predicts alone
  (PPM's escape without its mixture);
- ``small tables``: ``2^16`` nodes per order instead of ``2^22`` (more hash collisions);
- ``order k``: the orders 0 .. 6;
- ``+ match model``: the other way round, one component *added*: :class:`~ansedu.models.MatchModel`,
  the model of ``ansedu compress`` since container format version 3.

The inputs are alice29 and the standard-library sources of the ``fullcoder`` section (the first
``--bytes`` of each); the pure-Python model runs at some tens of kB/s, so the ablation takes minutes.

**Block size.** The first ``--block-bytes`` (256 KiB) of the concatenated Canterbury texts
compressed into real ``.ans`` files with blocks of 4 KiB up to the whole input: each block starts
with an empty model. (The 1 MiB default on all 1.2 MB is in the ``fullcoder`` section's table.)

**Repeats.** A block of bytes followed by an exact copy of itself: what the copy costs ansedu (its
model with the match model, and the context model alone) and the LZ77 coders (gzip, xz), which
code it as one reference to the first occurrence.
"""

from __future__ import annotations

import bz2
import io
import lzma
import sys
import zlib

import numpy as np

from ..cli.container import DEFAULT_ORDER, Header, compress_stream
from ..data import TEXTS, load_text
from ..models.adaptive import information_content
from ..models.context import _LIMIT, ContextModel
from ..models.match import MatchModel
from ._common import emit, environment, markdown_table, progress, section_parser

__all__ = ["VARIANTS", "model_bits", "ablation", "block_sizes", "repeats", "main"]

BLOCK_SIZES = [1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20]


class _EqualWeights(ContextModel):
    def __init__(self, order, **kw):
        super().__init__(order, **kw)
        self._weights = [1] * (self.order + 1)
        self._start_byte()


class _Blend(ContextModel):
    """The blend of :meth:`ContextModel._blend` with the deterministic bonus and/or the blend
    itself switched off (``bonus``, ``longest_only``)."""

    bonus = True
    longest_only = False

    def _blend(self):
        c0, counts = self._c0, self._counts
        s1 = s = 0
        idx = []
        for i, w, spread in zip(self._bases, self._weights, self._spreads):
            i ^= spread[c0]
            idx.append(i)
            n0, n1 = counts[i], counts[i + 1]
            if n0 or n1:
                if self.bonus and not (n0 and n1):
                    w += w
                if self.longest_only:  # orders run upwards: the last seen one wins
                    s1, s = w * (10 * n1 + 3), w * (10 * (n0 + n1) + 6)
                else:
                    s1 += w * (10 * n1 + 3)
                    s += w * (10 * (n0 + n1) + 6)
        self._idx = idx
        return s1, s


class _NoBonus(_Blend):
    bonus = False


class _LongestOnly(_Blend):
    longest_only = True


class _Stationary(ContextModel):
    def update(self, bit):
        counts = self._counts
        for i in self._idx:
            j = i + 1 if bit else i
            if counts[j] >= _LIMIT:  # keep the counts bytes: halve both, keep their ratio
                counts[i], counts[i + 1] = (counts[i] + 1) >> 1, (counts[i + 1] + 1) >> 1
            counts[j] += 1
        c0 = (self._c0 << 1) | (1 if bit else 0)
        if c0 >= 256:
            self._history = ((self._history << 8) | (c0 & 0xFF)) & ((1 << 64) - 1)
            self._c0 = 1
            self._start_byte()
        else:
            self._c0 = c0
            self._nodes()


#: name -> a function of nothing giving a fresh model
VARIANTS = {
    f"full model (order {DEFAULT_ORDER})": lambda: ContextModel(DEFAULT_ORDER),
    "equal weights": lambda: _EqualWeights(DEFAULT_ORDER),
    "no deterministic bonus": lambda: _NoBonus(DEFAULT_ORDER),
    "stationary counts": lambda: _Stationary(DEFAULT_ORDER),
    "longest order only": lambda: _LongestOnly(DEFAULT_ORDER),
    "small tables (2^16)": lambda: ContextModel(DEFAULT_ORDER, table_bits=16),
    **{f"order {k}": (lambda k=k: ContextModel(k)) for k in range(7) if k != DEFAULT_ORDER},
    "+ match model": lambda: MatchModel(DEFAULT_ORDER),
}


def model_bits(model: ContextModel, data: bytes) -> float:
    """The information content in bits of ``data`` under ``model`` (which learns as it goes)."""
    return information_content(model, data)


def ablation(inputs: dict[str, bytes], variants=None) -> dict:
    """bits/byte of every variant on every input: ``{variant: {input: bits/byte}}``."""
    variants = VARIANTS if variants is None else variants
    out = {}
    for name, make in variants.items():
        out[name] = {}
        for label, data in inputs.items():
            progress(f"ablation: {name} on {label} ({len(data)} bytes) ...")
            out[name][label] = model_bits(make(), data) / len(data)
    return out


def ans_file_size(data: bytes, block_size: int, order: int = DEFAULT_ORDER) -> int:
    """The size of the ``.ans`` file ``ansedu compress`` writes for ``data``."""
    out = io.BytesIO()
    compress_stream(io.BytesIO(data), out, len(data), Header(order=order, block_size=block_size))
    return len(out.getvalue())


def block_sizes(data: bytes, sizes=BLOCK_SIZES) -> list[dict]:
    rows = []
    for size in sizes:
        progress(f"block size {size} on {len(data)} bytes ...")
        n = ans_file_size(data, size)
        rows.append({"block_size": size, "bytes": n, "bits_per_byte": 8 * n / len(data)})
    return rows


def repeats(first: dict[str, bytes]) -> list[dict]:
    """For each ``label -> x``: the bits per byte of the second copy in ``x + x`` (the cost of
    ``x + x`` less the cost of ``x``) for ansedu's model (with the match model, and without it:
    the context model alone, container versions 1 and 2) and gzip / bzip2 / xz -9."""
    sizes = {
        "ansedu": lambda d: model_bits(MatchModel(DEFAULT_ORDER), d) / 8,
        "ansedu, no match model": lambda d: model_bits(ContextModel(DEFAULT_ORDER), d) / 8,
        "gzip -9": lambda d: len(zlib.compress(d, 9)),
        "bzip2 -9": lambda d: len(bz2.compress(d, 9)),
        "xz -9": lambda d: len(lzma.compress(d, preset=9)),
    }
    rows = []
    for label, x in first.items():
        progress(f"repeats: {label} ({len(x)} bytes, twice) ...")
        row = {"input": label, "bytes": len(x)}
        for coder, size in sizes.items():
            once, twice = size(x), size(x + x)
            row[coder] = {"first_bits_per_byte": 8 * once / len(x),
                          "copy_bits_per_byte": 8 * (twice - once) / len(x)}
        rows.append(row)
    return rows


def inputs(n: int | None) -> dict[str, bytes]:
    from .fullcoder import inputs as fullcoder_inputs
    source = fullcoder_inputs(None)["source"]
    data = {"alice29": load_text("alice29"), "source": source}
    return {k: v[:n] if n else v for k, v in data.items()}


def measure(args) -> dict:
    results = {"section": "fullcoder-ablation", "environment": environment(), "order": DEFAULT_ORDER}
    data = inputs(args.bytes)
    results["inputs"] = {k: len(v) for k, v in data.items()}
    results["ablation"] = ablation(data)
    rng = np.random.default_rng(16)
    n = args.repeat_bytes
    results["repeats"] = repeats({"text (alice29)": load_text("alice29")[:n],
                                  "random bytes": rng.integers(0, 256, n, dtype=np.uint8).tobytes()})
    if not args.skip_blocks:
        canterbury = b"".join(load_text(name) for name in TEXTS)[:args.block_bytes]
        sizes = [b for b in BLOCK_SIZES if b < len(canterbury)] + [len(canterbury)]
        results["block_sizes"] = {"bytes": len(canterbury), "rows": block_sizes(canterbury, sizes)}
    return results


def table(results: dict) -> str:
    labels = list(results["inputs"])
    ab = results["ablation"]
    base = ab[next(iter(ab))]
    rows = [(name, *(f"{v[k]:.3f} ({v[k] - base[k]:+.3f})" for k in labels)) for name, v in ab.items()]
    parts = ["ablation (bits/byte, change from the full model)\n\n"
             + markdown_table(["model"] + labels, rows)]
    coders = [c for c in results["repeats"][0] if c not in ("input", "bytes")] if results["repeats"] else []
    rows = [(r["input"], r["bytes"], *(f"{r[c]['copy_bits_per_byte']:.3f}" for c in coders))
            for r in results["repeats"]]
    parts.append("repeats: bits per byte of an exact copy\n\n"
                 + markdown_table(["input", "bytes", *coders], rows))
    if "block_sizes" in results:
        rows = [(r["block_size"], r["bytes"], f"{r['bits_per_byte']:.3f}") for r in results["block_sizes"]["rows"]]
        parts.append(f"block size (Canterbury, {results['block_sizes']['bytes']} bytes)\n\n"
                     + markdown_table(["block size", ".ans bytes", "bits/byte"], rows))
    return "\n\n".join(parts)


def main(argv=None) -> int:
    parser = section_parser("_ablation", __doc__.split("\n\n")[0])
    parser.add_argument("--bytes", type=int, default=None, metavar="N",
                        help="use only the first N bytes of each input (default: all)")
    parser.add_argument("--repeat-bytes", type=int, default=16384, metavar="N",
                        help="length of the block that is repeated (default 16384)")
    parser.add_argument("--block-bytes", type=int, default=1 << 18, metavar="N",
                        help="the block sizes are measured on the first N bytes of the Canterbury "
                             "texts, with blocks of 4 KiB up to N (default 262144)")
    parser.add_argument("--skip-blocks", action="store_true", help="leave out the block-size measurement")
    args = parser.parse_args(argv)
    if args.bytes is not None and args.bytes < 1:
        parser.error(f"--bytes must be positive, got {args.bytes}")
    if args.block_bytes < 1:
        parser.error(f"--block-bytes must be positive, got {args.block_bytes}")
    if args.repeat_bytes < 1:
        parser.error(f"--repeat-bytes must be positive, got {args.repeat_bytes}")
    results = measure(args)
    emit(results, args.json, table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
