"""training/train_baseline.py: figures the model card computes from pipeline results."""
from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))

import train_baseline as tb  # noqa: E402


class Scripted:
    """An analyzer whose result for a text is written in the text: spam if it holds "S", sent to
    review if it holds "R"."""

    def analyze_batch(self, texts, batch_size=1024):
        return [SimpleNamespace(is_spam="S" in t, needs_review="R" in t) for t in texts]


def test_complaint_flag_rate_counts_the_complaints_discarded_unseen():
    corp = {"shopping": {"dev": [{"text": "S1", "label": 0}, {"text": "SR2", "label": 0}, {"text": "3", "label": 0},
                                 {"text": "S4", "label": 1}, {"text": "S5", "label": 0, "cat": "蒙牛"}]}}
    ann = {"dev": [{"text": "S6", "is_spam": False, "sentiment": "negative"},
                   {"text": "S7", "is_spam": True, "sentiment": "negative"},
                   {"text": "S8", "is_spam": False, "sentiment": "positive"}]}
    got = tb.complaint_flag_rate(Scripted(), corp, ann, "dev")
    # complaints: S1, SR2, 3 (negative reviews, 蒙牛 left out) and S6 (a non-spam negative annotation)
    assert (got["n_complaints"], got["flagged"], got["flagged_not_reviewed"]) == (4, 3, 2)
    assert (got["rate"], got["rate_not_reviewed"]) == (0.75, 0.5)
    assert got["rate_with_weibo_posts"] == 0.8  # S5 counted beside
