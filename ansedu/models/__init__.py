"""Entropy models, kept separate from the coders.

- :mod:`ansedu.models.protocol`: the few members a coder asks of a model (``precision``,
  ``interval``, ``lookup``, optionally ``num_params`` and ``intervals``);
- :mod:`ansedu.models.categorical`: fixed tables of integer masses (:class:`EntropyModel`),
  :class:`Categorical` (leaky, KL-optimal quantization) and :class:`Uniform`;
- :mod:`ansedu.models.bernoulli`: :class:`Bernoulli`, binary symbols with a probability per entry;
- :mod:`ansedu.models.families`: model families with per-symbol parameters
  (:class:`QuantizedGaussian`, :class:`QuantizedLaplace`, :class:`QuantizedLogistic`, :class:`CategoricalTable`).
"""

from .bernoulli import Bernoulli
from .categorical import (MAX_PRECISION, Categorical, EntropyModel, Uniform, check_precision,
                          quantize_probabilities)
from .families import CategoricalTable, QuantizedGaussian, QuantizedLaplace, QuantizedLogistic
from .protocol import is_model, num_params

__all__ = ["Bernoulli", "EntropyModel", "Categorical", "Uniform", "quantize_probabilities", "check_precision",
           "MAX_PRECISION", "is_model", "num_params"]
__all__ += ["QuantizedGaussian", "QuantizedLaplace", "QuantizedLogistic", "CategoricalTable"]
