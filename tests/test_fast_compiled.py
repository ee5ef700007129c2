"""CompiledAnsCoder gives exactly AnsCoder's words, both ways, on every setting numba can hold."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ansedu import AnsCoder, Categorical, QuantizedGaussian
from ansedu.errors import DecodeError, SymbolError
from ansedu.fast import HAVE_NUMBA, CompiledAnsCoder
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
    message = np.array(message, dtype=np.int64)
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


def test_bad_input_changes_nothing():
    model = Categorical([0.5, 0.0, 0.5])
    coder = CompiledAnsCoder()
    coder.encode_reverse(np.array([0, 2, 2, 0]), model)
    before = coder.get_compressed()
    with pytest.raises(SymbolError, match="position 2"):
        coder.encode_reverse(np.array([0, 2, 1, 0]), model)
    with pytest.raises(SymbolError):
        coder.encode_reverse(np.array([0, 3]), model)
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
