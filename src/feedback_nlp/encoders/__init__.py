"""Text encoders: texts -> L2-normalised dense vectors, one interface for clustering and teachers.

``get_encoder(spec)`` resolves what ``ProblemClusterer(encoder=...)`` and
``--encoder`` accept:

- ``"semantic"`` (default): the shipped table encoder (:mod:`.table`), a linear
  projection of char n-gram features into a pretrained teacher's sentence space,
  learned on our unlabelled corpora; knows paraphrases, runs at n-gram speed;
- ``"ngram"``: the char n-gram TF-IDF sketch + LSA (:mod:`.ngram`), fitted on the
  texts being clustered;
- a pretrained encoder's name (:mod:`.pretrained`; ``e5-small``, ``use-multi``,
  ``roformer-sim``), each behind its own optional extra, slow on CPU;
- a directory holding a table encoder (``encoder.json``);
- any :class:`Encoder` object.
"""
from __future__ import annotations

from pathlib import Path
from typing import Union

from ..modeling import ModelFormatError
from .base import Encoder, MissingExtraError, l2_normalize
from .ngram import NgramEncoder, TextVectorizer
from .pretrained import PRETRAINED
from .table import TableEncoder

__all__ = ["Encoder", "MissingExtraError", "NgramEncoder", "TableEncoder", "TextVectorizer", "get_encoder",
           "semantic_encoder_path", "DEFAULT_ENCODER", "ENCODER_NAMES", "l2_normalize"]

#: What clustering uses unless told otherwise. ``semantic`` is opt-in until it meets issue 13's
#: targets: it keeps paraphrases together but its clusters are broad (planted purity < 0.5 on 2 of
#: 3 sets, benchmarks/RESULTS.md).
DEFAULT_ENCODER = "ngram"
SEMANTIC_MODEL_NAME = "feedback-zh-semantic"
#: Names ``get_encoder`` knows (besides directories and objects).
ENCODER_NAMES = ("semantic", "ngram", *PRETRAINED)


def semantic_encoder_path() -> Path:
    """The shipped semantic encoder: the copy installed with the package, else ``models/`` of a checkout."""
    here = Path(__file__).resolve().parents[1]
    for candidate in (here / "shipped_models" / SEMANTIC_MODEL_NAME, here.parents[1] / "models" / SEMANTIC_MODEL_NAME):
        if (candidate / "encoder.json").is_file():
            return candidate
    raise ModelFormatError(f"the shipped encoder {SEMANTIC_MODEL_NAME!r} was not found next to the package; "
                           "reinstall feedback-nlp or pass an encoder directory")


def get_encoder(spec: Union[str, Path, Encoder, None] = None, **ngram_params) -> Encoder:
    """An :class:`Encoder` from a name, a directory or an object (see the module docstring).

    ``ngram_params`` go to :class:`TextVectorizer` for ``"ngram"``. Unknown names
    raise ``ValueError``; a pretrained encoder without its extra raises
    :class:`MissingExtraError` (one line naming the extra).
    """
    if spec is None:
        spec = DEFAULT_ENCODER
    if isinstance(spec, Encoder):
        return spec
    if isinstance(spec, str) and spec == "ngram":
        return NgramEncoder(**ngram_params)
    if isinstance(spec, str) and spec == "semantic":
        return TableEncoder.from_pretrained(semantic_encoder_path())
    if isinstance(spec, str) and spec in PRETRAINED:
        return PRETRAINED[spec]()
    p = Path(spec)
    if p.is_dir():
        return TableEncoder.from_pretrained(p)
    raise ValueError(f"unknown encoder {str(spec)!r}: use one of {', '.join(ENCODER_NAMES)} or an encoder directory")
