"""Tests of dlbook.coding: information measures, Huffman lengths, the arithmetic coder."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import entropy as scipy_entropy

from dlbook.coding import (
    MAX_TOTAL,
    ArithmeticDecoder,
    ArithmeticEncoder,
    OrderKModel,
    StaticModel,
    cross_entropy,
    decode,
    encode,
    entropy,
    huffman_code_lengths,
    information,
    quantize,
)

# ---------------------------------------------------------------- information measures


def test_information_of_a_fair_coin_is_one_bit():
    assert information(0.5) == 1.0
    assert information(1.0) == 0.0
    assert information(1 / 1024) == pytest.approx(10.0)


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5, math.nan])
def test_information_rejects_impossible_probabilities(bad):
    with pytest.raises(ValueError, match="p must"):
        information(bad)


def test_information_rejects_non_numbers():
    with pytest.raises(TypeError, match="p must"):
        information("0.5")


@given(st.lists(st.floats(0.01, 1.0), min_size=1, max_size=30))
def test_entropy_matches_scipy(weights):
    p = np.array(weights) / np.sum(weights)
    assert entropy(p) == pytest.approx(scipy_entropy(p, base=2), abs=1e-9)


@given(st.lists(st.floats(0.01, 1.0), min_size=2, max_size=30), st.integers(0, 2**31))
def test_cross_entropy_matches_torch_and_is_at_least_the_entropy(weights, seed):
    p = np.array(weights) / np.sum(weights)
    q = np.random.default_rng(seed).dirichlet(np.ones(len(p)))
    # F.cross_entropy with soft targets is -sum p ln q, in nats
    logits = torch.tensor(np.log(q))[None]
    ref = F.cross_entropy(logits, torch.tensor(p)[None]).item() / math.log(2)
    assert cross_entropy(p, q) == pytest.approx(ref, rel=1e-9)
    assert cross_entropy(p, q) >= entropy(p) - 1e-12  # Gibbs' inequality


def test_cross_entropy_is_infinite_when_q_misses_the_support():
    assert cross_entropy([0.5, 0.5], [1.0, 0.0]) == math.inf


@pytest.mark.parametrize(
    "bad, message",
    [
        ([0.5, 0.6], "sum to one"),
        ([1.2, -0.2], "non-negative"),
        ([0.5, math.nan], "finite"),
        ([math.inf, 0.0], "finite"),
        ([], "at least one"),
    ],
)
def test_probability_checks(bad, message):
    with pytest.raises(ValueError, match=message):
        entropy(bad)
    with pytest.raises(ValueError, match=message):
        quantize(bad)


def test_probability_type_check():
    with pytest.raises(TypeError, match="probs"):
        quantize(["a", "b"])


# ---------------------------------------------------------------- Huffman


@given(st.lists(st.integers(1, 1000), min_size=2, max_size=60))
def test_huffman_lengths_are_complete_and_within_one_bit_of_the_entropy(counts):
    lengths = np.array(huffman_code_lengths(counts))
    assert np.sum(2.0**-lengths) == pytest.approx(1.0)  # Kraft: a complete prefix code
    p = np.array(counts) / np.sum(counts)
    mean = float(p @ lengths)
    assert entropy(p) - 1e-9 <= mean < entropy(p) + 1


def test_huffman_known_example():
    # weights 1, 1, 2, 4: lengths 3, 3, 2, 1
    assert huffman_code_lengths([1, 1, 2, 4]) == [3, 3, 2, 1]
    assert huffman_code_lengths([7]) == [1]


@pytest.mark.parametrize("bad", [[], [1, 0], [1, -2], [1, math.inf]])
def test_huffman_rejects_bad_weights(bad):
    with pytest.raises(ValueError, match="weights"):
        huffman_code_lengths(bad)


# ---------------------------------------------------------------- quantization


@given(
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=300).filter(lambda w: sum(w) > 0),
    st.integers(300, MAX_TOTAL),
)
def test_quantize_gives_positive_frequencies_with_the_exact_total(weights, total):
    p = np.array(weights) / np.sum(weights)
    f = quantize(p, total)
    assert f.dtype == np.int64 and f.min() >= 1 and f.sum() == total


def test_quantize_works_on_stacks_of_tables():
    p = np.random.default_rng(0).dirichlet(np.ones(5), size=(3, 4))
    f = quantize(p, 1000)
    assert f.shape == (3, 4, 5)
    assert np.all(f.sum(axis=-1) == 1000)
    np.testing.assert_array_equal(f[1, 2], quantize(p[1, 2], 1000))


@pytest.mark.parametrize("total", [2, MAX_TOTAL + 1])
def test_quantize_rejects_a_bad_total(total):
    with pytest.raises(ValueError, match="total"):
        quantize([0.25, 0.25, 0.5], total)


# ---------------------------------------------------------------- the coder

alphabets = st.integers(1, 40)


@st.composite
def message_and_table(draw, max_len=400):
    n_symbols = draw(alphabets)
    freqs = draw(st.lists(st.integers(1, 2000), min_size=n_symbols, max_size=n_symbols))
    message = draw(st.lists(st.integers(0, n_symbols - 1), max_size=max_len))
    return message, freqs


def ideal_bits(message, freqs):
    total = sum(freqs)
    return sum(-math.log2(freqs[s] / total) for s in message)


@settings(max_examples=200, deadline=None)
@given(message_and_table())
def test_static_round_trip_and_length(case):
    message, freqs = case
    data = encode(message, StaticModel(freqs))
    assert decode(data, StaticModel(freqs)) == message
    # payload bits: the ideal code length plus at most 2 flush bits and 7 bits of byte padding
    enc = ArithmeticEncoder()
    for s in message:
        enc.encode(s, freqs)
    payload = enc.finish()
    assert data.endswith(payload) and len(data) - len(payload) <= 6  # a short header
    assert 8 * len(payload) <= ideal_bits(message, freqs) + 2 + 7 + 1e-6


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 5), max_size=600), st.integers(0, 4))
def test_adaptive_order_k_round_trip(message, k):
    data = encode(message, OrderKModel(6, k))
    assert decode(data, OrderKModel(6, k)) == message


def test_empty_message():
    data = encode([], StaticModel([1, 1]))
    assert decode(data, StaticModel([1, 1])) == []


def test_single_symbol_alphabet_costs_almost_nothing():
    message = [0] * 10_000
    data = encode(message, StaticModel([5]))
    assert decode(data, StaticModel([5])) == message
    assert len(data) <= 6  # header (3 + 1 bytes) and one byte of flush bits


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3000))
def test_highly_skewed_source_reaches_its_entropy(seed, n):
    # p(1) = 1/65536: Huffman would spend a whole bit per symbol, arithmetic coding almost none
    freqs = [MAX_TOTAL - 1, 1]
    rng = np.random.default_rng(seed)
    message = [int(rng.random() < 0.001) for _ in range(n)]
    enc = ArithmeticEncoder()
    for s in message:
        enc.encode(s, freqs)
    payload = enc.finish()
    assert 8 * len(payload) <= ideal_bits(message, freqs) + 2 + 7 + 1e-6
    dec = ArithmeticDecoder(payload)
    assert [dec.decode(freqs) for _ in message] == message


def test_adaptive_model_learns_a_repetitive_text():
    message = [0, 1, 2, 3] * 500
    for k, limit in [(0, 2.1), (2, 0.1)]:
        data = encode(message, OrderKModel(4, k))
        assert 8 * len(data) / len(message) < limit


def test_order_k_probabilities_are_a_distribution():
    model = OrderKModel(5, 2)
    for s in [0, 1, 0, 1, 4]:
        p = model.probs()
        assert p.min() > 0 and p.sum() == pytest.approx(1.0)
        model.update(s)


# ---------------------------------------------------------------- bad input


def test_symbol_outside_the_alphabet():
    with pytest.raises(ValueError, match="outside the alphabet"):
        encode([0, 3], StaticModel([1, 1, 1]))
    with pytest.raises(ValueError, match="outside the alphabet"):
        encode([-1], StaticModel([1, 1]))
    with pytest.raises(TypeError, match="symbol"):
        ArithmeticEncoder().encode(1.0, [1, 1])


def test_symbols_must_be_a_sequence():
    with pytest.raises(TypeError, match="symbols"):
        encode("abc", StaticModel([1, 1]))


@pytest.mark.parametrize(
    "freqs, error, message",
    [
        ([1, 0, 2], ValueError, ">= 1"),
        ([], ValueError, ">= 1"),
        ([MAX_TOTAL, 1], ValueError, "at most"),
        ([0.5, 0.5], TypeError, "integers"),
        ([[1, 2]], TypeError, "1-D"),
    ],
)
def test_bad_frequency_tables(freqs, error, message):
    with pytest.raises(error, match=message):
        ArithmeticEncoder().encode(0, freqs)
    with pytest.raises(error, match=message):
        StaticModel(freqs)


def test_truncated_bitstreams_are_detected():
    rng = np.random.default_rng(0)
    message = rng.integers(0, 10, 500).tolist()
    data = encode(message, StaticModel([1] * 10))
    for cut in (1, 5, len(data) - 3, len(data) - 1):
        with pytest.raises(ValueError, match="truncated"):
            decode(data[:cut], StaticModel([1] * 10))
    with pytest.raises(ValueError, match="truncated"):
        decode(b"", StaticModel([1] * 10))


def test_decoder_refuses_to_read_far_past_the_end():
    dec = ArithmeticDecoder(b"")
    with pytest.raises(ValueError, match="truncated or corrupt"):
        for _ in range(100):
            dec.decode([1, 1])


def test_decode_type_checks():
    with pytest.raises(TypeError, match="data"):
        decode("abc", StaticModel([1, 1]))
    with pytest.raises(TypeError, match="payload"):
        ArithmeticDecoder([1, 2])


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"n_symbols": 0, "k": 1}, ValueError),
        ({"n_symbols": 3, "k": -1}, ValueError),
        ({"n_symbols": 3.0, "k": 1}, TypeError),
        ({"n_symbols": 3, "k": True}, TypeError),
    ],
)
def test_order_k_model_argument_checks(kwargs, error):
    with pytest.raises(error):
        OrderKModel(**kwargs)


# ---------------------------------------------------------------- against constriction


def test_sizes_close_to_constriction():
    constriction = pytest.importorskip("constriction")
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.full(20, 0.3), size=3000).astype(np.float32)
    probs /= probs.sum(axis=1, keepdims=True)
    symbols = np.array([rng.choice(20, p=p / p.sum()) for p in probs.astype(np.float64)])
    freqs = quantize(probs.astype(np.float64))
    enc = ArithmeticEncoder()
    for s, f in zip(symbols, freqs):
        enc.encode(int(s), f)
    ours = 8 * len(enc.finish())
    coder = constriction.stream.queue.RangeEncoder()
    coder.encode(
        symbols.astype(np.int32), constriction.stream.model.Categorical(perfect=False), probs
    )
    theirs = 32 * len(coder.get_compressed())
    ideal = float(-np.log2(probs[np.arange(len(symbols)), symbols].astype(np.float64)).sum())
    assert abs(ours - theirs) <= 0.01 * theirs + 64
    assert ideal <= ours <= 1.01 * ideal + 16
