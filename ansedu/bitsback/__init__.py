"""Bits-back coding with latent-variable models (part III).

- :mod:`ansedu.bitsback.codec`: codecs as (push, pop) pairs, and :func:`bits_back`, which builds
  the codec of a latent-variable model from its prior, likelihood and approximate posterior;
- :mod:`ansedu.bitsback.chain`: a whole data set coded in one chain on one AnsCoder, with the
  initial bits and each data point's net bits counted;
- :mod:`ansedu.bitsback.mixture`: a mixture of Bernoullis trained with EM (exact posterior);
- :mod:`ansedu.bitsback.vae`: a small VAE in numpy (approximate posterior, discretized latents);
- :mod:`ansedu.bitsback.train`: the command that retrains the shipped parameters.
"""

from .chain import ChainResult, bits_held, decode_chain, encode_chain, initial_words
from .codec import Codec, bits_back, codec
from .mixture import BernoulliMixture, load_trained_mixture, mixture_codec, train_bernoulli_mixture
from .vae import VAE, LatentBuckets, load_trained_vae, train_vae, vae_codec

__all__ = ["Codec", "codec", "bits_back", "ChainResult", "encode_chain", "decode_chain", "initial_words",
           "bits_held", "BernoulliMixture", "train_bernoulli_mixture", "mixture_codec", "load_trained_mixture",
           "VAE", "train_vae", "LatentBuckets", "vae_codec", "load_trained_vae"]
