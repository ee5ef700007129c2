"""A compiled range coder: :class:`~ansedu.RangeEncoder`'s and :class:`~ansedu.RangeDecoder`'s loops in numba.

:class:`CompiledRangeEncoder` and :class:`CompiledRangeDecoder` give exactly the words and
symbols of the pure-Python range coder in ``ansedu/coders/range.py`` (same step, same
renormalization, same carries, same final word); only the loops over the symbols run as
machine code. The readable coder stays in ``ansedu/coders/range.py``, which is what the book
teaches. What has one home, and what numba makes us restate:

- the checks of the input (symbols, models, parameter arrays, amounts, words) are the pure
  coder's own functions (:func:`~ansedu.models.protocol.encoding_interval_arrays`,
  :func:`~ansedu.models.protocol.decoding_lookup`), called before the kernels run; the
  encoder's kernel only repeats :meth:`EntropyModel.check_symbols`'s rule to *find* a bad
  symbol, and then the pure check raises its own error;
- a carry is added to the written words by the pure coder's ``_propagate_carry``, compiled
  as it is (numba's ``register_jitable``);
- the step (``scale = range >> P``, ``low += scale * c``, ``range = scale * m``), the carry
  test and the renormalization are restated in the two kernels below, line by line beside
  the pure loops, because numba compiles functions, not the body of a Python method, and
  because they differ in one representation: with ``state_size = 64`` the range ``2^64``
  (the empty interval's width, kept while every symbol has mass ``2^P``) does not fit a
  64-bit integer, so the kernels hold it as ``0`` (which ``scale * m`` gives by wrapping
  around, exactly when the true range is ``2^64``), and a carry out of a 64-bit ``low``
  shows as the sum wrapping around.

What is compiled, and what stays Python:

- settings whose ``low`` fits numba's 64-bit integers (``state_size <= 64``) are compiled;
  ``(20, 32, 96)`` and other wider states need Python's big integers and run the pure coder,
  as does ``debug=True`` (its checks are the pure coder's);
- encoding is compiled for every kind of model: the intervals come from the model as for the
  pure coder (a fixed :class:`~ansedu.EntropyModel` given symbols as an int32/int64 array passes
  its ``cdf`` and masses to the kernel instead; a family passes the arrays of its vectorized
  ``intervals``; a sequence of models is asked in Python, symbol by symbol);
- decoding with one fixed :class:`~ansedu.EntropyModel` and an amount is compiled (the slot's
  symbol is found by bisection between bucketed hints, like
  :class:`~ansedu.fast.CompiledAnsCoder`'s decoder);
- decoding with the quantized Gaussian, Laplace and logistic families (per-symbol parameter
  arrays, or fixed parameters and an amount) is compiled too: the slot's symbol comes from
  :func:`ansedu.fast.compiled._family_lookup`, the family's ``lookup`` compiled (the same
  ``c(x)`` bit for bit), and the families compiled.py leaves to Python (a replaced ``c``,
  symbols outside int32) stay Python here as well;
- decoding one symbol (``decode(model)``), with any other family or with a sequence of models
  calls the model's Python ``lookup`` per symbol, i.e. runs the pure-Python decoder, as do
  :meth:`RangeDecoder.seek` and ``pos``.

numba is optional: without it (or with ``compiled=False``) every call runs the pure-Python
coder and gives the same words. Kernels are cached on disk like CompiledAnsCoder's.
"""

from __future__ import annotations

import numpy as np

from ..coders.range import RangeDecoder, RangeEncoder, _propagate_carry
from ..errors import DecodeError, WordTypeError
from ..models.categorical import EntropyModel
from ..models.protocol import (_models_of, _param_arrays, check_amount, decoding_lookup,
                               encoding_interval_arrays, num_params)
from .compiled import (HAVE_NUMBA, _compiled, _family_decode_kind, _family_intervals_loop, _family_kind,
                       _family_lookup, _inverse_table)

__all__ = ["CompiledRangeEncoder", "CompiledRangeDecoder"]

_U = np.uint64
_MASK64 = (1 << 64) - 1


def _kernel(loop):
    """``loop`` compiled (by compiled.py's ``_compiled``), after making the pure coder's carry
    rule callable from compiled code."""
    if not _REGISTERED:
        from numba.extending import register_jitable
        register_jitable(_propagate_carry)
        _REGISTERED.append(True)
    return _compiled(loop)


_REGISTERED: list = []


def _to_kernel(range_: int):
    """A range as the kernels hold it: ``2^64`` (state_size 64 only) as 0."""
    return _U(range_ & _MASK64)


def _from_kernel(range_) -> int:
    return int(range_) or 1 << 64  # a range is never 0, so 0 can only mean 2^64


#: symbols the decoder's kernel decodes per call at first (then twice as many each call)
_PIECE = 1 << 22

_TABLES: dict = {}  # (precision, masses' bytes) -> (cdf, masses, hint, bucket_shift), for the last few models


def _fixed_tables(model):
    """The uint64 ``cdf`` and masses of a fixed model and the decoder's bucketed hints."""
    key = (model.precision, model.masses.tobytes())
    if key not in _TABLES:
        if len(_TABLES) >= 8:
            del _TABLES[next(iter(_TABLES))]
        cdf = model.cdf.astype(np.uint64)
        bucket_shift = max(0, model.precision - 12)  # 2^12 buckets of slots at most
        starts = np.arange(0, 1 << model.precision, 1 << bucket_shift, dtype=np.uint64)
        # hint[b]: the symbol that owns the first slot of bucket b (the last x with cdf[x] <= slot),
        # and after the last bucket the last symbol, so that hi = the alphabet size there
        hint = np.searchsorted(cdf, starts, side="right").astype(np.int64) - 1
        hint = np.append(hint, cdf.size - 2)
        _TABLES[key] = (cdf, model.masses.astype(np.uint64), hint, _U(bucket_shift))
    return _TABLES[key]


# -- the kernels ---------------------------------------------------------------------------

def _encode_loop(starts, masses, symbols, low, range_, words, n, P, W, shift, state_mask, min_range,
                 full_scale, word_mask, zero):
    """Encode first to last into ``words`` (``n`` written so far, room for one more per symbol).
    ``symbols`` index ``starts``/``masses`` (a fixed model's tables), or ``symbols`` is empty and
    ``starts``/``masses`` are per-symbol arrays. Returns ``(bad, low, range, n)``: ``bad >= 0`` is
    the position of a symbol outside the alphabet or of mass zero, found *before* anything is
    written (a carry changes words written by earlier calls), so the caller raises the model's
    error and nothing has changed."""
    per_symbol = symbols.size == 0
    count = starts.size if per_symbol else symbols.size
    if not per_symbol:
        for i in range(count):
            x = symbols[i]
            # EntropyModel.check_symbols's rule, restated to find the first bad symbol; the
            # caller then runs the pure check, which raises its error
            if x < 0 or x >= masses.size or masses[x] == zero:
                return i, low, range_, n
    for i in range(count):
        if per_symbol:
            c = starts[i]
            m = masses[i]
        else:
            x = symbols[i]
            c = starts[x]
            m = masses[x]
        # Mirrors RangeEncoder.encode in ansedu/coders/range.py (the invariants are argued there):
        # `scale = range >> P; low += scale * c; range = scale * m`, with range 2^64 held as 0.
        scale = range_ >> P
        if range_ == zero:
            scale = full_scale  # 2^(64-P)
        new_low = low + scale * c  # scale * c < range <= 2^S: at most one carry, no overflow of it
        range_ = scale * m  # 0 exactly when the true range is 2^64
        # `if low >= top`: a carry out of low, seen as low passing 2^S (S < 64) or as the
        # 64-bit sum wrapping around (S = 64)
        if new_low < low or new_low > state_mask:
            new_low &= state_mask
            _propagate_carry(words[:n], word_mask)  # the pure coder's own function
        low = new_low
        # `if range_ < min_range`: renormalize, one word (a true range of 2^64 never needs it)
        if range_ < min_range and range_ != zero:
            words[n] = low >> shift
            n += 1
            low = (low << W) & state_mask
            range_ <<= W
    return -1, low, range_, n


def _decode_loop(cdf, masses, hint, bucket_shift, amt, point, low, range_, words, nxt, n_words, pad_end,
                 P, W, state_mask, min_range, full_scale, num_slots, zero, out):
    """Decode ``amt`` symbols with one fixed model into ``out``. Returns
    ``(status, i, point, low, range, next)``: status 0 is success; 1 means symbol ``i``'s point
    lies in no symbol's piece, 2 that symbol ``i`` needs word ``next`` beyond the padding. The
    caller then raises the pure decoder's error and keeps its state: nothing has changed."""
    for i in range(amt):
        # Mirrors RangeDecoder.decode in ansedu/coders/range.py, with range 2^64 held as 0.
        scale = range_ >> P
        if range_ == zero:
            scale = full_scale
        slot = ((point - low) & state_mask) // scale
        if slot >= num_slots:
            return 1, i, point, low, range_, nxt
        # The model's lookup (EntropyModel.lookup): the last x with cdf[x] <= slot, by
        # bisection between the symbols owning the first slots of this bucket and the next.
        b = slot >> bucket_shift
        lo = hint[b]
        hi = hint[b + 1] + 1  # cdf[lo] <= slot < cdf[hi]
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if cdf[mid] <= slot:
                lo = mid
            else:
                hi = mid
        c = cdf[lo]
        m = masses[lo]
        low = (low + scale * c) & state_mask
        range_ = scale * m
        if range_ < min_range and range_ != zero:
            # RangeDecoder._word's rule: a word of the data, or a zero of padding up to pad_end
            if nxt < n_words:
                word = _U(words[nxt])
            elif nxt < pad_end:
                word = zero
            else:
                return 2, i, point, low, range_, nxt
            nxt += 1
            point = ((point << W) & state_mask) | word
            low = (low << W) & state_mask
            range_ <<= W
        out[i] = lo
    return 0, amt, point, low, range_, nxt


def _family_decode_loop(kind, inv, loc, scale, stride, first, lo_sym, hi_sym, total, free, free_int, leak,
                        amt, point, low, range_, words, nxt, n_words, pad_end, P, W, state_mask, min_range,
                        full_scale, num_slots, zero, out):
    """Decode ``amt`` symbols with a quantized continuous family (compiled.py's ``kind``), symbol
    ``i`` with the parameters ``loc[(first + i) * stride]``, ``scale[(first + i) * stride]``
    (``stride`` 0: fixed parameters). The step is :func:`_decode_loop`'s; the symbol of the slot
    comes from :func:`ansedu.fast.compiled._family_lookup` (the family's ``lookup``, compiled).
    Returns ``(status, i, point, low, range, next)`` as :func:`_decode_loop`, and status 3 for a
    bad parameter at symbol ``i`` (which the caller has ruled out already)."""
    for i in range(amt):
        lc = loc[(first + i) * stride]
        sc = scale[(first + i) * stride]
        if not (-np.inf < lc < np.inf and 0.0 < sc < np.inf):
            return 3, i, point, low, range_, nxt
        # Mirrors RangeDecoder.decode in ansedu/coders/range.py, with range 2^64 held as 0.
        scale_ = range_ >> P
        if range_ == zero:
            scale_ = full_scale
        slot = ((point - low) & state_mask) // scale_
        if slot >= num_slots:
            return 1, i, point, low, range_, nxt
        x, c, m = _family_lookup(kind, inv, lo_sym, hi_sym, total, free, free_int, leak, np.int64(slot), lc, sc)
        low = (low + scale_ * np.uint64(c)) & state_mask
        range_ = scale_ * np.uint64(m)
        if range_ < min_range and range_ != zero:
            if nxt < n_words:
                word = _U(words[nxt])
            elif nxt < pad_end:
                word = zero
            else:
                return 2, i, point, low, range_, nxt
            nxt += 1
            point = ((point << W) & state_mask) | word
            low = (low << W) & state_mask
            range_ <<= W
        out[i] = x
    return 0, amt, point, low, range_, nxt


# -- the coders ----------------------------------------------------------------------------

class CompiledRangeEncoder(RangeEncoder):
    """:class:`~ansedu.RangeEncoder` with its loop compiled by numba (same arguments, same words).

    >>> import numpy as np
    >>> from ansedu import Categorical, CompiledRangeEncoder, RangeEncoder
    >>> model = Categorical([0.5, 0.3, 0.2])
    >>> fast = CompiledRangeEncoder(); fast.encode([0, 2, 1, 0], model)
    >>> slow = RangeEncoder(); slow.encode([0, 2, 1, 0], model)
    >>> bool(np.array_equal(fast.get_compressed(), slow.get_compressed()))
    True

    Args: those of :class:`~ansedu.RangeEncoder`, and ``compiled`` (default True): False runs
    the pure-Python coder (as do a missing numba, ``state_size > 64`` and ``debug=True``).
    The words live in a numpy array with room to grow (``_words[:_n]``), not a list.
    """

    def __init__(self, *, precision: int = 24, word_size: int = 32, state_size: int = 64,
                 debug: bool = False, compiled: bool = True):
        super().__init__(precision=precision, word_size=word_size, state_size=state_size, debug=debug)
        self.compiled = bool(compiled) and HAVE_NUMBA and self.state_size <= 64 and not self.debug

    def clear(self) -> None:
        super().clear()
        self._words, self._n = np.zeros(0, dtype=self.dtype), 0

    def _python(self, method, *args):
        """Run a method of the pure coder on a list of the words."""
        self._words = self._words[:self._n].tolist()
        try:
            return method(self, *args)
        finally:
            self._words = np.array(self._words, dtype=self.dtype)
            self._n = self._words.size

    def encode(self, symbols, model, *params) -> None:
        """As :meth:`RangeEncoder.encode` (first to last, bad input raises and changes nothing)."""
        if not self.compiled:
            return self._python(RangeEncoder.encode, symbols, model, *params)
        fast = (isinstance(model, EntropyModel) and not params and not num_params(model)
                and model.precision == self.precision
                and isinstance(symbols, np.ndarray) and symbols.ndim == 1
                and symbols.dtype in (np.int64, np.int32))
        if fast:
            starts, masses, _, _ = _fixed_tables(model)
            sym, count = symbols, symbols.size
        elif (intervals := self._family_intervals(symbols, model, params)) is not None:
            starts, masses = intervals
            sym, count = np.zeros(0, dtype=np.int64), starts.size
        else:
            starts, masses = encoding_interval_arrays(symbols, model, params, self.precision)  # the checks
            starts, masses = starts.view(np.uint64), masses.view(np.uint64)  # (checked: non-negative)
            sym, count = np.zeros(0, dtype=np.int64), starts.size
        if count == 0:
            return
        # At most one word per symbol (P <= W): grow the room geometrically, so that many small
        # calls do not copy the words each time. Untouched pages of the room cost no memory.
        if self._words.size < self._n + count:
            room = np.empty(max(2 * self._words.size, self._n + count), dtype=self.dtype)
            room[:self._n] = self._words[:self._n]
            words = room
        else:
            words = self._words
        S = self.state_size
        bad, low, range_, n = _kernel(_encode_loop)(
            starts, masses, sym, _U(self.low), _to_kernel(self.range), words, self._n, _U(self.precision),
            _U(self.word_size), _U(self._top_shift), _U(self._state_mask), _U(self._min_range),
            _U((1 << (S - self.precision)) & _MASK64), _U(self._word_mask), _U(0))
        if bad >= 0:  # found before anything was written
            encoding_interval_arrays(symbols, model, params, self.precision)  # raises the pure coder's error
            raise AssertionError(f"the compiled loop rejected symbol {bad}, the model accepts it")
        self._words, self._n = words, int(n)
        self.low, self.range = int(low), _from_kernel(range_)
        self._num_symbols += count

    def _family_intervals(self, symbols, model, params):
        """A quantized family's intervals computed by the compiled ``c(x)`` (the same arithmetic
        as the family's ``intervals``), or None where that path does not apply. Bad input raises
        the pure coder's error."""
        if not (isinstance(symbols, np.ndarray) and symbols.ndim == 1 and symbols.dtype in (np.int64, np.int32)
                and len(params) == 2 and getattr(model, "precision", None) == self.precision
                and num_params(model) == 2 and _family_kind(model) >= 0):
            return None
        loc, scale = (np.ascontiguousarray(a, dtype=np.float64) for a in params)
        if loc.shape != symbols.shape or scale.shape != symbols.shape:
            return None  # the pure path names the problem
        starts = np.empty(symbols.size, dtype=np.uint64)
        masses = np.empty(symbols.size, dtype=np.uint64)
        bad = _compiled(_family_intervals_loop)(
            _family_kind(model), symbols, loc, scale, model.min_symbol, model.max_symbol, model._total,
            model._free, model._free_int, starts, masses)
        if bad >= 0:
            encoding_interval_arrays(symbols, model, params, self.precision)  # raises the pure coder's error
            raise AssertionError(f"the compiled c(x) rejected symbol {bad}, the family accepts it")
        return starts, masses

    def get_compressed(self) -> np.ndarray:
        """As :meth:`RangeEncoder.get_compressed` (the same final word and carry)."""
        if self.is_empty():
            return np.zeros(0, dtype=self.dtype)
        n = self._n
        words = np.empty(n + 1, dtype=self.dtype)
        words[:n] = self._words[:n]
        v = -(-self.low >> self._top_shift)
        if v >> self.word_size:
            _propagate_carry(words[:n], self._word_mask)
            v = 0
        words[n] = v
        return words

    def words_so_far(self) -> np.ndarray:
        return self._words[:self._n].copy()

    def num_words(self) -> int:
        return 0 if self.is_empty() else self._n + 1

    def pos(self) -> tuple[int, tuple[int, int]]:
        return self._n, (self.low, self.range)

    def __repr__(self) -> str:
        return "Compiled" + super().__repr__() + ("" if self.compiled else " (pure Python)")


class _IntView:
    """A read-only view of a numpy array of words whose items are Python ints: what the pure
    decoder's methods read (``len``, ``words[j]``), without a list of millions of ints."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __len__(self) -> int:
        return self.array.size

    def __getitem__(self, j) -> int:
        return int(self.array[j])


class CompiledRangeDecoder(RangeDecoder):
    """:class:`~ansedu.RangeDecoder` with its loop compiled by numba (same arguments, same symbols).

    Args: those of :class:`~ansedu.RangeDecoder`, and ``compiled`` (default True): False runs
    the pure-Python decoder (as do a missing numba, ``state_size > 64`` and ``debug=True``).
    """

    def __init__(self, compressed, *, precision: int = 24, word_size: int = 32, state_size: int = 64,
                 debug: bool = False, compiled: bool = True):
        super().__init__(compressed, precision=precision, word_size=word_size, state_size=state_size,
                         debug=debug)
        self.compiled = bool(compiled) and HAVE_NUMBA and self.state_size <= 64 and not self.debug

    def _load(self, compressed):
        """RangeDecoder._load's checks and messages, on the array (no list of Python ints)."""
        if not isinstance(compressed, np.ndarray) or compressed.dtype != self.dtype or compressed.ndim != 1:
            return RangeDecoder._load(self, compressed)  # raises its WordTypeError
        array = compressed.copy()
        if self.word_size < 8 * array.itemsize:
            too_big = np.flatnonzero(array >> self.word_size)
            if too_big.size:
                i = int(too_big[0])
                raise WordTypeError(f"word {i} is {int(array[i])}, more than {self.word_size} bits")
        return _IntView(array)

    def decode(self, model, *args):
        """As :meth:`RangeDecoder.decode`; compiled for one fixed model and an amount, and for a
        quantized Gaussian, Laplace or logistic family (parameter arrays, or fixed parameters and
        an amount)."""
        if self.compiled:
            one, _ = _models_of(model, self.precision)  # (the pure decoder's first check)
            kind = _family_decode_kind(one, args)
            if kind >= 0:
                return self._decode_family(kind, one, args)
        if (not self.compiled or not isinstance(model, EntropyModel) or num_params(model)
                or len(args) != 1 or args[0] is None):
            return RangeDecoder.decode(self, model, *args)
        amt, _, _ = decoding_lookup(model, args, self.precision)  # the pure decoder's checks
        cdf, masses, hint, bucket_shift = _fixed_tables(model)
        return self._run(amt, _decode_loop, lambda done: (cdf, masses, hint, bucket_shift))

    def _run(self, amt, loop, first_args):
        """Decode ``amt`` symbols with the kernel ``loop``, whose arguments before ``amt`` are
        ``first_args(done)`` (``done``: the symbols decoded by earlier pieces); raise the pure
        decoder's errors, leaving the decoder unchanged."""
        array = self._words.array
        n_words = array.size
        if not n_words and amt:
            raise DecodeError("there is no compressed data to decode from (an empty encoder writes no words)")
        S, P = self.state_size, self.precision
        point, low, range_, nxt = _U(self.point), _U(self.low), _to_kernel(self.range), self._next
        pad_end = n_words + self._k - 1 if n_words else 0
        kernel = _kernel(loop)
        # Decode in pieces that grow: a huge amt (past the end of the data) allocates little.
        outs, done, size = [], 0, min(amt, _PIECE)
        while True:
            out = np.empty(size, dtype=np.int32)
            status, i, point, low, range_, nxt = kernel(
                *first_args(done), size, _U(point), _U(low), _U(range_), array, nxt, n_words, pad_end,
                _U(P), _U(self.word_size), _U(self._state_mask), _U(self._min_range),
                _U((1 << (S - P)) & _MASK64), _U(1 << P), _U(0), out)
            if status == 1:  # the pure decoder's message (and state: unchanged)
                raise DecodeError(f"symbol {done + i}: the data's point lies in no symbol's piece of the "
                                  "interval: the data is corrupted, or decoding ran past its end "
                                  "(the decoder is unchanged)")
            if status == 2:
                self._word(int(nxt))  # raises the pure decoder's error for reading past the padding
                raise AssertionError(f"the compiled loop could not read word {nxt}, the pure decoder can")
            if status == 3:
                raise AssertionError(f"the compiled loop rejected parameter {done + i}, the family accepts it")
            outs.append(out)
            done += size
            if done == amt:
                break
            size = min(amt - done, 2 * size)
        self.point, self.low, self.range, self._next = int(point), int(low), _from_kernel(range_), int(nxt)
        return outs[0] if len(outs) == 1 else np.concatenate(outs)

    def _decode_family(self, kind, one, args):
        """Decode with a quantized continuous family (compiled.py's ``kind``): per-symbol
        parameter arrays, or fixed parameters and an amount. The checks before decoding are
        ``decoding_lookup``'s, in its order (without its lists of the parameters)."""
        if num_params(one):
            arrays = _param_arrays(one, args)
            one.check_params(*arrays)  # as decoding_lookup: every parameter before any symbol
            loc, scale = (np.ascontiguousarray(a, dtype=np.float64) for a in arrays)
            amt, stride = loc.size, 1
        else:
            amt, stride = check_amount(args[0]), 0
            loc, scale = (np.array([v], dtype=np.float64) for v in one.params)
        inv, leak = _inverse_table(kind), bool(one._leak_matters)
        constants = (one.min_symbol, one.max_symbol, one._total, one._free, one._free_int, leak)
        return self._run(amt, _family_decode_loop,
                         lambda done: (kind, inv, loc, scale, stride, done, *constants))

    def __repr__(self) -> str:
        return "Compiled" + super().__repr__() + ("" if self.compiled else " (pure Python)")
