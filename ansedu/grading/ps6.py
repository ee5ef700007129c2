"""Test helpers of problem set 6 (bits-back coding with a mixture and a VAE on the digits).

Loaded anew into every test cell by ``fresh("ps6")``. Bans, inside the student's code while a
test runs it: the library's bits-back codec (everything of ``ansedu.bitsback.codec`` and
``ansedu.bitsback.chain``: ``bits_back``, ``codec``, ``encode_chain``, ``bits_held``, ...) and the
ready-made codecs ``mixture_codec`` and ``vae_codec``. What students build with stays usable:
``ansedu.AnsCoder``, the entropy models (``Categorical``, ``Uniform``, ``Bernoulli``,
``CategoricalTable``), the trained models (``BernoulliMixture``, ``VAE`` with their posterior
and likelihood evaluation) and ``LatentBuckets``.

A codec made by the library *before* a test runs (``lib = mixture_codec(m)`` at the top of an
answer cell) holds closures that the guard cannot swap; :func:`_run` therefore also watches,
with a profile hook, for any code of the banned functions (their closures included) running
inside the student's function.

The checks live here (not in the notebook) so that a student cannot redefine them; each test
cell calls one of the ``_test_*`` functions with the student's functions and its own cases.
"""

import contextlib
import math
import sys
import types

import numpy as np

from ansedu import AnsCoder, Bernoulli, Categorical, CategoricalTable, DecodeError, Uniform
from ansedu.bitsback import (VAE, BernoulliMixture, LatentBuckets, encode_chain, load_trained_mixture,
                             load_trained_vae, mixture_codec, train_bernoulli_mixture, train_vae, vae_codec)
from ansedu.bitsback.codec import bits_back

_codec = sys.modules[bits_back.__module__]     # ansedu.bitsback.codec (the name `codec` is a function)
_chain = sys.modules[encode_chain.__module__]  # ansedu.bitsback.chain

from . import guard
from .core import TestFailure, wrap
from .core import time_limit as _time_limit

HELPERS = ["_TestFailure", "_SECTIONS", "_fail", "_check", "_run", "_random_mixture", "_case_images",
           "_initial", "_mixture_cases", "_vae_cases", "_elbo_cases", "_test_bits_on", "_test_push_mixture", "_test_pop_mixture", "_test_chain",
           "_test_push_vae", "_test_pop_vae", "_test_negative_elbo", "_PRECISION"]
BANS = [([_codec.bits_back, _chain.encode_chain, mixture_codec, vae_codec], None)]
ALLOWED = [BernoulliMixture, train_bernoulli_mixture, load_trained_mixture, VAE, train_vae, LatentBuckets,
           load_trained_vae]

_PRECISION = 24
_TestFailure = TestFailure

_SECTIONS = {
    "steps": 'chapter 12, Bits-back with a mixture model, section "The three steps on a real coder"',
    "posterior": 'chapter 12, Bits-back with a mixture model, section "The exact posterior"',
    "chain": 'chapter 12, Bits-back with a mixture model, section "The whole test set in one chain"',
    "initial": 'chapter 13, Bits-back with a VAE, section "Initial bits and their amortization"',
    "buckets": 'chapter 13, Bits-back with a VAE, section "Discretizing the latent"',
    "elbo": 'chapter 13, Bits-back with a VAE, section "The gap is a KL divergence"',
    "bits": ('chapter 6, Streaming ANS, section "Head and bulk", and chapter 12, section "The three '
             'steps on a real coder"'),
}


def _fail(message, section):
    raise _TestFailure(wrap(f"{message}\n--> Reread {_SECTIONS.get(section, section)}."))


def _check(condition, message, section):
    if not condition:
        _fail(message, section)


# -- running the student's code ------------------------------------------------------------------


def _banned_codes():
    """The code objects of the banned bits-back functions, and of every function they define
    (the push and pop closures of a codec): {code: public name}."""
    roots = [v for module in (_codec, _chain) for v in vars(module).values()
             if isinstance(v, types.FunctionType) and v.__module__ == module.__name__]
    roots += [mixture_codec, vae_codec]
    codes = {}

    def walk(code, name):
        if code in codes:
            return
        codes[code] = name
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                walk(const, name)

    for fn in roots:
        original = guard._ORIGINALS.get(id(fn), (fn, None))[0]  # the guard swaps the code of banned functions
        walk(original.__code__, f"ansedu.bitsback.{fn.__name__}")
    return codes


@contextlib.contextmanager
def _watch_library(task):
    """Record a call of any banned bits-back code (closures of a codec made earlier too)."""
    codes, seen = {id(code): name for code, name in _banned_codes().items()}, []
    previous = sys.getprofile()

    def hook(frame, event, arg):
        if event == "call" and id(frame.f_code) in codes and not seen:
            seen.append(f"{task} calls {codes[id(frame.f_code)]} (its {frame.f_code.co_name}), the "
                        "library's own bits-back coding, which this task asks you to write. The "
                        "graded code must be your own: use AnsCoder and the entropy models, not the "
                        "library's codecs.")

    sys.setprofile(hook)
    try:
        yield seen
    finally:
        sys.setprofile(previous)


def _run(what, section, fn, *args, seconds=10, hint="", **kwargs):
    """Call the student's fn(*args); turn any error into a message with the book pointer."""
    guard.forget_recorded()
    name = getattr(fn, "__qualname__", what)
    try:
        guard.check_own(fn, name)
        with _watch_library(name) as seen, _time_limit(seconds):
            try:
                result = fn(*args, **kwargs)
            finally:
                if seen:
                    raise guard.DelegationError(seen[0])
        guard.raise_recorded()
        return result
    except _TestFailure:
        raise
    except guard.DelegationError as error:
        _fail(str(error), section)
    except NotImplementedError:
        _fail(f"{what}: you have not written this part yet (it raises NotImplementedError).", section)
    except TimeoutError:
        _fail(f"{what} did not finish within {seconds} s: does a loop in your code run forever?", section)
    except Exception as error:
        delegated = guard.take_recorded()
        if delegated:
            _fail(delegated, section)
        _fail(f"{what} raised {type(error).__name__}: {error}.{hint}", section)


# -- cases ----------------------------------------------------------------------------------------

def _random_mixture(seed, components, pixels):
    """A mixture with random weights and pixel probabilities (not the shipped one)."""
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.full(components, 2.0))
    theta = np.clip(rng.beta(0.4, 0.4, size=(components, pixels)), 0.01, 0.99)
    return BernoulliMixture(weights, theta)


def _case_images(mixture, seed, n):
    """n binary images: test digits for the shipped mixture, samples of any other."""
    rng = np.random.default_rng(seed)
    if mixture.num_pixels == 64:
        from ansedu.data.digits import load_digits
        test = load_digits("test").images
        return test[rng.choice(len(test), size=n, replace=False)]
    z = rng.choice(mixture.num_components, size=n, p=mixture.weights)
    return (rng.random((n, mixture.num_pixels)) < mixture.theta[z]).astype(np.uint8)


def _initial(seed, num_words=4):
    """Random initial words for a chain (the last one with its top bit set, as get_compressed writes)."""
    words = np.random.default_rng(seed).integers(0, 2**32, size=num_words, dtype=np.uint64)
    words[-1] |= 1 << 31
    return words.astype(np.uint32)


def _mixture_cases(specs):
    """(mixture, images, initial) for every spec (seed, number of images, K, D); K = None: the
    shipped mixture on test digits."""
    cases = []
    for seed, n, components, pixels in specs:
        mixture = load_trained_mixture() if components is None else _random_mixture(seed, components, pixels)
        cases.append((mixture, _case_images(mixture, seed, n), _initial(seed)))
    return cases


def _vae_cases(specs):
    """(latent bits, images, initial) for every spec (seed, number of test digits, latent bits)."""
    return [(bits, _case_images(load_trained_mixture(), seed, n), _initial(seed, 8)) for seed, n, bits in specs]


def _elbo_cases(seed, count, components=None):
    """(mixture, x, q, label): the exact posterior, a uniform q, tempered posteriors, random q
    (some with zeros)."""
    rng = np.random.default_rng(seed)
    mixture = load_trained_mixture() if components is None else _random_mixture(seed, components, 16)
    images = _case_images(mixture, seed, count)
    K = mixture.num_components
    cases = []
    for i, x in enumerate(images):
        post = mixture.posterior(x)[0]
        kind = i % 4
        if kind == 0:
            cases.append((mixture, x, post, "the exact posterior q = p(z|x)"))
        elif kind == 1:
            cases.append((mixture, x, np.full(K, 1 / K), "a uniform q"))
        elif kind == 2:
            q = post ** 0.3
            cases.append((mixture, x, q / q.sum(), "a tempered posterior q ~ p(z|x)^0.3"))
        else:
            q = rng.dirichlet(np.full(K, 0.3))
            q[rng.random(K) < 0.3] = 0.0
            q[int(rng.integers(K))] += 0.5
            cases.append((mixture, x, q / q.sum(), "a random q, some components with q = 0"))
    return cases


def _state(coder):
    """The coder's words, read with the library's own method: a student's object cannot answer
    for itself (a subclass whose get_compressed() returns something that compares equal to
    anything would otherwise pass)."""
    if type(coder) is not AnsCoder:
        _fail(f"the coder is now a {type(coder).__name__}, not the AnsCoder the test gave you: push and "
              "pop must work on the coder they are given, not replace it or its class.", "steps")
    return [int(w) for w in AnsCoder.get_compressed(coder)]


def _ref_bits(coder):
    position, head = coder.pos()
    return position * coder.word_size + math.log2(head)


# -- the tests' own bits-back steps for the mixture (the variants name the typical mistakes) -------

def _mix_models(mixture, x=None):
    prior = Categorical(mixture.weights, precision=_PRECISION)
    post = None if x is None else Categorical(mixture.posterior(np.asarray(x))[0], precision=_PRECISION)
    return prior, post


def _mix_push_variant(coder, x, mixture, variant="right"):
    prior, post = _mix_models(mixture, x)
    pixels = Bernoulli(_PRECISION)
    if variant == "no pop":
        z = int(np.argmax(mixture.posterior(np.asarray(x))[0]))
    else:
        z = coder.decode(prior if variant == "prior pop" else post)
    if variant == "z first":
        coder.encode_reverse([z], prior)
        coder.encode_reverse(x, pixels, mixture.theta[z])
        return
    coder.encode_reverse(x, pixels, mixture.theta[z])
    coder.encode_reverse([z], post if variant == "z with posterior" else prior)


def _mix_pop_variant(coder, mixture, variant="right"):
    prior, _ = _mix_models(mixture)
    z = coder.decode(prior)
    x = coder.decode(Bernoulli(_PRECISION), mixture.theta[z])
    if variant == "keeps z":
        return x
    _, post = _mix_models(mixture, x)
    coder.encode_reverse([z], prior if variant == "z back with prior" else post)
    return x


def _mixture_push(mixture):
    """The tests' own push, for the chain functions of part 4."""
    def push(coder, x):
        _mix_push_variant(coder, x, mixture)
    return push


def _mixture_pop(mixture):
    def pop(coder):
        return _mix_pop_variant(coder, mixture)
    return pop


def _try_variant(step, coder, *args):
    twin = coder.clone()
    try:
        result = step(twin, *args)
    except Exception:
        return None, None
    return _state(twin), result


# -- part 1: bits on the coder ---------------------------------------------------------------------

def _coders_for_bits(seed, other_words=True):
    """Coders in various states: from initial words, after pushes and pops, other word sizes."""
    rng = np.random.default_rng(seed)
    out = [("a coder started from 4 initial words", AnsCoder(_initial(seed)))]
    coder = AnsCoder(_initial(seed + 1))
    coder.encode_reverse(rng.integers(0, 5, size=40).tolist(), Categorical([0.5, 0.2, 0.1, 0.1, 0.1]))
    out.append(("the same after pushing 40 symbols", coder))
    coder = coder.clone()
    coder.decode(Uniform(1000), 7)
    out.append(("the same after popping 7 symbols", coder))
    out.append(("an empty AnsCoder()", AnsCoder()))
    if not other_words:
        return out
    small = AnsCoder(precision=12, word_size=16, head_size=32)
    small.encode_reverse(rng.integers(0, 3, size=25).tolist(), Categorical([0.6, 0.3, 0.1], precision=12))
    out.append(("AnsCoder(precision=12, word_size=16, head_size=32) after 25 symbols", small))
    return out


def _test_bits_on(bits_on, seeds, other_words=True):
    for seed in seeds:
        for where, coder in _coders_for_bits(seed, other_words):
            before = _state(coder)
            got = _run(f"bits_on({where})", "bits", bits_on, coder)
            _check(_state(coder) == before, f"bits_on({where}) changed the coder: it must only look at it.",
                   "bits")
            position, head = coder.pos()
            want = _ref_bits(coder)
            try:
                got = float(got)
            except (TypeError, ValueError):
                _fail(f"bits_on({where}) returned {got!r}: return the number of bits as a float.", "bits")
            if abs(got - want) <= 1e-9 * max(1.0, want):
                continue
            if got == coder.num_bits() or got == 32 * coder.num_words():
                _fail(f"bits_on({where}) = {got}, the size of get_compressed() in whole words. That rounds "
                      f"up to whole words: it counts whole words, so a step that adds a fraction of a bit "
                      f"often shows 0 or {coder.word_size}. Count the bulk's words ({position} words of "
                      f"W bits) and log2 of the head ({head}): {want:.4f} bits.", "bits")
            if abs(got - (position * 32 + math.log2(head))) < 1e-9 and coder.word_size != 32:
                _fail(f"bits_on({where}) = {got}: a word of this coder has {coder.word_size} bits, not 32. "
                      "Use coder.word_size.", "bits")
            _fail(f"bits_on({where}) = {got}, but the coder holds position * W + log2(head) = "
                  f"{position} * {coder.word_size} + log2({head}) = {want:.6f} bits (coder.pos() gives "
                  "the position and the head).", "bits")


# -- part 2: the encoder's three steps, mixture --------------------------------------------------

_PUSH_MISTAKES = [
    ("z first", "pushes z with p(z) before x with p(x|z): the steps are in the wrong order. The "
                "decoder must pop z first (it needs z to pop x), and a stack returns the last push "
                "first, so push x with p(x|z) first and z with p(z) last."),
    ("prior pop", "pops z with the prior p(z) instead of the posterior q(z|x) = p(z|x). The pop "
                  "takes bits back only if it reads z with the distribution the decoder will push "
                  "it back with: Categorical(mixture.posterior(x)[0])."),
    ("z with posterior", "pushes z with the posterior. The decoder does not know x yet when it "
                         "pops z, so z must be pushed with the prior p(z) (the mixture weights)."),
    ("no pop", "never pops z from the coder: choosing z yourself and sending it costs "
               "-log2 p(z) - log2 p(x|z) and takes no bits back. The first step pops z with q(z|x)."),
]


def _test_push_mixture(push_mixture, cases):
    """cases: (mixture, images, initial). The coder must match the library's codec after every image."""
    for mixture, images, initial in cases:
        library = mixture_codec(mixture, precision=_PRECISION)
        mine, ref = AnsCoder(initial), AnsCoder(initial)
        K, D = mixture.theta.shape
        for i, x in enumerate(images):
            where = f"image {i} of a chain of {len(images)} (mixture of {K} components, {D} pixels)"
            before = mine.clone()
            _run(f"push_mixture ({where})", "steps", push_mixture, mine, np.array(x), mixture)
            library.push(ref, x)
            if _state(mine) == _state(ref):
                continue
            for variant, message in _PUSH_MISTAKES:
                if _try_variant(_mix_push_variant, before, x, mixture, variant)[0] == _state(mine):
                    _fail(f"push_mixture ({where}) {message}", "steps")
            if _state(mine) == _state(before):
                _fail(f"push_mixture ({where}) left the coder unchanged: it must change the coder you are "
                      "given (pop z, push x, push z on it) and return nothing.", "steps")
            gained = _ref_bits(mine) - _ref_bits(before)
            _fail(f"push_mixture ({where}) leaves other words on the coder than bits-back coding does "
                  f"(your step changed the bits on the coder by {gained:+.2f}, the three steps by "
                  f"{_ref_bits(ref) - _ref_bits(before):+.2f}). Pop z with "
                  "Categorical(mixture.posterior(x)[0]), push x with Bernoulli and mixture.theta[z], "
                  "push z with Categorical(mixture.weights), all at precision 24.", "steps")


# -- part 3: the decoder's three steps, mixture ----------------------------------------------------

def _test_pop_mixture(pop_mixture, cases):
    """cases: (mixture, images, initial): pop the library's chain back, image by image."""
    for mixture, images, initial in cases:
        library = mixture_codec(mixture, precision=_PRECISION)
        words = encode_chain(library, images, initial).words
        mine, ref = AnsCoder(words), AnsCoder(words)
        K, D = mixture.theta.shape
        for i in reversed(range(len(images))):
            where = (f"popping image {i} of a chain of {len(images)} (mixture of {K} components, "
                     f"{D} pixels; the last image pushed comes off first)")
            before = mine.clone()
            got = _run(f"pop_mixture ({where})", "steps", pop_mixture, mine, mixture)
            want = library.pop(ref)
            try:
                same = np.array_equal(np.asarray(got).astype(np.int64).reshape(-1), np.asarray(want).reshape(-1))
            except (TypeError, ValueError):
                same = False
            if not same:
                _fail(f"pop_mixture ({where}) returned {str(got)[:60]}... instead of the image that was "
                      "pushed. Pop z with the prior p(z) first, then x with p(x|z) (Bernoulli and "
                      "mixture.theta[z]): the reverse of the push.", "steps")
            if _state(mine) == _state(ref):
                continue
            if _try_variant(_mix_pop_variant, before, mixture, "keeps z")[0] == _state(mine):
                _fail(f"pop_mixture ({where}) returns the right image, but it is not the inverse of the "
                      "push: it does not give the bits back. The push popped z with q(z|x), so the pop "
                      "must end by pushing z with q(z|x), leaving the coder as it was before the push "
                      "(else the images before it cannot be decoded).", "steps")
            if _try_variant(_mix_pop_variant, before, mixture, "z back with prior")[0] == _state(mine):
                _fail(f"pop_mixture ({where}) returns the right image, but it is not the inverse of the "
                      "push: it pushes z back with the prior. The push popped z with the posterior "
                      "q(z|x) = p(z|x), so give the bits back with that same posterior.", "posterior")
            _fail(f"pop_mixture ({where}) returns the right image, but it is not the inverse of the push: "
                  "the coder is not back where it was before that image was pushed. After popping z and "
                  "x, push z with Categorical(mixture.posterior(x)[0]).", "steps")


# -- part 4: a whole chain ---------------------------------------------------------------------------

def _bits_on_ok(bits_on):
    try:
        with _time_limit(5):
            # the chains use 32-bit words; other word sizes are part 1's own (hidden) test
            return all(abs(float(bits_on(c)) - _ref_bits(c)) < 1e-6 for _, c in _coders_for_bits(7, False))
    except Exception:
        return False


def _test_chain(compress_images, decompress_images, bits_on, cases):
    """cases: (mixture, images, initial); the student's chain driven by the tests' own steps."""
    _check(_bits_on_ok(bits_on), "your bits_on (part 1) counts wrong; compress_images relies on it: fix "
           "part 1 first.", "bits")
    for mixture, images, initial in cases:
        n = len(images)
        library = encode_chain(mixture_codec(mixture, precision=_PRECISION), images, initial)
        where = f"{n} images, {len(initial)} initial words"
        out = _run(f"compress_images ({where})", "chain", compress_images, images, _mixture_push(mixture),
                   initial.copy(), hint=(" Did you start the coder from the initial words? The first pop "
                                         "of a chain needs bits to read: AnsCoder(initial)."))
        _check(isinstance(out, tuple) and len(out) == 2,
               f"compress_images ({where}) returned {type(out).__name__}: return a pair (words, net_bits).",
               "chain")
        words, net = out
        _check(type(words) is np.ndarray and words.dtype == library.words.dtype,
               f"compress_images ({where}) returned words of type {type(words).__name__} "
               f"{getattr(words, 'dtype', '')}: return the coder's get_compressed().", "chain")
        if words.tolist() != library.words.tolist():
            empty = AnsCoder()
            try:
                for x in images:
                    _mix_push_variant(empty, x, mixture)
                from_empty = _state(empty)
            except DecodeError:
                from_empty = None
            _check(from_empty != words.tolist(),
                   f"compress_images ({where}) starts from an empty coder: forgetting the initial bits. "
                   "The first pop needs bits to read; start the coder from the initial words, "
                   "AnsCoder(initial), and report their bits apart.", "initial")
            _fail(f"compress_images ({where}) gives other words than pushing the images, first to last, "
                  "with push(coder, x) onto AnsCoder(initial): call push once per image, in order, on "
                  "one coder.", "chain")
        try:
            net = np.asarray(net, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            _fail(f"compress_images ({where}) returned net bits {str(net)[:40]}: return one number per "
                  "image.", "chain")
        want = library.net_bits
        if len(net) == n + 1 and abs(net[0] - library.initial_bits) < 1e-6:
            _fail(f"compress_images ({where}) returned {n + 1} net bits: the first is the initial bits. "
                  "Report one net cost per image; the initial bits are a one-off cost, counted apart.",
                  "initial")
        _check(len(net) == n, f"compress_images ({where}) returned {len(net)} net bits for {n} images: one "
               "per image.", "chain")
        if np.allclose(net, want, atol=1e-6):
            pass
        elif abs(net[0] - (want[0] + library.initial_bits)) < 1e-6:
            _fail(f"compress_images ({where}): the net bits of the first image ({net[0]:.2f}) include the "
                  f"{library.initial_bits:.2f} initial bits. Measure bits_on before the first push and "
                  "count each image's change only: the initial bits are reported apart.", "initial")
        elif np.allclose(net, -want, atol=1e-6):
            _fail(f"compress_images ({where}): your net bits have the wrong sign; a push adds bits "
                  "(bits_on after minus bits_on before).", "chain")
        else:
            k = int(np.argmax(np.abs(net - want)))
            _fail(f"compress_images ({where}): the net bits of image {k} are {net[k]:.4f}, but the chain "
                  f"says {want[k]:.4f}: the bits on the coder after the push minus before it "
                  "(with your bits_on).", "chain")
        got = _run(f"decompress_images ({where})", "chain", decompress_images, library.words.copy(), n,
                   _mixture_pop(mixture))
        try:
            got = np.asarray(got).astype(np.int64).reshape(n, -1)
        except (TypeError, ValueError):
            _fail(f"decompress_images ({where}) returned {str(got)[:60]}: return the {n} images, as a "
                  "list of arrays or one array of shape (n, pixels).", "chain")
        if np.array_equal(got, images):
            continue
        _check(not np.array_equal(got[::-1], images),
               f"decompress_images ({where}) returns the images last to first: the pops come out in "
               "the reverse order of the pushes, so reverse them (the first image pushed is popped last).",
               "chain")
        _fail(f"decompress_images ({where}) does not return the images: pop {n} times with pop(coder) "
              "from AnsCoder(words).", "chain")


# -- part 5: the VAE ---------------------------------------------------------------------------------

def _vae_push_variant(coder, x, vae, buckets, variant="right"):
    mu, log_sigma = vae.encode(np.asarray(x, dtype=float)[None])
    table = buckets.posterior_masses(mu[0], np.exp(log_sigma[0]))
    z = coder.decode(CategoricalTable(_PRECISION), table)
    latent = np.asarray(z) if variant == "indices" else buckets.centres[np.asarray(z)]
    probabilities = vae.pixel_probabilities(latent[None].astype(float))[0]
    coder.encode_reverse(x, Bernoulli(_PRECISION), probabilities)
    coder.encode_reverse(z, Uniform(buckets.count, precision=_PRECISION))


def _vae_pop_variant(coder, vae, buckets, variant="right"):
    z = coder.decode(Uniform(buckets.count, precision=_PRECISION), vae.latent_dim)
    latent = np.asarray(z) if variant == "indices" else buckets.centres[np.asarray(z)]
    probabilities = vae.pixel_probabilities(latent[None].astype(float))[0]
    x = coder.decode(Bernoulli(_PRECISION), probabilities)
    mu, log_sigma = vae.encode(np.asarray(x, dtype=float)[None])
    coder.encode_reverse(z, CategoricalTable(_PRECISION), buckets.posterior_masses(mu[0], np.exp(log_sigma[0])))
    return x


_CENTRES = ("feeds the decoder network the bucket numbers z instead of the bucket centres. The "
            "likelihood p(x|z) is the decoder at the latent value that bucket z stands for: "
            "vae.pixel_probabilities(buckets.centres[z][None])[0].")


def _test_push_vae(push_vae, cases):
    """cases: (latent_bits, images, initial), with the shipped binary VAE."""
    vae = load_trained_vae()
    for bits, images, initial in cases:
        buckets = LatentBuckets(bits)
        library = vae_codec(vae, latent_bits=bits, precision=_PRECISION)
        mine, ref = AnsCoder(initial), AnsCoder(initial)
        for i, x in enumerate(images):
            where = f"image {i} of a chain of {len(images)}, {bits}-bit latent buckets"
            before = mine.clone()
            _run(f"push_vae ({where})", "buckets", push_vae, mine, np.array(x), vae, buckets)
            library.push(ref, x)
            if _state(mine) == _state(ref):
                continue
            if _try_variant(_vae_push_variant, before, x, vae, buckets, "indices")[0] == _state(mine):
                _fail(f"push_vae ({where}) {_CENTRES}", "buckets")
            _fail(f"push_vae ({where}) leaves other words on the coder than bits-back coding with the "
                  "VAE: pop z (one bucket per latent dimension) with CategoricalTable and the posterior "
                  "masses buckets.posterior_masses(mu, sigma), push x with Bernoulli and the decoder's "
                  "probabilities at the buckets' centres, push z with Uniform(buckets.count).", "buckets")


def _test_pop_vae(pop_vae, cases):
    vae = load_trained_vae()
    for bits, images, initial in cases:
        buckets = LatentBuckets(bits)
        library = vae_codec(vae, latent_bits=bits, precision=_PRECISION)
        words = encode_chain(library, images, initial).words
        mine, ref = AnsCoder(words), AnsCoder(words)
        for i in reversed(range(len(images))):
            where = f"popping image {i} of a chain of {len(images)}, {bits}-bit latent buckets"
            before = mine.clone()
            got = _run(f"pop_vae ({where})", "buckets", pop_vae, mine, vae, buckets)
            want = library.pop(ref)
            try:
                same = np.array_equal(np.asarray(got).astype(np.int64).reshape(-1), np.asarray(want).reshape(-1))
            except (TypeError, ValueError):
                same = False
            if same and _state(mine) == _state(ref):
                continue
            if _try_variant(_vae_pop_variant, before, vae, buckets, "indices")[0] == _state(mine):
                _fail(f"pop_vae ({where}) {_CENTRES}", "buckets")
            _check(same, f"pop_vae ({where}) does not return the image that was pushed: pop z with "
                   "Uniform(buckets.count) (one bucket per latent dimension), then x with Bernoulli and "
                   "the decoder's probabilities at the buckets' centres.", "buckets")
            _fail(f"pop_vae ({where}) returns the right image, but it is not the inverse of the push: the "
                  "coder is not back where it was before that image was pushed. Give the bits back: push "
                  "z with CategoricalTable and the posterior masses of x.", "buckets")


# -- part 6: -ELBO -----------------------------------------------------------------------------------

def _ref_negative_elbo(x, mixture, q):
    log2_joint = mixture.log_joint(np.asarray(x))[0] / math.log(2)
    q = np.asarray(q, dtype=float)
    keep = q > 0
    return float(np.sum(q[keep] * (np.log2(q[keep]) - log2_joint[keep])))


def _test_negative_elbo(negative_elbo, cases):
    """cases: (mixture, x, q, label)."""
    for mixture, x, q, label in cases:
        where = f"negative_elbo(x, mixture, q) with {label}"
        got = _run(where, "elbo", negative_elbo, np.array(x), mixture, np.array(q))
        want = _ref_negative_elbo(x, mixture, q)
        try:
            got = float(got)
        except (TypeError, ValueError):
            _fail(f"{where} returned {got!r}: return a number of bits.", "elbo")
        if abs(got - want) <= 1e-6 * max(1.0, abs(want)):
            continue
        _check(not math.isnan(got), f"{where} returned nan: a component with q(z|x) = 0 adds nothing "
               "(0 log 0 = 0); leave those components out of the sum.", "elbo")
        if abs(got - want * math.log(2)) < 1e-6 * max(1.0, abs(want)):
            _fail(f"{where} = {got:.4f}, in nats: the course counts in bits, log2 (it should be "
                  f"{want:.4f}).", "elbo")
        q = np.asarray(q, dtype=float)
        keep = q > 0
        cross = float(-np.sum(q[keep] * mixture.log_joint(np.asarray(x))[0][keep] / math.log(2)))
        if abs(got - cross) < 1e-6 * max(1.0, abs(want)):
            _fail(f"{where} = {got:.4f} counts only what the pushes cost, E_q[-log2 p(z) - log2 p(x|z)], "
                  f"and forgets the bits back: add E_q[log2 q(z|x)] (it should be {want:.4f}).", "elbo")
        _fail(f"{where} = {got:.4f}, but -ELBO = E_q[log2 q(z|x) - log2 p(z) - log2 p(x|z)] = {want:.4f} "
              "bits.", "elbo")
