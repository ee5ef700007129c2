"""Entropy models, kept separate from the coders.

- :mod:`ansedu.models.protocol`: the few members a coder asks of a model (``precision``,
  ``interval``, ``lookup``, optionally ``num_params`` and ``intervals``);
- :mod:`ansedu.models.categorical`: fixed tables of integer masses (:class:`EntropyModel`),
  :class:`Categorical` (leaky, KL-optimal quantization) and :class:`Uniform`;
- :mod:`ansedu.models.bernoulli`: :class:`Bernoulli`, binary symbols with a probability per entry;
- :mod:`ansedu.models.families`: model families with per-symbol parameters
  (:class:`QuantizedGaussian`, :class:`QuantizedLaplace`, :class:`QuantizedLogistic`, :class:`CategoricalTable`);
- :mod:`ansedu.models.adaptive`: :class:`AdaptiveCategorical` (counts that learn, O(log n) per
  symbol) and the drivers :func:`encode_adaptive` / :func:`decode_adaptive` (stack and queue coders);
- :mod:`ansedu.models.context`: :class:`ContextModel`, an order-k model of bytes (binary decomposition);
- :mod:`ansedu.models.match`: :class:`MatchModel`, the context model with a match model for long
  repeats (the full coder's model).
"""

from .bernoulli import Bernoulli
from .categorical import (MAX_PRECISION, Categorical, EntropyModel, Uniform, check_precision,
                          quantize_probabilities)
from .families import CategoricalTable, QuantizedGaussian, QuantizedLaplace, QuantizedLogistic
from .protocol import is_model, num_params
from .adaptive import AdaptiveCategorical, RecordedIntervals, decode_adaptive, encode_adaptive
from .context import ContextModel
from .match import MatchModel

__all__ = ["Bernoulli", "EntropyModel", "Categorical", "Uniform", "quantize_probabilities", "check_precision",
           "MAX_PRECISION", "is_model", "num_params"]
__all__ += ["QuantizedGaussian", "QuantizedLaplace", "QuantizedLogistic", "CategoricalTable"]
__all__ += ["AdaptiveCategorical", "RecordedIntervals", "encode_adaptive", "decode_adaptive", "ContextModel",
            "MatchModel"]
