"""Typical mistakes in problem set 2 (a uniform stack coder, mixed bases, counting bits).

Each stands for one misunderstanding a student is likely to have:

* an off-by-one guard in ``pop``: refusing to pop when ``state <= base`` instead of when the
  quotient would be 0, so a digit sitting right on top of the leading one (state == base, a
  0 pushed first) can never be read back;
* forgetting the leading one: starting the stack at 0, so that leading zero digits vanish and
  the bottom of the stack cannot be detected;
* returning the popped digits in stack order (last pushed first) instead of the order in which
  they were pushed;
* counting bits with floating-point ``log2``, which cannot tell ``2^60 + 1`` from ``2^60``.

Every one leaves the rest of the set working, so it must get partial marks, and the failing
test must name the problem.
"""

_CORRECT_REST_OF_CODER = (
    "    def num_bits(self):\n"
    "        return self.state.bit_length() - 1\n"
    "\n"
    "    def is_empty(self):\n"
    "        return self.state == 1\n"
)

MISTAKES = [
    {
        "name": "pop refuses a digit right above the leading one",
        "cells": {
            "stack_coder_answer": (
                "class StackCoder:\n"
                "    def __init__(self):\n"
                "        self.state = 1\n"
                "\n"
                "    def push(self, digit, base):\n"
                "        if not 0 <= digit < base:\n"
                "            raise ValueError('not a digit')\n"
                "        self.state = self.state * base + digit\n"
                "\n"
                "    def pop(self, base):\n"
                "        if self.state <= base:\n"
                "            raise ValueError('nothing to pop')\n"
                "        self.state, digit = divmod(self.state, base)\n"
                "        return digit\n"
                "\n"
                + _CORRECT_REST_OF_CODER
            ),
        },
        "message": "only a pop that leaves state 0 would remove the leading one",
    },
    {
        "name": "no leading one",
        "cells": {
            "stack_coder_answer": (
                "class StackCoder:\n"
                "    def __init__(self):\n"
                "        self.state = 0\n"
                "\n"
                "    def push(self, digit, base):\n"
                "        if not 0 <= digit < base:\n"
                "            raise ValueError('not a digit')\n"
                "        self.state = self.state * base + digit\n"
                "\n"
                "    def pop(self, base):\n"
                "        self.state, digit = divmod(self.state, base)\n"
                "        return digit\n"
                "\n"
                "    def num_bits(self):\n"
                "        return self.state.bit_length()\n"
                "\n"
                "    def is_empty(self):\n"
                "        return self.state == 0\n"
            ),
        },
        "message": "leading one",
    },
    {
        "name": "decoded digits in stack order",
        "cells": {
            "digits_answer": (
                "def encode_digits(digits, bases):\n"
                "    coder = StackCoder()\n"
                "    for digit, base in zip(digits, bases):\n"
                "        coder.push(digit, base)\n"
                "    return coder.state\n"
                "\n"
                "\n"
                "def decode_digits(state, bases):\n"
                "    coder = StackCoder()\n"
                "    coder.state = state\n"
                "    digits = [coder.pop(base) for base in reversed(bases)]\n"
                "    if not coder.is_empty():\n"
                "        raise ValueError('more digits than bases')\n"
                "    return digits\n"
            ),
        },
        "message": "in the order they were pushed",
    },
    {
        "name": "bit range from floating-point log2",
        "cells": {
            "num_bits_range_answer": (
                "def num_bits_range(bases):\n"
                "    bits = sum(math.log2(b) for b in bases)\n"
                "    return math.floor(bits), math.ceil(bits)\n"
            ),
        },
        "message": "floating-point log2",
    },
]

# Delegating to the library (loophole 1 of issue 8): the stack coder is the library's.
SHORTCUT = {
    "cells": {"stack_coder_answer": "import ansedu\n\n\nclass StackCoder(ansedu.UniformCoder):\n    pass\n"},
    "failing": ["test_push", "test_pop", "test_leading_one", "test_num_bits", "test_stack_coder_random"],
}

# Switching the tests off (loophole 2): helpers redefined, answers stubbed.
OVERRIDE = {
    "cells": {
        "stack_coder_answer": (
            "def check(*args, **kwargs):\n    pass\n\n\n"
            "def run(function, *args, **kwargs):\n    return 0\n\n\n"
            "def raises(*args, **kwargs):\n    return True\n\n\n"
            "class StackCoder:\n    state = 1\n\n    def push(self, digit, base):\n        pass\n\n"
            "    def pop(self, base):\n        return 0\n\n    def num_bits(self):\n        return 0\n\n"
            "    def is_empty(self):\n        return True\n"),
    },
    "names": ["check", "run", "raises"],
}
