"""Benchmark section ``bitsback`` (part III): bits-back ANS with latent-variable models on the test
digits, beside general-purpose and image compressors on the same images, in one run.

    python -m ansedu.bench bitsback [--json]

For each model it encodes the whole test split (359 binarized 8x8 digits) in one chain on one
AnsCoder, decodes it, checks both the images and the initial words, and reports bits per pixel:
the net rate (initial bits excluded, and reported), the model's own bound (-log2 p(x) for the
mixture with its exact posterior, -ELBO for the VAE), and the time. The baselines compress the same images packed
the way each does best: gzip, bzip2 and xz on the pixels packed 8 to a byte, PNG and lossless WebP
(Pillow) on one mosaic of all test digits.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import time

import numpy as np

from ..bitsback import (decode_chain, encode_chain, load_trained_mixture, load_trained_vae, mixture_codec,
                        vae_codec)
from ..data.digits import load_digits
from ._common import emit, environment, markdown_table, progress, section_parser


def mosaic(images: np.ndarray, columns: int = 20) -> np.ndarray:
    """All 8x8 images side by side, ``columns`` to a row (the last row padded with zeros)."""
    rows = -(-len(images) // columns)
    padded = np.zeros((rows * columns, 64), dtype=np.uint8)
    padded[:len(images)] = images
    return padded.reshape(rows, columns, 8, 8).transpose(0, 2, 1, 3).reshape(rows * 8, columns * 8)


def baselines(images: np.ndarray) -> dict:
    """Bits of each general-purpose and image compressor on the binary ``images``."""
    packed = np.packbits(images.reshape(-1)).tobytes()
    sizes = {"gzip -9": len(gzip.compress(packed, 9)), "bzip2 -9": len(bz2.compress(packed, 9)),
             "xz -9": len(lzma.compress(packed, preset=9))}
    try:
        from PIL import Image
    except ImportError:
        progress("Pillow is not installed: the PNG and WebP rows are left out")
        return {k: 8 * v for k, v in sizes.items()}
    picture = mosaic(images) * 255
    for name, kwargs, mode in (("PNG (1-bit, optimize)", dict(format="PNG", optimize=True), "1"),
                               ("WebP lossless", dict(format="WEBP", lossless=True, quality=100, method=6), "L")):
        buffer = io.BytesIO()
        Image.fromarray(picture).convert(mode).save(buffer, **kwargs)
        sizes[name] = len(buffer.getvalue())
    return {k: 8 * v for k, v in sizes.items()}


def measure_mixture(images: np.ndarray) -> dict:
    mixture = load_trained_mixture()
    codec = mixture_codec(mixture)
    start = time.perf_counter()
    result = encode_chain(codec, images)
    encoded = time.perf_counter()
    decoded = decode_chain(codec, result.words, len(images), result.initial)
    end = time.perf_counter()
    if not np.array_equal(np.array(decoded), images):
        raise AssertionError("the mixture's bits-back round trip FAILED")
    exact = float(mixture.information_content(images).sum())
    return {"model": f"Bernoulli mixture, {mixture.num_components} components, exact posterior",
            "net_bits": float(result.net_bits.sum()), "bound_bits": exact, "bound": "-log2 p(x)",
            "initial_bits": result.initial_bits, "file_bits": result.total_bits,
            "encode_s": encoded - start, "decode_s": end - encoded}


def measure_vae(images: np.ndarray, latent_bits: int = 8) -> dict:
    vae = load_trained_vae()
    codec = vae_codec(vae, latent_bits=latent_bits)
    start = time.perf_counter()
    result = encode_chain(codec, images)
    encoded = time.perf_counter()
    decoded = decode_chain(codec, result.words, len(images), result.initial)
    end = time.perf_counter()
    if not np.array_equal(np.array(decoded), images):
        raise AssertionError("the VAE's bits-back round trip FAILED")
    # -ELBO of the continuous model, a Monte Carlo estimate with 50 samples per image (seeded).
    neg_elbo = float(vae.negative_elbo(images, np.random.default_rng(0), samples=50).sum())
    return {"model": f"VAE, {vae.latent_dim} latent dims at {latent_bits} bits, Gaussian posterior",
            "net_bits": float(result.net_bits.sum()), "bound_bits": neg_elbo, "bound": "-ELBO",
            "initial_bits": result.initial_bits, "file_bits": result.total_bits,
            "encode_s": encoded - start, "decode_s": end - encoded}


def main(argv=None) -> int:
    parser = section_parser("bitsback", __doc__.split("\n\n")[0])
    args = parser.parse_args(argv)
    images = load_digits("test").images
    pixels = images.size
    progress("coding the test digits with the mixture ...")
    models = [measure_mixture(images)]
    progress("coding the test digits with the VAE ...")
    models.append(measure_vae(images))
    progress("running the baselines ...")
    others = baselines(images)
    results = {"section": "bitsback", "images": len(images), "pixels": int(pixels),
               "environment": environment(), "models": models,
               "baselines_bits": others}
    rows = []
    for m in models:
        rows.append([f"bits-back ANS: {m['model']}", f"{m['net_bits'] / pixels:.4f}",
                     f"{m['bound_bits'] / pixels:.4f} ({m['bound']})",
                     f"{100 * (m['net_bits'] / m['bound_bits'] - 1):+.3f} %",
                     f"{m['initial_bits']:.0f}", f"{m['encode_s']:.2f} / {m['decode_s']:.2f}"])
    for name, bits in others.items():
        rows.append([name, f"{bits / pixels:.4f}", "", "", "", ""])
    text = (f"{len(images)} test digits (binarized 8x8, {pixels:,} pixels)\n\n"
            + markdown_table(["coder", "bits/pixel", "model bound", "net vs bound", "initial bits",
                              "encode / decode s"], rows))
    emit(results, args.json, text)
    return 0
