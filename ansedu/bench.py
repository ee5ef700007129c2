"""Benchmark: ansedu's streaming ANS coder beside constriction's, on the same message and model.

    python -m ansedu.bench [--symbols 1000000] [--alphabet 64] [--seed 0] [--repeat 3]

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

import argparse
import platform
import sys
import time

import numpy as np

from . import AnsCoder, Categorical


def best_time(function, repeat: int):
    """Run ``function`` ``repeat`` times; return (its last result, the fastest time in seconds)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return result, best


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
    parser = argparse.ArgumentParser(prog="python -m ansedu.bench", description=__doc__.split("\n\n")[0])
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

    print(f"{args.symbols:,} symbols from a {args.alphabet}-symbol categorical (seed {args.seed}); "
          f"information content {information:,.0f} bits ({information / args.symbols:.4f} bits/symbol)")
    print(f"Python {platform.python_version()}, numpy {np.__version__}, best of {args.repeat} runs\n")

    rows = []
    print("timing ansedu ...", file=sys.stderr, flush=True)
    words, decoded, t_enc, t_dec = run_ansedu(message, model, args.repeat)
    if not np.array_equal(decoded, message):
        print("ansedu's round trip FAILED", file=sys.stderr)
        return 1
    rows.append(("ansedu.AnsCoder (pure Python)", 32 * len(words), t_enc, t_dec))
    try:
        import constriction
    except ImportError:
        print("constriction is not installed (pip install constriction): its row is left out\n",
              file=sys.stderr)
    else:
        from importlib.metadata import version
        print(f"timing constriction {version('constriction')} ...", file=sys.stderr, flush=True)
        c_words, c_decoded, c_enc, c_dec = run_constriction(message, probabilities, args.repeat)
        if not np.array_equal(c_decoded, message):
            print("constriction's round trip FAILED", file=sys.stderr)
            return 1
        rows.append(("constriction AnsCoder (Rust)", 32 * len(c_words), c_enc, c_dec))

    header = f"| {'coder (24/32/64)':<32} | {'bits':>12} | {'overhead %':>10} | {'encode ns/sym':>13} | {'decode ns/sym':>13} |"
    print(header)
    print("|" + "|".join("-" * (len(cell) + 0) for cell in header.split("|")[1:-1]) + "|")
    for name, bits, t_e, t_d in rows:
        overhead = 100 * (bits - information) / information
        print(f"| {name:<32} | {bits:>12,} | {overhead:>10.4f} | {1e9 * t_e / args.symbols:>13.1f} "
              f"| {1e9 * t_d / args.symbols:>13.1f} |")
    if len(rows) == 2:
        print(f"\nround trips verified for both; ansedu / constriction time: encode "
              f"{rows[0][2] / rows[1][2]:.0f}x, decode {rows[0][3] / rows[1][3]:.0f}x; "
              f"size {rows[0][1] - rows[1][1]:+,} bits")
    print(f"ansedu's words exceed the information content under its quantized model by "
          f"{rows[0][1] - quantized_information:,.0f} bits in all, writing out the final head included")

    print("\nansedu is linear in the message length (ns/symbol should stay flat):")
    print(f"| {'symbols':>10} | {'encode ns/sym':>13} | {'decode ns/sym':>13} |")
    print(f"|{'-' * 12}|{'-' * 15}|{'-' * 15}|")
    for n in sorted({min(10**4, args.symbols), min(10**5, args.symbols), args.symbols}):
        _, _, t_e, t_d = run_ansedu(message[:n], model, args.repeat)
        print(f"| {n:>10,} | {1e9 * t_e / n:>13.1f} | {1e9 * t_d / n:>13.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
