"""MatchModel: the context model with a match model (the full coder's model since format version 3)."""

import numpy as np
import pytest

from ansedu import AnsCoder, ContextModel, decode_adaptive, encode_adaptive, load_text
from ansedu.models import MatchModel
from ansedu.models.adaptive import information_content
from ansedu.models.match import MAX_LENGTH, MINLEN

TEXT = load_text("alice29")[:3000]


def test_round_trip_through_the_coder():
    data = TEXT[:800] + TEXT[:800]
    coder = AnsCoder()
    encode_adaptive(coder, data, MatchModel(3, table_bits=16))
    assert bytes(decode_adaptive(coder, MatchModel(3, table_bits=16), len(data)).astype("uint8")) == data


def test_a_copy_costs_far_less_than_with_the_context_model_alone():
    x = TEXT
    copy = {}
    for cls in (ContextModel, MatchModel):
        once = information_content(cls(5, table_bits=16), x)
        copy[cls] = (information_content(cls(5, table_bits=16), x + x) - once) / len(x)
    assert copy[MatchModel] < 0.2 < copy[ContextModel] / 2  # bits per byte of the second copy


def test_without_repeats_it_predicts_like_the_context_model():
    rng = np.random.default_rng(3)
    data = rng.integers(0, 4, 300, dtype=np.uint8).tobytes()  # no 6-byte repeat is likely
    a, b = MatchModel(2, table_bits=16), ContextModel(2, table_bits=16)
    for byte in data[:100]:
        for bit in a.decompose(byte):
            if a.match_length == 0:
                assert a.p1 == b.p1
            a.update(bit)
            b.update(bit)


def test_the_match_pointer_follows_a_repeat_and_its_length_is_capped():
    m = MatchModel(1, table_bits=16)
    unit = bytes(range(40, 90))
    lengths = []
    for byte in unit * 3:
        for bit in m.decompose(byte):
            m.update(bit)
        lengths.append(m.match_length)
    assert lengths[:len(unit)] == [0] * len(unit)  # nothing seen before
    # the second copy: found after MINLEN bytes, verified back to the start of the first copy
    assert lengths[len(unit) + MINLEN - 1] > 0
    assert max(lengths) == MAX_LENGTH and lengths[-1] == MAX_LENGTH


def test_copy_and_equality_include_the_match_state():
    m = MatchModel(2, table_bits=16)
    for byte in TEXT[:200] + TEXT[:50]:
        for bit in m.decompose(byte):
            m.update(bit)
    twin = m.copy()
    assert twin == m and type(twin) is MatchModel and twin.match_length == m.match_length > 0
    twin.update(1)
    assert twin != m
    assert m != ContextModel(2, table_bits=16) and repr(m).startswith("MatchModel(order=2")
    with pytest.raises(TypeError):
        hash(m)
