"""A scalar reverse-mode autograd engine in the style of micrograd (derived in Chapter 3).

Each operation computes its result and, right beside it, a closure `_backward` that applies
the chain rule for that one operation: it adds (local derivative) x (gradient of the output)
to the gradient of each input. `Value.backward()` visits the graph in reverse topological
order, so every node's gradient is complete before it is passed on.
"""

from __future__ import annotations

import math
from numbers import Real


def _number(x: object, name: str) -> float:
    # bool is a subclass of int, but True + True as a "weight" is almost always a bug.
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{name} must be a real number or a Value, got {type(x).__name__}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x}")
    return x


class Value:
    """A scalar that remembers how it was computed, so that `backward()` can differentiate it."""

    def __init__(self, data: float, _children: tuple[Value, ...] = (), _op: str = "") -> None:
        self.data = _number(data, "data")
        self.grad = 0.0  # d(output of the last backward())/d(self), accumulated
        self._backward = lambda: None  # chain rule for the op that produced self
        self._prev = _children
        self._op = _op

    @staticmethod
    def _lift(other: Value | float) -> Value:
        return other if isinstance(other, Value) else Value(_number(other, "operand"))

    def __add__(self, other: Value | float) -> Value:
        other = self._lift(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:  # d(a+b)/da = d(a+b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        other = self._lift(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:  # d(ab)/da = b, d(ab)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, k: float) -> Value:
        if isinstance(k, Value):
            raise TypeError("exponent must be a number, not a Value (only x**k is supported)")
        k = _number(k, "exponent")
        x = self.data
        if x == 0 and k < 0:
            raise ValueError(f"0 ** {k:g} is undefined (division by zero)")
        if x == 0 and 0 < k < 1:
            raise ValueError(f"x ** {k:g} has no finite derivative at x = 0")
        if x < 0 and not k.is_integer():
            raise ValueError(f"a negative base {x} needs an integer exponent, got {k}")
        out = Value(x**k, (self,), f"**{k:g}")

        def _backward() -> None:  # d(x^k)/dx = k x^(k-1)
            self.grad += (k * x ** (k - 1) if k != 0 else 0.0) * out.grad

        out._backward = _backward
        return out

    def exp(self) -> Value:
        if self.data > 709.0:  # math.exp overflows a float beyond about 709.78
            raise ValueError(f"exp overflows for values above 709, got {self.data}")
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward() -> None:  # d(e^x)/dx = e^x
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log needs a positive value, got {self.data}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward() -> None:  # d(log x)/dx = 1/x
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward() -> None:  # d(tanh x)/dx = 1 - tanh(x)^2
            self.grad += (1.0 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward() -> None:  # 1 for x > 0, else 0 (PyTorch's choice at x = 0 too)
            self.grad += (self.data > 0) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        x = self.data  # two forms, so that exp never overflows
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        out = Value(s, (self,), "sigmoid")

        def _backward() -> None:  # d(sigma)/dx = sigma (1 - sigma)
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    def backward(self) -> None:
        """Set self.grad = 1 and propagate gradients to every Value that self depends on."""
        order: list[Value] = []  # topological order: inputs before the ops that use them
        seen: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:  # iterative depth-first search: no recursion limit on deep graphs
            node, children_done = stack.pop()
            if children_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    # Everything else is built from the operations above.
    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Value | float) -> Value:
        return self + (-self._lift(other))

    def __truediv__(self, other: Value | float) -> Value:
        return self * self._lift(other) ** -1.0

    def __radd__(self, other: float) -> Value:
        return self + other

    def __rmul__(self, other: float) -> Value:
        return self * other

    def __rsub__(self, other: float) -> Value:
        return self._lift(other) - self

    def __rtruediv__(self, other: float) -> Value:
        return self._lift(other) / self

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"
