"""Model compression helpers derived in Chapter 11: affine quantisation, model size, low rank
and the distillation loss.

Each function is written out from scratch in the chapter and checked there (and in
`code/tests/test_compress.py`) against PyTorch: `torch.quantize_per_tensor`,
`torch.quantize_per_channel`, the min/max observers of `torch.ao.quantization`,
`torch.linalg.svd` and `torch.nn.functional.kl_div`.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "int_range",
    "affine_qparams",
    "quantize",
    "dequantize",
    "state_dict_bytes",
    "low_rank_linear",
    "distillation_loss",
]


def _check_tensor(name: str, x: object) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    return x


def int_range(num_bits: int = 8, signed: bool = True) -> tuple[int, int]:
    """Smallest and largest integer of a `num_bits` code (Chapter 11): int8 is (-128, 127)."""
    if isinstance(num_bits, bool) or not isinstance(num_bits, int):
        raise TypeError(f"num_bits must be an int, got {type(num_bits).__name__}")
    if not 2 <= num_bits <= 8:
        raise ValueError(f"num_bits must be between 2 and 8, got {num_bits}")
    if not isinstance(signed, bool):
        raise TypeError(f"signed must be a bool, got {type(signed).__name__}")
    if signed:
        return -(2 ** (num_bits - 1)), 2 ** (num_bits - 1) - 1
    return 0, 2**num_bits - 1


def _check_axis(x: Tensor, axis: int | None) -> int | None:
    if axis is None:
        return None
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise TypeError(f"axis must be an int or None, got {type(axis).__name__}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(
            f"axis must be in [{-x.ndim}, {x.ndim}) for a {x.ndim}-d tensor, got {axis}"
        )
    return axis % x.ndim


def _broadcast(v: Tensor, x: Tensor, axis: int | None) -> Tensor:
    """Reshape per-channel parameters `v` (C,) so that they broadcast along `axis` of `x`."""
    if axis is None:
        return v
    shape = [1] * x.ndim
    shape[axis] = -1
    return v.reshape(shape)


def affine_qparams(
    x: Tensor, num_bits: int = 8, signed: bool = True, axis: int | None = None
) -> tuple[Tensor, Tensor]:
    """Scale and zero point mapping [min(x, 0), max(x, 0)] onto the integer range (Chapter 11).

    `axis=None` gives one (scale, zero_point) for the whole tensor (per-tensor); an int gives
    one pair per slice along that axis (per-channel). Same formula as PyTorch's min/max
    observers: scale = (max - min) / (qmax - qmin), zero_point = qmin - round(min / scale).
    """
    x = _check_tensor("x", x)
    if not torch.is_floating_point(x):
        raise TypeError(f"x must be a floating-point tensor, got {x.dtype}")
    if x.numel() == 0:
        raise ValueError("x must not be empty")
    axis = _check_axis(x, axis)
    qmin, qmax = int_range(num_bits, signed)
    x = x.detach().float()
    if axis is None:
        lo, hi = x.min(), x.max()
    else:
        flat = x.movedim(axis, 0).reshape(x.shape[axis], -1)  # (C, everything else)
        lo, hi = flat.min(dim=1).values, flat.max(dim=1).values
    # The range must contain 0 so that zero (padding, ReLU outputs, pruned weights) is exact.
    lo, hi = torch.clamp(lo, max=0.0), torch.clamp(hi, min=0.0)
    scale = torch.clamp((hi - lo) / (qmax - qmin), min=torch.finfo(torch.float32).eps)
    zero_point = torch.clamp(qmin - torch.round(lo / scale), qmin, qmax).to(torch.int64)
    return scale, zero_point


def quantize(
    x: Tensor,
    scale: Tensor | float,
    zero_point: Tensor | int,
    num_bits: int = 8,
    signed: bool = True,
    axis: int | None = None,
) -> Tensor:
    """Integer codes q = clamp(round(x / scale) + zero_point, qmin, qmax) (Chapter 11).

    Returns int8 (`signed=True`) or uint8 codes; `axis` as in `affine_qparams`.
    """
    x = _check_tensor("x", x)
    if not torch.is_floating_point(x):
        raise TypeError(f"x must be a floating-point tensor, got {x.dtype}")
    axis = _check_axis(x, axis)
    qmin, qmax = int_range(num_bits, signed)
    scale = torch.as_tensor(scale, dtype=torch.float32)
    zero_point = torch.as_tensor(zero_point, dtype=torch.int64)
    if torch.any(scale <= 0):
        raise ValueError("scale must be positive")
    if axis is not None and (scale.ndim != 1 or len(scale) != x.shape[axis]):
        raise ValueError(
            f"per-channel scale must have shape ({x.shape[axis]},), got {tuple(scale.shape)}"
        )
    scale, zero_point = _broadcast(scale, x, axis), _broadcast(zero_point, x, axis)
    q = torch.round(x.detach().float() / scale) + zero_point  # torch.round: ties to even
    return torch.clamp(q, qmin, qmax).to(torch.int8 if signed else torch.uint8)


def dequantize(
    q: Tensor, scale: Tensor | float, zero_point: Tensor | int, axis: int | None = None
) -> Tensor:
    """Real values (q - zero_point) * scale represented by integer codes `q` (Chapter 11)."""
    q = _check_tensor("q", q)
    if torch.is_floating_point(q) or q.is_complex():
        raise TypeError(f"q must be an integer tensor, got {q.dtype}")
    axis = _check_axis(q, axis)
    scale = torch.as_tensor(scale, dtype=torch.float32)
    zero_point = torch.as_tensor(zero_point, dtype=torch.int64)
    if axis is not None and (scale.ndim != 1 or len(scale) != q.shape[axis]):
        raise ValueError(
            f"per-channel scale must have shape ({q.shape[axis]},), got {tuple(scale.shape)}"
        )
    scale, zero_point = _broadcast(scale, q, axis), _broadcast(zero_point, q, axis)
    return (q.to(torch.int64) - zero_point).float() * scale


def _tensor_bytes(t: Tensor) -> int:
    if t.is_quantized:
        size = t.numel() * t.element_size()  # 1 byte per qint8/quint8 code
        if t.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric):
            scales, zero_points = t.q_per_channel_scales(), t.q_per_channel_zero_points()
            size += scales.numel() * scales.element_size()
            size += zero_points.numel() * zero_points.element_size()
        else:
            size += 8 + 8  # one float64 scale and one int64 zero point
        return size
    return t.numel() * t.element_size()


def _value_bytes(value: object) -> int:
    if isinstance(value, Tensor):
        return _tensor_bytes(value)
    if isinstance(value, (tuple, list)):  # packed parameters of quantized modules
        return sum(_value_bytes(v) for v in value)
    return 0  # non-tensor entries (dtypes, ints) hold no weights


def state_dict_bytes(model: nn.Module | Mapping[str, object]) -> int:
    """Bytes held by the tensors of a model's `state_dict` (Chapter 11).

    Counts numel * element_size for every tensor, including the int8 codes and the scales and
    zero points of quantized tensors; the few bytes of pickling overhead of `torch.save` are
    left out.
    """
    if isinstance(model, nn.Module):
        state = model.state_dict()
    elif isinstance(model, Mapping):
        state = model
    else:
        raise TypeError(f"model must be an nn.Module or a state_dict, got {type(model).__name__}")
    return sum(_value_bytes(v) for v in state.values())


def low_rank_linear(layer: nn.Linear, rank: int) -> nn.Sequential:
    """Replace `layer` (W: out x in) by two Linears of rank `rank` from its truncated SVD.

    W ~ U_r S_r V_r^T = (U_r S_r^1/2)(S_r^1/2 V_r^T): the best rank-r approximation in the
    Frobenius norm (Eckart-Young). The result has r (in + out) weights instead of in * out,
    plus the original bias (Chapter 11).
    """
    if not isinstance(layer, nn.Linear):
        raise TypeError(f"layer must be an nn.Linear, got {type(layer).__name__}")
    if isinstance(rank, bool) or not isinstance(rank, int):
        raise TypeError(f"rank must be an int, got {type(rank).__name__}")
    max_rank = min(layer.in_features, layer.out_features)
    if not 1 <= rank <= max_rank:
        raise ValueError(f"rank must be between 1 and {max_rank}, got {rank}")
    W = layer.weight.detach()  # (out, in)
    U, S, Vh = torch.linalg.svd(W.double(), full_matrices=False)  # double: exact small ranks
    root = S[:rank].sqrt()
    first = nn.Linear(layer.in_features, rank, bias=False)
    second = nn.Linear(rank, layer.out_features, bias=layer.bias is not None)
    with torch.no_grad():
        first.weight.copy_((root[:, None] * Vh[:rank]).to(W.dtype))  # (r, in)
        second.weight.copy_((U[:, :rank] * root).to(W.dtype))  # (out, r)
        if layer.bias is not None:
            second.bias.copy_(layer.bias.detach())
    return nn.Sequential(first, second).to(W.device)


def distillation_loss(
    student_logits: Tensor,
    teacher_logits: Tensor,
    target: Tensor | None = None,
    temperature: float = 2.0,
    alpha: float = 0.5,
) -> Tensor:
    """Knowledge-distillation loss of Hinton, Vinyals & Dean (2015) (Chapter 11).

    T^2 KL(softmax(teacher / T) || softmax(student / T)), averaged over the batch; with a
    `target` it becomes alpha times that plus (1 - alpha) times the cross-entropy with the
    hard labels. The T^2 keeps the soft term's gradients the same size as T changes.
    """
    student_logits = _check_tensor("student_logits", student_logits)
    teacher_logits = _check_tensor("teacher_logits", teacher_logits)
    if student_logits.ndim != 2:
        raise ValueError(
            f"student_logits must be 2-d (batch, classes), got {student_logits.ndim}-d"
        )
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(
            f"teacher_logits must have the shape of student_logits {tuple(student_logits.shape)}, "
            f"got {tuple(teacher_logits.shape)}"
        )
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
        raise TypeError(f"temperature must be a number, got {type(temperature).__name__}")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
        raise TypeError(f"alpha must be a number, got {type(alpha).__name__}")
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    T = float(temperature)
    log_q = F.log_softmax(student_logits / T, dim=1)  # student, softened
    log_p = F.log_softmax(teacher_logits.detach() / T, dim=1)  # teacher, softened, no gradient
    soft = F.kl_div(log_q, log_p, log_target=True, reduction="batchmean") * T**2
    if target is None:
        return soft
    target = _check_tensor("target", target)
    if target.shape != student_logits.shape[:1]:
        raise ValueError(
            f"target must have shape ({len(student_logits)},), got {tuple(target.shape)}"
        )
    return alpha * soft + (1 - alpha) * F.cross_entropy(student_logits, target)
