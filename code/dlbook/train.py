"""The training loop every chapter uses (derived step by step in Chapter 4).

`fit` runs zero_grad -> forward -> loss -> backward -> step over minibatches, evaluates on a
validation set after each epoch in `eval()` mode under `torch.no_grad()`, keeps a history,
and optionally stops early, restoring the best weights.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from dlbook.utils import progress

Batch = tuple[Tensor, Tensor]
LossFn = Callable[[Tensor, Tensor], Tensor]


class TensorLoader:
    """Minibatches of in-memory tensors, re-iterable like a `DataLoader`, but much faster.

    With `shuffle=True` each pass draws `torch.randperm(n, generator=generator)`, the same
    permutation a `DataLoader(TensorDataset(X, y), shuffle=True, generator=generator)` uses,
    so both give the same batches in the same order (Chapter 4 checks this).
    """

    def __init__(
        self,
        X: Tensor,
        y: Tensor,
        batch_size: int,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
        drop_last: bool = False,
    ) -> None:
        if not isinstance(X, Tensor) or not isinstance(y, Tensor):
            raise TypeError(f"X and y must be tensors, got {type(X).__name__}, {type(y).__name__}")
        if len(X) != len(y):
            raise ValueError(f"X and y must have the same length, got {len(X)} and {len(y)}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.X, self.y = X, y
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.generator = generator

    def __len__(self) -> int:
        n = len(self.X)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[Batch]:
        n = len(self.X)
        # Consume random numbers exactly as DataLoader does, so that both give the same batches
        # and leave the generators in the same state: one int64 (DataLoader's worker base seed),
        # then, when shuffling, RandomSampler's permutations (seeded from the global generator
        # when no generator is given).
        torch.empty((), dtype=torch.int64).random_(generator=self.generator)
        if self.shuffle:
            g = self.generator
            if g is None:
                seed = int(torch.empty((), dtype=torch.int64).random_().item())
                g = torch.Generator().manual_seed(seed)
            order = torch.randperm(n, generator=g)
        else:
            order = torch.arange(n)
        for i in range(len(self)):
            idx = order[i * self.batch_size : (i + 1) * self.batch_size]
            yield self.X[idx], self.y[idx]
        if self.shuffle:
            torch.randperm(n, generator=g)  # RandomSampler draws (and discards) one more at the end


@dataclass
class History:
    """Per-epoch record of one training run."""

    train_loss: list[float] = field(default_factory=list)  # mean minibatch loss in the epoch
    val_loss: list[float] = field(default_factory=list)  # loss on the validation set
    val_acc: list[float] = field(default_factory=list)  # accuracy (classification only)
    best_epoch: int = -1  # epoch (0-based) with the lowest validation loss
    stopped_early: bool = False  # True when patience ran out before num_epochs


def _is_classification(y_hat: Tensor, y: Tensor) -> bool:
    return y_hat.ndim == 2 and y.ndim == 1 and not torch.is_floating_point(y)


@torch.no_grad()
def evaluate(
    model: nn.Module, loader: Iterable[Batch], loss_fn: LossFn, device: torch.device | None = None
) -> tuple[float, float]:
    """Mean loss over `loader` in eval mode, and accuracy (nan unless it is classification)."""
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    total_loss, correct, count, classification = 0.0, 0, 0, True
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        y_hat = model(X)
        total_loss += loss_fn(y_hat, y).item() * len(X)
        classification = classification and _is_classification(y_hat, y)
        if classification:
            correct += (y_hat.argmax(dim=1) == y).sum().item()
        count += len(X)
    model.train(was_training)
    if count == 0:
        raise ValueError("loader must yield at least one batch")
    return total_loss / count, (correct / count if classification else float("nan"))


def fit(
    model: nn.Module,
    train_loader: Iterable[Batch],
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    num_epochs: int,
    val_loader: Iterable[Batch] | None = None,
    patience: int | None = None,
    device: torch.device | None = None,
) -> History:
    """Train `model` for `num_epochs` epochs and return its `History`.

    With `val_loader`, the model is evaluated after every epoch; with `patience` too, training
    stops after `patience` epochs without a lower validation loss, and the weights of the best
    epoch are restored.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(num_epochs, bool) or not isinstance(num_epochs, int) or num_epochs < 1:
        raise ValueError(f"num_epochs must be a positive int, got {num_epochs!r}")
    if patience is not None:
        if val_loader is None:
            raise ValueError("patience needs a val_loader to watch")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"patience must be a positive int or None, got {patience!r}")
    device = device or next(model.parameters()).device
    model.to(device)
    history = History()
    best_loss, best_state, waited = math.inf, None, 0
    for epoch in progress(range(num_epochs), desc="epochs"):
        model.train()
        total, count = 0.0, 0
        for X, y in train_loader:
            X, y = X.to(device), y.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(X)
            count += len(X)
        history.train_loss.append(total / count)
        if val_loader is None:
            continue
        val_loss, val_acc = evaluate(model, val_loader, loss_fn, device)
        history.val_loss.append(val_loss)
        history.val_acc.append(val_acc)
        if val_loss < best_loss:
            best_loss, history.best_epoch, waited = val_loss, epoch, 0
            if patience is not None:
                best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
            if patience is not None and waited >= patience:
                history.stopped_early = True
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


@torch.no_grad()
def predict(model: nn.Module, X: Tensor, batch_size: int = 1024) -> Tensor:
    """Model outputs for `X` in eval mode, computed in batches, returned on the CPU."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    outputs = [model(X[i : i + batch_size].to(device)).cpu() for i in range(0, len(X), batch_size)]
    model.train(was_training)
    return torch.cat(outputs)


def save_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    generator: torch.Generator | None = None,
    **extra: object,
) -> None:
    """Save weights, optimizer and generator state, and plain values (Chapter 4 derives it).

    Everything is stored as tensors, numbers, strings, lists and dicts, so that
    `load_checkpoint` can read it back with `torch.load(..., weights_only=True)`.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or path-like, got {type(path).__name__}")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        kind = type(optimizer).__name__
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {kind}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    checkpoint: dict[str, object] = {"model": model.state_dict(), "extra": extra}
    if optimizer is not None:
        checkpoint["optimizer"] = optimizer.state_dict()
    if generator is not None:
        checkpoint["generator"] = generator.get_state()  # a uint8 tensor
    torch.save(checkpoint, path)


def load_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    generator: torch.Generator | None = None,
    map_location: str | torch.device | None = None,
) -> dict[str, object]:
    """Restore what `save_checkpoint` wrote, with `weights_only=True`; return the extra values.

    Chapter 4 derives it. Loading never runs code stored in the file: the restricted
    unpickler accepts only tensors and plain Python containers and numbers.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or path-like, got {type(path).__name__}")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    if not isinstance(checkpoint, dict) or "model" not in checkpoint:
        raise ValueError(f"path {os.fspath(path)!r} does not hold a save_checkpoint checkpoint")
    for name, wanted in (("optimizer", optimizer), ("generator", generator)):
        if wanted is not None and name not in checkpoint:
            raise ValueError(f"{name} was given but the checkpoint holds no {name} state")
    model.load_state_dict(checkpoint["model"])
    if optimizer is not None:
        optimizer.load_state_dict(checkpoint["optimizer"])
    if generator is not None:
        generator.set_state(checkpoint["generator"].cpu())  # generator states live on the CPU
    return dict(checkpoint.get("extra", {}))
