"""The MNIST-1D classifiers of Part II: logistic regression, MLP, 1-D CNN and GRU (Chapters 5-7).

Each model takes a batch of sequences of shape (B, L) (MNIST-1D: L = 40) and returns class
logits of shape (B, num_classes). Configurations are frozen dataclasses; vary them with
`dataclasses.replace(cfg, ...)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from dlbook.train import History, TensorLoader, fit

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}


def _check_positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def _check_input(x: Tensor, length: int | None = None) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a tensor, got {type(x).__name__}")
    if x.ndim != 2:
        raise ValueError(f"x must have shape (batch, length), got {tuple(x.shape)}")
    if length is not None and x.shape[1] != length:
        raise ValueError(f"x must have length {length}, got {x.shape[1]}")


@dataclass(frozen=True)
class MLPConfig:
    """A multilayer perceptron; `hidden=()` gives (multinomial) logistic regression."""

    in_features: int = 40  # length of the input sequence
    hidden: tuple[int, ...] = (100, 100)  # width of each hidden layer, in order
    num_classes: int = 10  # number of output logits
    activation: str = "relu"  # nonlinearity after each hidden layer: relu, tanh or gelu

    def __post_init__(self) -> None:
        _check_positive("in_features", self.in_features)
        _check_positive("num_classes", self.num_classes)
        if not isinstance(self.hidden, tuple):
            raise TypeError(f"hidden must be a tuple of ints, got {type(self.hidden).__name__}")
        for width in self.hidden:
            _check_positive("every hidden width", width)
        if self.activation not in _ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(_ACTIVATIONS)}, got {self.activation!r}"
            )


class MLP(nn.Module):
    """Fully connected network: Linear -> activation, repeated, then a Linear output (Chapter 5)."""

    def __init__(self, cfg: MLPConfig = MLPConfig()) -> None:
        super().__init__()
        if not isinstance(cfg, MLPConfig):
            raise TypeError(f"cfg must be an MLPConfig, got {type(cfg).__name__}")
        self.cfg = cfg
        layers: list[nn.Module] = []
        width = cfg.in_features
        for h in cfg.hidden:
            layers += [nn.Linear(width, h), _ACTIVATIONS[cfg.activation]()]
            width = h
        layers.append(nn.Linear(width, cfg.num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        _check_input(x, self.cfg.in_features)
        return self.net(x)  # (B, L) -> (B, num_classes)


def logistic_regression(in_features: int = 40, num_classes: int = 10) -> MLP:
    """Multinomial logistic regression: one Linear layer whose logits feed softmax (Chapter 5)."""
    return MLP(MLPConfig(in_features=in_features, hidden=(), num_classes=num_classes))


@dataclass(frozen=True)
class CNNConfig:
    """A 1-D convolutional network: conv blocks, global pooling, a linear classifier."""

    channels: tuple[int, ...] = (32, 64, 64)  # output channels of each conv layer
    kernel_size: int = 5  # odd, so that "same" padding keeps the length
    pool_every: int = 1  # max-pool by 2 after every `pool_every` conv layers (0: never)
    batch_norm: bool = True  # BatchNorm1d after each convolution
    global_pool: str = "max"  # how the final feature map is reduced over positions: max or mean
    num_classes: int = 10  # number of output logits

    def __post_init__(self) -> None:
        if not isinstance(self.channels, tuple) or not self.channels:
            raise TypeError(f"channels must be a non-empty tuple of ints, got {self.channels!r}")
        for c in self.channels:
            _check_positive("every channel count", c)
        _check_positive("kernel_size", self.kernel_size)
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd, got {self.kernel_size}")
        if isinstance(self.pool_every, bool) or not isinstance(self.pool_every, int):
            raise TypeError(f"pool_every must be an int, got {type(self.pool_every).__name__}")
        if self.pool_every < 0:
            raise ValueError(f"pool_every must be >= 0, got {self.pool_every}")
        if self.global_pool not in ("max", "mean"):
            raise ValueError(f"global_pool must be 'max' or 'mean', got {self.global_pool!r}")
        _check_positive("num_classes", self.num_classes)


class CNN1d(nn.Module):
    """Conv1d -> (BatchNorm) -> ReLU blocks with max-pooling, global pooling, Linear (Chapter 6)."""

    def __init__(self, cfg: CNNConfig = CNNConfig()) -> None:
        super().__init__()
        if not isinstance(cfg, CNNConfig):
            raise TypeError(f"cfg must be a CNNConfig, got {type(cfg).__name__}")
        self.cfg = cfg
        layers: list[nn.Module] = []
        c_in = 1
        for i, c_out in enumerate(cfg.channels):
            pad = cfg.kernel_size // 2
            layers.append(
                nn.Conv1d(c_in, c_out, cfg.kernel_size, padding=pad, bias=not cfg.batch_norm)
            )
            if cfg.batch_norm:
                layers.append(nn.BatchNorm1d(c_out))
            layers.append(nn.ReLU())
            if cfg.pool_every and (i + 1) % cfg.pool_every == 0 and i + 1 < len(cfg.channels):
                layers.append(nn.MaxPool1d(2))
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c_in, cfg.num_classes)

    def forward(self, x: Tensor) -> Tensor:
        _check_input(x)
        h = self.features(x.unsqueeze(1))  # (B, 1, L) -> (B, C, L')
        h = h.amax(dim=2) if self.cfg.global_pool == "max" else h.mean(dim=2)  # (B, C)
        return self.head(h)  # (B, num_classes)


@dataclass(frozen=True)
class GRUConfig:
    """A GRU that reads the sequence in chunks and classifies from its final hidden state."""

    chunk: int = 1  # input values fed per time step (the sequence length must be a multiple)
    hidden_size: int = 128  # size of the hidden state h_t
    num_layers: int = 1  # stacked GRU layers
    bidirectional: bool = False  # also read the sequence backwards and concatenate
    num_classes: int = 10  # number of output logits

    def __post_init__(self) -> None:
        _check_positive("chunk", self.chunk)
        _check_positive("hidden_size", self.hidden_size)
        _check_positive("num_layers", self.num_layers)
        if not isinstance(self.bidirectional, bool):
            raise TypeError(
                f"bidirectional must be a bool, got {type(self.bidirectional).__name__}"
            )
        _check_positive("num_classes", self.num_classes)


class GRUClassifier(nn.Module):
    """GRU over chunks of the sequence; Linear on the last hidden state(s) (Chapter 7)."""

    def __init__(self, cfg: GRUConfig = GRUConfig()) -> None:
        super().__init__()
        if not isinstance(cfg, GRUConfig):
            raise TypeError(f"cfg must be a GRUConfig, got {type(cfg).__name__}")
        self.cfg = cfg
        self.gru = nn.GRU(
            cfg.chunk,
            cfg.hidden_size,
            cfg.num_layers,
            batch_first=True,
            bidirectional=cfg.bidirectional,
        )
        directions = 2 if cfg.bidirectional else 1
        self.head = nn.Linear(directions * cfg.hidden_size, cfg.num_classes)

    def forward(self, x: Tensor) -> Tensor:
        _check_input(x)
        if x.shape[1] % self.cfg.chunk:
            raise ValueError(f"x length {x.shape[1]} is not a multiple of chunk={self.cfg.chunk}")
        steps = x.reshape(len(x), -1, self.cfg.chunk)  # (B, T, chunk)
        _, h_n = self.gru(steps)  # h_n: (num_layers * directions, B, H)
        directions = 2 if self.cfg.bidirectional else 1
        last = h_n[-directions:].transpose(0, 1).reshape(len(x), -1)  # (B, directions * H)
        return self.head(last)  # (B, num_classes)


def num_parameters(model: nn.Module) -> int:
    """Number of trainable parameters of `model`."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@dataclass(frozen=True)
class TrainConfig:
    """The book's recipe for MNIST-1D: AdamW with a cosine learning-rate decay per epoch."""

    num_epochs: int = 20  # passes over the training set
    batch_size: int = 128  # sequences per minibatch
    lr: float = 1e-2  # peak learning rate, decayed to 0 along a half cosine
    weight_decay: float = 1e-2  # AdamW's decoupled weight decay

    def __post_init__(self) -> None:
        _check_positive("num_epochs", self.num_epochs)
        _check_positive("batch_size", self.batch_size)
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr!r}")
        if not self.weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay!r}")


def train_classifier(
    model: nn.Module,
    X: Tensor,
    y: Tensor,
    cfg: TrainConfig = TrainConfig(),
    generator: torch.Generator | None = None,
) -> History:
    """Train `model` on (X, y) with cross-entropy by `dlbook.train.fit`, one epoch per call.

    The learning rate follows a cosine from `cfg.lr` to 0, stepped after every epoch; the
    minibatch order comes from `generator` (Chapters 5-7).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(cfg, TrainConfig):
        raise TypeError(f"cfg must be a TrainConfig, got {type(cfg).__name__}")
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.num_epochs)
    loader = TensorLoader(X, y, cfg.batch_size, shuffle=True, generator=generator)
    loss_fn = nn.CrossEntropyLoss()
    history = History()
    for _ in range(cfg.num_epochs):
        epoch = fit(model, loader, loss_fn, optimizer, num_epochs=1)
        history.train_loss += epoch.train_loss
        schedule.step()
    return history


__all__ = [
    "CNN1d",
    "CNNConfig",
    "GRUClassifier",
    "GRUConfig",
    "MLP",
    "MLPConfig",
    "TrainConfig",
    "logistic_regression",
    "num_parameters",
    "train_classifier",
]
