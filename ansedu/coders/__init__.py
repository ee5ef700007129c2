"""The coders, each adding one idea to the one before.

- :mod:`ansedu.coders.uniform`: :class:`UniformCoder`, a positional numeral system (a stack);
- :mod:`ansedu.coders.slow_ans`: :class:`SlowAnsCoder`, ANS as bits-back with a uniform latent;
- :mod:`ansedu.coders.streaming`: :class:`AnsCoder`, streaming ANS with a head and a bulk.

Coders know models only through the model protocol (:mod:`ansedu.models.protocol`).

Counting bits, the same in every coder:

- ``num_bits()`` is the size of everything a decoder needs, start-up cost included: the binary
  digits of the state below its leading one (``UniformCoder``, ``SlowAnsCoder``; the leading
  one is implied by the length), or ``W`` times the number of words of ``get_compressed()``
  (``AnsCoder``, whose top word is never zero);
- ``initial_bits`` is the one-off start-up cost included in ``num_bits()``: the bits the
  coder holds before the first symbol so that the first bits-back pop has something to read.
  It is ``0`` for ``UniformCoder``, ``P`` for ``SlowAnsCoder`` (its state starts at ``2^P``),
  and ``S - W`` for ``AnsCoder`` (its head starts at ``L = 2^(S-W)``) once it holds data; an
  empty ``AnsCoder`` writes no words, so it has nothing to subtract;
- ``num_bits() - initial_bits`` is what the message itself costs. It is within one bit
  (``SlowAnsCoder``: below ``I + 1``) or one word plus a tiny rounding loss per symbol
  (``AnsCoder``: at most ``I + W + n log2(1 + 2^(P+W-S))``) of the message's information
  content ``I`` under the quantized models.

Coders that start from an empty head instead (constriction's) pay no initial bits but cannot
give the first symbols' bits back: their first symbol costs up to ``P`` bits.
"""

from .slow_ans import SlowAnsCoder
from .streaming import AnsCoder, word_dtype
from .uniform import UniformCoder
from .range import RangeDecoder, RangeEncoder
from .chain import ChainCoder
from .random_access import JumpTable, encode_with_checkpoints

__all__ = ["UniformCoder", "SlowAnsCoder", "AnsCoder", "word_dtype"]
__all__ += ["RangeEncoder", "RangeDecoder", "ChainCoder", "JumpTable", "encode_with_checkpoints"]
