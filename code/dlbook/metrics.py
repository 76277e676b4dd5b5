"""Classification metrics written out for teaching (derived in Chapter 9).

Each function equals its scikit-learn counterpart (Chapter 9 and the tests check this); the
book uses scikit-learn's conventions: confusion-matrix rows are true classes, columns are
predictions, and a ratio with a zero denominator is 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

AVERAGES = ("binary", "macro", "micro", "weighted", None)


def _array(name: str, a: Any) -> np.ndarray:
    if hasattr(a, "detach"):  # a torch tensor, possibly on a GPU
        a = a.detach().cpu().numpy()
    if isinstance(a, (str, bytes)) or np.ndim(a) != 1:
        raise TypeError(f"{name} must be a 1-D array-like, got {type(a).__name__}")
    a = np.asarray(a)
    if len(a) == 0:
        raise ValueError(f"{name} must not be empty")
    return a


def _labels(name: str, y: Any) -> np.ndarray:
    y = _array(name, y)
    if y.dtype == bool:
        return y.astype(np.int64)
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{name} must hold integer class labels, got dtype {y.dtype}")
    return y


def _pair(y_true: Any, y_pred: Any, second: str = "y_pred") -> tuple[np.ndarray, np.ndarray]:
    y_true = _labels("y_true", y_true)
    y_pred = _labels(second, y_pred) if second == "y_pred" else _array(second, y_pred)
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and {second} differ in length: {len(y_true)} and {len(y_pred)}")
    return y_true, y_pred


def _scores(y_true: Any, y_score: Any) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_score = _pair(y_true, y_score, "y_score")
    if not np.issubdtype(y_score.dtype, np.number) or np.issubdtype(
        y_score.dtype, np.complexfloating
    ):
        raise TypeError(f"y_score must hold real numbers, got dtype {y_score.dtype}")
    y_score = y_score.astype(np.float64)
    if not np.all(np.isfinite(y_score)):
        raise ValueError("y_score must be finite")
    if not np.isin(y_true, (0, 1)).all():
        raise ValueError(f"y_true must hold the labels 0 and 1, got {np.unique(y_true)}")
    if y_true.min() == y_true.max():
        raise ValueError("y_true must contain both classes, 0 and 1")
    return y_true, y_score


def confusion_matrix(y_true: Any, y_pred: Any, labels: Sequence[int] | None = None) -> np.ndarray:
    """Counts C[i, j] of examples of true class labels[i] predicted as labels[j] (Chapter 9)."""
    y_true, y_pred = _pair(y_true, y_pred)
    if labels is None:
        labels = np.union1d(y_true, y_pred)
    else:
        labels = _labels("labels", labels)
        if len(np.unique(labels)) != len(labels):
            raise ValueError(f"labels must be distinct, got {labels}")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        outside = np.setdiff1d(y, labels)
        if len(outside):
            raise ValueError(f"{name} holds labels outside the classes {labels}: {outside}")
    order = np.argsort(labels)
    k = len(labels)
    i = order[np.searchsorted(labels, y_true, sorter=order)]  # row index of each example
    j = order[np.searchsorted(labels, y_pred, sorter=order)]  # column index
    return np.bincount(i * k + j, minlength=k * k).reshape(k, k)


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of examples whose prediction equals the label (Chapter 9)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    # A ratio with a zero denominator is 0, as scikit-learn's zero_division=0.
    return np.divide(num, den, out=np.zeros(np.shape(num)), where=np.asarray(den) > 0)


def precision_recall_f1(
    y_true: Any,
    y_pred: Any,
    average: str | None = "binary",
    labels: Sequence[int] | None = None,
) -> tuple[Any, Any, Any]:
    """Precision TP/(TP+FP), recall TP/(TP+FN) and their harmonic mean F1 (Chapter 9).

    `average="binary"` scores class 1 of 0/1 labels; "macro" averages the per-class scores,
    "weighted" weights them by class frequency, "micro" pools the counts; None returns arrays.
    """
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}, got {average!r}")
    y_true, y_pred = _pair(y_true, y_pred)
    if average == "binary":
        if labels is not None:
            raise ValueError("labels must be None with average='binary'")
        if not (np.isin(y_true, (0, 1)).all() and np.isin(y_pred, (0, 1)).all()):
            raise ValueError("average='binary' needs labels 0 and 1; use 'macro', 'micro' ...")
        labels = [0, 1]
    C = confusion_matrix(y_true, y_pred, labels)
    tp = np.diag(C).astype(np.float64)
    fp = C.sum(axis=0) - tp  # predicted as the class, but another class
    fn = C.sum(axis=1) - tp  # of the class, but predicted as another
    if average == "micro":
        tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
    p, r, f1 = _ratio(tp, tp + fp), _ratio(tp, tp + fn), _ratio(2 * tp, 2 * tp + fp + fn)
    if average == "micro":
        return float(p), float(r), float(f1)
    if average == "binary":
        return float(p[1]), float(r[1]), float(f1[1])
    if average is None:
        return p, r, f1
    support = C.sum(axis=1)
    w = support / support.sum() if average == "weighted" else np.full(len(p), 1 / len(p))
    return float(w @ p), float(w @ r), float(w @ f1)


def precision(y_true: Any, y_pred: Any, average: str | None = "binary") -> Any:
    """TP / (TP + FP): of the examples predicted positive, the fraction that are (Chapter 9)."""
    return precision_recall_f1(y_true, y_pred, average)[0]


def recall(y_true: Any, y_pred: Any, average: str | None = "binary") -> Any:
    """TP / (TP + FN): of the positive examples, the fraction found (Chapter 9)."""
    return precision_recall_f1(y_true, y_pred, average)[1]


def f1_score(y_true: Any, y_pred: Any, average: str | None = "binary") -> Any:
    """Harmonic mean of precision and recall, 2TP / (2TP + FP + FN) (Chapter 9)."""
    return precision_recall_f1(y_true, y_pred, average)[2]


def balanced_accuracy(y_true: Any, y_pred: Any) -> float:
    """Mean recall over the classes present in y_true; (TPR + TNR) / 2 for two (Chapter 9)."""
    y_true, y_pred = _pair(y_true, y_pred)
    C = confusion_matrix(y_true, y_pred)
    present = C.sum(axis=1) > 0
    return float(np.mean(np.diag(C)[present] / C.sum(axis=1)[present]))


def _counts_at_thresholds(y_true: Any, y_score: Any) -> tuple[np.ndarray, ...]:
    # Sort by decreasing score; at each distinct score s, count TP and FP among score >= s.
    y_true, y_score = _scores(y_true, y_score)
    order = np.argsort(-y_score, kind="mergesort")
    y_true, y_score = y_true[order], y_score[order]
    last = np.r_[np.flatnonzero(np.diff(y_score)), len(y_score) - 1]  # end of each tie group
    tps = np.cumsum(y_true)[last].astype(np.float64)
    fps = (last + 1) - tps
    return fps, tps, y_score[last]


def roc_curve(y_true: Any, y_score: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False and true positive rates at every distinct threshold, from (0, 0) (Chapter 9)."""
    fps, tps, thresholds = _counts_at_thresholds(y_true, y_score)
    fps, tps = np.r_[0.0, fps], np.r_[0.0, tps]
    return fps / fps[-1], tps / tps[-1], np.r_[np.inf, thresholds]


def precision_recall_curve(y_true: Any, y_score: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision and recall for increasing thresholds, ending at (recall 0, precision 1) (Ch. 9)."""
    fps, tps, thresholds = _counts_at_thresholds(y_true, y_score)
    prec = _ratio(tps, tps + fps)
    rec = tps / tps[-1]
    return np.r_[prec[::-1], 1.0], np.r_[rec[::-1], 0.0], thresholds[::-1]


def auc(x: Any, y: Any) -> float:
    """Area under the piecewise-linear curve through (x, y), x monotonic (Chapter 9)."""
    x, y = _array("x", x).astype(np.float64), _array("y", y).astype(np.float64)
    if len(x) != len(y) or len(x) < 2:
        raise ValueError(f"x and y need the same length, at least 2, got {len(x)} and {len(y)}")
    dx = np.diff(x)
    if not (np.all(dx >= 0) or np.all(dx <= 0)):
        raise ValueError("x must be monotonic")
    return float(abs(np.sum(dx * (y[1:] + y[:-1]) / 2)))


def roc_auc(y_true: Any, y_score: Any) -> float:
    """Area under the ROC curve: the chance a random positive outscores a negative (Ch. 9)."""
    fpr, tpr, _ = roc_curve(y_true, y_score)
    return auc(fpr, tpr)


def average_precision(y_true: Any, y_score: Any) -> float:
    """Sum over thresholds of (R_n - R_{n-1}) P_n: the step-wise area under the PR curve."""
    prec, rec, _ = precision_recall_curve(y_true, y_score)
    return float(max(0.0, -np.sum(np.diff(rec) * prec[:-1])))


def _probabilities(name: str, p: Any) -> np.ndarray:
    if hasattr(p, "detach"):
        p = p.detach().cpu().numpy()
    p = np.asarray(p)
    if p.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.issubdtype(p.dtype, np.floating):
        raise TypeError(f"{name} must hold floating-point probabilities, got dtype {p.dtype}")
    if not (np.all(p >= 0) and np.all(p <= 1)):  # also rejects nan
        raise ValueError(f"{name} must lie in [0, 1]")
    return p.astype(np.float64)


def reliability_bins(
    correct: Any, confidence: Any, n_bins: int = 15
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per equal-width bin (lo, hi] of confidence: accuracy, mean confidence, count (Ch. 9).

    Empty bins give nan. The non-empty ones equal `sklearn.calibration.calibration_curve`.
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive int, got {n_bins!r}")
    correct = _labels("correct", correct)
    confidence = _probabilities("confidence", confidence)
    if confidence.ndim != 1 or len(confidence) != len(correct):
        raise ValueError("confidence must be 1-D with the length of correct")
    if not np.isin(correct, (0, 1)).all():
        raise ValueError("correct must hold 0 and 1 (or booleans)")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    b = np.searchsorted(edges[1:-1], confidence)  # bin m holds (edges[m], edges[m + 1]]
    count = np.bincount(b, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.bincount(b, weights=correct, minlength=n_bins) / count
        conf = np.bincount(b, weights=confidence, minlength=n_bins) / count
    return acc, conf, count


def expected_calibration_error(y_true: Any, probs: Any, n_bins: int = 15) -> float:
    """ECE: sum over confidence bins of |B_m|/n * |acc(B_m) - conf(B_m)| (Chapter 9).

    `probs` holds class probabilities of shape (n, K); the confidence of an example is its
    largest probability and its prediction that class (Naeini et al. 2015; Guo et al. 2017).
    """
    y_true = _labels("y_true", y_true)
    probs = _probabilities("probs", probs)
    if probs.ndim != 2 or len(probs) != len(y_true):
        raise ValueError(f"probs must have shape (len(y_true), K), got {probs.shape}")
    if y_true.min() < 0 or y_true.max() >= probs.shape[1]:
        raise ValueError(f"y_true holds labels outside the classes 0..{probs.shape[1] - 1}")
    correct = probs.argmax(axis=1) == y_true
    acc, conf, count = reliability_bins(correct, probs.max(axis=1), n_bins)
    full = count > 0
    return float(np.sum(count[full] / len(y_true) * np.abs(acc[full] - conf[full])))


def bootstrap_samples(
    statistic: Callable[..., float],
    *arrays: Any,
    n_boot: int = 2000,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """`statistic` on `n_boot` resamples of the rows of `arrays`, drawn with replacement."""
    if not callable(statistic):
        raise TypeError(f"statistic must be callable, got {type(statistic).__name__}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive int, got {n_boot!r}")
    if not arrays:
        raise ValueError("give at least one array to resample")
    arrays = tuple(_array(f"arrays[{i}]", a) for i, a in enumerate(arrays))
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(f"arrays differ in length: {[len(a) for a in arrays]}")
    rng = np.random.default_rng() if rng is None else rng
    idx = rng.integers(0, n, size=(n_boot, n))  # the same rows for every array: paired
    return np.array([statistic(*(a[i] for a in arrays)) for i in idx], dtype=np.float64)


def bootstrap_ci(
    statistic: Callable[..., float],
    *arrays: Any,
    n_boot: int = 2000,
    level: float = 0.95,
    rng: np.random.Generator | None = None,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of `statistic(*arrays)` (Efron & Tibshirani)."""
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    boot = bootstrap_samples(statistic, *arrays, n_boot=n_boot, rng=rng)
    alpha = (1 - level) / 2
    low, high = np.percentile(boot, [100 * alpha, 100 * (1 - alpha)])
    return float(low), float(high)
