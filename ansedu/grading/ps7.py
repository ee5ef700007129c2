"""Test helpers of problem set 7, the capstone: an adaptive byte model, streaming ANS and a
container, assembled into a compressor.

Loaded anew into every test cell by ``fresh("ps7")``. Bans, inside the student's code while a
test runs it, the library's own full coder and adaptive models: everything of
``ansedu.cli.container`` (``compress_stream``, ``decompress_stream``, ...), of ``ansedu.cli``
(the command), of ``ansedu.models.context`` (``ContextModel``), of ``ansedu.models.adaptive``
(``AdaptiveCategorical``, ``encode_adaptive``, ``decode_adaptive``, ``RecordedIntervals``) and of
``ansedu.bench.fullcoder``. ``ansedu.AnsCoder`` (the coder students drive), the fixed models
and ``ansedu.load_text`` stay usable.

The model is the student's design, so the tests check properties, not numbers: its intervals
tile the 2^P slots in byte order with every mass >= 1, lookup agrees with interval, two fresh
models agree (encoder and decoder must), and it learns from context. The coder is checked word
for word against the tests' own driver of the *student's* model (the model forward, the
recorded intervals pushed last to first); the container field by field against the format of
the notebook, by round trips, by corrupted files that must raise DecodeError, and by a
bits/byte threshold on a text whose payload the tests decode themselves.
"""

import math
import struct
import zlib

import numpy as np

import ansedu
import ansedu.bench.fullcoder
import ansedu.cli
import ansedu.cli.container
import ansedu.fast.fullcoder
import ansedu.models.match
from ansedu import AnsCoder, DecodeError, load_text

from . import guard
from .core import TestFailure, wrap
from .core import time_limit as _time_limit

HELPERS = ["_TestFailure", "_SECTIONS", "_fail", "_check", "_run", "_P", "_LIMIT",
           "_test_leaky", "_random_weights", "_test_model", "_test_context", "_test_coder",
           "_test_container", "_test_rejects", "_test_threshold", "_random_bytes", "_text"]
BANS = [([ansedu.cli.container.compress_stream, ansedu.cli.main, ansedu.ContextModel,
          ansedu.AdaptiveCategorical, ansedu.bench.fullcoder.main,
          ansedu.fast.fullcoder.encode_block, ansedu.models.match.MatchModel], None)]
ALLOWED = []

_P = 16                      # the notebook's PRECISION
_MAGIC = b"\x89PS7"          # the notebook's MAGIC, VERSION, MAX_ORDER and header layout
_VERSION = 1
_MAX_ORDER = 4
_HEADER = struct.Struct("<4sBBII")
_LIMIT = 3.5                 # bits per byte on the texts, header included

_TestFailure = TestFailure

_SECTIONS = {
    "leaky": ('chapter 7, Entropy models and quantization, section "Leaky quantization: every '
              'possible symbol needs a slot"'),
    "learns": 'chapter 10, Adaptive and autoregressive models, section "A model that learns as it reads"',
    "counts": 'chapter 10, Adaptive and autoregressive models, section "Counts, masses and rescaling"',
    "context": ('chapter 10, Adaptive and autoregressive models, section "Context models: why binary '
                'decomposition" (contexts, and blending their orders)'),
    "stack": ('chapter 10, Adaptive and autoregressive models, section "Driving a coder: queue beside, '
              'stack in reverse"'),
    "words": 'chapter 6, Streaming ANS, section "Decoding from compressed words"',
    "container": ('chapter 16, Putting it all together (the container), and the format table of '
                  'part 4 of this notebook'),
    "text": ('chapter 10, Adaptive and autoregressive models, section "Compressing real text", and '
             'chapter 16, Putting it all together'),
}


def _fail(message, section):
    raise _TestFailure(wrap(f"{message}\n--> Reread {_SECTIONS.get(section, section)}."))


def _check(condition, message, section):
    if not condition:
        _fail(message, section)


def _run(what, section, fn, *args, seconds=5, timeout_hint="", **kwargs):
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
        _fail(f"{what} did not finish within {seconds} s: "
              f"{timeout_hint or 'does a loop in your code run forever?'}", section)
    except Exception as error:
        delegated = guard.take_recorded()
        if delegated:
            _fail(delegated, section)
        _fail(f"{what} raised {_describe(error)}", section)


def _describe(error) -> str:
    """``module.Name: message (raised in f, line n)`` for an exception from the student's code."""
    import traceback
    kind = type(error)
    name = kind.__qualname__ if kind.__module__ in ("builtins", "ansedu.errors") else f"{kind.__module__}.{kind.__qualname__}"
    text = f"{name}: {error}"
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if "site-packages" not in f.filename and "/ansedu/" not in f.filename]
    if frames:
        text += f" (raised in {frames[-1].name}, line {frames[-1].lineno} of its cell)"
    if kind.__name__ == "ConfigError" and "precision" in str(error):
        text += (". In this notebook the model's precision is given (PRECISION = 16): build the coder "
                 "with AnsCoder(precision=PRECISION)")
    return text


def _text(name, start, length):
    return load_text(name)[start:start + length]


def _random_bytes(seed, n, alphabet=256):
    return np.random.default_rng(seed).integers(0, alphabet, size=n).astype(np.uint8).tobytes()


def _show(data, limit=24):
    return repr(data[:limit]) + ("..." if len(data) > limit else "")


# -- part 1: the leaky cumulative ---------------------------------------------------------------

def _ref_cumulative(weights, precision, floor=True):
    """The tests' own c(0) .. c(256) (floor=False: without the leaky floor, a typical mistake)."""
    weights = [int(w) for w in weights]
    total = sum(weights)
    if total == 0:
        weights, total = [1] * 256, 256
    free = (1 << precision) - (256 if floor else 0)
    out, acc = [], 0
    for x in range(257):
        out.append((x if floor else 0) + acc * free // total)
        if x < 256:
            acc += weights[x]
    return out


def _random_weights(seed):
    rng = np.random.default_rng(seed)
    kind = seed % 4
    if kind == 0:
        w = rng.integers(0, 1000, size=256)
    elif kind == 1:   # sparse: most bytes never seen
        w = np.zeros(256, dtype=np.int64)
        w[rng.choice(256, size=int(rng.integers(1, 12)), replace=False)] = rng.integers(1, 1 << 20, size=1)
    elif kind == 2:   # one byte dominates
        w = rng.integers(0, 3, size=256)
        w[int(rng.integers(0, 256))] = 1 << 28
    else:
        w = rng.integers(0, 1 << 24, size=256)
    return [int(v) for v in w]


def _float_trap():
    """Byte counts of the first 100 bytes of alice29 at precision 16: here the float formula
    floor(W (2^P - 256) / T) computed as W * ((2^P - 256) / T) rounds c(256) below 2^P."""
    counts = np.bincount(np.frombuffer(load_text("alice29")[:100], dtype=np.uint8), minlength=256)
    return [int(c) for c in counts], 16


def _test_leaky(leaky_cumulative, cases):
    """cases: (weights, precision); a case where floats fail is always added last."""
    for weights, P in [*cases, _float_trap()]:
        nonzero = sum(1 for w in weights if w)
        where = f"precision {P} and weights with {nonzero} nonzero of 256 (total {sum(weights)})"
        got = _run(f"leaky_cumulative ({where})", "leaky", leaky_cumulative, list(weights), P)
        try:
            got = [int(v) for v in got]
        except (TypeError, ValueError):
            _fail(f"leaky_cumulative ({where}) returned {type(got).__name__}: return the 257 numbers "
                  "c(0) .. c(256) as a list or a numpy array of ints.", "leaky")
        want = _ref_cumulative(weights, P)
        if got == want:
            continue
        _check(len(got) == 257, f"leaky_cumulative ({where}) returned {len(got)} numbers; it must return "
               "the 257 numbers c(0), ..., c(256), the last one 2^P.", "leaky")
        _check(got[0] == 0 and got[-1] == 1 << P,
               f"leaky_cumulative ({where}) gives c(0) = {got[0]} and c(256) = {got[-1]}, but they must "
               f"be 0 and 2^P = {1 << P}: the 256 masses fill all slots."
               + (" Compute floor(W(x) (2^P - 256) / T) in integers (// on Python ints): with floats, "
                  "W(256) * ((2^P - 256) / T) can round to just below 2^P - 256." if got[0] == 0 else ""),
               "leaky")
        masses = [b - a for a, b in zip(got, got[1:])]
        if min(masses) < 1 or got == _ref_cumulative(weights, P, floor=False):
            x = int(np.argmin(masses))
            _fail(f"with {where}, byte {x} gets mass c({x}+1) - c({x}) = {min(masses)}. A byte the model "
                  "has not seen yet may still come, and a byte of mass 0 cannot be encoded: give every "
                  "byte one free slot (the leaky floor) and share out only 2^P - 256 slots by the "
                  "weights: c(x) = x + floor(W(x) (2^P - 256) / T).", "leaky")
        if sum(weights) == 0:
            _fail(f"with all weights zero (nothing learned yet) leaky_cumulative gives {got[:4]}..., but "
                  "the notebook asks for the uniform distribution there (treat the weights as all "
                  "ones): c(x) = x 2^(P-8).", "leaky")
        x = next(i for i, (a, b) in enumerate(zip(got, want)) if a != b)
        _fail(f"with {where}: c({x}) = {got[x]}, but x + floor(W(x) (2^P - 256) / T) = {want[x]}, with "
              f"W(x) the sum of the weights of the bytes below x and T the sum of all (in integers: "
              "floats lose digits for large weights).", "leaky")


# -- part 2: the model ------------------------------------------------------------------------

def _new(ByteModel, order):
    model = _run(f"ByteModel({order})", "learns", ByteModel, order)
    _check(getattr(model, "precision", None) == _P,
           f"ByteModel({order}).precision is {getattr(model, 'precision', None)!r}; it must be PRECISION "
           f"= {_P}, the precision of the coder it drives.", "learns")
    return model


def _intervals(model, where):
    got = _run(f"interval(x) of ByteModel ({where})", "learns",
               lambda: [model.interval(x) for x in range(256)])
    out = []
    for x, pair in enumerate(got):
        try:
            c, m = pair
            c, m = int(c), int(m)
        except (TypeError, ValueError):
            _fail(f"interval({x}) of ByteModel ({where}) returned {pair!r}; it must return the pair "
                  "(c, m) of ints.", "learns")
        out.append((c, m))
    return out


def _check_state(model, where):
    """The intervals tile 0 .. 2^P - 1 in byte order, all masses >= 1; lookup agrees; interval is pure."""
    ivs = _intervals(model, where)
    zero = [x for x, (c, m) in enumerate(ivs) if m < 1]
    _check(not zero, f"ByteModel ({where}) gives byte {zero[0] if zero else 0} the mass "
           f"{ivs[zero[0]][1] if zero else 0}: every byte must keep at least one slot (the leaky floor), "
           "or a byte the model has not seen cannot be encoded.", "leaky")
    ends = [0] + [c + m for c, m in ivs]
    starts = [c for c, _ in ivs]
    if starts != ends[:-1] or ends[-1] != 1 << _P:
        x = next((i for i, (a, b) in enumerate(zip(starts, ends)) if a != b), 255)
        _fail(f"the intervals of ByteModel ({where}) do not tile the 2^P = {1 << _P} slots in byte order: "
              f"byte {x} starts at {starts[x]}, where byte {x - 1} ends at {ends[x]} (the last ends at "
              f"{ends[-1]}). Take (c, m) from leaky_cumulative: c = c(x), m = c(x + 1) - c(x).", "leaky")
    slots = [s for c, m in ivs for s in (c, c + m - 1)]
    found = _run(f"lookup(slot) of ByteModel ({where})", "learns", lambda: [model.lookup(s) for s in slots])
    for s, f in zip(slots, found):
        x = next(i for i, (c, m) in enumerate(ivs) if c <= s < c + m)
        try:
            fx, fc, fm = (int(v) for v in f)
        except (TypeError, ValueError):
            _fail(f"lookup({s}) of ByteModel ({where}) returned {f!r}; it must return (x, c, m).", "learns")
        _check((fx, fc, fm) == (x, *ivs[x]),
               f"lookup({s}) of ByteModel ({where}) returned {(fx, fc, fm)}, but slot {s} belongs to byte "
               f"{x}, whose interval is {ivs[x]}: return the x with c(x) <= slot < c(x + 1).", "learns")
    again = _intervals(model, where)
    _check(again == ivs, f"asking ByteModel ({where}) for intervals changed its intervals: interval and "
           "lookup must not change the model; only update learns.", "learns")
    return ivs


def _feed(model, data, where):
    _run(f"update on {len(data)} bytes ({where})", "learns",
         lambda: [model.update(x) for x in data], seconds=10)


def _test_model(ByteModel, cases):
    """cases: (order, data, checkpoints): the model's state is checked fresh and after each
    checkpoint (a number of bytes learned), and two models fed alike must agree."""
    for order, data, checkpoints in cases:
        fresh_model = _new(ByteModel, order)
        first = _check_state(fresh_model, f"order {order}, fresh")
        model, done = _new(ByteModel, order), 0
        for stop in checkpoints:
            _feed(model, data[done:stop], f"order {order}")
            done = stop
            ivs = _check_state(model, f"order {order}, after learning {stop} bytes {_show(data[:stop], 12)}")
        twin = _new(ByteModel, order)
        _check(_intervals(twin, f"order {order}, fresh") == first,
               f"a fresh ByteModel({order}) made after another one learned {done} bytes gives other "
               "intervals than the first fresh one: the models share what they learned. The decoder's "
               "model would start from what the encoder's learned and go its own way: keep the counts in "
               "the instance (self.something = ... in __init__), not in the class or a global.", "learns")
        _feed(twin, data[:done], f"order {order}")
        _check(_intervals(twin, f"order {order}, second model") == ivs,
               f"two ByteModel({order}) that learned the same {done} bytes give different intervals for the "
               "next byte, but the decoder's model must compute exactly what the encoder's did. Do the models "
               "share what they learned? Then keep the counts in the instance (self.something = ... in "
               "__init__), not in the class or a global. Otherwise: no randomness, only integers.", "learns")


def _mass(model, x, where):
    return _intervals(model, where)[x][1]


def _test_context(ByteModel, seed, rounds):
    """Order 0 learns; order 2 tells 'xa' -> b from 'ya' -> c, which an order-1 model cannot."""
    model = _new(ByteModel, 0)
    before = _mass(model, ord("e"), "order 0, fresh")
    _feed(model, b"e" * 20, "order 0")
    after = _mass(model, ord("e"), "order 0, after 20 bytes 'e'")
    _check(after > 8 * before,
           f"after ByteModel(0) learned 20 bytes 'e', the mass of 'e' is {after} of {1 << _P} (it was "
           f"{before} when fresh): the model does not learn. Count each byte in update and derive the "
           "masses from the counts.", "learns")
    rng = np.random.default_rng(seed)
    data = b"".join(b"xab" if bit else b"yac" for bit in rng.integers(0, 2, size=rounds))
    for context, good, bad in ((b"xa", "b", "c"), (b"ya", "c", "b")):
        model = _new(ByteModel, 2)
        _feed(model, data + context, "order 2")
        where = f"order 2, after {len(data)} bytes of 'xab' and 'yac' in random order, then {context!r}"
        ivs = _intervals(model, where)
        mg, mb = ivs[ord(good)][1], ivs[ord(bad)][1]
        _check(mg > 2 * mb,
               f"ByteModel(2) learned {rounds} random triples 'xab' and 'yac' and then read {context!r}: "
               f"'{good}' must come next, but it gets mass {mg} and '{bad}' {mb}. The previous byte alone "
               f"('a') cannot tell; the two previous bytes can. Count the bytes in the context of the "
               "last k bytes (orders 0 .. k) and let the longer contexts weigh more.", "context")


# -- part 3: the coder --------------------------------------------------------------------------

def _forward(ByteModel, data, order, before=False):
    """The tests' driver, forward: (c, m) of every byte under the student's model (before=True:
    the model learns each byte before it is asked for its interval, a typical mistake)."""
    model = ByteModel(order)
    starts, masses = [], []
    for x in data:
        if before:
            model.update(x)
        c, m = model.interval(x)
        starts.append(int(c))
        masses.append(int(m))
        if not before:
            model.update(x)
    return starts, masses


class _Replay:
    """The tests' own family whose parameters are the recorded intervals."""

    num_params = 2

    def __init__(self, precision):
        self.precision = precision

    def interval(self, x, c, m):
        return int(c), int(m)

    def lookup(self, slot, c, m):
        raise ValueError("only for encoding")


def _ref_words(ByteModel, data, order, before=False, forward=False):
    starts, masses = _run("your ByteModel, driven by the tests", "learns", _forward, ByteModel, data, order,
                          before, seconds=10)
    bad = next((i for i, (c, m) in enumerate(zip(starts, masses)) if not (m >= 1 and 0 <= c and c + m <= 1 << _P)),
               None)
    _check(bad is None, f"your ByteModel({order}), after learning the first {bad} bytes of {_show(data)}, gives "
           f"the next byte {data[bad] if bad is not None else 0} the interval (c, m) = "
           f"{(starts[bad], masses[bad]) if bad is not None else ''}, which no coder can encode: every byte "
           "needs a mass m >= 1 inside the 2^P slots (the leaky floor of part 1).", "leaky")
    coder = AnsCoder(precision=_P)
    if forward:   # pushed first to last: the decoder would pop the last byte first
        for x, c, m in zip(data, starts, masses):
            coder.encode(x, _Replay(_P), c, m)
    else:
        coder.encode_reverse(list(data), _Replay(_P), starts, masses)
    return coder.get_compressed()


def _ref_decode(ByteModel, words, n, order, learn=True):
    """The tests' driver of the student's model for decoding (learn=False: a decoder that never updates)."""
    coder = AnsCoder(words, precision=_P)
    model = ByteModel(order)
    out = bytearray()
    for _ in range(n):
        x = coder.decode(model)
        if learn:
            model.update(x)
        out.append(x)
    return bytes(out)


def _test_coder(encode_bytes, decode_bytes, ByteModel, cases):
    """cases: (data, order). The words must be those of the tests' driver of your ByteModel."""
    for data, order in cases:
        where = f"{len(data)} bytes {_show(data)} at order {order}"
        want = _ref_words(ByteModel, data, order)
        words = _run(f"encode_bytes({where})", "stack", encode_bytes, data, order, seconds=10)
        _check(type(words) is np.ndarray and words.dtype == np.uint32,
               f"encode_bytes ({where}) returned {type(words).__name__} {getattr(words, 'dtype', '')}: "
               "return the coder's get_compressed(), a numpy array of uint32 words.", "words")
        if words.tolist() != want.tolist():
            if data and words.tolist() == _ref_words(ByteModel, data, order, before=True).tolist():
                _fail(f"encode_bytes ({where}) lets the model learn each byte before it asks for the byte's "
                      "interval. The decoder cannot do that: it must find the byte with the model as it was "
                      "before the byte (lookup), and only then learn it. Ask interval(x), then update(x).",
                      "learns")
            if len(data) > 1 and words.tolist() == _ref_words(ByteModel, data, order, forward=True).tolist():
                _fail(f"encode_bytes ({where}) pushes the first byte first, so the decoder pops the last byte "
                      "first, with a fresh model: the bytes come back in the wrong order and the models "
                      "disagree. Run the model forward and record (c, m), then push the recorded intervals "
                      "last to first (encode_reverse).", "stack")
            _fail(f"encode_bytes ({where}) gives other words than the tests' driver of your ByteModel: a "
                  f"fresh ByteModel({order}), for each byte first to last interval(x) then update(x), then "
                  "AnsCoder(precision=PRECISION).encode_reverse(data, Replay(PRECISION), starts, masses) "
                  "and get_compressed().", "stack")
        def stale():   # what a decoder whose model never learns returns (or DecodeError)
            try:
                return _ref_decode(ByteModel, want, len(data), order, learn=False)
            except DecodeError:
                return DecodeError
            except Exception:  # noqa: BLE001
                return None

        never_learns = (f"decode_bytes ({where}) decodes every byte with a model that never learns: the "
                        "decoder's model diverges from the encoder's after the first byte. Update it with each "
                        "decoded byte, exactly as the encoder's model was updated.")
        try:
            back = _run(f"decode_bytes({where})", "stack", decode_bytes, want, len(data), order, seconds=10)
        except _TestFailure as failure:
            if "raised DecodeError" in " ".join(str(failure).split()) and stale() is DecodeError:
                _fail(never_learns + " (Here the decoder ran out of words: it decoded other bytes than were "
                      "encoded.)", "learns")
            raise
        _check(isinstance(back, (bytes, bytearray)),
               f"decode_bytes ({where}) returned {type(back).__name__}; return the bytes (bytes(...)).", "stack")
        if bytes(back) != data:
            if bytes(back) == stale():
                _fail(never_learns, "learns")
            i = next((i for i, (a, b) in enumerate(zip(back, data)) if a != b), min(len(back), len(data)))
            _fail(f"decode_bytes ({where}) returned {len(back)} bytes {_show(bytes(back))}, which differ from "
                  f"the message from byte {i} on. The decoder must run the same model as the encoder: a fresh "
                  f"ByteModel({order}), x = coder.decode(model), then model.update(x), length times.",
                  "stack")


# -- part 4: the container ----------------------------------------------------------------------

def _fields(blob):
    magic, version, order, length, crc = _HEADER.unpack_from(blob)
    return magic, version, order, length, crc


def _payload_decodes(ByteModel, blob, data, order):
    """Whether the tests' driver of the student's model decodes the payload to data."""
    payload = blob[_HEADER.size:]
    if len(payload) % 4:
        return False
    words = np.frombuffer(payload, dtype="<u4").astype(np.uint32)
    try:
        with _time_limit(20):
            return _ref_decode(ByteModel, words, len(data), order) == data
    except Exception:  # noqa: BLE001
        return False


def _test_container(compress, decompress, ByteModel, cases):
    """cases: (data, order): the header field by field, the payload, and the round trip."""
    for data, order in cases:
        where = f"{len(data)} bytes {_show(data)}, order {order}"
        blob = _run(f"compress({where})", "container", compress, data, order, seconds=10)
        _check(isinstance(blob, (bytes, bytearray)),
               f"compress ({where}) returned {type(blob).__name__}; return bytes.", "container")
        blob = bytes(blob)
        _check(len(blob) >= _HEADER.size,
               f"compress ({where}) returned {len(blob)} bytes, fewer than the {_HEADER.size} of the header.",
               "container")
        magic, version, k, length, crc = _fields(blob)
        for name, got, want in (("magic (bytes 0-3)", magic, _MAGIC), ("version (byte 4)", version, _VERSION),
                                ("order (byte 5)", k, order), ("length (bytes 6-9)", length, len(data)),
                                ("CRC32 (bytes 10-13)", crc, zlib.crc32(data))):
            if got != want:
                extra = ""
                if name.startswith("length"):
                    extra = (f" It must be the number of bytes of the original, {len(data)}, as a 4-byte "
                             f"little-endian unsigned int (the payload has {(len(blob) - _HEADER.size) / 4:g} "
                             "words; the decoder needs the number of bytes).")
                elif name.startswith("CRC"):
                    extra = " It must be zlib.crc32 of the original data, little-endian."
                _fail(f"compress ({where}): the header's {name} is {got!r}, but the format says {want!r}.{extra}",
                      "container")
        _check((len(blob) - _HEADER.size) % 4 == 0 and _payload_decodes(ByteModel, blob, data, order),
               f"compress ({where}): the {len(blob) - _HEADER.size} bytes after the header are not the words "
               "of encode_bytes(data, order), 4 bytes each, little-endian (words.astype('<u4').tobytes()).",
               "container")
        back = _run(f"decompress(compress({where}))", "container", decompress, blob, seconds=10)
        _check(isinstance(back, (bytes, bytearray)),
               f"decompress ({where}) returned {type(back).__name__}; return bytes.", "container")
        if bytes(back) != data:
            _fail(f"decompress(compress(data)) returned {len(back)} bytes {_show(bytes(back))} for {where}.",
                  "container")
        # a file the tests wrote themselves, in the format of part 4, of data compress never saw
        other = bytes(reversed(data)) + b"!"
        theirs = (_HEADER.pack(_MAGIC, _VERSION, order, len(other), zlib.crc32(other))
                  + _ref_words(ByteModel, other, order).astype("<u4").tobytes())
        back = _run(f"decompress of a file the tests wrote ({len(other)} bytes, order {order})", "container",
                    decompress, theirs, seconds=10)
        _check(isinstance(back, (bytes, bytearray)) and bytes(back) == other,
               f"decompress, given a file in the format of part 4 that the tests wrote ({len(other)} bytes "
               f"{_show(other)}, order {order}), did not give back its data: decode what the file holds (its "
               "header and words), whoever wrote it.", "container")


def _corruptions(blob, seed, flips):
    """(what, corrupted file) pairs for a valid file `blob`."""
    rng = np.random.default_rng(seed)
    head, payload = blob[:_HEADER.size], blob[_HEADER.size:]
    magic, version, order, length, crc = _fields(blob)
    out = [("a wrong magic (a PNG file's)", b"\x89PNG\r\n\x1a\n" + blob[8:]),
           ("a wrong magic (text)", b"Hello, world, this is not compressed data at all."),
           ("nothing at all (0 bytes)", b""),
           ("only the first 5 bytes of the header", blob[:5]),
           ("the header cut off after 13 bytes", blob[:13]),
           ("version 2", _HEADER.pack(magic, 2, order, length, crc) + payload),
           (f"order {_MAX_ORDER + 1} (more than MAX_ORDER)",
            _HEADER.pack(magic, version, _MAX_ORDER + 1, length, crc) + payload),
           ("order 255", _HEADER.pack(magic, version, 255, length, crc) + payload),
           ("another order that is allowed", _HEADER.pack(magic, version, order - 1 if order else 1, length, crc)
            + payload),
           ("a length one byte too long", _HEADER.pack(magic, version, order, length + 1, crc) + payload),
           ("a length one byte too short", _HEADER.pack(magic, version, order, max(0, length - 1), crc) + payload),
           ("a wrong CRC32", _HEADER.pack(magic, version, order, length, crc ^ 1) + payload),
           ("the last word cut off", blob[:-4]),
           ("the last byte cut off", blob[:-1]),
           ("the first payload word cut off", head + payload[4:]),
           ("4 zero bytes appended", blob + b"\0\0\0\0"),
           ("a byte appended", blob + b"\x01")]
    if length > 1:
        out.append(("a length of half the original", _HEADER.pack(magic, version, order, length // 2, crc) + payload))
    for _ in range(flips if payload else 0):
        i = int(rng.integers(0, len(payload)))
        bit = int(rng.integers(0, 8))
        bad = bytearray(payload)
        bad[i] ^= 1 << bit
        out.append((f"bit {bit} of payload byte {i} flipped", head + bytes(bad)))
    return [(what, bad) for what, bad in out if bad != blob]


_REJECTED = object()


def _test_rejects(compress, decompress, data, order, seed, flips, only=None):
    """Every corrupted file raises DecodeError (or, harmlessly, gives back the original)."""
    where = f"{len(data)} bytes {_show(data)}, order {order}"
    blob = bytes(_run(f"compress({where})", "container", compress, data, order, seconds=10))
    back = _run(f"decompress(compress({where}))", "container", decompress, blob, seconds=10)
    _check(isinstance(back, (bytes, bytearray)) and bytes(back) == data,
           f"decompress does not give back the undamaged file of {where}: rejecting damaged files counts "
           "only for a decoder that decodes the good ones.", "container")
    cases = _corruptions(blob, seed, flips)
    if only is not None:
        cases = [c for c in cases if any(c[0].startswith(o) for o in only)]
    for what, bad in cases:
        guard.forget_recorded()
        try:
            guard.check_own(decompress, "decompress")
            with _time_limit(10):
                got = decompress(bad)
        except NotImplementedError:
            _fail("decompress: you have not written this part yet (it raises NotImplementedError).", "container")
        except TimeoutError:
            _fail(f"decompress did not finish within 10 s on the file of {where} with {what}: a decoder must "
                  "stop on bad data (its work is bounded by the length in the header).", "container")
        except guard.DelegationError as error:
            _fail(str(error), "container")
        except DecodeError:
            got = _REJECTED
        except Exception as error:  # noqa: BLE001
            delegated = guard.take_recorded()
            if delegated:
                _fail(delegated, "container")
            _fail(f"decompress, given the file of {where} with {what}, raised {_describe(error)}. "
                  "A damaged file must raise DecodeError (ansedu.DecodeError) with a message that says what "
                  "is wrong" + (": check the size, magic, version and order before you use them."
                                if any(k in what for k in ("header", "magic", "order", "version", "length"))
                                or "bytes)" in what else "."), "container")
        delegated = guard.take_recorded()
        if delegated:
            _fail(delegated, "container")
        if what == "a wrong CRC32" and got is not _REJECTED:
            _fail(f"decompress, given the file of {where} with a wrong CRC32 in its header, returned the data "
                  "instead of raising DecodeError. Compute the CRC32 of what you decoded and compare it with "
                  "the header's: when they differ the file is damaged, even if the data looks right.",
                  "container")
        harmless = what.startswith("bit ") or what in ("another order that is allowed", "4 zero bytes appended")
        if got is not _REJECTED and not harmless:
            _fail(f"decompress, given the file of {where} with {what}, returned data instead of raising "
                  "DecodeError: check the header (size, magic, version, order), that the payload is a whole "
                  "number of words, that the coder is empty after decoding the length's bytes, and the CRC32.",
                  "container")
        if got is _REJECTED or (isinstance(got, (bytes, bytearray)) and bytes(got) == data):
            continue   # rejected, or the damage happened not to matter: nothing wrong came out
        shown = f"{len(got)} bytes {_show(bytes(got))}" if isinstance(got, (bytes, bytearray)) else repr(got)[:60]
        _fail(f"decompress, given the file of {where} with {what}, returned {shown} that differ from the "
              "original, instead of raising DecodeError. Compute "
              "the CRC32 of what you decoded and compare it with the header's (and check the length and "
              "that the decoder used up exactly the words there are).", "container")


# -- part 5: the threshold --------------------------------------------------------------------

def _test_threshold(compress, decompress, ByteModel, text, name, limit=_LIMIT):
    where = f"{len(text)} bytes of {name}"
    blob = _run(f"compress({where})", "text", compress, text, seconds=12,
                timeout_hint="a pure-Python model should manage a few thousand bytes per second; "
                "compute each byte's masses once (numpy helps), not once per symbol and slot.")
    _check(isinstance(blob, (bytes, bytearray)) and len(blob) >= _HEADER.size,
           f"compress({where}) returned {type(blob).__name__} of {len(blob) if hasattr(blob, '__len__') else '?'} "
           "bytes, not a file with the header of part 4.", "container")
    blob = bytes(blob)
    order = _fields(blob)[2]
    _check(_fields(blob)[0] == _MAGIC and order <= _MAX_ORDER and _payload_decodes(ByteModel, blob, text, order),
           f"the file that compress makes from {where} is not what part 4 asks for: the tests could not "
           "decode its payload with a fresh ByteModel of the header's order to the text. Pass the "
           "tests of parts 3 and 4 first.", "container")
    back = _run(f"decompress(compress({where}))", "container", decompress, blob, seconds=12)
    _check(bytes(back) == text, f"decompress(compress(text)) does not give back the {where}.", "container")
    rate = 8 * len(blob) / len(text)
    _check(rate <= limit,
           f"compress takes {rate:.3f} bits per byte on {where} (header included); the goal is at most "
           f"{limit}. "
           + ("That is more than any order-0 model takes: fix the earlier parts first (their tests), then "
              if rate > 5.5 else "")
           + "Order 0 alone gives about 4.8 to 5.3 bits/byte on such a text, order 1 about 3.7: use "
           "longer contexts (order 2 or more, the default order of compress), blend the orders with the "
           "longer ones weighing more, and halve a context's counts when they grow large, so that the "
           "short contexts do not outvote the long ones.", "text")
    print(f"{where}: {len(blob)} bytes, {rate:.3f} bits/byte (goal: at most {limit})")
