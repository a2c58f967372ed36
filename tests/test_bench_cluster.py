"""benchmarks/bench_cluster.py: the same-problem purity read from the readers' file."""
from __future__ import annotations

import hashlib
import json
import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import bench_cluster  # noqa: E402


def _sha(t: str) -> str:
    return hashlib.sha1(t.encode("utf-8")).hexdigest()


def test_same_problem_purity_counts_reviews_both_readers_read_as_the_problem(tmp_path, monkeypatch):
    texts = ["bg same", "bg other", "bg unread", "p1", "p2", "p3", "bg elsewhere"]
    labels = [0, 0, 0, 0, 0, 1, 2]
    planted = range(3, 6)
    reads = {"sets": {"s": {"problem": "x", "same": [_sha("bg same"), _sha("bg elsewhere")],
                            "other": [_sha("bg other")]}}}
    path = tmp_path / "reads.json"
    path.write_text(json.dumps(reads), encoding="utf-8")
    monkeypatch.setattr(bench_cluster, "SAME_PROBLEM_READS", path)
    # best cluster 0: 2 planted + 3 background, of which one read as the problem, one unread
    assert bench_cluster.same_problem_purity("s", texts, labels, planted) == {
        "same_problem_purity": 0.6, "same_problem_background": 1, "unread": 1}
    assert bench_cluster.same_problem_purity("unknown set", texts, labels, planted) is None


def test_the_shipped_readings_name_texts_by_hash_only():
    reads = json.loads(bench_cluster.SAME_PROBLEM_READS.read_text(encoding="utf-8"))
    assert "two readers" in reads["about"]
    for s in reads["sets"].values():
        assert all(len(h) == 40 and int(h, 16) >= 0 for h in s["same"] + s["other"])
        assert not set(s["same"]) & set(s["other"])


def test_a_candidate_directory_joins_the_default_mix(tmp_path):
    from test_encoders import tiny_table

    from feedback_nlp.encoders import SEMANTIC_NGRAM, NgramEncoder, TableEncoder

    d = tiny_table().save_pretrained(tmp_path / "candidate")
    enc = bench_cluster.make_encoder(f"{d}+ngram", tmp_path)
    table, sketch = enc.parts
    assert isinstance(table, TableEncoder) and table.name == "tiny" and isinstance(sketch, NgramEncoder)
    assert list(enc.weights) == [1 - SEMANTIC_NGRAM[1], SEMANTIC_NGRAM[1]]
    assert enc.default_threshold == SEMANTIC_NGRAM[2] and enc.name == f"{d}+ngram"


def test_mean_pairwise_cosine_counts_each_pair_once_and_no_text_with_itself():
    import numpy as np

    import planted_cohesion

    P = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0]])  # cosines 1, 0, 0 over the three pairs
    assert abs(planted_cohesion.mean_pairwise_cosine(P) - 1 / 3) < 1e-9
    assert abs(planted_cohesion.mean_pairwise_cosine(P[:2]) - 1.0) < 1e-9
