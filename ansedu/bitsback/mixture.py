"""A mixture of Bernoullis for binary images, trained with EM: the latent-variable model whose
exact posterior bits-back coding can use.

Model: a component ``z`` from ``p(z) = weights[z]``, then every pixel ``i`` independently 1 with
probability ``p(x_i = 1 | z) = theta[z, i]``. The posterior over the component is exact and cheap,

    p(z | x) = p(z) p(x | z) / p(x),    p(x) = sum_z p(z) p(x | z),

so bits-back coding with it costs ``-log2 p(x)`` bits per image on average (chapter 12).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelError, SymbolError

__all__ = ["BernoulliMixture", "train_bernoulli_mixture", "mixture_codec", "load_trained_mixture"]

#: The mixture trained on the training split that ships with ansedu (40 components, EM, seed 0).
TRAINED = Path(__file__).with_name("params") / "bernoulli_mixture.npz"


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    top = a.max(axis=axis, keepdims=True)
    return (top + np.log(np.exp(a - top).sum(axis=axis, keepdims=True))).squeeze(axis)


@dataclass(frozen=True)
class BernoulliMixture:
    """Mixture weights ``weights`` (K,) and pixel probabilities ``theta`` (K, D), in float64."""
    weights: np.ndarray
    theta: np.ndarray

    def __post_init__(self):
        w, t = np.asarray(self.weights, dtype=float), np.asarray(self.theta, dtype=float)
        if w.ndim != 1 or t.ndim != 2 or t.shape[0] != w.size or w.size == 0:
            raise ModelError(f"weights must have shape (K,) and theta (K, D); got {w.shape} and {t.shape}")
        if not (np.all(np.isfinite(w)) and np.all(w > 0) and abs(w.sum() - 1) < 1e-9):
            raise ModelError("weights must be positive and sum to 1")
        if not (np.all(np.isfinite(t)) and np.all((t > 0) & (t < 1))):
            raise ModelError("theta must lie strictly between 0 and 1 (every image must stay possible)")
        object.__setattr__(self, "weights", w)
        object.__setattr__(self, "theta", t)

    @property
    def num_components(self) -> int:
        return self.weights.size

    @property
    def num_pixels(self) -> int:
        return self.theta.shape[1]

    def check_images(self, x) -> np.ndarray:
        """``x`` as a (n, D) uint8 array of 0/1 pixels, or a ValueError naming the problem."""
        x = np.asarray(x)
        x = x[None] if x.ndim == 1 else x
        if x.ndim != 2 or x.shape[1] != self.num_pixels:
            raise SymbolError(f"images must have {self.num_pixels} pixels each (shape (n, {self.num_pixels})), "
                             f"got shape {x.shape}")
        bad = np.argwhere((x != 0) & (x != 1))
        if bad.size:
            i, j = bad[0]
            raise SymbolError(f"pixel {j} of image {i} is {x[i, j].item()!r}: this model is for binary images (0 or 1)")
        return x.astype(np.uint8)

    def log_joint(self, x) -> np.ndarray:
        """``ln p(z) + ln p(x | z)`` for every image and component, shape (n, K), in nats."""
        x = self.check_images(x).astype(float)
        return (np.log(self.weights) + x @ np.log(self.theta).T + (1 - x) @ np.log1p(-self.theta).T)

    def posterior(self, x) -> np.ndarray:
        """The exact posterior ``p(z | x)``, shape (n, K)."""
        lj = self.log_joint(x)
        return np.exp(lj - _logsumexp(lj, axis=1)[:, None])

    def information_content(self, x) -> np.ndarray:
        """``-log2 p(x)`` of every image, in bits."""
        return -_logsumexp(self.log_joint(x), axis=1) / np.log(2)

    def save(self, path) -> None:
        np.savez(path, weights=self.weights, theta=self.theta)

    @classmethod
    def load(cls, path) -> "BernoulliMixture":
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no trained mixture at {path}: run `python -m ansedu.bitsback.train mixture`")
        try:
            with np.load(path) as f:
                return cls(f["weights"], f["theta"])
        except (KeyError, ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise ModelError(f"{path} is not a saved BernoulliMixture ({exc}): retrain it with "
                             "`python -m ansedu.bitsback.train mixture`") from None


def train_bernoulli_mixture(x, num_components: int, *, iterations: int = 100, seed: int = 0,
                            pseudo_count: float = 1.0) -> BernoulliMixture:
    """Fit a mixture of Bernoullis to binary images ``x`` (n, D) with EM, deterministically.

    E step: responsibilities ``r[n, k] = p(z = k | x_n)``. M step: maximum a posteriori estimates
    with ``pseudo_count`` added to every count (a Beta/Dirichlet prior), which keeps every
    ``theta`` strictly inside (0, 1), so that no test image gets probability zero.
    Starts from random responsibilities drawn with ``seed``.
    """
    x = np.asarray(x, dtype=float)
    n, _ = x.shape
    rng = np.random.default_rng(seed)
    r = rng.dirichlet(np.ones(num_components), size=n)
    a = pseudo_count
    for _ in range(iterations):
        counts = r.sum(axis=0)
        weights = (counts + a) / (n + a * num_components)
        theta = (r.T @ x + a) / (counts[:, None] + 2 * a)
        model = BernoulliMixture(weights, theta)
        lj = model.log_joint(x.astype(np.uint8))
        r = np.exp(lj - _logsumexp(lj, axis=1)[:, None])
    return model


def load_trained_mixture() -> BernoulliMixture:
    """The 40-component mixture trained on the digits' training split (``python -m
    ansedu.bitsback.train mixture`` reproduces it)."""
    return BernoulliMixture.load(TRAINED)


def mixture_codec(mixture: BernoulliMixture, precision: int = 24):
    """Bits-back coding of one binary image with ``mixture`` and its exact posterior:

    - prior ``p(z)``: the mixture weights, quantized;
    - likelihood ``p(x | z)``: one Bernoulli per pixel with probabilities ``theta[z]``;
    - posterior ``q(z | x) = p(z | x)``, exact, computed from the image being coded.
    """
    from ..models.bernoulli import Bernoulli
    from ..models.categorical import Categorical
    from .codec import bits_back, codec

    pixels = Bernoulli(precision)
    prior = codec(Categorical(mixture.weights, precision=precision), 1)
    return bits_back(
        prior,
        likelihood=lambda z: codec(pixels, mixture.theta[int(z[0])]),
        posterior=lambda x: codec(Categorical(mixture.posterior(x)[0], precision=precision), 1),
    )
