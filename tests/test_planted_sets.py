"""benchmarks/planted_sets.py: the three kinds of planted sets stay apart, so none is chosen on what is reported."""
from __future__ import annotations

import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import planted_sets  # noqa: E402

from feedback_nlp.text import normalize  # noqa: E402


def test_every_set_has_twenty_distinct_texts_and_no_text_is_in_two_kinds():
    kinds = {"reported": planted_sets.reported(), "selection": dict(planted_sets.SELECTION),
             "holdout": planted_sets.holdout(), "new": planted_sets.new_problems(),
             "selection_new": dict(planted_sets.SELECTION_NEW), "new2": dict(planted_sets.NEW2),
             "new3": dict(planted_sets.NEW3), "new4": dict(planted_sets.NEW4),
             "new5": dict(planted_sets.NEW5), "new6": dict(planted_sets.NEW6),
             "new7": dict(planted_sets.NEW7), "new8": dict(planted_sets.NEW8),
             "new9": dict(planted_sets.NEW9), "new10": dict(planted_sets.NEW10),
             "new11": dict(planted_sets.NEW11), "new12": dict(planted_sets.NEW12),
             "new13": dict(planted_sets.NEW13), "new14": dict(planted_sets.NEW14)}
    seen: dict[str, str] = {}
    for kind, sets in kinds.items():
        six = ("new3", "new4", "new5", "new6", "new7", "new8", "new9", "new10", "new11", "new12",
               "new13", "new14")
        assert len(sets) == (6 if kind in six else 3), kind
        for name, texts in sets.items():
            norms = [normalize(t) for t in texts]
            assert len(texts) == 20 and len(set(norms)) == 20, (kind, name)
            for n in norms:
                assert seen.setdefault(n, kind) == kind, (n, kind, seen[n])


def test_best_cluster_and_where_the_rest_went():
    labels = [0, 0, None, 1, 1, 1, None, 0]
    planted = range(3, 8)  # texts 3..7: three in cluster 1, one unclustered, one in cluster 0
    assert planted_sets.best_cluster(labels, planted) == (3, 3)
    assert planted_sets.planted_elsewhere(labels, planted) == {"unclustered": 1, "in_other_clusters": 1}
    assert planted_sets.planted_elsewhere([None] * 4, range(4)) == {"unclustered": 4, "in_other_clusters": 0}
