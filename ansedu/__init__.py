"""ansedu: entropy coding with Asymmetric Numeral Systems, step by step.

The layout follows the course:

- :mod:`ansedu.information`: information content, entropy, cross entropy, KL divergence;
- :mod:`ansedu.symbol_codes`: Huffman codes and the Kraft sum (and their overhead);
- :mod:`ansedu.coders`: the coders, each adding one idea to the one before
  (:class:`UniformCoder` -> :class:`SlowAnsCoder` -> :class:`AnsCoder`);
- :mod:`ansedu.models`: entropy models (:class:`Categorical`, :class:`Uniform`), quantized to
  integers and kept separate from the coders by a small protocol;
- :mod:`ansedu.bitsback`: bits-back coding with latent-variable models (codecs, chains, a mixture);
- :mod:`ansedu.data`: data that ships with the course (the 8x8 digits);
- :mod:`ansedu.bench`: benchmarks beside reference implementations (``python -m ansedu.bench``).

Everything a chapter or problem set needs is importable from here: ``from ansedu import ...``.
"""

from .coders import AnsCoder, SlowAnsCoder, UniformCoder, word_dtype
from .coders import ChainCoder, JumpTable, RangeDecoder, RangeEncoder, encode_with_checkpoints
from .errors import (AnseduError, ConfigError, DecodeError, InvariantError, ModelError,
                     SymbolError, WordTypeError)
from .information import cross_entropy, entropy, information_content, kl_divergence
from .models import Bernoulli, Categorical, EntropyModel, Uniform, quantize_probabilities
from .models import CategoricalTable, QuantizedGaussian, QuantizedLaplace, QuantizedLogistic
from .models import AdaptiveCategorical, ContextModel, decode_adaptive, encode_adaptive
from .data import load_text
from .fast import CompiledAnsCoder, HAVE_NUMBA, InterleavedAnsCoder, TansCoder, choose_lanes
from .fast import CompiledRangeDecoder, CompiledRangeEncoder
from .symbol_codes import HuffmanCode, expected_length, kraft_sum

__version__ = "0.1.0"

__all__ = [
    "information_content", "entropy", "cross_entropy", "kl_divergence",
    "HuffmanCode", "kraft_sum", "expected_length",
    "UniformCoder", "SlowAnsCoder", "AnsCoder", "word_dtype",
    "EntropyModel", "Categorical", "Uniform", "quantize_probabilities", "Bernoulli",
    "AnseduError", "ModelError", "SymbolError", "DecodeError", "ConfigError", "WordTypeError",
    "InvariantError",
]
__all__ += ["RangeEncoder", "RangeDecoder", "ChainCoder", "JumpTable", "encode_with_checkpoints"]
__all__ += ["QuantizedGaussian", "QuantizedLaplace", "QuantizedLogistic", "CategoricalTable"]
__all__ += ["AdaptiveCategorical", "ContextModel", "encode_adaptive", "decode_adaptive", "load_text"]
__all__ += ["CompiledAnsCoder", "HAVE_NUMBA"]
__all__ += ["InterleavedAnsCoder", "choose_lanes"]
__all__ += ["TansCoder"]
__all__ += ["CompiledRangeEncoder", "CompiledRangeDecoder"]
