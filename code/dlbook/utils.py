"""Seeding, device choice, timing and progress bars: the plumbing every chapter uses."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

import numpy as np
import torch

T = TypeVar("T")

#: Environment variable that silences progress bars (set by the book build and tests).
QUIET_ENV = "DLBOOK_QUIET"


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and PyTorch (CPU and CUDA); return a fresh seeded `torch.Generator`.

    Use the returned generator for sampling (`torch.randn(..., generator=g)`) so that a cell's
    randomness does not depend on how many random numbers earlier cells drew.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if not 0 <= int(seed) < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)  # the legacy global generator, used by older code
    torch.manual_seed(seed)  # also seeds every CUDA device
    return torch.Generator().manual_seed(seed)


def device(prefer: str | None = None) -> torch.device:
    """Return the device to compute on: CUDA when available, else the CPU.

    `prefer="cpu"` forces the CPU; `prefer="cuda"` asks for CUDA and raises if there is none.
    """
    if prefer is not None and not isinstance(prefer, str):
        raise TypeError(f"prefer must be a str or None, got {type(prefer).__name__}")
    if prefer not in (None, "cpu", "cuda"):
        raise ValueError(f"prefer must be None, 'cpu' or 'cuda', got {prefer!r}")
    if prefer == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if prefer == "cuda":
        raise ValueError("prefer='cuda' was given but torch.cuda.is_available() is False")
    return torch.device("cpu")


class Timer:
    """Context manager measuring wall-clock seconds with `time.perf_counter`.

    >>> with Timer() as t:
    ...     _ = sum(range(1000))
    >>> t.elapsed >= 0
    True
    """

    def __init__(self) -> None:
        self.start: float | None = None
        self.elapsed: float = float("nan")

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.start is not None
        self.elapsed = time.perf_counter() - self.start


def quiet() -> bool:
    """True when progress bars should be hidden (the book build sets DLBOOK_QUIET=1)."""
    return os.environ.get(QUIET_ENV, "") not in ("", "0")


def progress(iterable: Iterable[T], **kwargs: object) -> Iterator[T]:
    """Wrap `iterable` in a `tqdm.auto` progress bar, silent when `quiet()` is true."""
    if quiet():  # no bar at all: nothing is imported, nothing is written to stderr
        return iter(iterable)
    from tqdm.auto import tqdm

    return iter(tqdm(iterable, **kwargs))
