"""feedback_nlp.floods: copies marked flood over a batch or a stream (the shipped model's results)."""
from __future__ import annotations

import pytest


def test_flood_marking_keeps_the_not_chinese_review_reason(analyzer):
    from feedback_nlp.text import NOT_CHINESE_REASON

    results = analyzer.analyze_batch(["great seller, fast shipping, thanks a lot"] * 4, detect_floods=True)
    marked = [r for r in results if r.spam_type == "flood"]
    assert marked and all(r.needs_review and NOT_CHINESE_REASON in r.severity_reasons for r in marked)


def test_flood_marks_in_a_stream_do_not_depend_on_the_batches(analyzer):
    from feedback_nlp.floods import FloodMarker

    texts = ["好评，质量不错，物流也快，推荐购买"] * 5

    def marks(cut):
        marker, out = FloodMarker(3, stream=True), []
        for start in range(0, len(texts), cut):
            results = analyzer.analyze_batch(texts[start:start + cut])
            marker.mark(texts[start:start + cut], results)
            out += [r.spam_type == "flood" for r in results]
        return out

    assert marks(1) == marks(2) == marks(5) == [False, False, True, True, True]
    # one batch as a whole (analyze_batch(detect_floods=True)) marks every copy
    assert all(r.spam_type == "flood" for r in analyzer.analyze_batch(texts, detect_floods=True))
    for bad in (1, 0, -1, 2.5, True):
        with pytest.raises(ValueError, match="at least 2"):
            FloodMarker(bad)
    with pytest.raises(ValueError, match="at least 2"):
        analyzer.analyze_batch(texts, detect_floods=True, flood_min_group=1)
