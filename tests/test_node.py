"""The Node.js host (examples/node/score.js) reproduces the Python library.

Runs score.js over the test splits of the three shared corpora and compares with
Python: the normalised text, the head probabilities of ``NgramModel.predict_proba``
(within 1e-5) and the model-based decisions (identical labels).

The texts are a fixture written here plus, when ../shared/data is there, the
corpora's test splits. Skipped, with the reason, where node or the npm packages
(``cd examples/node && npm install --ignore-scripts``) are missing.
"""
from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from conftest import REPO
from feedback_nlp import FeedbackAnalyzer, NgramModel, normalize
from feedback_nlp.pipeline import default_model_path
from feedback_nlp.tasks.severity import decide_severity, ev_cuts

NODE_DIR = REPO / "examples" / "node"
SCORE_JS = NODE_DIR / "score.js"
ATOL = 1e-5
#: Characters that opencc-js (1.0.x, older OpenCC dictionaries) converts differently
#: from Python OpenCC's t2s (documented in docs/FEATURES.md).
KNOWN_OPENCC_JS_DIFFERENCES = {"煇"}  # Python OpenCC 1.1+: 煇 -> 𪸩; opencc-js keeps 煇


def _require_node():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (NODE_DIR / "node_modules" / "onnxruntime-node").is_dir():
        pytest.skip("npm packages missing: cd examples/node && npm install --ignore-scripts")
    return node


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    d = default_model_path()
    if (d / "model.onnx").is_file():
        return d
    pytest.importorskip("onnx")
    from feedback_nlp.export import export_onnx

    out = tmp_path_factory.mktemp("node_model")
    for f in d.rglob("*"):
        if f.is_file():
            target = out / f.relative_to(d)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, target)
    export_onnx(out)
    return out


#: Texts written here, so the parity tests run in a clone without ../shared/data.
FIXTURE_TEXTS = [
    "快递十天都没到，客服也不回消息，什么垃圾平台", "质量很好，物流也快，下次还来买",
    "衣服颜色和图片不一样，申请退货一直没人处理", "加微信 abc12345 领优惠券，兼职刷单日结 http://t.cn/x",
    "付款扣了两次钱，订单还显示未支付", "账号被盗了，有人用我的账号下单", "App一直闪退，根本没法用 iPhone 15",
    "活动价格说好的满减没有减", "东西还行吧，一般般", "吃了外卖全家上吐下泻，我要打12315投诉",
    "這個商品質量很差，客服態度也不好", "酒店房間乾淨，服務熱情", "送餐太慢了，饭都凉了，再也不点了",
    "The package arrived broken, very disappointed", "배송이 너무 느려요", "日本語のテキスト、とても良い", "とても美味しいです",
    "iPhone充电器坏了", "Nike air max 270 鞋底开胶", "123456", "ok", "😀🎉", "味道一般，分量太少，价格还贵",
    "差评！！！", "好评好评好评好评好评好评",
]


@pytest.fixture(scope="module")
def test_texts():
    """The fixture texts, plus the corpora's test splits when ../shared/data is there."""
    from feedback_nlp.labelled_data import CORPORA, load_corpus, shared_data_dir

    texts = list(FIXTURE_TEXTS)
    d = shared_data_dir()
    if (d / "corpora").is_dir():
        texts += [r["text"] for c in CORPORA for r in load_corpus(c, "test", data_dir=d)]
    return texts


def _run_node(node, model_dir, records, tmp_path, *extra):
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="ascii")
    proc = subprocess.run([node, str(SCORE_JS), "--model", str(model_dir), *extra, str(inp)],
                          capture_output=True, timeout=600, cwd=NODE_DIR)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    out = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    assert len(out) == len(records)
    return out


def test_node_matches_python_on_normalised_test_texts(model_dir, test_texts, tmp_path):
    node = _require_node()
    # + filler the rules catch below the model threshold (repeated unit, punctuation only, emoji)
    norms = [normalize(t) for t in test_texts + ["差差差差差差差差", "在吗在吗在吗在吗在吗", "。。。，，，！！", "👍👍"]]
    records = [{"id": i, "text": n} for i, n in enumerate(norms)]
    got = _run_node(node, model_dir, records, tmp_path, "--normalized")
    assert [g["id"] for g in got] == list(range(len(norms)))

    model = NgramModel.from_pretrained(model_dir)
    live = [i for i, n in enumerate(norms) if n]
    want = model.predict_proba([norms[i] for i in live])
    fa = FeedbackAnalyzer.load(model_dir, decisions=False)  # Node runs the heads, not the decision stage
    results = fa.analyze_batch(norms)  # normalize() is idempotent on normalised text
    sev = fa.task_models["severity"].heads["severity"]
    for task in model.tasks:
        js = np.array([got[i]["probs"][task] for i in live], dtype=np.float64)
        np.testing.assert_allclose(js, want[task], atol=ATOL, rtol=0, err_msg=task)
    for k, i in enumerate(live):
        g, r = got[i], results[i]
        assert g["sentiment"] == r.sentiment, i
        assert abs(g["sentiment_score"] - r.sentiment_score) <= ATOL, i
        assert g["is_spam"] == r.is_spam, i
        assert abs(g["spam_score"] - r.spam_score) <= ATOL, i
        assert g["issue_types"] == r.issue_types and g["primary_issue"] == r.primary_issue, i
        for lab, p in r.issue_scores.items():
            assert abs(g["issue_scores"][lab] - p) <= ATOL, (i, lab)
        assert g["needs_review"] == r.needs_review, i
        if not r.is_spam:
            level, _ = decide_severity(want["severity"][k], [], sev.thresholds.get("critical", 0.5),
                                       ev_cuts(sev.thresholds))
            assert g["severity_model"] == level, i
    for i, n in enumerate(norms):
        if not n:
            assert got[i]["empty"] is True


def test_node_normalisation_matches_python(model_dir, test_texts, tmp_path):
    """Full normalisation in Node (NFKC, lower-case, opencc-js, whitespace, cuts) on the
    test texts and on their Traditional versions."""
    node = _require_node()
    if not (NODE_DIR / "node_modules" / "opencc-js").is_dir():
        pytest.skip("opencc-js not installed (npm install --ignore-scripts in examples/node)")
    import opencc

    s2t = opencc.OpenCC("s2t")
    extra = ["  全角ＡＢＣ１２３　空格\t\n換行\x00控制\x85NEL\u2028", "\ufeffBOM", "a\udc80b", "😀" * 1500 + "好",
             "İstanbul ΣΑΣ", "x" * 5000]
    texts = test_texts + [s2t.convert(t) for t in test_texts] + extra
    records = [{"id": i, "text": t} for i, t in enumerate(texts)]
    # ensure_ascii JSON carries the lone surrogate as \udc80, which JavaScript strings can hold
    got = _run_node(node, model_dir, records, tmp_path)
    mismatched = []
    for i, t in enumerate(texts):
        want = normalize(t)
        if got[i]["norm"] != want:
            mismatched.append(i)
            diff = {a for a, b in zip(want, got[i]["norm"]) if a != b} | {b for a, b in zip(want, got[i]["norm"]) if a != b}
            assert len(want) == len(got[i]["norm"]), (t[:80], want[:80], got[i]["norm"][:80])
            # every difference involves a character known to convert differently in opencc-js
            assert any(ch in t for ch in KNOWN_OPENCC_JS_DIFFERENCES), (t[:80], diff)
    assert len(mismatched) <= 0.001 * len(texts), len(mismatched)


def test_npm_test_runs_the_selftest():
    _require_node()
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed")
    proc = subprocess.run([npm, "test", "--silent"], capture_output=True, text=True, timeout=300, cwd=NODE_DIR)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "checks passed" in proc.stdout and "FAIL" not in proc.stderr


def test_package_lock_agrees_with_package_json():
    """npm install rewrites a lock whose root entry differs from package.json; keep them equal."""
    pkg = json.loads((NODE_DIR / "package.json").read_text(encoding="utf-8"))
    root = json.loads((NODE_DIR / "package-lock.json").read_text(encoding="utf-8"))["packages"][""]
    for key in ("dependencies", "optionalDependencies", "devDependencies"):
        assert root.get(key) == pkg.get(key), key
    assert root.get("version") == pkg.get("version")
