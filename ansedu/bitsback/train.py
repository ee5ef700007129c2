"""Retrain the part III models on the training split and save their parameters.

    python -m ansedu.bitsback.train mixture [--seed 0] [--out PATH]
    python -m ansedu.bitsback.train vae [--seed 0] [--out PATH]

The trained parameters ship with ansedu (``ansedu/bitsback/params/``), so chapters and tests
never train at build time; this command reproduces them (training is deterministic given the
seed, up to the last bits of floating-point sums on another machine) and reports the test
split's rate. The settings are those of the shipped files; see ``--help`` of each model.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from ..data.digits import load_digits

PARAMS = Path(__file__).with_name("params")
MIXTURE_FILE = PARAMS / "bernoulli_mixture.npz"
VAE_FILE = PARAMS / "vae_binary.npz"

#: The settings of the shipped VAE (chosen on the training split's own held-out part; see chapter 13).
VAE_SETTINGS = dict(hidden=96, latent=12, epochs=1200, learning_rate=5e-3, weight_decay=5e-2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ansedu.bitsback.train", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="model", required=True)
    mixture = sub.add_parser("mixture", help="a mixture of Bernoullis, trained with EM")
    mixture.add_argument("--components", type=int, default=40, help="mixture components (default 40)")
    mixture.add_argument("--iterations", type=int, default=100, help="EM iterations (default 100)")
    mixture.add_argument("--out", type=Path, default=MIXTURE_FILE, help=f"where to save (default {MIXTURE_FILE})")
    vae = sub.add_parser("vae", help="a small VAE with a Bernoulli likelihood, trained with Adam")
    vae.add_argument("--epochs", type=int, default=VAE_SETTINGS["epochs"])
    vae.add_argument("--out", type=Path, default=VAE_FILE, help=f"where to save (default {VAE_FILE})")
    for p in (mixture, vae):
        p.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    train, test = load_digits("train"), load_digits("test")
    start = time.perf_counter()
    if args.model == "mixture":
        from .mixture import train_bernoulli_mixture
        if args.components < 1 or args.iterations < 1:
            parser.error("--components and --iterations must be at least 1")
        model = train_bernoulli_mixture(train.images, args.components, iterations=args.iterations, seed=args.seed)
        rate, what = model.information_content(test.images).mean() / 64, "-log2 p(x)"
    else:
        from .vae import train_vae
        if args.epochs < 1:
            parser.error("--epochs must be at least 1")
        settings = dict(VAE_SETTINGS, epochs=args.epochs)
        model = train_vae(train.images, seed=args.seed, **settings)
        rate, what = model.negative_elbo(test.images, np.random.default_rng(0), samples=20).mean() / 64, "-ELBO"
    seconds = time.perf_counter() - start
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    print(f"trained the {args.model} in {seconds:.1f} s; test split: {what} = {rate:.4f} bits/pixel; "
          f"saved to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
