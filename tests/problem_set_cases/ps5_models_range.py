"""Typical mistakes in PS5, quantized Gaussians and range coding (``solutions/ps5_models_range``).

Each entry of ``MISTAKES`` is one wrong submission: the solution notebook with the answer cells
named in ``cells`` (by their nbgrader ``grade_id``) replaced by the wrong source given here (the
whole cell, as a student would write it). Autograding it must give partial marks, and ``message``
must appear in the output of a failing test cell. They stand for: quantizing without the leaky
floor (a tail symbol gets zero slots), the off-by-one of evaluating the CDF at the bin's upper
end, pushing symbols onto a stack first to last, dropping the range coder's carry, renormalizing
at range = 2^(S-W) (the wrong condition), and forgetting that the decoder's point - low is
taken modulo 2^S.
"""

NO_LEAKY_FLOOR = '''\
def leaky_c(x, mean, std, lo, hi, precision):
    if x <= lo:
        return 0
    if x > hi:
        return 1 << precision
    return math.floor(gaussian_cdf(x - 0.5, mean, std) * (1 << precision))
'''

CDF_OFF_BY_ONE = '''\
def leaky_c(x, mean, std, lo, hi, precision):
    if x <= lo:
        return 0
    if x > hi:
        return 1 << precision
    free = (1 << precision) - (hi - lo + 1)
    return math.floor(gaussian_cdf(x + 0.5, mean, std) * free) + (x - lo)
'''

PUSHES_FIRST_SYMBOL_FIRST = '''\
def compress_signal(symbols, means, stds, lo, hi, precision):
    coder = AnsCoder(precision=precision)
    family = MyQuantizedGaussian(lo, hi, precision)
    for x, mean, std in zip(symbols, means, stds):
        coder.encode_reverse([x], family, [mean], [std])
    return coder.get_compressed()


def decompress_signal(words, means, stds, lo, hi, precision):
    coder = AnsCoder(words, precision=precision)
    family = MyQuantizedGaussian(lo, hi, precision)
    return [coder.decode(family, [mean], [std])[0] for mean, std in zip(means, stds)]
'''

DROPS_THE_CARRY = '''\
def encode_step(enc, c, m):
    P, W, S = enc.precision, enc.word_size, enc.state_size
    scale = enc.range >> P
    enc.low = (enc.low + scale * c) & ((1 << S) - 1)   # keep low below 2^S
    enc.range = scale * m
    if enc.range < 1 << (S - W):
        enc.words.append(enc.low >> (S - W))
        enc.low = (enc.low << W) & ((1 << S) - 1)
        enc.range <<= W
'''

RENORMALIZES_AT_THE_BOUND = '''\
def encode_step(enc, c, m):
    P, W, S = enc.precision, enc.word_size, enc.state_size
    scale = enc.range >> P
    enc.low += scale * c
    enc.range = scale * m
    if enc.low >= 1 << S:
        enc.low -= 1 << S
        propagate_carry(enc.words, W)
    if enc.range <= 1 << (S - W):
        enc.words.append(enc.low >> (S - W))
        enc.low = (enc.low << W) & ((1 << S) - 1)
        enc.range <<= W
'''

POINT_MINUS_LOW_NOT_MODULO = '''\
def decode_step(dec, model, *params):
    P, W, S = dec.precision, dec.word_size, dec.state_size
    mask = (1 << S) - 1
    scale = dec.range >> P
    slot = (dec.point - dec.low) // scale
    if slot >= 1 << P:
        raise DecodeError("the point lies in no symbol's piece")
    x, c, m = model.lookup(slot, *params)
    dec.low = (dec.low + scale * c) & mask
    dec.range = scale * m
    if dec.range < 1 << (S - W):
        dec.point = ((dec.point << W) & mask) | dec.read_word()
        dec.low = (dec.low << W) & mask
        dec.range <<= W
    return x
'''

MISTAKES = [
    {"name": "quantizes without the leaky floor",
     "cells": {"leaky_c": NO_LEAKY_FLOOR},
     "message": "the leaky floor"},
    {"name": "evaluates the CDF at x + 1/2 (off by one)",
     "cells": {"leaky_c": CDF_OFF_BY_ONE},
     "message": "off by one symbol"},
    {"name": "pushes the first symbol first onto the ANS stack",
     "cells": {"signal": PUSHES_FIRST_SYMBOL_FIRST},
     "message": "in the wrong order"},
    {"name": "drops the carry",
     "cells": {"encode_step": DROPS_THE_CARRY},
     "message": "Dropping the carry"},
    {"name": "renormalizes when range <= 2^(S-W)",
     "cells": {"encode_step": RENORMALIZES_AT_THE_BOUND},
     "message": "Renormalize only when range < 2^(S-W)"},
    {"name": "takes point - low without the modulo",
     "cells": {"decode_step": POINT_MINUS_LOW_NOT_MODULO},
     "message": "taken modulo 2^S"},
]

# Delegating to the library (loophole 1 of issue 8): the encoder's and decoder's steps done by
# ansedu.RangeEncoder and ansedu.RangeDecoder on a copy of the state.
SHORTCUT = {
    "cells": {
        "encode_step": (
            "class _OneSymbol:\n"
            "    def __init__(self, c, m, precision):\n"
            "        self.c, self.m, self.precision = c, m, precision\n"
            "    def interval(self, x):\n"
            "        return self.c, self.m\n"
            "    def lookup(self, slot):\n"
            "        return 0, self.c, self.m\n\n\n"
            "def encode_step(enc, c, m):\n"
            "    ref = ansedu.RangeEncoder(precision=enc.precision, word_size=enc.word_size,\n"
            "                              state_size=enc.state_size)\n"
            "    ref.low, ref.range, ref._words = enc.low, enc.range, enc.words\n"
            "    ref.encode([0], _OneSymbol(c, m, enc.precision))\n"
            "    enc.low, enc.range = ref.low, ref.range\n"),
        "decode_step": (
            "def decode_step(dec, model, *params):\n"
            "    ref = ansedu.RangeDecoder(np.array(dec.words, dtype=word_dtype(dec.word_size)),\n"
            "                              precision=dec.precision, word_size=dec.word_size,\n"
            "                              state_size=dec.state_size)\n"
            "    ref.point, ref.low, ref.range, ref._next = dec.point, dec.low, dec.range, dec.next\n"
            "    x = ref.decode(model, *params)\n"
            "    dec.point, dec.low, dec.range, dec.next = ref.point, ref.low, ref.range, ref._next\n"
            "    return x\n"),
    },
    "failing": ["test_encode_step", "test_encode_step_hidden", "test_decode_step",
                "test_decode_step_hidden"],
}

# Switching the tests off (loophole 2): the helpers of the set-up cell redefined.
OVERRIDE = {
    "cells": {
        "leaky_c": ("def _check(*args, **kwargs):\n    pass\n\n\n"
                    "def _run(*args, **kwargs):\n    return 0\n\n\n"
                    "_fail = _test_leaky_c = _test_encode_step = _test_decode_step = _check\n"
                    "_test_find_symbol = _test_signal = _test_carry = _check\n\n\n"
                    "def leaky_c(x, mean, std, lo, hi, precision):\n    raise NotImplementedError()\n"),
    },
    "names": ["_check", "_run"],
}
