"""Fuzzing the ``.ans`` decoder: damaged, truncated, forged and random containers.

    python -m ansedu.cli.fuzz [--count N] [--seed S] [--kinds KIND,...] [--json]

Every input is decoded by :func:`~ansedu.cli.container.decompress_stream` (its compiled path
when numba is installed, as the command runs it; ``--reference``: the pure-Python decoder); the
decoder passes when each input ends in one of two ways:

- a :class:`~ansedu.errors.DecodeError` (a clean, named error), or
- output identical to the original file (a damage that changed nothing, such as an overwrite
  with the same byte).

Anything else is a failure: another exception (a crash), output that differs from the original
(a silent wrong answer), or an input that takes longer than ``--timeout`` seconds (a hang). The
inputs are drawn by a seeded random generator, so a failure is reproduced by its seed and index,
which the report prints.

The kinds of input (``--kinds``; all by default, in equal numbers):

``overwrite``   1 to 4 bytes anywhere overwritten with random values
``flip``        1 to 3 single-bit flips anywhere
``cut``         truncated at a random point, with 0 to 8 random bytes appended
``random``      random bytes; random bytes after the magic; a valid header of random
                settings and length followed by random bytes
``splice``      one container's header with another's blocks, or its blocks reordered
``forge``       payload bytes of a coded block overwritten and the block's CRC recomputed,
                so that the checks before the model pass and the model-driven decoder
                itself runs on bad words (caught by running out of words, by words left
                over, or by the CRC32 of the decoded bytes)

All but ``forge`` are mostly rejected by the header and block checks and the CRC32s before the
model runs, so they are cheap (tens of microseconds each); ``forge`` runs the model over a block
of up to a few hundred bytes. The base containers are small real inputs (English text, source
code, random bytes, a repeated byte, the empty file) coded with 2^16-node tables, several in
more than one block.

Documented runs (2026-12-01/02, a shared 2-core machine; every one 0 failures):

- ``--count 1000000 --seed 20261202 --reference`` (the pure-Python decoder): 166,666 or 166,667
  inputs of each kind; rejected / identical: overwrite 166,485 / 182, flip 166,575 / 92,
  cut 166,665 / 2, random 166,667 / 0, splice 142,370 / 24,296, forge 166,454 / 212; slowest
  input 335 ms (a forged block decoded to its end);
- ``--count 1000000 --seed 12`` and ``--kinds forge --count 100000`` (the compiled decoder);
- 60,586 forged containers through both decoders: the same error or the same output each time.

``tests/test_cli_fuzz.py`` runs 10^5 inputs on every test run.
"""

from __future__ import annotations

import argparse
import io
import json
import signal
import struct
import sys
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from ..data import load_text
from ..errors import DecodeError
from .container import (BLOCK_HEADER_SIZE, HEADER_SIZE, MAGIC, Header, compress_stream,
                        decompress_stream)

KINDS = ("overwrite", "flip", "cut", "random", "splice", "forge")
_BLOCK_HEAD = struct.Struct("<BIII")


def _pack(data: bytes, header: Header) -> bytes:
    out = io.BytesIO()
    compress_stream(io.BytesIO(data), out, len(data), header)
    return out.getvalue()


def base_containers() -> list[tuple[bytes, bytes]]:
    """(original, container) pairs the damaged inputs start from: small and real."""
    text = load_text("lcet10")[:400]
    source = (b"def encode(coder, message, model):\n    for x in reversed(message):\n"
              b"        coder.push(x, model)\n")
    noise = np.random.default_rng(7).integers(0, 256, 48, dtype=np.uint8).tobytes()
    small = dict(table_bits=16)
    cases = [
        (text, Header(order=2, **small)),
        (text[:120], Header(order=3, block_size=40, **small)),     # three coded blocks
        (noise + load_text("alice29")[:60], Header(order=1, block_size=48, **small)),  # stored, coded, coded
        (source, Header(order=4, **small)),
        (b"z" * 100, Header(order=0, **small)),
        (b"", Header(order=2, **small)),
        (b"!", Header(order=2, **small)),
    ]
    return [(data, _pack(data, header)) for data, header in cases]


def _blocks(blob: bytes) -> list[tuple[int, int, int]]:
    """(start, payload start, end) of each block of a well-formed container."""
    spans, pos = [], HEADER_SIZE
    while pos < len(blob):
        kind, raw, size, crc = _BLOCK_HEAD.unpack_from(blob, pos)
        spans.append((pos, pos + BLOCK_HEADER_SIZE, pos + BLOCK_HEADER_SIZE + size))
        pos += BLOCK_HEADER_SIZE + size
    return spans


def _recrc(out: bytearray, start: int) -> None:
    """Recompute the CRC of the block header at ``start`` over its first 13 bytes and payload."""
    kind, raw, size, crc = _BLOCK_HEAD.unpack_from(out, start)
    head = bytes(out[start:start + 13])
    payload = bytes(out[start + BLOCK_HEADER_SIZE:start + BLOCK_HEADER_SIZE + size])
    struct.pack_into("<I", out, start + 13, zlib.crc32(payload, zlib.crc32(head)))


def damage(kind: str, rng: np.random.Generator, bases) -> tuple[int, bytes]:
    """One damaged input of ``kind``: (index of its base container, bytes)."""
    which = int(rng.integers(len(bases)))
    original, blob = bases[which]
    out = bytearray(blob)
    if kind == "overwrite":
        for _ in range(int(rng.integers(1, 5))):
            out[int(rng.integers(len(out)))] = int(rng.integers(256))
    elif kind == "flip":
        for _ in range(int(rng.integers(1, 4))):
            out[int(rng.integers(len(out)))] ^= 1 << int(rng.integers(8))
    elif kind == "cut":
        out = out[:int(rng.integers(len(out)))] + rng.integers(0, 256, int(rng.integers(9)),
                                                              dtype=np.uint8).tobytes()
    elif kind == "random":
        tail = rng.integers(0, 256, int(rng.integers(0, 200)), dtype=np.uint8).tobytes()
        style = int(rng.integers(3))
        if style == 0:
            out = bytearray(tail)
        elif style == 1:
            out = bytearray(MAGIC + tail)
        else:
            header = Header(order=int(rng.integers(0, 9)), precision=int(rng.integers(12, 33)),
                            table_bits=16, block_size=int(rng.integers(1, 300)),
                            length=int(rng.integers(0, 400)))
            out = bytearray(header.pack() + tail)
    elif kind == "splice":
        other = bases[int(rng.integers(len(bases)))][1]
        spans = _blocks(blob)
        if rng.integers(2) or len(spans) < 2:
            out = bytearray(blob[:HEADER_SIZE] + other[HEADER_SIZE:])
        else:
            order = rng.permutation(len(spans))
            out = bytearray(blob[:HEADER_SIZE] + b"".join(blob[spans[i][0]:spans[i][2]] for i in order))
    elif kind == "forge":
        coded = [(s, p, e) for s, p, e in _blocks(blob) if blob[s] == 1 and e > p]
        if not coded:  # no coded block (empty, one byte): forge the first base instead
            which = 0
            original, blob = bases[0]
            out = bytearray(blob)
            coded = [(s, p, e) for s, p, e in _blocks(blob) if blob[s] == 1]
        start, payload, end = coded[int(rng.integers(len(coded)))]
        for _ in range(int(rng.integers(1, 4))):
            out[int(rng.integers(payload, end))] = int(rng.integers(256))
        _recrc(out, start)
    else:
        raise ValueError(f"unknown kind {kind!r}: choose from {', '.join(KINDS)}")
    return which, bytes(out)


class Hang(Exception):
    pass


@contextmanager
def _time_limit(seconds: float):
    """Raise Hang in the main thread if the block runs longer than ``seconds`` (Unix only)."""
    if seconds <= 0 or not hasattr(signal, "setitimer"):
        yield
        return

    def fire(signum, frame):
        raise Hang()
    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Tally:
    inputs: int = 0
    rejected: int = 0
    identical: int = 0
    seconds: float = 0.0
    slowest: float = 0.0
    failures: list = field(default_factory=list)


def decode(blob: bytes, **options) -> bytes:
    out = io.BytesIO()
    decompress_stream(io.BytesIO(blob), out, **options)
    return out.getvalue()


def run(count: int, seed: int = 0, kinds=KINDS, timeout: float = 10.0, progress=None,
        **decode_options) -> dict[str, Tally]:
    """Decode ``count`` damaged inputs (kinds in turn) and tally how each ended.

    ``decode_options`` go to :func:`decompress_stream`. ``progress(n)`` is called as inputs
    are done. A failure is recorded with its seed, index, kind and a description.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    for kind in kinds:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}: choose from {', '.join(KINDS)}")
    bases = base_containers()
    rng = np.random.default_rng(seed)
    tallies = {kind: Tally() for kind in kinds}
    for index in range(count):
        kind = kinds[index % len(kinds)]
        which, blob = damage(kind, rng, bases)
        original = bases[which][0]
        tally = tallies[kind]
        tally.inputs += 1
        t0 = time.perf_counter()
        problem = None
        try:
            with _time_limit(timeout):
                out = decode(blob, **decode_options)
        except DecodeError:
            tally.rejected += 1
        except Hang:
            problem = f"no answer after {timeout} s (a hang?)"
        except Exception as exc:  # noqa: BLE001  (what the fuzzer is looking for)
            problem = f"crashed with {type(exc).__name__}: {exc}"
        else:
            if out == original:
                tally.identical += 1
            else:
                problem = f"decoded to {len(out)} bytes that differ from the original {len(original)}"
        spent = time.perf_counter() - t0
        tally.seconds += spent
        tally.slowest = max(tally.slowest, spent)
        if problem is not None:
            tally.failures.append({"seed": seed, "index": index, "kind": kind, "base": which,
                                   "problem": problem, "input_hex": blob[:64].hex()})
        if progress is not None:
            progress(1)
    return tallies


def report(tallies: dict[str, Tally]) -> str:
    lines = [f"{'kind':<10} {'inputs':>9} {'rejected':>9} {'identical':>9} {'failures':>8} "
             f"{'us/input':>9} {'slowest ms':>10}"]
    for kind, t in tallies.items():
        per = 1e6 * t.seconds / t.inputs if t.inputs else 0.0
        lines.append(f"{kind:<10} {t.inputs:>9,} {t.rejected:>9,} {t.identical:>9,} "
                     f"{len(t.failures):>8,} {per:>9.0f} {1e3 * t.slowest:>10.1f}")
    total = sum(t.inputs for t in tallies.values())
    failures = [f for t in tallies.values() for f in t.failures]
    lines.append(f"{total:,} inputs, {len(failures)} failures")
    for f in failures[:10]:
        lines.append(f"  FAILURE seed {f['seed']} index {f['index']} ({f['kind']}, base {f['base']}): "
                     f"{f['problem']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ansedu.cli.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="inputs to decode (default 10^5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", default=",".join(KINDS),
                        help=f"comma-separated kinds of damage (default: all of {','.join(KINDS)})")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds one input may take before it counts as a hang (default 10)")
    parser.add_argument("--json", action="store_true", help="print the tallies as JSON")
    parser.add_argument("--reference", action="store_true",
                        help="decode with the pure-Python reference instead of the compiled path")
    args = parser.parse_args(argv)
    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
    try:
        from tqdm import tqdm
        bar = tqdm(total=args.count, unit="input", disable=args.json or None, file=sys.stderr)
        options = {"compiled": False} if args.reference else {}
        tallies = run(args.count, args.seed, kinds, args.timeout, progress=bar.update, **options)
        bar.close()
    except ValueError as exc:
        parser.error(str(exc))
    if args.json:
        print(json.dumps({k: t.__dict__ for k, t in tallies.items()}, indent=1))
    else:
        print(report(tallies))
    return 1 if any(t.failures for t in tallies.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
