"""EnsembleModel: the weighted mean of its members' probabilities (aligned by label name),
weights and thresholds chosen on dev, the directory round trip, and serving a task next to
the default model through FeedbackAnalyzer.load(tasks=...)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from feedback_nlp import EnsembleModel, FeedbackAnalyzer, ModelFormatError, NgramModel
from feedback_nlp.labelled_data import LabelledData
from feedback_nlp.metrics import multilabel_report
from feedback_nlp.tasks.base import HeadSpec
from feedback_nlp.text import normalize
from feedback_nlp.train import head_predictions
from tiny_model import HEADS, TEXTS, build_tiny_model

NORMS = [normalize(t) for t in TEXTS]


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    """Two tiny models; the second lists its issue types in reverse order."""
    root = tmp_path_factory.mktemp("members")
    a = build_tiny_model(root / "a", seed=0)
    kind, labels = HEADS["issue_types"]
    b = build_tiny_model(root / "b", seed=1, heads_spec={**HEADS, "issue_types": (kind, labels[::-1])})
    return root, a, b


def test_weighted_mean_aligned_by_label_name(members):
    _, a, b = members
    ma, mb = NgramModel.from_pretrained(a), NgramModel.from_pretrained(b)
    ens = EnsembleModel([ma, mb], {"issue_types": [1, 3]})
    pa, pb = ma.predict_proba(NORMS)["issue_types"], mb.predict_proba(NORMS)["issue_types"]
    expected = 0.25 * pa + 0.75 * pb[:, ::-1]  # b's columns are reversed
    np.testing.assert_allclose(ens.predict_proba(NORMS)["issue_types"], expected, atol=1e-6)
    assert ens.heads["issue_types"].labels == ma.heads["issue_types"].labels
    assert list(ens.predict_proba(NORMS)) == ["issue_types"]


def test_a_member_no_task_weighs_is_not_run(members):
    """Dev may give a member weight 0 everywhere: serving skips it; fitting still scores every member."""
    _, a, b = members
    ma, mb = NgramModel.from_pretrained(a), NgramModel.from_pretrained(b)
    calls = []

    class Counting:
        heads, routing = mb.heads, None

        def predict_proba(self, texts):
            calls.append(len(texts))
            return mb.predict_proba(texts)

    ens = EnsembleModel([ma, Counting()], {"issue_types": [1, 0], "sentiment": [1, 0]})
    got = ens.predict_proba(NORMS)
    assert calls == []
    np.testing.assert_allclose(got["issue_types"], ma.predict_proba(NORMS)["issue_types"], atol=1e-6)
    ens = EnsembleModel([Counting(), ma], {"issue_types": [0, 1]})  # the first member (reversed labels) unused
    np.testing.assert_allclose(ens.predict_proba(NORMS)["issue_types"],
                               ma.predict_proba(NORMS)["issue_types"][:, ::-1], atol=1e-6)
    ens.set_weights("issue_types", [0.5, 0.5])
    ens.predict_proba(NORMS)
    assert calls == [len(NORMS)]
    ens.fit({"issue_types": LabelledData(TEXTS, [["logistics"]] * len(TEXTS), multilabel=True)}, grid=[0.0, 1.0])
    assert len(calls) == 2  # the fit scored it once (cached), whatever weight it tried


def test_reads_a_text_when_a_weighed_member_does(members):
    _, a, _ = members
    ma = NgramModel.from_pretrained(a)

    class NoReads:  # a model without reads: taken to read every text
        heads, routing, predict_proba = ma.heads, None, ma.predict_proba

    texts = ["快递", "🙂"]
    assert EnsembleModel([ma, ma], {"sentiment": [1, 1]}).reads(texts).tolist() == [True, False]
    assert EnsembleModel([ma, NoReads()], {"sentiment": [1, 1]}).reads(texts).tolist() == [True, True]
    assert EnsembleModel([ma, NoReads()], {"sentiment": [1, 0]}).reads(texts).tolist() == [True, False]
    # a member weighed for issue types only reads for issue types, not for sentiment
    both = EnsembleModel([ma, NoReads()], {"sentiment": [1, 0], "issue_types": [0.5, 0.5]})
    assert both.reads(texts, task="sentiment").tolist() == [True, False]
    assert both.reads(texts, task="issue_types").tolist() == [True, True] == both.reads(texts).tolist()
    with pytest.raises(ValueError, match="does not serve 'severity'"):
        both.reads(texts, task="severity")


def test_members_must_agree_on_labels_and_weights_must_fit(members, tmp_path):
    _, a, _ = members
    other = build_tiny_model(tmp_path / "c", heads_spec={"issue_types": ("multilabel", ["x", "y"])})
    ma, mc = NgramModel.from_pretrained(a), NgramModel.from_pretrained(other)
    with pytest.raises(ValueError, match="different 'issue_types' head"):
        EnsembleModel([ma, mc], {"issue_types": [0.5, 0.5]})
    with pytest.raises(ValueError, match="has no 'severity' head"):
        EnsembleModel([ma, mc], {"severity": [0.5, 0.5]})
    for bad in ([1.0], [-1.0, 2.0], [0.0, 0.0], [float("nan"), 1.0]):
        with pytest.raises(ValueError, match="weights must be 2 non-negative"):
            EnsembleModel([ma, ma], {"issue_types": bad})
    with pytest.raises(ValueError, match="at least two members"):
        EnsembleModel([ma], {"issue_types": [1.0]})


def test_save_and_load_round_trip_with_relative_member_paths(members, tmp_path):
    root, a, b = members
    ens = EnsembleModel([NgramModel.from_pretrained(a), NgramModel.from_pretrained(b)],
                        {"issue_types": [0.4, 0.6], "sentiment": [0.7, 0.3]}, member_paths=[str(a), str(b)])
    ens.heads["issue_types"].thresholds = {lab: 0.3 for lab in ens.heads["issue_types"].labels}
    out = ens.save_pretrained(root / "ens")
    card = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert card["format"] == "feedback-nlp/ensemble" and [m["path"] for m in card["members"]] == ["../a", "../b"]
    assert card["members"][0]["name"] == "tiny" and card["version"]
    moved = tmp_path / "moved"
    shutil.copytree(root, moved)  # members travel with the ensemble: relative paths still resolve
    loaded = EnsembleModel.from_pretrained(moved / "ens")
    for task, p in ens.predict_proba(NORMS).items():
        np.testing.assert_allclose(loaded.predict_proba(NORMS)[task], p, atol=1e-6)
    assert loaded.heads["issue_types"].thresholds == ens.heads["issue_types"].thresholds
    np.testing.assert_allclose(loaded.weights["sentiment"], [0.7, 0.3])

    resaved = loaded.save_pretrained(tmp_path / "elsewhere" / "ens")  # member paths follow the new place
    np.testing.assert_allclose(EnsembleModel.from_pretrained(resaved).predict_proba(NORMS)["sentiment"],
                               ens.predict_proba(NORMS)["sentiment"], atol=1e-6)
    bad = json.loads((moved / "ens" / "model.json").read_text(encoding="utf-8"))
    del bad["members"]
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "model.json").write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(ModelFormatError, match="not a valid ensemble card"):
        EnsembleModel.from_pretrained(tmp_path / "bad")
    shutil.rmtree(moved / "b")
    with pytest.raises(ModelFormatError, match="cannot load ensemble member '../b'"):
        EnsembleModel.from_pretrained(moved / "ens")


def test_without_unused_drops_members_no_task_weighs(members):
    """A member dev gave weight 0 in every task is never run: the saved ensemble leaves it out (one load
    less) and decides exactly as before; the card names what it was chosen from. Two members always stay."""
    root, a, b = members
    ma, mb = NgramModel.from_pretrained(a), NgramModel.from_pretrained(b)
    ens = EnsembleModel([mb, ma, mb], {"issue_types": [0, 0.3, 0.7], "sentiment": [0, 1, 0]},
                        member_paths=[str(b), str(a), str(b) + "-copy"])
    labels = ens.heads["issue_types"].labels
    ens.heads["issue_types"].thresholds = {lab: 0.25 + 0.05 * i for i, lab in enumerate(labels)}
    small = ens.without_unused()
    assert small.member_paths == [str(a), str(b) + "-copy"] and small.card["left_out"] == [str(b)]
    assert small.card["candidates"] == ens.member_paths
    for task, p in ens.predict_proba(NORMS).items():
        got = small.predict_proba(NORMS)[task]
        cols = [small.heads[task].labels.index(lab) for lab in ens.heads[task].labels]
        np.testing.assert_allclose(got[:, cols], p, atol=1e-6)
        assert small.heads[task].thresholds == ens.heads[task].thresholds
    one = EnsembleModel([ma, mb, ma], {"issue_types": [0, 1, 0]}, member_paths=["x", "y", "z"]).without_unused()
    assert one.member_paths == ["x", "y"] and one.card["left_out"] == ["z"]
    assert ens.without_unused().without_unused().member_paths == small.member_paths
    both = EnsembleModel([ma, mb], {"issue_types": [0.5, 0.5]})
    assert both.without_unused() is both


def test_members_load_through_a_given_loader(members):
    """``load_member`` replaces how each member is opened (distillation loads int8 graphs this way)."""
    root, a, b = members
    ens = EnsembleModel([NgramModel.from_pretrained(a), NgramModel.from_pretrained(b)], {"issue_types": [0.4, 0.6]},
                        member_paths=[str(a), str(b)])
    out = ens.save_pretrained(root / "ens_loader")
    seen = []

    def loader(source):
        seen.append(Path(source).resolve())
        return NgramModel.from_pretrained(a)  # every member becomes a: the loader decides

    loaded = EnsembleModel.from_pretrained(out, load_member=loader)
    assert seen == [Path(a).resolve(), Path(b).resolve()]
    np.testing.assert_allclose(loaded.predict_proba(NORMS)["issue_types"],
                               NgramModel.from_pretrained(a).predict_proba(NORMS)["issue_types"], atol=1e-6)


def test_serves_a_task_next_to_the_default_model(members):
    root, a, b = members
    ens = EnsembleModel([NgramModel.from_pretrained(a), NgramModel.from_pretrained(b)], {"issue_types": [0.5, 0.5]},
                        member_paths=[str(a), str(b)])
    ens.save_pretrained(root / "ens_issues")
    fa = FeedbackAnalyzer.load(a, tasks={"issue_types": root / "ens_issues"})
    assert isinstance(fa.task_models["issue_types"], EnsembleModel)
    probs = ens.predict_proba(NORMS)["issue_types"]
    results = fa.analyze_batch(TEXTS)
    labels = ens.heads["issue_types"].labels
    for r, p in zip(results, probs):
        assert r.issue_scores == pytest.approx({lab: float(v) for lab, v in zip(labels, p)}, abs=1e-5)
    assert FeedbackAnalyzer.load(a).analyze_batch(TEXTS)[0].issue_scores != results[0].issue_scores
    # the member that is the analyzer's own model is that object, not a second copy
    assert fa.task_models["issue_types"].members[0] is fa.task_models["spam"]
    assert fa.task_models["issue_types"].members[1] is not fa.task_models["spam"]
    heads_only = FeedbackAnalyzer.load(a, tasks={"issue_types": root / "ens_issues"}, decisions=False)
    assert heads_only.task_models["issue_types"].members[0] is heads_only.task_models["spam"]
    for r, p in zip(heads_only.analyze_batch(TEXTS), probs):  # turning off a's decision stage leaves the mix alone
        assert r.issue_scores == pytest.approx({lab: float(v) for lab, v in zip(labels, p)}, abs=1e-5)


class _Fixed:
    """A task model whose probabilities are looked up by text."""

    def __init__(self, head: HeadSpec, table: dict):
        self.heads, self.table, self.routing = {head.task: head}, table, None

    def predict_proba(self, norms):
        return {t: np.array([self.table[n] for n in norms], np.float32) for t in self.heads}


def _oracle_and_noise(seed: int):
    """``(dev data, a member that knows the truth, a member that guesses)`` over three issue types."""
    rng = np.random.default_rng(seed)
    labels = ["a", "b", "c"]
    texts = [f"第{i}条反馈" for i in range(60)]
    truth = [[lab for lab in labels if rng.random() < 0.4] for _ in texts]
    head = HeadSpec("issue_types", "multilabel", labels)
    oracle = _Fixed(head, {normalize(t): [0.9 if lab in y else 0.1 for lab in labels] for t, y in zip(texts, truth)})
    noise = _Fixed(head, {normalize(t): list(rng.random(3)) for t in texts})
    return LabelledData(texts, truth, multilabel=True), oracle, noise


def test_fit_chooses_the_weight_and_thresholds_bydev_score():
    dev, oracle, noise = _oracle_and_noise(0)
    ens = EnsembleModel([oracle, noise], {"issue_types": [0.5, 0.5]})
    ens.fit({"issue_types": dev})
    fit = ens.card["ensemble_fit"]["issue_types"]
    assert fit["dev_score"] == pytest.approx(max(fit["grid"].values()))
    assert fit["dev_score"] == pytest.approx(2.0)
    assert fit["grid"]["0.0"] < 1.9  # noise alone is worse
    assert ens.weights["issue_types"][0] >= 0.5
    assert ens.heads["issue_types"].thresholds != {}  # the chosen point's thresholds were kept
    # a criterion of one's own replaces the default one
    ens.fit({"issue_types": dev}, score=lambda m, t, d: -m.weights[t][0])
    assert ens.weights["issue_types"][0] == 0.0
    with pytest.raises(ValueError, match="at least two members"):
        EnsembleModel([ens.members[0]], {"issue_types": [1]}).fit({})


def test_fit_mixes_three_members_over_the_simplex():
    """Three members: every mix of grid weights summing to 1 is tried; the oracle wins, ties
    between equally good mixes go to the more even one."""
    from feedback_nlp.ensemble import weight_mixes

    assert weight_mixes(2, [0.0, 0.3]) == [(0.0, 1.0), (0.3, 0.7)]  # two members: the first one's weight
    assert sorted(weight_mixes(3, [0.0, 0.5, 1.0])) == [(0.0, 0.0, 1.0), (0.0, 0.5, 0.5), (0.0, 1.0, 0.0),
                                                         (0.5, 0.0, 0.5), (0.5, 0.5, 0.0), (1.0, 0.0, 0.0)]
    assert len(weight_mixes(3)) == 66
    with pytest.raises(ValueError, match="sum to 1"):
        weight_mixes(3, [0.4])
    dev, oracle, noise = _oracle_and_noise(1)
    ens = EnsembleModel([noise, oracle, oracle], {"issue_types": [1, 1, 1]})
    ens.fit({"issue_types": dev}, grid=[0.0, 0.25, 0.5, 0.75, 1.0])
    fit = ens.card["ensemble_fit"]["issue_types"]
    assert len(fit["grid"]) == 15 and fit["grid"]["1.0/0.0/0.0"] < 1.9  # noise alone
    assert fit["dev_score"] == pytest.approx(2.0) and fit["weights"][0] < 0.5  # the oracles outweigh the noise
    ties = [[float(w) for w in k.split("/")] for k, v in fit["grid"].items() if v == fit["dev_score"]]
    unevenness = lambda w: sum((x - 1 / 3) ** 2 for x in w)  # noqa: E731
    assert len(ties) > 1 and unevenness(fit["weights"]) == min(map(unevenness, ties))  # the most even of the best


def test_dev_criterion_per_task():
    """Spam is chosen by spam-vs-not F1 (accuracy is mostly not_spam), severity by QWK."""
    from feedback_nlp.ensemble import dev_score
    from feedback_nlp.tasks import SEVERITIES, SPAM_CLASSES

    spam = HeadSpec("spam", "multiclass", list(SPAM_CLASSES))
    assert dev_score(spam, {"accuracy": 0.99, "spam_binary": {"f1": 0.5}}) == 0.5
    sev = HeadSpec("severity", "multiclass", list(SEVERITIES))
    assert dev_score(sev, {"accuracy": 0.9, "quadratic_weighted_kappa": 0.7}) == 0.7
    issues = HeadSpec("issue_types", "multilabel", ["a", "b"])
    assert dev_score(issues, {"accuracy": 0.5, "micro_f1": 0.8, "macro_f1": 0.7}) == pytest.approx(1.5)
    assert dev_score(HeadSpec("sentiment", "multiclass", ["negative", "positive"]), {"accuracy": 0.8}) == 0.8


def test_cross_validate_decides_each_row_with_a_choice_made_without_it():
    """Out-of-fold: the weights and thresholds that decide a dev row were chosen on the other folds
    (so the figure is below the in-sample one where the choice fits dev noise), each member scores
    each text once, and the ensemble itself is left as it was."""
    rng = np.random.default_rng(3)
    labels = ["a", "b"]
    texts = [f"第{i}条" for i in range(80)]
    truth = [[lab for lab in labels if rng.random() < 0.3] for _ in texts]
    head = HeadSpec("issue_types", "multilabel", labels)
    noise = [_Fixed(head, {normalize(t): list(rng.random(2)) for t in texts}) for _ in range(2)]
    calls = []
    for m in noise:
        real = m.predict_proba
        m.predict_proba = lambda norms, real=real: (calls.append(len(norms)), real(norms))[1]
    dev = LabelledData(texts, truth, multilabel=True)
    ens = EnsembleModel(noise, {"issue_types": [0.5, 0.5]}).fit({"issue_types": dev})
    before = (list(ens.weights["issue_types"]), dict(ens.heads["issue_types"].thresholds))
    calls.clear()
    cv = ens.cross_validate({"issue_types": dev, "spam": dev}, folds=4)["issue_types"]
    assert calls == [80, 80]  # one pass per member over the dev texts
    in_sample = ens.card["ensemble_fit"]["issue_types"]["dev_score"]
    assert cv["micro_f1"] + cv["macro_f1"] < in_sample - 0.05  # thresholds tuned on noise do not carry over
    assert cv["folds"] == 4 and sum(cv["per_class"][lab]["support"] for lab in labels) == sum(map(len, truth))
    assert (list(ens.weights["issue_types"]), dict(ens.heads["issue_types"].thresholds)) == before


def test_cross_validate_matches_fit_when_one_fold_is_scored_by_hand():
    """Each fold's decisions are those of an ensemble fitted on the other folds alone."""
    dev, _, noise = _oracle_and_noise(4)
    other = _oracle_and_noise(5)[2]  # a second guesser: the folds' choices differ
    ens = EnsembleModel([noise, other], {"issue_types": [0.5, 0.5]})
    cv = ens.cross_validate({"issue_types": dev}, folds=3, seed=7)["issue_types"]
    fold = np.random.default_rng(7).permutation(len(dev)) % 3
    pooled = [None] * len(dev)
    for f in range(3):
        take = lambda rows: LabelledData([dev.texts[i] for i in rows], [dev.labels[i] for i in rows],  # noqa: E731
                                         multilabel=True)
        inner = EnsembleModel([noise, other], {"issue_types": [0.5, 0.5]})
        inner.fit({"issue_types": take(np.flatnonzero(fold != f))})
        held = np.flatnonzero(fold == f)
        for i, d in zip(held, head_predictions(inner, "issue_types", take(held))[0]):
            pooled[i] = d
    assert cv["micro_f1"] == pytest.approx(multilabel_report(dev.labels, pooled, ["a", "b", "c"])["micro_f1"])
    with pytest.raises(ValueError, match="at least 2"):
        ens.cross_validate({"issue_types": dev}, folds=1)
