"""Typical mistakes in PS7, the capstone compressor (``solutions/ps7_full_coder``).

Each entry of ``MISTAKES`` is one wrong submission: the solution notebook with the answer cells
named in ``cells`` (by their nbgrader ``grade_id``) replaced by the wrong source given here (the
whole cell, as a student would write it). Autograding it must give partial marks, and ``message``
must appear in the output of a failing test cell. They stand for: quantizing counts without the
leaky floor (an unseen byte gets mass zero), letting the model learn a byte before coding it
(the decoder cannot), pushing the bytes onto the ANS stack first to last, a decoder whose model
never learns, models that share their counts through a class attribute (the decoder's model
starts from what the encoder's learned), a header whose length field counts words instead of
bytes, a decoder that never checks the CRC32 (a damaged file comes out as wrong data), and a
model that ignores its context (order 0 only, above the bits/byte threshold).
"""

_MODEL_HEAD = '''\
class ByteModel:
    """An adaptive model of the next byte from the `order` bytes before it."""

    def __init__(self, order):
        self.order = order
        self.precision = PRECISION
'''

_MODEL_TAIL = '''
    def interval(self, x):
        c = self.cumulative
        return c[x], c[x + 1] - c[x]

    def lookup(self, slot):
        c = self.cumulative
        x = bisect.bisect_right(c, slot) - 1
        return x, c[x], c[x + 1] - c[x]
'''

NO_LEAKY_FLOOR = '''\
def leaky_cumulative(weights, precision):
    w = np.asarray(weights, dtype=np.int64)
    total = int(w.sum())
    if total == 0:
        w, total = np.ones(256, dtype=np.int64), 256
    below = np.concatenate(([0], np.cumsum(w)))
    return below * (1 << precision) // total
'''

UPDATES_BEFORE_CODING = '''\
def encode_bytes(data, order):
    model = ByteModel(order)
    starts, masses = [], []
    for x in data:
        model.update(x)
        c, m = model.interval(x)
        starts.append(c)
        masses.append(m)
    coder = AnsCoder(precision=PRECISION)
    coder.encode_reverse(list(data), Replay(PRECISION), starts, masses)
    return coder.get_compressed()


def decode_bytes(words, length, order):
    coder = AnsCoder(words, precision=PRECISION)
    model = ByteModel(order)
    out = bytearray()
    for _ in range(length):
        x = coder.decode(model)
        model.update(x)
        out.append(x)
    return bytes(out)
'''

PUSHES_FIRST_BYTE_FIRST = '''\
def encode_bytes(data, order):
    model = ByteModel(order)
    coder = AnsCoder(precision=PRECISION)
    for x in data:
        c, m = model.interval(x)
        coder.encode(x, Replay(PRECISION), c, m)
        model.update(x)
    return coder.get_compressed()


def decode_bytes(words, length, order):
    coder = AnsCoder(words, precision=PRECISION)
    model = ByteModel(order)
    out = bytearray()
    for _ in range(length):
        x = coder.decode(model)
        model.update(x)
        out.append(x)
    return bytes(out)
'''

DECODER_NEVER_LEARNS = '''\
def encode_bytes(data, order):
    model = ByteModel(order)
    starts, masses = [], []
    for x in data:
        c, m = model.interval(x)
        starts.append(c)
        masses.append(m)
        model.update(x)
    coder = AnsCoder(precision=PRECISION)
    coder.encode_reverse(list(data), Replay(PRECISION), starts, masses)
    return coder.get_compressed()


def decode_bytes(words, length, order):
    coder = AnsCoder(words, precision=PRECISION)
    model = ByteModel(order)
    return bytes(coder.decode(model) for _ in range(length))
'''

# The counts live in the class, so every ByteModel shares them.
SHARED_COUNTS = _MODEL_HEAD + '''\
        self.history = b""
        self.cumulative = leaky_cumulative([0] * 256, PRECISION).tolist()

    counts = [{} for _ in range(MAX_ORDER + 1)]
''' + _MODEL_TAIL + '''
    def update(self, x):
        h = self.history
        for j in range(min(self.order, len(h)) + 1):
            counts = self.counts[j].setdefault(h[len(h) - j:], np.zeros(256, dtype=np.int64))
            counts[x] += 1
            if counts.sum() > 255:
                counts //= 2
        h = (h + bytes([x]))[-self.order:] if self.order else b""
        self.history = h
        blend = np.zeros(256, dtype=np.int64)
        for j in range(len(h) + 1):
            counts = self.counts[j].get(h[len(h) - j:])
            if counts is not None:
                blend += 8 ** j * counts
        self.cumulative = leaky_cumulative(blend, PRECISION).tolist()
'''

ORDER_ZERO_ONLY = _MODEL_HEAD + '''\
        self.counts = np.zeros(256, dtype=np.int64)
        self.cumulative = leaky_cumulative(self.counts, PRECISION).tolist()
''' + _MODEL_TAIL + '''
    def update(self, x):
        self.counts[x] += 1
        if self.counts.sum() > 255:
            self.counts //= 2
        self.cumulative = leaky_cumulative(self.counts, PRECISION).tolist()
'''

_DECOMPRESS = '''

def decompress(blob):
    size = struct.calcsize("<4sBBII")
    if len(blob) < size:
        raise DecodeError(f"not a PS7 file: {len(blob)} bytes")
    magic, version, order, length, crc = struct.unpack_from("<4sBBII", blob)
    if magic != MAGIC:
        raise DecodeError("not a PS7 file: wrong magic")
    if version != VERSION:
        raise DecodeError(f"format version {version} is not supported")
    if order > MAX_ORDER:
        raise DecodeError(f"order {order} is above MAX_ORDER")
    payload = blob[size:]
    if len(payload) % 4:
        raise DecodeError("the payload is not whole words")
    words = np.frombuffer(payload, dtype="<u4").astype(np.uint32)
    data = decode_bytes(words, length, order)
'''

LENGTH_IN_WORDS = '''\
def compress(data, order=2):
    data = bytes(data)
    words = encode_bytes(data, order)
    header = struct.pack("<4sBBII", MAGIC, VERSION, order, len(words), zlib.crc32(data))
    return header + words.astype("<u4").tobytes()
''' + _DECOMPRESS + '''\
    if zlib.crc32(data) != crc:
        raise DecodeError("CRC32 mismatch: the file is damaged")
    return data
'''

NO_CRC_CHECK = '''\
def compress(data, order=2):
    data = bytes(data)
    words = encode_bytes(data, order)
    header = struct.pack("<4sBBII", MAGIC, VERSION, order, len(data), zlib.crc32(data))
    return header + words.astype("<u4").tobytes()
''' + _DECOMPRESS + '''\
    return data
'''

# Two decoders that game the rejection tests (found by a red-team run; both scored points before):
# one that rejects every file, and one that returns whatever compress saw last.
REJECTS_EVERYTHING = '''\
def compress(data, order=2):
    data = bytes(data)
    words = encode_bytes(data, order)
    header = struct.pack("<4sBBII", MAGIC, VERSION, order, len(data), zlib.crc32(data))
    return header + words.astype("<u4").tobytes()


def decompress(blob):
    raise DecodeError("this file is damaged")
'''

RETURNS_LAST_INPUT = '''\
_last = [b""]


def compress(data, order=2):
    data = bytes(data)
    _last[0] = data
    words = encode_bytes(data, order)
    header = struct.pack("<4sBBII", MAGIC, VERSION, order, len(data), zlib.crc32(data))
    return header + words.astype("<u4").tobytes()


def decompress(blob):
    return _last[0]
'''

MISTAKES = [
    {"name": "quantizes the counts without the leaky floor",
     "cells": {"leaky_cumulative": NO_LEAKY_FLOOR},
     "message": "the leaky floor"},
    {"name": "lets the model learn a byte before coding it",
     "cells": {"coder": UPDATES_BEFORE_CODING},
     "message": "learn each byte before it asks for the byte's interval"},
    {"name": "pushes the first byte first onto the ANS stack",
     "cells": {"coder": PUSHES_FIRST_BYTE_FIRST},
     "message": "pushes the first byte first"},
    {"name": "the decoder's model never learns",
     "cells": {"coder": DECODER_NEVER_LEARNS},
     "message": "the decoder's model diverges"},
    {"name": "the models share their counts (a class attribute)",
     "cells": {"model": SHARED_COUNTS},
     "message": "keep the counts in the instance"},
    {"name": "stores the number of words as the length",
     "cells": {"container": LENGTH_IN_WORDS},
     "message": "the number of bytes of the original"},
    {"name": "never checks the CRC32",
     "cells": {"container": NO_CRC_CHECK},
     "message": "Compute the CRC32 of what you decoded"},
    {"name": "a decoder that rejects every file",
     "cells": {"container": REJECTS_EVERYTHING},
     "message": "only for a decoder that decodes the good ones"},
    {"name": "a decoder that returns what compress saw last",
     "cells": {"container": RETURNS_LAST_INPUT},
     "message": "decode what the file holds"},
    {"name": "ignores the context (order 0 only)",
     "cells": {"model": ORDER_ZERO_ONLY},
     "message": "use longer contexts"},
]

# Delegating to the library (loophole 1 of issue 8): the library's adaptive model, its drivers
# and its container do the work.
SHORTCUT = {
    "cells": {
        "model": ("class ByteModel(ansedu.AdaptiveCategorical):\n"
                  "    def __init__(self, order):\n"
                  "        super().__init__(256, PRECISION, increment=8)\n"
                  "        self.order = order\n"),
        "coder": ("def encode_bytes(data, order):\n"
                  "    coder = AnsCoder(precision=PRECISION)\n"
                  "    ansedu.encode_adaptive(coder, data, ByteModel(order))\n"
                  "    return coder.get_compressed()\n\n\n"
                  "def decode_bytes(words, length, order):\n"
                  "    coder = AnsCoder(words, precision=PRECISION)\n"
                  "    return bytes(ansedu.decode_adaptive(coder, ByteModel(order), length).astype(np.uint8))\n"),
        "container": ("import io\n\n"
                      "from ansedu.cli.container import compress_stream, decompress_stream\n\n\n"
                      "def compress(data, order=2):\n"
                      "    out = io.BytesIO()\n"
                      "    compress_stream(io.BytesIO(data), out, len(data))\n"
                      "    return out.getvalue()\n\n\n"
                      "def decompress(blob):\n"
                      "    out = io.BytesIO()\n"
                      "    decompress_stream(io.BytesIO(blob), out)\n"
                      "    return out.getvalue()\n"),
    },
    "failing": ["test_model", "test_model_context", "test_model_hidden", "test_coder", "test_coder_hidden",
                "test_container", "test_container_hidden", "test_rejects", "test_rejects_hidden",
                "test_threshold", "test_threshold_hidden"],
}

# Switching the tests off (loophole 2): the helpers of the set-up cell redefined.
OVERRIDE = {
    "cells": {
        "leaky_cumulative": ("def _check(*args, **kwargs):\n    pass\n\n\n"
                             "def _run(*args, **kwargs):\n    return 0\n\n\n"
                             "_fail = _test_leaky = _test_model = _test_context = _check\n"
                             "_test_coder = _test_container = _test_rejects = _test_threshold = _check\n\n\n"
                             "def leaky_cumulative(weights, precision):\n    raise NotImplementedError()\n"),
    },
    "names": ["_check", "_run"],
}
