"""The coders, each adding one idea to the one before.

- :mod:`ansedu.coders.uniform`: :class:`UniformCoder`, a positional numeral system (a stack);
- :mod:`ansedu.coders.slow_ans`: :class:`SlowAnsCoder`, ANS as bits-back with a uniform latent;
- :mod:`ansedu.coders.streaming`: :class:`AnsCoder`, streaming ANS with a head and a bulk.

Coders know models only through the model protocol (:mod:`ansedu.models.protocol`).
"""

from .slow_ans import SlowAnsCoder
from .streaming import AnsCoder, word_dtype
from .uniform import UniformCoder
from .range import RangeDecoder, RangeEncoder
from .chain import ChainCoder
from .random_access import JumpTable, encode_with_checkpoints

__all__ = ["UniformCoder", "SlowAnsCoder", "AnsCoder", "word_dtype"]
__all__ += ["RangeEncoder", "RangeDecoder", "ChainCoder", "JumpTable", "encode_with_checkpoints"]
