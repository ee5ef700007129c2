"""Random access: checkpoints of both coders and the jump table, decoding random blocks alone."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ansedu import (AnsCoder, Categorical, ConfigError, DecodeError, JumpTable, RangeDecoder,
                    encode_with_checkpoints)
from strategies import model_and_message
from tiny_family import Peaked

SIZES = {"range": [dict(precision=4, word_size=4, state_size=8), dict(precision=12, word_size=16, state_size=32),
                   dict()],
         "ans": [dict(precision=4, word_size=4, head_size=8), dict(precision=12, word_size=16, head_size=32),
                 dict()]}


@settings(max_examples=80)
@given(st.data())
def test_any_block_decodes_alone(data):
    coder = data.draw(st.sampled_from(["range", "ans"]))
    kw = data.draw(st.sampled_from(SIZES[coder]))
    P = kw.get("precision", 24)
    model, message = data.draw(model_and_message(P, max_len=150))
    every = data.draw(st.integers(1, 40))
    table = encode_with_checkpoints(message, model, every=every, coder=coder, debug=True, **kw)
    assert table.num_blocks == -(-len(message) // every)
    # The words are the ones the coder writes for the whole message in one call.
    if coder == "range":
        from ansedu import RangeEncoder
        whole = RangeEncoder(debug=True, **kw)
        whole.encode(message, model)
    else:
        whole = AnsCoder(debug=True, **kw)
        whole.encode_reverse(message, model)
    assert table.words.tolist() == whole.get_compressed().tolist()
    if not message:
        return
    blocks = data.draw(st.lists(st.integers(0, table.num_blocks - 1), min_size=1, max_size=10))
    for b in blocks:  # random blocks in random order, each with a fresh decoder
        start, stop = table.block_bounds(b)
        assert table.decode_block(b, model).tolist() == message[start:stop]
    start = data.draw(st.integers(0, len(message)))
    stop = data.draw(st.integers(start, len(message)))
    assert table.decode_range(start, stop, model).tolist() == message[start:stop]


def test_long_message_random_blocks_with_families_and_model_lists():
    rng = np.random.default_rng(5)
    n = 20_000
    family = Peaked(6, 24)
    peaks = rng.integers(0, 6, n).astype(float)
    message = rng.integers(0, 6, n)
    for coder in ("range", "ans"):
        table = encode_with_checkpoints(message, family, peaks, every=1000, coder=coder)
        for b in rng.integers(0, table.num_blocks, 5):
            start, stop = table.block_bounds(b)
            assert table.decode_block(b, family, peaks).tolist() == message[start:stop].tolist()
    models = [Categorical(rng.dirichlet(np.ones(3))) for _ in range(600)]
    symbols = [int(rng.choice(3, p=m.float_probabilities)) for m in models]
    for coder in ("range", "ans"):
        table = encode_with_checkpoints(symbols, models, every=50, coder=coder)
        assert table.decode_range(120, 480, models).tolist() == symbols[120:480]


@settings(max_examples=60)
@given(st.data())
def test_ans_seek_to_every_checkpoint(data):
    model, message = data.draw(model_and_message(4, max_len=60))
    kw = dict(precision=4, word_size=4, head_size=8, debug=True)
    coder = AnsCoder(**kw)
    checkpoints = [coder.pos()]
    for x in reversed(message):
        coder.encode_reverse([x], model)
        checkpoints.append(coder.pos())
    checkpoints.reverse()  # checkpoints[i]: decoding starts at symbol i
    decoder = AnsCoder(coder.get_compressed(), **kw)
    for i in data.draw(st.permutations(range(len(message)))):
        decoder.seek(*checkpoints[i])
        assert decoder.decode(model, len(message) - i).tolist() == message[i:]


def test_ans_seek_refuses_states_that_cannot_be_checkpoints():
    # AnsCoder can check the position (within the bulk) and the head (within [2^(S-W), 2^S));
    # every head in that range is a state some message reaches, so nothing more is checkable.
    coder = AnsCoder()
    coder.encode_reverse([0, 1, 2] * 50, Categorical([0.2, 0.3, 0.5]))
    decoder = AnsCoder(coder.get_compressed())
    with pytest.raises(DecodeError, match="cannot seek"):
        decoder.seek(10**6, 2**40)
    with pytest.raises(DecodeError, match="not a head"):
        decoder.seek(0, 5)


def test_bad_input():
    model = Categorical([0.5, 0.5])
    with pytest.raises(ConfigError, match="every"):
        encode_with_checkpoints([0, 1], model, every=0)
    with pytest.raises(ConfigError, match="coder"):
        encode_with_checkpoints([0, 1], model, every=1, coder="huffman")
    table = encode_with_checkpoints([0, 1, 1, 0, 1], model, every=2)
    assert isinstance(table, JumpTable) and table.num_blocks == 3
    with pytest.raises(DecodeError, match="block 3 does not exist"):
        table.decode_block(3, model)
    with pytest.raises(DecodeError, match="integer"):
        table.decode_block(1.5, model)
    with pytest.raises(DecodeError, match="not within"):
        table.decode_range(2, 9, model)
    # A state whose interval does not contain the data's point cannot be a checkpoint of this
    # data: the range decoder notices (a state that does contain it cannot be told apart).
    decoder = RangeDecoder(table.words)
    position = table.checkpoints[1][0]
    point = int(table.words[position]) << 32 | (int(table.words[position + 1]) if position + 1 < len(table.words) else 0)
    with pytest.raises(DecodeError, match="never a checkpoint"):
        decoder.seek(position, ((point + 1) % 2**64, 2**32))
