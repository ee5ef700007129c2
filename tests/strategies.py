"""Hypothesis strategies shared by the tests: models, messages and coder settings."""

import numpy as np
from hypothesis import strategies as st

from ansedu import Categorical

# (precision, word_size, head_size) settings a streaming coder accepts, from tiny teaching
# settings to the default 24/32/64 and constriction's other published configurations.
SETTINGS = [(1, 1, 2), (2, 2, 4), (4, 4, 8), (3, 4, 12), (8, 8, 16), (12, 16, 32), (16, 16, 32),
            (24, 32, 64), (32, 32, 64), (20, 32, 96), (40, 64, 128)]


@st.composite
def weights(draw, max_symbols=12):
    """Non-negative weights with at least one positive, some zeros, some extreme skew."""
    n = draw(st.integers(1, max_symbols))
    values = draw(st.lists(st.one_of(st.just(0.0), st.floats(1e-9, 1.0), st.floats(1.0, 1e6)),
                           min_size=n, max_size=n))
    if not any(v > 0 for v in values):
        values[draw(st.integers(0, n - 1))] = 1.0
    return values


@st.composite
def model_and_message(draw, precision, max_len=60):
    """A Categorical model of the given precision and a message of its possible symbols."""
    w = draw(weights(max_symbols=min(12, 2**precision)))
    if sum(v > 0 for v in w) > 2**precision:
        w = [v if i < 2**precision else 0.0 for i, v in enumerate(w)]
    model = Categorical(w, precision=precision)
    possible = np.flatnonzero(model.masses).tolist()
    message = draw(st.lists(st.sampled_from(possible), max_size=max_len))
    return model, message
