"""Random access: a jump table of checkpoints, so that any block of a long message decodes alone.

A coder's state between two symbols is small: a position in the compressed words and a
few numbers (the head of :class:`~ansedu.coders.streaming.AnsCoder`; ``low`` and ``range`` of
:class:`~ansedu.coders.range.RangeEncoder`). Recording it every ``k`` symbols while encoding
(:meth:`pos`) gives a *jump table*; a decoder that jumps to a checkpoint (:meth:`seek`)
decodes the block after it without decoding anything before.

The two coders record their checkpoints differently, because one is a stack and one a queue:

- the range coder encodes first to last and records ``pos()`` *before* each block;
- the ANS coder encodes last to first, so it encodes the blocks from the last one back
  and records ``pos()`` *after* each block: that is where decoding of the block starts.

Each checkpoint costs a position and a state (two or three machine words), so blocks should
hold many symbols: the table's size over the compressed size is about
``(bits of a checkpoint) / (k * bits per symbol)``.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np

from .._validate import as_integers
from ..errors import ConfigError, DecodeError, ModelError
from ..models.protocol import is_model, num_params
from .range import RangeDecoder, RangeEncoder
from .streaming import AnsCoder

__all__ = ["JumpTable", "encode_with_checkpoints"]

_CODERS = ("range", "ans")


def _model_slice(model, params, start, stop, n):
    """The model arguments for symbols ``start .. stop - 1`` of a message of ``n`` symbols."""
    if is_model(model):
        if num_params(model):
            return (model, *(np.asarray(p)[start:stop] for p in params))
        return (model,)
    models = list(model)
    if len(models) != n:
        raise ModelError(f"got {len(models)} per-symbol models for a message of {n} symbols")
    return (models[start:stop],)


@dataclass(frozen=True)
class JumpTable:
    """Compressed words with a checkpoint at the start of every block of ``every`` symbols.

    Attributes:
        words: the compressed data (as the coder's ``get_compressed`` returns it).
        checkpoints: one ``(position, state)`` per block, from the coder's ``pos()``.
        num_symbols: the message length; the last block may be shorter than ``every``.
        every: symbols per block.
        coder: ``"range"`` or ``"ans"``.
        settings: the coder's ``precision``, ``word_size`` and head / state size.
    """

    words: np.ndarray
    checkpoints: tuple
    num_symbols: int
    every: int
    coder: str
    settings: dict

    @property
    def num_blocks(self) -> int:
        return len(self.checkpoints)

    def block_bounds(self, block: int) -> tuple[int, int]:
        """The symbols ``start .. stop - 1`` of block ``block``."""
        try:
            block = operator.index(block)
        except TypeError:
            raise DecodeError(f"a block number must be an integer, got {block!r}") from None
        if not 0 <= block < self.num_blocks:
            raise DecodeError(f"block {block} does not exist: the table has {self.num_blocks} blocks")
        start = block * self.every
        return start, min(start + self.every, self.num_symbols)

    def decoder(self):
        """A fresh decoder over :attr:`words` (seek it to a checkpoint before decoding)."""
        if self.coder == "range":
            return RangeDecoder(self.words, **self.settings)
        return AnsCoder(self.words, **self.settings)

    def decode_block(self, block: int, model, *params, decoder=None) -> np.ndarray:
        """Decode block ``block`` alone: seek to its checkpoint and decode its symbols.

        ``model`` and ``params`` are the ones given to :func:`encode_with_checkpoints` for the
        whole message (per-symbol models and parameter arrays are sliced to the block)."""
        start, stop = self.block_bounds(block)
        decoder = self.decoder() if decoder is None else decoder
        position, state = self.checkpoints[block]
        decoder.seek(position, state)
        args = _model_slice(model, params, start, stop, self.num_symbols)
        if is_model(args[0]) and not num_params(args[0]):
            return decoder.decode(args[0], stop - start)
        return decoder.decode(*args)

    def decode_range(self, start: int, stop: int, model, *params) -> np.ndarray:
        """Symbols ``start .. stop - 1``, decoding only the blocks that hold them."""
        if not 0 <= start <= stop <= self.num_symbols:
            raise DecodeError(f"symbols {start} .. {stop - 1} are not within the message of {self.num_symbols}")
        if start == stop:
            return np.zeros(0, dtype=np.int32)
        first, last = start // self.every, (stop - 1) // self.every
        decoder = self.decoder()
        parts = [self.decode_block(b, model, *params, decoder=decoder) for b in range(first, last + 1)]
        out = np.concatenate(parts)
        offset = first * self.every
        return out[start - offset:stop - offset]


def encode_with_checkpoints(symbols, model, *params, every: int, coder: str = "range", **settings) -> JumpTable:
    """Encode a message with a checkpoint every ``every`` symbols; return the :class:`JumpTable`.

    ``coder`` is ``"range"`` (:class:`RangeEncoder`) or ``"ans"`` (:class:`AnsCoder`); ``settings``
    go to the coder (``precision``, ``word_size``, ``state_size`` / ``head_size``, ``debug``).
    ``model`` and ``params`` are as for the coders' ``encode``: one model, a sequence of
    per-symbol models, or a family with its parameter arrays.
    """
    if coder not in _CODERS:
        raise ConfigError(f"coder must be one of {_CODERS}, got {coder!r}")
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ConfigError(f"every must be a positive number of symbols per block, got {every!r}")
    symbols = as_integers(symbols)
    n = symbols.size
    starts = list(range(0, n, int(every)))
    if coder == "range":
        encoder = RangeEncoder(**settings)
        checkpoints = []
        for start in starts:
            stop = min(start + every, n)
            checkpoints.append(encoder.pos())
            encoder.encode(symbols[start:stop], *_model_slice(model, params, start, stop, n))
        kept = {k: getattr(encoder, k) for k in ("precision", "word_size", "state_size", "debug")}
    else:
        encoder = AnsCoder(**settings)
        checkpoints = []
        for start in reversed(starts):
            stop = min(start + every, n)
            encoder.encode_reverse(symbols[start:stop], *_model_slice(model, params, start, stop, n))
            checkpoints.append(encoder.pos())
        checkpoints.reverse()
        kept = {k: getattr(encoder, k) for k in ("precision", "word_size", "head_size", "debug")}
    return JumpTable(words=encoder.get_compressed(), checkpoints=tuple(checkpoints), num_symbols=n,
                     every=int(every), coder=coder, settings=kept)
