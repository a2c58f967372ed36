"""The one encoder interface: texts -> L2-normalised rows of a float32 matrix."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np

from ..extras import MissingExtraError, install_hint
from ..text import normalize

__all__ = ["Encoder", "MissingExtraError", "l2_normalize", "package_dir", "import_extra", "save_arrays",
           "load_optional", "weighted_row_sums"]


def import_extra(module: str, what: str, extra: str):
    """``module``, imported, or :class:`MissingExtraError` naming ``extra`` (``extras.require_extra``
    checks a whole extra and returns nothing; an encoder needs the module itself)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingExtraError(install_hint(what, extra)) from e


def package_dir(module: str, what: str, extra: str, install: str = ""):
    """Folder of an installed package, found without importing it (its own imports may want more),
    or :class:`MissingExtraError` naming ``extra``."""
    import importlib.util
    from pathlib import Path

    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):  # ValueError: a module blocked in sys.modules
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError(f"{what} needs the [{extra}] extra: "
                                + (install or f'pip install "feedback-nlp[{extra}]"'))
    return Path(list(spec.submodule_search_locations)[0])


def save_arrays(directory: Path, arrays: Mapping[str, Optional[np.ndarray]]) -> None:
    """Each array as ``directory / name`` (.npy, no pickles); a None array removes a stale file of
    that name, so a re-saved directory never keeps a part the encoder no longer has."""
    for fname, arr in arrays.items():
        if arr is not None:
            np.save(directory / fname, arr, allow_pickle=False)
        elif (directory / fname).exists():
            (directory / fname).unlink()


def load_optional(directory: Path, fname: str) -> Optional[np.ndarray]:
    """``directory / fname`` loaded without pickles, or None when there is no such file."""
    return np.load(directory / fname, allow_pickle=False) if (directory / fname).is_file() else None


def weighted_row_sums(indptr: np.ndarray, ids: np.ndarray, w: np.ndarray, table: np.ndarray,
                      chunk_tokens: int = 512) -> np.ndarray:
    """Row ``i`` = ``sum(w[k] * table[ids[k]])`` over ``k`` in ``indptr[i]:indptr[i + 1]`` (zero for an
    empty row), float32 ``[n, dim]``: a sparse matrix times ``table``, without scipy.

    Per chunk of about ``chunk_tokens`` tokens, one BLAS product of a small dense weight matrix with
    the gathered rows: 5x faster on 2 cores than numpy's gather, multiply and ``add.reduceat``, and
    the gathered rows stay in cache (a long text is summed in slices). Sums agree with those to
    float32 rounding (the product adds in another order)."""
    n = len(indptr) - 1
    out = np.zeros((n, table.shape[1]), dtype=np.float32)
    s = 0
    while s < n:
        e = int(np.searchsorted(indptr, indptr[s] + chunk_tokens, side="right")) - 1
        e = min(n, max(e, s + 1))
        a, b = int(indptr[s]), int(indptr[e])
        if e == s + 1:  # one text, perhaps longer than a chunk
            for c in range(a, b, chunk_tokens):
                d = min(b, c + chunk_tokens)
                out[s] += w[c:d].astype(np.float32) @ table[ids[c:d]]
        elif b > a:
            M = np.zeros((e - s, b - a), dtype=np.float32)
            M[np.repeat(np.arange(e - s), np.diff(indptr[s:e + 1])), np.arange(b - a)] = w[a:b]
            np.matmul(M, table[ids[a:b]], out=out[s:e])
        s = e
    return out


def l2_normalize(X: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length in place (all-zero rows stay zero); returns X."""
    n = np.linalg.norm(X, axis=1, keepdims=True)
    n[n == 0] = 1.0
    X /= n
    return X


#: Texts per ``_encode`` call of a per-text encoder, in blocks aligned to the first text. Matrix
#: products round their last bit by the shape of the batch and by the BLAS threads (kernels and
#: splits differ), so the blocks are fixed and run in one BLAS thread: slices of whole blocks
#: (:mod:`.processes`) give the same bits as one process (100k texts compared; one thread costs
#: no time measured on 2 cores).
ENCODE_BLOCK = 2048


class Encoder:
    """Base class: ``encode(texts) -> float32 [n, dim]`` with L2-normalised rows.

    ``name`` identifies the encoder (``--encoder NAME``), ``dim`` its width and
    ``default_threshold`` the average-linkage similarity threshold chosen for it
    on training problems (cosines differ a lot between representations).
    Encoders that learn from the texts they are given (the n-gram sketch)
    override :meth:`fit_encode`; fixed encoders only implement :meth:`_encode`,
    which receives normalised texts. ``per_text`` is True when each text's row depends on that
    text alone (nothing learned from the batch, no threads of its own), so slices of the texts
    may be encoded in separate processes (:mod:`.processes`).
    """

    name: str = "encoder"
    dim: int = 0
    default_threshold: float = 0.5
    per_text: bool = False

    def _encode(self, norms: Sequence[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode(self, texts: Sequence[str], normalized: bool = False) -> np.ndarray:
        """Vectors of ``texts`` (raw, or already :func:`~feedback_nlp.text.normalize`-d)."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        norms = texts if normalized else [normalize(t) for t in texts]
        if self.per_text:  # the same bits in any process: aligned blocks, one BLAS thread
            from threadpoolctl import threadpool_limits

            with threadpool_limits(1, user_api="blas"):
                X = np.vstack([np.asarray(self._encode(norms[s:s + ENCODE_BLOCK]), dtype=np.float32)
                               for s in range(0, len(norms), ENCODE_BLOCK)])
        else:
            X = np.asarray(self._encode(norms), dtype=np.float32)
        if X.shape != (len(norms), self.dim):
            raise ValueError(f"{self.name}: expected [{len(norms)}, {self.dim}], got {X.shape}")
        return l2_normalize(X.copy() if not X.flags.writeable else X)

    def fit_encode(self, texts: Sequence[str], normalized: bool = False) -> np.ndarray:
        """Encode the texts to be clustered (fitting first where the encoder learns from them)."""
        return self.encode(texts, normalized=normalized)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, dim={self.dim})"


def batched(texts: Sequence[str], size: int, max_chars: Optional[int] = None):
    """Consecutive slices of ``texts`` (each text cut to ``max_chars``)."""
    for s in range(0, len(texts), size):
        chunk = list(texts[s:s + size])
        yield [t[:max_chars] for t in chunk] if max_chars else chunk
