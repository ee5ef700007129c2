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

# Delegating to the library instead of writing the code (loophole 1 of issue 8): every test of
# these answers must fail and say that the answer calls the library (".. calls ansedu.X").
SHORTCUT = {
    "cells": {
        "information_content_answer": (
            "import ansedu\n\n\ndef information_content(p):\n    return ansedu.information_content(p)\n"),
        "entropy_answer": (  # a reference taken before the tests run, and the error swallowed
            "from ansedu import entropy as _library_entropy\n\n\n"
            "def entropy(p):\n    try:\n        return _library_entropy(p)\n    except Exception:\n"
            "        return 0.0\n"),
        "cross_entropy_answer": "import ansedu\n\ncross_entropy = ansedu.cross_entropy\n",  # an alias
        "kl_divergence_answer": (
            "import ansedu\n\n\ndef kl_divergence(p, q):\n    return ansedu.kl_divergence(p, q)\n"),
        "kraft_sum_answer": "import ansedu\n\n\ndef kraft_sum(lengths):\n    return ansedu.kraft_sum(lengths)\n",
        "huffman_codebook_answer": (
            "import ansedu\n\n\ndef huffman_codebook(weights):\n"
            "    return dict(ansedu.HuffmanCode(weights).codebook)\n"),
    },
    "failing": ["test_information_content_examples", "test_information_content_random",
                "test_entropy_examples", "test_entropy_zeros", "test_entropy_random",
                "test_cross_entropy_examples", "test_cross_entropy_zeros",
                "test_kl_divergence_examples", "test_kl_divergence_zeros", "test_kl_divergence_random",
                "test_kraft_sum_examples", "test_kraft_sum_random",
                "test_huffman_codebook_examples", "test_huffman_codebook_random"],
}

# Switching the tests off (loophole 2): the untouched notebook with the tests' helpers redefined
# in the first answer cell. The autograder must refuse it: zero, and a message naming `check`.
OVERRIDE = {
    "cells": {
        "information_content_answer": (
            "def check(*args, **kwargs):\n    pass\n\n\n"
            "def run(function, *args, **kwargs):\n    return 0.0\n\n\n"
            "close = lambda *args, **kwargs: True\n"
            "raises = lambda *args, **kwargs: True\n\n\n"
            "def information_content(p):\n    return 0.0\n"),
    },
    "names": ["check", "run", "close", "raises"],
}
