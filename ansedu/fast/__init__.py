"""Part IV: fast ANS. A compiled streaming coder (numba, optional) and interleaved lanes in numpy."""

from .compiled import HAVE_NUMBA, CompiledAnsCoder

__all__ = ["CompiledAnsCoder", "HAVE_NUMBA"]
from .interleaved import FamilyLookup, InterleavedAnsCoder, SlotLookup, choose_lanes, flush_cost, vector_lookup

__all__ += ["FamilyLookup", "InterleavedAnsCoder", "SlotLookup", "choose_lanes", "flush_cost", "vector_lookup"]
from .tans import TansCoder

__all__ += ["TansCoder"]
from .range import CompiledRangeDecoder, CompiledRangeEncoder

__all__ += ["CompiledRangeEncoder", "CompiledRangeDecoder"]
