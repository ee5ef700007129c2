"""Bits-back coding (part III): the Bernoulli family, codecs as (push, pop) pairs, the bits-back
codec, whole chains with initial bits, the digits and the mixture of Bernoullis."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ansedu import AnsCoder, Categorical, DecodeError, ModelError, SlowAnsCoder, SymbolError, Uniform
from ansedu.bitsback import (BernoulliMixture, Codec, bits_back, bits_held, codec, decode_chain, encode_chain,
                             initial_words, load_trained_mixture, mixture_codec, train_bernoulli_mixture)
from ansedu.data.digits import load_digits
from ansedu.models.bernoulli import Bernoulli
from contract import snapshot

CODERS = [lambda: AnsCoder(precision=12, word_size=16, head_size=32), lambda: SlowAnsCoder(precision=12)]


# -- the Bernoulli family -------------------------------------------------------------------

def test_bernoulli_masses_worked_out_by_hand():
    b = Bernoulli(precision=4)  # 16 slots
    # p = 0.3: m(1) = round(4.8) = 5, m(0) = 11, so 0 owns slots 0..10 and 1 owns 11..15.
    assert b.interval(0, 0.3) == (0, 11) and b.interval(1, 0.3) == (11, 5)
    assert b.lookup(10, 0.3) == (0, 0, 11) and b.lookup(11, 0.3) == (1, 11, 5)
    # p = 0 and p = 1 keep one slot for the impossible bit (leaky).
    assert b.interval(1, 0.0) == (15, 1) and b.interval(0, 1.0) == (0, 1)


@pytest.mark.parametrize("make", CODERS)
@given(st.lists(st.tuples(st.integers(0, 1), st.floats(0, 1)), max_size=60))
def test_bernoulli_round_trips_with_per_symbol_probabilities(make, pairs):
    bits, p = [b for b, _ in pairs], np.array([q for _, q in pairs])
    coder = make()
    coder.encode_reverse([1, 0], Categorical([1, 1], precision=12))  # start non-empty
    before = snapshot(coder)
    coder.encode_reverse(bits, Bernoulli(12), p)
    assert coder.decode(Bernoulli(12), p).tolist() == bits
    assert snapshot(coder) == before


def test_bernoulli_vectorized_and_per_symbol_masses_agree():
    p = np.random.default_rng(0).random(2000)
    b = Bernoulli(24)
    c, m = b.intervals(np.ones(2000, dtype=int), p)
    for i in range(0, 2000, 7):
        assert b.interval(1, p[i]) == (c[i], m[i])
        assert b.lookup(int(c[i]), p[i]) == (1, c[i], m[i])


@pytest.mark.parametrize("bad_p,match", [([0.5, np.nan], "position 1"), ([1.5], "not in"), ([-0.1], "not in")])
def test_bernoulli_bad_probabilities_change_nothing(bad_p, match):
    coder = AnsCoder()
    coder.encode_reverse([1], Bernoulli(), [0.5])
    before = snapshot(coder)
    with pytest.raises(ModelError, match=match):
        coder.encode_reverse([1] * len(bad_p), Bernoulli(), bad_p)
    with pytest.raises(SymbolError, match="not a bit"):
        coder.encode_reverse([2], Bernoulli(), [0.5])
    with pytest.raises(ModelError, match="not in"):
        coder.decode(Bernoulli(), [np.nan])
    assert snapshot(coder) == before


# -- codecs and bits-back on a small model with numbers we can check ----------------------------

# Latent z in {0, 1, 2, 3} with prior PRIOR; x: three bits, each 1 with probability THETA[z, i].
PRIOR = np.array([0.1, 0.2, 0.3, 0.4])
THETA = np.array([[0.1, 0.2, 0.9], [0.8, 0.8, 0.1], [0.5, 0.05, 0.5], [0.95, 0.9, 0.85]])
TOY = BernoulliMixture(PRIOR, THETA)


def toy_codec(posterior, precision=24):
    return bits_back(codec(Categorical(PRIOR, precision=precision), 1),
                     likelihood=lambda z: codec(Bernoulli(precision), THETA[int(z[0])]),
                     posterior=lambda x: codec(Categorical(posterior(x), precision=precision), 1))


def exact_posterior(x):
    return TOY.posterior(x)[0]


@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1), st.integers(0, 1)), min_size=1, max_size=12),
       st.integers(0, 2**32 - 1))
def test_push_then_pop_restores_data_and_coder(data, seed):
    coder = AnsCoder(initial_words(3, seed))
    before = snapshot(coder)
    c = toy_codec(exact_posterior)
    for x in data:
        c.push(coder, np.array(x))
    assert [tuple(c.pop(coder)) for _ in data][::-1] == data
    assert snapshot(coder) == before


def with_fresh_bits(inner, rng):
    """``inner``, but every push first puts 8 fresh random bits on the coder (and every pop takes
    them off after), so that the posterior pop (about 2 bits here) reads uniformly random bits."""
    fresh = codec(Uniform(256, precision=24), 1)  # 2^16 slots each: exactly 8 bits

    def push(coder, x):
        fresh.push(coder, rng.integers(0, 256, size=1))
        inner.push(coder, x)

    def pop(coder):
        x = inner.pop(coder)
        fresh.pop(coder)
        return x

    return Codec(push, pop)


def rate_and_bounds(posterior, n=3000, fresh_bits=False):
    """Net bits per data point of a long chain, -log2 p(x) and -ELBO per data point."""
    rng = np.random.default_rng(5)
    z = rng.choice(4, size=n, p=PRIOR)
    xs = (rng.random((n, 3)) < THETA[z]).astype(np.uint8)
    c = with_fresh_bits(toy_codec(posterior), rng) if fresh_bits else toy_codec(posterior)
    result = encode_chain(c, xs, initial_words(4, 1))
    assert np.array_equal(np.array(decode_chain(c, result.words, n, result.initial)), xs)
    exact = TOY.information_content(xs).mean()
    q = np.array([posterior(x) for x in xs])
    log_joint = TOY.log_joint(xs) / np.log(2)  # log2 p(z) + log2 p(x | z)
    neg_elbo = -(q * (log_joint - np.log2(q))).sum(axis=1).mean()
    return result.net_bits.mean() - (8 if fresh_bits else 0), exact, neg_elbo


def test_exact_posterior_rate_meets_minus_log2_p_x():
    rate, exact, neg_elbo = rate_and_bounds(exact_posterior)
    assert neg_elbo == pytest.approx(exact, rel=1e-9)  # the ELBO is tight at the exact posterior
    assert rate == pytest.approx(exact, rel=0.01)


def test_a_poor_posterior_costs_the_negative_elbo_given_clean_bits():
    uniform = lambda x: np.full(4, 0.25)  # noqa: E731
    rate, exact, neg_elbo = rate_and_bounds(uniform, fresh_bits=True)
    assert neg_elbo > exact + 0.3  # KL(q || p(z|x)) is large for this q
    assert rate == pytest.approx(neg_elbo, rel=0.02)
    # Without fresh bits the posterior pop reads the top of the previous step's prior push: those
    # bits are far from uniform (they nearly tell the previous z), and the rate misses -ELBO.
    dirty_rate, _, _ = rate_and_bounds(uniform)
    assert dirty_rate > neg_elbo * 1.1


def test_the_first_pop_needs_initial_bits():
    with pytest.raises(DecodeError, match="ran out"):
        toy_codec(exact_posterior).push(AnsCoder(), np.array([1, 0, 1]))


# -- whole data sets, the digits, the trained mixture -------------------------------------------

def test_digits_split_is_fixed_and_documented():
    train, test, everything = load_digits("train"), load_digits("test"), load_digits("all", levels=17)
    assert (len(train), len(test), len(everything)) == (1438, 359, 1797)
    assert set(np.unique(train.images)) == {0, 1} and everything.images.max() == 16
    both = np.concatenate([train.images, test.images])
    assert sorted(map(bytes, both)) == sorted(map(bytes, (everything.images >= 8).astype(np.uint8)))
    with pytest.raises(ValueError, match="split"):
        load_digits("validation")
    with pytest.raises(ValueError, match="levels"):
        load_digits("test", levels=4)


def test_em_is_deterministic_and_improves_the_likelihood():
    x = load_digits("train").images[:300]
    a = train_bernoulli_mixture(x, 5, iterations=5, seed=3)
    b = train_bernoulli_mixture(x, 5, iterations=5, seed=3)
    c = train_bernoulli_mixture(x, 5, iterations=30, seed=3)
    assert np.array_equal(a.theta, b.theta) and np.array_equal(a.weights, b.weights)
    assert c.information_content(x).mean() < a.information_content(x).mean()


def test_shipped_mixture_is_what_the_train_command_makes(tmp_path):
    out = tmp_path / "mixture.npz"
    subprocess.run([sys.executable, "-m", "ansedu.bitsback.train", "mixture", "--out", str(out)],
                   check=True, capture_output=True)
    retrained, shipped = BernoulliMixture.load(out), load_trained_mixture()
    assert np.allclose(retrained.theta, shipped.theta, rtol=0, atol=1e-9)
    assert np.allclose(retrained.weights, shipped.weights, rtol=0, atol=1e-9)


def test_mixture_bits_back_reaches_minus_log2_p_x_on_the_test_digits():
    test = load_digits("test")
    mixture = load_trained_mixture()
    c = mixture_codec(mixture)
    result = encode_chain(c, test.images)
    decoded = decode_chain(c, result.words, len(test), result.initial)
    assert np.array_equal(np.array(decoded), test.images)
    exact = mixture.information_content(test.images).sum()
    assert abs(result.net_bits.sum() - exact) <= 0.005 * exact  # the target: within 0.5 %
    assert result.initial_bits == pytest.approx(bits_held(AnsCoder(result.initial)))


def test_decoding_with_another_model_fails_cleanly():
    test = load_digits("test").images[:40]
    result = encode_chain(mixture_codec(load_trained_mixture()), test)
    other = train_bernoulli_mixture(load_digits("train").images, 10, iterations=10)
    with pytest.raises((ValueError, DecodeError)):  # never a hang or a silently wrong result
        decode_chain(mixture_codec(other), result.words, len(test), result.initial)


def test_bad_images_and_parameter_files_are_named(tmp_path):
    mixture = load_trained_mixture()
    with pytest.raises(SymbolError, match="pixel 3 of image 0 is 2"):
        mixture.check_images(np.array([[0, 1, 0, 2] + [0] * 60]))
    with pytest.raises(SymbolError, match="64 pixels"):
        mixture.check_images(np.zeros((2, 63)))
    with pytest.raises(FileNotFoundError, match="train mixture"):
        BernoulliMixture.load(tmp_path / "missing.npz")
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"PK\x03\x04 not really a zip file")
    with pytest.raises(ModelError, match="not a saved BernoulliMixture"):
        BernoulliMixture.load(broken)
    np.savez(tmp_path / "zeros.npz", weights=np.ones(2) / 2, theta=np.zeros((2, 64)))
    with pytest.raises(ModelError, match="strictly between 0 and 1"):
        BernoulliMixture.load(tmp_path / "zeros.npz")


# -- the VAE: gradients, discretized latents, bits-back at the -ELBO ------------------------------

from ansedu.bitsback import VAE, LatentBuckets, load_trained_vae, train_vae, vae_codec  # noqa: E402


def test_vae_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    vae = VAE.init(64, 7, 3, rng)
    x = load_digits("train").images[:6].astype(float)
    eps = rng.standard_normal((6, 3))
    _, grads = vae.loss_and_gradients(x, eps)
    for name, g in grads.items():
        for index in [np.unravel_index(i, g.shape) for i in rng.choice(g.size, 3, replace=False)]:
            old = vae.params[name][index]
            vae.params[name][index] = old + 1e-6
            up, _ = vae.loss_and_gradients(x, eps)
            vae.params[name][index] = old - 1e-6
            down, _ = vae.loss_and_gradients(x, eps)
            vae.params[name][index] = old
            assert g[index] == pytest.approx((up - down) / 2e-6, rel=1e-4, abs=1e-7), name


def test_vae_training_is_deterministic_and_learns():
    x = load_digits("train").images[:200]
    a = train_vae(x, hidden=16, latent=4, epochs=3, seed=2)
    b = train_vae(x, hidden=16, latent=4, epochs=3, seed=2)
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    c = train_vae(x, hidden=16, latent=4, epochs=40, seed=2)
    rng = np.random.default_rng(0)
    assert c.negative_elbo(x, rng, 10).mean() < a.negative_elbo(x, rng, 10).mean() - 2


def test_latent_buckets_have_equal_prior_mass():
    buckets = LatentBuckets(4)
    assert buckets.edges[0] == -np.inf and buckets.edges[-1] == np.inf and len(buckets.centres) == 16
    from statistics import NormalDist
    inner = [NormalDist().cdf(e) for e in buckets.edges[1:-1]]
    assert np.allclose(inner, np.arange(1, 16) / 16)
    masses = buckets.posterior_masses(np.array([0.0, 3.0]), np.array([1.0, 0.1]))
    assert np.allclose(masses[0], 1 / 16)  # the prior itself: every bucket 1/16
    assert masses[1].argmax() == 15 and masses.sum(axis=1) == pytest.approx([1, 1])
    for bad in (0, 17, 2.5, True):
        with pytest.raises(ValueError, match="latent precision"):
            LatentBuckets(bad)


def test_vae_bits_back_reaches_the_negative_elbo_on_the_test_digits():
    test = load_digits("test")
    vae = load_trained_vae()
    c = vae_codec(vae, latent_bits=8)
    result = encode_chain(c, test.images)
    assert np.array_equal(np.array(decode_chain(c, result.words, len(test), result.initial)), test.images)
    neg_elbo = vae.negative_elbo(test.images, np.random.default_rng(0), samples=50).sum()
    assert neg_elbo / test.images.size <= 0.40  # the target for the shipped VAE
    assert abs(result.net_bits.sum() - neg_elbo) <= 0.01 * neg_elbo  # and the net rate within 1 %


def test_vae_parameter_files_are_checked(tmp_path):
    with pytest.raises(FileNotFoundError, match="train vae"):
        VAE.load(tmp_path / "missing.npz")
    params = dict(load_trained_vae().params)
    params["V2"] = params["V2"][:, :10]
    np.savez(tmp_path / "cut.npz", **params)
    with pytest.raises(ModelError, match="V2"):
        VAE.load(tmp_path / "cut.npz")
    with pytest.raises(ValueError, match="exceeds"):
        vae_codec(load_trained_vae(), latent_bits=16, precision=12)
