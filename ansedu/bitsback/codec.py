"""Codecs as (push, pop) pairs, and bits-back coding in a few lines that read like the equations.

A *codec* knows how to push data onto an ANS coder and pop it back: ``push(coder, data)`` then
``pop(coder)`` returns ``data`` and leaves the coder exactly as it was. :func:`codec` makes one
from any entropy model of the library (a fixed model and a number of symbols, or a model family
and its parameter arrays). :func:`bits_back` combines three of them into a codec for data ``x``
of a latent-variable model ``p(z) p(x | z)`` with an approximate posterior ``q(z | x)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..models.protocol import num_params

__all__ = ["Codec", "codec", "bits_back"]


@dataclass(frozen=True)
class Codec:
    """``push(coder, data)`` and ``pop(coder) -> data``, inverse to each other on any coder."""
    push: Callable
    pop: Callable


def codec(model, *args) -> Codec:
    """The codec of an entropy model: ``codec(fixed_model, n)`` codes ``n`` symbols with one
    fixed model; ``codec(family, *param_arrays)`` codes one symbol per parameter entry;
    ``codec([model_0, model_1, ...])`` codes one symbol with each model of a list."""
    if isinstance(model, (list, tuple)):
        return Codec(lambda coder, data: coder.encode_reverse(data, model),
                     lambda coder: coder.decode(model))
    if num_params(model):
        return Codec(lambda coder, data: coder.encode_reverse(data, model, *args),
                     lambda coder: coder.decode(model, *args))
    (amt,) = args
    return Codec(lambda coder, data: coder.encode_reverse(data, model),
                 lambda coder: coder.decode(model, amt))


def bits_back(prior: Codec, likelihood: Callable, posterior: Callable) -> Codec:
    """Bits-back coding with ``prior`` = p(z), ``likelihood(z)`` = p(x | z), ``posterior(x)`` = q(z | x).

    Pushing ``x`` costs ``-log2 p(z) - log2 p(x | z)`` bits and gets ``-log2 q(z | x)`` back: on
    average over ``z ~ q(z | x)`` that is the negative ELBO, and ``-log2 p(x)`` when ``q`` is the
    exact posterior. The first pop needs bits on the coder to read (initial bits).
    """
    def push(coder, x):
        z = posterior(x).pop(coder)      # decode z with q(z | x): these bits come back later
        likelihood(z).push(coder, x)     # encode x with p(x | z)
        prior.push(coder, z)             # encode z with p(z)

    def pop(coder):
        z = prior.pop(coder)             # decode z with p(z)
        x = likelihood(z).pop(coder)     # decode x with p(x | z)
        posterior(x).push(coder, z)      # encode z with q(z | x): give the bits back
        return x

    return Codec(push, pop)
