"""Training on tiny datasets written here: built-in and custom taxonomies, bad data, reports."""
import json

import numpy as np

import pytest

pytest.importorskip("sklearn")

from feedback_nlp import FeedbackAnalyzer, NgramModel  # noqa: E402
from feedback_nlp.labelled_data import LabelledData, TrainingDataError, read_labelled_file  # noqa: E402
from feedback_nlp.tasks.base import HeadSpec  # noqa: E402
from feedback_nlp.train import evaluate_head, format_report, train_model, write_report  # noqa: E402

POS = ["质量很好，很满意", "非常好用，推荐购买", "物流很快，包装完好", "味道不错，还会再来", "房间干净，服务热情", "好评，物美价廉"]
NEG = ["质量太差了，用一天就坏", "快递太慢，等了十天", "客服态度恶劣，不回消息", "味道很难吃，不新鲜", "房间很脏，有异味", "差评，退款一直不到账"]


def test_train_evaluate_save_load_sentiment(tmp_path):
    train = LabelledData(POS + NEG, ["positive"] * 6 + ["negative"] * 6)
    model = train_model({"sentiment": train}, {"sentiment": train}, C=10.0, verbose=False,
                        card={"name": "tiny-sentiment"})
    rep = evaluate_head(model, "sentiment", train)
    assert rep["accuracy"] == 1.0
    assert set(rep) >= {"per_class", "micro_f1", "macro_f1", "confusion_matrix", "ece"}
    d = model.save_pretrained(tmp_path / "m")
    loaded = NgramModel.from_pretrained(d)
    card = json.loads((d / "model.json").read_text(encoding="utf-8"))
    assert card["tasks"]["sentiment"]["labels"] == ["negative", "neutral", "positive"]
    assert card["tasks"]["sentiment"]["metrics"]["dev"]["accuracy"] == 1.0
    probs = loaded.predict_proba(["质量很好，很满意"])["sentiment"]
    assert probs.shape == (1, 3) and probs[0].argmax() == 2


def test_custom_taxonomy_multilabel_csv_loads_into_analyzer(tmp_path):
    csv_path = tmp_path / "tickets.csv"
    rows = [("发票开错了", "invoice"), ("发票一直没开", "invoice"), ("电子发票抬头错误", "invoice"),
            ("安装师傅没来", "install"), ("预约安装一直没人上门", "install"), ("安装收费不合理", "install;price"),
            ("价格比别家贵", "price"), ("降价了不给保价", "price"), ("发票和价格都有问题", "invoice;price"),
            ("很满意", "")]
    csv_path.write_text("id,text,label\n" + "".join(f"{i},{t},{lab}\n" for i, (t, lab) in enumerate(rows)),
                        encoding="utf-8")
    data = read_labelled_file(csv_path, multilabel=True)
    assert data.labels[5] == ["install", "price"] and data.labels[9] == []
    model = train_model({"issue_types": data}, C=10.0, verbose=False)
    assert model.heads["issue_types"].labels == ["install", "invoice", "price"]
    d = model.save_pretrained(tmp_path / "issues")
    routing = {"teams": {"invoice": "财务", "install": "安装服务", "price": "运营"}, "default_team": "分诊", "sla_hours": {
        "low": 72, "medium": 24, "high": 12, "critical": 2}}
    fa = FeedbackAnalyzer.load(tasks={"issue_types": d}, routing=routing)
    r = fa.analyze("电子发票开错了")
    assert set(r.issue_scores) == {"install", "invoice", "price"}
    assert r.primary_issue == "invoice"
    assert r.route["team"] == "财务"


def test_jsonl_lists_and_bad_data_messages(tmp_path):
    p = tmp_path / "bad.jsonl"
    lines = [{"id": 1, "text": "好", "label": ["a"]}, {"id": 1, "text": "坏", "label": ["zzz"]},
             {"id": 2, "text": "   ", "label": ["a"]}, {"id": 3, "text": "中", "label": [""]}]
    p.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\nnot json\n", encoding="utf-8")
    with pytest.raises(TrainingDataError) as e:
        read_labelled_file(p, multilabel=True, labels=["a", "b"])
    msg = str(e.value)
    for part in ("duplicate ids: 1", "unknown labels", "zzz", "empty after normalisation", "empty label",
                 "not valid JSON", "fewer than 2 examples"):
        assert part in msg, part


def test_single_label_needs_two_classes_and_utf8(tmp_path):
    p = tmp_path / "one.csv"
    p.write_text("text,label\n好,pos\n很好,pos\n", encoding="utf-8")
    with pytest.raises(TrainingDataError, match="at least two classes"):
        read_labelled_file(p)
    g = tmp_path / "gbk.csv"
    g.write_bytes("text,label\n质量很差，发货太慢,neg\n质量很差,neg\n非常满意，下次还来,pos\n很好,pos\n".encode("gbk"))
    data = read_labelled_file(g)  # encoding="auto" detects GBK (read as its superset GB18030)
    assert data.encoding == "gb18030" and data.texts[0] == "质量很差，发货太慢" and data.labels[2] == "pos"
    with pytest.raises(TrainingDataError, match="row 1: invalid UTF-8 at byte 0"):
        read_labelled_file(g, encoding="utf-8")


def _csv_problems(path, rows: str) -> list[str]:
    """The problems read_labelled_file lists for a CSV of ``rows`` under the header id,text,label."""
    path.write_text("id,text,label\n" + rows, encoding="utf-8")
    with pytest.raises(TrainingDataError) as e:
        read_labelled_file(path, min_examples=1)
    return [line for line in str(e.value).splitlines() if line.startswith("  - ")]


def test_csv_stray_quote_is_one_bad_row_not_the_rest_of_the_file(tmp_path):
    p = tmp_path / "quote.csv"
    problems = _csv_problems(p, '1,快递太慢,neg\n2,"质量差,neg\n\n3,很满意,pos\n4,"很好",pos\n')
    assert problems == ["  - row 2: malformed row: a quote opened in this row is not closed before its line ends"]
    p.write_text('id,text,label\n1,快递太慢,neg\n\n3,很满意,pos\n4,"很好",pos\n', encoding="utf-8")
    data = read_labelled_file(p, min_examples=1)  # a blank line is skipped, as csv.DictReader does
    assert (data.texts, data.labels) == (["快递太慢", "很满意", "很好"], ["neg", "pos", "pos"])


def test_report_files(tmp_path):
    train = LabelledData(POS + NEG, ["positive"] * 6 + ["negative"] * 6)
    model = train_model({"sentiment": train}, C=10.0, verbose=False)
    rep = {"sentiment": evaluate_head(model, "sentiment", train)}
    j, m = write_report(rep, tmp_path / "eval")
    assert json.loads(j.read_text())["sentiment"]["accuracy"] == 1.0
    text = m.read_text()
    assert "| positive |" in text and "confusion matrix" in text
    assert format_report(rep) == text


def test_nb_scaling_class_weights_calibration_and_review(tmp_path):
    from feedback_nlp.train import fit_linear_head, tune_review

    train = LabelledData(POS + NEG, ["positive"] * 6 + ["negative"] * 6)
    model = train_model({"sentiment": train}, {"sentiment": train}, C=10.0, verbose=False,
                        nb_scale={"sentiment": ("positive", "negative")},
                        class_weight={"sentiment": {"negative": 2.0}}, calibrate=("sentiment",),
                        review_accuracy={"sentiment": 0.9})
    entry = model.card["tasks"]["sentiment"]
    assert entry["metrics"]["dev"]["accuracy"] >= 0.8 and entry["temperature"] > 0
    assert entry["review"]["dev_accuracy_not_reviewed"] >= 0.9
    assert "review" in model.heads["sentiment"].thresholds
    # NB scaling is folded into the weights: scoring needs only x @ W + b
    X = model.featurizer.transform(["质量很好，很满意"]).to_scipy(model.featurizer.n_features)
    W, b = fit_linear_head(X.__class__(np.vstack([X.toarray()] * 2)), ["positive", "negative"],
                           HeadSpec("s", "multiclass", ["negative", "positive"]), nb_scale=("positive", "negative"))
    assert W.shape == (model.featurizer.n_features, 2)
    th = tune_review(model, "sentiment", train, 1.0)
    assert th["dev_accuracy_not_reviewed"] == 1.0


def test_out_of_fold_predictions_and_thresholds_on_train_plus_dev():
    import numpy as np

    from feedback_nlp.train import out_of_fold_proba
    from feedback_nlp.tasks.base import HeadSpec

    texts = POS * 3 + NEG * 3
    labels = ["positive"] * 18 + ["negative"] * 18
    train = LabelledData(texts, labels)
    model = train_model({"severity": LabelledData(texts, ["low"] * 18 + ["critical"] * 18)},
                        {"severity": LabelledData(POS[:2] + NEG[:2], ["low", "low", "critical", "critical"])},
                        C=10.0, verbose=False, threshold_folds={"severity": 3})
    entry = model.card["tasks"]["severity"]
    assert entry["thresholds_chosen_on"].startswith("dev + 3-fold") and "(36 records)" in entry["thresholds_chosen_on"]
    assert set(model.heads["severity"].thresholds) >= {"critical", "ev_medium", "ev_high", "ev_critical"}
    # each row is scored by a head that never saw it; rows are probability vectors
    X = model.featurizer.transform(texts).to_scipy(model.featurizer.n_features)
    head = HeadSpec("sentiment", "multiclass", ["negative", "neutral", "positive"])
    oof = out_of_fold_proba(X, labels, head, folds=3, C=10.0)
    assert oof.shape == (36, 3) and np.allclose(oof.sum(axis=1), 1.0, atol=1e-5)
    assert (oof.argmax(axis=1) == np.array([2] * 18 + [0] * 18)).mean() >= 0.75
    assert (oof[:, 1] < 0.01).all()  # a label absent from training is never predicted
    # without folds the card says nothing about pooled selection
    plain = train_model({"sentiment": train}, {"sentiment": train}, C=10.0, verbose=False)
    assert "thresholds_chosen_on" not in plain.card["tasks"]["sentiment"]


def test_csv_rows_with_wrong_column_count_are_refused(tmp_path):
    rows = "1,质量很好,pos\n2,质量很差,neg\n3,很满意,pos\n101,质量很差,neg,多出来的列\n102,质量\n4,很差,neg\n"
    problems = _csv_problems(tmp_path / "cols.csv", rows)
    assert _csv_problems(tmp_path / "blank.csv", "1,好,pos\n\n3,差,neg,多\n4,差,neg\n5,好,pos\n") == [
        "  - row 3: expected 3 columns, got 4"]  # a blank row is skipped but counted, as score counts it
    assert problems == ["  - row 4: expected 3 columns, got 4", "  - row 5: expected 3 columns, got 2"]


@pytest.mark.parametrize("enc", ["utf-16", "utf-32"])
def test_bom_codec_without_bom_is_a_training_data_error(tmp_path, enc):
    p = tmp_path / "nobom.csv"
    p.write_text("id,text,label\n1,好,pos\n2,差,neg\n", encoding="utf-8")
    with pytest.raises(TrainingDataError, match=f"--encoding {enc} needs a byte order mark"):
        read_labelled_file(p, min_examples=1, encoding=enc)



def test_training_files_read_as_score_reads_them_gz_and_tsv_without_quoting(tmp_path):
    import gzip

    rows = 'id\ttext\tlabel\n1\t"质量很好\tpos\n2\t快递太慢\tneg\n3\t很好"\tpos\n4\t差\tneg\n'
    p = tmp_path / "t.tsv.gz"
    p.write_bytes(gzip.compress(rows.encode("utf-8")))
    # .gz had been refused, and a quote in a TSV cell had swallowed the rows up to the next quote
    data = read_labelled_file(p, min_examples=1)
    assert data.texts == ['"质量很好', "快递太慢", '很好"', "差"]


@pytest.mark.parametrize("data, labels, message", [
    (LabelledData([f"好{i}" for i in range(6)], ["positive"] * 6), None, "at least two classes \\(found: positive\\)"),
    (LabelledData([f"好{i}" for i in range(6)], ["positive", "negative", "neutral"] * 2), ["positive", "negative"],
     "labels not in \\['positive', 'negative'\\]: neutral"),
    (LabelledData([f"好{i}" for i in range(6)], ["positive", "negative"] * 2), None, "6 texts but 4 labels"),
    (LabelledData(["好", "  ", "差", 3], ["positive", "negative"] * 2), None, "not strings at index 3"),
    (LabelledData(["好", "  ", "差", "坏"], ["positive", "negative"] * 2), None, "empty after normalisation at index 1"),
    (LabelledData(["好", "差"], [["a"], "b"], multilabel=True), None, "not lists at index 1")])
def test_train_model_refuses_a_bad_set_with_what_is_wrong(data, labels, message):
    # each had failed deep inside scikit-learn or as a KeyError (or, for an empty text, trained on it silently)
    with pytest.raises(ValueError, match=message):
        train_model({"sentiment": data}, labels={"sentiment": labels} if labels else None, verbose=False)


def test_evaluate_head_refuses_labels_the_head_does_not_have():
    texts = [f"质量{i}" for i in range(10)]
    model = train_model({"topic": LabelledData(texts, ["a", "b"] * 5)}, verbose=False)
    with pytest.raises(ValueError, match="topic: cannot evaluate on this set:\n  - labels not in \\['a', 'b'\\]: zzz"):
        evaluate_head(model, "topic", LabelledData(texts[:3], ["zzz"] * 3))


@pytest.mark.parametrize("rows, multilabel, message", [
    ([{"text": "发票错了", "label": ["invoice"]}, {"text": "没装好", "label": None}], True, "null label"),  # had crashed
    ([{"text": "发票错了", "label": "invoice"}, {"text": "两个", "label": "invoice;install"}], False,
     "several labels in a single-label task \\(add --multilabel\\): row 2"),  # had become a class "invoice;install"
    ([{"text": "发票错了", "label": "invoice"}, {"text": "发票错", "label": "Invoice"}], False,
     "labels that differ only in case or spacing: Invoice / invoice")])  # had been two classes
def test_labelled_file_problems_a_user_would_not_see(tmp_path, rows, multilabel, message):
    p = tmp_path / "d.jsonl"
    p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(TrainingDataError, match=message):
        read_labelled_file(p, multilabel=multilabel, min_examples=1)
