"""Test helpers of problem set 3 (ANS as bits-back coding).

Loaded anew into every test cell by ``fresh("ps3")``. Bans, inside the student's code while a
test runs it: ``ansedu.SlowAnsCoder`` and ``ansedu.AnsCoder`` (the coders being written), and in
``interval`` and ``lookup`` (part 1.2) also the library's models. ``ansedu.UniformCoder`` and the
models stay usable everywhere else.
"""

from contextlib import contextmanager

import ansedu
from ansedu import Categorical, UniformCoder

from . import guard
from .core import TestFailure, wrap

HELPERS = ["BOOK", "reread"]
BANS = [([ansedu.SlowAnsCoder, ansedu.AnsCoder], None),
        ([ansedu.Categorical, ansedu.EntropyModel], {"interval", "lookup"})]
ALLOWED = [ansedu.UniformCoder]
NOTEBOOK = {}   # the notebook's namespace, set by fresh(): the answers of earlier parts

BOOK = {
    "slots": "chapter 5, section 'A quantized model is a row of slots'",
    "encode": ("chapter 5, section 'Encoding one symbol in three steps' (and the bits-back recipe in "
               "chapter 4, section 'The trick: let the latent carry somebody else's bits')"),
    "decode": "chapter 5, section 'Decoding undoes the three steps'",
    "initial": ("chapter 4, section 'Initial bits', and the end of chapter 5, section "
                "'Decoding undoes the three steps'"),
    "message": ("chapter 5, section 'A whole message costs its information content' (and chapter 3, "
                "section 'Last in, first out: a stack')"),
    "cost": "chapter 5, section 'A whole message costs its information content'",
}


def _earlier_answer_works(name):
    """Whether the answer `name` of an earlier part passes the example of its own test."""
    model = Categorical([3, 1, 4], precision=3)
    encode_symbol, decode_symbol, new_stack, checked_decode_symbol, encode_message, num_bits = (
        NOTEBOOK.get(n) for n in ("encode_symbol", "decode_symbol", "new_stack", "checked_decode_symbol",
                                  "encode_message", "num_bits"))
    try:
        if name == "encode_symbol":
            stack = UniformCoder(100)
            encode_symbol(stack, 2, model)
            return stack.state == 204
        if name == "decode_symbol":
            stack = UniformCoder(204)
            return decode_symbol(stack, model) == 2 and stack.state == 100
        if name == "new_stack":
            return new_stack(3).state == 8
        if name == "checked_decode_symbol":
            stack = UniformCoder(20)
            return checked_decode_symbol(stack, model) == 2 and stack.state == 8
        if name == "encode_message":
            return encode_message([0, 2], [model] * 2, 3).state == 50
        if name == "num_bits":
            return num_bits(UniformCoder(2**10 + 5), 3) == 7
    except Exception:
        return False
    raise KeyError(name)


@contextmanager
def reread(topic, uses=()):
    """Run a test; if it fails, say what is wrong and where in the book to look (and which of
    the earlier answers that the test relies on still fail their own tests)."""
    guard.forget_recorded()
    try:
        yield
        guard.raise_recorded()
    except Exception as error:
        delegated = guard.take_recorded()
        if delegated:
            what = delegated
        elif isinstance(error, AssertionError):
            what = str(error)
        elif isinstance(error, NotImplementedError):
            what = "not answered yet: replace `raise NotImplementedError()` by your answer"
        elif isinstance(error, NameError):
            what = f"{error}: run your answer cell first, and keep the names that the question asks for"
        else:
            what = f"your code raised {type(error).__name__}: {error}"
        broken = [name for name in uses if not _earlier_answer_works(name)]
        if broken:
            what += (f"\n>>> Note: this test uses your {' and '.join(broken)}, which "
                     + ("does not pass the test of its own part" if len(broken) == 1 else
                        "do not pass the tests of their own parts") + " yet: fix that first.")
        guard.forget_recorded()
        failure = TestFailure(wrap(f"{what}\n>>> Reread the book, {BOOK[topic]}."))
        if isinstance(error, (AssertionError, NotImplementedError, NameError)):
            raise failure from None
        raise failure from error
