"""CompiledAnsCoder gives exactly AnsCoder's words, both ways, on every setting numba can hold."""

import functools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ansedu import AnsCoder, Categorical, EntropyModel, QuantizedGaussian
from ansedu.errors import DecodeError, SymbolError
from ansedu.fast import HAVE_NUMBA, CompiledAnsCoder
from ansedu.fast.compiled import _divide, _reciprocals, _register_helpers
from strategies import SETTINGS, model_and_message

# The compiled kernels hold the head in a uint64: settings with head_size > 64 run in Python.
COMPILED = [s for s in SETTINGS if s[2] <= 64]


def _pair(setting, compiled=True):
    P, W, S = setting
    return (AnsCoder(precision=P, word_size=W, head_size=S),
            CompiledAnsCoder(precision=P, word_size=W, head_size=S, compiled=compiled))


def test_numba_is_installed_in_the_course_venv():
    assert HAVE_NUMBA  # the course pins numba; without it the tests below would test Python twice
    assert all(CompiledAnsCoder(precision=P, word_size=W, head_size=S).compiled == (S <= 64)
               for P, W, S in SETTINGS)


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("compiled", [True, False])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_same_words_both_ways(setting, compiled, data):
    model, message = data.draw(model_and_message(setting[0]))
    message = np.array(message, dtype=data.draw(st.sampled_from([np.int64, np.int32])))  # both compiled as given
    slow, fast = _pair(setting, compiled)
    # two calls, so that the second continues on a bulk the first left
    cut = data.draw(st.integers(0, len(message)))
    for part in (message[cut:], message[:cut]):
        slow.encode_reverse(part, model)
        fast.encode_reverse(part, model)
    words = slow.get_compressed()
    assert np.array_equal(fast.get_compressed(), words) and fast.get_compressed().dtype == words.dtype
    assert (fast.head, fast.num_words()) == (slow.head, slow.num_words())
    # decode the pure-Python coder's words with the compiled coder, and the other way
    P, W, S = setting
    decoded = CompiledAnsCoder(words, precision=P, word_size=W, head_size=S,
                               compiled=compiled).decode(model, len(message))
    assert decoded.tolist() == message.tolist()
    back = AnsCoder(fast.get_compressed(), precision=P, word_size=W, head_size=S)
    assert back.decode(model, len(message)).tolist() == message.tolist()


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(-20, 20), min_size=1, max_size=50), st.integers(0, 2**32 - 1))
def test_family_encoding_is_compiled_and_identical(symbols, seed):
    rng = np.random.default_rng(seed)
    means, stds = rng.normal(0, 10, len(symbols)), rng.uniform(0.3, 20, len(symbols))
    family = QuantizedGaussian(-20, 20)
    slow, fast = AnsCoder(), CompiledAnsCoder()
    slow.encode_reverse(symbols, family, means, stds)
    fast.encode_reverse(symbols, family, means, stds)
    assert np.array_equal(fast.get_compressed(), slow.get_compressed())
    assert fast.decode(family, means, stds).tolist() == symbols  # compiled lookup too


@pytest.mark.parametrize("dtype", [np.int64, np.int32, list])
def test_bad_input_changes_nothing(dtype):
    model = Categorical([0.5, 0.0, 0.5])
    coder = CompiledAnsCoder()
    symbols = (lambda x: list(x)) if dtype is list else (lambda x: np.array(x, dtype=dtype))
    coder.encode_reverse(symbols([0, 2, 2, 0]), model)
    before = coder.get_compressed()
    with pytest.raises(SymbolError, match="position 2"):
        coder.encode_reverse(symbols([0, 2, 1, 0]), model)
    with pytest.raises(SymbolError, match="position 1"):  # the first bad one, though encoding runs backwards
        coder.encode_reverse(symbols([0, 3, 2, -1, 2]), model)
    with pytest.raises(SymbolError, match="position 0"):
        coder.encode_reverse(symbols([-1]), model)
    assert np.array_equal(coder.get_compressed(), before)
    with pytest.raises(DecodeError, match="ran out"):
        coder.decode(model, 10**6)
    assert np.array_equal(coder.get_compressed(), before)
    assert coder.decode(model, 4).tolist() == [0, 2, 2, 0]


def test_without_numba_the_pure_python_coder_runs(tmp_path):
    import subprocess
    import sys
    code = ("import sys; sys.modules['numba'] = None\n"  # makes `import numba` fail
            "import numpy as np, ansedu\n"
            "from ansedu import AnsCoder, Categorical, CompiledAnsCoder, TansCoder\n"
            "assert not ansedu.HAVE_NUMBA and not CompiledAnsCoder().compiled\n"
            "m = Categorical([0.5, 0.3, 0.2], precision=8); x = np.array([0, 2, 1, 0, 1] * 20)\n"
            "a = AnsCoder(precision=8, word_size=8, head_size=16); a.encode_reverse(x, m)\n"
            "b = CompiledAnsCoder(precision=8, word_size=8, head_size=16); b.encode_reverse(x, m)\n"
            "t = TansCoder(m); t.encode_reverse(x)\n"
            "assert np.array_equal(a.get_compressed(), b.get_compressed())\n"
            "assert np.array_equal(a.get_compressed(), t.get_compressed())\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


# -- the exact division by a mass (reciprocals) and the heads around the flush bound ----------

MAX_P = max(P for P, _, _ in COMPILED)  # 32: every mass a compiled coder divides by is <= 2^32


def _edge_divisors():
    """1, 2, 3, powers of two and their neighbours up to 2^32: the masses 1, 2^P - 1 and 2^P of
    every precision, and the divisors whose reciprocal tables change shape (l = 0, 1, 32)."""
    ds = {1, 2, 3}
    for k in range(1, MAX_P + 1):
        ds |= {2**k - 1, 2**k, 2**k + 1}
    return sorted(d for d in ds if d <= 2**MAX_P)


def _limit(d):
    """The dividends _divide takes for divisor d: below d 2^(64 - l), l the bits of d - 1."""
    return d << (64 - (d - 1).bit_length())


def _edge_dividends(d):
    """0, around d, around every flush bound d 2^(S-P) of the compiled settings, around powers of
    two and their multiples of d, and the largest allowed."""
    ns = {0, 1, d - 1, d, d + 1, _limit(d) - 2, _limit(d) - 1}
    for P, _, S in COMPILED:
        ns |= {d * 2**(S - P) - 1, d * 2**(S - P)}
    for k in range(1, 65):
        ns |= {2**k - 1, 2**k, (2**k // d) * d, (2**k // d) * d - 1}
    return sorted(n for n in ns if 0 <= n < _limit(d))


def _tables(d):
    magic, l = _reciprocals(np.array([d], dtype=np.uint64))
    return int(magic[0]), int(l[0])


def test_the_flush_bound_is_within_what_divide_takes():
    # the encoding step divides heads below m 2^(S-P): _divide must take them for every mass m <= 2^P
    for P, _, S in COMPILED:
        for m in {1, 2, 3, 2**P - 1, 2**P, 2**(P - 1) + 1} - {0}:
            assert m * 2**(S - P) <= _limit(m), (P, S, m)


@settings(max_examples=300, deadline=None)
@given(d=st.one_of(st.sampled_from(_edge_divisors()), st.integers(1, 2**MAX_P)),
       n=st.one_of(st.integers(0, 2**64 - 1), st.integers(0, 2**40), st.sampled_from([0, 2**64 - 1])))
def test_reciprocal_division_is_exact_on_python_integers(d, n):
    n = n % _limit(d)
    magic, l = _tables(d)
    assert 0 < magic < 2**64 and l == (d - 1).bit_length()
    # the bound that makes it exact: the 65-bit multiplier M = 2^64 + magic overshoots 2^(64+l)/d by at most 1/d
    assert 0 < (2**64 + magic) * d - 2**(64 + l) <= d
    assert n + (magic * n >> 64) < 2**64  # no overflow in 64 bits
    assert _divide(n, magic, l) == n // d


def test_reciprocal_division_is_exact_at_the_edges_on_python_integers():
    for d in _edge_divisors():
        magic, l = _tables(d)
        for n in _edge_dividends(d):
            assert n + (magic * n >> 64) < 2**64 and _divide(n, magic, l) == n // d, (n, d)


def test_reciprocals_reject_masses_above_2_to_the_32():
    with pytest.raises(ValueError):
        _reciprocals(np.array([2**32 + 1], dtype=np.uint64))
    assert _tables(0) == _tables(1) == (1, 0)  # mass 0: never divided by, given harmless tables


@functools.cache
def _compiled_divide():
    import numba
    _register_helpers()

    @numba.njit
    def divide_all(ns, magic, l, out):
        for i in range(ns.size):
            out[i] = _divide(ns[i], magic[i], l[i])
    return divide_all


def _check_compiled(ns, ds):
    ns, ds = np.array(ns, dtype=np.uint64), np.array(ds, dtype=np.uint64)
    out = np.zeros_like(ns)
    _compiled_divide()(ns, *_reciprocals(ds), out)
    wrong = np.flatnonzero(out != ns // ds)  # numpy's uint64 floor division: exact
    assert wrong.size == 0, [(int(ns[i]), int(ds[i]), int(out[i])) for i in wrong[:5]]


def test_reciprocal_division_is_exact_at_the_edges_compiled():
    pairs = [(n, d) for d in _edge_divisors() for n in _edge_dividends(d)]
    _check_compiled(*zip(*pairs))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**64 - 1),
                          st.one_of(st.integers(1, 2**MAX_P), st.sampled_from(_edge_divisors()))),
                min_size=1, max_size=200))
def test_reciprocal_division_is_exact_compiled(pairs):
    _check_compiled(*zip(*[(n % _limit(d), d) for n, d in pairs]))


@st.composite
def _edge_step(draw, setting):
    """A model with a mass at an edge (1, 2, 2^P - 1, 2^P or any), a head at or around the
    flush bound m 2^(S-P) of that mass (or anywhere), and a few symbols ending in that one."""
    P, W, S = setting
    m = draw(st.one_of(st.sampled_from([1, 2, 2**P - 1, 2**P]), st.integers(1, 2**P)))
    model = EntropyModel([m] if m == 2**P else [m, 2**P - m], P)
    bound = m << (S - P)
    low = 1 << (S - W)
    head = draw(st.one_of(st.sampled_from([bound - 1, bound, bound + 1, low, 2**S - 1]),
                          st.integers(low, 2**S - 1)))
    head = min(max(head, low), 2**S - 1)
    rest = draw(st.lists(st.integers(0, len(model.masses) - 1), max_size=5))
    return model, head, np.array(rest + [0], dtype=np.int64)  # encoded last to first: symbol 0 first


@pytest.mark.parametrize("setting", COMPILED, ids=str)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_same_words_with_edge_masses_and_heads_at_the_flush_bound(setting, data):
    model, head, message = data.draw(_edge_step(setting))
    slow, fast = _pair(setting)
    for coder in (slow, fast):
        coder.seek(0, head)  # start from this head (an empty bulk)
        coder.encode_reverse(message, model)
    assert (fast.head, fast._n) == (slow.head, slow._n)
    assert np.array_equal(fast.get_compressed(), slow.get_compressed())
    assert fast.decode(model, len(message)).tolist() == message.tolist()
    assert (fast.head, fast._n) == (head, 0)  # decoding undoes it exactly


# -- model families: c(x) compiled from the families' own functions ---------------------------

from ansedu import QuantizedLaplace, QuantizedLogistic  # noqa: E402
from ansedu.errors import ModelError  # noqa: E402
from ansedu.fast.compiled import _family_c, _family_kind  # noqa: E402
from ansedu.models import families  # noqa: E402

FAMILIES = [QuantizedGaussian, QuantizedLaplace, QuantizedLogistic]


@functools.cache
def _compiled_c():
    import numba
    _register_helpers()

    @numba.njit
    def c_all(kind, xs, locs, scales, lo, hi, total, free, free_int, out):
        for i in range(xs.size):
            out[i] = _family_c(kind, lo, hi, total, free, free_int, xs[i], locs[i], scales[i])
    return c_all


def _finite(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


# locations and scales from ordinary to extreme: subnormal and huge scales, locations far
# outside the range, exactly on half-integers (bin edges), and around the clamp |z| = 64
LOCS = st.one_of(_finite(-300, 300), _finite(-1e308, 1e308), st.integers(-300, 300).map(lambda v: v + 0.5),
                 st.sampled_from([0.0, -0.0, 2.0**50, -2.0**50, 1e-300, 5e-324]))
SCALES = st.one_of(_finite(0.01, 100), _finite(5e-324, 1e308).filter(lambda v: v > 0),
                   st.sampled_from([5e-324, 1e-300, 1.0 / 64, 1.0, 1e6, 1e300, 1.7e308]))


@st.composite
def _family_and_range(draw, precisions=(1, 2, 4, 8, 12, 16, 24, 32, 40, 52), wide=True):
    """A family, a precision and a range of K <= 2^P symbols: small ranges, ranges filling the
    slots (the leaky floor matters; K = 2^P leaves no free slot) and ranges far from 0."""
    family = draw(st.sampled_from(FAMILIES))
    P = draw(st.sampled_from(precisions))
    K = draw(st.one_of(st.integers(1, min(2**P, 300)), st.sampled_from([2**P, max(1, 2**P - 1), max(1, 2**P >> 4)]),
                       st.integers(1, min(2**P, 2**17))))
    K = min(K, 2**P, 2**17)
    far = 2**40 if wide else 2**31 - K  # (the decoders return int32 arrays)
    lo = draw(st.one_of(st.integers(-K // 2 - 2, 0), st.integers(-far, far), st.sampled_from([-2**31, 2**31 - K])))
    return family(lo, lo + K - 1, precision=P)


def test_only_the_known_families_are_compiled():
    assert [_family_kind(f(-3, 3)) for f in FAMILIES] == [0, 1, 2]
    assert _family_kind(Categorical([0.5, 0.5])) == -1
    model = QuantizedGaussian(-3, 3)
    model._c = lambda *a: 0  # a replaced c(x) is not the family's: Python
    assert _family_kind(model) == -1


@settings(max_examples=200, deadline=None)
@given(model=_family_and_range(), locs=st.lists(LOCS, min_size=1, max_size=30),
       scales=st.lists(SCALES, min_size=1, max_size=30), data=st.data())
def test_family_c_is_bit_identical_compiled(model, locs, scales, data):
    """c(x) compiled equals c(x) in Python (_leaky_c on Python floats) and in numpy (_c_array),
    for every x of the range and its edges (min, max + 1), at extreme locations and scales."""
    n = min(len(locs), len(scales))
    lo, hi = model.min_symbol, model.max_symbol
    inner = data.draw(st.lists(st.integers(lo, hi + 1), min_size=n, max_size=n))
    xs = np.array(inner + [lo, hi + 1] * n, dtype=np.int64)
    loc = np.resize(np.array(locs[:n], dtype=float), xs.size)
    scale = np.resize(np.array(scales[:n], dtype=float), xs.size)
    out = np.zeros(xs.size, dtype=np.int64)
    _compiled_c()(_family_kind(model), xs, loc, scale, lo, hi, model._total, model._free, model._free_int, out)
    python = [model._c(int(x), float(a), float(b)) for x, a, b in zip(xs, loc, scale)]
    assert out.tolist() == python
    mid = (xs > lo) & (xs <= hi)  # _c_array's domain (the edges are set, not computed)
    if mid.any():
        assert model._c_array(xs[mid].astype(float), loc[mid], scale[mid]).astype(np.int64).tolist() == out[mid].tolist()


def _family_message(draw, model, n, extreme):
    lo, hi = model.min_symbol, model.max_symbol
    if extreme:
        locs = draw(st.lists(LOCS, min_size=n, max_size=n))
        scales = draw(st.lists(SCALES, min_size=n, max_size=n))
    else:
        mid = (lo + hi) / 2
        locs = draw(st.lists(_finite(mid - (hi - lo), mid + (hi - lo)), min_size=n, max_size=n))
        scales = draw(st.lists(_finite(0.05, max(1.0, (hi - lo) / 2)), min_size=n, max_size=n))
    symbols = draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n))
    return np.array(symbols, dtype=np.int64), np.array(locs, dtype=float), np.array(scales, dtype=float)


@pytest.mark.parametrize("setting", COMPILED, ids=str)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_family_words_and_decoding_identical_both_ways(setting, data):
    P, W, S = setting
    model = data.draw(_family_and_range(precisions=(P,), wide=False))
    n = data.draw(st.integers(0, 60))
    symbols, locs, scales = _family_message(data.draw, model, n, data.draw(st.booleans()))
    slow, fast = _pair(setting)
    cut = data.draw(st.integers(0, n))  # two calls: the second continues the first's bulk
    for part in (slice(cut, n), slice(0, cut)):
        slow.encode_reverse(symbols[part], model, locs[part], scales[part])
        fast.encode_reverse(symbols[part].tolist() if cut % 2 else symbols[part], model, locs[part], scales[part])
    words = slow.get_compressed()
    assert np.array_equal(fast.get_compressed(), words) and (fast.head, fast._n) == (slow.head, slow._n)
    # decode the pure-Python words with both, and the compiled words with the pure-Python coder
    ref = AnsCoder(words, precision=P, word_size=W, head_size=S)
    got = CompiledAnsCoder(words, precision=P, word_size=W, head_size=S)
    assert ref.decode(model, locs, scales).tolist() == symbols.tolist()
    original = model.lookup
    model.lookup = lambda *a: pytest.fail("the compiled decoder called the Python lookup")
    try:
        assert got.decode(model, locs, scales).tolist() == symbols.tolist()
    finally:
        model.lookup = original
    assert (got.head, got._n) == (ref.head, ref._n)
    assert np.array_equal(got.get_compressed(), ref.get_compressed())
    back = AnsCoder(fast.get_compressed(), precision=P, word_size=W, head_size=S)
    assert back.decode(model, locs, scales).tolist() == symbols.tolist()


@pytest.mark.parametrize("setting", [(24, 32, 64), (12, 16, 32), (32, 32, 64)], ids=str)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_family_decoding_garbage_is_identical(setting, data):
    """Decoding words that were not encoded with these parameters (any slots, any heads): the
    same symbols and the same final state, slot for slot, as the pure-Python decoder."""
    P, W, S = setting
    model = data.draw(_family_and_range(precisions=(P,), wide=False))
    n = data.draw(st.integers(1, 80))
    _, locs, scales = _family_message(data.draw, model, n, data.draw(st.booleans()))
    words = np.array(data.draw(st.lists(st.integers(0, 2**W - 1), min_size=2, max_size=40)),
                     dtype=AnsCoder(precision=P, word_size=W, head_size=S).dtype)
    words[-1] |= 1  # a valid top word (non-zero)
    ref = AnsCoder(words, precision=P, word_size=W, head_size=S)
    got = CompiledAnsCoder(words, precision=P, word_size=W, head_size=S)
    start = (got.head, got._n)
    try:
        want = ref.decode(model, locs, scales)
    except DecodeError:
        _raises_same(lambda: ref.decode(model, locs, scales), lambda: got.decode(model, locs, scales))
        assert (got.head, got._n) == start  # unchanged
        return
    assert got.decode(model, locs, scales).tolist() == want.tolist()
    assert (got.head, got._n) == (ref.head, ref._n)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("K", [41, 2**17 + 1])  # a fixed model with its table, and one without
def test_fixed_parameter_family_identical(family, K):
    model = family(-(K // 2), K // 2, 3.5, 7.25)
    rng = np.random.default_rng(K)
    symbols = np.clip(np.round(rng.normal(3.5, 7.25, 3000)), -(K // 2), K // 2).astype(np.int64)
    slow, fast = AnsCoder(), CompiledAnsCoder()
    slow.encode_reverse(symbols, model)
    fast.encode_reverse(symbols, model)
    assert np.array_equal(fast.get_compressed(), slow.get_compressed())
    got = CompiledAnsCoder(slow.get_compressed())
    assert got.decode(model, symbols.size).tolist() == symbols.tolist()
    assert got.head == AnsCoder().head and got._n == 0


def _raises_same(call_slow, call_fast):
    """Both calls raise the same error type and message."""
    with pytest.raises(Exception) as slow_exc:
        call_slow()
    with pytest.raises(type(slow_exc.value)) as fast_exc:
        call_fast()
    assert str(fast_exc.value) == str(slow_exc.value)


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_family_bad_input_raises_the_same_errors_and_changes_nothing(family, data):
    model = family(-20, 20)
    n = data.draw(st.integers(1, 30))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    symbols, locs, scales = rng.integers(-20, 21, n), rng.normal(0, 10, n), rng.uniform(0.3, 20, n)
    slow, fast = AnsCoder(), CompiledAnsCoder()
    for coder in (slow, fast):
        coder.encode_reverse(symbols, model, locs, scales)
    before = fast.get_compressed(), fast.head
    # one bad entry: a symbol outside the range, a non-finite location, a non-positive or non-finite scale
    i = data.draw(st.integers(0, n - 1))
    what = data.draw(st.sampled_from(["symbol", "loc", "scale", "short", "both"]))
    bad_sym, bad_loc, bad_scale = symbols.copy(), locs.copy(), scales.copy()
    if what in ("symbol", "both"):
        bad_sym[i] = data.draw(st.sampled_from([-21, 21, 2**40]))
    if what in ("loc", "both"):
        bad_loc[data.draw(st.integers(0, n - 1))] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    if what == "scale":
        bad_scale[i] = data.draw(st.sampled_from([0.0, -1.0, np.nan, np.inf, -0.0]))
    if what == "short":
        bad_scale = bad_scale[:-1]
    _raises_same(lambda: slow.encode_reverse(bad_sym, model, bad_loc, bad_scale),
                 lambda: fast.encode_reverse(bad_sym, model, bad_loc, bad_scale))
    assert np.array_equal(fast.get_compressed(), before[0]) and fast.head == before[1]
    if what != "symbol":
        _raises_same(lambda: slow.clone().decode(model, bad_loc, bad_scale),
                     lambda: fast.decode(model, bad_loc, bad_scale))
        assert np.array_equal(fast.get_compressed(), before[0]) and fast.head == before[1]
    # decoding more symbols than were encoded runs out (a bad parameter past that point is
    # still found first, as the pure-Python coder checks all parameters before decoding)
    longer = np.concatenate([locs, np.zeros(10**4)]), np.concatenate([scales, np.ones(10**4)])
    if data.draw(st.booleans()):
        longer[1][-1] = -1.0
    _raises_same(lambda: slow.clone().decode(model, *longer), lambda: fast.decode(model, *longer))
    assert np.array_equal(fast.get_compressed(), before[0]) and fast.head == before[1]
    assert fast.decode(model, locs, scales).tolist() == symbols.tolist()


def test_a_stale_family_kernel_falls_back_to_python(monkeypatch):
    """If the compiled family kernels disagree with the pure coder (as a cached kernel would after
    an edit of families.py), the family runs in Python, with a warning that says what to delete."""
    import warnings

    import ansedu.fast.compiled as compiled
    from ansedu.models.families import QuantizedLaplace

    class Disagreeing(compiled.AnsCoder):  # the "pure" side of the check, made to differ
        def get_compressed(self):
            words = super().get_compressed().copy()
            words[0] ^= 1
            return words

    monkeypatch.setattr(compiled, "_MATCHED", {})
    monkeypatch.setattr(compiled, "AnsCoder", Disagreeing)
    model = QuantizedLaplace(-20, 20)
    with pytest.warns(RuntimeWarning, match=r"disagree.*\.nbi"):
        assert compiled._family_kind(model) == -1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # checked once per process and family
        assert compiled._family_kind(model) == -1
    monkeypatch.setattr(compiled, "_MATCHED", {})
    monkeypatch.setattr(compiled, "AnsCoder", Disagreeing.__mro__[1])
    assert compiled._family_kind(model) == 1  # agreeing kernels are used


def test_decoding_more_symbols_than_the_data_holds_runs_out_like_ansCoder():
    """A huge amount is decoded chunk by chunk: the data runs out (DecodeError, coder unchanged),
    as in AnsCoder, instead of a failed allocation."""
    from ansedu.errors import DecodeError
    from ansedu.models.families import QuantizedGaussian

    for model, params in ((Categorical([0.5, 0.25, 0.25]), ()), (QuantizedGaussian(-5, 5, 0.0, 1.0), ())):
        coder = CompiledAnsCoder()
        coder.encode_reverse(np.array([0, 1, 2] * 10), model)
        before = coder.get_compressed()
        with pytest.raises(DecodeError, match=r"after decoding \d+ of 9223372036854775807"):
            coder.decode(model, 2**63 - 1)
        assert np.array_equal(coder.get_compressed(), before)
        assert coder.decode(model, 30).tolist() == [0, 1, 2] * 10


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_decoding_in_chunks_gives_the_same_symbols_and_state(monkeypatch, chunk):
    import ansedu.fast.compiled as compiled

    rng = np.random.default_rng(chunk)
    model = Categorical(rng.dirichlet(np.ones(9)))
    family = QuantizedGaussian(-40, 40)
    x = rng.integers(0, 9, 200)
    loc, scale = rng.normal(0, 10, 150), rng.uniform(0.5, 20, 150)
    y = np.clip(np.round(rng.normal(loc, scale)), -40, 40).astype(np.int64)
    whole, pieces = CompiledAnsCoder(), CompiledAnsCoder()
    for coder in (whole, pieces):
        coder.encode_reverse(y, family, loc, scale)
        coder.encode_reverse(x, model)
    expected = (whole.decode(model, 200), whole.decode(family, loc, scale))
    monkeypatch.setattr(compiled, "_CHUNK", chunk)
    got = (pieces.decode(model, 200), pieces.decode(family, loc, scale))
    assert [a.tolist() for a in got] == [a.tolist() for a in expected] == [x.tolist(), y.tolist()]
    assert pieces.is_empty() and whole.is_empty()
    # a bad parameter in a later chunk is still named by the pure path's check, coder unchanged
    coder = CompiledAnsCoder()
    coder.encode_reverse(y, family, loc, scale)
    before = coder.get_compressed()
    bad = scale.copy()
    bad[-1] = -1.0
    with pytest.raises(Exception, match=r"std\[149\] is -1.0"):
        coder.decode(family, loc, bad)
    assert np.array_equal(coder.get_compressed(), before)
