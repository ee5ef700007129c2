"""Typical mistakes in problem set 3 (SlowAnsCoder's encode and decode from the bits-back recipe).

Each stands for one misunderstanding a student is likely to have:

* an off-by-one in the cumulatives: ``c(x) = m(0) + ... + m(x)``, counting the symbol's own mass;
* a ``lookup`` by binary search for the slot among the cumulatives that does not skip symbols of
  mass zero (it returns the first symbol whose cumulative equals the slot, which owns no slot);
* pushing the latent slot ``z`` with base ``m(x)`` (the posterior) instead of ``2^P`` (the prior);
* forgetting that the latent is a *slot* of ``x``: pushing the popped digit ``z'`` without adding
  ``c(x)``;
* decoding by pushing the slot ``z`` back instead of its position ``z - c(x)`` among the slots of ``x``;
* a checked decode that notices the end of the message but does not put the stack back;
* encoding a message first to last, forgetting that a stack returns the last symbol first;
* reversing the symbols of a message but not their per-symbol models;
* counting the initial bits as part of the message;
* believing that a message can never cost less than its information content.

Every one leaves the rest of the set working, so it must get partial marks, and the failing
test must name the problem.
"""

_LOOKUP = (
    "\n\ndef lookup(masses, slot):\n"
    "    c = 0\n"
    "    for x, m in enumerate(masses):\n"
    "        if slot < c + m:\n"
    "            return x, c, m\n"
    "        c += m\n"
    "    raise ValueError(slot)\n"
)

MISTAKES = [
    {
        "name": "cumulative includes the symbol's own mass",
        "cells": {
            "interval_lookup": (
                "def interval(masses, x):\n"
                "    return sum(masses[:x + 1]), masses[x]\n"
                + _LOOKUP
            ),
        },
        "message": "does not include m(x)",
    },
    {
        "name": "lookup returns a symbol of mass zero",
        "cells": {
            "interval_lookup": (
                "import bisect\n"
                "\n\ndef interval(masses, x):\n"
                "    return sum(masses[:x]), masses[x]\n"
                "\n\ndef lookup(masses, slot):\n"
                "    cdf = [0]\n"
                "    for m in masses:\n"
                "        cdf.append(cdf[-1] + m)\n"
                "    x = bisect.bisect_left(cdf, slot)\n"
                "    if cdf[x] > slot:\n"
                "        x -= 1\n"
                "    return x, cdf[x], masses[x]\n"
            ),
        },
        "message": "a symbol of mass zero owns no slot",
    },
    {
        "name": "pushes the latent with base m(x)",
        "cells": {
            "encode_symbol": (
                "def encode_symbol(stack, symbol, model):\n"
                "    c, m = model.interval(symbol)\n"
                "    z = c + stack.pop(m)\n"
                "    stack.push(0, 1)\n"
                "    stack.push(z, m)\n"
            ),
        },
        "message": "with base 2^P",
    },
    {
        "name": "forgets to add c(x) to the popped digit",
        "cells": {
            "encode_symbol": (
                "def encode_symbol(stack, symbol, model):\n"
                "    c, m = model.interval(symbol)\n"
                "    z = stack.pop(m)\n"
                "    stack.push(0, 1)\n"
                "    stack.push(z, 2 ** model.precision)\n"
            ),
        },
        "message": "instead of the slot z = c(x) + z'",
    },
    {
        "name": "decode pushes z back instead of z - c(x)",
        "cells": {
            "decode_symbol": (
                "def decode_symbol(stack, model):\n"
                "    z = stack.pop(2 ** model.precision)\n"
                "    x, c, m = model.lookup(z)\n"
                "    stack.pop(1)\n"
                "    stack.push(z, m)\n"
                "    return x\n"
            ),
        },
        "message": "push z - c(x)",
    },
    {
        "name": "checked decode raises but does not restore the stack",
        "cells": {
            "initial_bits_code": (
                "def new_stack(precision):\n"
                "    stack = UniformCoder()\n"
                "    stack.push(0, 2 ** precision)\n"
                "    return stack\n"
                "\n\ndef checked_decode_symbol(stack, model):\n"
                "    x = decode_symbol(stack, model)\n"
                "    if stack.state < 2 ** model.precision:\n"
                "        raise DecodeError('out of data')\n"
                "    return x\n"
            ),
        },
        "message": "the stack must be unchanged",
    },
    {
        "name": "encodes the message first to last",
        "cells": {
            "messages": (
                "def encode_message(symbols, models, precision):\n"
                "    stack = new_stack(precision)\n"
                "    for symbol, model in zip(symbols, models):\n"
                "        encode_symbol(stack, int(symbol), model)\n"
                "    return stack\n"
                "\n\ndef decode_message(stack, models):\n"
                "    return [checked_decode_symbol(stack, model) for model in models]\n"
            ),
        },
        "message": "backwards",
    },
    {
        "name": "reverses the symbols but not their models",
        "cells": {
            "messages": (
                "def encode_message(symbols, models, precision):\n"
                "    stack = new_stack(precision)\n"
                "    for i, symbol in enumerate(reversed(symbols)):\n"
                "        encode_symbol(stack, int(symbol), models[i])\n"
                "    return stack\n"
                "\n\ndef decode_message(stack, models):\n"
                "    return [checked_decode_symbol(stack, model) for model in models]\n"
            ),
        },
        "message": "reverse both together",
    },
    {
        "name": "counts the initial bits",
        "cells": {
            "bit_count": (
                "def num_bits(stack, precision):\n"
                "    return stack.num_bits()\n"
                "\n\ndef overhead(symbols, models, precision):\n"
                "    stack = encode_message(symbols, models, precision)\n"
                "    info = sum(model.information_content([x]) for x, model in zip(symbols, models))\n"
                "    return num_bits(stack, precision) - info\n"
            ),
        },
        "message": "the initial bits are not part of the message",
    },
    {
        "name": "thinks the overhead is never negative",
        "cells": {
            "statements": 'statements = {"A": True, "B": True, "C": True, "D": False}\n',
        },
        "message": "statement A is false",
    },
]

MISTAKES.append({
    "name": "overhead uses the first model for every symbol",
    "cells": {"bit_count": (
        "def num_bits(stack, precision):\n"
        "    return stack.state.bit_length() - 1 - precision\n\n\n"
        "def overhead(symbols, models, precision):\n"
        "    stack = encode_message(symbols, [models[0]] * len(symbols), precision)\n"
        "    information = sum(models[0].information_content([x]) for x in symbols)\n"
        "    return num_bits(stack, precision) - information\n")},
    "message": "overhead must encode symbols[i] with models[i], one model per symbol",
})

# Delegating to the library (loophole 1 of issue 8): the three steps done by SlowAnsCoder, and
# the slots of part 1.2 read from the library's model.
_SLOW = ("import ansedu\n\n\n"
         "def encode_symbol(stack, symbol, model):\n"
         "    coder = ansedu.SlowAnsCoder(model.precision)\n"
         "    coder.stack = stack\n"
         "    coder.encode(symbol, model)\n")
SHORTCUT = {
    "cells": {
        "encode_symbol": _SLOW,
        "decode_symbol": ("import ansedu\n\n\n"
                          "def decode_symbol(stack, model):\n"
                          "    coder = ansedu.SlowAnsCoder(model.precision)\n"
                          "    coder.stack = stack\n"
                          "    return coder.decode(model)\n"),
        "interval_lookup": ("import ansedu\n\n\n"
                            "def _model(masses):\n"
                            "    return ansedu.EntropyModel(masses, int(sum(masses)).bit_length() - 1)\n\n\n"
                            "def interval(masses, x):\n    return _model(masses).interval(x)\n\n\n"
                            "def lookup(masses, slot):\n    return _model(masses).lookup(slot)\n"),
    },
    "failing": ["test_interval_lookup_example", "test_interval_lookup_random", "test_interval_lookup_zero_mass",
                "test_encode_example", "test_encode_random", "test_encode_sequence",
                "test_decode_example", "test_decode_inverts_encode", "test_decode_any_state"],
}

# Switching the tests off (loophole 2): `reread` redefined to swallow every failure.
OVERRIDE = {
    "cells": {
        "slots_by_hand": ("from contextlib import contextmanager\n\n\n"
                          "@contextmanager\n"
                          "def reread(*args, **kwargs):\n"
                          "    try:\n        yield\n    except Exception:\n        pass\n\n\n"
                          "cdf_by_hand = [0, 0, 0, 8]\nowner_by_hand = [0] * 8\n"),
    },
    "names": ["reread"],
}
