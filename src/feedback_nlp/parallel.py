"""Analysis of a stream of batches in worker processes, results in input order.

:class:`ParallelAnalyzer` runs :meth:`FeedbackAnalyzer.analyze_batch` on each batch
in one of ``workers`` processes (analysis is CPU-bound Python, so threads would
not help) and yields the results batch by batch in the order the batches came.
At most ``window`` batches are in flight, so memory stays flat on inputs of any
length (``multiprocessing.Pool.imap`` would read the whole input ahead).

Each worker holds one analyzer, set up once: with the ``fork`` start method
(Linux) it inherits the parent's loaded analyzer at no cost; elsewhere it calls
``loader()`` once. Batches and results travel by pickle; anything that must see
the whole stream in order (flood marking) stays in the parent.
"""
from __future__ import annotations

import dataclasses
import multiprocessing
import operator
import signal
from collections import deque
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence, TypeVar

from .result import FeedbackResult
from .text import require_texts

__all__ = ["ParallelAnalyzer", "analyze_in_processes", "TEXTS_PER_BATCH"]

#: Texts per batch sent to a worker by :func:`analyze_in_processes` (fewer in all: one process).
TEXTS_PER_BATCH = 4096

# Results travel as tuples of FeedbackResult's fields: they unpickle about 4x faster
# than dataclass instances, and unpickling happens in the parent, the busiest process.
_FIELDS = tuple(f.name for f in dataclasses.fields(FeedbackResult) if f.init)
_as_tuple = operator.attrgetter(*_FIELDS)

B = TypeVar("B")

# The analyzer of *this worker process*, set once by _init_worker (process-local by
# construction: each worker is its own process).
_worker_analyzer = None


def _init_worker(analyzer, loader) -> None:
    global _worker_analyzer
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _worker_analyzer = analyzer if analyzer is not None else loader()


def _analyze(texts: Sequence[str], ids: Sequence[Any], batch_size: int, channels=None) -> list[tuple]:
    return [_as_tuple(r) for r in _worker_analyzer.analyze_batch(texts, ids=ids, batch_size=batch_size,
                                                                 channels=channels)]


def _results(fut) -> list[FeedbackResult]:
    return [FeedbackResult(*t) for t in fut.result()]


def _batch_as_given(batch):
    return tuple(batch)


def _with_channels(key_value: tuple) -> tuple:
    """``(texts, ids, channels or None)`` from what a ``key`` gives."""
    return (*key_value, None) if len(key_value) == 2 else tuple(key_value)


class ParallelAnalyzer:
    """Ordered, memory-bounded analysis of batches; a context manager.

    Parameters
    ----------
    analyzer : FeedbackAnalyzer
        Used as is with ``workers=1`` and inherited by forked workers.
    workers : int
        Worker processes; 1 analyses in this process (no pool).
    loader : callable, optional
        Zero-argument function returning an analyzer, called once per worker where
        processes are spawned rather than forked (it must be picklable, e.g. a
        ``functools.partial`` of a module-level function).
    window : int, optional
        Batches in flight at most (default ``2 * workers``).
    batch_size : int
        Passed to ``analyze_batch``.
    """

    def __init__(self, analyzer=None, workers: int = 1, loader: Optional[Callable[[], Any]] = None,
                 window: Optional[int] = None, batch_size: int = 256):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if analyzer is None and loader is None:
            raise ValueError("give an analyzer or a loader")
        self.analyzer, self.workers, self.loader = analyzer, int(workers), loader
        self.window = max(1, int(window)) if window else 2 * self.workers
        self.batch_size = batch_size
        self._pool = None

    def _start(self):
        from concurrent.futures import ProcessPoolExecutor

        if "fork" in multiprocessing.get_all_start_methods() and self.analyzer is not None:
            # One call builds the analyzer's lazy tables (featuriser keys, OpenCC) here,
            # so the forked workers inherit them instead of each building its own.
            self.analyzer.analyze_batch(["预热"])
            ctx, initargs = multiprocessing.get_context("fork"), (self.analyzer, None)
        else:
            if self.loader is None:
                raise ValueError("workers are spawned on this platform: give a picklable loader")
            ctx, initargs = multiprocessing.get_context("spawn"), (None, self.loader)
        self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_init_worker, initargs=initargs)
        return self._pool

    def map(self, batches: Iterable[B],
            key: Callable[[B], tuple] = _batch_as_given) -> Iterator[tuple[B, list]]:
        """``(batch, results)`` for each batch, in input order.

        ``key(batch)`` gives the batch's ``(texts, ids)`` or ``(texts, ids, channels)``
        (default: the batch is that tuple). A worker's exception is raised here, at its
        batch; a worker that dies raises ``concurrent.futures.process.BrokenProcessPool``.
        """
        if self.workers == 1:
            fa = self.analyzer if self.analyzer is not None else self.loader()
            for batch in batches:
                texts, ids, channels = _with_channels(key(batch))
                yield batch, fa.analyze_batch(texts, ids=ids, batch_size=self.batch_size, channels=channels)
            return
        pool = self._pool or self._start()
        pending: deque = deque()
        it = iter(batches)
        while True:
            try:
                batch = next(it)
            except StopIteration:
                break
            except Exception:  # the input failed: hand out what was read before it, then fail
                while pending:
                    b, fut = pending.popleft()
                    yield b, _results(fut)
                raise
            texts, ids, channels = _with_channels(key(batch))
            pending.append((batch, pool.submit(_analyze, list(texts), list(ids), self.batch_size,
                                               None if channels is None else list(channels))))
            if len(pending) >= self.window:
                b, fut = pending.popleft()
                yield b, _results(fut)
        while pending:
            b, fut = pending.popleft()
            yield b, _results(fut)

    def close(self) -> None:
        """Stop the workers (batches not yet started are cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> "ParallelAnalyzer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def analyze_in_processes(analyzer, texts: Sequence[str], ids: Optional[Sequence[Any]] = None,
                         channels: Optional[Sequence[Optional[str]]] = None, workers: int = 1,
                         detect_floods: bool = False, flood_min_group: int = 3) -> list[FeedbackResult]:
    """``analyzer.analyze_batch(texts, ids=, channels=, detect_floods=)`` with batches of
    :data:`TEXTS_PER_BATCH` texts analysed in up to ``workers`` forked processes: the same results,
    in order. Flood marking needs the whole input, so it runs here afterwards. Without the fork
    start method, or for one batch, everything runs in this process."""
    texts = list(texts)
    ids = list(range(1, len(texts) + 1)) if ids is None else list(ids)
    channels = [None] * len(texts) if channels is None else list(channels)
    if not len(texts) == len(ids) == len(channels):
        raise ValueError(f"{len(texts)} texts, {len(ids)} ids and {len(channels)} channels")
    workers = min(int(workers), -(-len(texts) // TEXTS_PER_BATCH))
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return analyzer.analyze_batch(texts, ids=ids, channels=channels, detect_floods=detect_floods,
                                      flood_min_group=flood_min_group)
    require_texts(texts)  # here, where the position is the caller's (a worker sees its batch's)
    batches = ((texts[s:s + TEXTS_PER_BATCH], ids[s:s + TEXTS_PER_BATCH], channels[s:s + TEXTS_PER_BATCH])
               for s in range(0, len(texts), TEXTS_PER_BATCH))
    out: list[FeedbackResult] = []
    with ParallelAnalyzer(analyzer, workers=workers) as pool:
        for _, results in pool.map(batches):
            out.extend(results)
    if detect_floods:
        from .floods import FloodMarker

        FloodMarker(flood_min_group).mark(texts, out)  # checks flood_min_group
    return out
