"""Tests of dlbook.gpt: tokenizer, split, model shapes and causality, training, checkpoint."""

import hashlib
import math

import pytest
import torch

import dlbook.gpt as gpt
from dlbook.data import load_text
from dlbook.gpt import (
    GPT,
    CharTokenizer,
    GPTConfig,
    TrainConfig,
    bits_per_char,
    get_char_lm,
    num_params,
    sample,
    split_text,
    token_log2probs,
    train_char_lm,
)

TEXT = "the quick brown fox jumps over the lazy dog. " * 40
TINY = {"n_ctx": 16, "n_layer": 1, "n_head": 2, "d_model": 16, "dropout": 0.0}
TINY_TRAIN = TrainConfig(steps=20, batch_size=4, lr=1e-2, min_lr=1e-3, warmup=2, eval_every=10)


def test_load_text_default_is_the_python_manual():
    text, info = load_text()
    assert info["name"] == "pydoc_data.topics"
    assert info["chars"] == len(text) > 100_000
    assert info["bytes"] == len(text.encode("utf-8"))
    assert info["sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_load_text_file(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("héllo", encoding="utf-8")
    text, info = load_text(p)
    assert text == "héllo" and info["chars"] == 5 and info["bytes"] == 6 and info["name"] == "a.txt"
    with pytest.raises(ValueError, match="path"):
        load_text(tmp_path / "missing.txt")
    with pytest.raises(TypeError, match="path"):
        load_text(3)


def test_tokenizer_round_trip_and_errors():
    tok = CharTokenizer(TEXT)
    assert tok.chars == sorted(set(TEXT)) and tok.vocab_size == len(set(TEXT))
    ids = tok.encode("lazy fox")
    assert ids.dtype == torch.long and tok.decode(ids) == "lazy fox"
    assert tok.decode(ids.tolist()) == "lazy fox"
    with pytest.raises(ValueError, match="vocabulary"):
        tok.encode("Z")
    with pytest.raises(ValueError, match="ids"):
        tok.decode([tok.vocab_size])
    with pytest.raises(ValueError, match="empty"):
        CharTokenizer("")
    with pytest.raises(TypeError, match="text"):
        CharTokenizer(b"abc")


def test_split_text_holds_out_the_end():
    train, val = split_text("abcdefghij")
    assert (train, val) == ("abcdefghi", "j")
    train, val = split_text(TEXT, 0.25)
    assert train + val == TEXT and len(val) == round(0.25 * len(TEXT))
    for bad in (0, 1, -0.1, 1.5):
        with pytest.raises(ValueError, match="val_fraction"):
            split_text(TEXT, bad)
    with pytest.raises(ValueError, match="short"):
        split_text("a")


def test_config_validation():
    with pytest.raises(ValueError, match="divisible"):
        GPTConfig(vocab_size=10, d_model=10, n_head=3)
    with pytest.raises(ValueError, match="n_layer"):
        GPTConfig(vocab_size=10, n_layer=0)
    with pytest.raises(ValueError, match="dropout"):
        GPTConfig(vocab_size=10, dropout=1.0)
    with pytest.raises(ValueError, match="warmup"):
        TrainConfig(steps=10, warmup=10)
    with pytest.raises(TypeError, match="cfg"):
        GPT({"vocab_size": 10})


def test_model_shapes_causality_and_parameter_count():
    torch.manual_seed(0)
    cfg = GPTConfig(vocab_size=11, **TINY)
    model = GPT(cfg).eval()
    x = torch.randint(0, 11, (3, 16))
    y = model(x)
    assert y.shape == (3, 16, 11)
    x2 = x.clone()
    x2[:, 10:] = (x2[:, 10:] + 1) % 11  # changing the future must not change the past
    torch.testing.assert_close(model(x2)[:, :10], y[:, :10])
    d, L, V, C = cfg.d_model, cfg.n_layer, cfg.vocab_size, cfg.n_ctx
    per_layer = 12 * d * d + 13 * d  # weights + biases + two LayerNorms
    assert num_params(model) == L * per_layer + V * d + C * d + 2 * d  # head tied to embedding
    with pytest.raises(ValueError, match="positions"):
        model(torch.zeros(1, 17, dtype=torch.long))
    with pytest.raises(ValueError, match="LongTensor"):
        model(torch.zeros(1, 4))


def test_token_log2probs_scores_every_token_once_with_context():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=11, **TINY)).eval()
    ids = torch.randint(0, 11, (50,))
    lp = token_log2probs(model, ids, batch_size=2)
    assert lp.shape == (49,) and torch.all(lp < 0)
    # windows of 17 tokens start at 0, 8, 16, 24, 32, 33; a target is scored in the first
    # window holding it: 40 in the window from 24 (16 tokens of context), 41 from 32 (9)
    for t, start in ((40, 24), (41, 32), (49, 33), (3, 0)):
        logits = model(ids[start:t][None])[0, -1]
        want = torch.log_softmax(logits, -1)[ids[t]] / math.log(2)
        torch.testing.assert_close(lp[t - 1], want)
    short = ids[:5]
    logits = model(short[None, :-1])[0]
    want = torch.log_softmax(logits, -1).gather(1, short[1:, None]).squeeze(1) / math.log(2)
    torch.testing.assert_close(token_log2probs(model, short), want)
    assert bits_per_char(model, ids) == pytest.approx(float(-lp.mean()))


def test_sample_is_reproducible_with_a_generator():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=11, **TINY))
    p = torch.tensor([1, 2, 3])
    a = sample(model, p, 30, 0.8, torch.Generator().manual_seed(1))
    b = sample(model, p, 30, 0.8, torch.Generator().manual_seed(1))
    assert a.shape == (33,) and torch.equal(a, b) and torch.equal(a[:3], p)
    assert model.training  # mode restored
    with pytest.raises(ValueError, match="temperature"):
        sample(model, p, 3, 0.0)


def test_training_lowers_loss_and_is_deterministic():
    tok = CharTokenizer(TEXT)
    cfg = GPTConfig(vocab_size=tok.vocab_size, **TINY)
    m1, _, r1 = train_char_lm(TEXT, cfg, TINY_TRAIN, quiet=True)
    m2, _, r2 = train_char_lm(TEXT, cfg, TINY_TRAIN, quiet=True)
    assert not m1.training
    assert r1["steps"] == [10, 20]
    assert r1["val_bpc"][-1] < math.log2(tok.vocab_size)
    assert r1["val_bpc"] == r2["val_bpc"]
    for a, b in zip(m1.state_dict().values(), m2.state_dict().values()):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="vocab_size"):
        train_char_lm(TEXT, GPTConfig(vocab_size=99, **TINY), TINY_TRAIN, quiet=True)


def test_get_char_lm_trains_saves_and_loads(tmp_path, monkeypatch):
    monkeypatch.setattr(gpt, "DEFAULT_SHAPE", TINY)
    monkeypatch.setattr(gpt, "DEFAULT_TRAIN", TINY_TRAIN)
    monkeypatch.setenv("DLBOOK_QUIET", "1")
    ckpt = tmp_path / "sub" / "lm.pt"
    with pytest.raises(FileNotFoundError):
        get_char_lm(ckpt, text=TEXT, train_if_missing=False)
    m1, tok1, info1 = get_char_lm(ckpt, text=TEXT)
    assert ckpt.is_file() and info1["loaded"] is False and not m1.training
    m2, tok2, info2 = get_char_lm(ckpt, text=TEXT)
    assert info2["loaded"] is True and tok2.chars == tok1.chars
    for k in ("params", "val_bpc", "train_seconds", "config"):
        assert info1[k] == info2[k]
    x = tok1.encode(TEXT[:16])[None]
    assert torch.equal(m1(x), m2(x))
    assert info1["val_bpc"] == pytest.approx(bits_per_char(m2, tok2.encode(split_text(TEXT)[1])))
    # another corpus invalidates the checkpoint: retrained, not loaded
    _, _, info3 = get_char_lm(ckpt, text=TEXT + "!")
    assert info3["loaded"] is False
    ckpt.write_bytes(b"not a checkpoint")
    _, _, info4 = get_char_lm(ckpt, text=TEXT)
    assert info4["loaded"] is False
    with pytest.raises(TypeError, match="checkpoint"):
        get_char_lm(3, text=TEXT)
