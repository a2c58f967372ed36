"""benchmarks/no_problem_clusters.py: the fillers of a review feed cluster only with drop_no_problem off."""
from __future__ import annotations

import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import no_problem_clusters  # noqa: E402

REVIEWS = ["送餐太慢了，等了两个小时才送到", "外卖送得太慢，饭都凉了", "下单一个半小时才送到，太慢了", "送餐超时一个多小时，饿死了",
           "房间很脏，床单上有污渍", "酒店房间卫生太差，地上都是头发", "房间不干净，床单有头发", "卫生间很脏，马桶有污渍"]


def test_fillers_are_clustered_only_when_records_naming_no_problem_are_kept(analyzer):
    fillers = no_problem_clusters.FILLERS
    texts = REVIEWS + [fillers[i % len(fillers)] for i in range(15)]
    out = no_problem_clusters.compare(texts, fillers, analyzer, min_size=3, seed=0)
    assert out[False]["fillers_clustered"] >= 12 and out[True]["fillers_clustered"] == 0
    assert out[True]["eligible"] == len(REVIEWS) and out[True]["clusters"] >= 1
