"""A tiny model family for the coders' tests (``num_params = 1``), so that the family path of
the model protocol is tested without depending on the quantized families of ansedu.models.

``Peaked(num_symbols, precision)(peak)``: symbol ``peak`` gets half of the ``2^P`` slots, the
other symbols share the rest evenly (the first ones get the remainder), every symbol at
least one slot. The parameter is a float that must hold a whole number in range.
"""

from ansedu import SymbolError
from ansedu.errors import ModelError


class Peaked:
    num_params = 1

    def __init__(self, num_symbols: int, precision: int):
        if not 2 <= num_symbols <= 2 ** (precision - 1) + 1:
            raise ModelError("Peaked needs 2 <= num_symbols <= 2^(P-1) + 1")
        self.num_symbols, self.precision = num_symbols, precision

    def masses(self, peak):
        peak = int(peak)
        if not (peak == float(peak) and 0 <= peak < self.num_symbols):
            raise ModelError(f"peak {peak} is not a symbol")
        half = 1 << (self.precision - 1)
        base, extra = divmod(half, self.num_symbols - 1)
        rest = [base + (i < extra) for i in range(self.num_symbols - 1)]
        return rest[:peak] + [half] + rest[peak:]

    def interval(self, x, peak):
        masses = self.masses(peak)
        if not (isinstance(x, int) and 0 <= x < self.num_symbols):
            raise SymbolError(f"symbol {x} is outside 0..{self.num_symbols - 1}")
        return sum(masses[:x]), masses[x]

    def lookup(self, slot, peak):
        c = 0
        for x, m in enumerate(self.masses(peak)):
            if slot < c + m:
                return x, c, m
            c += m
        raise ValueError(f"slot {slot} is outside 0 .. 2^{self.precision} - 1")
