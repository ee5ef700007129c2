"""Typical mistakes in problem set 1 (information content, entropy, KL divergence; a Huffman coder).

Each stands for one misunderstanding a student is likely to have:

* taking the entropy formula literally, so that ``0 * log2(0)`` turns into ``nan`` when a
  probability is exactly zero (the same slip in the cross entropy, where ``p(x) = q(x) = 0``);
* counting a codeword of length ``n`` as ``2^n`` instead of ``2^-n`` in the Kraft sum;
* confusing Huffman's code with the code whose lengths are ``ceil(-log2 p(x))`` (chapter 2 shows
  that this rounded-up code exists, but it is not optimal);
* a decoder that silently drops an incomplete last codeword instead of reporting truncated data.

Every one leaves the rest of the set working, so it must get partial marks, and the failing
test must name the problem.
"""

MISTAKES = [
    {
        "name": "entropy is nan for zero probabilities",
        "cells": {
            "entropy_answer": (
                "def entropy(p):\n"
                "    p = np.asarray(p, dtype=float)\n"
                "    return float(-(p * np.log2(p)).sum())\n"
            ),
        },
        "message": "terms with p(x) = 0 contribute nothing",
    },
    {
        "name": "cross entropy is nan where p(x) = q(x) = 0",
        "cells": {
            "cross_entropy_answer": (
                "def cross_entropy(p, q):\n"
                "    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)\n"
                "    with np.errstate(divide='ignore', invalid='ignore'):\n"
                "        return float(-(p * np.log2(q)).sum())\n"
            ),
        },
        "message": "even where q(x) = 0",
    },
    {
        "name": "Kraft sum with 2^n instead of 2^-n",
        "cells": {
            "kraft_sum_answer": (
                "def kraft_sum(lengths):\n"
                "    return sum(2 ** n for n in lengths)\n"
            ),
        },
        "message": "claims 2^-n of the code space",
    },
    {
        "name": "rounded-up lengths ceil(-log2 p) instead of Huffman's code",
        "cells": {
            "huffman_codebook_answer": (
                "def huffman_codebook(weights):\n"
                "    p = np.asarray(weights, dtype=float)\n"
                "    p = p / p.sum()\n"
                "    symbols = [s for s in range(len(p)) if p[s] > 0]\n"
                "    lengths = {s: max(1, math.ceil(-math.log2(p[s]))) for s in symbols}\n"
                "    book, code, previous = {}, 0, 0\n"
                "    for s in sorted(symbols, key=lambda s: lengths[s]):\n"
                "        code <<= lengths[s] - previous\n"
                "        book[s] = format(code, f'0{lengths[s]}b')\n"
                "        code, previous = code + 1, lengths[s]\n"
                "    return book\n"
            ),
        },
        "message": "rounding up -log2 p(x) is not Huffman's code",
    },
    {
        "name": "decoder drops an incomplete last codeword",
        "cells": {
            "huffman_coder_answer": (
                "def huffman_encode(symbols, codebook):\n"
                "    return ''.join(codebook[s] for s in symbols)\n"
                "\n"
                "\n"
                "def huffman_decode(bits, codebook):\n"
                "    symbol_of = {word: symbol for symbol, word in codebook.items()}\n"
                "    symbols, word = [], ''\n"
                "    for bit in bits:\n"
                "        word += bit\n"
                "        if word in symbol_of:\n"
                "            symbols.append(symbol_of[word])\n"
                "            word = ''\n"
                "    return symbols\n"
            ),
        },
        "message": "the bits end in the middle of a codeword",
    },
]
