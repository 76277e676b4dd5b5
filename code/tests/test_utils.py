"""Tests of dlbook.utils: seeding, device choice, timer, progress bars."""

import random

import numpy as np
import pytest
import torch

from dlbook.utils import QUIET_ENV, Timer, device, progress, quiet, seed_everything


def draw(gen: torch.Generator) -> tuple[float, float, float, float]:
    return (
        random.random(),
        float(np.random.rand()),
        float(torch.rand(1)),
        float(torch.rand(1, generator=gen)),
    )


def test_seed_everything_makes_all_generators_repeat():
    first = draw(seed_everything(123))
    second = draw(seed_everything(123))
    assert first == second
    assert draw(seed_everything(124)) != first


def test_seed_everything_returns_a_generator():
    assert isinstance(seed_everything(0), torch.Generator)


@pytest.mark.parametrize("bad", [1.5, "3", None, True])
def test_seed_everything_rejects_non_integers(bad):
    with pytest.raises(TypeError, match="seed"):
        seed_everything(bad)


@pytest.mark.parametrize("bad", [-1, 2**32])
def test_seed_everything_rejects_out_of_range(bad):
    with pytest.raises(ValueError, match="seed"):
        seed_everything(bad)


def test_seed_everything_accepts_numpy_integers():
    assert isinstance(seed_everything(np.int64(7)), torch.Generator)


def test_device_defaults_and_cpu():
    assert device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert device().type == expected


def test_device_rejects_bad_arguments():
    with pytest.raises(ValueError, match="prefer"):
        device("tpu")
    with pytest.raises(TypeError, match="prefer"):
        device(0)


@pytest.mark.skipif(torch.cuda.is_available(), reason="only meaningful without CUDA")
def test_device_cuda_requested_without_cuda():
    with pytest.raises(ValueError, match="cuda"):
        device("cuda")


def test_timer_measures_elapsed_time():
    with Timer() as t:
        sum(range(10_000))
    assert 0 <= t.elapsed < 5


def test_progress_yields_every_item(monkeypatch):
    monkeypatch.setenv(QUIET_ENV, "1")
    assert quiet()
    assert list(progress(range(5))) == [0, 1, 2, 3, 4]
    monkeypatch.setenv(QUIET_ENV, "0")
    assert not quiet()


def test_quiet_progress_writes_nothing(monkeypatch, capsys):
    monkeypatch.setenv(QUIET_ENV, "1")
    assert sum(progress(range(3), desc="x")) == 3
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
