"""ansedu: entropy coding with Asymmetric Numeral Systems, step by step.

Each module is one idea of the course, and each coder builds on the one before:

- :mod:`ansedu.information`: information content, entropy, cross entropy, KL divergence;
- :mod:`ansedu.symbol_codes`: Huffman codes and the Kraft sum (and their overhead);
- :mod:`ansedu.uniform`: :class:`UniformCoder`, a positional numeral system (a stack);
- :mod:`ansedu.slow_ans`: :class:`SlowAnsCoder`, ANS as bits-back with a uniform latent;
- :mod:`ansedu.streaming`: :class:`AnsCoder`, streaming ANS with a head and a bulk;
- :mod:`ansedu.models`: entropy models (:class:`Categorical`, :class:`Uniform`),
  quantized to integers, kept separate from the coders.
"""

from .errors import (AnseduError, ConfigError, DecodeError, InvariantError, ModelError,
                     SymbolError, WordTypeError)
from .information import cross_entropy, entropy, information_content, kl_divergence
from .models import Categorical, EntropyModel, Uniform, quantize_probabilities
from .slow_ans import SlowAnsCoder
from .streaming import AnsCoder, word_dtype
from .symbol_codes import HuffmanCode, expected_length, kraft_sum
from .uniform import UniformCoder

__version__ = "0.1.0"

__all__ = [
    "information_content", "entropy", "cross_entropy", "kl_divergence",
    "HuffmanCode", "kraft_sum", "expected_length",
    "UniformCoder", "SlowAnsCoder", "AnsCoder", "word_dtype",
    "EntropyModel", "Categorical", "Uniform", "quantize_probabilities",
    "AnseduError", "ModelError", "SymbolError", "DecodeError", "ConfigError", "WordTypeError",
    "InvariantError",
]
