"""Test helpers of problem set 5 (quantized Gaussians with per-symbol parameters; range coding).

Loaded anew into every test cell by ``fresh("ps5")``. Bans, inside the student's code while a
test runs it: ``ansedu.RangeEncoder`` and ``ansedu.RangeDecoder`` (everything of
``ansedu.coders.range``) and the model families (everything of ``ansedu.models.families``:
``QuantizedGaussian``'s intervals and lookup, ...). ``ansedu.AnsCoder`` stays usable: part 3
asks students to drive it with their own family.

The checks live here (not in the notebook) so that a student cannot redefine them; each test
cell calls one of the ``_test_*`` functions with the student's function and its own cases.
"""

import bisect
import math

import numpy as np

import ansedu
from ansedu import AnsCoder, DecodeError, EntropyModel, RangeDecoder, RangeEncoder

from . import guard
from .core import TestFailure, wrap
from .core import time_limit as _time_limit

HELPERS = ["_TestFailure", "_SECTIONS", "_fail", "_check", "_run", "_RefGaussian", "_ref_c",
           "_random_signal", "_test_leaky_c", "_test_find_symbol", "_test_signal",
           "_test_carry", "_test_encode_step", "_test_decode_step", "_RANGE_SETTINGS"]
BANS = [([ansedu.RangeEncoder, ansedu.RangeDecoder, ansedu.QuantizedGaussian], None)]
ALLOWED = []

# (precision P, word size W, state size S) of the range coder tests: teaching settings first.
_RANGE_SETTINGS = [(4, 4, 8), (24, 32, 64), (8, 8, 16), (12, 16, 32), (16, 16, 48), (4, 8, 16),
                   (32, 32, 64)]

_TestFailure = TestFailure

_SECTIONS = {
    "slots": 'chapter 8, Quantized continuous distributions, section "From a density to slots"',
    "floor": 'chapter 8, Quantized continuous distributions, section "Tails and the leaky floor"',
    "params": ('chapter 8, Quantized continuous distributions, section "Parameters per symbol, as a '
               'network gives them"'),
    "stack": 'chapter 9, Stack versus queue, section "Two ways to stack symbols"',
    "window": 'chapter 9, Stack versus queue, section "Finite precision: low, range and words"',
    "decode": 'chapter 9, Stack versus queue, section "Decoding, and where the data ends"',
}


def _fail(message, section):
    raise _TestFailure(wrap(f"{message}\n--> Reread {_SECTIONS.get(section, section)}."))


def _check(condition, message, section):
    if not condition:
        _fail(message, section)


def _run(what, section, fn, *args, seconds=5, hint="", timeout_hint="", **kwargs):
    """Call the student's fn(*args); turn any error into a message with the book pointer."""
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
        _fail(f"{what} did not finish within {seconds} s: {timeout_hint or 'does a loop in your code run forever?'}",
              section)
    except Exception as error:
        delegated = guard.take_recorded()
        if delegated:
            _fail(delegated, section)
        _fail(f"{what} raised {type(error).__name__}: {error}.{hint if not isinstance(error, TimeoutError) else ''}",
              section)


# -- the quantized Gaussian: the tests' own reference -------------------------------------------

def _cdf(t, mean, std):
    """The notebook's gaussian_cdf, the same float operations (so the same bits)."""
    return 0.5 * math.erfc((mean - t) / (std * math.sqrt(2)))


def _ref_c(x, mean, std, lo, hi, precision, shift=-0.5, leaky=True):
    """c(x) of the leaky quantization (shift=+0.5 or leaky=False give the typical mistakes)."""
    if x <= lo:
        return 0
    if x > hi:
        return 1 << precision
    k = hi - lo + 1
    if not leaky:
        return math.floor(_cdf(x + shift, mean, std) * (1 << precision))
    return math.floor(_cdf(x + shift, mean, std) * ((1 << precision) - k)) + (x - lo)


class _RefGaussian:
    """The tests' own quantized Gaussian family (the model protocol; lookup by bisection)."""

    num_params = 2

    def __init__(self, lo, hi, precision=24):
        self.lo, self.hi, self.precision = lo, hi, precision

    def interval(self, x, mean, std):
        c = _ref_c(x, mean, std, self.lo, self.hi, self.precision)
        return c, _ref_c(x + 1, mean, std, self.lo, self.hi, self.precision) - c

    def lookup(self, slot, mean, std):
        a, b = self.lo, self.hi  # c(a) <= slot < c(b + 1)
        while a < b:
            mid = (a + b + 1) // 2
            if _ref_c(mid, mean, std, self.lo, self.hi, self.precision) <= slot:
                a = mid
            else:
                b = mid - 1
        c, m = self.interval(a, mean, std)
        return a, c, m


def _random_signal(rng, n, lo, hi, precision=24):
    """Per-symbol means and stds as a network might give them, and symbols drawn from them."""
    t = np.arange(n)
    means = (0.6 * hi * np.sin(t / 17.0) + rng.normal(0, 2.0, n)).round(3)
    stds = np.exp(rng.uniform(np.log(0.2), np.log(max(1.0, (hi - lo) / 8)), n)).round(3)
    ref = _RefGaussian(lo, hi, precision)
    symbols = []
    for mean, std in zip(means, stds):
        slot = int(rng.integers(0, 1 << precision))
        symbols.append(ref.lookup(slot, float(mean), float(std))[0])
    return symbols, means.tolist(), stds.tolist()


def _test_leaky_c(leaky_c, cases):
    for mean, std, lo, hi, P in cases:
        where = f"mean={mean}, std={std}, lo={lo}, hi={hi}, precision={P}"
        got = [_run(f"leaky_c({x}, {where})", "slots", leaky_c, x, mean, std, lo, hi, P)
               for x in range(lo, hi + 2)]
        want = [_ref_c(x, mean, std, lo, hi, P) for x in range(lo, hi + 2)]
        if got == want:
            continue
        bad = [v for v in got if isinstance(v, bool) or not isinstance(v, (int, np.integer))]
        if bad:
            _fail(f"leaky_c returned {bad[0]!r} ({type(bad[0]).__name__}) for {where}: "
                  "return a Python int (math.floor gives one).", "slots")
        _check(got[0] == 0 and got[-1] == 1 << P,
               f"for {where}: c(lo) = {got[0]} and c(hi + 1) = {got[-1]}, but they must be 0 and "
               f"2^P = {1 << P}: the edge symbols take the tails, so no probability is lost.", "floor")
        masses = [b - a for a, b in zip(got, got[1:])]
        if min(masses) <= 0 or got == [_ref_c(x, mean, std, lo, hi, P, leaky=False) for x in range(lo, hi + 2)]:
            x = lo + int(np.argmin(masses))
            _fail(f"for {where} your c gives symbol {x} the mass c({x}+1) - c({x}) = {min(masses)}. "
                  "Every symbol needs at least one slot: the leaky floor. Share out only 2^P - K "
                  "slots by the CDF and add (x - lo), one free slot per symbol below x.", "floor")
        if got == [_ref_c(x, mean, std, lo, hi, P, shift=0.5) for x in range(lo, hi + 2)]:
            _fail(f"for {where} your c is off by one symbol: you evaluate the CDF at x + 1/2. c(x) "
                  "counts the slots of the symbols below x, whose real numbers end at x - 1/2, so "
                  "use F(x - 1/2).", "slots")
        x = lo + next(i for i, (a, b) in enumerate(zip(got, want)) if a != b)
        _fail(f"for {where}: leaky_c({x}) = {got[x - lo]}, but the leaky quantization gives "
              f"{want[x - lo]} = floor(F({x} - 1/2) * (2^P - K)) + ({x} - lo).", "floor")


def _part1_ok(leaky_c, lo, hi, mean, std, P):
    try:
        with _time_limit(5):
            return all(leaky_c(x, mean, std, lo, hi, P) == _ref_c(x, mean, std, lo, hi, P)
                       for x in (lo, lo + 1, (lo + hi) // 2, hi, hi + 1))
    except Exception:
        return False


def _test_find_symbol(find_symbol, leaky_c, cases, seconds=5):
    """cases: (mean, std, lo, hi, P, slots) with slots a list of slots to look up."""
    for mean, std, lo, hi, P, slots in cases:
        where = f"mean={mean}, std={std}, lo={lo}, hi={hi}, precision={P}"
        _check(_part1_ok(leaky_c, lo, hi, mean, std, P),
               f"your leaky_c (part 1) gives wrong cumulatives for {where}; find_symbol relies on "
               "it, so fix part 1 first.", "floor")
        ref = _RefGaussian(lo, hi, P)
        got = _run(f"find_symbol on {len(slots)} slots ({where})", "params",
                   lambda: [find_symbol(s, mean, std, lo, hi, P) for s in slots], seconds=seconds,
                   timeout_hint=("with 65,536 symbols a scan over the range is too slow; bisect on c "
                         "(about 16 evaluations of leaky_c per slot)."))
        for slot, x in zip(slots, got):
            want = ref.lookup(slot, mean, std)[0]
            if x != want:
                c0, c1 = (_ref_c(v, mean, std, lo, hi, P) for v in (want, want + 1))
                _fail(f"find_symbol({slot}, {where}) returned {x!r}, but slot {slot} belongs to "
                      f"symbol {want}, which owns the slots {c0} .. {c1 - 1}: return the x with "
                      "c(x) <= slot < c(x + 1).", "params")


def _test_signal(compress_signal, decompress_signal, leaky_c, cases):
    """cases: (seed, n, lo, hi, P). Words must equal ansedu.AnsCoder's with the tests' own family."""
    for seed, n, lo, hi, P in cases:
        rng = np.random.default_rng(seed)
        symbols, means, stds = _random_signal(rng, n, lo, hi, P)
        where = f"{n} symbols on {lo} .. {hi}, precision {P}"
        _check(_part1_ok(leaky_c, lo, hi, means[0], stds[0], P),
               f"your leaky_c (part 1) is wrong ({where}); compress_signal relies on it: fix part 1 first.",
               "floor")
        coder = AnsCoder(precision=P)
        coder.encode_reverse(symbols, _RefGaussian(lo, hi, P), np.array(means), np.array(stds))
        want = coder.get_compressed()
        words = _run(f"compress_signal ({where})", "params", compress_signal, symbols, means, stds, lo, hi, P,
                     seconds=20)
        _check(isinstance(words, np.ndarray) and words.dtype == want.dtype,
               f"compress_signal returned {type(words).__name__} "
               f"{getattr(words, 'dtype', '')}: return the coder's get_compressed().", "params")
        if words.tolist() != want.tolist():
            back = AnsCoder(precision=P)
            for x, mean, std in zip(symbols, means, stds):
                back.encode_reverse([x], _RefGaussian(lo, hi, P), [mean], [std])
            if words.tolist() == back.get_compressed().tolist():
                _fail(f"compress_signal ({where}) pushes the first symbol first, so the decoder pops it "
                      "last: the symbols (and their means and stds) come back in the wrong order. "
                      "ANS is a stack: encode_reverse the whole message at once (or push the last "
                      "symbol first).", "stack")
            _fail(f"compress_signal ({where}) gives other words than ansedu.AnsCoder with a leaky "
                  "quantized Gaussian per symbol: encode with MyQuantizedGaussian and the per-symbol "
                  "means and stds.", "params")
        got = _run(f"decompress_signal ({where})", "params", decompress_signal, want, means, stds, lo, hi, P,
                   seconds=20)
        got = [int(v) for v in got] if got is not None else got
        if got != symbols:
            if got == symbols[::-1]:
                _fail(f"decompress_signal ({where}) returns the symbols last to first. encode_reverse "
                      "and decode already undo each other's order.", "stack")
            _fail(f"decompress_signal ({where}) does not return the message: decode with "
                  "MyQuantizedGaussian and the same per-symbol means and stds.", "params")


# -- the range coder --------------------------------------------------------------------------

def _random_model(rng, precision):
    k = int(rng.integers(2, min(12, 1 << precision) + 1))
    probs = rng.dirichlet(np.full(k, float(rng.choice([0.2, 1.0, 5.0]))))
    masses = np.maximum(1, np.floor(probs * (1 << precision) * 0.999)).astype(np.int64)
    masses[int(np.argmax(masses))] += (1 << precision) - int(masses.sum())
    return EntropyModel(masses.tolist(), precision=precision)


def _random_message(rng, model, n):
    p = np.asarray(model.masses, dtype=float) / (1 << model.precision)
    return rng.choice(len(p), size=n, p=p).tolist()


def _test_carry(propagate_carry, cases):
    """cases: (words, W)."""
    for words, W in cases:
        mine = list(words)
        _run(f"propagate_carry({words}, {W})", "window", propagate_carry, mine, W)
        want, i = list(words), len(words) - 1
        while want[i] == (1 << W) - 1:
            want[i] = 0
            i -= 1
        want[i] += 1
        _check(mine == want,
               f"propagate_carry({words}, word_size={W}) leaves the words {mine}, but adding one to the "
               f"number they spell (first word most significant) gives {want}: the last word that is "
               "not all ones goes up by one, the all-ones words after it become zeros.", "window")


def _describe_step(before, c, m, settings):
    low, rng_, nwords = before
    P, W, S = settings
    return (f"at P={P}, W={W}, S={S}, with low = {low}, range = {rng_} and {nwords} word(s) written, "
            f"encoding (c, m) = ({c}, {m})")


def _test_encode_step(MyRangeEncoder, cases, check_invariants=True):
    """cases: (seed, settings, n). Compare the state after every symbol with ansedu.RangeEncoder."""
    for seed, (P, W, S), n in cases:
        rng = np.random.default_rng(seed)
        model = _random_model(rng, P) if seed else EntropyModel([8, 5, 3], precision=4)
        message = _random_message(rng, model, n) if seed else [2, 1, 1]
        mine = MyRangeEncoder(precision=P, word_size=W, state_size=S)
        ref = RangeEncoder(precision=P, word_size=W, state_size=S)
        for i, x in enumerate(message):
            before = (mine.low, mine.range, len(mine.words))
            words_before = list(mine.words)
            c, m = model.interval(x)
            what = _describe_step(before, c, m, (P, W, S))
            _run(f"encoding symbol {i} ({what})", "window", mine.encode, [x], model)
            ref.encode([x], model)
            if (list(mine.words), mine.low, mine.range) == (list(ref._words), ref.low, ref.range):
                continue
            scale = before[1] >> P
            new_low, new_range = before[0] + scale * c, scale * m
            if new_low >= 1 << S and (list(mine.words) != list(ref._words)) and \
                    list(mine.words)[:len(words_before)] == words_before:
                _fail(f"{what}: low + scale * c = {new_low} reaches 2^S = {1 << S}, a carry. Your "
                      f"words are {list(mine.words)}, but the carry must add one to the words written "
                      f"so far: {list(ref._words)}. Dropping the carry loses it (low keeps only S bits).",
                      "window")
            if new_range == 1 << (S - W) and len(mine.words) > len(ref._words):
                _fail(f"{what}: the new range is exactly 2^(S-W) = {new_range}, which invariant 2 allows, "
                      "but your coder renormalizes (writes a word). Renormalize only when "
                      "range < 2^(S-W).", "window")
            if new_range < 1 << (S - W) and len(mine.words) < len(ref._words):
                _fail(f"{what}: the new range {new_range} is below 2^(S-W) = {1 << (S - W)}, so the top "
                      "word of low is settled and must be written out (and low and range shifted up "
                      "by W bits); your coder did not.", "window")
            _fail(f"{what}: your coder has low = {mine.low}, range = {mine.range}, words "
                  f"{list(mine.words)}; ansedu.RangeEncoder has low = {ref.low}, range = {ref.range}, "
                  f"words {list(ref._words)}. Cut range into 2^P pieces of scale = range >> P units, "
                  "keep pieces c .. c+m-1, then carry and renormalize.", "window")
        got, want = mine.get_compressed(), ref.get_compressed()
        _check(got.tolist() == want.tolist(),
               f"after a message of {len(message)} symbols (P={P}, W={W}, S={S}), get_compressed gives "
               f"{got.tolist()[-4:]} at the end instead of {want.tolist()[-4:]}.", "decode")


def _test_decode_step(MyRangeDecoder, cases):
    """cases: (seed, settings, n): words from ansedu.RangeEncoder; compare state and symbols."""
    for seed, (P, W, S), n in cases:
        rng = np.random.default_rng(seed)
        model = _random_model(rng, P) if seed else EntropyModel([8, 5, 3], precision=4)
        message = _random_message(rng, model, n) if seed else [2, 1, 1]
        enc = RangeEncoder(precision=P, word_size=W, state_size=S)
        enc.encode(message, model)
        words = enc.get_compressed()
        mine = MyRangeDecoder(words, precision=P, word_size=W, state_size=S)
        ref = RangeDecoder(words, precision=P, word_size=W, state_size=S)
        for i, x in enumerate(message):
            before = f"point = {mine.point}, low = {mine.low}, range = {mine.range}"
            where = f"symbol {i} of a message of {len(message)} (P={P}, W={W}, S={S}; before: {before})"
            wrapped = mine.point < mine.low
            modulo = (" Here point < low (a carry went into the words), so point - low is negative; "
                      "it must be taken modulo 2^S, like the carry that made it: "
                      "slot = ((point - low) mod 2^S) // scale.") if wrapped else ""
            got = _run(f"decoding {where}", "decode", mine.decode, model, 1, hint=modulo)
            y = ref.decode(model)
            got = got[0] if isinstance(got, (list, np.ndarray)) and len(got) == 1 else got
            if got != x:
                _check(not wrapped, f"decoding {where} gave {got!r}, not {x}.{modulo}", "decode")
                _fail(f"decoding {where} gave {got!r}, but the message has {x}: slot = "
                      "((point - low) mod 2^S) // (range >> P), then look the slot up in the model.",
                      "decode")
            state, ref_state = (mine.point, mine.low, mine.range), (ref.point, ref.low, ref.range)
            _check(state == ref_state,
                   f"after decoding {where}: your point, low, range are {state}, but the encoder's "
                   f"steps give {ref_state}: update low and range as the encoder does (low modulo "
                   "2^S), and renormalize when range < 2^(S-W), reading one word into point.", "decode")
