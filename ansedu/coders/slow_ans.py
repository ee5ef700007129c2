"""ANS as bits-back coding with a uniform latent variable, on one big integer.

Quantize a model to precision ``P``: symbol ``x`` owns ``m(x)`` of the ``2^P``
slots, starting at slot ``c(x)``. Read this as a latent-variable model:

- latent ``z``: a slot, uniform on ``0 .. 2^P - 1``, so ``p(z) = 2^-P``;
- likelihood ``p(x | z)``: ``x`` is the symbol that owns slot ``z`` (probability 1);
- posterior ``p(z | x)``: uniform on the ``m(x)`` slots of ``x``.

Its marginal is ``p(x) = m(x) / 2^P``, our quantized model. Bits-back coding of
``x`` (pop ``z`` with the posterior, push ``x`` given ``z``, push ``z`` with the
prior) costs ``-log2 m(x) + 0 + P = -log2 p(x)`` bits: the information content.
The pop rounds (``N div m`` is not ``N / m``), so a whole message costs its
information content up to a fraction of a bit either way: ``num_bits() - initial_bits``
is always below the information content plus one. On a Python integer this is correct but slow: every step copies a
number as long as the whole message, so a message of ``n`` symbols takes time
quadratic in ``n``. :class:`~ansedu.coders.streaming.AnsCoder` fixes that.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DecodeError
from ..models.categorical import check_precision
from ..models.protocol import decoding_lookup, encoding_interval_arrays, reversed_chunks
from .uniform import UniformCoder

__all__ = ["SlowAnsCoder"]


class SlowAnsCoder:
    """ANS on a :class:`~ansedu.coders.uniform.UniformCoder`, written as the three steps of bits-back.

    The empty coder holds *initial bits*: one zero slot pushed in base ``2^P``, so
    ``state = 2^P``. The first bits-back pop needs something to pop from; these
    ``initial_bits = P`` bits are lent to it. A decoder needs them too (it ends on them), so
    :meth:`num_bits` counts them, and ``num_bits() - initial_bits`` is the message's own cost.

    Invariant: ``stack.state >= 2^P``. Encoding keeps it (it pops in base
    ``m(x) <= 2^P`` from at least ``2^P``, then pushes in base ``2^P``). A decode that
    would break it is reading bits that were never written: it raises
    :class:`DecodeError` and leaves the coder as it was.
    """

    def __init__(self, precision: int = 24):
        self.precision = check_precision(precision, ConfigError)
        self.initial_bits = self.precision  # the one-off start-up cost (see ansedu.coders)
        self.stack = UniformCoder()
        self.stack.push(0, 1 << self.precision)  # the initial bits

    def encode(self, symbol, model, *params) -> None:
        """Push one symbol (with a model family: one number per parameter)."""
        self.encode_reverse([symbol], model, *([p] for p in params))

    def encode_reverse(self, symbols, model, *params) -> None:
        """Push ``symbols`` last to first, so that decoding returns them first to last.

        ``model`` is one model for every symbol, a sequence of one model per symbol, or a
        model family followed by its parameter arrays. Every symbol is checked before
        anything is pushed."""
        starts, masses = encoding_interval_arrays(symbols, model, params, self.precision)
        for c_chunk, m_chunk in reversed_chunks(starts, masses):
            for c, m in zip(c_chunk, m_chunk):
                self._encode_one(c, m)

    def _encode_one(self, c: int, m: int) -> None:
        """The three bits-back steps for a symbol that owns slots ``c .. c + m - 1``."""
        # 1. Pop the latent with its posterior p(z | x), uniform on x's m(x) slots:
        #    this *decodes* log2 m(x) bits, which we get back.
        z = c + self.stack.pop(m)
        # 2. Push x with its likelihood p(x | z) = 1: a digit in base 1 costs 0 bits.
        self.stack.push(0, 1)
        # 3. Push the latent with its prior p(z), uniform on 2^P slots: P bits.
        self.stack.push(z, 1 << self.precision)

    def decode(self, model, *args):
        """Pop one symbol (``decode(model)``, an int) or an int32 array: ``decode(model, amt)``,
        ``decode(family, *param_arrays)``, or one per model of a sequence. If the data runs
        out, :class:`DecodeError` is raised and the coder is left as it was."""
        amt, _, lookup_at = decoding_lookup(model, args, self.precision)
        if amt is None:
            return self._decode_one(lambda slot: lookup_at(0, slot))
        before = self.stack.state
        out = []
        try:
            for i in range(amt):
                out.append(self._decode_one(lambda slot: lookup_at(i, slot)))
        except DecodeError:
            self.stack.state = before  # decode all or nothing: no data is lost
            raise
        return np.array(out, dtype=np.int32)

    def _decode_one(self, lookup) -> int:
        before = self.stack.state
        # The three steps of encoding, undone in reverse order:
        z = self.stack.pop(1 << self.precision)  # 3. pop the latent with its prior
        x, c, m = lookup(z)
        self.stack.pop(1)  # 2. pop x given z (base 1: nothing to read)
        self.stack.push(z - c, m)  # 1. push the latent back with its posterior
        if self.stack.state < 1 << self.precision:
            self.stack.state = before
            raise DecodeError("ran out of data: the coder is empty, or its data is truncated or "
                              "corrupted (the decode would eat into the initial bits)")
        return x

    def num_bits(self) -> int:
        """Bits a decoder needs: the state's binary digits below its leading one, the
        ``initial_bits`` included (so ``num_bits() - initial_bits`` is the message's cost)."""
        return self.stack.num_bits()

    def is_empty(self) -> bool:
        return self.stack.state == 1 << self.precision

    def __repr__(self) -> str:
        return f"SlowAnsCoder(precision={self.precision}, num_bits={self.num_bits()})"
