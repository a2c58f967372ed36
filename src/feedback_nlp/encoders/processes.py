"""Encoding the texts to be clustered in worker processes: the same array, sooner.

Why: the shipped encoders spend their time in single-threaded Python and numpy loops (jieba,
token counting, gathers); clustering 100k texts waits on them. An encoder whose ``per_text`` is
True gives each text a row that depends on that text alone, so contiguous slices encoded in
forked processes and stacked are the same array, to the bit: the slices are whole blocks of
``base.ENCODE_BLOCK`` texts, the blocks one process encodes too, in one BLAS thread (matrix
products round their last bit by batch shape and thread count, and clusterings amplify that).
Parts that learn from the texts they encode (the n-gram sketch) fit in the parent meanwhile.

Needs the ``fork`` start method (Linux): the workers inherit the loaded encoder and the texts,
and only the rows travel back. Elsewhere, with ``n_jobs=1``, or for small inputs, everything
runs in the parent. A worker's exception is raised in the parent; a worker that dies (killed for
memory) raises ``concurrent.futures.process.BrokenProcessPool`` rather than leaving the parent
waiting for rows that never come (what ``multiprocessing.Pool`` would do).
"""
from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from typing import Optional, Sequence

import numpy as np

from . import base
from .base import Encoder
from .concat import ConcatEncoder

__all__ = ["available_cpus", "encode", "fit_encode", "resolve_n_jobs", "MIN_TEXTS_PER_JOB"]

#: Fewer texts than this per worker are encoded in the parent (starting processes costs more).
MIN_TEXTS_PER_JOB = 2000

# The parts and texts of *this worker process*, set once by _init_worker (each worker is its own
# process, forked from the parent that holds them).
_worker_parts: Sequence[Encoder] = ()
_worker_norms: Sequence[str] = ()


def available_cpus() -> int:
    """CPUs this process may run on: its affinity mask where the OS keeps one (a container's cpuset),
    else every CPU of the machine."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS, Windows
        return os.cpu_count() or 1


def resolve_n_jobs(n_jobs: Optional[int]) -> int:
    """``n_jobs`` as a count of processes: None is 1, -1 is every CPU this process may use
    (scikit-learn's convention)."""
    if n_jobs is None:
        return 1
    if not isinstance(n_jobs, (int, np.integer)) or isinstance(n_jobs, bool) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be a positive int, -1 (every CPU) or None, got {n_jobs!r}")
    return available_cpus() if n_jobs == -1 else int(n_jobs)


def _init_worker(parts: Sequence[Encoder], norms: Sequence[str]) -> None:
    global _worker_parts, _worker_norms
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _worker_parts, _worker_norms = parts, norms


def _encode_slice(part: int, start: int, stop: int) -> np.ndarray:
    return _worker_parts[part].encode(_worker_norms[start:stop], normalized=True)


def fit_encode(encoder: Encoder, norms: Sequence[str], n_jobs: Optional[int] = 1) -> np.ndarray:
    """``encoder.fit_encode(norms, normalized=True)``, its per-text parts encoded in ``n_jobs``
    forked processes (see the module docstring). ``norms``: normalised texts."""
    return _in_processes(encoder, norms, n_jobs, fit=True)


def encode(encoder: Encoder, norms: Sequence[str], n_jobs: Optional[int] = 1) -> np.ndarray:
    """``encoder.encode(norms, normalized=True)`` (a fitted encoder: new texts), its per-text parts
    encoded in ``n_jobs`` forked processes, the same bits as in one."""
    return _in_processes(encoder, norms, n_jobs, fit=False)


def _in_processes(encoder: Encoder, norms: Sequence[str], n_jobs: Optional[int], fit: bool) -> np.ndarray:
    """Per-text parts (whose ``fit_encode`` is ``encode``) in workers; the others here, fitted first
    with ``fit``."""
    n_blocks = -(-len(norms) // base.ENCODE_BLOCK)
    jobs = min(resolve_n_jobs(n_jobs), len(norms) // MIN_TEXTS_PER_JOB, n_blocks)
    parts = list(encoder.parts) if isinstance(encoder, ConcatEncoder) else [encoder]
    forked = [i for i, p in enumerate(parts) if p.per_text]
    if jobs <= 1 or not forked or "fork" not in multiprocessing.get_all_start_methods():
        return encoder.fit_encode(norms, normalized=True) if fit else encoder.encode(norms, normalized=True)
    for i in forked:  # lazy tables (jieba's dictionary, featuriser keys) built once here, then inherited
        parts[i].encode(norms[:1], normalized=True)
    # Slices of whole encoding blocks (the last one ends with the texts): the same blocks, so the
    # same bits, as in one process.
    bounds = np.minimum(np.linspace(0, n_blocks, jobs + 1).astype(int) * base.ENCODE_BLOCK, len(norms))
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_init_worker, initargs=(parts, norms)) as pool:
        pending = {i: [pool.submit(_encode_slice, i, int(a), int(b)) for a, b in zip(bounds, bounds[1:])]
                   for i in forked}
        # The other parts (the n-gram sketch, which learns from the texts in a fit) run here meanwhile.
        blocks = {i: (p.fit_encode if fit else p.encode)(norms, normalized=True)
                  for i, p in enumerate(parts) if i not in pending}
        for i, slices in pending.items():
            blocks[i] = np.vstack([s.result() for s in slices])
    ordered = [blocks[i] for i in range(len(parts))]
    return encoder._join(ordered) if isinstance(encoder, ConcatEncoder) else ordered[0]
