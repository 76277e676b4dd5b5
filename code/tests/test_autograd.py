"""Tests of dlbook.autograd: gradients against torch.autograd and finite differences, errors."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbook.autograd import Value


def expr_a(x, y):
    # every operation once: +, -, *, /, **, neg, exp, log, tanh, relu, sigmoid
    z = x * y + x**3 - y / (x**2 + 1.0)
    q = (z.exp() + 2.0).log() * (-y).tanh() + (x - 0.5 * y).relu()
    return (q.sigmoid() - 1.5 / (1.0 + y**2)) * 2.0 - 3.0


def expr_b(x, y):
    # the same input used many times, so gradients must accumulate
    h = (x * x * x + x * y + y).tanh()
    return h * h + (h + x).sigmoid() * x - (1.0 + (x - y) ** 2).log()


def expr_c(x, y):
    # right-hand operations: number op Value
    return 2.0 - x + 3.0 * y + 1.0 / (1.0 + x**2) + (4.0 / (2.0 + y.sigmoid())) ** 0.5


def grads_value(f, x0, y0):
    x, y = Value(x0), Value(y0)
    out = f(x, y)
    out.backward()
    return out.data, x.grad, y.grad


class T:
    """A tensor wrapper with Value's method names, so one expression serves both engines."""

    def __init__(self, t):
        self.t = t

    def _w(self, o):
        return o.t if isinstance(o, T) else o

    def __add__(self, o):
        return T(self.t + self._w(o))

    __radd__ = __add__

    def __mul__(self, o):
        return T(self.t * self._w(o))

    __rmul__ = __mul__

    def __sub__(self, o):
        return T(self.t - self._w(o))

    def __rsub__(self, o):
        return T(o - self.t)

    def __truediv__(self, o):
        return T(self.t / self._w(o))

    def __rtruediv__(self, o):
        return T(o / self.t)

    def __pow__(self, k):
        return T(self.t**k)

    def __neg__(self):
        return T(-self.t)

    def exp(self):
        return T(self.t.exp())

    def log(self):
        return T(self.t.log())

    def tanh(self):
        return T(self.t.tanh())

    def relu(self):
        return T(self.t.relu())

    def sigmoid(self):
        return T(self.t.sigmoid())


def grads_torch(f, x0, y0):
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(y0, dtype=torch.float64, requires_grad=True)
    out = f(T(x), T(y)).t
    out.backward()
    return out.item(), x.grad.item(), y.grad.item()


def grads_finite_difference(f, x0, y0, h=1e-6):
    def val(a, b):
        return f(Value(a), Value(b)).data

    return (
        val(x0, y0),
        (val(x0 + h, y0) - val(x0 - h, y0)) / (2 * h),
        (val(x0, y0 + h) - val(x0, y0 - h)) / (2 * h),
    )


POINTS = [(0.3, -1.2), (-0.7, 0.4), (1.1, 2.0), (2.0, -0.5)]


@pytest.mark.parametrize("f", [expr_a, expr_b, expr_c])
@pytest.mark.parametrize("x0, y0", POINTS)
def test_gradients_equal_torch_autograd(f, x0, y0):
    ours = grads_value(f, x0, y0)
    theirs = grads_torch(f, x0, y0)
    assert ours == pytest.approx(theirs, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("f", [expr_a, expr_b, expr_c])
@pytest.mark.parametrize("x0, y0", POINTS)
def test_gradients_equal_finite_differences(f, x0, y0):
    ours = grads_value(f, x0, y0)
    fd = grads_finite_difference(f, x0, y0)
    assert ours == pytest.approx(fd, rel=1e-6, abs=1e-7)


coord = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(x0=coord, y0=coord, f=st.sampled_from([expr_b, expr_c]))
def test_random_points_equal_torch(x0, y0, f):
    ours = grads_value(f, x0, y0)
    theirs = grads_torch(f, x0, y0)
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-9)


UNARY = ["exp", "log", "tanh", "relu", "sigmoid"]


@settings(max_examples=60, deadline=None)
@given(
    x0=st.floats(min_value=0.1, max_value=5.0),
    ops=st.lists(st.sampled_from(UNARY + ["sq", "half", "add", "mul"]), min_size=1, max_size=8),
)
def test_random_chains_equal_torch(x0, ops):
    # a random composition of operations; log and exp only see safe inputs
    def build(x):
        z = x
        for op in ops:
            if op == "log":
                z = (z * z + 1.0).log()
            elif op == "exp":
                z = (z.tanh()).exp()  # bounded input: no overflow
            elif op == "sq":
                z = z.tanh() ** 3  # bounded: repeated powers cannot overflow
            elif op == "half":
                z = (z * z + 0.5) ** 0.5
            elif op == "add":
                z = z + x
            elif op == "mul":
                z = z * x.sigmoid()
            else:
                z = getattr(z, op)()
        return z

    x = Value(x0)
    out = build(x)
    out.backward()
    t = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    ref = build(T(t)).t
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-10, abs=1e-12)
    assert x.grad == pytest.approx(t.grad.item(), rel=1e-9, abs=1e-12)


def test_shared_subexpression_accumulates():
    a = Value(3.0)
    b = a + a  # db/da = 2
    c = b * b  # dc/da = 2 b * 2 = 24
    c.backward()
    assert a.grad == 24.0


def test_deep_graph_needs_no_recursion():
    x = Value(0.5)
    z = x
    for _ in range(5000):
        z = z * 1.0 + 0.0
    z.backward()
    assert x.grad == 1.0


def test_relu_and_sigmoid_extremes():
    r = Value(-2.0).relu()
    assert r.data == 0.0
    s = Value(-800.0)
    out = s.sigmoid()
    out.backward()
    assert out.data == pytest.approx(0.0) and math.isfinite(s.grad)


@pytest.mark.parametrize("bad", ["1.0", None, [1.0, 2.0], torch.ones(2), True])
def test_non_numeric_operands_raise_type_error(bad):
    with pytest.raises(TypeError, match="data"):
        Value(bad)
    with pytest.raises(TypeError, match="operand"):
        Value(1.0) + bad
    with pytest.raises(TypeError, match="operand"):
        Value(1.0) * bad


def test_value_exponent_raises_type_error():
    with pytest.raises(TypeError, match="exponent"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(TypeError, match="exponent"):
        Value(2.0) ** "3"


@pytest.mark.parametrize("x0", [0.0, -1.0])
def test_log_of_non_positive_raises_value_error(x0):
    with pytest.raises(ValueError, match="log"):
        Value(x0).log()


def test_undefined_values_raise_value_error():
    with pytest.raises(ValueError, match="division by zero"):
        Value(1.0) / Value(0.0)
    with pytest.raises(ValueError, match="integer exponent"):
        Value(-2.0) ** 0.5
    with pytest.raises(ValueError, match="derivative"):
        Value(0.0) ** 0.5
    with pytest.raises(ValueError, match="finite"):
        Value(float("nan"))
    with pytest.raises(ValueError, match="exp"):
        Value(1000.0).exp()
