"""Part ``text`` of the ``models`` benchmark: adaptive models on real text beside gzip, bzip2 and xz.

    python -m ansedu.bench models --only text [--text-orders 0,1,2,3,4] [--text-bytes N] [--json]
    python -m ansedu.bench._text [same options]          (this part alone)

For each of the four Canterbury texts shipped in :mod:`ansedu.data`, every model codes the text
with :class:`~ansedu.AnsCoder` (precision 24, 32-bit words) through
:func:`~ansedu.encode_adaptive` and :func:`~ansedu.decode_adaptive`: the adaptive categorical
model (order 0, a 256-symbol Fenwick model) and the order-k :class:`~ansedu.ContextModel` for
each ``--text-orders``. The size is the coder's actual output (its words, head included);
every round trip is verified (the decoded text and the decoder's final model equal the
encoder's). Beside them: ``gzip -9``, ``bz2 -9`` and ``lzma -9`` (xz) from Python's standard
library on the same bytes in the same run, round trips verified too. Times are seconds for one
pass (the models are pure Python: tens of microseconds per byte, per direction). With
``--text-curves`` the results also hold each model's cost per block of 4096 bytes (the learning
curves of chapter 10, from a second, untimed forward pass).

Chapter 10 reads its figures from two JSON files, made by

    python -m ansedu.bench._text --texts alice29 --text-orders 0,1,2,3,4,5 --text-curves --json > book/ch10_alice29.json
    python -m ansedu.bench._text --texts asyoulik,lcet10,plrabn12 --text-orders 2,4,5 --json > book/ch10_others.json
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import time

import numpy as np

from .. import AdaptiveCategorical, AnsCoder, ContextModel, decode_adaptive, encode_adaptive
from ..data import TEXTS, load_text
from ..models.adaptive import forward_intervals
from ._common import emit, environment, markdown_table, progress, section_parser

BLOCK = 4096  # bytes per point of the learning curve
PRECISION = 24

BASELINES = {
    "gzip -9": (lambda d: gzip.compress(d, compresslevel=9, mtime=0), gzip.decompress),
    "bzip2 -9": (lambda d: bz2.compress(d, compresslevel=9), bz2.decompress),
    "xz -9": (lambda d: lzma.compress(d, preset=9), lzma.decompress),
}


def _orders(text: str) -> list[int]:
    import argparse

    try:
        orders = sorted({int(v) for v in text.split(",") if v.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"orders must be integers separated by commas, got {text!r}") from None
    if not orders or orders[0] < 0 or orders[-1] > 8:
        raise argparse.ArgumentTypeError(f"orders must be from 0 to 8, got {text!r}")
    return orders


def _nonnegative(text: str) -> int:
    import argparse

    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _texts(text: str) -> list[str]:
    import argparse

    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in names if t not in TEXTS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"unknown text {unknown[0] if unknown else text!r}; "
                                         f"the texts are {', '.join(TEXTS)}")
    return names


def add_arguments(parser) -> None:
    group = parser.add_argument_group("text (adaptive models on the Canterbury texts)")
    group.add_argument("--text-orders", type=_orders, default=[0, 1, 2, 3, 4],
                       help="orders of the context model, comma-separated (default 0,1,2,3,4)")
    group.add_argument("--text-bytes", type=_nonnegative, default=0,
                       help="use only the first N bytes of each text (default 0: the whole text)")
    group.add_argument("--texts", type=_texts, default=list(TEXTS),
                       help=f"comma-separated texts (default {','.join(TEXTS)})")
    group.add_argument("--text-curves", action="store_true",
                       help="also record bits per byte of every block of 4096 bytes (learning curves)")


def models(orders):
    """(name, factory) of the adaptive models measured, in the order of the table."""
    out = [("adaptive categorical (order 0)",
            lambda: AdaptiveCategorical(256, precision=PRECISION, increment=32, max_total=1 << 16))]
    for k in orders:
        out.append((f"context order {k}", lambda k=k: ContextModel(k, precision=PRECISION)))
    return out


def block_bits(masses, units_per_byte: int, n: int) -> list[float]:
    """Bits per byte of each block of ``BLOCK`` bytes, from the masses the coder was given."""
    cost = PRECISION - np.log2(np.asarray(masses, dtype=float))
    per_byte = cost.reshape(n, units_per_byte).sum(axis=1)
    return [round(float(per_byte[i:i + BLOCK].mean()), 4) for i in range(0, n, BLOCK)]


def measure_model(name, factory, data: bytes, curves: bool = False) -> dict:
    coder = AnsCoder(precision=PRECISION)
    model = factory()
    start, cpu = time.perf_counter(), time.process_time()
    encode_adaptive(coder, data, model)
    t_encode, c_encode = time.perf_counter() - start, time.process_time() - cpu
    words = coder.get_compressed()
    decoder = AnsCoder(words, precision=PRECISION)
    decoded_model = factory()
    start, cpu = time.perf_counter(), time.process_time()
    decoded = decode_adaptive(decoder, decoded_model, len(data))
    t_decode, c_decode = time.perf_counter() - start, time.process_time() - cpu
    if decoded.astype(np.uint8).tobytes() != data or not decoder.is_empty():
        raise AssertionError(f"{name}: the round trip failed")
    if decoded_model != model:
        raise AssertionError(f"{name}: the decoder's model drifted from the encoder's")
    bits = int(words.size) * 32
    row = {"name": name, "bits": bits, "bits_per_byte": bits / len(data), "encode_s": t_encode,
           "decode_s": t_decode, "encode_us_per_byte": 1e6 * t_encode / len(data),
           "decode_us_per_byte": 1e6 * t_decode / len(data), "encode_cpu_s": c_encode,
           "decode_cpu_s": c_decode}
    if curves:
        # A second forward pass of a fresh model records the masses that encode_adaptive gave
        # the coder (not timed); it must end in the same state.
        twin = factory()
        _, _, masses = forward_intervals(twin, data)
        if twin != model:
            raise AssertionError(f"{name}: two forward passes over the same text disagree")
        row["information_bits"] = float((PRECISION - np.log2(np.asarray(masses, dtype=float))).sum())
        row["curve"] = block_bits(masses, model.units_per_symbol, len(data))
    return row


def measure_baseline(name, data: bytes) -> dict:
    compress, decompress = BASELINES[name]
    start, cpu = time.perf_counter(), time.process_time()
    packed = compress(data)
    t_encode, c_encode = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    unpacked = decompress(packed)
    t_decode, c_decode = time.perf_counter() - start, time.process_time() - cpu
    if unpacked != data:
        raise AssertionError(f"{name}: the round trip failed")
    return {"name": name, "bits": 8 * len(packed), "bits_per_byte": 8 * len(packed) / len(data),
            "encode_s": t_encode, "decode_s": t_decode,
            "encode_us_per_byte": 1e6 * t_encode / len(data), "decode_us_per_byte": 1e6 * t_decode / len(data),
            "encode_cpu_s": c_encode, "decode_cpu_s": c_decode}


def measure(args) -> dict:
    results = {"block": BLOCK, "precision": PRECISION, "texts": []}
    for text in args.texts:
        data = load_text(text)
        if args.text_bytes:
            data = data[:args.text_bytes]
        rows = []
        for name in BASELINES:
            rows.append(measure_baseline(name, data))
        for name, factory in models(args.text_orders):
            progress(f"  {text}: {name} ...")
            rows.append(measure_model(name, factory, data, args.text_curves))
        results["texts"].append({"text": text, "bytes": len(data), "rows": rows})
    return results


def best_model(entry: dict) -> dict:
    """The adaptive model with the fewest bits on one text."""
    return min((r for r in entry["rows"] if r["name"] not in BASELINES), key=lambda r: r["bits"])


def table(results) -> str:
    texts = results["texts"]
    if not texts:
        return "(no texts measured)"
    names = [r["name"] for r in texts[0]["rows"]]
    header = ["bits per byte"] + [f"{t['text']} ({t['bytes']:,} B)" for t in texts]
    rows = [[name] + [f"{next(r for r in t['rows'] if r['name'] == name)['bits_per_byte']:.3f}"
                      for t in texts] for name in names]
    rows.append(["best adaptive model"] + [best_model(t)["name"].replace("context ", "") for t in texts])
    n = texts[0]["bytes"]
    speed = [[r["name"], f"{r['encode_s']:.2f}", f"{r['decode_s']:.2f}",
              f"{r['encode_us_per_byte']:.1f}", f"{r['decode_us_per_byte']:.1f}",
              f"{1e6 * r['encode_cpu_s'] / n:.1f}", f"{1e6 * r['decode_cpu_s'] / n:.1f}"] for r in texts[0]["rows"]]
    return ("Adaptive models on the Canterbury texts (ansedu.AnsCoder, precision 24; sizes are the "
            "coded words; every round trip verified, decoder model == encoder model)\n\n"
            + markdown_table(header, rows)
            + f"\n\nTime on {texts[0]['text']} ({n:,} bytes), one pass each (wall clock; CPU time of "
            "this process beside it, which a busy machine does not inflate)\n\n"
            + markdown_table(["model", "encode s", "decode s", "encode us/B", "decode us/B",
                              "encode CPU us/B", "decode CPU us/B"], speed))


def main(argv=None) -> int:
    parser = section_parser("models --only text", __doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    results = {"section": "models", "environment": environment(), "text": measure(args)}
    emit(results, args.json, table(results["text"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
