"""The model protocol: a coder needs only precision, interval and lookup (plus num_params for a
model family with per-symbol parameters), and checks everything before it changes."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from ansedu import AnsCoder, Categorical, DecodeError, ModelError, SlowAnsCoder, SymbolError
from contract import check_round_trip, snapshot


class ThreeSlots:
    """The smallest model the documented protocol allows: precision 2, masses [1, 2, 1]
    (c = [0, 1, 3]), with nothing but precision, interval and lookup."""
    precision = 2

    def interval(self, x):
        if x not in (0, 1, 2) or isinstance(x, bool):
            raise SymbolError(f"symbol {x!r} is not 0, 1 or 2")
        return [(0, 1), (1, 2), (3, 1)][x]

    def lookup(self, slot):
        x = 0 if slot < 1 else 1 if slot < 3 else 2
        return (x, *self.interval(x))


class Favourite:
    """A model family with one parameter per symbol: at precision 4, the favourite of four
    symbols gets 10 of the 16 slots and the other three 2 each."""
    precision = 4
    num_params = 1

    def _masses(self, favourite):
        if favourite not in (0, 1, 2, 3):
            raise ModelError(f"favourite must be 0, 1, 2 or 3, got {favourite}")
        return [10 if x == favourite else 2 for x in range(4)]

    def interval(self, x, favourite):
        m = self._masses(favourite)
        if x not in (0, 1, 2, 3):
            raise SymbolError(f"symbol {x} is outside 0..3")
        return sum(m[:x]), m[x]

    def lookup(self, slot, favourite):
        m, c = self._masses(favourite), 0
        for x, mass in enumerate(m):
            if slot < c + mass:
                return x, c, mass
            c += mass
        raise AssertionError("slot out of range")


CODERS = [lambda: AnsCoder(precision=4, word_size=4, head_size=8), lambda: SlowAnsCoder(precision=4)]


@pytest.mark.parametrize("make", [lambda: AnsCoder(precision=2, word_size=2, head_size=4),
                                  lambda: SlowAnsCoder(precision=2)])
@given(st.lists(st.integers(0, 2), max_size=40))
def test_a_model_with_only_the_three_documented_members_works(make, message):
    check_round_trip(make(), message, ThreeSlots())


@pytest.mark.parametrize("make", CODERS)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), max_size=40))
def test_a_model_family_codes_with_per_symbol_parameters(make, pairs):
    symbols = [x for x, _ in pairs]
    favourites = np.array([f for _, f in pairs], dtype=float)
    coder = make()
    before = snapshot(coder)
    coder.encode_reverse(symbols, Favourite(), favourites)
    # What the family costs is what its intervals say: -log2(m/16) per symbol (+ the head's rounding).
    assert coder.decode(Favourite(), favourites).tolist() == symbols
    assert snapshot(coder) == before


def test_parameter_arrays_must_match_the_message():
    coder = AnsCoder(precision=4, word_size=4, head_size=8)
    coder.encode_reverse([1, 2], Favourite(), [1, 2])
    before = snapshot(coder)
    with pytest.raises(ModelError, match="2 entries but there are 3 symbols"):
        coder.encode_reverse([0, 1, 2], Favourite(), [0, 1])
    with pytest.raises(ModelError, match="takes 1 parameter array"):
        coder.encode_reverse([0, 1], Favourite())
    with pytest.raises(ModelError, match="fixed parameters"):
        coder.encode_reverse([0, 1], Categorical([1, 1], precision=4), [0, 1])
    with pytest.raises(ModelError, match="favourite must be"):
        coder.encode_reverse([0, 1], Favourite(), [0, 7])
    with pytest.raises(ModelError, match="must be 1-d"):
        coder.decode(Favourite(), [[1, 2]])
    assert snapshot(coder) == before


@pytest.mark.parametrize("make", CODERS)
def test_decoding_a_huge_amount_runs_out_of_data_cleanly(make):
    coder = make()
    model = Categorical([0.5, 0.5], precision=4)
    coder.encode_reverse([1, 0, 1], model)
    before = snapshot(coder)
    for amt in (10**9, 2**63):  # nothing is allocated per symbol before decoding
        with pytest.raises(DecodeError, match="ran out"):
            coder.decode(model, amt)
        assert snapshot(coder) == before
    for amt in (2.0, True, -1, "3"):
        with pytest.raises(DecodeError, match="amt"):
            coder.decode(model, amt)
    assert coder.decode(model, 3).tolist() == [1, 0, 1]


@pytest.mark.parametrize("make", CODERS)
@pytest.mark.parametrize("model", [None, 3, "abc", [None], [0.5, 0.5], {"a": 1}])
def test_what_is_not_a_model_is_named(make, model):
    coder = make()
    with pytest.raises(ModelError, match="entropy model"):
        coder.encode_reverse([0], model)
    with pytest.raises(ModelError, match="entropy model"):
        coder.decode(model, 1)


@pytest.mark.parametrize("make", CODERS)
def test_an_empty_message_with_an_empty_list_of_models(make):
    coder = make()
    coder.encode_reverse([], [])  # an autoregressive caller with nothing to say
    assert coder.is_empty()
    assert coder.decode([]).tolist() == []


@pytest.mark.parametrize("make", CODERS)
def test_symbols_must_be_integers(make):
    coder = make()
    for bad in (None, "01", [[0, 1]], [0, 0.5], [True, False], [0, "1"]):
        with pytest.raises(SymbolError):
            coder.encode_reverse(bad, Categorical([1, 1], precision=4))
        assert coder.is_empty()
