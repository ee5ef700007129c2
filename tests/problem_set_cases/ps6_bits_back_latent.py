"""Typical mistakes in PS6, bits-back coding with a mixture and a VAE (``solutions/ps6_bits_back_latent``).

Each entry of ``MISTAKES`` is one wrong submission: the solution notebook with the answer cells
named in ``cells`` (by their nbgrader ``grade_id``) replaced by the wrong source given here (the
whole cell, as a student would write it). Autograding it must give partial marks, and ``message``
must appear in the output of a failing test cell. They stand for: counting the bits on the coder
in whole words, doing the encoder's steps in the wrong order (z pushed before x), popping z with
the prior instead of the posterior, a decoder that is not the inverse of the encoder (it keeps
the bits instead of giving them back), forgetting the initial bits (a chain from an empty coder),
counting the initial bits into the first image's net bits, feeding the VAE's decoder the bucket
numbers instead of the buckets' centres, and -ELBO in nats.
"""

COUNTS_WHOLE_WORDS = '''\
def bits_on(coder):
    return float(coder.num_bits())
'''

PUSHES_Z_BEFORE_X = '''\
def push_mixture(coder, x, mixture):
    posterior = Categorical(mixture.posterior(x)[0], precision=PRECISION)
    z = coder.decode(posterior)
    coder.encode_reverse([z], Categorical(mixture.weights, precision=PRECISION))
    coder.encode_reverse(x, Bernoulli(PRECISION), mixture.theta[z])
'''

POPS_WITH_THE_PRIOR = '''\
def push_mixture(coder, x, mixture):
    prior = Categorical(mixture.weights, precision=PRECISION)
    z = coder.decode(prior)
    coder.encode_reverse(x, Bernoulli(PRECISION), mixture.theta[z])
    coder.encode_reverse([z], prior)
'''

KEEPS_THE_BITS = '''\
def pop_mixture(coder, mixture):
    z = coder.decode(Categorical(mixture.weights, precision=PRECISION))
    x = coder.decode(Bernoulli(PRECISION), mixture.theta[z])
    return x
'''

FORGETS_THE_INITIAL_BITS = '''\
def compress_images(images, push, initial):
    coder = AnsCoder()
    net = []
    for x in images:
        before = bits_on(coder)
        push(coder, x)
        net.append(bits_on(coder) - before)
    return coder.get_compressed(), np.array(net)


def decompress_images(words, count, pop):
    coder = AnsCoder(words)
    popped = [pop(coder) for _ in range(count)]
    return popped[::-1]
'''

COUNTS_INITIAL_BITS_IN_THE_FIRST_IMAGE = '''\
def compress_images(images, push, initial):
    coder = AnsCoder(initial)
    net = []
    before = 0.0
    for x in images:
        push(coder, x)
        after = bits_on(coder)
        net.append(after - before)
        before = after
    return coder.get_compressed(), np.array(net)


def decompress_images(words, count, pop):
    coder = AnsCoder(words)
    popped = [pop(coder) for _ in range(count)]
    return popped[::-1]
'''

BUCKET_NUMBERS_INTO_THE_DECODER = '''\
def push_vae(coder, x, vae, buckets):
    mu, log_sigma = vae.encode(np.asarray(x, dtype=float)[None])
    masses = buckets.posterior_masses(mu[0], np.exp(log_sigma[0]))
    z = coder.decode(CategoricalTable(PRECISION), masses)
    probabilities = vae.pixel_probabilities(z[None].astype(float))[0]
    coder.encode_reverse(x, Bernoulli(PRECISION), probabilities)
    coder.encode_reverse(z, Uniform(buckets.count, precision=PRECISION))


def pop_vae(coder, vae, buckets):
    z = coder.decode(Uniform(buckets.count, precision=PRECISION), vae.latent_dim)
    probabilities = vae.pixel_probabilities(z[None].astype(float))[0]
    x = coder.decode(Bernoulli(PRECISION), probabilities)
    mu, log_sigma = vae.encode(np.asarray(x, dtype=float)[None])
    masses = buckets.posterior_masses(mu[0], np.exp(log_sigma[0]))
    coder.encode_reverse(z, CategoricalTable(PRECISION), masses)
    return x
'''

ELBO_IN_NATS = '''\
def negative_elbo(x, mixture, q):
    log_joint = mixture.log_joint(x)[0]
    keep = q > 0
    return float(np.sum(q[keep] * (np.log(q[keep]) - log_joint[keep])))
'''

MISTAKES = [
    {"name": "counts the bits on the coder in whole words",
     "cells": {"bits_on": COUNTS_WHOLE_WORDS},
     "message": "it counts whole words"},
    {"name": "pushes z before x (wrong order of the steps)",
     "cells": {"push_mixture": PUSHES_Z_BEFORE_X},
     "message": "the steps are in the wrong order"},
    {"name": "pops z with the prior instead of the posterior",
     "cells": {"push_mixture": POPS_WITH_THE_PRIOR},
     "message": "pops z with the prior p(z) instead of the posterior"},
    {"name": "decoder keeps the bits (not the inverse of the encoder)",
     "cells": {"pop_mixture": KEEPS_THE_BITS},
     "message": "it is not the inverse of the push: it does not give the bits back"},
    {"name": "forgets the initial bits",
     "cells": {"chain": FORGETS_THE_INITIAL_BITS},
     "message": "start the coder from the initial words"},
    {"name": "counts the initial bits into the first image",
     "cells": {"chain": COUNTS_INITIAL_BITS_IN_THE_FIRST_IMAGE},
     "message": "Measure bits_on before the first push"},
    {"name": "feeds the VAE's decoder bucket numbers instead of centres",
     "cells": {"vae": BUCKET_NUMBERS_INTO_THE_DECODER},
     "message": "instead of the bucket centres"},
    {"name": "computes -ELBO in nats",
     "cells": {"negative_elbo": ELBO_IN_NATS},
     "message": "in nats"},
]

# Delegating to the library (loophole 1 of issue 8): the mixture's steps done by a codec that the
# library made at the top of the answer cell (its push and pop are closures of
# ansedu.bitsback.bits_back), and the VAE's by ansedu.bitsback.vae_codec called inside.
SHORTCUT = {
    "cells": {
        "push_mixture": (
            "_library = ansedu.bitsback.mixture_codec(mixture)\n\n\n"
            "def push_mixture(coder, x, mixture):\n"
            "    _library.push(coder, x)\n"),
        "pop_mixture": (
            "def pop_mixture(coder, mixture):\n"
            "    return _library.pop(coder)\n"),
        "vae": (
            "def push_vae(coder, x, vae, buckets):\n"
            "    ansedu.bitsback.vae_codec(vae, latent_bits=buckets.bits).push(coder, x)\n\n\n"
            "def pop_vae(coder, vae, buckets):\n"
            "    return ansedu.bitsback.vae_codec(vae, latent_bits=buckets.bits).pop(coder)\n"),
    },
    "failing": ["test_push_mixture", "test_push_mixture_hidden", "test_pop_mixture",
                "test_pop_mixture_hidden", "test_push_vae", "test_push_vae_hidden", "test_pop_vae",
                "test_pop_vae_hidden"],
}

# Switching the tests off (loophole 2): the helpers of the set-up cell redefined.
OVERRIDE = {
    "cells": {
        "bits_on": ("def _check(*args, **kwargs):\n    pass\n\n\n"
                    "def _run(*args, **kwargs):\n    return 0\n\n\n"
                    "_fail = _test_bits_on = _test_push_mixture = _test_pop_mixture = _check\n"
                    "_test_chain = _test_push_vae = _test_pop_vae = _test_negative_elbo = _check\n\n\n"
                    "def bits_on(coder):\n    raise NotImplementedError()\n"),
    },
    "names": ["_check", "_run"],
}
