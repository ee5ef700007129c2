"""Benchmarks beside reference implementations, one section per part of the course.

    python -m ansedu.bench SECTION [options] [--json]

Each section measures its figures side by side in one run, verifies every round trip,
and prints tables (or, with ``--json``, the same figures as JSON). ``python -m ansedu.bench``
alone lists the sections; ``python -m ansedu.bench SECTION --help`` explains one.
"""

from __future__ import annotations

import importlib
import sys

#: section name -> (module, one line on what it measures)
SECTIONS = {
    "core": ("ansedu.bench.core", "streaming ANS (pure Python) beside constriction on a categorical message"),
    "models": ("ansedu.bench.models", "model families, the range coder and adaptive text models (part II)"),
    "fast": ("ansedu.bench.fast", "compiled, interleaved and cached ANS beside constriction and zlib/bz2/lzma (part IV)"),
    "bitsback": ("ansedu.bench.bitsback", "bits-back ANS with latent-variable models on the test digits (part III)"),
    "fullcoder": ("ansedu.bench.fullcoder", "ansedu compress beside gzip, bzip2, xz and PPMd on text, source code, a binary (part V)"),
}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip() + "\n\nSections:")
        for name, (_, what) in SECTIONS.items():
            print(f"  {name:<10} {what}")
        return 0
    name = argv[0]
    if name not in SECTIONS:
        print(f"unknown section {name!r}; the sections are: {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    module = importlib.import_module(SECTIONS[name][0])
    return module.main(argv[1:])
