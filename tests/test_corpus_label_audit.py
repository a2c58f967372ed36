"""training/corpus_label_audit.py: the cross-tab and the agreement estimate, on rows made here."""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))

import corpus_label_audit as audit  # noqa: E402


def test_cross_tab_counts_only_rows_in_both_with_a_known_sentiment():
    corpus = [{"id": "a", "label": 1}, {"id": "b", "label": 1}, {"id": "c", "label": 0}, {"id": "d", "label": 0}]
    annotations = [{"id": "a", "sentiment": "negative"}, {"id": "b", "sentiment": "positive"},
                   {"id": "c", "sentiment": "neutral"}, {"id": "x", "sentiment": "negative"},
                   {"id": "d", "sentiment": None}]
    tab = audit.cross_tab(corpus, annotations)
    assert tab == {1: Counter(negative=1, positive=1), 0: Counter(neutral=1)}


def test_agreement_estimate_weights_each_label_by_its_share_of_the_split():
    # label 1: 10% read negative, 20% neutral; label 0: 5% read positive, no neutral
    tab = {1: Counter(positive=70, neutral=20, negative=10), 0: Counter(negative=95, positive=5)}
    est = audit.agreement_estimate(tab, positive_share=0.6)
    assert est["contradiction"] == pytest.approx(0.6 * 0.10 + 0.4 * 0.05)
    assert est["neutral"] == pytest.approx(0.6 * 0.20)
    assert est["ceiling"] == pytest.approx(1 - 0.08)
    assert est["midpoint"] == pytest.approx(1 - 0.08 - 0.06)
    # the same rates on an all-negative split: only label 0's contradictions count
    assert audit.agreement_estimate(tab, positive_share=0.0)["ceiling"] == pytest.approx(0.95)


def test_agreement_estimate_of_an_empty_label_is_no_disagreement():
    est = audit.agreement_estimate({1: Counter(), 0: Counter(negative=3)}, positive_share=0.5)
    assert est["ceiling"] == 1.0 and est["midpoint"] == 1.0


def test_the_model_card_cites_the_audit_in_a_missed_sentiment_target():
    import baseline_card

    tab = {1: Counter(positive=70, neutral=20, negative=10), 0: Counter(negative=95, positive=5)}
    audit_json = {"split": "test", "corpora": {"hotel": {"annotated": {"0": dict(tab[0]), "1": dict(tab[1])},
                                                         **audit.agreement_estimate(tab, 0.6)}}}
    card = {"evaluation": {"decisions": {}}}
    with_audit = baseline_card.gaps_markdown(card, ["sentiment, hotel"], audit_json)
    assert "estimated 8.0% of the test split, and 12.0% read neutral" in with_audit
    assert "rates from the 200 reviews" in with_audit and "about 0.860 (at most 0.920" in with_audit
    # no audit (a user's clone, or another corpus): the line stands without it
    assert "estimated" not in baseline_card.gaps_markdown(card, ["sentiment, hotel"])
    assert "estimated" not in baseline_card.gaps_markdown(card, ["sentiment, food delivery"], audit_json)
