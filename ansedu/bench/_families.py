"""Part ``families`` of the ``models`` section: a quantized Gaussian with a mean and a scale per
symbol (as a neural network would predict them), coded by ``ansedu.AnsCoder`` with
:class:`~ansedu.QuantizedGaussian` and by constriction's ``AnsCoder`` with its
``QuantizedGaussian`` family, on the same message and parameters.

The figures: compressed bits; the overhead over the information content of the message under
ansedu's quantized model (the bits an ideal coder would spend with these exact masses) and over
the exact discretized Gaussians (bins ``[x - 1/2, x + 1/2)``, tails to the edge symbols, in
float64 with ``math.erfc``), both references the same for both coders; and nanoseconds per symbol
to encode and to decode (best of ``--repeat``). Both round trips are verified. Two more rows time
ansedu's vectorized ``intervals`` alone (what the model costs the encoder) and ``AnsCoder`` with
one fixed ``Categorical`` on the same symbols (the coder's own cost per symbol, measured in the same
run, so that the families' cost can be read as a factor over it even on a busy machine).
"""

from __future__ import annotations

import math

import numpy as np

from .. import AnsCoder, Categorical, QuantizedGaussian
from ._common import best_time, markdown_table, progress

MIN_SYMBOL, MAX_SYMBOL = -127, 127


def _add(parser, flag, **kwargs):
    """Add an option unless another part of the section already did (they share --symbols ...)."""
    if flag not in parser._option_string_actions:
        parser.add_argument(flag, **kwargs)


def add_arguments(parser) -> None:
    _add(parser, "--symbols", type=int, default=1_000_000, help="message length (default 10^6)")
    _add(parser, "--repeat", type=int, default=3, help="runs per measurement; the best counts")
    _add(parser, "--seed", type=int, default=0)


def message(n: int, seed: int):
    """Per-symbol means and scales over the whole range, and a message drawn from them."""
    rng = np.random.default_rng(seed)
    means = rng.uniform(-100.0, 100.0, n)
    stds = np.exp(rng.uniform(math.log(0.3), math.log(30.0), n))
    symbols = np.clip(np.round(rng.normal(means, stds)), MIN_SYMBOL, MAX_SYMBOL).astype(np.int64)
    return symbols, means, stds


def exact_information(symbols, means, stds) -> float:
    """Bits of the message under the exact discretized Gaussians (float64, ``math.erfc``)."""
    def cdf(b, mu, sigma):
        return 0.5 * math.erfc((mu - b) / (sigma * math.sqrt(2.0)))

    total = 0.0
    for x, mu, sigma in zip(symbols.tolist(), means.tolist(), stds.tolist()):
        left = 0.0 if x == MIN_SYMBOL else cdf(x - 0.5, mu, sigma)
        right = 1.0 if x == MAX_SYMBOL else cdf(x + 0.5, mu, sigma)
        total -= math.log2(right - left)
    return total


def run_ansedu(symbols, means, stds, repeat):
    model = QuantizedGaussian(MIN_SYMBOL, MAX_SYMBOL)

    def encode():
        coder = AnsCoder()
        coder.encode_reverse(symbols, model, means, stds)
        return coder.get_compressed()

    words, t_encode = best_time(encode, repeat)
    decoded, t_decode = best_time(lambda: AnsCoder(words).decode(model, means, stds), repeat)
    _, t_model = best_time(lambda: model.intervals(symbols, means, stds), repeat)
    return words, decoded, t_encode, t_decode, t_model


def run_fixed_categorical(symbols, repeat):
    """The scalar coder's own cost: the same symbols with one fixed model (its histogram)."""
    shifted = symbols - MIN_SYMBOL
    model = Categorical(np.bincount(shifted, minlength=MAX_SYMBOL - MIN_SYMBOL + 1) + 1.0)

    def encode():
        coder = AnsCoder()
        coder.encode_reverse(shifted, model)
        return coder.get_compressed()

    words, t_encode = best_time(encode, repeat)
    decoded, t_decode = best_time(lambda: AnsCoder(words).decode(model, len(shifted)), repeat)
    if not np.array_equal(decoded, shifted):
        raise RuntimeError("ansedu's round trip with a fixed Categorical FAILED")
    return t_encode, t_decode


def run_constriction(symbols, means, stds, repeat):
    import constriction

    model = constriction.stream.model.QuantizedGaussian(MIN_SYMBOL, MAX_SYMBOL)
    sym32 = symbols.astype(np.int32)

    def encode():
        coder = constriction.stream.stack.AnsCoder()
        coder.encode_reverse(sym32, model, means, stds)
        return coder.get_compressed()

    words, t_encode = best_time(encode, repeat)
    decoded, t_decode = best_time(lambda: constriction.stream.stack.AnsCoder(words).decode(model, means, stds),
                                  repeat)
    return words, decoded, t_encode, t_decode


def measure(args) -> dict:
    if args.symbols < 1 or args.repeat < 1:
        raise ValueError("--symbols and --repeat must be at least 1")
    n = args.symbols
    symbols, means, stds = message(n, args.seed)
    model = QuantizedGaussian(MIN_SYMBOL, MAX_SYMBOL)
    results = {"symbols": n, "seed": args.seed, "repeat": args.repeat, "range": [MIN_SYMBOL, MAX_SYMBOL],
               "precision": model.precision,
               "quantized_information_bits": model.information_content(symbols, means, stds),
               "exact_information_bits": exact_information(symbols, means, stds), "coders": []}

    progress("  families: ansedu ...")
    words, decoded, t_enc, t_dec, t_model = run_ansedu(symbols, means, stds, args.repeat)
    if not np.array_equal(decoded, symbols):
        raise RuntimeError("ansedu's round trip with QuantizedGaussian FAILED")
    results["coders"].append({"name": "ansedu.AnsCoder + QuantizedGaussian (pure Python)",
                              "bits": 32 * len(words), "encode_s": t_enc, "decode_s": t_dec})
    results["model_intervals_s"] = t_model

    progress("  families: ansedu with one fixed Categorical (the coder's own cost) ...")
    t_enc0, t_dec0 = run_fixed_categorical(symbols, args.repeat)
    results["fixed_categorical_encode_ns_per_symbol"] = 1e9 * t_enc0 / n
    results["fixed_categorical_decode_ns_per_symbol"] = 1e9 * t_dec0 / n

    progress("  families: constriction ...")
    words, decoded, t_enc, t_dec = run_constriction(symbols, means, stds, args.repeat)
    if not np.array_equal(decoded, symbols):
        raise RuntimeError("constriction's round trip with QuantizedGaussian FAILED")
    results["coders"].append({"name": "constriction AnsCoder + QuantizedGaussian (Rust)",
                              "bits": 32 * len(words), "encode_s": t_enc, "decode_s": t_dec})

    for row in results["coders"]:
        row["overhead_percent"] = 100.0 * (row["bits"] / results["quantized_information_bits"] - 1)
        row["overhead_exact_percent"] = 100.0 * (row["bits"] / results["exact_information_bits"] - 1)
        row["encode_ns_per_symbol"] = 1e9 * row["encode_s"] / n
        row["decode_ns_per_symbol"] = 1e9 * row["decode_s"] / n
    results["model_intervals_ns_per_symbol"] = 1e9 * t_model / n
    a, c = results["coders"]
    results["overhead_difference_points"] = a["overhead_percent"] - c["overhead_percent"]
    results["family_over_fixed_encode"] = a["encode_ns_per_symbol"] / results["fixed_categorical_encode_ns_per_symbol"]
    results["family_over_fixed_decode"] = a["decode_ns_per_symbol"] / results["fixed_categorical_decode_ns_per_symbol"]
    results["round_trips_verified"] = True
    return results


def table(results) -> str:
    n = results["symbols"]
    rows = [[r["name"], f"{r['bits']:,}", f"{r['overhead_percent']:.4f} %", f"{r['overhead_exact_percent']:.4f} %",
             f"{r['encode_ns_per_symbol']:,.0f}", f"{r['decode_ns_per_symbol']:,.0f}"] for r in results["coders"]]
    rows.append(["ansedu QuantizedGaussian.intervals alone (numpy)", "", "", "",
                 f"{results['model_intervals_ns_per_symbol']:,.0f}", ""])
    rows.append(["ansedu.AnsCoder + one fixed Categorical (the coder's own cost)", "", "", "",
                 f"{results['fixed_categorical_encode_ns_per_symbol']:,.0f}",
                 f"{results['fixed_categorical_decode_ns_per_symbol']:,.0f}"])
    head = (f"QuantizedGaussian({results['range'][0]}, {results['range'][1]}) with a mean and a scale per symbol, "
            f"{n:,} symbols, precision {results['precision']}; information content "
            f"{results['quantized_information_bits']:,.0f} bits under ansedu's quantized model, "
            f"{results['exact_information_bits']:,.0f} under the exact discretized Gaussians. "
            "Round trips verified for both.")
    body = markdown_table(["coder", "bits", "overhead (quantized)", "overhead (exact)", "encode ns/symbol",
                           "decode ns/symbol"], rows)
    foot = (f"ansedu's overhead minus constriction's: {results['overhead_difference_points']:+.4f} percentage "
            "points (same reference for both). Per-symbol parameters cost "
            f"{results['family_over_fixed_encode']:.1f}x (encoding) and {results['family_over_fixed_decode']:.1f}x "
            "(decoding) the time of the same coder with one fixed model.")
    return "\n\n".join([head, body, foot])
