"""Part ``range`` of the ``models`` section: ansedu's range coder beside constriction's, and ansedu's ANS.

    python -m ansedu.bench models --only range [--symbols 1000000] [--range-alphabet 64] [--repeat 3] [--seed 0]

One message drawn from a random categorical distribution is encoded and decoded by
``ansedu.RangeEncoder`` / ``RangeDecoder``, by ``constriction.stream.queue.RangeEncoder`` /
``RangeDecoder`` and by ``ansedu.AnsCoder`` (all at precision 24, 32-bit words, 64-bit
state), each round trip verified. Reported: the compressed size's overhead over the
message's information content under the float model all three are given, and ns/symbol
each way (best of ``--repeat``). A second table gives ansedu's two coders at growing
message lengths: the overhead of the final words shrinks with the length, the time per
symbol stays flat.
"""

from __future__ import annotations

import numpy as np

from .. import Categorical, RangeDecoder, RangeEncoder
from ._common import best_time, markdown_table
from .core import run_ansedu

NAMES = ("ansedu.RangeEncoder (pure Python)", "constriction RangeEncoder (Rust)", "ansedu.AnsCoder (pure Python)")


def _add(parser, flag, **kw):
    """Add ``flag`` unless another part of the section already did (parts share some options)."""
    if not any(flag in action.option_strings for action in parser._actions):
        parser.add_argument(flag, **kw)


def add_arguments(parser) -> None:
    _add(parser, "--symbols", type=int, default=1_000_000, help="message length (default 10^6)")
    _add(parser, "--repeat", type=int, default=3, help="runs per measurement; the best counts")
    _add(parser, "--seed", type=int, default=0)
    parser.add_argument("--range-alphabet", type=int, default=64,
                        help="range part: number of symbols of the categorical model (default 64)")


def message_and_model(symbols: int, alphabet: int, seed: int):
    """The benchmark's message, its float probabilities and the quantized model (precision 24)."""
    rng = np.random.default_rng(seed)
    probabilities = rng.dirichlet(np.ones(alphabet))
    message = rng.choice(alphabet, size=symbols, p=probabilities)
    return message, probabilities, Categorical(probabilities)


def run_range(message, model, repeat):
    def encode():
        encoder = RangeEncoder()
        encoder.encode(message, model)
        return encoder.get_compressed()
    words, t_enc = best_time(encode, repeat)
    decoded, t_dec = best_time(lambda: RangeDecoder(words).decode(model, len(message)), repeat)
    return words, decoded, t_enc, t_dec


def run_constriction(message, probabilities, repeat):
    import constriction

    model = constriction.stream.model.Categorical(probabilities, perfect=False)
    symbols = message.astype(np.int32)

    def encode():
        encoder = constriction.stream.queue.RangeEncoder()
        encoder.encode(symbols, model)
        return encoder.get_compressed()
    words, t_enc = best_time(encode, repeat)
    decoded, t_dec = best_time(
        lambda: constriction.stream.queue.RangeDecoder(words).decode(model, len(symbols)), repeat)
    return words, decoded, t_enc, t_dec


def coder_row(name, words, decoded, t_enc, t_dec, message, information):
    """One table row from a ``run_*`` result; raises if the round trip did not return ``message``."""
    if not np.array_equal(np.asarray(decoded), message):
        raise RuntimeError(f"{name}: the round trip FAILED")
    bits = 32 * len(words)
    n = len(message)
    return {"name": name, "bits": bits, "overhead_percent": 100 * (bits - information) / information,
            "encode_ns_per_symbol": 1e9 * t_enc / n, "decode_ns_per_symbol": 1e9 * t_dec / n}


def measure(args) -> dict:
    if args.symbols < 1 or args.repeat < 1 or args.range_alphabet < 2:
        raise ValueError("--symbols and --repeat must be at least 1, --range-alphabet at least 2")
    message, probabilities, model = message_and_model(args.symbols, args.range_alphabet, args.seed)
    information = float(-np.log2(probabilities[message]).sum())
    rows = [coder_row(NAMES[0], *run_range(message, model, args.repeat), message, information),
            coder_row(NAMES[1], *run_constriction(message, probabilities, args.repeat), message, information),
            coder_row(NAMES[2], *run_ansedu(message, model, args.repeat), message, information)]
    lengths = []
    n = 100
    while n < args.symbols:
        lengths.append(n)
        n *= 10
    lengths.append(args.symbols)
    by_length = []
    for n in lengths:
        part = message[:n]
        info = float(-np.log2(probabilities[part]).sum())
        by_length.append({"symbols": n, "information_bits": info,
                          "range": coder_row(NAMES[0], *run_range(part, model, 1), part, info),
                          "ans": coder_row(NAMES[2], *run_ansedu(part, model, 1), part, info)})
    return {"symbols": args.symbols, "alphabet": args.range_alphabet, "seed": args.seed, "repeat": args.repeat,
            "information_bits": information, "quantized_information_bits": model.information_content(message),
            "coders": rows, "by_length": by_length}


def table(results) -> str:
    head = (f"Range coding: {results['symbols']:,} symbols of a random categorical model over "
            f"{results['alphabet']} symbols (information content {results['information_bits']:,.0f} bits; "
            "precision 24, 32-bit words, 64-bit state; round trips verified for all three)")
    rows = [(r["name"], f"{r['bits']:,}", f"{r['overhead_percent']:.4f} %", f"{r['encode_ns_per_symbol']:,.0f}",
             f"{r['decode_ns_per_symbol']:,.0f}") for r in results["coders"]]
    main = markdown_table(["coder", "bits", "overhead", "encode ns/symbol", "decode ns/symbol"], rows)
    rows = [(f"{r['symbols']:,}", f"{r['range']['overhead_percent']:.4f} %", f"{r['ans']['overhead_percent']:.4f} %",
             f"{r['range']['encode_ns_per_symbol']:,.0f} / {r['range']['decode_ns_per_symbol']:,.0f}",
             f"{r['ans']['encode_ns_per_symbol']:,.0f} / {r['ans']['decode_ns_per_symbol']:,.0f}")
            for r in results["by_length"]]
    sweep = markdown_table(["symbols", "range overhead", "ANS overhead", "range ns/symbol (enc / dec)",
                            "ANS ns/symbol (enc / dec)"], rows)
    return f"{head}\n\n{main}\n\nansedu's two coders by message length (one run each):\n\n{sweep}"
