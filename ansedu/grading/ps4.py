"""Test helpers of problem set 4 (streaming ANS).

Loaded anew into every test cell by ``fresh("ps4")``. Bans: ``ansedu.AnsCoder`` and
``ansedu.SlowAnsCoder`` (and everything else of their modules, except ``word_dtype``) inside the
student's code while a test runs it. The models (``ansedu.Categorical``) stay usable.
"""

import numpy as np

import ansedu
from ansedu import Categorical, DecodeError

from . import guard
from .core import TestFailure, wrap
from .core import time_limit as _time_limit

HELPERS = ["TEACHING", "DEFAULT", "_SETTINGS", "_TestFailure", "_SECTIONS", "_fail", "_hex", "_hexs",
           "_check", "_time_limit", "_OUT_OF_DATA", "_run", "_compare_words", "_random_case",
           "_state_from_words"]
BANS = [([ansedu.AnsCoder, ansedu.SlowAnsCoder], None)]
ALLOWED = [ansedu.word_dtype]

# Settings (precision P, word size W, head size S) that the tests use.
TEACHING = dict(precision=4, word_size=4, head_size=8)
DEFAULT = dict(precision=24, word_size=32, head_size=64)
_SETTINGS = [(24, 32, 64), (4, 4, 8), (8, 8, 16), (12, 16, 32), (16, 16, 32), (4, 8, 16),
             (8, 16, 48), (32, 32, 64)]


_TestFailure = TestFailure  # a test that failed, with a message for the student


# The sections of book chapter 6 that each part is about.
_SECTIONS = {
    "the invariants": 'the invariants ("Head and bulk")',
    "the flush": 'the flush ("Encoding: when to flush")',
    "the refill": 'the refill ("Decoding: when to refill")',
    "the compressed words": 'the compressed words ("Decoding from compressed words")',
    "why P <= W": 'the flush ("Encoding: when to flush", paragraph "Is one flush enough?")',
}


def _fail(message, section):
    where = _SECTIONS.get(section, section)
    raise _TestFailure(wrap(f"{message}\n--> Reread chapter 6, Streaming ANS, section on {where}."))


def _hex(value):
    """A number in hexadecimal (anything else as it is): for messages."""
    return hex(value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else repr(value)


def _hexs(values):
    try:
        return "[" + ", ".join(_hex(v) for v in values) + "]"
    except TypeError:
        return repr(values)


def _check(condition, message, section):
    if not condition:
        _fail(message, section)


_OUT_OF_DATA = (" The data holds the whole message, so decoding must not run out: does your refill "
                "happen when head >= L, or pop more than one word?")


def _run(what, section, fn, *args, seconds=5, hint="", **kwargs):
    """Call fn(*args, **kwargs); turn any error into a message for the student (plus hint)."""
    guard.forget_recorded()
    try:
        guard.check_own(fn, getattr(fn, "__qualname__", what))
        with _time_limit(seconds):
            result = fn(*args, **kwargs)
        guard.raise_recorded()
        return result
    except _TestFailure:
        raise
    except guard.DelegationError as error:
        _fail(str(error), section)
    except NotImplementedError:
        _fail(f"{what}: you have not written this part yet (it raises NotImplementedError).", section)
    except TimeoutError:
        _fail(f"{what} did not finish within {seconds} s: does a loop in your code run forever?", section)
    except Exception as error:
        delegated = guard.take_recorded()
        if delegated:
            _fail(delegated, section)
        _fail(f"{what} raised {type(error).__name__}: {error}.{hint if isinstance(error, DecodeError) else ''}",
              section)


def _compare_words(got, want, k, what):
    """Fail with a diagnosis unless the words got (yours) equal want (ansedu.AnsCoder's)."""
    if not isinstance(got, np.ndarray):
        _fail(f"{what}: get_compressed returned {type(got).__name__}, not a numpy array.",
              "the compressed words")
    g, w = got.tolist(), want.tolist()
    if len(g) < len(w) and len(g) == len(w) - k and g == w[:-k]:
        _fail(f"{what}: your coder gives the {len(g)} bulk words of ansedu.AnsCoder but not the {k} "
              "words of the head: get_compressed must end with the head, cut into S/W words, "
              "lowest word first.", "the compressed words")
    if len(g) < len(w):
        _fail(f"{what}: your coder gives {len(g)} words, ansedu.AnsCoder {len(w)}: your head was not "
              "flushed every time it had to be (a Python int never overflows, so the head silently "
              "grew past 2^S and its top bits were lost in get_compressed).", "the flush")
    if len(g) > len(w):
        _fail(f"{what}: your coder gives {len(g)} words, ansedu.AnsCoder {len(w)}: your coder flushes "
              "when it does not need to (or the empty coder gives words).", "the flush")
    if g[:-k] != w[:-k]:
        first = next(i for i, (a, b) in enumerate(zip(g, w)) if a != b)
        _fail(f"{what}: your bulk words differ from ansedu.AnsCoder's from word {first} on: check "
              "the flush condition (at the threshold) and which bits a flush moves.", "the flush")
    if g != w:
        _fail(f"{what}: the bulk is right but the last {k} words (the head) differ: "
              f"{_hexs(g[-k:])} instead of {_hexs(w[-k:])}. The head is written lowest word first.",
              "the compressed words")
    if got.dtype != want.dtype:
        _fail(f"{what}: your words have dtype {got.dtype}, ansedu.AnsCoder's {want.dtype}.",
              "the compressed words")


def _random_case(rng, precision, n):
    """A random categorical model with the given precision, and a message of n symbols from it."""
    k = int(rng.integers(2, min(12, 1 << precision) + 1))
    p = rng.dirichlet(np.full(k, float(rng.choice([0.2, 1.0, 5.0]))))
    model = Categorical(p, precision=precision)
    return model, rng.choice(k, size=n, p=model.probabilities).tolist()


def _state_from_words(coder, words):
    """The tests' own loader (independent of yours): put compressed words into a coder."""
    words = [int(w) for w in words]
    k = coder.head_size // coder.word_size
    if words:
        coder.bulk, coder.head = words[:-k], 0
        for w in reversed(words[-k:]):
            coder.head = (coder.head << coder.word_size) | w
    return coder
