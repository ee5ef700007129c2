"""Fuzzing every public entry point with hostile arguments.

Each call gets arguments of the wrong type, NaN and infinities, huge integers, floats and bools
where integers belong, negative numbers, empty and ragged sequences, and numpy arrays of odd
dtypes. Whatever it gets, a call must
1. return, or raise one of ansedu's documented exceptions (an ``AnseduError``: ModelError,
   SymbolError, DecodeError, ConfigError, WordTypeError), never a bare TypeError, IndexError,
   OverflowError, ZeroDivisionError, MemoryError, ...;
2. finish within a time budget (no hang; the budget is generous for a loaded machine);
3. change nothing when it fails: the coder's content (and its words kept for seek) is compared
   before and after.
"""

from __future__ import annotations

import math
import signal

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ansedu import (AnsCoder, AnseduError, Categorical, EntropyModel, HuffmanCode, SlowAnsCoder,
                    Uniform, UniformCoder, cross_entropy, entropy, expected_length,
                    information_content, kl_divergence, kraft_sum, quantize_probabilities, word_dtype)

BUDGET_SECONDS = 5.0


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang


def call_within_budget(f, *args, **kwargs):
    """``f(*args, **kwargs)``; returns ("ok", result) or ("error", exception). Fails the test on
    an undocumented exception or when the call takes longer than the budget."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, BUDGET_SECONDS)
    try:
        return "ok", f(*args, **kwargs)
    except AnseduError as exc:
        return "error", exc
    except Hang:
        pytest.fail(f"{getattr(f, '__qualname__', f)}{_show(args)} did not finish within {BUDGET_SECONDS} s")
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"{getattr(f, '__qualname__', f)}{_show(args)} raised {type(exc).__name__}: {exc}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _show(args):
    return "(" + ", ".join(repr(a)[:60] for a in args) + ")"


MODEL = Categorical([0.5, 0.3, 0.2, 0.0], precision=24)
SMALL = Categorical([0.25, 0.5, 0.25], precision=8)

# Hostile values: everything a caller might pass by mistake.
scalars = st.one_of(
    st.none(), st.booleans(), st.just(np.True_),
    st.integers(-3, 300), st.integers(-2**70, 2**70), st.sampled_from([2**62, 2**63, 2**64, -2**63]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.5, 1.0, 2.0, 1e308, -0.0]),
    st.sampled_from([np.int64(2), np.uint64(2**64 - 1), np.float32(1.5), np.float16(3), 1 + 1j]),
    st.text(max_size=3), st.binary(max_size=3), st.just({}), st.just(object()),
)
odd_arrays = st.sampled_from([
    np.array([], dtype=np.int64), np.array([1, 0], dtype=bool), np.array([1 + 1j]), np.array(["0", "1"]),
    np.array([0.5, 0.5], dtype=np.float16), np.array([2**64 - 1, 0], dtype=np.uint64),
    np.array([1, None], dtype=object), np.array([[0, 1], [1, 0]]), np.array(3), np.array([np.nan, 1.0]),
    np.array([0, 1], dtype=np.uint32), np.array([0, 1], dtype=np.int8), np.array([1.0, 2.0]),
    np.array(["2020-01-01"], dtype="datetime64[D]"),
])
sequences = st.one_of(
    st.lists(scalars, max_size=5),
    st.lists(st.integers(-2, 5), max_size=8),
    st.lists(st.lists(st.integers(0, 3), max_size=3), max_size=3),  # ragged
    st.just([]), st.just([[]]), st.just([MODEL, SMALL]), st.just([MODEL, None]), st.just((0, 1.5)),
)
hostile = st.one_of(scalars, odd_arrays, sequences, st.just(MODEL), st.just(SMALL))


def snapshot(obj):
    if isinstance(obj, AnsCoder):
        return obj.head, obj.pos(), obj._words.tobytes(), obj.get_compressed().tolist()
    if isinstance(obj, SlowAnsCoder):
        return obj.stack.state
    if isinstance(obj, UniformCoder):
        return obj.state
    if isinstance(obj, EntropyModel):
        return obj.masses.tobytes(), obj.cdf.tobytes(), obj.precision
    if isinstance(obj, HuffmanCode):
        return dict(obj.codebook), obj.weights.tobytes()
    raise TypeError(type(obj))


def fresh_targets():
    """Objects holding data (an AnsCoder that has decoded a little, so words above the bulk
    are kept for seek), on which methods are called."""
    ans = AnsCoder()
    ans.encode_reverse([0, 1, 2, 1, 0] * 20, MODEL)
    ans.decode(MODEL, 7)
    tiny = AnsCoder(precision=8, word_size=8, head_size=16)
    tiny.encode_reverse([0, 1, 2] * 10, SMALL)
    slow = SlowAnsCoder(precision=8)
    slow.encode_reverse([2, 1, 0, 1], SMALL)
    uniform = UniformCoder()
    uniform.push(3, 10)
    return {"ans": ans, "tiny": tiny, "slow": slow, "uniform": uniform, "model": Categorical([0.2, 0.8], 8),
            "huffman": HuffmanCode([0.5, 0.25, 0.25])}


def check_method(target, method, *args):
    before = snapshot(target)
    outcome, _ = call_within_budget(getattr(target, method), *args)
    if outcome == "error":
        assert snapshot(target) == before, f"{method}{_show(args)} failed and changed {type(target).__name__}"


CODER_METHODS = [  # (target, method, the arguments made of two hostile values v)
    ("ans", "encode_reverse", lambda v: (v[0], MODEL)), ("ans", "encode_reverse", lambda v: ([0, 1], v[0])),
    ("ans", "encode_reverse", lambda v: (v[0], v[1])), ("ans", "encode_reverse", lambda v: ([0, 1], MODEL, v[0])),
    ("ans", "encode", lambda v: (v[0], MODEL)), ("ans", "encode", lambda v: (v[0], v[1])),
    ("ans", "decode", lambda v: (v[0],)), ("ans", "decode", lambda v: (v[0], v[1])),
    ("ans", "decode", lambda v: (MODEL, v[0])), ("ans", "seek", lambda v: (v[0], v[1])),
    ("ans", "seek", lambda v: (v[0], 2**40)), ("ans", "seek", lambda v: (0, v[0])),
    ("tiny", "encode_reverse", lambda v: (v[0], SMALL)), ("tiny", "decode", lambda v: (SMALL, v[0])),
    ("tiny", "seek", lambda v: (v[0], v[1])),
    ("slow", "encode_reverse", lambda v: (v[0], SMALL)), ("slow", "encode_reverse", lambda v: (v[0], v[1])),
    ("slow", "encode", lambda v: (v[0], SMALL)), ("slow", "decode", lambda v: (v[0],)),
    ("slow", "decode", lambda v: (SMALL, v[0])), ("slow", "decode", lambda v: (v[0], v[1])),
    ("uniform", "push", lambda v: (v[0], v[1])), ("uniform", "push", lambda v: (v[0], 10)),
    ("uniform", "push", lambda v: (0, v[0])), ("uniform", "pop", lambda v: (v[0],)),
    ("model", "interval", lambda v: (v[0],)), ("model", "lookup", lambda v: (v[0],)),
    ("model", "intervals", lambda v: (v[0],)), ("model", "check_symbols", lambda v: (v[0],)),
    ("model", "information_content", lambda v: (v[0],)),
    ("huffman", "encode", lambda v: (v[0],)), ("huffman", "decode", lambda v: (v[0],)),
]


@settings(max_examples=300)
@given(st.sampled_from(range(len(CODER_METHODS))), st.lists(hostile, min_size=2, max_size=2))
def test_methods_with_hostile_arguments(which, values):
    name, method, make_args = CODER_METHODS[which]
    check_method(fresh_targets()[name], method, *make_args(values))


@settings(max_examples=80)
@given(st.sampled_from(["ans", "tiny", "slow"]), st.sampled_from([MODEL, SMALL]),
       st.one_of(st.integers(-5, 10**12), st.sampled_from([2**63, 2**64, -2**63, 10**30]), scalars))
def test_decode_amounts(name, model, amt):
    check_method(fresh_targets()[name], "decode", model, amt)


CONSTRUCTORS = [
    lambda a, b: AnsCoder(a), lambda a, b: AnsCoder(precision=a), lambda a, b: AnsCoder(word_size=a, head_size=b),
    lambda a, b: AnsCoder(head_size=a), lambda a, b: AnsCoder(a, precision=8, word_size=8, head_size=16),
    lambda a, b: SlowAnsCoder(a), lambda a, b: UniformCoder(a),
    lambda a, b: Categorical(a), lambda a, b: Categorical([0.5, 0.5], precision=a), lambda a, b: Categorical(a, b),
    lambda a, b: Uniform(a), lambda a, b: Uniform(3, precision=a), lambda a, b: Uniform(a, b),
    lambda a, b: EntropyModel(a, 8), lambda a, b: EntropyModel([128, 128], a), lambda a, b: EntropyModel(a, b),
    lambda a, b: HuffmanCode(a), lambda a, b: quantize_probabilities(a, 8),
    lambda a, b: quantize_probabilities([0.3, 0.7], a), lambda a, b: quantize_probabilities(a, b),
    lambda a, b: word_dtype(a), lambda a, b: information_content(a), lambda a, b: entropy(a),
    lambda a, b: cross_entropy(a, b), lambda a, b: kl_divergence(a, b), lambda a, b: kl_divergence([0.5, 0.5], a),
    lambda a, b: kraft_sum(a), lambda a, b: expected_length(a, b), lambda a, b: expected_length([0.5, 0.5], a),
]


@settings(max_examples=250)
@given(st.sampled_from(range(len(CONSTRUCTORS))), hostile, hostile)
def test_constructors_and_functions_with_hostile_arguments(which, a, b):
    call_within_budget(CONSTRUCTORS[which], a, b)


@settings(max_examples=60)
@given(st.lists(st.integers(0, 2**32 - 1), max_size=12), st.sampled_from([0, 1, 5]))
def test_corrupted_words_decode_or_raise(words, amt):
    # Random words: either not a valid message (DecodeError/WordTypeError) or a message that
    # decodes until it runs out, and a failed decode changes nothing.
    outcome, coder = call_within_budget(AnsCoder, np.array(words, dtype=np.uint32))
    if outcome == "ok":
        check_method(coder, "decode", MODEL, amt)
        check_method(coder, "decode", MODEL, 10**6)


def test_the_budget_catches_a_hang():
    # The harness itself: a call that does not return is reported, not waited for.
    def forever():
        while True:
            pass

    with pytest.raises(pytest.fail.Exception, match="did not finish"):
        global BUDGET_SECONDS
        saved, BUDGET_SECONDS = BUDGET_SECONDS, 0.2
        try:
            call_within_budget(forever)
        finally:
            BUDGET_SECONDS = saved
    with pytest.raises(pytest.fail.Exception, match="ZeroDivisionError"):
        call_within_budget(lambda: 1 // 0)
    assert call_within_budget(math.sqrt, 4.0) == ("ok", 2.0)
