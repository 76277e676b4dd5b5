"""Tests of dlbook.models: shapes, equality with hand-written PyTorch, and errors."""

import dataclasses

import pytest
import torch
from torch import nn

from dlbook.models import (
    MLP,
    CNN1d,
    CNNConfig,
    GRUClassifier,
    GRUConfig,
    MLPConfig,
    TrainConfig,
    logistic_regression,
    num_parameters,
    train_classifier,
)


def test_logistic_regression_is_one_linear_layer():
    model = logistic_regression(40, 10)
    assert num_parameters(model) == 40 * 10 + 10
    x = torch.randn(5, 40)
    linear = model.net[0]
    torch.testing.assert_close(model(x), x @ linear.weight.T + linear.bias)


def test_mlp_matches_sequential():
    torch.manual_seed(0)
    model = MLP(MLPConfig(in_features=6, hidden=(8, 7), num_classes=3, activation="tanh"))
    a, b, c = (m for m in model.net if isinstance(m, nn.Linear))
    x = torch.randn(4, 6)
    expected = c(torch.tanh(b(torch.tanh(a(x)))))
    torch.testing.assert_close(model(x), expected)
    assert num_parameters(model) == (6 * 8 + 8) + (8 * 7 + 7) + (7 * 3 + 3)


@pytest.mark.parametrize("batch_norm", [True, False])
@pytest.mark.parametrize("global_pool", ["max", "mean"])
def test_cnn_shapes_and_padding(batch_norm, global_pool):
    cfg = CNNConfig(
        channels=(4, 8, 8), kernel_size=5, batch_norm=batch_norm, global_pool=global_pool
    )
    model = CNN1d(cfg).eval()
    assert model(torch.randn(3, 40)).shape == (3, 10)
    convs = [m for m in model.features if isinstance(m, nn.Conv1d)]
    assert [c.padding for c in convs] == [(2,), (2,), (2,)]
    assert sum(isinstance(m, nn.MaxPool1d) for m in model.features) == 2


def test_cnn_without_batch_norm_matches_functional():
    torch.manual_seed(0)
    model = CNN1d(CNNConfig(channels=(3,), kernel_size=3, batch_norm=False, global_pool="mean"))
    x = torch.randn(2, 10)
    conv = model.features[0]
    h = torch.relu(nn.functional.conv1d(x[:, None], conv.weight, conv.bias, padding=1)).mean(2)
    torch.testing.assert_close(model(x), model.head(h))


@pytest.mark.parametrize("bidirectional", [False, True])
def test_gru_classifier_uses_final_state(bidirectional):
    torch.manual_seed(0)
    cfg = GRUConfig(chunk=4, hidden_size=5, bidirectional=bidirectional)
    model = GRUClassifier(cfg)
    x = torch.randn(3, 40)
    out, _ = model.gru(x.reshape(3, 10, 4))
    if bidirectional:  # forward direction ends at the last step, backward at the first
        last = torch.cat([out[:, -1, :5], out[:, 0, 5:]], dim=1)
    else:
        last = out[:, -1]
    torch.testing.assert_close(model(x), model.head(last))


def test_train_classifier_learns_a_separable_problem():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(256, 40, generator=g)
    y = (X[:, 0] > 0).long()
    torch.manual_seed(0)
    model = logistic_regression(40, 2)
    history = train_classifier(model, X, y, TrainConfig(num_epochs=20, batch_size=32, lr=0.05), g)
    assert len(history.train_loss) == 20
    assert history.train_loss[-1] < history.train_loss[0]
    assert (model(X).argmax(1) == y).float().mean() > 0.9


def test_configs_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        MLPConfig().hidden = (3,)


@pytest.mark.parametrize(
    "make",
    [
        lambda: MLPConfig(hidden=[10]),
        lambda: MLPConfig(hidden=(0,)),
        lambda: MLPConfig(activation="sigmoid"),
        lambda: MLPConfig(in_features=0),
        lambda: CNNConfig(kernel_size=4),
        lambda: CNNConfig(channels=()),
        lambda: CNNConfig(global_pool="sum"),
        lambda: CNNConfig(pool_every=-1),
        lambda: GRUConfig(hidden_size=0),
        lambda: GRUConfig(bidirectional=1),
        lambda: TrainConfig(lr=0.0),
        lambda: TrainConfig(num_epochs=0),
        lambda: TrainConfig(weight_decay=-1.0),
    ],
)
def test_bad_configs_raise(make):
    with pytest.raises((ValueError, TypeError)):
        make()


def test_bad_inputs_raise():
    with pytest.raises(TypeError, match="cfg"):
        MLP(CNNConfig())
    with pytest.raises(TypeError, match="cfg"):
        CNN1d(MLPConfig())
    with pytest.raises(TypeError, match="cfg"):
        GRUClassifier(MLPConfig())
    with pytest.raises(ValueError, match="length 40"):
        MLP()(torch.randn(2, 30))
    with pytest.raises(ValueError, match="shape"):
        CNN1d()(torch.randn(2, 1, 40))
    with pytest.raises(TypeError, match="x must be a tensor"):
        CNN1d()([[0.0] * 40])
    with pytest.raises(ValueError, match="multiple of chunk"):
        GRUClassifier(GRUConfig(chunk=3))(torch.randn(2, 40))
    with pytest.raises(TypeError, match="model"):
        num_parameters("model")
    with pytest.raises(TypeError, match="model"):
        train_classifier("model", torch.zeros(2, 40), torch.zeros(2).long())
    with pytest.raises(TypeError, match="cfg"):
        train_classifier(MLP(), torch.zeros(2, 40), torch.zeros(2).long(), cfg={})
