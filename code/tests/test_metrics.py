"""Tests of dlbook.metrics: agreement with scikit-learn and SciPy, and errors on bad input."""

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.calibration import calibration_curve

from dlbook import metrics as M


@st.composite
def label_pairs(draw, max_classes: int = 5, min_size: int = 1):
    n = draw(st.integers(min_size, 60))
    k = draw(st.integers(2, max_classes))
    labels = st.lists(st.integers(0, k - 1), min_size=n, max_size=n)
    return np.array(draw(labels)), np.array(draw(labels))


@st.composite
def scored(draw):
    n = draw(st.integers(2, 60))
    y = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda v: 0 < sum(v) < n))
    # few distinct values, so that ties (several examples at one threshold) are common
    s = draw(st.lists(st.integers(0, 8), min_size=n, max_size=n))
    return np.array(y), np.array(s) / 8.0


@settings(max_examples=60, deadline=None)
@given(label_pairs())
def test_confusion_accuracy_balanced_match_sklearn(pair):
    y_true, y_pred = pair
    with warnings.catch_warnings():
        # sklearn warns about a single label, and about classes of y_pred absent from y_true
        warnings.simplefilter("ignore")
        ref_matrix = skm.confusion_matrix(y_true, y_pred)
        ref = skm.balanced_accuracy_score(y_true, y_pred)
    np.testing.assert_array_equal(M.confusion_matrix(y_true, y_pred), ref_matrix)
    assert M.accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred))
    assert M.balanced_accuracy(y_true, y_pred) == pytest.approx(ref)


@settings(max_examples=60, deadline=None)
@given(label_pairs(), st.sampled_from(["macro", "micro", "weighted", None]))
def test_precision_recall_f1_averages_match_sklearn(pair, average):
    y_true, y_pred = pair
    ours = M.precision_recall_f1(y_true, y_pred, average)
    ref = skm.precision_recall_fscore_support(y_true, y_pred, average=average, zero_division=0)
    for a, b in zip(ours, ref[:3]):
        np.testing.assert_allclose(a, b)


@settings(max_examples=60, deadline=None)
@given(label_pairs(max_classes=2))
def test_binary_scores_match_sklearn_and_f1_is_the_harmonic_mean(pair):
    y_true, y_pred = pair
    p, r, f1 = M.precision_recall_f1(y_true, y_pred)
    assert p == pytest.approx(skm.precision_score(y_true, y_pred, zero_division=0))
    assert r == pytest.approx(skm.recall_score(y_true, y_pred, zero_division=0))
    assert f1 == pytest.approx(skm.f1_score(y_true, y_pred, zero_division=0))
    assert M.precision(y_true, y_pred) == p and M.recall(y_true, y_pred) == r
    assert M.f1_score(y_true, y_pred) == f1
    if p > 0 and r > 0:
        assert f1 == pytest.approx(stats.hmean([p, r]))
        assert min(p, r) <= f1 + 1e-12 and f1 <= (p + r) / 2 + 1e-12


@settings(max_examples=60, deadline=None)
@given(scored())
def test_curves_and_areas_match_sklearn(data):
    y, s = data
    for ours, ref in zip(M.roc_curve(y, s), skm.roc_curve(y, s, drop_intermediate=False)):
        np.testing.assert_allclose(ours, ref)
    for ours, ref in zip(M.precision_recall_curve(y, s), skm.precision_recall_curve(y, s)):
        np.testing.assert_allclose(ours, ref)
    assert M.roc_auc(y, s) == pytest.approx(skm.roc_auc_score(y, s))
    assert M.average_precision(y, s) == pytest.approx(skm.average_precision_score(y, s))
    fpr, tpr, _ = M.roc_curve(y, s)
    assert M.auc(fpr, tpr) == pytest.approx(skm.auc(fpr, tpr))


def test_roc_auc_is_the_probability_a_positive_outscores_a_negative():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    s = rng.normal(size=200) + y
    pos, neg = s[y == 1], s[y == 0]
    pairs = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    assert M.roc_auc(y, s) == pytest.approx(pairs)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 80), st.integers(1, 20), st.integers(0, 2**32 - 1))
def test_reliability_bins_match_sklearn_calibration_curve(n, n_bins, seed):
    rng = np.random.default_rng(seed)
    correct = rng.integers(0, 2, n)
    conf = np.round(rng.random(n), 2)  # values on bin edges too
    acc, mean_conf, count = M.reliability_bins(correct, conf, n_bins)
    assert count.sum() == n
    ref_acc, ref_conf = calibration_curve(correct, conf, n_bins=n_bins, pos_label=1)
    np.testing.assert_allclose(acc[count > 0], ref_acc)
    np.testing.assert_allclose(mean_conf[count > 0], ref_conf)


def test_ece_from_its_definition_and_edge_cases():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(500, 4)) * 3
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = rng.integers(0, 4, 500)
    conf, correct = probs.max(axis=1), probs.argmax(axis=1) == y
    ece = 0.0
    for lo, hi in zip(np.linspace(0, 1, 16)[:-1], np.linspace(0, 1, 16)[1:]):
        in_bin = (conf > lo) & (conf <= hi)
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - conf[in_bin].mean())
    assert M.expected_calibration_error(y, probs) == pytest.approx(ece)
    assert M.expected_calibration_error(y, torch.tensor(probs)) == pytest.approx(ece)
    # one-hot predictions that are always right are perfectly calibrated; always wrong: ECE 1
    onehot = np.eye(3)[[0, 1, 2, 0]]
    assert M.expected_calibration_error([0, 1, 2, 0], onehot) == 0.0
    assert M.expected_calibration_error([1, 2, 0, 1], onehot) == 1.0


def test_bootstrap_ci_equals_scipy_percentile_bootstrap():
    rng = np.random.default_rng(2)
    y, y_hat = rng.integers(0, 2, 300), rng.integers(0, 2, 300)
    ours = M.bootstrap_ci(M.accuracy, y, y_hat, n_boot=400, rng=np.random.default_rng(3))
    ref = stats.bootstrap(
        (y, y_hat),
        M.accuracy,
        paired=True,
        vectorized=False,
        n_resamples=400,
        method="percentile",
        rng=np.random.default_rng(3),
    ).confidence_interval
    assert ours == pytest.approx((ref.low, ref.high))
    samples = M.bootstrap_samples(M.accuracy, y, y_hat, n_boot=50, rng=np.random.default_rng(0))
    assert samples.shape == (50,) and np.all((samples >= 0) & (samples <= 1))


def test_accepts_lists_bools_and_tensors():
    assert M.accuracy([0, 1, 1], [0, 1, 0]) == pytest.approx(2 / 3)
    assert M.accuracy(torch.tensor([0, 1]), torch.tensor([0, 1])) == 1.0
    assert M.recall(np.array([True, True]), np.array([True, False])) == 0.5


@pytest.mark.parametrize(
    "call",
    [
        lambda: M.accuracy([0, 1, 1], [0, 1]),  # mismatched lengths
        lambda: M.confusion_matrix([0, 1], [0, 1, 1]),
        lambda: M.accuracy([], []),  # empty
        lambda: M.roc_curve([], []),
        lambda: M.confusion_matrix([0, 1, 2], [0, 1, 1], labels=[0, 1]),  # outside the classes
        lambda: M.confusion_matrix([0, 1], [0, 1], labels=[0, 0, 1]),
        lambda: M.precision([0, 1, 2], [0, 1, 1]),  # 'binary' needs 0/1 labels
        lambda: M.precision([0, 1], [0, 1], average="median"),
        lambda: M.roc_curve([0, 2, 1], [0.1, 0.2, 0.3]),
        lambda: M.roc_curve([1, 1, 1], [0.1, 0.2, 0.3]),  # one class only
        lambda: M.roc_curve([0, 1], [0.1, np.nan]),
        lambda: M.expected_calibration_error([0, 1], [[0.5, 0.5], [1.2, -0.2]]),  # outside [0, 1]
        lambda: M.expected_calibration_error([0, 3], [[0.5, 0.5], [0.2, 0.8]]),
        lambda: M.expected_calibration_error([0, 1, 1], [[0.5, 0.5], [0.2, 0.8]]),
        lambda: M.reliability_bins([0, 1], [0.5, 1.5]),
        lambda: M.reliability_bins([0, 1], [0.5, 0.5], n_bins=0),
        lambda: M.reliability_bins([0, 2], [0.5, 0.5]),
        lambda: M.auc([0, 1, 0.5], [0, 1, 1]),  # x not monotonic
        lambda: M.bootstrap_ci(M.accuracy, [0, 1], [0, 1], level=1.5),
        lambda: M.bootstrap_ci(M.accuracy, [0, 1], [0, 1, 1]),
        lambda: M.bootstrap_samples(M.accuracy, [0, 1], [0, 1], n_boot=0),
    ],
)
def test_bad_values_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: M.accuracy([0.0, 1.0], [0, 1]),  # float labels
        lambda: M.accuracy("01", "01"),
        lambda: M.accuracy([[0, 1]], [[0, 1]]),  # not 1-D
        lambda: M.roc_curve([0, 1], ["a", "b"]),
        lambda: M.expected_calibration_error([0, 1], [[1, 0], [0, 1]]),  # integer "probabilities"
        lambda: M.bootstrap_ci("accuracy", [0, 1], [0, 1]),
    ],
)
def test_bad_types_raise_type_error(call):
    with pytest.raises(TypeError):
        call()
