"""The round-trip contract every ANS coder of ansedu keeps, shared by the tests.

For a coder in any state, encoding a message and then decoding it must
1. return the message, and
2. leave the coder in exactly the state it was in before (message identity),
and the compressed words must decode to the same message in a fresh coder.
"""

from __future__ import annotations

import numpy as np

from ansedu import AnsCoder, SlowAnsCoder


def snapshot(coder):
    """Everything that defines a coder's content."""
    if isinstance(coder, AnsCoder):
        return coder.head, coder.get_compressed().tolist()
    if isinstance(coder, SlowAnsCoder):
        return coder.stack.state
    raise TypeError(type(coder))


def check_round_trip(coder, symbols, model):
    """Apply the contract to ``coder`` (which may already hold data) and return the
    compressed words of the message alone, for further checks."""
    symbols = list(symbols)
    before = snapshot(coder)
    coder.encode_reverse(symbols, model)
    n = len(symbols)
    if isinstance(coder, AnsCoder):
        # The words decode in a fresh coder too, when the coder held nothing before.
        words = coder.get_compressed()
        assert words.dtype == coder.dtype
        if before == snapshot(type(coder)(precision=coder.precision, word_size=coder.word_size,
                                          head_size=coder.head_size)):
            fresh = AnsCoder(words, precision=coder.precision, word_size=coder.word_size,
                             head_size=coder.head_size)
            assert fresh.decode(model, n).tolist() == symbols
            assert fresh.is_empty()
    decoded = coder.decode(model, n) if n or not hasattr(model, "lookup") else coder.decode(model, 0)
    assert np.asarray(decoded).tolist() == symbols
    assert snapshot(coder) == before, "decoding did not restore the coder's exact state"
