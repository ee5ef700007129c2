"""Test helpers of problem set 1 (information content, entropy and a Huffman coder).

Loaded anew into every test cell by ``fresh("ps1")``. Bans: the library's information
measures and symbol codes (``ansedu.entropy``, ``ansedu.HuffmanCode``, ... and everything
else of their modules) inside the student's code while a test runs it.
"""

import math

import numpy as np

import ansedu

from .core import TestFailure, failure, own_call

HELPERS = ["BOOK", "check", "close", "raises", "run", "random_distribution"]
BANS = [([ansedu.information_content, ansedu.entropy, ansedu.cross_entropy, ansedu.kl_divergence,
          ansedu.kraft_sum, ansedu.HuffmanCode], None)]

BOOK = {
    "information": "chapter 1, section 'Surprise, measured in bits'",
    "entropy": "chapter 1, section 'Entropy: the average surprise'",
    "cross": "chapter 1, section 'The cost of a wrong model: cross entropy and KL divergence'",
    "prefix": "chapter 2, section 'Codes that can be read back'",
    "kraft": "chapter 2, section 'How short can codewords be? The Kraft inequality'",
    "huffman": "chapter 2, section 'Huffman codes'",
}


def check(condition, problem, topic):
    """Raise an AssertionError that says what is wrong and where in the book to read about it."""
    if not condition:
        raise failure(f"{problem}\n(reread the book, {BOOK[topic]})")


def close(a, b, tol=1e-9):
    """Whether two numbers agree to about 9 digits (infinities must match exactly)."""
    a, b = float(a), float(b)
    return a == b or math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def raises(function, *arguments, errors=(ValueError,)):
    """Whether calling function(*arguments) raises one of the given exceptions."""
    try:
        own_call(function, arguments, {})
    except TestFailure:
        raise
    except errors:
        return True
    return False


def _shown(arguments):
    return ", ".join(repr(a) if len(repr(a)) < 60 else repr(a)[:57] + "..." for a in arguments)


# The section to reread when a function raises, unless the test names another one.
TOPIC_OF = {"information_content": "information", "entropy": "entropy", "cross_entropy": "cross",
            "kl_divergence": "cross", "is_prefix_free": "prefix", "kraft_sum": "kraft",
            "huffman_codebook": "huffman", "huffman_encode": "prefix", "huffman_decode": "prefix"}


def run(function, *arguments, topic=None):
    """Call function(*arguments); if it raises, fail with what was called and where to read."""
    name = getattr(function, "__name__", "your function")
    try:
        return own_call(function, arguments, {})
    except TestFailure:
        raise
    except Exception as error:
        raise failure(f"{name}({_shown(arguments)}) raised {type(error).__name__}: {error}\n"
                      f"(reread the book, {BOOK[topic or TOPIC_OF.get(name, 'information')]})") from (None if isinstance(error, NotImplementedError) else error)


def random_distribution(rng, n, zeros=0.3):
    """A random probability vector of length n; about a fraction `zeros` of it is exactly 0."""
    p = rng.dirichlet(np.full(n, 0.7))
    p[rng.random(n) < zeros] = 0.0
    if p.sum() == 0:
        p[rng.integers(n)] = 1.0
    return p / p.sum()
