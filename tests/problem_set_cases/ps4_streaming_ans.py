"""Typical mistakes in PS4, Streaming ANS (``solutions/ps4_streaming_ans``).

Each entry of ``MISTAKES`` is one wrong submission: the solution notebook with the answer cells
named in ``cells`` (by their nbgrader ``grade_id``) replaced by the wrong source given here (the
whole cell, as a student would write it, without solution markers). Autograding it must give
partial marks (more than zero, less than full), and ``message`` must appear in the output of a
failing test cell of the autograded notebook.
"""

FORGETS_TO_FLUSH = '''\
def flush_if_needed(coder, m):
    """Before encoding a symbol of mass m: flush one word if the step would overflow the head."""
    pass  # Python integers never overflow, so the head just grows past 2^S
'''

FLUSHES_WITH_GREATER_THAN = '''\
def flush_if_needed(coder, m):
    """Before encoding a symbol of mass m: flush one word if the step would overflow the head."""
    if coder.head >> (coder.head_size - coder.precision) > m:
        coder.bulk.append(coder.head & ((1 << coder.word_size) - 1))
        coder.head >>= coder.word_size
'''

REFILLS_AT_L = '''\
def refill_if_needed(coder):
    """After a decoding step: if the head fell below L, move the top word of the bulk into the head."""
    if coder.head <= coder.low:
        if not coder.bulk:
            raise DecodeError("ran out of compressed data")
        coder.head = (coder.head << coder.word_size) | coder.bulk.pop()
'''

HEAD_WORDS_HIGHEST_FIRST = '''\
def get_compressed(coder):
    """The bulk words (bottom first), then the head as S/W words (lowest first); no words if empty."""
    dtype = word_dtype(coder.word_size)
    if coder.is_empty():
        return np.zeros(0, dtype=dtype)
    mask = (1 << coder.word_size) - 1
    shifts = range(coder.head_size - coder.word_size, -1, -coder.word_size)
    return np.array(coder.bulk + [(coder.head >> s) & mask for s in shifts], dtype=dtype)
'''

MISTAKES = [
    {
        "name": "forgets to flush the head",
        "cells": {"flush_if_needed": FORGETS_TO_FLUSH},
        "message": "flush_if_needed did not flush",
    },
    {
        "name": "flushes with > instead of >= (off by one at the threshold)",
        "cells": {"flush_if_needed": FLUSHES_WITH_GREATER_THAN},
        "message": "exactly at the threshold",
    },
    {
        "name": "refills with the wrong condition (head <= L instead of head < L)",
        "cells": {"refill_if_needed": REFILLS_AT_L},
        "message": "refilled although head >= L",
    },
    {
        "name": "writes the head's words highest first",
        "cells": {"get_compressed": HEAD_WORDS_HIGHEST_FIRST},
        "message": "in the wrong order",
    },
]

MISTAKES.append({
    "name": "get_compressed forgets the head",
    "cells": {"get_compressed": (
        "def get_compressed(coder):\n"
        "    return np.array(coder.bulk, dtype=word_dtype(coder.word_size))\n")},
    "message": "get_compressed must end with the head",
})

# Delegating to the library (loophole 1 of issue 8): get_compressed and load_compressed through
# ansedu.AnsCoder's internals.
SHORTCUT = {
    "cells": {
        "get_compressed": (
            "def get_compressed(coder):\n"
            "    ref = AnsCoder(precision=coder.precision, word_size=coder.word_size, head_size=coder.head_size)\n"
            "    ref.head, ref._words, ref._n = coder.head, list(coder.bulk), len(coder.bulk)\n"
            "    return ref.get_compressed()\n"),
        "load_compressed": (
            "def load_compressed(coder, words):\n"
            "    ref = AnsCoder(words, precision=coder.precision, word_size=coder.word_size,\n"
            "                   head_size=coder.head_size)\n"
            "    coder.head, coder.bulk = int(ref.head), [int(w) for w in ref._words[:ref._n]]\n"),
    },
    "failing": ["test_get_compressed", "test_get_compressed_hidden", "test_load_compressed",
                "test_load_compressed_hidden", "test_whole_coder", "test_whole_coder_hidden"],
}

# Switching the tests off (loophole 2): the helpers of the set-up cell redefined.
OVERRIDE = {
    "cells": {
        "flush_threshold": ("def _check(*args, **kwargs):\n    pass\n\n\n"
                            "def _run(*args, **kwargs):\n    return 0\n\n\n"
                            "_fail = _compare_words = _check\n\n\n"
                            "def flush_threshold(m, precision, head_size):\n    return 0\n"),
    },
    "names": ["_check", "_run"],
}
