"""Retrain the part III models on the training split and save their parameters.

    python -m ansedu.bitsback.train mixture [--components 40] [--iterations 100] [--seed 0] [--out PATH]

The trained parameters ship with ansedu (``ansedu/bitsback/params/``), so chapters and tests
never train at build time; this command reproduces them exactly (training is deterministic
given the seed) and reports the test split's rate.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..data.digits import load_digits
from .mixture import train_bernoulli_mixture

PARAMS = Path(__file__).with_name("params")
MIXTURE_FILE = PARAMS / "bernoulli_mixture.npz"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ansedu.bitsback.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("model", choices=["mixture"], help="which model to train")
    parser.add_argument("--components", type=int, default=40, help="mixture components (default 40)")
    parser.add_argument("--iterations", type=int, default=100, help="EM iterations (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=MIXTURE_FILE, help=f"where to save (default {MIXTURE_FILE})")
    args = parser.parse_args(argv)
    if args.components < 1 or args.iterations < 1:
        parser.error("--components and --iterations must be at least 1")
    train, test = load_digits("train"), load_digits("test")
    start = time.perf_counter()
    model = train_bernoulli_mixture(train.images, args.components, iterations=args.iterations, seed=args.seed)
    seconds = time.perf_counter() - start
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    rate = model.information_content(test.images).mean() / test.images.shape[1]
    print(f"trained a {args.components}-component Bernoulli mixture in {seconds:.1f} s; "
          f"test split: -log2 p(x) = {rate:.4f} bits/pixel; saved to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
