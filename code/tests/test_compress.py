"""Tests of dlbook.compress against PyTorch's own quantisation, SVD and KL divergence."""

import io
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlbook.compress import (
    affine_qparams,
    dequantize,
    distillation_loss,
    int_range,
    low_rank_linear,
    quantize,
    state_dict_bytes,
)


@pytest.fixture
def x() -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.randn(256, 512, generator=g) * torch.linspace(0.1, 3.0, 512)


def _quiet(fn, *args, **kwargs):
    # torch 2.13 deprecates its quantized tensors with a UserWarning; the numbers are unchanged.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _assert_same_codes(ours, ref, x, scale):
    # Equal except where x / scale is within float32 rounding of a tie: PyTorch multiplies by
    # 1 / scale, we divide, and the two may then round to neighbouring levels.
    diff = ours.int() - ref.int()
    frac = torch.remainder(x.double() / torch.as_tensor(scale).double(), 1.0)
    assert diff.abs().max() <= 1
    assert bool(((frac - 0.5).abs() < 1e-5)[diff != 0].all())


def test_int_range():
    assert int_range(8) == (-128, 127)
    assert int_range(8, signed=False) == (0, 255)
    assert int_range(4) == (-8, 7)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_round_trip_error_at_most_half_a_step(x, axis):
    scale, zp = affine_qparams(x, axis=axis)
    x_hat = dequantize(quantize(x, scale, zp, axis=axis), scale, zp, axis=axis)
    step = scale if axis is None else scale.reshape([-1 if d == axis else 1 for d in range(2)])
    assert torch.all((x - x_hat).abs() <= step / 2 * (1 + 1e-5))


def test_zero_is_exact(x):
    for axis in (None, 0):
        scale, zp = affine_qparams(x, axis=axis)
        zeros = torch.zeros_like(x)
        assert torch.all(
            dequantize(quantize(zeros, scale, zp, axis=axis), scale, zp, axis=axis) == 0
        )


def test_per_tensor_matches_torch(x):
    scale, zp = affine_qparams(x)
    observer = _quiet(torch.ao.quantization.MinMaxObserver, dtype=torch.qint8)
    observer(x)
    torch_scale, torch_zp = observer.calculate_qparams()
    torch.testing.assert_close(scale.reshape(1), torch_scale)
    assert int(zp) == int(torch_zp)
    ref = _quiet(torch.quantize_per_tensor, x, float(scale), int(zp), torch.qint8)
    _assert_same_codes(quantize(x, scale, zp), ref.int_repr(), x, scale)
    torch.testing.assert_close(dequantize(ref.int_repr(), scale, zp), ref.dequantize())


def test_per_channel_matches_torch(x):
    scale, zp = affine_qparams(x, axis=0)
    observer = _quiet(
        torch.ao.quantization.PerChannelMinMaxObserver,
        ch_axis=0,
        dtype=torch.qint8,
        qscheme=torch.per_channel_affine,
    )
    observer(x)
    torch_scale, torch_zp = observer.calculate_qparams()
    torch.testing.assert_close(scale, torch_scale)
    assert torch.equal(zp, torch_zp.to(torch.int64))
    ref = _quiet(torch.quantize_per_channel, x, scale.double(), zp, 0, torch.qint8)
    _assert_same_codes(quantize(x, scale, zp, axis=0), ref.int_repr(), x, scale[:, None])


def test_unsigned_codes(x):
    scale, zp = affine_qparams(x, signed=False)
    q = quantize(x, scale, zp, signed=False)
    assert q.dtype == torch.uint8
    ref = _quiet(torch.quantize_per_tensor, x, float(scale), int(zp), torch.quint8)
    _assert_same_codes(q, ref.int_repr(), x, scale)


def test_state_dict_bytes_float_and_int8():
    model = nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 10))
    n_params = sum(p.numel() for p in model.parameters())
    assert state_dict_bytes(model) == 4 * n_params
    assert state_dict_bytes(model.state_dict()) == 4 * n_params
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    assert 0 <= buffer.getbuffer().nbytes - state_dict_bytes(model) < 4096  # pickling overhead
    qmodel = _quiet(torch.ao.quantization.quantize_dynamic, model, {nn.Linear}, dtype=torch.qint8)
    n_weights = 256 * 512 + 512 * 10
    n_bias = 512 + 10
    # int8 codes, fp32 biases, the weights' scale and zero point (float64 + int64), and each
    # module's unused output scale (float32) and zero point (int64).
    expected = n_weights + 4 * n_bias + 2 * (16 + 12)
    assert state_dict_bytes(qmodel) == expected
    assert state_dict_bytes(model) / state_dict_bytes(qmodel) > 3.9


def test_low_rank_is_best_rank_r_approximation():
    torch.manual_seed(0)
    layer = nn.Linear(40, 30)
    W = layer.weight.detach().double().numpy()
    U, S, Vh = np.linalg.svd(W, full_matrices=False)
    for rank in (1, 5, 30):
        factored = low_rank_linear(layer, rank)
        W_r = (factored[1].weight @ factored[0].weight).detach().double().numpy()
        best = (U[:, :rank] * S[:rank]) @ Vh[:rank]
        np.testing.assert_allclose(W_r, best, atol=1e-5)
        # Eckart-Young: the error is the energy in the dropped singular values.
        np.testing.assert_allclose(
            np.linalg.norm(W - W_r), np.sqrt(np.sum(S[rank:] ** 2)), atol=1e-5
        )
        x = torch.randn(7, 40)
        torch.testing.assert_close(factored(x), x @ torch.tensor(W_r).float().T + layer.bias)
    torch.testing.assert_close(low_rank_linear(layer, 30)(x), layer(x), atol=1e-5, rtol=1e-5)
    assert sum(p.numel() for p in low_rank_linear(layer, 5).parameters()) == 5 * (40 + 30) + 30


def test_distillation_loss_matches_manual_kl():
    g = torch.Generator().manual_seed(1)
    s, t = torch.randn(16, 10, generator=g), torch.randn(16, 10, generator=g)
    y = torch.randint(0, 10, (16,), generator=g)
    for T in (1.0, 2.0, 5.0):
        p = torch.softmax(t / T, dim=1)
        log_q = torch.log_softmax(s / T, dim=1)
        manual = (p * (p.log() - log_q)).sum(dim=1).mean() * T**2
        torch.testing.assert_close(distillation_loss(s, t, temperature=T), manual)
        mixed = distillation_loss(s, t, y, temperature=T, alpha=0.3)
        torch.testing.assert_close(mixed, 0.3 * manual + 0.7 * F.cross_entropy(s, y))
    assert distillation_loss(t, t, temperature=3.0).abs() < 1e-6  # KL(p || p) = 0
    s.requires_grad_(True)
    t.requires_grad_(True)
    distillation_loss(s, t).backward()
    assert s.grad is not None and t.grad is None  # the teacher is not trained


def test_errors(x):
    with pytest.raises(TypeError, match="x"):
        affine_qparams(x.numpy())
    with pytest.raises(TypeError, match="x"):
        affine_qparams(torch.arange(5))
    with pytest.raises(ValueError, match="num_bits"):
        affine_qparams(x, num_bits=16)
    with pytest.raises(TypeError, match="num_bits"):
        int_range(8.0)
    with pytest.raises(ValueError, match="axis"):
        affine_qparams(x, axis=2)
    with pytest.raises(ValueError, match="scale"):
        quantize(x, 0.0, 0)
    with pytest.raises(ValueError, match="scale"):
        quantize(x, torch.ones(3), torch.zeros(3, dtype=torch.int64), axis=0)
    with pytest.raises(TypeError, match="q"):
        dequantize(x, 1.0, 0)
    with pytest.raises(TypeError, match="model"):
        state_dict_bytes([1, 2, 3])
    with pytest.raises(TypeError, match="layer"):
        low_rank_linear(nn.Conv1d(1, 1, 3), 1)
    with pytest.raises(ValueError, match="rank"):
        low_rank_linear(nn.Linear(4, 3), 4)
    s = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="temperature"):
        distillation_loss(s, s, temperature=0)
    with pytest.raises(ValueError, match="alpha"):
        distillation_loss(s, s, alpha=1.5)
    with pytest.raises(ValueError, match="teacher_logits"):
        distillation_loss(s, torch.zeros(2, 4))
    with pytest.raises(TypeError, match="student_logits"):
        distillation_loss([[0.0]], s)
    with pytest.raises(ValueError, match="target"):
        distillation_loss(s, s, torch.zeros(3, dtype=torch.int64))
