"""The 8x8 handwritten digits (UCI / scikit-learn), shipped with ansedu; see README.md here.

>>> from ansedu.data.digits import load_digits
>>> train, test = load_digits("train"), load_digits("test")
>>> train.images.shape, test.images.shape, test.images.max()
((1438, 64), (359, 64), 1)

The split is fixed: a permutation of the 1,797 images drawn from ``numpy.random.default_rng(0)``;
the first 80 % (1,438 images) train, the other 359 test. ``levels=2`` (the default) binarizes
each pixel at half of the 0..16 range (grey level >= 8 is 1); ``levels=17`` keeps the grey levels.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Digits", "load_digits", "SPLIT_SEED", "NUM_TRAIN"]

_FILE = Path(__file__).with_name("digits.csv.gz")
_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
#: The seed of the fixed train/test permutation, and the size of the training split.
SPLIT_SEED, NUM_TRAIN = 0, 1438


@dataclass(frozen=True)
class Digits:
    """Images as rows of 64 pixels (uint8, row by row), their labels, and the pixel levels."""
    images: np.ndarray
    labels: np.ndarray
    levels: int

    def __len__(self) -> int:
        return len(self.images)


def _raw() -> tuple[np.ndarray, np.ndarray]:
    data = _FILE.read_bytes()
    if hashlib.sha256(data).hexdigest() != _SHA256:
        raise OSError(f"{_FILE} is not the file ansedu ships (its checksum differs): reinstall ansedu")
    table = np.loadtxt(gzip.decompress(data).decode().splitlines(), delimiter=",", dtype=np.uint8)
    return table[:, :64], table[:, 64]


def load_digits(split: str = "all", levels: int = 2) -> Digits:
    """The digits of one split (``"train"``, ``"test"`` or ``"all"``), binarized (``levels=2``)
    or with their 17 grey levels (``levels=17``)."""
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
    if levels not in (2, 17):
        raise ValueError(f"levels must be 2 (binarized) or 17 (grey levels 0..16), got {levels!r}")
    images, labels = _raw()
    if split != "all":
        order = np.random.default_rng(SPLIT_SEED).permutation(len(images))
        keep = order[:NUM_TRAIN] if split == "train" else order[NUM_TRAIN:]
        images, labels = images[keep], labels[keep]
    if levels == 2:
        images = (images >= 8).astype(np.uint8)
    images.setflags(write=False)
    labels.setflags(write=False)
    return Digits(images, labels, levels)
