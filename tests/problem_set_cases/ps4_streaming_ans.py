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
