"""Data that ships with ansedu, so that nothing is downloaded at run time.

- :func:`load_text`: the four English texts of the Canterbury corpus (Arnold & Bell, 1997)
  that the brotli source distribution on PyPI carries; see ``canterbury/README.md``;
- :mod:`ansedu.data.digits`: the 8x8 handwritten digits (UCI / scikit-learn).
"""

from __future__ import annotations

import hashlib
from importlib import resources

from ..errors import AnseduError, ConfigError

__all__ = ["load_text", "TEXTS"]

#: name -> (size in bytes, SHA-256 of the file). The sizes are the Canterbury corpus's
#: canonical ones; the checksums are those of the files in brotli 1.2.1's ``tests/testdata``.
TEXTS = {
    "alice29": (152089, "7467306ee0feed4971260f3c87421154a05be571d944e9cb021a5713700c38f0"),
    "asyoulik": (125179, "eaa3526fe53859f34ecdf255712f9ecf0b2c903451d4755b2edaa2e2599cb0fc"),
    "lcet10": (426754, "5314ba1dbb03f471df88bec6cd120a938ef60d0fd3511c5c1dce61bf7463245f"),
    "plrabn12": (481861, "07e2e0b461af78c7c647cb53dab39de560198e16f799b4516eccf0fbd69f764c"),
}


def load_text(name: str) -> bytes:
    """The bytes of one Canterbury text: ``"alice29"``, ``"asyoulik"``, ``"lcet10"`` or
    ``"plrabn12"`` (with or without ``.txt``).

    The size and SHA-256 are checked, so a damaged or edited copy is refused rather than
    measured: every figure of the book is computed on exactly these bytes.

    >>> from ansedu.data import load_text
    >>> len(load_text("alice29"))
    152089
    """
    key = name[:-4] if isinstance(name, str) and name.endswith(".txt") else name
    if not isinstance(key, str) or key not in TEXTS:
        raise ConfigError(f"no text named {name!r}: the texts are {', '.join(sorted(TEXTS))}")
    size, sha256 = TEXTS[key]
    data = resources.files(__name__).joinpath("canterbury", key + ".txt").read_bytes()
    if len(data) != size or hashlib.sha256(data).hexdigest() != sha256:
        raise AnseduError(f"the installed copy of {key}.txt is damaged ({len(data)} bytes, expected "
                          f"{size} with SHA-256 {sha256}): reinstall ansedu")
    return data
