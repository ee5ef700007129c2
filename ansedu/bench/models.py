"""Benchmark section ``models`` (part II): per-symbol model families, the range coder and adaptive
text models, each beside its reference, measured side by side in one run.

    python -m ansedu.bench models [--symbols 1000000] [--repeat 3] [--seed 0] [--json]

Each part lives in its own module with ``add_arguments(parser)``, ``measure(args) -> dict`` (which
verifies every round trip and raises if one fails) and ``table(results) -> str``.
"""

from __future__ import annotations

import importlib

from ._common import emit, environment, progress, section_parser

#: The parts of this section, in the order they are printed.
PARTS = [
    ("families", "ansedu.bench._families"),  # QuantizedGaussian with per-symbol parameters vs constriction
    ("range", "ansedu.bench._range"),  # RangeEncoder/RangeDecoder vs constriction's
    ("text", "ansedu.bench._text"),  # adaptive context models on real text vs gzip, bz2, lzma
]


def main(argv=None) -> int:
    parser = section_parser("models", __doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=[name for name, _ in PARTS], action="append",
                        help="run only this part (may be repeated)")
    modules = [(name, importlib.import_module(path)) for name, path in PARTS]
    for _, module in modules:
        module.add_arguments(parser)
    args = parser.parse_args(argv)
    results, text = {"section": "models", "environment": environment()}, []
    for name, module in modules:
        if args.only and name not in args.only:
            continue
        progress(f"measuring {name} ...")
        results[name] = module.measure(args)
        text.append(module.table(results[name]))
    emit(results, args.json, "\n\n".join(text))
    return 0
