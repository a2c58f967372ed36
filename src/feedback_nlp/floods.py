"""Copy-paste floods across the records of a batch or a stream: the near-duplicate groups of
:mod:`feedback_nlp.dedup` turned into spam type ``flood`` on the results (``detect_floods``,
``feedback-nlp score --detect-floods``)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .result import FeedbackResult
from .text import NOT_CHINESE_REASON


class FloodMarker:
    """Marks posts repeated across records as spam type ``flood`` (rule in
    :meth:`~feedback_nlp.pipeline.FeedbackAnalyzer.analyze_batch`), over one batch or a stream of batches.

    The near-duplicate index persists across :meth:`mark` calls, so a stream of
    millions of rows is checked as a whole (memory: a few dozen bytes per row).
    ``stream=False`` (one batch): every member of a group of ``min_group`` or more is
    marked. ``stream=True`` (``feedback-nlp score``, batch after batch): a record is marked
    when its group, counting the records before it and itself, has ``min_group`` members;
    the first copies, already written, stay unmarked, and the output does not depend on
    how the stream is cut into batches.
    """

    def __init__(self, min_group: int = 3, stream: bool = False):
        from .dedup import NearDuplicateIndex

        if isinstance(min_group, bool) or not isinstance(min_group, (int, np.integer)) or min_group < 2:
            raise ValueError(f"flood_min_group must be an integer of at least 2 (a flood is a repeated post), "
                             f"got {min_group!r}")
        self.min_group, self.stream = int(min_group), stream
        self.index = NearDuplicateIndex()

    def mark(self, texts: Sequence[str], results: Sequence[FeedbackResult]) -> int:
        """Index ``texts`` and mark their ``results`` in place; return how many were marked."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        if self.stream:
            counted = self.index.add_many_counting(texts)
        else:
            counted = [(item, None) for item in self.index.add_many(texts)]
        marked = 0
        for (item, seen), r in zip(counted, results):
            size = self.index.group_size(item) if seen is None else seen
            if size < self.min_group or r.is_spam or r.issue_types or r.severity != "low":
                continue
            r.is_spam, r.spam_type = True, "flood"
            r.issue_types, r.primary_issue, r.route = [], None, None
            kept = [x for x in r.severity_reasons if x == NOT_CHINESE_REASON]  # why it is still in review
            r.severity_reasons = ["spam", f"flood: one of {int(size)} near-identical posts", *kept]
            marked += 1
        return marked
