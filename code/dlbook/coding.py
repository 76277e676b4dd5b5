"""Entropy coding (Chapter 10): information measures, Huffman lengths, an exact arithmetic coder.

The coder is the integer arithmetic coder of Witten, Neal & Cleary (1987) with 32-bit state.
At every step a model hands it a table of integer frequencies (each at least 1, total at most
`MAX_TOTAL`); a model that predicts well gives the next symbol a large share of the total, and
the symbol then costs about -log2(freq / total) bits.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np

PRECISION = 32  #: bits of the coder's state
MAX_TOTAL = 1 << 16  #: largest allowed sum of a frequency table
_FULL = (1 << PRECISION) - 1
_HALF = 1 << (PRECISION - 1)
_QUARTER = 1 << (PRECISION - 2)


def _as_probs(p: object, name: str, atol: float = 1e-4) -> np.ndarray:
    """Validate a probability vector (or a stack of them along the last axis) as float64."""
    arr = np.asarray(p)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be an array of numbers, got {type(p).__name__}")
    arr = arr.astype(np.float64)
    if arr.ndim == 0 or arr.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one entry along its last axis")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative")
    sums = arr.sum(axis=-1)
    if np.any(np.abs(sums - 1.0) > atol):
        worst = float(sums.flat[np.argmax(np.abs(sums - 1.0))])
        raise ValueError(f"{name} must sum to one along the last axis (got a sum of {worst:.6g})")
    return arr


def information(p: float) -> float:
    """Information content -log2 p in bits of an outcome of probability p (Chapter 10)."""
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)):
        raise TypeError(f"p must be a number, got {type(p).__name__}")
    if not (0.0 < float(p) <= 1.0):
        raise ValueError(f"p must be in (0, 1], got {p}")
    return -math.log2(float(p))


def entropy(p: object) -> float:
    """Shannon entropy H(p) = -sum p log2 p in bits of one probability vector (Chapter 10)."""
    arr = _as_probs(p, "p")
    if arr.ndim != 1:
        raise ValueError(f"p must be one-dimensional, got shape {arr.shape}")
    nz = arr[arr > 0]
    return float(-(nz * np.log2(nz)).sum())


def cross_entropy(p: object, q: object) -> float:
    """Cross-entropy H(p, q) = -sum p log2 q in bits: the cost of coding p's data with q."""
    pa, qa = _as_probs(p, "p"), _as_probs(q, "q")
    if pa.shape != qa.shape or pa.ndim != 1:
        raise ValueError(f"p and q must be 1-D of equal length, got {pa.shape} and {qa.shape}")
    support = pa > 0
    if np.any(qa[support] == 0):
        return math.inf
    return float(-(pa[support] * np.log2(qa[support])).sum())


def huffman_code_lengths(weights: Sequence[float]) -> list[int]:
    """Codeword lengths (bits) of a Huffman code (Huffman 1952) for positive `weights`."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.size == 0:
        raise ValueError("weights must be a non-empty 1-D sequence")
    if not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ValueError("weights must be finite and positive")
    if w.size == 1:
        return [1]  # a lone symbol still needs one bit per occurrence to be counted
    lengths = [0] * w.size
    # Heap of (weight, tie-break, member symbols); merging two nodes deepens all their members.
    heap = [(float(x), i, [i]) for i, x in enumerate(w)]
    heapq.heapify(heap)
    counter = w.size
    while len(heap) > 1:
        w1, _, m1 = heapq.heappop(heap)
        w2, _, m2 = heapq.heappop(heap)
        for s in m1 + m2:
            lengths[s] += 1
        heapq.heappush(heap, (w1 + w2, counter, m1 + m2))
        counter += 1
    return lengths


def quantize(probs: object, total: int = MAX_TOTAL) -> np.ndarray:
    """Integer frequencies (int64, each >= 1, summing to `total`) approximating `probs`.

    Works on one table or a stack of them (last axis = alphabet). Each symbol gets
    1 + floor(p * (total - V)); what flooring leaves over goes to the most probable symbol.
    """
    if isinstance(total, bool) or not isinstance(total, (int, np.integer)):
        raise TypeError(f"total must be an int, got {type(total).__name__}")
    arr = _as_probs(probs, "probs")
    n_symbols = arr.shape[-1]
    if not n_symbols <= int(total) <= MAX_TOTAL:
        raise ValueError(f"total must be in [{n_symbols}, {MAX_TOTAL}], got {total}")
    freqs = 1 + np.floor(arr * (int(total) - n_symbols)).astype(np.int64)
    left = int(total) - freqs.sum(axis=-1, keepdims=True)  # in [0, V]: the floors' leftovers
    top = arr.argmax(axis=-1)[..., None]
    np.put_along_axis(freqs, top, np.take_along_axis(freqs, top, axis=-1) + left, axis=-1)
    return freqs


def _quantize1(p: np.ndarray, total: int) -> np.ndarray:
    """`quantize` for one trusted table (no checks): the fast path of the adaptive models."""
    freqs = (p * (total - p.size)).astype(np.int64) + 1  # p >= 0, so truncation is floor
    freqs[p.argmax()] += total - freqs.sum()
    return freqs


def _check_freqs(freqs: object) -> tuple[np.ndarray, int]:
    """Validate an integer frequency table; return it as an array with its total."""
    table = np.asarray(freqs)
    if table.ndim != 1 or (table.dtype.kind not in "iu" and table.size):
        raise TypeError("freqs must be a 1-D sequence of integers")
    if table.size == 0 or table.min() < 1:
        raise ValueError("freqs must be non-empty with every frequency >= 1")
    total = int(table.sum())
    if total > MAX_TOTAL:
        raise ValueError(f"freqs must sum to at most {MAX_TOTAL}, got {total}")
    return table, total


def _check_symbol(symbol: object, n_symbols: int) -> int:
    if isinstance(symbol, bool) or not isinstance(symbol, (int, np.integer)):
        raise TypeError(f"symbol must be an int, got {type(symbol).__name__}")
    if not 0 <= int(symbol) < n_symbols:
        raise ValueError(f"symbol {symbol} is outside the alphabet 0..{n_symbols - 1}")
    return int(symbol)


class ArithmeticEncoder:
    """Exact integer arithmetic encoder (Witten, Neal & Cleary 1987), derived in Chapter 10."""

    def __init__(self) -> None:
        self.low, self.high, self.pending = 0, _FULL, 0
        self.bits: list[int] = []

    def _emit(self, bit: int) -> None:
        self.bits.append(bit)
        self.bits.extend([1 - bit] * self.pending)  # settle the straddling (E3) shifts
        self.pending = 0

    def encode_range(self, cum_low: int, cum_high: int, total: int) -> None:
        """Narrow the interval to the sub-interval [cum_low, cum_high) out of `total`."""
        span = self.high - self.low + 1
        self.high = self.low + span * cum_high // total - 1
        self.low = self.low + span * cum_low // total
        while True:
            if self.high < _HALF:
                self._emit(0)
            elif self.low >= _HALF:
                self._emit(1)
                self.low -= _HALF
                self.high -= _HALF
            elif self.low >= _QUARTER and self.high < _HALF + _QUARTER:
                self.pending += 1
                self.low -= _QUARTER
                self.high -= _QUARTER
            else:
                return
            self.low, self.high = 2 * self.low, 2 * self.high + 1

    def encode(self, symbol: int, freqs: Sequence[int]) -> None:
        """Encode `symbol` with the integer frequency table `freqs` (each >= 1)."""
        table, total = _check_freqs(freqs)
        s = _check_symbol(symbol, table.size)
        cum_low = int(table[:s].sum())
        self.encode_range(cum_low, cum_low + int(table[s]), total)

    def finish(self) -> bytes:
        """Flush two final bits (plus pending ones) and return the payload, zero-padded."""
        self.pending += 1
        self._emit(0 if self.low < _QUARTER else 1)
        return np.packbits(np.array(self.bits, dtype=np.uint8)).tobytes()


class ArithmeticDecoder:
    """Decoder matching `ArithmeticEncoder`: same interval arithmetic, reading the bits back."""

    def __init__(self, payload: bytes) -> None:
        if not isinstance(payload, (bytes, bytearray)):
            raise TypeError(f"payload must be bytes, got {type(payload).__name__}")
        self._bits = np.unpackbits(np.frombuffer(bytes(payload), dtype=np.uint8)).tolist()
        self._pos = 0
        self.low, self.high, self.value = 0, _FULL, 0
        for _ in range(PRECISION):
            self.value = 2 * self.value + self._next_bit()

    def _next_bit(self) -> int:
        pos = self._pos
        self._pos += 1
        if pos < len(self._bits):
            return self._bits[pos]
        if pos >= len(self._bits) + PRECISION:  # a valid stream never reads this far
            raise ValueError("bitstream is truncated or corrupt: read past its end")
        return 0

    def target(self, total: int) -> int:
        """The cumulative frequency in [0, total) that the next symbol's interval contains."""
        span = self.high - self.low + 1
        return ((self.value - self.low + 1) * total - 1) // span

    def consume(self, cum_low: int, cum_high: int, total: int) -> None:
        """Apply the interval [cum_low, cum_high) of the decoded symbol, as the encoder did."""
        span = self.high - self.low + 1
        self.high = self.low + span * cum_high // total - 1
        self.low = self.low + span * cum_low // total
        while True:
            if self.high < _HALF:
                pass
            elif self.low >= _HALF:
                self.low -= _HALF
                self.high -= _HALF
                self.value -= _HALF
            elif self.low >= _QUARTER and self.high < _HALF + _QUARTER:
                self.low -= _QUARTER
                self.high -= _QUARTER
                self.value -= _QUARTER
            else:
                return
            self.low, self.high = 2 * self.low, 2 * self.high + 1
            self.value = 2 * self.value + self._next_bit()

    def decode(self, freqs: Sequence[int]) -> int:
        """Decode one symbol with the same frequency table the encoder used."""
        table, total = _check_freqs(freqs)
        cum = np.concatenate(([0], np.cumsum(table)))
        s = int(np.searchsorted(cum, self.target(total), side="right")) - 1
        self.consume(int(cum[s]), int(cum[s + 1]), total)
        return s


class AdaptiveModel(Protocol):
    """What `encode`/`decode` need from a model: a table for the next symbol, then an update."""

    def reset(self) -> None: ...

    def freqs(self) -> np.ndarray: ...

    def update(self, symbol: int) -> None: ...


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    n, shift = 0, 0
    while True:
        if pos >= len(data):
            raise ValueError("bitstream is truncated: its header is incomplete")
        byte = data[pos]
        n |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if not byte & 0x80:
            return n, pos


def encode(symbols: Sequence[int], model: AdaptiveModel) -> bytes:
    """Code `symbols` with `model`; the result starts with the symbol count and payload length."""
    if isinstance(symbols, (str, bytes)) or not isinstance(symbols, (Sequence, np.ndarray)):
        raise TypeError(f"symbols must be a sequence of ints, got {type(symbols).__name__}")
    model.reset()
    enc = ArithmeticEncoder()
    for symbol in symbols:
        enc.encode(symbol, model.freqs())
        model.update(int(symbol))
    payload = enc.finish()
    return _varint(len(symbols)) + _varint(len(payload)) + payload


def decode(data: bytes, model: AdaptiveModel) -> list[int]:
    """Invert `encode`: read the header, then decode with the same (reset) model."""
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    n, pos = _read_varint(bytes(data), 0)
    size, pos = _read_varint(bytes(data), pos)
    if len(data) - pos != size:
        raise ValueError(
            f"bitstream is truncated: header says {size} payload bytes, found {len(data) - pos}"
        )
    model.reset()
    dec = ArithmeticDecoder(bytes(data[pos:]))
    out = []
    for _ in range(n):
        symbol = dec.decode(model.freqs())
        model.update(symbol)
        out.append(symbol)
    return out


class StaticModel:
    """The same frequency table at every step (an i.i.d. model)."""

    def __init__(self, freqs: Sequence[int]) -> None:
        self.table = _check_freqs(np.asarray(freqs))[0]

    def reset(self) -> None:
        pass

    def freqs(self) -> np.ndarray:
        return self.table

    def update(self, symbol: int) -> None:
        pass


class OrderKModel:
    """Adaptive order-k context model (Chapter 10): counts blended PPM-style over orders k..0.

    p_j(c) = (n_j(c) + u_j p_{j-1}(c)) / (n_j + u_j) in the length-j context, with u_j the number
    of distinct symbols seen there (Witten-Bell / PPM method C escape); p_{-1} is uniform.
    Order 0 with k=0 is plain adaptive counting. Tables are quantized with `quantize`.
    """

    def __init__(self, n_symbols: int, k: int, total: int = MAX_TOTAL) -> None:
        for name, value in (("n_symbols", n_symbols), ("k", k), ("total", total)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if not 1 <= n_symbols <= total:
            raise ValueError(f"n_symbols must be in [1, total], got {n_symbols}")
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        self.n_symbols, self.k, self.total = int(n_symbols), int(k), int(total)
        self.reset()

    def reset(self) -> None:
        self.history: list[int] = []
        # one dict per order j: context (last j symbols) -> [counts, total count, distinct]
        self.counts: list[dict[tuple[int, ...], list]] = [{} for _ in range(self.k + 1)]
        self._uniform = np.full(self.n_symbols, 1.0 / self.n_symbols)

    def _contexts(self) -> list[tuple[int, ...]]:
        h = self.history
        return [tuple(h[len(h) - j :]) for j in range(min(self.k, len(h)) + 1)]

    def probs(self) -> np.ndarray:
        """Blended probabilities of the next symbol given the history so far."""
        p = self._uniform
        for j, ctx in enumerate(self._contexts()):
            entry = self.counts[j].get(ctx)
            if entry is None:
                break  # an unseen context: every longer one is unseen too
            c, n, u = entry
            p = (c + u * p) / (n + u)
        return p

    def freqs(self) -> np.ndarray:
        return _quantize1(self.probs(), self.total)

    def update(self, symbol: int) -> None:
        s = _check_symbol(symbol, self.n_symbols)
        for j, ctx in enumerate(self._contexts()):
            entry = self.counts[j].get(ctx)
            if entry is None:
                entry = self.counts[j][ctx] = [np.zeros(self.n_symbols), 0, 0]
            entry[2] += entry[0][s] == 0  # a symbol new to this context
            entry[0][s] += 1
            entry[1] += 1
        self.history.append(s)
