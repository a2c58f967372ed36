"""feedback_nlp.parallel: ordered, bounded analysis of batches in worker processes."""
from __future__ import annotations

import functools
import multiprocessing

import pytest

from conftest import CRITICAL_TEXT, NEVER_CRITICAL_REVIEWS
from feedback_nlp import FeedbackAnalyzer
from feedback_nlp import parallel
from feedback_nlp.parallel import ParallelAnalyzer, analyze_in_processes
from tiny_model import build_tiny_model

TEXTS = ["快递十天都没到，客服也不回消息", "质量很好，下次还来", "颜色和图片不一样", "", "加微信 abc12345 兼职刷单",
         "吃了你们家的外卖全家食物中毒"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> str:
    return str(build_tiny_model(tmp_path_factory.mktemp("tiny") / "m"))


@pytest.fixture(scope="module")
def tiny(model_dir) -> FeedbackAnalyzer:
    return FeedbackAnalyzer.load(model_dir)


def _batches(n_batches: int, size: int = 5):
    for b in range(n_batches):
        texts = [TEXTS[(b * size + i) % len(TEXTS)] + "！" * b for i in range(size)]
        yield texts, [f"{b}-{i}" for i in range(size)]


def _dicts(pairs):
    return [[r.to_dict() for r in results] for _, results in pairs]


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this platform")
def test_forked_workers_keep_order_and_results(tiny):
    expected = _dicts(ParallelAnalyzer(tiny, workers=1).map(_batches(12)))
    with ParallelAnalyzer(tiny, workers=2, window=3) as pa:
        got = list(pa.map(_batches(12)))
    assert [b for b, _ in got] == list(_batches(12))  # each batch comes back with its own results
    assert _dicts(got) == expected
    assert [r["id"] for batch in expected for r in batch] == [i for _, ids in _batches(12) for i in ids]


def test_spawned_workers_load_once_with_the_loader(tiny, model_dir):
    loader = functools.partial(FeedbackAnalyzer.load, model_dir)
    with ParallelAnalyzer(workers=2, loader=loader) as pa:  # no analyzer object: workers are spawned
        got = _dicts(pa.map(_batches(4)))
    assert got == _dicts(ParallelAnalyzer(tiny).map(_batches(4)))


def test_at_most_window_batches_in_flight(tiny):
    read = []

    def batches():
        for b in _batches(20):
            read.append(b)
            yield b

    with ParallelAnalyzer(tiny, workers=2, window=3) as pa:
        for k, _ in enumerate(pa.map(batches()), 1):
            assert len(read) - k < 3  # memory stays flat: the input is not read ahead


def test_a_failing_input_still_yields_the_batches_before_it(tiny):
    def batches():
        yield from _batches(5)
        raise OSError("disk gone")

    out = []
    with ParallelAnalyzer(tiny, workers=2, window=10) as pa, pytest.raises(OSError, match="disk gone"):
        for pair in pa.map(batches()):
            out.append(pair)
    assert len(out) == 5


def test_bad_arguments(tiny):
    with pytest.raises(ValueError):
        ParallelAnalyzer(tiny, workers=0)
    with pytest.raises(ValueError):
        ParallelAnalyzer(workers=2)



@pytest.mark.parametrize("workers", [1, 2])
def test_a_key_with_channels_passes_them_to_the_analyzer(workers):
    """``key`` may give ``(texts, ids, channels)``; the channels reach analyze_batch, in workers too."""
    text = CRITICAL_TEXT
    fa = FeedbackAnalyzer.load(thresholds=NEVER_CRITICAL_REVIEWS)
    batches = [([text, text], [1, 2], ["order_review", None]), ([text], [3], [None])]
    with ParallelAnalyzer(fa, workers=workers) as pa:
        got = [r for _, results in pa.map(batches, key=tuple) for r in results]
    assert [(r.id, r.severity) for r in got] == [(1, "high"), (2, "critical"), (3, "critical")]


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this platform")
def test_analyze_in_processes_equals_analyze_batch_floods_and_channels_included(monkeypatch):
    monkeypatch.setattr(parallel, "TEXTS_PER_BATCH", 4)  # 30 texts: 8 batches over 2 workers
    fa = FeedbackAnalyzer.load(thresholds=NEVER_CRITICAL_REVIEWS)
    copied = "质量很好，下次还来，推荐大家购买"  # praise copied across batches: flood spam
    texts = [CRITICAL_TEXT, copied, *TEXTS] * 3 + [copied] * 6
    channels = ["order_review" if i in (8, 9) else None for i in range(len(texts))]
    expected = fa.analyze_batch(texts, channels=channels, detect_floods=True)
    here = []  # texts analysed in this process (a worker's calls append to its own copy)
    real = fa.analyze_batch
    monkeypatch.setattr(fa, "analyze_batch", lambda batch, **kw: here.append(len(batch)) or real(batch, **kw))
    got = analyze_in_processes(fa, texts, channels=channels, workers=2, detect_floods=True)
    assert here == [1]  # the pool's warm-up text only: the batches went to the workers
    assert [r.to_dict() for r in got] == [r.to_dict() for r in expected]
    assert sum(r.spam_type == "flood" for r in got) >= 9 and got[0].severity == got[16].severity == "critical"
    assert got[8].severity == "high"  # CRITICAL_TEXT again, as an order_review record: its channel's points
    assert analyze_in_processes(fa, texts, workers=2)[1].spam_type != "flood"  # no flood marking unless asked
    with pytest.raises(TypeError, match="text at index 7 must be str"):
        analyze_in_processes(fa, texts[:7] + [None] + texts[8:], workers=2)
    with pytest.raises(ValueError, match="30 texts, 2 ids"):
        analyze_in_processes(fa, texts, ids=[1, 2], workers=2)


def test_analyze_in_processes_stays_here_without_fork_or_for_one_batch(monkeypatch, tiny):
    here = []
    real = tiny.analyze_batch
    monkeypatch.setattr(tiny, "analyze_batch", lambda batch, **kw: here.append(len(batch)) or real(batch, **kw))
    assert len(analyze_in_processes(tiny, TEXTS * 2, workers=2)) == 12  # one batch of TEXTS_PER_BATCH
    monkeypatch.setattr(parallel, "TEXTS_PER_BATCH", 4)
    monkeypatch.setattr(parallel.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert len(analyze_in_processes(tiny, TEXTS * 2, workers=2)) == 12
    assert here == [12, 12]

