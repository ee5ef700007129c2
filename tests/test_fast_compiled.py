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
    assert fast.decode(family, means, stds).tolist() == symbols  # Python lookup per symbol


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
