"""Shared fixtures: the shipped model, a tiny model trained in the test, ../shared/data."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/ helpers such as tiny_model

#: Critical at the shipped model's points (illness and a regulator threat): moving a point shows.
CRITICAL_TEXT = "吃了外卖全家食物中毒，我要打12315"
#: Operating points under which records of channel ``order_review`` are never critical.
NEVER_CRITICAL_REVIEWS = {"severity.critical@order_review": 1, "severity.critical_unsignalled@order_review": 1}
#: The same as ``feedback-nlp --threshold`` options.
NEVER_CRITICAL_REVIEWS_ARGS = [x for k, v in NEVER_CRITICAL_REVIEWS.items() for x in ("--threshold", f"{k}={v}")]


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (or $FEEDBACK_NLP_DATA); skips where a clone has no shared data."""
    from feedback_nlp.labelled_data import shared_data_dir

    d = shared_data_dir()
    if not (d / "annotations" / "test.jsonl").is_file():
        pytest.skip(f"needs the shared data folder ({d} not found; set FEEDBACK_NLP_DATA)")
    return d


@pytest.fixture(scope="session")
def analyzer():
    """The shipped default model."""
    from feedback_nlp import FeedbackAnalyzer

    return FeedbackAnalyzer.load()
