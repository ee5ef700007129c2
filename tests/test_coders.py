"""Property-based tests of the three coders: round trips, message identity, bit accounting."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ansedu import AnsCoder, Categorical, SlowAnsCoder, Uniform, UniformCoder
from contract import check_round_trip, snapshot
from strategies import SETTINGS, model_and_message

# --- UniformCoder -------------------------------------------------------------------

digits = st.lists(st.integers(1, 2**40).flatmap(lambda b: st.tuples(st.integers(0, b - 1), st.just(b))),
                  max_size=40)


@given(digits)
def test_uniform_coder_round_trip_and_bits(pairs):
    coder = UniformCoder()
    for symbol, base in pairs:
        coder.push(symbol, base)
    information = sum(math.log2(base) for _, base in pairs)
    # The state is in [prod(b), 2 prod(b)), so its bits without the leading one are within 1 of
    # the information: information - 1 < num_bits < information + 1.
    assert information - 1 < coder.num_bits() < information + 1
    for symbol, base in reversed(pairs):
        assert coder.pop(base) == symbol
    assert coder.is_empty()


# --- SlowAnsCoder and AnsCoder ---------------------------------------------------------

@settings(max_examples=150)
def round_trip_empty_and_not(coder, precision, data):
    """The contract from an empty coder, then again on top of another message: message
    identity must hold whatever is underneath."""
    model, message = data.draw(model_and_message(precision))
    check_round_trip(coder, message, model)
    prefix_model, prefix = data.draw(model_and_message(precision))
    coder.encode_reverse(prefix, prefix_model)
    check_round_trip(coder, message, model)


@given(st.data())
def test_streaming_round_trip_any_settings(data):
    precision, word_size, head_size = data.draw(st.sampled_from(SETTINGS))
    coder = AnsCoder(precision=precision, word_size=word_size, head_size=head_size, debug=True)
    round_trip_empty_and_not(coder, precision, data)


@settings(max_examples=60)
@given(st.data())
def test_slow_ans_round_trip(data):
    precision = data.draw(st.sampled_from([1, 2, 4, 8, 24, 40]))
    round_trip_empty_and_not(SlowAnsCoder(precision=precision), precision, data)


@settings(max_examples=60)
@given(st.data())
def test_per_symbol_models(data):
    precision, word_size, head_size = data.draw(st.sampled_from(SETTINGS[2:]))
    pairs = data.draw(st.lists(model_and_message(precision, max_len=1).filter(lambda mm: mm[1]),
                               max_size=30))
    models = [m for m, _ in pairs]
    message = [msg[0] for _, msg in pairs]
    if not models:
        return
    for coder in (AnsCoder(precision=precision, word_size=word_size, head_size=head_size, debug=True),
                  SlowAnsCoder(precision=precision)):
        before = snapshot(coder)
        coder.encode_reverse(message, models)
        assert coder.decode(models).tolist() == message  # amt defaults to len(models)
        assert snapshot(coder) == before


@settings(max_examples=80)
@given(st.data())
def test_slow_ans_bit_accounting(data):
    # num_bits() counts what a decoder needs: the state's digits below its leading one, the
    # initial_bits = P included. Proof sketch (see SlowAnsCoder): one step maps N to N' with
    # N' + 2^P <= (N + 2^P) 2^P / m(x). From N = 2^P, log2(N_end + 2^P) <= P + 1 + I, so
    # num_bits = floor(log2 N_end) < P + 1 + I: the message's own cost num_bits - P < I + 1.
    precision = data.draw(st.sampled_from([1, 3, 8, 16, 24]))
    model, message = data.draw(model_and_message(precision, max_len=200))
    coder = SlowAnsCoder(precision=precision)
    assert coder.initial_bits == precision and coder.num_bits() == precision  # empty: the initial bits
    coder.encode_reverse(message, model)
    information = model.information_content(message)
    assert coder.num_bits() == len(coder.stack.bits())  # exactly the bits a decoder is given
    assert coder.num_bits() - coder.initial_bits < information + 1
    # Encoding is injective, so it cannot beat the information content by much on any message;
    # each step keeps N' >= floor(N / m) 2^P, which loses at most log2(1 + m/(N - m)) bits.
    assert coder.num_bits() - coder.initial_bits > information - precision - 2


@settings(max_examples=80)
@given(st.data())
def test_streaming_bit_accounting(data):
    # Proven in the chapter on streaming ANS: with phi = log2(head) + W * len(bulk), a flush never
    # raises phi, and a step raises it by less than P - log2 m(x) + log2(1 + 2^(P+W-S)). From
    # phi = log2 L = S - W (the initial bits), phi_end < S - W + I + n log2(1 + 2^(P+W-S)), and
    # get_compressed writes W len(bulk) + S bits <= phi_end + W (as head >= L = 2^(S-W)). Hence
    # num_bits - initial_bits <= I + W + n log2(1 + 2^(P+W-S)).
    precision, word_size, head_size = data.draw(st.sampled_from(SETTINGS))
    model, message = data.draw(model_and_message(precision, max_len=300))
    coder = AnsCoder(precision=precision, word_size=word_size, head_size=head_size)
    coder.encode_reverse(message, model)
    information = model.information_content(message)
    if coder.is_empty():  # only messages of certain symbols (m = 2^P) leave the coder empty
        assert information == 0 and coder.num_bits() == 0 == coder.initial_bits
        return
    assert coder.initial_bits == head_size - word_size
    slack = len(message) * math.log2(1 + 2.0 ** (precision + word_size - head_size))
    assert coder.num_bits() - coder.initial_bits <= information + word_size + slack + 1e-9
    # And a step raises phi by at least P - log2 m + log2(1 - 2^(P+W-S)) (a flush loses at most as
    # much), so phi_end >= S - W + I - loss, and num_bits = W len(bulk) + S > phi_end (head < 2^S):
    # when P + W < S, the message's own cost cannot undercut its information content by more.
    if precision + word_size < head_size:
        loss = 2 * len(message) * -math.log2(1 - 2.0 ** (precision + word_size - head_size))
        assert coder.num_bits() - coder.initial_bits >= information - loss


def test_streaming_overhead_default_settings():
    # 10^4 symbols of a skewed 16-symbol source at 24/32/64: the words may exceed the information
    # content under the quantized model by the 64-bit head plus a tiny rounding loss per symbol.
    rng = np.random.default_rng(7)
    p = rng.dirichlet(np.full(16, 0.3))
    model = Categorical(p)
    message = rng.choice(16, size=10_000, p=model.probabilities)
    coder = AnsCoder()
    coder.encode_reverse(message, model)
    information = model.information_content(message)
    # The message's own cost: above I (the bound of test_streaming_bit_accounting, with a loss of
    # 2e-8 bits per symbol here), at most one 32-bit word plus a tiny rounding loss per symbol above.
    assert coder.initial_bits == 32
    assert information < coder.num_bits() - coder.initial_bits <= information + 32 + 1e-4 * information


@given(st.integers(1, 30), st.lists(st.integers(0, 10**9), max_size=50))
def test_uniform_model_round_trip(n, raw):
    model = Uniform(n, precision=8)
    message = [r % n for r in raw]
    check_round_trip(AnsCoder(precision=8, word_size=8, head_size=16, debug=True), message, model)


def test_one_symbol_alphabet_costs_nothing():
    model = Categorical([1.0], precision=8)
    coder = AnsCoder(precision=8, word_size=8, head_size=16)
    coder.encode_reverse([0] * 1000, model)
    assert coder.is_empty() and coder.num_bits() == 0 == coder.initial_bits
    assert coder.decode(model, 1000).tolist() == [0] * 1000


def test_seek_backwards_and_forwards():
    rng = np.random.default_rng(3)
    model = Categorical(rng.dirichlet(np.ones(10)))
    parts = [rng.integers(0, 10, 500) for _ in range(4)]
    coder = AnsCoder()
    checkpoints = []
    for part in reversed(parts):  # the last part is encoded first, so it decodes last
        coder.encode_reverse(part, model)
        checkpoints.append(coder.pos())
    checkpoints.reverse()  # checkpoints[i] decodes parts[i], parts[i+1], ...
    decoder = AnsCoder(coder.get_compressed())
    for i in [2, 0, 3, 1, 1, 3]:
        decoder.seek(*checkpoints[i])
        assert decoder.decode(model, 500).tolist() == parts[i].tolist()
    assert decoder.is_empty()  # the last seek was to the final part


def test_compressed_words_are_digits_of_one_number():
    # Read as base-2^W digits (least significant first), the words are one big number, and
    # decoding that number with a fresh coder gives the message back.
    rng = np.random.default_rng(5)
    model = Categorical(rng.dirichlet(np.ones(5)), precision=8)
    message = rng.integers(0, 5, 300)
    coder = AnsCoder(precision=8, word_size=8, head_size=24)
    coder.encode_reverse(message, model)
    words = coder.get_compressed()
    number = int.from_bytes(words.astype(np.uint8).tobytes(), "little")
    assert number.bit_length() > 8 * (len(words) - 1)  # the top word is never zero
    assert AnsCoder(words, precision=8, word_size=8, head_size=24).decode(model, 300).tolist() == message.tolist()


@pytest.mark.parametrize("precision,word_size,head_size", [(24, 32, 64), (4, 4, 8)])
def test_streaming_and_slow_ans_agree_on_symbols(precision, word_size, head_size):
    rng = np.random.default_rng(11)
    model = Categorical(rng.dirichlet(np.ones(6)), precision=precision)
    message = rng.integers(0, 6, 400).tolist()
    fast, slow = AnsCoder(precision=precision, word_size=word_size, head_size=head_size), SlowAnsCoder(precision)
    fast.encode_reverse(message, model)
    slow.encode_reverse(message, model)
    # Both code the same quantized model: the messages' own costs agree to within one word.
    own_fast, own_slow = fast.num_bits() - fast.initial_bits, slow.num_bits() - slow.initial_bits
    assert abs(own_fast - own_slow) <= word_size + 0.01 * own_slow
    assert fast.decode(model, 400).tolist() == slow.decode(model, 400).tolist() == message


def test_encoding_memory_is_compact(monkeypatch):
    # Memory, not time: the bulk is held as machine words (W/8 bytes each, where a list of Python
    # ints took 40), and the message's intervals as int64 arrays converted to Python ints one
    # chunk at a time (two whole lists of Python ints took about 70 bytes per symbol). Chunks are
    # made small here so that 10^5 symbols show the difference (tracemalloc is slow).
    import tracemalloc

    import ansedu.models.protocol
    monkeypatch.setattr(ansedu.models.protocol, "CHUNK", 4096, raising=False)
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(64))
    model = Categorical(p)
    message = rng.choice(64, size=10**5, p=p)  # int64, so that checking it needs no copy
    tracemalloc.start()
    try:
        coder = AnsCoder()
        coder.encode_reverse(message, model)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    words = coder.num_words()
    assert held <= 4 * words * 1.2 + 10_000  # 4-byte words in an array grown by 1/8 at a time
    assert peak <= 48 * len(message)  # int64 intervals (16 B/symbol), gathering them, one chunk
    assert AnsCoder(coder.get_compressed()).decode(model, 10**5).tolist() == message.tolist()


@pytest.mark.parametrize("make", [UniformCoder, lambda: SlowAnsCoder(precision=12),
                                  lambda: AnsCoder(precision=12, word_size=16, head_size=48)])
def test_initial_bits_are_the_cost_of_an_empty_message(make):
    # The same accounting in every coder: what an empty coder (or a message of certain symbols)
    # costs a decoder is its initial_bits, so num_bits() - initial_bits is the message's own cost.
    coder = make()
    assert coder.num_bits() - coder.initial_bits == 0
    if isinstance(coder, UniformCoder):
        coder.push(5, 8)
        assert coder.num_bits() - coder.initial_bits == 3
        return
    model = Categorical([0.5, 0.25, 0.25], precision=12)
    coder.encode_reverse([1, 2, 0, 0], model)  # 2 + 2 + 1 + 1 = 6 bits of information
    own = coder.num_bits() - coder.initial_bits
    assert 6 <= own <= (6 if isinstance(coder, SlowAnsCoder) else 6 + 16)
