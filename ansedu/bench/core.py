"""Benchmark: ansedu's streaming ANS coder beside constriction's, on the same message and model.

    python -m ansedu.bench core [--symbols 1000000] [--alphabet 64] [--seed 0] [--repeat 3] [--json]

Draws a message from a random categorical distribution, encodes and decodes it with
``ansedu.AnsCoder`` and with ``constriction.stream.stack.AnsCoder`` (both at precision 24,
32-bit words, 64-bit head), checks that both round trips return the message, and
prints a table: the compressed size's overhead over the message's information content
(under the float model both coders are given), and nanoseconds per symbol to encode and
decode (best of ``--repeat`` runs, measured side by side in this one process). A second
table times ansedu at growing message lengths, which should cost the same per symbol:
the coder is linear in the message length.
"""

from __future__ import annotations

import sys

import numpy as np

from .. import AnsCoder, Categorical
from ._common import best_time, emit, environment, markdown_table, progress, section_parser


def run_ansedu(message, model, repeat):
    def encode():
        coder = AnsCoder()
        coder.encode_reverse(message, model)
        return coder.get_compressed()

    words, t_encode = best_time(encode, repeat)
    decoded, t_decode = best_time(lambda: AnsCoder(words).decode(model, len(message)), repeat)
    return words, decoded, t_encode, t_decode


def run_constriction(message, probabilities, repeat):
    import constriction

    model = constriction.stream.model.Categorical(probabilities, perfect=False)
    symbols = message.astype(np.int32)

    def encode():
        coder = constriction.stream.stack.AnsCoder()
        coder.encode_reverse(symbols, model)
        return coder.get_compressed()

    words, t_encode = best_time(encode, repeat)
    decoded, t_decode = best_time(
        lambda: constriction.stream.stack.AnsCoder(words).decode(model, len(symbols)), repeat)
    return words, decoded, t_encode, t_decode


def main(argv=None) -> int:
    parser = section_parser("core", __doc__.split("\n\n")[0])
    parser.add_argument("--symbols", type=int, default=1_000_000, help="message length (default 10^6)")
    parser.add_argument("--alphabet", type=int, default=64, help="number of symbols (default 64)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best counts")
    args = parser.parse_args(argv)
    if args.symbols < 1 or args.alphabet < 2 or args.repeat < 1:
        parser.error("--symbols and --repeat must be at least 1, --alphabet at least 2")

    rng = np.random.default_rng(args.seed)
    probabilities = rng.dirichlet(np.ones(args.alphabet))
    message = rng.choice(args.alphabet, size=args.symbols, p=probabilities)
    information = float(-np.log2(probabilities[message]).sum())
    model = Categorical(probabilities)
    quantized_information = model.information_content(message)
    results = {"section": "core", "symbols": args.symbols, "alphabet": args.alphabet, "seed": args.seed,
               "repeat": args.repeat, "information_bits": information,
               "quantized_information_bits": quantized_information, "environment": environment(),
               "coders": [], "linearity": []}

    progress("timing ansedu ...")
    words, decoded, t_enc, t_dec = run_ansedu(message, model, args.repeat)
    if not np.array_equal(decoded, message):
        print("ansedu's round trip FAILED", file=sys.stderr)
        return 1
    results["coders"].append({"name": "ansedu.AnsCoder (pure Python)", "bits": 32 * len(words),
                              "encode_s": t_enc, "decode_s": t_dec})
    try:
        import constriction
    except ImportError:
        progress("constriction is not installed (pip install constriction): its row is left out")
    else:
        from importlib.metadata import version
        progress(f"timing constriction {version('constriction')} ...")
        c_words, c_decoded, c_enc, c_dec = run_constriction(message, probabilities, args.repeat)
        if not np.array_equal(c_decoded, message):
            print("constriction's round trip FAILED", file=sys.stderr)
            return 1
        results["coders"].append({"name": "constriction AnsCoder (Rust)", "bits": 32 * len(c_words),
                                  "encode_s": c_enc, "decode_s": c_dec})
    for row in results["coders"]:
        row["overhead_percent"] = 100 * (row["bits"] - information) / information
        row["encode_ns_per_symbol"] = 1e9 * row["encode_s"] / args.symbols
        row["decode_ns_per_symbol"] = 1e9 * row["decode_s"] / args.symbols
    for n in sorted({min(10**4, args.symbols), min(10**5, args.symbols), args.symbols}):
        _, _, t_e, t_d = run_ansedu(message[:n], model, args.repeat)
        results["linearity"].append({"symbols": n, "encode_ns_per_symbol": 1e9 * t_e / n,
                                     "decode_ns_per_symbol": 1e9 * t_d / n})

    coders = results["coders"]
    text = [f"{args.symbols:,} symbols from a {args.alphabet}-symbol categorical (seed {args.seed}); "
            f"information content {information:,.0f} bits ({information / args.symbols:.4f} bits/symbol)",
            f"Python {results['environment']['python']}, numpy {results['environment']['numpy']}, "
            f"best of {args.repeat} runs\n",
            markdown_table(["coder (24/32/64)", "bits", "overhead %", "encode ns/sym", "decode ns/sym"],
                           [[r["name"], f"{r['bits']:,}", f"{r['overhead_percent']:.4f}",
                             f"{r['encode_ns_per_symbol']:.1f}", f"{r['decode_ns_per_symbol']:.1f}"]
                            for r in coders])]
    if len(coders) == 2:
        text.append(f"\nround trips verified for both; ansedu / constriction time: encode "
                    f"{coders[0]['encode_s'] / coders[1]['encode_s']:.0f}x, decode "
                    f"{coders[0]['decode_s'] / coders[1]['decode_s']:.0f}x; "
                    f"size {coders[0]['bits'] - coders[1]['bits']:+,} bits")
    text.append(f"ansedu's words exceed the information content under its quantized model by "
                f"{coders[0]['bits'] - quantized_information:,.0f} bits in all, writing out the final head included")
    text.append("\nansedu is linear in the message length (ns/symbol should stay flat):")
    text.append(markdown_table(["symbols", "encode ns/sym", "decode ns/sym"],
                               [[f"{r['symbols']:,}", f"{r['encode_ns_per_symbol']:.1f}",
                                 f"{r['decode_ns_per_symbol']:.1f}"] for r in results["linearity"]]))
    emit(results, args.json, "\n".join(text))
    return 0
