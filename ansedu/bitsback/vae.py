"""A small variational autoencoder for binary 8x8 images, in numpy with hand-written gradients.

Model: a latent ``z`` in R^d with prior N(0, I); a decoder network gives every pixel a probability
``p(x_i = 1 | z) = sigmoid(logits_i(z))``. The encoder network gives the approximate posterior
``q(z | x) = N(mu(x), diag(sigma(x)^2))``. Training maximizes the ELBO
``E_q[log p(x | z)] - KL(q(z | x) || p(z))`` with the reparameterization trick and Adam.

Both networks have one hidden layer (tanh). Everything is float64 and deterministic given the seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["VAE", "train_vae", "LatentBuckets", "vae_codec", "load_trained_vae"]

LN2 = np.log(2.0)


def _softplus(a):
    return np.logaddexp(0.0, a)


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


@dataclass
class VAE:
    """Weights of the encoder (``W1, b1`` to the hidden layer, ``Wm, bm`` and ``Ws, bs`` to the mean
    and log standard deviation of q) and of the decoder (``V1, c1`` to the hidden layer, ``V2, c2``
    to the pixel logits)."""
    params: dict = field(default_factory=dict)

    @property
    def latent_dim(self) -> int:
        return self.params["bm"].size

    @property
    def num_pixels(self) -> int:
        return self.params["c2"].size

    @classmethod
    def init(cls, pixels: int, hidden: int, latent: int, rng) -> "VAE":
        def w(n_in, n_out):
            return rng.normal(0, 1 / np.sqrt(n_in), size=(n_in, n_out))
        return cls({"W1": w(pixels, hidden), "b1": np.zeros(hidden),
                    "Wm": w(hidden, latent), "bm": np.zeros(latent),
                    "Ws": w(hidden, latent) * 0.1, "bs": np.full(latent, -1.0),
                    "V1": w(latent, hidden), "c1": np.zeros(hidden),
                    "V2": w(hidden, pixels), "c2": np.zeros(pixels)})

    # -- the two networks ------------------------------------------------------------------------

    def encode(self, x):
        """``(mu, log_sigma)`` of q(z | x) for images ``x`` (n, D)."""
        p = self.params
        h = np.tanh(x @ p["W1"] + p["b1"])
        return h @ p["Wm"] + p["bm"], h @ p["Ws"] + p["bs"]

    def logits(self, z):
        """Pixel logits of p(x | z) for latents ``z`` (n, d)."""
        p = self.params
        return np.tanh(z @ p["V1"] + p["c1"]) @ p["V2"] + p["c2"]

    def pixel_probabilities(self, z):
        return _sigmoid(self.logits(z))

    # -- the ELBO ----------------------------------------------------------------------------------

    def negative_elbo(self, x, rng, samples: int = 1) -> np.ndarray:
        """A Monte Carlo estimate of ``-ELBO`` of every image, in bits."""
        x = np.asarray(x, dtype=float)
        mu, log_sigma = self.encode(x)
        kl = 0.5 * (mu**2 + np.exp(2 * log_sigma) - 1 - 2 * log_sigma).sum(axis=1)
        rec = 0.0
        for _ in range(samples):
            z = mu + np.exp(log_sigma) * rng.standard_normal(mu.shape)
            a = self.logits(z)
            rec = rec + (_softplus(a) - x * a).sum(axis=1)
        return (rec / samples + kl) / LN2

    def loss_and_gradients(self, x, eps):
        """Mean ``-ELBO`` (nats) of a batch with noise ``eps``, and its gradient for every weight."""
        p = self.params
        n = len(x)
        h = np.tanh(x @ p["W1"] + p["b1"])
        mu, log_sigma = h @ p["Wm"] + p["bm"], h @ p["Ws"] + p["bs"]
        sigma = np.exp(log_sigma)
        z = mu + sigma * eps
        g = np.tanh(z @ p["V1"] + p["c1"])
        a = g @ p["V2"] + p["c2"]
        rec = (_softplus(a) - x * a).sum()
        kl = 0.5 * (mu**2 + sigma**2 - 1 - 2 * log_sigma).sum()
        loss = (rec + kl) / n
        # Backward pass, layer by layer (d/d of the batch mean).
        da = (_sigmoid(a) - x) / n
        grads = {"V2": g.T @ da, "c2": da.sum(0)}
        dg = da @ p["V2"].T * (1 - g**2)
        grads["V1"], grads["c1"] = z.T @ dg, dg.sum(0)
        dz = dg @ p["V1"].T
        dmu = dz + mu / n
        dlog_sigma = dz * eps * sigma + (sigma**2 - 1) / n
        grads["Wm"], grads["bm"] = h.T @ dmu, dmu.sum(0)
        grads["Ws"], grads["bs"] = h.T @ dlog_sigma, dlog_sigma.sum(0)
        dh = (dmu @ p["Wm"].T + dlog_sigma @ p["Ws"].T) * (1 - h**2)
        grads["W1"], grads["b1"] = x.T @ dh, dh.sum(0)
        return loss, grads

    def save(self, path) -> None:
        np.savez(path, **self.params)

    @classmethod
    def load(cls, path) -> "VAE":
        """Weights saved by :meth:`save`, checked; a clear error for a missing or broken file."""
        import zipfile
        from pathlib import Path

        from ..errors import ModelError
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no trained VAE at {path}: run `python -m ansedu.bitsback.train vae`")
        try:
            with np.load(path) as f:
                params = {k: np.array(f[k], dtype=float) for k in _SHAPES}
        except (KeyError, ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise ModelError(f"{path} is not a saved VAE ({exc}): retrain it with "
                             "`python -m ansedu.bitsback.train vae`") from None
        pixels, hidden, latent = params["W1"].shape[0], params["W1"].shape[1], params["bm"].size
        for k, shape in _SHAPES.items():
            want = tuple({"D": pixels, "H": hidden, "d": latent}[s] for s in shape)
            if params[k].shape != want or not np.all(np.isfinite(params[k])):
                raise ModelError(f"{path}: weight {k} has shape {params[k].shape} (expected {want}) or is "
                                 "not finite: the file is corrupted; retrain with `python -m ansedu.bitsback.train vae`")
        return cls(params)


#: The shape of every weight: D pixels, H hidden units, d latent dimensions.
_SHAPES = {"W1": "DH", "b1": "H", "Wm": "Hd", "bm": "d", "Ws": "Hd", "bs": "d",
           "V1": "dH", "c1": "H", "V2": "HD", "c2": "D"}


def train_vae(x, *, hidden: int = 64, latent: int = 8, epochs: int = 300, batch: int = 64,
              learning_rate: float = 3e-3, weight_decay: float = 0.0, seed: int = 0, progress=None) -> VAE:
    """Train a VAE on binary images ``x`` (n, D) with Adam (and decoupled weight decay, which keeps
    a network this size from memorizing 1,438 training images); deterministic given ``seed``."""
    x = np.asarray(x, dtype=float)
    rng = np.random.default_rng(seed)
    vae = VAE.init(x.shape[1], hidden, latent, rng)
    m = {k: np.zeros_like(v) for k, v in vae.params.items()}
    v = {k: np.zeros_like(w) for k, w in vae.params.items()}
    b1, b2, step = 0.9, 0.999, 0
    for epoch in range(epochs):
        # Cosine decay of the step size: large steps early, small ones to settle at the end.
        rate = 0.5 * learning_rate * (1 + np.cos(np.pi * epoch / epochs))
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch):
            xb = x[order[start:start + batch]]
            eps = rng.standard_normal((len(xb), latent))
            _, grads = vae.loss_and_gradients(xb, eps)
            step += 1
            for k, gk in grads.items():
                m[k] = b1 * m[k] + (1 - b1) * gk
                v[k] = b2 * v[k] + (1 - b2) * gk**2
                vae.params[k] -= rate * ((m[k] / (1 - b1**step)) / (np.sqrt(v[k] / (1 - b2**step)) + 1e-8)
                                         + weight_decay * vae.params[k])
        if progress is not None:
            progress(epoch)
    return vae


# -- bits-back coding with the VAE: discretized latents ------------------------------------------

class LatentBuckets:
    """A continuous latent dimension with prior N(0, 1), cut into ``2^bits`` buckets of equal prior
    mass. Under the prior every bucket is equally likely (exactly ``2^-bits``); a posterior
    ``N(mu, sigma^2)`` gives bucket ``j`` the mass it has between the bucket's edges; the decoder
    network is fed the bucket's centre (the prior's median within the bucket)."""

    def __init__(self, bits: int):
        from statistics import NormalDist
        if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 16:
            raise ValueError(f"latent precision must be a whole number of bits from 1 to 16, got {bits!r}")
        self.bits, self.count = bits, 1 << bits
        normal = NormalDist()
        inner = [normal.inv_cdf(j / self.count) for j in range(1, self.count)]
        self.edges = np.array([-np.inf, *inner, np.inf])
        self.centres = np.array([normal.inv_cdf((j + 0.5) / self.count) for j in range(self.count)])

    def posterior_masses(self, mu, sigma) -> np.ndarray:
        """Probabilities of every bucket under N(mu, sigma^2), for arrays ``mu``, ``sigma`` of shape
        (d,): shape (d, 2^bits). Tiny buckets far in the tails get exactly 0 here; the entropy
        model's leaky quantization still gives them a slot."""
        from math import erf
        t = (self.edges[None, :] - np.asarray(mu)[:, None]) / (np.asarray(sigma)[:, None] * np.sqrt(2.0))
        cdf = 0.5 * (1.0 + np.frompyfunc(erf, 1, 1)(t).astype(float))
        return np.diff(cdf, axis=1)


def vae_codec(vae: VAE, latent_bits: int = 8, precision: int = 24):
    """Bits-back coding of one binary image with ``vae``:

    - prior ``p(z)``: every latent dimension uniform over its ``2^latent_bits`` equal-mass buckets;
    - likelihood ``p(x | z)``: one Bernoulli per pixel, with the decoder's probabilities at the
      buckets' centres;
    - posterior ``q(z | x)``: the encoder's Gaussian, its mass per bucket, one categorical per dimension.
    """
    from ..models.bernoulli import Bernoulli
    from ..models.categorical import Uniform
    from ..models.families import CategoricalTable
    from .codec import bits_back, codec

    if latent_bits > precision:
        raise ValueError(f"latent precision {latent_bits} bits exceeds the coder's precision {precision}")
    buckets = LatentBuckets(latent_bits)
    pixels, table = Bernoulli(precision), CategoricalTable(precision)
    prior = codec(Uniform(buckets.count, precision=precision), vae.latent_dim)

    def likelihood(z):
        return codec(pixels, vae.pixel_probabilities(buckets.centres[np.asarray(z)][None])[0])

    def posterior(x):
        mu, log_sigma = vae.encode(np.asarray(x, dtype=float)[None])
        return codec(table, buckets.posterior_masses(mu[0], np.exp(log_sigma[0])))

    return bits_back(prior, likelihood, posterior)


def load_trained_vae() -> VAE:
    """The VAE trained on the digits' training split that ships with ansedu (``python -m
    ansedu.bitsback.train vae`` reproduces it)."""
    from pathlib import Path
    return VAE.load(Path(__file__).with_name("params") / "vae_binary.npz")
