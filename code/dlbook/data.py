"""Locating the book's small data files, from a checkout or from an installed wheel."""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources
from pathlib import Path, PurePosixPath

import numpy as np
import torch

#: Where the files live inside an installed wheel (the build maps `data/` here).
_PACKAGED = "_data"


def _data_dir() -> Path:
    """Return the directory holding the data files: packaged copy first, then the checkout."""
    packaged = Path(str(resources.files("dlbook"))) / _PACKAGED
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "data"  # code/dlbook/data.py -> repo/data
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"no data directory found (looked in {packaged} and {checkout})")


def available() -> list[str]:
    """Names of the data files shipped with the book."""
    return sorted(p.name for p in _data_dir().iterdir() if p.is_file())


def data_path(name: str) -> Path:
    """Return the path of the book's data file `name` (e.g. "milestones.csv").

    Works from any working directory, from a checkout and from an installed wheel.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    pure = PurePosixPath(name)
    if not name or pure.is_absolute() or len(pure.parts) != 1 or name in (".", ".."):
        raise ValueError(f"name must be a bare file name such as 'milestones.csv', got {name!r}")
    path = _data_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"no data file {name!r}; available: {', '.join(available())}")
    return path


def read_table(name: str) -> list[dict[str, str]]:
    """Rows of the book's CSV table `name`, each a dict from column name to text."""
    with open(data_path(name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=4)
def _mnist1d(shuffle_seq: bool, seed: int) -> tuple[np.ndarray, ...]:
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.shuffle_seq, args.seed = shuffle_seq, seed
    state = np.random.get_state()  # make_dataset reseeds NumPy's global generator; undo that
    try:
        d = make_dataset(args)
    finally:
        np.random.set_state(state)
    return d["x"], d["y"], d["x_test"], d["y_test"]


def load_mnist1d(shuffle_seq: bool = False, seed: int = 42) -> dict[str, torch.Tensor]:
    """MNIST-1D (Greydanus 2020), generated locally: 4,000 training and 1,000 test sequences.

    Returns float32 inputs of shape (N, 40) and int64 labels under the keys `x_train`,
    `y_train`, `x_test`, `y_test`. `shuffle_seq=True` gives the paper's variant whose 40
    positions are permuted (the same permutation for every sequence). `seed=42` is the
    paper's data set. Nothing is downloaded.
    """
    if not isinstance(shuffle_seq, bool):
        raise TypeError(f"shuffle_seq must be a bool, got {type(shuffle_seq).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an int in [0, 2**32), got {seed!r}")
    x, y, x_test, y_test = _mnist1d(shuffle_seq, seed)
    return {
        "x_train": torch.tensor(x, dtype=torch.float32),
        "y_train": torch.tensor(y, dtype=torch.int64),
        "x_test": torch.tensor(x_test, dtype=torch.float32),
        "y_test": torch.tensor(y_test, dtype=torch.int64),
    }


import os  # noqa: E402  (appended with load_text for Chapters 8 and 10)


def load_text(path: str | os.PathLike | None = None) -> tuple[str, dict]:
    """A text corpus for the language models of Chapters 8 and 10, with its size and SHA-256.

    Default: the Python reference manual that ships with CPython (`pydoc_data.topics`): the
    values of `pydoc_data.topics.topics` joined in sorted-key order with two newlines. Or the
    UTF-8 text of the local file `path`. Returns `(text, info)` with
    `info = {"name", "chars", "bytes" (UTF-8), "sha256"}`. Nothing is downloaded.
    """
    import hashlib

    if path is None:
        from pydoc_data import topics

        text = "\n\n".join(topics.topics[k] for k in sorted(topics.topics))
        name = "pydoc_data.topics"
    else:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str, os.PathLike or None, got {type(path).__name__}")
        p = Path(path)
        if not p.is_file():
            raise ValueError(f"path must name an existing text file, got {str(path)!r}")
        text = p.read_text(encoding="utf-8")
        name = p.name
    raw = text.encode("utf-8")
    info = {
        "name": name,
        "chars": len(text),
        "bytes": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
    }
    return text, info
