"""The full coder (``ansedu compress``, part V) beside gzip -9, bzip2 -9, xz -9 and PPMd.

    python -m ansedu.bench fullcoder [--sample BYTES] [--order K] [--block-size BYTES]
                                     [--compiled-only] [--json]

Three inputs, each compressed by every coder in the same run, every round trip verified:

- ``canterbury``: the four Canterbury texts (alice29, asyoulik, lcet10, plrabn12) concatenated,
  1,185,883 bytes; the issue's target is at most 2.34 bits/byte, below bzip2 -9 and xz -9;
- ``source``: Python standard-library sources of the running Python (argparse.py, textwrap.py,
  json/decoder.py, json/encoder.py, concatenated), so the figure moves with the Python version;
- ``binary``: the first 256 kB of numpy's compiled core extension module (numpy is pinned).

``--sample N`` takes the first ``N`` bytes of each input. ansedu runs twice: its compiled path
(numba, :mod:`ansedu.fast.fullcoder`; the row ``ansedu (order K)``, compiled once before the
timing) and the pure-Python reference (``ansedu (order K, reference)``, last), which write the
same bytes (checked here too); their speeds in MB/s are summarized under each table, per
second of wall-clock time and per second of the process's CPU time (the JSON has both for
every coder: on a shared, loaded machine the CPU figure is nearer to what one idle core does).
The reference runs at 10 to 40 kB/s, so the full set takes several minutes; ``--compiled-only``
skips it. Without numba the first row is the reference and there is no second.

ansedu's figure is the whole ``.ans`` file (header, block headers and CRCs included); gzip /
bzip2 / xz are Python's ``zlib`` (wbits 31: the gzip format), ``bz2`` and ``lzma`` at their
strongest presets; PPMd is ``pyppmd`` (variant H, order 6, 64 MiB), when installed.
"""

from __future__ import annotations

import bz2
import glob
import io
import os
import sysconfig
import time
import lzma
import zlib

import numpy as np

from ..cli.container import (DEFAULT_BLOCK_SIZE, DEFAULT_ORDER, Header, compress_stream,
                             decompress_stream, use_compiled)
from ..data import TEXTS, load_text
from ._common import emit, environment, markdown_table, progress, section_parser

SOURCES = ["argparse.py", "textwrap.py", "json/decoder.py", "json/encoder.py"]
BINARY_BYTES = 256 * 1024


def inputs(sample: int | None) -> dict[str, bytes]:
    stdlib = sysconfig.get_paths()["stdlib"]
    source = b"".join(open(os.path.join(stdlib, name), "rb").read() for name in SOURCES)
    core = os.path.join(os.path.dirname(np.__file__), "_core")
    (umath,) = glob.glob(os.path.join(core, "_multiarray_umath*.so")) or [None]
    data = {"canterbury": b"".join(load_text(name) for name in TEXTS), "source": source}
    if umath is not None:
        with open(umath, "rb") as f:
            data["binary"] = f.read(BINARY_BYTES)
    return {k: v[:sample] if sample else v for k, v in data.items()}


def _ansedu(order: int, block_size: int, compiled: bool | None = None):
    """ansedu's row: compiled when numba is installed (``compiled=None``), or as asked."""
    header = Header(order=order, block_size=block_size)
    compiled = use_compiled(compiled)

    def compress(data):
        out = io.BytesIO()
        compress_stream(io.BytesIO(data), out, len(data), header, compiled=compiled)
        return out.getvalue()

    def decompress(blob):
        out = io.BytesIO()
        decompress_stream(io.BytesIO(blob), out, compiled=compiled)
        return out.getvalue()

    # the first row is the default path; an extra reference row says so
    reference_row = not compiled and use_compiled(None)
    return f"ansedu (order {order}{', reference' if reference_row else ''})", compress, decompress


def _all_coders(args):
    """:func:`coders`, then ansedu's pure-Python reference (unless ``--compiled-only`` or it
    already ran first because numba is missing)."""
    yield from coders(args)
    if use_compiled(None) and not args.compiled_only:
        yield _ansedu(args.order, args.block_size, compiled=False)


def coders(args):
    yield _ansedu(args.order, args.block_size)
    yield "gzip -9", _gzip, lambda b: zlib.decompress(b, wbits=31)
    yield "bzip2 -9", lambda d: bz2.compress(d, 9), bz2.decompress
    yield "xz -9", lambda d: lzma.compress(d, preset=9), lzma.decompress
    # zstd and brotli are pinned in requirements.lock (the bench extra); elsewhere they are optional
    try:
        import zstandard
    except ImportError:
        pass
    else:
        yield ("zstd -19", lambda d: zstandard.ZstdCompressor(level=19).compress(d),
               lambda b: zstandard.ZstdDecompressor().decompress(b))
    try:
        import brotli
    except ImportError:
        pass
    else:
        yield "brotli -q 11", lambda d: brotli.compress(d, quality=11, lgwin=24), brotli.decompress
    try:
        import pyppmd
    except ImportError:
        return
    # PPMd variant H (7-Zip's), order 6, 64 MiB. pyppmd's one-call compress/decompress (variant I)
    # did not round-trip a binary input here, so the encoder / decoder objects are used, the
    # decoder given the length as 7-Zip's container does.
    def ppmd_compress(data):
        encoder = pyppmd.Ppmd7Encoder(6, 64 << 20)
        return encoder.encode(data) + encoder.flush(endmark=False)

    def ppmd_decompress(blob, length):
        return pyppmd.Ppmd7Decoder(6, 64 << 20).decode(blob, length)

    yield "PPMd var. H (pyppmd, order 6)", ppmd_compress, ppmd_decompress


def _gzip(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def measure(args) -> dict:
    args.compiled_only = getattr(args, "compiled_only", False)
    compiled = use_compiled(None)
    results = {"section": "fullcoder", "environment": environment(), "sample": args.sample,
               "order": args.order, "block_size": args.block_size, "compiled": compiled,
               "inputs": {}}
    if compiled:  # compile (or load from numba's cache) before anything is timed
        _, warm_c, warm_d = _ansedu(args.order, args.block_size, compiled=True)
        warm_d(warm_c(b"warm up the kernels " * 8))
    for name, data in inputs(args.sample).items():
        rows = []
        for coder, compress, decompress in _all_coders(args):
            progress(f"{name}: {coder} on {len(data)} bytes ...")
            start, cpu = time.perf_counter(), time.process_time()
            blob = compress(data)
            t_c, cpu_c = time.perf_counter() - start, time.process_time() - cpu
            start, cpu = time.perf_counter(), time.process_time()
            back = decompress(blob, len(data)) if coder.startswith("PPMd") else decompress(blob)
            t_d, cpu_d = time.perf_counter() - start, time.process_time() - cpu
            if back != data:
                raise AssertionError(f"{coder} did not round-trip {name}")
            rows.append({"coder": coder, "bytes": len(blob), "bits_per_byte": 8 * len(blob) / len(data),
                         "compress_kB_s": len(data) / t_c / 1e3, "decompress_kB_s": len(data) / t_d / 1e3,
                         # per second of this process's CPU time: on a shared machine, nearer to what
                         # one idle core does than the wall-clock figures above
                         "compress_cpu_kB_s": len(data) / max(cpu_c, 1e-9) / 1e3,
                         "decompress_cpu_kB_s": len(data) / max(cpu_d, 1e-9) / 1e3})
            progress(f"  {rows[-1]}")
        ours = [r for r in rows if r["coder"].startswith("ansedu")]
        if len({r["bytes"] for r in ours}) > 1:
            raise AssertionError(f"the compiled and the reference coder wrote different sizes on {name}")
        speed = {("reference" if r["coder"].endswith("reference)") or not compiled else "compiled"):
                 {"compress_MB_s": r["compress_kB_s"] / 1e3, "decompress_MB_s": r["decompress_kB_s"] / 1e3,
                  "compress_cpu_MB_s": r["compress_cpu_kB_s"] / 1e3,
                  "decompress_cpu_MB_s": r["decompress_cpu_kB_s"] / 1e3}
                 for r in ours}
        results["inputs"][name] = {"bytes": len(data), "rows": rows, "ansedu_speed": speed}
    return results


def table(results: dict) -> str:
    parts = []
    for name, entry in results["inputs"].items():
        rows = [(r["coder"], r["bytes"], f"{r['bits_per_byte']:.3f}", f"{r['compress_kB_s']:.1f}",
                 f"{r['decompress_kB_s']:.1f}") for r in entry["rows"]]
        speed = "; ".join(f"{path} {v['compress_MB_s']:.3f} MB/s compressing, "
                          f"{v['decompress_MB_s']:.3f} MB/s decompressing (per CPU second: "
                          f"{v['compress_cpu_MB_s']:.3f} and {v['decompress_cpu_MB_s']:.3f})"
                          for path, v in entry.get("ansedu_speed", {}).items())
        parts.append(f"{name} ({entry['bytes']} bytes)\n\n"
                     + markdown_table(["coder", "compressed bytes", "bits/byte", "compress kB/s",
                                       "decompress kB/s"], rows)
                     + (f"\n\nansedu: {speed}" if speed else ""))
    return "\n\n".join(parts)


def main(argv=None) -> int:
    parser = section_parser("fullcoder", __doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=None, metavar="BYTES",
                        help="use only the first BYTES bytes of each input (default: all)")
    parser.add_argument("--order", type=int, default=DEFAULT_ORDER, help="the context model's order")
    parser.add_argument("--block-size", type=int, default=DEFAULT_BLOCK_SIZE,
                        help="bytes per independently coded block (default 1 MiB)")
    parser.add_argument("--compiled-only", action="store_true",
                        help="skip ansedu's pure-Python reference (10 to 40 kB/s) and time only the "
                             "compiled path (numba)")
    parser.add_argument("--ablation", action="store_true",
                        help="instead, measure what each part of the model gains, the block size and "
                             "exact repeats (chapter 16; python -m ansedu.bench._ablation --help)")
    args = parser.parse_args(argv)
    if args.ablation:
        from . import _ablation
        return _ablation.main(["--json"] if args.json else [])
    results = measure(args)
    emit(results, args.json, table(results))
    return 0
