"""Encoding in forked processes (feedback_nlp.encoders.processes): the same rows, in order."""
from __future__ import annotations

import multiprocessing
import os
import signal

import numpy as np
import pytest

from feedback_nlp.cluster import ProblemClusterer
from feedback_nlp.encoders import ConcatEncoder, Encoder, NgramEncoder, base, get_encoder, processes
from feedback_nlp.encoders.processes import fit_encode, resolve_n_jobs
from feedback_nlp.text import normalize

needs_fork = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="encoding in processes needs the fork start method")


class CountingEncoder(Encoder):
    """Per-text rows from the characters' code points; counts the texts encoded in *this* process."""

    name, dim = "counting", 8

    def __init__(self, per_text: bool = True):
        self.per_text, self.encoded = per_text, 0

    def _encode(self, norms):
        self.encoded += len(norms)
        return np.array([[(ord(c) % 97) + 1.0 for c in (s * 8)[:8]] for s in norms], dtype=np.float32)


# Distinct texts, so that rows out of order cannot go unnoticed.
TEXTS = [f"第{i}单快递{'慢' * (i % 5)}到货{i * 7}" for i in range(60)]
NORMS = [normalize(t) for t in TEXTS]


@pytest.fixture
def small_jobs(monkeypatch):
    """Fork even for the few texts of a test (the shipped floor keeps small inputs in one process)."""
    monkeypatch.setattr(processes, "MIN_TEXTS_PER_JOB", 10)
    monkeypatch.setattr(base, "ENCODE_BLOCK", 8)


@needs_fork
def test_per_text_encoder_is_encoded_in_workers_and_rows_come_back_in_order(small_jobs):
    enc = CountingEncoder()
    X = fit_encode(enc, NORMS, n_jobs=3)
    assert enc.encoded == 1  # a warm-up text here; every slice was encoded in a worker
    np.testing.assert_array_equal(X, CountingEncoder().fit_encode(NORMS, normalized=True))


class BatchEncoder(Encoder):
    """Each row: the size of the ``_encode`` call that encoded it and the BLAS threads it ran with."""

    name, dim, per_text = "batch", 3, True

    def _encode(self, norms):
        from threadpoolctl import threadpool_info

        threads = max([p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"], default=1)
        return np.tile(np.array([len(norms), threads, 1.0], dtype=np.float32), (len(norms), 1))


@needs_fork
@pytest.mark.parametrize("n_jobs", [1, 2, 3])
def test_every_process_encodes_the_same_aligned_blocks_in_one_blas_thread(small_jobs, n_jobs):
    """What makes the rows the same to the bit: the same batches, the same BLAS threads."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(2):  # the caller may allow more
        X = fit_encode(BatchEncoder(), NORMS, n_jobs=n_jobs)
    sizes, threads = np.round(X[:, :2] / X[:, 2:]).astype(int).T  # unit rows: divide by the constant 1
    assert sizes.tolist() == [8] * 56 + [4] * 4 and set(threads) == {1}


@needs_fork
def test_parts_that_learn_fit_in_the_parent_and_the_join_equals_one_process(small_jobs):
    fixed, ngram = CountingEncoder(), NgramEncoder(seed=0, min_df=1, dim=4)
    mix = ConcatEncoder([(fixed, 0.6), (ngram, 0.4)])
    X = fit_encode(mix, NORMS, n_jobs=2)
    assert fixed.encoded == 1 and ngram.vectorizer.vocabulary_  # the sketch was fitted here, usable for predict
    serial = ConcatEncoder([(CountingEncoder(), 0.6), (NgramEncoder(seed=0, min_df=1, dim=4), 0.4)])
    np.testing.assert_array_equal(X, serial.fit_encode(NORMS, normalized=True))


@needs_fork
def test_shipped_semantic_encoder_gives_the_same_rows_in_two_processes(small_jobs):
    enc = get_encoder("semantic")
    assert enc.per_text and not get_encoder("ngram").per_text and not get_encoder("semantic+ngram").per_text
    np.testing.assert_array_equal(fit_encode(enc, NORMS, n_jobs=2), enc.fit_encode(NORMS, normalized=True))


class DyingEncoder(CountingEncoder):
    """Dies in a worker as a process killed for memory would; raises in another."""

    def __init__(self, how: str):
        super().__init__()
        self.how, self.parent = how, os.getpid()

    def _encode(self, norms):
        if os.getpid() != self.parent:
            if self.how == "exit":
                os._exit(1)
            raise RuntimeError("encoder failed in a worker")
        return super()._encode(norms)


@needs_fork
def test_a_worker_that_fails_or_dies_raises_in_the_parent(small_jobs):
    from concurrent.futures.process import BrokenProcessPool

    def waited_too_long(*_):
        raise TimeoutError("the parent was left waiting for a dead worker's rows")

    previous = signal.signal(signal.SIGALRM, waited_too_long)  # a hang would stall the suite: fail instead
    signal.alarm(60)
    try:
        with pytest.raises(RuntimeError, match="encoder failed in a worker"):
            fit_encode(DyingEncoder("raise"), NORMS, n_jobs=2)
        with pytest.raises(BrokenProcessPool):
            fit_encode(DyingEncoder("exit"), NORMS, n_jobs=2)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_stays_in_one_process_when_forking_cannot_help(monkeypatch):
    not_per_text = CountingEncoder(per_text=False)
    fit_encode(not_per_text, NORMS, n_jobs=2)
    assert not_per_text.encoded == len(NORMS)
    few = CountingEncoder()
    fit_encode(few, NORMS, n_jobs=2)  # 60 texts: under MIN_TEXTS_PER_JOB per worker
    assert few.encoded == len(NORMS)
    monkeypatch.setattr(processes, "MIN_TEXTS_PER_JOB", 10)
    monkeypatch.setattr(base, "ENCODE_BLOCK", 8)
    monkeypatch.setattr(processes.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    no_fork = CountingEncoder()
    np.testing.assert_array_equal(fit_encode(no_fork, NORMS, n_jobs=2), CountingEncoder().encode(NORMS))
    assert no_fork.encoded == len(NORMS)


def test_n_jobs_follows_scikit_learn_and_rejects_the_rest():
    assert resolve_n_jobs(None) == 1 and resolve_n_jobs(1) == 1 and resolve_n_jobs(3) == 3
    assert resolve_n_jobs(-1) == processes.available_cpus() and resolve_n_jobs(np.int64(2)) == 2
    assert 1 <= processes.available_cpus() <= (os.cpu_count() or 1)
    for bad in (0, -2, 1.5, True, "2"):
        with pytest.raises(ValueError, match="n_jobs"):
            resolve_n_jobs(bad)


@needs_fork
def test_clusterer_n_jobs_gives_the_same_clusters(small_jobs):
    texts = ["充电器用一会儿就发烫", "充电器烫得不敢摸", "充电的时候充电器特别烫"] * 8 + \
            ["快递三天了还没到", "物流太慢等了一周", "快递一直不更新物流"] * 8
    one = ProblemClusterer(min_size=3).fit(texts)
    two = ProblemClusterer(min_size=3, n_jobs=2).fit(texts)
    assert two.labels_ == one.labels_ and len(set(one.labels_) - {None}) >= 2
    np.testing.assert_array_equal(two.centroids_, one.centroids_)  # to the bit: the same blocks, one BLAS thread
    counting = CountingEncoder()
    ProblemClusterer(min_size=3, encoder=counting, n_jobs=2).fit(texts)
    assert counting.encoded == 1  # the clusterer handed the encoding to the workers
    with pytest.raises(ValueError, match="n_jobs"):
        ProblemClusterer(n_jobs=0).fit(texts)


@needs_fork
def test_new_texts_encode_in_workers_with_the_fitted_sketch_here(small_jobs):
    """``predict``'s path: a fitted mix encodes new texts; per-text parts in workers, the sketch's
    transform in the parent, the same bits as one process."""
    fixed, ngram = CountingEncoder(), NgramEncoder(seed=0, min_df=1, dim=4)
    mix = ConcatEncoder([(fixed, 0.6), (ngram, 0.4)])
    mix.fit_encode(NORMS[:30], normalized=True)
    vocab = dict(ngram.vectorizer.vocabulary_)
    fixed.encoded = 0
    X = processes.encode(mix, NORMS, n_jobs=2)
    assert fixed.encoded == 1 and ngram.vectorizer.vocabulary_ == vocab  # workers encoded; nothing refitted
    np.testing.assert_array_equal(X, mix.encode(NORMS, normalized=True))


@needs_fork
def test_clusterer_predict_in_processes_and_its_bad_texts(small_jobs, monkeypatch):
    from feedback_nlp.cluster import clusterer

    seen = []
    real = clusterer.encode_new_in_processes
    monkeypatch.setattr(clusterer, "encode_new_in_processes", lambda enc, norms, n_jobs: seen.append(n_jobs)
                        or real(enc, norms, n_jobs))
    texts = ["充电器用一会儿就发烫", "充电器烫得不敢摸", "快递三天了还没到", "物流太慢等了一周"] * 8
    cl = ProblemClusterer(min_size=3, encoder="semantic+ngram", n_jobs=2).fit(texts)
    new = [f"{t}，第{i}次" for i, t in enumerate(texts * 2)]
    assert cl.predict(new) == ProblemClusterer(min_size=3, encoder="semantic+ngram").fit(texts).predict(new)
    assert seen == [2, 1] and len(set(cl.predict(new)) - {None}) >= 2
    with pytest.raises(TypeError, match="index 2"):
        cl.predict(["好", "差", None])
