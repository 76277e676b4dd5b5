"""A small character-level GPT: tokenizer, model, training and checkpoint (Chapter 8).

Chapter 8 derives every piece (attention, positions, residual blocks) and trains the default
model; Chapter 10 reuses it through `get_char_lm` to drive an arithmetic coder.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dlbook.utils import Timer, progress

#: Bump when the training code changes in a way that changes the trained weights.
RECIPE_VERSION = "ch8-v2"


class CharTokenizer:
    """Characters <-> integer ids; the vocabulary is the sorted set of characters of `text`."""

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if not text:
            raise ValueError("text must not be empty")
        self.chars: list[str] = sorted(set(text))
        self.vocab_size: int = len(self.chars)
        self._index = {c: i for i, c in enumerate(self.chars)}

    def encode(self, text: str) -> Tensor:
        """Ids of the characters of `text` as a 1-D LongTensor."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        try:
            return torch.tensor([self._index[c] for c in text], dtype=torch.long)
        except KeyError as e:
            raise ValueError(f"text holds a character not in the vocabulary: {e.args[0]!r}") from e

    def decode(self, ids: Tensor | list[int]) -> str:
        """The text whose character ids are `ids`."""
        if isinstance(ids, Tensor):
            if ids.dim() != 1 or ids.dtype.is_floating_point:
                raise ValueError(f"ids must be a 1-D integer tensor, got {tuple(ids.shape)}")
            ids = ids.tolist()
        if not all(isinstance(i, int) and 0 <= i < self.vocab_size for i in ids):
            raise ValueError(f"ids must be ints in [0, {self.vocab_size})")
        return "".join(self.chars[i] for i in ids)


def split_text(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
    """Split `text` into (train, validation): the last `val_fraction` of characters is held out."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not isinstance(val_fraction, (int, float)) or not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction!r}")
    cut = len(text) - int(round(len(text) * val_fraction))
    if cut <= 0 or cut >= len(text):
        raise ValueError(f"text is too short ({len(text)} chars) to split")
    return text[:cut], text[cut:]


@dataclass(frozen=True)
class GPTConfig:
    """Shape of a decoder-only transformer (a GPT)."""

    vocab_size: int
    n_ctx: int = 128
    n_layer: int = 4
    n_head: int = 4
    d_model: int = 128
    dropout: float = 0.0

    def __post_init__(self) -> None:
        for name in ("vocab_size", "n_ctx", "n_layer", "n_head", "d_model"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if self.d_model % self.n_head:
            raise ValueError(
                f"d_model ({self.d_model}) must be divisible by n_head ({self.n_head})"
            )
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")


@dataclass(frozen=True)
class TrainConfig:
    """How the default character model is trained: AdamW, linear warm-up, cosine decay."""

    steps: int = 2000
    batch_size: int = 32
    lr: float = 3e-3
    min_lr: float = 3e-4
    warmup: int = 100
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    seed: int = 0
    eval_every: int = 250

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "eval_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if not 0 <= self.warmup < self.steps:
            raise ValueError(f"warmup must be in [0, steps), got {self.warmup!r}")


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where position t sees only positions 0..t."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.n_head = cfg.n_head
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.dropout = cfg.dropout

    def forward(self, x: Tensor) -> Tensor:
        B, T, D = x.shape
        q, k, v = self.qkv(x).split(D, dim=2)
        # (B, T, D) -> (B, heads, T, D / heads)
        q, k, v = (t.view(B, T, self.n_head, D // self.n_head).transpose(1, 2) for t in (q, k, v))
        p = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=p)
        return self.proj(y.transpose(1, 2).reshape(B, T, D))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.ln1 = nn.LayerNorm(d)
        self.attn = CausalSelfAttention(cfg)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop(self.attn(self.ln1(x)))
        return x + self.drop(self.mlp(self.ln2(x)))


class GPT(nn.Module):
    """Decoder-only transformer: logits at position t predict token t+1 from tokens 0..t."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        if not isinstance(cfg, GPTConfig):
            raise TypeError(f"cfg must be a GPTConfig, got {type(cfg).__name__}")
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos_emb = nn.Embedding(cfg.n_ctx, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        self.head.weight = self.tok_emb.weight  # weight tying (Press & Wolf 2017)
        self.apply(self._init)
        for name, p in self.named_parameters():  # GPT-2: scale residual projections
            if name.endswith("proj.weight") or name.endswith("mlp.2.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, idx: Tensor) -> Tensor:
        if not isinstance(idx, Tensor) or idx.dim() != 2 or idx.dtype != torch.long:
            raise ValueError("idx must be a LongTensor of shape (batch, time)")
        T = idx.shape[1]
        if not 1 <= T <= self.cfg.n_ctx:
            raise ValueError(f"idx has {T} positions; the model takes 1..{self.cfg.n_ctx}")
        pos = torch.arange(T, device=idx.device)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(pos))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


def num_params(model: nn.Module) -> int:
    """Number of distinct parameters (tied weights counted once)."""
    return sum(p.numel() for p in model.parameters())


def lr_at(step: int, tc: TrainConfig) -> float:
    """Learning rate at `step`: linear warm-up to `tc.lr`, then cosine decay to `tc.min_lr`."""
    if step < tc.warmup:
        return tc.lr * (step + 1) / tc.warmup
    t = (step - tc.warmup) / max(1, tc.steps - tc.warmup)
    return tc.min_lr + 0.5 * (tc.lr - tc.min_lr) * (1 + math.cos(math.pi * t))


def get_batch(
    ids: Tensor, n_ctx: int, batch_size: int, generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    """Random windows of `ids`: inputs (B, n_ctx) and the same windows shifted by one."""
    if len(ids) < n_ctx + 1:
        raise ValueError(f"ids has {len(ids)} tokens; need at least n_ctx + 1 = {n_ctx + 1}")
    starts = torch.randint(0, len(ids) - n_ctx, (batch_size,), generator=generator)
    offsets = torch.arange(n_ctx + 1)
    w = ids[starts[:, None] + offsets]
    return w[:, :-1], w[:, 1:]


@torch.no_grad()
def token_log2probs(model: GPT, ids: Tensor, batch_size: int = 32) -> Tensor:
    """log2 p(token t | previous tokens) for t = 1..len(ids)-1, in sliding windows.

    Windows of `n_ctx` inputs advance by `n_ctx // 2`; each target is scored in the first
    window that holds it, so every token after the first window sees at least `n_ctx // 2`
    tokens of context.
    """
    if ids.dim() != 1 or len(ids) < 2:
        raise ValueError("ids must be a 1-D tensor of at least 2 token ids")
    was_training = model.training
    model.eval()
    dev = next(model.parameters()).device
    n, c = len(ids), model.cfg.n_ctx
    L = min(c + 1, n)  # window length: c inputs and their c next tokens
    starts = list(range(0, n - L, max(1, c // 2))) + [n - L]
    out = torch.empty(n - 1)
    done = 0  # targets 1..done are scored
    for i in range(0, len(starts), batch_size):
        chunk = starts[i : i + batch_size]
        x = torch.stack([ids[s : s + L] for s in chunk]).to(dev)
        logp = F.log_softmax(model(x[:, :-1]).float(), dim=-1)
        lp = logp.gather(2, x[:, 1:, None]).squeeze(2).cpu() / math.log(2)
        for s, row in zip(chunk, lp):
            last = s + L - 1  # highest target index in this window
            if last > done:
                k = last - done  # new targets: done+1..last
                out[done : done + k] = row[-k:]
                done = last
    model.train(was_training)
    return out


def bits_per_char(model: GPT, ids: Tensor) -> float:
    """Average -log2 p per predicted character (the cross-entropy in bits)."""
    return float(-token_log2probs(model, ids).mean())


@torch.no_grad()
def sample(
    model: GPT,
    prompt: Tensor,
    n_new: int,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Extend the 1-D id tensor `prompt` by `n_new` ids drawn from softmax(logits / temperature)."""
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    if prompt.dim() != 1 or len(prompt) < 1:
        raise ValueError("prompt must be a non-empty 1-D tensor of ids")
    was_training = model.training
    model.eval()
    dev = next(model.parameters()).device
    ids = prompt.clone()
    for _ in range(n_new):
        logits = model(ids[-model.cfg.n_ctx :][None].to(dev))[0, -1].float().cpu()
        probs = F.softmax(logits / temperature, dim=-1)
        ids = torch.cat([ids, torch.multinomial(probs, 1, generator=generator)])
    model.train(was_training)
    return ids


def train_char_lm(
    text: str,
    cfg: GPTConfig | None = None,
    tc: TrainConfig | None = None,
    device: torch.device | str = "cpu",
    quiet: bool | None = None,
) -> tuple[GPT, CharTokenizer, dict]:
    """Train a character GPT on `split_text(text)[0]`; deterministic for a given machine.

    Returns the model (eval mode), its tokenizer and a record with the training curve
    (`steps`, `train_loss` in bits/char averaged over each evaluation interval, `val_bpc`),
    the final held-out `val_bpc`, `params` and `train_seconds`.
    """
    tok = CharTokenizer(text)
    cfg = cfg or default_config(tok.vocab_size)
    tc = tc or DEFAULT_TRAIN
    if cfg.vocab_size != tok.vocab_size:
        raise ValueError(f"cfg.vocab_size is {cfg.vocab_size}; the text has {tok.vocab_size}")
    train, val = split_text(text)
    train_ids, val_ids = tok.encode(train), tok.encode(val)
    torch.manual_seed(tc.seed)
    g = torch.Generator().manual_seed(tc.seed)
    model = GPT(cfg).to(device)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": tc.weight_decay},
            {"params": no_decay, "weight_decay": 0},
        ],
        lr=tc.lr,
        betas=(0.9, 0.99),
    )
    rec: dict = {"steps": [], "train_bpc": [], "val_bpc": []}
    running, count = 0.0, 0
    kwargs = {} if quiet is None else {"disable": quiet}
    with Timer() as t:
        model.train()
        for step in progress(range(tc.steps), desc="training", **kwargs):
            for group in opt.param_groups:
                group["lr"] = lr_at(step, tc)
            x, y = get_batch(train_ids, cfg.n_ctx, tc.batch_size, g)
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss = F.cross_entropy(logits.reshape(-1, cfg.vocab_size), y.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), tc.grad_clip)
            opt.step()
            running += loss.item()
            count += 1
            if (step + 1) % tc.eval_every == 0 or step + 1 == tc.steps:
                rec["steps"].append(step + 1)
                rec["train_bpc"].append(running / count / math.log(2))
                rec["val_bpc"].append(bits_per_char(model, val_ids))
                running, count = 0.0, 0
    model.eval()
    rec["params"] = num_params(model)
    rec["final_val_bpc"] = rec["val_bpc"][-1]
    rec["train_seconds"] = t.elapsed
    return model, tok, rec


#: Shape of the Chapter 8 default model (the vocabulary size comes from the text).
#: Picked by trial runs of about two minutes on two CPU cores (held-out bits/char): width 96,
#: 700 steps of 32 windows 1.97, 1,400 of 16 1.85; width 64, 1,400 of 32 1.80, 2,400 of 16
#: 1.77; width 48, 3,000 of 16 1.84. 2,000 steps (1.82) keep Chapter 8 within its time budget.
DEFAULT_SHAPE: dict = {"n_ctx": 128, "n_layer": 4, "n_head": 4, "d_model": 64, "dropout": 0.0}
#: How the Chapter 8 default model is trained.
DEFAULT_TRAIN = TrainConfig(
    steps=2000, batch_size=16, lr=4e-3, min_lr=4e-4, warmup=100, weight_decay=0.1, eval_every=250
)


def default_config(vocab_size: int) -> GPTConfig:
    """The Chapter 8 default model for a vocabulary of `vocab_size` characters."""
    return GPTConfig(vocab_size=vocab_size, **DEFAULT_SHAPE)


def _meta(cfg: GPTConfig, tc: TrainConfig, sha256: str) -> dict:
    return {"config": asdict(cfg), "train": asdict(tc), "recipe": RECIPE_VERSION, "sha256": sha256}


def save_char_lm(
    path: str | os.PathLike, model: GPT, tok: CharTokenizer, rec: dict, tc: TrainConfig, sha: str
) -> None:
    """Save weights, tokenizer, training record and what they depend on (for `get_char_lm`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {"state_dict": state, "chars": tok.chars, "record": rec}
    payload.update(_meta(model.cfg, tc, sha))
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)  # atomic: a reader never sees a half-written checkpoint


def get_char_lm(
    checkpoint: str | os.PathLike = "_artifacts/char_lm.pt",
    text: str | None = None,
    train_if_missing: bool = True,
) -> tuple[GPT, CharTokenizer, dict]:
    """The Chapter 8 character model: loaded from `checkpoint` if valid, else trained and saved.

    Valid means: same config, same training recipe and the same corpus SHA-256. Returns the
    model in eval mode on the CPU, its tokenizer and
    `info = {"params", "val_bpc", "train_seconds", "loaded", "config", "record"}`.
    """
    import hashlib

    from dlbook.data import load_text

    if not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(f"checkpoint must be a str or os.PathLike, got {type(checkpoint).__name__}")
    if text is None:
        text, _ = load_text()
    if not isinstance(text, str):
        raise TypeError(f"text must be a str or None, got {type(text).__name__}")
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    tok = CharTokenizer(text)
    cfg, tc = default_config(tok.vocab_size), DEFAULT_TRAIN
    want = _meta(cfg, tc, sha)
    path = Path(checkpoint)
    payload = None
    if path.is_file():
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
        except Exception:  # a truncated or foreign file: retrain
            payload = None
        if payload is not None and (
            any(payload.get(k) != v for k, v in want.items()) or payload.get("chars") != tok.chars
        ):
            payload = None
    if payload is not None:
        model = GPT(cfg)
        model.load_state_dict(payload["state_dict"])
        rec, loaded = payload["record"], True
    elif not train_if_missing:
        raise FileNotFoundError(f"no valid checkpoint at {str(path)!r} and train_if_missing=False")
    else:
        model, tok, rec = train_char_lm(text, cfg, tc, device="cpu")
        save_char_lm(path, model, tok, rec, tc, sha)
        loaded = False
    model.eval()
    info = {
        "params": num_params(model),
        "val_bpc": rec["final_val_bpc"],
        "train_seconds": rec["train_seconds"],
        "loaded": loaded,
        "config": cfg,
        "record": rec,
    }
    return model, tok, info
