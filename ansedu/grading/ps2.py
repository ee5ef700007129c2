"""Test helpers of problem set 2 (positional numeral systems).

Loaded anew into every test cell by ``fresh("ps2")``. Bans: ``ansedu.UniformCoder`` (and
everything else of its module) inside the student's code while a test runs it.
"""

import ansedu

from .core import TestFailure, failure, own_call

HELPERS = ["BOOK", "check", "raises", "run", "random_bases"]
BANS = [([ansedu.UniformCoder], None)]

BOOK = {
    "push_pop": "chapter 3, section 'Push and pop'",
    "mixed": "chapter 3, section 'Mixed bases'",
    "stack": "chapter 3, section 'Last in, first out: a stack'",
    "counting": "chapter 3, section 'Counting bits'",
    "leading_one": "chapter 3, section 'The leading one'",
}

# The section to reread when a function raises, unless the test names another one.
TOPIC_OF = {"StackCoder": "push_pop", "__init__": "leading_one", "push": "push_pop", "pop": "push_pop",
            "num_bits": "counting", "is_empty": "leading_one", "encode_digits": "mixed",
            "decode_digits": "stack", "ideal_bits": "counting", "fixed_length_bits": "counting",
            "num_bits_range": "counting"}


def check(condition, problem, topic):
    """Raise an AssertionError that says what is wrong and where in the book to read about it."""
    if not condition:
        raise failure(f"{problem}\n(reread the book, {BOOK[topic]})")


def raises(function, *arguments, errors=(ValueError,)):
    """Whether calling function(*arguments) raises one of the given exceptions."""
    try:
        own_call(function, arguments, {})
    except TestFailure:
        raise
    except errors:
        return True
    return False


def run(function, *arguments, topic=None):
    """Call function(*arguments); if it raises, fail with what was called and where to read."""
    name = getattr(function, "__name__", "your function")
    try:
        return own_call(function, arguments, {})
    except TestFailure:
        raise
    except Exception as error:
        shown = ", ".join(repr(a) if len(repr(a)) < 60 else repr(a)[:57] + "..." for a in arguments)
        raise failure(f"{name}({shown}) raised {type(error).__name__}: {error}\n"
                      f"(reread the book, {BOOK[topic or TOPIC_OF.get(name, 'push_pop')]})") from (None if isinstance(error, NotImplementedError) else error)


def random_bases(rng, n, largest=1000):
    """n random bases as Python ints: mostly small, some 1, some powers of two, some huge."""
    bases = []
    for kind in rng.integers(0, 10, size=n):
        if kind == 0:
            bases.append(1)
        elif kind == 1:
            bases.append(2 ** int(rng.integers(1, 70)))
        elif kind == 2:
            bases.append(int(rng.integers(2, 2**62)) * int(rng.integers(2, 2**62)) + 1)
        else:
            bases.append(int(rng.integers(2, largest + 1)))
    return bases
