"""Tests of dlbook.train: the loader, the loop, evaluation and prediction."""

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from dlbook.train import TensorLoader, evaluate, fit, predict
from dlbook.utils import seed_everything


def blobs(n: int = 200, generator: torch.Generator | None = None):
    # Two well-separated Gaussian blobs in 2-D: any sensible classifier reaches 100 %.
    y = torch.arange(n) % 2
    X = torch.randn(n, 2, generator=generator) * 0.3 + (y.float()[:, None] * 4 - 2)
    return X, y


@pytest.mark.parametrize("drop_last", [False, True])
def test_tensor_loader_matches_dataloader_batches(drop_last):
    X, y = blobs(103)
    g = torch.Generator().manual_seed(1)
    ours = TensorLoader(X, y, batch_size=10, shuffle=True, generator=g, drop_last=drop_last)
    ref = DataLoader(
        TensorDataset(X, y),
        batch_size=10,
        shuffle=True,
        generator=torch.Generator().manual_seed(1),
        drop_last=drop_last,
    )
    assert len(ours) == len(ref) == (10 if drop_last else 11)
    for _ in range(2):  # two epochs: the generators advance identically
        for (xa, ya), (xb, yb) in zip(ours, ref, strict=True):
            torch.testing.assert_close(xa, xb)
            assert torch.equal(ya, yb)


def test_tensor_loader_matches_dataloader_with_the_global_generator():
    X, y = blobs(30)
    torch.manual_seed(5)
    ours = [b for _, b in TensorLoader(X, y, batch_size=7, shuffle=True)]
    after_ours = torch.rand(1)
    torch.manual_seed(5)
    ref = [b for _, b in DataLoader(TensorDataset(X, y), batch_size=7, shuffle=True)]
    assert all(torch.equal(a, b) for a, b in zip(ours, ref, strict=True))
    assert torch.equal(after_ours, torch.rand(1)), "both leave the global generator alike"


def test_tensor_loader_drop_last_and_order():
    X, y = blobs(25)
    loader = TensorLoader(X, y, batch_size=10, drop_last=True)
    assert len(loader) == 2
    assert torch.equal(torch.cat([b for _, b in loader]), y[:20])


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"X": [1, 2], "y": torch.zeros(2)}, TypeError),
        ({"X": torch.zeros(3, 1), "y": torch.zeros(2)}, ValueError),
        ({"X": torch.zeros(2, 1), "y": torch.zeros(2), "batch_size": 0}, ValueError),
    ],
)
def test_tensor_loader_rejects_bad_input(kwargs, error):
    kwargs.setdefault("batch_size", 1)
    with pytest.raises(error):
        TensorLoader(**kwargs)


def make_model() -> nn.Module:
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))


def test_fit_learns_separable_blobs_and_records_history():
    g = seed_everything(0)
    X, y = blobs(200, g)
    model = make_model()
    train = TensorLoader(X, y, 20, shuffle=True, generator=g)
    val = TensorLoader(*blobs(100, g), 50)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    history = fit(model, train, nn.CrossEntropyLoss(), opt, num_epochs=5, val_loader=val)
    assert len(history.train_loss) == len(history.val_loss) == len(history.val_acc) == 5
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.val_acc[-1] == 1.0
    loss, acc = evaluate(model, val, nn.CrossEntropyLoss())
    assert acc == 1.0 and loss == pytest.approx(history.val_loss[-1])


def test_fit_is_reproducible_with_a_seed():
    def run():
        g = seed_everything(3)
        X, y = blobs(100, g)
        model = make_model()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        fit(model, TensorLoader(X, y, 10, True, g), nn.CrossEntropyLoss(), opt, num_epochs=2)
        return predict(model, X)

    torch.testing.assert_close(run(), run(), rtol=0, atol=0)


def test_early_stopping_restores_the_best_weights():
    g = seed_everything(0)
    X, y = blobs(100, g)
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    # Validating on flipped labels: the better the model learns, the worse validation gets.
    val = TensorLoader(X, 1 - y, 100)
    loss_fn = nn.CrossEntropyLoss()
    history = fit(model, TensorLoader(X, y, 10, True, g), loss_fn, opt, 30, val, patience=2)
    assert history.stopped_early
    assert len(history.val_loss) == history.best_epoch + 3
    best = min(history.val_loss)
    assert history.val_loss[history.best_epoch] == best
    assert evaluate(model, val, loss_fn)[0] == pytest.approx(best)


def test_evaluate_regression_has_no_accuracy():
    X = torch.randn(20, 2)
    y = X.sum(dim=1, keepdim=True)
    model = nn.Linear(2, 1)
    loss, acc = evaluate(model, TensorLoader(X, y, 5), nn.MSELoss())
    assert loss > 0 and acc != acc  # nan


def test_predict_restores_training_mode():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    model.train()
    out = predict(model, torch.ones(3, 2), batch_size=2)
    assert out.shape == (3, 2) and model.training


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"model": "not a model"}, TypeError, "model"),
        ({"num_epochs": 0}, ValueError, "num_epochs"),
        ({"patience": 2}, ValueError, "val_loader"),
        ({"patience": 0, "val_loader": "set below"}, ValueError, "patience"),
    ],
)
def test_fit_rejects_bad_arguments(kwargs, error, match):
    X, y = blobs(10)
    model = make_model()
    args = {
        "model": model,
        "train_loader": TensorLoader(X, y, 5),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.SGD(model.parameters(), lr=0.1),
        "num_epochs": 1,
    }
    args.update(kwargs)
    if args.get("val_loader") == "set below":
        args["val_loader"] = TensorLoader(X, y, 5)
    with pytest.raises(error, match=match):
        fit(**args)


def test_checkpoint_round_trip_resumes_training_bit_for_bit(tmp_path):
    from dlbook.train import load_checkpoint, save_checkpoint

    def setup(seed: int = 0):
        X, y = blobs(60, torch.Generator().manual_seed(123))  # the same data every time
        g = seed_everything(seed)
        model = make_model()
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        return g, TensorLoader(X, y, 10, shuffle=True, generator=g), model, opt

    loss_fn = nn.CrossEntropyLoss()
    g, loader, model, opt = setup()
    fit(model, loader, loss_fn, opt, num_epochs=4)
    uninterrupted = [p.detach().clone() for p in model.parameters()]

    g, loader, model, opt = setup()
    fit(model, loader, loss_fn, opt, num_epochs=2)
    save_checkpoint(tmp_path / "ckpt.pt", model, opt, g, epoch=2, note="half way")
    g, loader, model, opt = setup(seed=7)  # different weights and generator state
    extra = load_checkpoint(tmp_path / "ckpt.pt", model, opt, g)
    assert extra == {"epoch": 2, "note": "half way"}
    fit(model, loader, loss_fn, opt, num_epochs=2)
    for a, b in zip(model.parameters(), uninterrupted, strict=True):
        assert torch.equal(a, b)


def test_checkpoint_is_loadable_with_weights_only_and_refuses_objects(tmp_path):
    import pickle

    from dlbook.train import load_checkpoint, save_checkpoint

    model = make_model()
    save_checkpoint(tmp_path / "a.pt", model)
    raw = torch.load(tmp_path / "a.pt", weights_only=True)
    assert set(raw) == {"model", "extra"}
    torch.save({"model": model.state_dict(), "extra": {"obj": nn.ReLU()}}, tmp_path / "b.pt")
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(tmp_path / "b.pt", make_model())


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"path": 3}, TypeError, "path"),
        ({"model": "not a model"}, TypeError, "model"),
        ({"optimizer": "adam"}, TypeError, "optimizer"),
        ({"generator": 0}, TypeError, "generator"),
    ],
)
def test_save_checkpoint_rejects_bad_arguments(tmp_path, kwargs, error, match):
    from dlbook.train import save_checkpoint

    args = {"path": tmp_path / "c.pt", "model": make_model()}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        save_checkpoint(**args)


def test_load_checkpoint_rejects_missing_state_and_foreign_files(tmp_path):
    from dlbook.train import load_checkpoint, save_checkpoint

    model = make_model()
    save_checkpoint(tmp_path / "w.pt", model)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="optimizer"):
        load_checkpoint(tmp_path / "w.pt", model, optimizer=opt)
    with pytest.raises(ValueError, match="generator"):
        load_checkpoint(tmp_path / "w.pt", model, generator=torch.Generator())
    torch.save(model.state_dict(), tmp_path / "plain.pt")
    with pytest.raises(ValueError, match="save_checkpoint"):
        load_checkpoint(tmp_path / "plain.pt", model)
    with pytest.raises(TypeError, match="path"):
        load_checkpoint(None, model)
    with pytest.raises(TypeError, match="model"):
        load_checkpoint(tmp_path / "w.pt", "model")
