"""Transformer backend end to end on a tiny random BERT written in the test:
fine-tune a few steps -> ONNX (dynamic axes) + int8 -> torch-free runtime, plus
tokenizer parity with transformers' BertTokenizer and masked multi-task losses."""
from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="transformer backend tests need torch (pip install 'feedback-nlp[transformer]')")
transformers = pytest.importorskip("transformers", reason="transformer backend tests need transformers "
                                                          "(pip install 'feedback-nlp[transformer]')")

from feedback_nlp.labelled_data import LabelledData  # noqa: E402
from feedback_nlp.modeling import ModelFormatError  # noqa: E402
from feedback_nlp.text import normalize  # noqa: E402
from feedback_nlp.transformer import TransformerModel, WordPieceTokenizer, is_transformer_dir  # noqa: E402
from feedback_nlp.transformer.training import (Record, add_soft_targets, build_char_vocab,  # noqa: E402
                                               default_heads, fine_tune, merge_task_sets, select_tasks,
                                               tune_and_evaluate)

REPO = Path(__file__).resolve().parents[1]

# (text, spam, issue_types, sentiment, severity); None = not labelled for that task
ROWS = [
    ("快递十天都没到，客服也不回消息，什么垃圾平台", "not_spam", ["logistics", "customer_service"], "negative", "high"),
    ("质量很好，物流也快，下次还来买", "not_spam", [], "positive", "low"),
    ("衣服颜色和图片不一样，申请退货一直没人处理", "not_spam", ["description_mismatch", "after_sales"], "negative", "medium"),
    ("加微信领优惠券 vx123456，代购正品低价 www.abc.com", "ad", [], "neutral", "low"),
    ("付款扣了两次钱，订单还显示未支付！", "not_spam", ["payment"], "negative", "high"),
    ("账号被盗了，有人用我的账号下单", "not_spam", ["account_security"], "negative", "critical"),
    ("App一直闪退，根本没法用 iPhone 15", "not_spam", ["app_experience"], "negative", "medium"),
    ("东西还行吧，一般般", "not_spam", [], "neutral", "low"),
    ("好评好评好评好评好评好评", "flood", [], "positive", "low"),
    ("你们都是傻子", "abuse", [], "negative", "low"),
    ("asdkjh qwe zzz", "gibberish", [], "neutral", "low"),
    ("今天天气不错，出去玩了", "irrelevant", [], "neutral", "low"),
]
SENT_ONLY = [("味道很好，送餐也快", "positive"), ("太难吃了，再也不点了", "negative"), ("酒店房间干净，服务热情", "positive")]
SPAM_ONLY = [("滚吧你这个废物", "abuse"), ("明天去公园散步", "irrelevant")]

PARITY_TEXTS = [
    "快递十天都没到，客服也不回消息",
    "质量很好!!! 物流也快~~ 下次还来买 :)",
    "Café naïve résumé ÀÉÎÕÜ façade",
    "iPhone15 Pro Max 256GB，价格¥8999.00（含税）",
    "ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ １２３",
    "emoji 😀👍🏻 表情 ❤️",
    "tab\tnew\nline\r\ncarriage  spaces\u00a0nbsp\u3000ideographic",
    "zero\u200bwidth\u200djoiner\ufeffbom",
    "control\x00chars\x07here\x1f\ufffdreplacement",
    "Some [SEP] inside and [CLS] and [MASK] and [UNK] and [sep]",
    "http://t.cn/abc123?x=1&y=2 加v: abc_def-123",
    "日本語のテキスト かな カナ 한국어 텍스트",
    "𠀀𠀁 rare CJK ext-B 㐀㐁 compat 豈更",
    "a" * 150 + " long word",
    "ΑΣ Σίσυφος ΟΔΥΣΣΕΥΣ straße İstanbul",
    "数字123abc456 混合mixed文本text",
    "",
    "   ",
    "…——《书名》「引号」『双引号』【括号】〈尖〉、；：",
]


def _vocab_for(texts) -> list[str]:
    return build_char_vocab([normalize(t) for t in texts], min_freq=1)


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory) -> Path:
    """A tiny random BertModel + BertTokenizer saved like any hub model."""
    from transformers import BertConfig, BertModel, BertTokenizer

    d = tmp_path_factory.mktemp("tiny_base")
    texts = [r[0] for r in ROWS] + [t for t, _ in SENT_ONLY + SPAM_ONLY]
    vocab = _vocab_for(texts)
    (d / "vocab.txt").write_text("".join(t + "\n" for t in vocab), encoding="utf-8")
    tok = BertTokenizer.from_pretrained(str(d), do_lower_case=True)
    assert len(tok) == len(vocab)
    tok.save_pretrained(d)
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=64)
    BertModel(cfg).save_pretrained(d)
    return d


def _records() -> list[Record]:
    sets = {
        "spam": LabelledData([r[0] for r in ROWS] + [t for t, _ in SPAM_ONLY], [r[1] for r in ROWS] + [y for _, y in SPAM_ONLY]),
        "issue_types": LabelledData([r[0] for r in ROWS], [r[2] for r in ROWS], multilabel=True),
        "sentiment": LabelledData([r[0] for r in ROWS] + [t for t, _ in SENT_ONLY], [r[3] for r in ROWS] + [y for _, y in SENT_ONLY]),
        "severity": LabelledData([r[0] for r in ROWS], [r[4] for r in ROWS]),
    }
    return merge_task_sets(sets), sets


@pytest.fixture(scope="module")
def trained(tiny_base, tmp_path_factory):
    """Fine-tune a few steps, save the model directory (ONNX + int8), tune thresholds on 'dev'."""
    pytest.importorskip("onnxscript", reason="the ONNX export (torch.onnx.export, dynamo) needs onnxscript")
    from feedback_nlp.transformer.torch_model import save_model_dir
    from feedback_nlp.transformer.training import load_base_tokenizer

    tok = load_base_tokenizer(tiny_base, max_len=48)
    records, sets = _records()
    model, stats = fine_tune(tiny_base, records, default_heads(), tok, max_steps=6, batch_size=4, lr=1e-3,
                             device="cpu", log=lambda *a: None)
    out = tmp_path_factory.mktemp("tiny_model")
    save_model_dir(model, tok, out, {"name": "tiny", "training": stats})
    tune_and_evaluate(out, sets, sets)
    return model, tok, out


def test_records_are_merged_with_the_labels_they_have():
    records, _ = _records()
    by_text = {r.text: r for r in records}
    assert set(by_text[normalize(ROWS[0][0])].labels) == {"spam", "issue_types", "sentiment", "severity"}
    assert set(by_text[normalize(SENT_ONLY[0][0])].labels) == {"sentiment"}
    assert set(by_text[normalize(SPAM_ONLY[0][0])].labels) == {"spam"}


def test_select_tasks_keeps_the_chosen_labels_and_the_annotation_repeat():
    records, _ = _records()
    picked, weights = select_tasks(records, ["sentiment"], annotated_repeat=3)
    by_text = {r.text: (r, w) for r, w in zip(picked, weights)}
    assert len(picked) == len(ROWS) + len(SENT_ONLY)  # spam-only records have no sentiment label: dropped
    assert all(set(r.labels) == {"sentiment"} for r in picked)
    assert by_text[normalize(ROWS[0][0])][1] == 3  # annotated (issue types) before the selection
    assert by_text[normalize(SENT_ONLY[0][0])][1] == 1
    assert set(records[0].labels) == {"spam", "issue_types", "sentiment", "severity"}  # input left as it was
    picked, weights = select_tasks(records, ["issue_types", "spam"])
    assert len(picked) == len(ROWS) + len(SPAM_ONLY) and set(weights) == {1}


def test_masked_loss_trains_only_labelled_heads(tiny_base):
    from transformers import AutoModel

    from feedback_nlp.transformer.torch_model import MultiTaskModel, multitask_loss
    from feedback_nlp.transformer.training import _pad, _targets

    heads = default_heads()
    model = MultiTaskModel(AutoModel.from_pretrained(str(tiny_base)), heads)
    vocab = (tiny_base / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
    tok = WordPieceTokenizer(vocab)
    batch = [Record(normalize(t), {"sentiment": y}) for t, y in SENT_ONLY]
    ids, mask = _pad([tok.encode(r.text) for r in batch], tok.pad_id)
    logits, _ = model(ids, mask)
    loss, parts = multitask_loss(logits, _targets(batch, model.specs, "cpu"), model.specs)
    assert set(parts) == {"sentiment"}
    loss.backward()
    assert model.heads["sentiment"].weight.grad.abs().sum() > 0
    for t in ("spam", "issue_types", "severity"):
        g = model.heads[t].weight.grad
        assert g is None or float(g.abs().sum()) == 0.0


def test_soft_targets_are_the_teachers_probabilities():
    """A record may carry a teacher's probability per label (distillation): the loss is binary
    cross-entropy against those values (multi-label) or cross-entropy against the distribution."""
    from feedback_nlp.transformer.torch_model import multitask_loss
    from feedback_nlp.transformer.training import _targets

    heads = default_heads()
    labels = heads["issue_types"].labels
    soft = {lab: 0.09 * (j + 1) for j, lab in enumerate(labels)}
    batch = [Record("a", {"issue_types": soft}), Record("b", {"issue_types": ["payment"]}), Record("c", {})]
    y = _targets(batch, heads, "cpu")
    np.testing.assert_allclose(y["issue_types"][0].numpy(), [soft[lab] for lab in labels], rtol=1e-6)
    assert y["issue_types"][1].tolist() == [float(lab == "payment") for lab in labels]
    assert y["issue_types:mask"].tolist() == [True, True, False]
    z = {t: torch.zeros((3, len(h.labels))) for t, h in heads.items()}
    _, parts = multitask_loss(z, y, heads)
    assert parts["issue_types"] == pytest.approx(float(np.log(2)), rel=1e-6)  # BCE at logit 0 is log 2 for any target
    z["issue_types"][0] = torch.tensor([float(np.log(soft[lab] / (1 - soft[lab]))) for lab in labels])
    _, better = multitask_loss(z, y, heads)
    assert better["issue_types"] < parts["issue_types"]  # the teacher's own logits fit its soft row best
    # multi-class: one soft record turns the batch's targets into class probabilities (gold one-hot)
    batch = [Record("d", {"sentiment": {"positive": 0.7, "negative": 0.3}}), Record("e", {"sentiment": "neutral"}),
             Record("f", {})]
    y = _targets(batch, heads, "cpu")
    labs = heads["sentiment"].labels
    want_rows = [[{"positive": 0.7, "negative": 0.3}.get(lab, 0.0) for lab in labs],
                 [float(lab == "neutral") for lab in labs]]
    np.testing.assert_allclose(y["sentiment"][:2].numpy(), want_rows, rtol=1e-6)
    assert y["sentiment:mask"].tolist() == [True, True, False]
    z = {t: torch.randn((3, len(h.labels)), generator=torch.Generator().manual_seed(0)) for t, h in heads.items()}
    _, parts = multitask_loss(z, y, heads)
    want = -(y["sentiment"][:2] * torch.log_softmax(z["sentiment"][:2], -1)).sum(-1).mean()
    assert parts["sentiment"] == pytest.approx(float(want), rel=1e-5)
    assert _targets([Record("g", {"sentiment": "neutral"})], heads, "cpu")["sentiment"].dtype == torch.long
    from feedback_nlp.transformer.training import class_weights_for

    w = class_weights_for(batch + [Record("h", {"sentiment": "neutral"})], heads, ["sentiment"], power=1.0)
    assert w["sentiment"].tolist() == [0.0, pytest.approx(1 / 3), 0.0]  # gold labels only: two neutral of three classes


def test_add_soft_targets_keeps_gold_labels_and_adds_new_texts():
    records, _ = _records()
    heads = default_heads()
    k = len(heads["issue_types"].labels)
    texts = [ROWS[0][0], SENT_ONLY[0][0], "一段新的评论，没有任何标签", "  "]
    probs = {"issue_types": np.tile(np.linspace(0.05, 0.95, k), (len(texts), 1)),
             "sentiment": np.full((len(texts), 3), 1 / 3), "topic": np.ones((len(texts), 2))}
    out = add_soft_targets(records, texts, probs, heads)
    by_text = {r.text: r for r in out}
    assert by_text[normalize(ROWS[0][0])].labels["issue_types"] == ROWS[0][2]  # gold wins
    got = by_text[normalize(SENT_ONLY[0][0])].labels
    assert got["sentiment"] == SENT_ONLY[0][1] and isinstance(got["issue_types"], dict)
    assert got["issue_types"][heads["issue_types"].labels[-1]] == pytest.approx(0.95)
    new = by_text[normalize(texts[2])]
    assert set(new.labels) == {"issue_types", "sentiment"}  # a task without specs here gets nothing
    assert new.labels["sentiment"] == pytest.approx({lab: 1 / 3 for lab in heads["sentiment"].labels})
    assert isinstance(by_text[normalize(ROWS[0][0])].labels["sentiment"], str)  # gold sentiment kept
    assert len(out) == len(records) + 1  # the whitespace-only text adds nothing
    picked, weights = select_tasks(out, ["issue_types"], annotated_repeat=3)
    w = {r.text: x for r, x in zip(picked, weights)}
    assert w[normalize(ROWS[0][0])] == 3 and w[normalize(texts[2])] == 1  # soft targets are not annotations


def test_add_soft_targets_blends_gold_labels_outside_the_kept_texts():
    """``gold_weight`` below 1 (sentiment distillation): a corpus review's gold label becomes that much
    of its target and the teacher's probabilities the rest; a kept text (an annotation) stays gold."""
    records, _ = _records()
    heads = default_heads()
    texts = [ROWS[0][0], SENT_ONLY[0][0]]
    teacher = np.array([[0.2, 0.6, 0.2], [0.1, 0.1, 0.8]])
    labels = heads["sentiment"].labels
    out = add_soft_targets(records, texts, {"sentiment": teacher}, heads, gold_weight=0.25,
                           keep={normalize(ROWS[0][0])})
    by_text = {r.text: r for r in out}
    assert by_text[normalize(ROWS[0][0])].labels["sentiment"] == ROWS[0][3]  # kept: gold as it was
    gold = SENT_ONLY[0][1]
    want = {lab: 0.25 * (lab == gold) + 0.75 * v for lab, v in zip(labels, teacher[1])}
    assert by_text[normalize(SENT_ONLY[0][0])].labels["sentiment"] == pytest.approx(want)
    assert sum(want.values()) == pytest.approx(1.0)
    again = add_soft_targets(_records()[0], texts, {"sentiment": teacher}, heads)  # default: gold wins
    assert {r.text: r for r in again}[normalize(SENT_ONLY[0][0])].labels["sentiment"] == gold
    with pytest.raises(ValueError, match="gold_weight"):
        add_soft_targets(records, texts, {"sentiment": teacher}, heads, gold_weight=1.5)


def test_model_directory_layout(trained):
    _, _, out = trained
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert card["format"] == "feedback-nlp/transformer" and is_transformer_dir(out)
    assert set(card["tasks"]) == {"spam", "issue_types", "sentiment", "severity"}
    assert card["tasks"]["spam"]["labels"][0] == "not_spam"
    assert "spam" in card["tasks"]["spam"]["thresholds"] and "critical" in card["tasks"]["severity"]["thresholds"]
    assert "dev" in card["tasks"]["sentiment"]["metrics"] and "test" in card["tasks"]["sentiment"]["metrics"]
    for f in ("vocab.txt", "model.onnx", "model.int8.onnx", "heads.safetensors", "encoder/model.safetensors",
              "encoder/config.json"):
        assert (out / f).is_file(), f
    suffixes = {p.suffix for p in out.rglob("*") if p.is_file()}
    assert not suffixes & {".bin", ".pt", ".pth", ".pkl", ".pickle", ".joblib", ".py"}


def test_onnx_has_dynamic_batch_and_sequence_axes(trained):
    import onnx

    _, _, out = trained
    g = onnx.load(str(out / "model.onnx")).graph
    for inp in g.input:
        dims = inp.type.tensor_type.shape.dim
        assert len(dims) == 2 and all(d.dim_param and not d.dim_value for d in dims), inp
    assert [o.name for o in g.output] == ["spam", "issue_types", "sentiment", "severity", "logits", "embeddings"]


def test_onnx_agrees_with_torch(trained):
    from feedback_nlp.transformer.torch_model import torch_predict

    model, tok, out = trained
    texts = [normalize(t) for t in [r[0] for r in ROWS] + PARITY_TEXTS if normalize(t)]
    tp, te = torch_predict(model, tok, texts, batch_size=5)
    for batch_size in (1, 7, 64):  # different batch shapes and paddings
        tm = TransformerModel.from_pretrained(out, batch_size=batch_size)
        op, oe = tm.predict(texts)
        for t in tp:
            np.testing.assert_allclose(op[t], tp[t], atol=1e-4)
        np.testing.assert_allclose(oe, te, atol=1e-4)
    for t, p in op.items():
        if tm.heads[t].kind == "multiclass":
            np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-5)


def test_int8_variant_is_close(trained):
    _, _, out = trained
    texts = [normalize(r[0]) for r in ROWS]
    fp = TransformerModel.from_pretrained(out)
    q = TransformerModel.from_pretrained(out, quantized=True)
    pf, ef = fp.predict(texts)
    pq, eq = q.predict(texts)
    assert (out / "model.int8.onnx").stat().st_size < (out / "model.onnx").stat().st_size
    for t in pf:
        assert np.abs(pf[t] - pq[t]).max() < 0.1, t
    cos = (ef * eq).sum(1) / np.linalg.norm(ef, axis=1) / np.linalg.norm(eq, axis=1)
    assert cos.min() > 0.95


def _int8_weights(path) -> tuple[set, set]:
    """(weights read by MatMulInteger through ``<w>_quantized``, float32 matrices) of an int8 graph."""
    import onnx

    g = onnx.load(str(path)).graph
    quantized = {i[:-len("_quantized")] for n in g.node if n.op_type == "MatMulInteger" for i in n.input[1:2]}
    floats = {i.name for i in g.initializer if i.data_type == onnx.TensorProto.FLOAT and len(i.dims) == 2}
    return quantized, floats


def test_int8_quantizes_only_the_feed_forward_weights(trained):
    """Issue 5: the default int8 graph keeps the heads, the attention projections and the embedding
    tables float32 (label agreement with torch), and quantises the feed-forward weights."""
    import onnx
    from safetensors.numpy import load_file

    from feedback_nlp.transformer.torch_model import linear_nodes

    _, _, out = trained
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    q = card["onnx"]["int8_quantization"]
    assert q["preset"] == "ffn"
    modules = {mod for _, _, mod in linear_nodes(out / "model.onnx")}
    assert {f"heads.{t}" for t in ("spam", "issue_types", "sentiment", "severity")} <= modules
    ffn = sorted(m for m in modules if m.endswith(("intermediate.dense", ".output.dense")) and "attention" not in m)
    assert len(ffn) == 4 and sorted(q["quantized_modules"]) == ffn  # 2 layers x (intermediate, output)
    # the fp32 graph's weight names of the chosen modules = the int8 graph's quantised weights
    g = onnx.load(str(out / "model.onnx")).graph
    by_name = {n.name: n for n in g.node}
    inits = {i.name for i in g.initializer}
    ffn_weights = {i for name, _, mod in linear_nodes(out / "model.onnx") if mod in ffn
                   for i in by_name[name].input[1:2] if i in inits}
    quantized, floats = _int8_weights(out / "model.int8.onnx")
    assert quantized == ffn_weights
    assert not any("heads" in w for w in quantized)
    for t in ("spam", "issue_types", "sentiment", "severity"):  # quantize_dynamic stores Gemm weights transposed
        assert any(f.startswith(f"model.heads.{t}.weight") for f in floats), t
    assert "model.encoder.embeddings.word_embeddings.weight" in floats
    # functionally: the int8 graph's logits are the float32 heads applied to its own embeddings
    tm = TransformerModel.from_pretrained(out, quantized=True)
    ids, mask = tm.tokenizer.batch([normalize(r[0]) for r in ROWS])
    logits, emb = tm.session.run(["logits", "embeddings"], {"input_ids": ids, "attention_mask": mask})
    heads = load_file(str(out / "heads.safetensors"))
    expect = np.concatenate([emb @ heads[f"{t}.weight"].T + heads[f"{t}.bias"] for t in tm.tasks], axis=1)
    np.testing.assert_allclose(logits, expect, atol=1e-5)


def test_int8_presets_and_patterns(trained, tmp_path):
    from feedback_nlp.transformer.torch_model import quantize_int8

    _, _, out = trained
    src = out / "model.onnx"
    enc = quantize_int8(src, tmp_path / "enc.onnx", "encoder")
    quantized, floats = _int8_weights(tmp_path / "enc.onnx")
    assert len(enc["quantized_modules"]) == len(quantized) == 12  # 2 layers x (q, k, v, attn out, ffn in, ffn out)
    assert all(any(f.startswith(f"model.heads.{t}.weight") for f in floats) for t in ("spam", "severity"))
    # the heads are Gemm nodes, which quantize_dynamic renames <gemm>_MatMul before choosing nodes
    heads = quantize_int8(src, tmp_path / "heads.onnx", include=["heads.issue_types"], exclude=[])
    assert heads["quantized_modules"] == ["heads.issue_types"]
    quantized, floats = _int8_weights(tmp_path / "heads.onnx")
    assert len(quantized) == 1 and "issue_types" in next(iter(quantized))
    legacy = quantize_int8(src, tmp_path / "all.onnx", "all")
    quantized, floats = _int8_weights(tmp_path / "all.onnx")
    assert legacy["preset"] == "all" and len(quantized) == 16
    assert not any(f.startswith("model.heads.") for f in floats)
    with pytest.raises(ValueError, match="unknown int8 preset"):
        quantize_int8(src, tmp_path / "x.onnx", "int4")
    with pytest.raises(ValueError, match="no MatMul/Gemm weight"):
        quantize_int8(src, tmp_path / "x.onnx", include=["decoder.*"])


def test_an_ensemble_teacher_loads_only_int8_graphs(trained, tmp_path, monkeypatch):
    """training/distill_student.py scores a transformer member with its int8 graph, and loads no other."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))
    import distill_student as ds

    from feedback_nlp.ensemble import EnsembleModel

    _, _, out = trained
    q = TransformerModel.from_pretrained(out, quantized=True)
    EnsembleModel([q, q], {"issue_types": [0.5, 0.5]}, member_paths=[str(out), str(out)]).save_pretrained(
        tmp_path / "ens")
    opened, real = [], TransformerModel.from_pretrained.__func__

    def spy(cls, path, **kw):
        opened.append(kw.get("quantized", False))
        return real(cls, path, **kw)

    monkeypatch.setattr(TransformerModel, "from_pretrained", classmethod(spy))
    texts = [r[0] for r in ROWS[:6]]
    got = ds.teacher_probs(tmp_path / "ens", texts, cache=None)
    assert opened == [True, True]
    np.testing.assert_allclose(got["issue_types"], q.predict_proba([normalize(t) for t in texts])["issue_types"],
                               atol=1e-5)
    # fp32=True (train_transformer.py --teacher-fp32): the graph the members serve with, cached apart
    opened.clear()
    cache = tmp_path / "c.npz"
    ds.teacher_probs(tmp_path / "ens", texts, cache=cache)
    full = ds.teacher_probs(tmp_path / "ens", texts, cache=cache, fp32=True)
    assert opened == [True, True, False, False]
    f = TransformerModel.from_pretrained(out)
    np.testing.assert_allclose(full["issue_types"], f.predict_proba([normalize(t) for t in texts])["issue_types"],
                               atol=1e-5)


def test_a_teacher_without_an_int8_graph_teaches_in_fp32(trained, tmp_path):
    """A use-multi teacher has no model.int8.onnx: training/distill_student.py scores it with model.onnx."""
    import shutil

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))
    import distill_student as ds

    from feedback_nlp.ensemble import EnsembleModel

    _, _, out = trained
    fp32 = tmp_path / "fp32"
    shutil.copytree(out, fp32)
    (fp32 / "model.int8.onnx").unlink()
    m = TransformerModel.from_pretrained(fp32)
    EnsembleModel([m, m], {"issue_types": [0.5, 0.5]}, member_paths=[str(fp32)] * 2).save_pretrained(tmp_path / "ens")
    texts = [r[0] for r in ROWS[:4]]
    want = m.predict_proba([normalize(t) for t in texts])["issue_types"]
    for teacher in (tmp_path / "ens", fp32):
        np.testing.assert_allclose(ds.teacher_probs(teacher, texts, cache=None)["issue_types"], want, atol=1e-6)


def test_pipeline_runs_on_the_transformer_model(trained):
    from feedback_nlp.cluster import ProblemClusterer
    from feedback_nlp.pipeline import REQUIRED_TASKS, UNREAD_REASON, FeedbackAnalyzer

    _, _, out = trained
    tm = TransformerModel.from_pretrained(out)
    fa = FeedbackAnalyzer({t: tm for t in REQUIRED_TASKS})
    texts = [r[0] for r in ROWS] + ["", "   "]
    res = fa.analyze_batch(texts)
    assert len(res) == len(texts)
    assert res[-1].severity_reasons == ["empty text"]
    # a text of [UNK] pieces alone is unread: sentiment neutral, as on the n-gram backend
    unread, read = fa.analyze_batch(["🙂🦩", ROWS[0][0]])
    assert (unread.sentiment, unread.sentiment_score) == ("neutral", 0.0) and UNREAD_REASON in unread.severity_reasons
    assert UNREAD_REASON not in read.severity_reasons and tm.reads(["🙂🦩", ROWS[0][0]]).tolist() == [False, True]
    assert all(r.sentiment in ("negative", "neutral", "positive") for r in res)
    emb = tm.embed([normalize(t) for t in texts[:12]])
    assert emb.shape == (12, 32) and np.isfinite(emb).all()
    ProblemClusterer().fit([r[0] for r in ROWS], embeddings=emb)


def test_cli_train_backend_transformer(tiny_base, tmp_path, capsys):
    """``feedback-nlp train --backend transformer`` fine-tunes --base for one task and the model
    replaces that task's head in the analyzer."""
    pytest.importorskip("onnxscript", reason="the ONNX export (torch.onnx.export, dynamo) needs onnxscript")
    from feedback_nlp.cli import main
    from feedback_nlp.pipeline import FeedbackAnalyzer

    data = tmp_path / "sent.jsonl"
    rows = [(r[0], r[3]) for r in ROWS] + SENT_ONLY
    data.write_text("".join(json.dumps({"id": i, "text": t, "sentiment": y}, ensure_ascii=False) + "\n"
                            for i, (t, y) in enumerate(rows)), encoding="utf-8")
    out = tmp_path / "tx_sentiment"
    assert main(["train", "--backend", "transformer", "--base", str(tiny_base), "--task", "sentiment",
                 "--data", str(data), "--dev", str(data), "--max-steps", "3", "--batch-size", "4",
                 "--max-len", "48", "--device", "cpu", "-o", str(out)]) == 0, capsys.readouterr().err
    assert is_transformer_dir(out) and (out / "model.onnx").is_file() and (out / "eval_dev.json").is_file()
    tm = TransformerModel.from_pretrained(out)
    assert list(tm.heads) == ["sentiment"] and tm.heads["sentiment"].labels == ["negative", "neutral", "positive"]
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert card["base"] == str(tiny_base) and "dev" in card["tasks"]["sentiment"]["metrics"]
    fa = FeedbackAnalyzer.load(tasks={"sentiment": out})
    assert fa.task_models["sentiment"] is not fa.task_models["spam"]
    assert fa.analyze("质量很好").sentiment in ("negative", "neutral", "positive")


def test_teacher_columns_follow_the_students_label_order():
    from feedback_nlp.tasks.base import MULTICLASS, MULTILABEL, HeadSpec
    from feedback_nlp.transformer.training import DistillationError, teacher_columns

    class Teacher:
        heads = {"topic": HeadSpec("topic", MULTILABEL, ["c", "b", "a"]), "mood": HeadSpec("mood", MULTICLASS, ["x"])}

        def predict_proba(self, texts):
            return {"topic": np.tile([0.3, 0.2, 0.1], (len(texts), 1))}

    got = teacher_columns(Teacher(), HeadSpec("topic", MULTILABEL, ["a", "c"]), ["一", "二"])
    assert got.tolist() == [[0.1, 0.3], [0.1, 0.3]]
    assert teacher_columns(Teacher(), HeadSpec("topic", MULTILABEL, ["a"]), []).shape == (0, 1)
    with pytest.raises(DistillationError, match="lacks the label"):
        teacher_columns(Teacher(), HeadSpec("topic", MULTILABEL, ["a", "z"]), ["一"])
    with pytest.raises(DistillationError, match="multilabel 'mood' head like the student's; its head is multiclass"):
        teacher_columns(Teacher(), HeadSpec("mood", MULTILABEL, ["x"]), ["一"])

    class Classes:
        heads = {"mood": HeadSpec("mood", MULTICLASS, ["x", "y", "z"])}

        def predict_proba(self, texts):
            return {"mood": np.tile([0.5, 0.2, 0.3], (len(texts), 1))}

    got = teacher_columns(Classes(), HeadSpec("mood", MULTICLASS, ["z", "x"]), ["一"])
    np.testing.assert_allclose(got, [[0.375, 0.625]])  # renormalised over the student's classes


def test_cli_train_distils_a_teacher_into_the_student(trained, tiny_base, tmp_path, capsys, monkeypatch):
    """``train --teacher DIR --unlabelled FILE``: the unlabelled texts carry the teacher's issue-type
    probabilities as soft targets, the labelled records their gold labels, seen --gold-repeat times."""
    pytest.importorskip("onnxscript", reason="the ONNX export (torch.onnx.export, dynamo) needs onnxscript")
    import feedback_nlp.transformer.training as training
    from feedback_nlp.cli import main

    _, _, teacher = trained
    data, unlabelled = tmp_path / "issues.jsonl", tmp_path / "texts.jsonl"
    data.write_text("".join(json.dumps({"id": i, "text": r[0], "issue_types": r[2], "sentiment": r[3]},
                                       ensure_ascii=False) + "\n"
                            for i, r in enumerate(ROWS * 2)), encoding="utf-8")
    unlabelled.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t, _ in SENT_ONLY)
                          + "{not json\n", encoding="utf-8")
    seen, real = {}, training.fine_tune

    def spy(base, records, heads, tok, **kw):
        seen.update(records=list(records), weights=kw.get("record_weights"))
        return real(base, records, heads, tok, **kw)

    monkeypatch.setattr(training, "fine_tune", spy)
    out = tmp_path / "student"
    common = ["train", "--backend", "transformer", "--base", str(tiny_base), "--data", str(data), "--max-steps", "2",
              "--batch-size", "4", "--max-len", "48", "--device", "cpu"]
    assert main(common + ["--task", "issue_types", "--teacher", str(teacher), "--unlabelled", str(unlabelled),
                          "--gold-repeat", "2", "-o", str(out)]) == 0
    assert f"{unlabelled}: read 3 records, 1 malformed (rows: 4)" in capsys.readouterr().err
    tm = TransformerModel.from_pretrained(teacher)
    want = tm.predict_proba([normalize(t) for t, _ in SENT_ONLY])["issue_types"]
    col = {lab: j for j, lab in enumerate(tm.heads["issue_types"].labels)}
    by_text = {r.text: (r, w) for r, w in zip(seen["records"], seen["weights"])}
    for k, (t, _) in enumerate(SENT_ONLY):
        rec, w = by_text[normalize(t)]
        soft = rec.labels["issue_types"]
        assert w == 1 and list(soft) == default_heads()["issue_types"].labels  # the built-in label order
        assert all(p == pytest.approx(want[k][col[lab]], abs=1e-6) for lab, p in soft.items())
    rec, w = by_text[normalize(ROWS[0][0])]
    assert rec.labels["issue_types"] == ROWS[0][2] and w == 2
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert card["distillation"] == {"teacher": str(teacher), "unlabelled_file": str(unlabelled), "n_soft_texts": 3,
                                    "gold_repeat": 2}
    for extra, message in ((["--task", "issue_types", "--teacher", str(teacher)], "needs --unlabelled"),
                           (["--task", "issue_types", "--unlabelled", str(unlabelled)], "needs --teacher"),
                           (["--task", "topic", "--multilabel", "--teacher", str(teacher), "--unlabelled",
                             str(unlabelled)], "has no 'topic' head"),
                           (["--task", "issue_types", "--teacher", str(teacher), "--unlabelled", str(unlabelled),
                             "--gold-repeat", "0"], "--gold-repeat must be 1 or more")):
        assert main(common + extra + ["-o", str(tmp_path / "x")]) == 2
        assert message in capsys.readouterr().err
    seen.clear()
    assert main(common + ["--task", "sentiment", "--teacher", str(teacher), "--unlabelled", str(unlabelled),
                          "-o", str(tmp_path / "sentiment")]) == 0  # a multi-class head learns the distribution
    capsys.readouterr()
    soft = {r.text: r.labels["sentiment"] for r in seen["records"]}[normalize(SENT_ONLY[0][0])]
    assert set(soft) == {"negative", "neutral", "positive"} and sum(soft.values()) == pytest.approx(1.0)
    assert main(["train", "--task", "issue_types", "--data", str(data), "--teacher", str(teacher), "--unlabelled",
                 str(unlabelled), "-o", str(tmp_path / "y")]) == 2
    assert "distils into a transformer student" in capsys.readouterr().err


def test_cli_train_converts_a_named_wheel_base(tiny_base, tmp_path, monkeypatch):
    """``--base NAME`` of a converter (roformer-sim, e5-small) is built from the wheel into a temporary
    folder, fine-tuned, and its provenance lands on the card; here a fake converter copies the tiny base."""
    pytest.importorskip("onnxscript", reason="the ONNX export (torch.onnx.export, dynamo) needs onnxscript")
    import shutil

    from feedback_nlp.cli import main
    from feedback_nlp.transformer.convert import CONVERTERS

    def fake(target):
        shutil.copytree(tiny_base, target)
        (Path(target) / "PROVENANCE.json").write_text('{"name": "tiny-wheel", "licence": "MIT"}', encoding="utf-8")
        return target

    monkeypatch.setitem(CONVERTERS, "tiny-wheel", fake)
    data = tmp_path / "sent.jsonl"
    data.write_text("".join(json.dumps({"id": i, "text": t, "sentiment": y}, ensure_ascii=False) + "\n"
                            for i, (t, y) in enumerate(SENT_ONLY + [(r[0], r[3]) for r in ROWS])), encoding="utf-8")
    out = tmp_path / "tx_named"
    assert main(["train", "--backend", "transformer", "--base", "tiny-wheel", "--task", "sentiment", "--data", str(data),
                 "--max-steps", "2", "--batch-size", "4", "--max-len", "32", "--device", "cpu", "--seed", "3",
                 "-o", str(out)]) == 0
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert card["base"] == "tiny-wheel" and card["base_provenance"] == {"name": "tiny-wheel", "licence": "MIT"}
    assert card["training"]["seed"] == 3  # --seed reaches fine_tune


def _unigram_base(d: Path) -> Path:
    """A tiny random BertModel whose tokenizer is a ``unigram.json`` (as a converted e5 has):
    every character of the test texts a piece, plus a few two-character words that score better."""
    from transformers import BertConfig, BertModel

    from feedback_nlp.transformer.unigram import UnigramTokenizer

    chars = sorted({c for t in [r[0] for r in ROWS] + [t for t, _ in SENT_ONLY] for c in normalize(t)} - {" "})
    pieces = ["<pad>", "<unk>", "<s>", "</s>", "<mask>", "▁"] + chars + ["质量", "很好", "▁质量"]
    scores = [0.0] * 5 + [-3.0] + [-8.0] * len(chars) + [-9.0, -9.0, -9.5]
    UnigramTokenizer(pieces, scores, {"pad": 0, "unk": 1, "cls": 2, "sep": 3, "mask": 4},
                     normalization={0xFF0C: ","}, prefix="q: ").save(d)
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(pieces), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=64)).save_pretrained(d)
    return d


def test_a_unigram_base_trains_saves_and_serves(tmp_path):
    """A base with unigram.json: fine-tuned with its own pieces, saved with them, scored
    through ONNX with the same ids as torch, and the saved encoder folder is a base again."""
    pytest.importorskip("onnxscript", reason="the ONNX export (torch.onnx.export, dynamo) needs onnxscript")
    from feedback_nlp.transformer.torch_model import save_model_dir, torch_predict
    from feedback_nlp.transformer.training import load_base_tokenizer
    from feedback_nlp.transformer.unigram import UnigramTokenizer

    base = _unigram_base(tmp_path / "base")
    tok = load_base_tokenizer(base, max_len=40)
    assert isinstance(tok, UnigramTokenizer) and tok.max_len == 40
    assert tok.tokenize("质量很好，") == ["▁", "q", "<unk>", "▁质量", "很好", ","]  # prefix, best pieces, folded comma
    records, _ = _records()
    model, stats = fine_tune(base, records, default_heads(), tok, max_steps=3, batch_size=4, device="cpu",
                             log=lambda *a: None)
    out = save_model_dir(model, tok, tmp_path / "model", {"name": "tiny-unigram", "training": stats},
                         quantize=False)
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert card["tokenizer"]["type"] == "sentencepiece-unigram" and card["tokenizer"]["max_len"] == 40
    assert not (out / "vocab.txt").exists() and (out / "encoder" / "unigram.json").is_file()
    tm = TransformerModel.from_pretrained(out)
    assert isinstance(tm.tokenizer, UnigramTokenizer) and tm.tokenizer.prefix == "q: "
    texts = [normalize(r[0]) for r in ROWS] + ["未知字符ZZ", "很好" * 40]  # unknown characters, cut at max_len
    tp, te = torch_predict(model, tok, texts, batch_size=4)
    op, oe = tm.predict(texts)
    for t in tp:
        np.testing.assert_allclose(op[t], tp[t], atol=1e-4)
    np.testing.assert_allclose(oe, te, atol=1e-4)
    assert load_base_tokenizer(out / "encoder").inv_vocab == tok.inv_vocab


def test_an_unknown_tokenizer_type_is_a_format_error(trained, tmp_path):
    import shutil

    from feedback_nlp.modeling import ModelFormatError

    _, _, out = trained
    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    card = json.loads((bad / "model.json").read_text(encoding="utf-8"))
    card["tokenizer"]["type"] = "byte-bpe"
    (bad / "model.json").write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelFormatError, match="unknown tokenizer type 'byte-bpe'"):
        TransformerModel.from_pretrained(bad)


def test_runtime_needs_neither_torch_nor_transformers(trained):
    _, _, out = trained
    code = f"""
import sys
for m in ("torch", "transformers", "onnx", "onnxscript", "safetensors"):
    sys.modules[m] = None  # any import of these now fails
sys.path.insert(0, {str(REPO / 'src')!r})
from feedback_nlp.transformer import TransformerModel
from feedback_nlp.pipeline import FeedbackAnalyzer, REQUIRED_TASKS
tm = TransformerModel.from_pretrained({str(out)!r}, quantized=True)
r = FeedbackAnalyzer({{t: tm for t in REQUIRED_TASKS}}).analyze("快递十天都没到，客服也不回消息")
print("OK", r.sentiment, tm.embed(["质量很好"]).shape)
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("OK")


def test_unsafe_files_are_refused(trained, tmp_path):
    import shutil

    _, _, out = trained
    d = tmp_path / "m"
    shutil.copytree(out, d)
    (d / "encoder" / "pytorch_model.bin").write_bytes(b"not really a pickle")
    with pytest.raises(ModelFormatError, match="unexpected file"):
        TransformerModel.from_pretrained(d)


# --- tokenizer parity ------------------------------------------------------------------------
def _hf_ids(hf, text, max_len):
    return hf(text, truncation=True, max_length=max_len)["input_ids"]


def _parity_vocab_and_hf(tmp_path, texts):
    from transformers import BertTokenizer

    vocab = _vocab_for(texts + ["abcdefghijklmnopqrstuvwxyz0123456789"])
    f = tmp_path / "vocab.txt"
    f.write_text("".join(t + "\n" for t in vocab), encoding="utf-8")
    hf = BertTokenizer.from_pretrained(str(tmp_path), do_lower_case=True)
    assert len(hf) == len(vocab)
    return WordPieceTokenizer.from_file(f), hf


def test_tokenizer_matches_bert_tokenizer_on_varied_texts(tmp_path):
    # vocab from half the texts so that [UNK] and ##-pieces both occur
    ours, hf = _parity_vocab_and_hf(tmp_path, PARITY_TEXTS[::2])
    for text in PARITY_TEXTS + [normalize(t) for t in PARITY_TEXTS]:
        for max_len in (8, 128, 512):
            assert ours.encode(text, max_len) == _hf_ids(hf, text, max_len), (text, max_len)


def test_tokenizer_matches_bert_tokenizer_on_random_strings(tmp_path):
    ours, hf = _parity_vocab_and_hf(tmp_path, PARITY_TEXTS)
    rng = random.Random(0)
    alphabet = ("的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出也得里后自以会"
                "abcxyzABCXYZ0189 .,!?-_'\"()[]{}<>@#$%^&*+=/\\|~`，。！？；：“”‘’（）【】《》、…—"
                "éèüñçÅØæœß\u0301\u0308ΑΣσςДж😀👍\u200b\u00a0\u3000\t\n")
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        if rng.random() < 0.1:
            text += " [SEP] "
        assert ours.encode(text, 64) == _hf_ids(hf, text, 64), repr(text)


@pytest.mark.shared_data
def test_tokenizer_parity_on_shared_corpus_texts(shared_data, tmp_path):
    from transformers import BertTokenizer

    from feedback_nlp.labelled_data import load_annotations

    texts = [r["text"] for r in load_annotations("dev", shared_data)]
    vocab = build_char_vocab([normalize(t) for t in texts[:300]], min_freq=2)
    f = tmp_path / "vocab.txt"
    f.write_text("".join(t + "\n" for t in vocab), encoding="utf-8")
    ours, hf = WordPieceTokenizer.from_file(f), BertTokenizer.from_pretrained(str(tmp_path), do_lower_case=True)
    assert len(hf) == len(vocab)
    for t in texts:
        for text in (t, normalize(t)):
            assert ours.encode(text, 128) == _hf_ids(hf, text, 128), text


def test_mlm_pretraining_saves_a_usable_base(tmp_path):
    """pretrain_mlm -> a transformers checkpoint that AutoModel / BertTokenizer load and fine_tune accepts."""
    from transformers import AutoModel, BertTokenizer

    from feedback_nlp.transformer.training import load_base_tokenizer, pretrain_mlm

    texts = [normalize(t) for t in [r[0] for r in ROWS] + [t for t, _ in SENT_ONLY]]
    vocab = build_char_vocab(texts, min_freq=1)
    out = tmp_path / "enc"
    stats = pretrain_mlm(texts, texts[:4], vocab, out, layers=1, hidden=32, heads=2, max_len=32, batch_size=4,
                         max_steps=3, device="cpu", log=lambda *a: None)
    assert stats["steps"] == 3 and stats["vocab_size"] == len(vocab)
    assert [h["step"] for h in stats["history"]] == [0, 3]
    assert (out / "model.safetensors").is_file() and not list(out.glob("*.bin"))
    assert AutoModel.from_pretrained(str(out)).config.hidden_size == 32
    hf = BertTokenizer.from_pretrained(str(out))
    ours = load_base_tokenizer(out, max_len=32)
    assert isinstance(ours, WordPieceTokenizer)
    assert all(ours.encode(t) == hf(t, truncation=True, max_length=32)["input_ids"] for t in texts)
    records, _ = _records()
    model, _ = fine_tune(out, records, default_heads(), ours, max_steps=2, batch_size=4, device="cpu",
                         log=lambda *a: None)
    assert set(model.tasks) == {"spam", "issue_types", "sentiment", "severity"}


def test_mlm_pretraining_saves_when_the_time_budget_stops_it(tmp_path):
    """max_minutes reached before max_steps: the checkpoint is still written (and loads)."""
    from transformers import AutoModel

    from feedback_nlp.transformer.training import pretrain_mlm

    texts = [normalize(t) for t in [r[0] for r in ROWS] + [t for t, _ in SENT_ONLY]]
    vocab = build_char_vocab(texts, min_freq=1)
    out = tmp_path / "enc"
    stats = pretrain_mlm(texts, texts[:4], vocab, out, layers=1, hidden=32, heads=2, max_len=32, batch_size=4,
                         max_steps=1000, max_minutes=0.0, device="cpu", log=lambda *a: None)
    assert stats["steps"] == 1 and stats["history"][-1]["step"] == 1
    assert (out / "model.safetensors").is_file() and (out / "vocab.txt").is_file()
    assert AutoModel.from_pretrained(str(out)).config.vocab_size == len(vocab)
