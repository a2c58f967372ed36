"""Shared fixtures: the shipped model, a tiny model trained in the test, ../shared/data."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/ helpers such as tiny_model


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
