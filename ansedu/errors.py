"""The exceptions of ansedu.

Every one is a ``ValueError`` (or a ``TypeError`` for data of the wrong type), so
code that catches the built-in exceptions keeps working; the subclasses say which
part of the input is wrong.
"""


class AnseduError(ValueError):
    """Base class of the errors raised for bad input."""


class ModelError(AnseduError):
    """Probabilities that do not make an entropy model (NaN, negative, all zero, ...)."""


class SymbolError(AnseduError):
    """A symbol outside the model's alphabet, or one whose probability is zero."""


class DecodeError(AnseduError):
    """Decoding ran out of data: the coder is empty, or its data is truncated or corrupted."""


class ConfigError(AnseduError):
    """Coder settings (precision, word size, head size) that cannot work together."""


class WordTypeError(AnseduError, TypeError):
    """Compressed words of the wrong numpy type, or with values too large for a word."""


class InvariantError(AssertionError):
    """Raised in debug mode when a coder's documented invariant is broken (a bug)."""
