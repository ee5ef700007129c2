"""Benchmark (part IV): the fast ANS coders beside constriction, Huffman and general-purpose compressors.

    python -m ansedu.bench fast [--max-exp 6] [--python-max 100000] [--repeat 2] [--plot FILE] [--json]

Messages of 10^4 .. 10^max-exp symbols, from a 64-symbol categorical model and from
per-symbol quantized Gaussians (a mean and a scale per symbol, symbols -127 .. 127). For
each, in one run: bit-rate overhead over the information content under the coder's model
and encode/decode ns/symbol of ansedu's pure-Python AnsCoder, CompiledAnsCoder (numba),
InterleavedAnsCoder (numpy lanes, their number from choose_lanes), the compiled range coder
(CompiledRangeEncoder/Decoder, numba; the Gaussians' family decodes in a kernel too),
TansCoder (tables of the rANS step at precision 8, 8-bit words, 16-bit head;
categorical only), constriction's ANS and
range coders, a Huffman code (categorical only) and zlib/bz2/lzma on the raw symbols
(one byte each). Every round trip is verified. Ratios are to constriction's ANS coder
measured in the same run. Pure Python and Huffman run only up to --python-max symbols;
the interleaved coder only where the 0.1 % flush budget allows --min-lanes lanes.
"""

from __future__ import annotations

import bz2
import lzma
import sys
import zlib

import numpy as np

from .. import AnsCoder, Categorical, HuffmanCode, QuantizedGaussian
from ..fast import HAVE_NUMBA, CompiledAnsCoder, CompiledRangeDecoder, CompiledRangeEncoder, InterleavedAnsCoder
from ..fast import TansCoder, choose_lanes
from ._common import best_time, emit, environment, markdown_table, progress, section_parser

LO, HI = -127, 127


def _message(kind, n, rng):
    if kind == "categorical":
        p = np.random.default_rng(0).dirichlet(np.ones(64))  # the same model at every size
        return rng.choice(64, size=n, p=p), (p,)
    means = rng.normal(0, 30, n)
    stds = rng.uniform(0.5, 8.0, n)
    x = np.clip(np.round(rng.normal(means, stds)), LO, HI).astype(np.int64)
    return x, (means, stds)


def _ans(cls, kind, x, args, repeat, **kw):
    model = Categorical(args[0]) if kind == "categorical" else QuantizedGaussian(LO, HI)
    params = () if kind == "categorical" else args

    def enc():
        c = cls(**kw)
        c.encode_reverse(x, model, *params)
        return c.get_compressed()
    words, te = best_time(enc, repeat)
    if kind == "categorical":
        dec, td = best_time(lambda: cls(words, **kw).decode(model, len(x)), repeat)
    elif cls is InterleavedAnsCoder:
        dec, td = best_time(lambda: cls(words, **kw).decode(model, len(x), *params), repeat)
    else:
        dec, td = best_time(lambda: cls(words, **kw).decode(model, *params), repeat)
    return 32 * words.size, te, td, np.array_equal(dec, x)


def _range(kind, x, args, repeat):
    """ansedu's compiled range coder (a queue: symbols are encoded and decoded first to last)."""
    model = Categorical(args[0]) if kind == "categorical" else QuantizedGaussian(LO, HI)
    params = () if kind == "categorical" else args

    def enc():
        c = CompiledRangeEncoder()
        c.encode(x, model, *params)
        return c.get_compressed()
    words, te = best_time(enc, repeat)
    if kind == "categorical":
        dec, td = best_time(lambda: CompiledRangeDecoder(words).decode(model, len(x)), repeat)
    else:  # a family's lookup per symbol: the pure-Python decoder
        dec, td = best_time(lambda: CompiledRangeDecoder(words).decode(model, *params), repeat)
    return 32 * words.size, te, td, np.array_equal(dec, x)


def _constriction(kind, x, args, repeat, queue):
    import constriction
    if kind == "categorical":
        model, params = constriction.stream.model.Categorical(args[0], perfect=False), ()
    else:
        model, params = constriction.stream.model.QuantizedGaussian(LO, HI), args
    s = x.astype(np.int32)
    if queue:
        def enc():
            c = constriction.stream.queue.RangeEncoder()
            c.encode(s, model, *params)
            return c.get_compressed()
        def dec(w):
            d = constriction.stream.queue.RangeDecoder(w)
            return d.decode(model, *params) if params else d.decode(model, len(s))
    else:
        def enc():
            c = constriction.stream.stack.AnsCoder()
            c.encode_reverse(s, model, *params)
            return c.get_compressed()
        def dec(w):
            d = constriction.stream.stack.AnsCoder(w)
            return d.decode(model, *params) if params else d.decode(model, len(s))
    words, te = best_time(enc, repeat)
    out, td = best_time(lambda: dec(words), repeat)
    return 32 * words.size, te, td, np.array_equal(out, s)


def _tans(x, p, repeat):
    model = Categorical(p, precision=8)  # tANS: a small state range (8-bit words, 16-bit head)
    kw = dict(precision=8, word_size=8, head_size=16)

    def enc():
        c = TansCoder(model, **kw)
        c.encode_reverse(x)
        return c.get_compressed()
    words, te = best_time(enc, repeat)
    out, td = best_time(lambda: TansCoder(model, words, **kw).decode(len(x)), repeat)
    return 8 * words.size, te, td, np.array_equal(out, x)


def _huffman(x, p, repeat):
    code = HuffmanCode(p)
    bits, te = best_time(lambda: code.encode(x.tolist()), repeat)
    out, td = best_time(lambda: code.decode(bits), repeat)
    return len(bits), te, td, list(out) == x.tolist()


def _general(name, x, repeat):
    comp, decomp = {"zlib": (lambda b: zlib.compress(b, 9), zlib.decompress),
                    "bz2": (bz2.compress, bz2.decompress),
                    "lzma": (lzma.compress, lzma.decompress)}[name]
    raw = (x - x.min()).astype(np.uint8).tobytes()
    data, te = best_time(lambda: comp(raw), repeat)
    back, td = best_time(lambda: decomp(data), repeat)
    return 8 * len(data), te, td, back == raw


def _warm_up(kind) -> None:
    """Code a few symbols with the compiled coder and constriction, untimed: numba's import and
    the loading of its cached machine code happen once per process, not per symbol, and would
    otherwise land in the first timed run (best-of-``repeat`` at the smallest size did not
    always hide it). Both sides are warmed alike."""
    x, margs = _message(kind, 10, np.random.default_rng(0))
    _ans(CompiledAnsCoder, kind, x, margs, 1)
    _range(kind, x, margs, 1)
    try:
        _constriction(kind, x, margs, 1, False)
    except ImportError:
        pass


def measure(args) -> dict:
    results = {"section": "fast", "environment": environment(), "numba": HAVE_NUMBA,
               "repeat": args.repeat, "rows": []}
    sizes = [10**e for e in range(args.min_exp, args.max_exp + 1)]
    for kind in args.models.split(","):
        _warm_up(kind)
        for n in sizes:
            rng = np.random.default_rng(args.seed + n)
            x, margs = _message(kind, n, rng)
            if kind == "categorical":
                q = Categorical(margs[0])
                info = q.information_content(x)
            else:
                _, m = QuantizedGaussian(LO, HI).intervals(x, *margs)
                info = float(n * 24 - np.log2(m).sum())
            lanes = choose_lanes(n, info / n)
            progress(f"{kind} n={n:,}: {lanes} lanes")
            runs = {}
            if n <= args.python_max:
                runs["ansedu AnsCoder (pure Python)"] = lambda: _ans(AnsCoder, kind, x, margs, args.repeat)
            runs["ansedu CompiledAnsCoder (numba)"] = lambda: _ans(CompiledAnsCoder, kind, x, margs, args.repeat)
            # Lanes pay off only when the 0.1 % flush budget allows many (numpy calls per step)
            if lanes >= args.min_lanes:
                runs["ansedu InterleavedAnsCoder (numpy)"] = lambda: _ans(
                    InterleavedAnsCoder, kind, x, margs, args.repeat, lanes=lanes)
            try:
                import constriction  # noqa: F401
                runs["constriction AnsCoder"] = lambda: _constriction(kind, x, margs, args.repeat, False)
                runs["constriction RangeEncoder"] = lambda: _constriction(kind, x, margs, args.repeat, True)
            except ImportError:
                progress("constriction is not installed: its rows are left out")
            runs["ansedu CompiledRangeEncoder (numba)"] = lambda: _range(kind, x, margs, args.repeat)
            if kind == "categorical":
                runs["ansedu TansCoder (8/8/16 tables)"] = lambda: _tans(x, margs[0], args.repeat)
            if kind == "categorical" and n <= args.python_max:
                runs["Huffman (ansedu.HuffmanCode)"] = lambda: _huffman(x, margs[0], args.repeat)
            for name in ("zlib", "bz2", "lzma"):
                runs[f"{name} (raw bytes)"] = (lambda name=name: _general(name, x, args.repeat))
            for name, run in runs.items():
                bits, te, td, ok = run()
                if not ok:
                    raise RuntimeError(f"{name}: round trip FAILED on {kind} n={n}")
                results["rows"].append({"model": kind, "symbols": n, "coder": name, "bits": bits,
                                        "lanes": lanes if "Interleaved" in name else None,
                                        "information_bits": info,
                                        "overhead_percent": 100 * (bits - info) / info,
                                        "encode_ns_per_symbol": 1e9 * te / n,
                                        "decode_ns_per_symbol": 1e9 * td / n})
    for row in results["rows"]:
        ref = [r for r in results["rows"] if r["model"] == row["model"] and r["symbols"] == row["symbols"]
               and r["coder"] == "constriction AnsCoder"]
        row["encode_ratio"] = row["encode_ns_per_symbol"] / ref[0]["encode_ns_per_symbol"] if ref else None
        row["decode_ratio"] = row["decode_ns_per_symbol"] / ref[0]["decode_ns_per_symbol"] if ref else None
    return results


def table(results) -> str:
    def ratio(v):
        return "-" if v is None else f"{v:.2f}x"
    out = [f"Python {results['environment']['python']}, numpy {results['environment']['numpy']}, "
           f"numba {'yes' if results['numba'] else 'NO (compiled rows run pure Python)'}; best of "
           f"{results['repeat']}; ratios are time per symbol / constriction AnsCoder's, same run\n"]
    out.append(markdown_table(
        ["model", "symbols", "coder", "overhead %", "enc ns/sym", "dec ns/sym", "enc ratio", "dec ratio"],
        [[r["model"], f"{r['symbols']:,}", r["coder"] + (f" K={r['lanes']}" if r["lanes"] else ""),
          f"{r['overhead_percent']:.3f}", f"{r['encode_ns_per_symbol']:.1f}", f"{r['decode_ns_per_symbol']:.1f}",
          ratio(r["encode_ratio"]), ratio(r["decode_ratio"])] for r in results["rows"]]))
    return "\n".join(out)


def plot(results, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, what in zip(axes, ("encode", "decode")):
        rows = [r for r in results["rows"] if r["model"] == "categorical"]
        for coder in dict.fromkeys(r["coder"] for r in rows):
            pts = [(r["symbols"], r[f"{what}_ns_per_symbol"]) for r in rows if r["coder"] == coder]
            ax.loglog(*zip(*pts), marker="o", label=coder)
        ax.set_xlabel("message length (symbols)")
        ax.set_title(f"{what}, categorical model")
    axes[0].set_ylabel("ns per symbol")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def add_arguments(parser) -> None:
    parser.add_argument("--max-exp", type=int, default=6, help="largest message is 10^max-exp symbols (default 6; 7 for the targets)")
    parser.add_argument("--min-exp", type=int, default=4, help="smallest is 10^min-exp (default 4)")
    parser.add_argument("--python-max", type=int, default=100_000, help="pure Python and Huffman up to this length")
    parser.add_argument("--repeat", type=int, default=2, help="runs per measurement; the best counts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", default="categorical,gaussian", help="which messages (comma-separated)")
    parser.add_argument("--min-lanes", type=int, default=16,
                        help="time the interleaved coder only where choose_lanes gives at least this many lanes")
    parser.add_argument("--gaussian-interleaved", action="store_true",
                        help="(no effect: the interleaved coder is timed on the Gaussians too; kept for old commands)")
    parser.add_argument("--plot", metavar="FILE", help="save a plot of ns/symbol against length to FILE")


def main(argv=None) -> int:
    parser = section_parser("fast", __doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    if set(args.models.split(",")) - {"categorical", "gaussian"}:
        parser.error("--models takes categorical and/or gaussian")
    if args.max_exp < args.min_exp or args.min_exp < 1 or args.repeat < 1:
        parser.error("need 1 <= --min-exp <= --max-exp and --repeat >= 1")
    results = measure(args)
    if args.plot:
        plot(results, args.plot)
        progress(f"plot saved to {args.plot}")
    emit(results, args.json, table(results))
    return 0
