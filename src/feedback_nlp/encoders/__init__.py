"""Text encoders: texts -> L2-normalised dense vectors, one interface for clustering and teachers.

``get_encoder(spec)`` resolves what ``ProblemClusterer(encoder=...)`` and
``--encoder`` accept:

- ``"semantic"``: the shipped table encoder (:mod:`.table`), a linear projection of
  char n-gram features into a pretrained teacher's sentence space, learned on our
  unlabelled corpora and projected onto directions that tell the train annotations'
  problems apart, mixed (:mod:`.concat`) with the shipped model's issue-type
  probabilities (:mod:`.posterior`) and with domain word vectors (:mod:`.words`); knows
  paraphrases, runs at n-gram speed;
- ``"ngram"``: the char n-gram TF-IDF sketch + LSA (:mod:`.ngram`), fitted on the
  texts being clustered;
- ``"semantic+ngram"``: the two mixed (:data:`SEMANTIC_NGRAM`): paraphrases from the first,
  a new product's rare words from the second; the default;
- a pretrained encoder's name (:mod:`.pretrained`; ``e5-small``, ``use-multi``,
  ``roformer-sim``), each behind its own optional extra, slow on CPU;
- a directory holding a table encoder (``encoder.json``; its ``mix`` entry, when present,
  names the posteriors to mix in: :func:`load_encoder_dir`);
- any :class:`Encoder` object.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

from ..modeling import ModelFormatError
from .base import Encoder, MissingExtraError, l2_normalize
from .concat import ConcatEncoder
from .ngram import NgramEncoder, TextVectorizer
from .posterior import PosteriorEncoder
from .pretrained import PRETRAINED
from .table import TableEncoder

__all__ = ["ConcatEncoder", "Encoder", "MissingExtraError", "NgramEncoder", "PosteriorEncoder", "TableEncoder",
           "TextVectorizer", "get_encoder", "load_encoder_dir", "semantic_encoder_path", "DEFAULT_ENCODER",
           "ENCODER_NAMES", "SEMANTIC_NGRAM", "l2_normalize", "semantic_ngram"]

#: ``semantic`` mixed with the ``ngram`` sketch fitted on the texts clustered: (name, the sketch's
#: weight, threshold), chosen by ``training/ngram_mix_probe.py`` on new and known problems.
SEMANTIC_NGRAM = ("semantic+ngram", 0.5, 0.3)
#: What clustering uses unless told otherwise: ``semantic+ngram``. On six planted sets written blind
#: for this choice it keeps more of each problem's paraphrases together than ``semantic`` on all six
#: and meets the planted target on two where ``semantic`` meets it on none, at the same ARI on
#: annotated problems (0.173 against 0.174, 3.2x ``ngram``); 60-64 s per 100k texts in one process,
#: 42-44 s in two (``n_jobs=2``), 1.9 GB at peak (benchmarks/RESULTS.md). ``semantic`` alone is
#: faster and lighter; ``ngram`` is faster still, purer and blind to synonyms.
DEFAULT_ENCODER = SEMANTIC_NGRAM[0]
SEMANTIC_MODEL_NAME = "feedback-zh-semantic"
#: Names ``get_encoder`` knows (besides directories and objects).
ENCODER_NAMES = ("semantic", "ngram", SEMANTIC_NGRAM[0], *PRETRAINED)


def shipped_path(name: str, marker: str = "encoder.json") -> Optional[Path]:
    """A shipped directory by name: the copy installed with the package, else ``models/`` of a checkout."""
    here = Path(__file__).resolve().parents[1]
    for candidate in (here / "shipped_models" / name, here.parents[1] / "models" / name):
        if (candidate / marker).is_file():
            return candidate
    return None


def semantic_encoder_path() -> Path:
    """The shipped semantic encoder's directory."""
    found = shipped_path(SEMANTIC_MODEL_NAME)
    if found is None:
        raise ModelFormatError(f"the shipped encoder {SEMANTIC_MODEL_NAME!r} was not found next to the package; "
                               "reinstall feedback-nlp or pass an encoder directory")
    return found


def load_encoder_dir(directory: Union[str, Path]) -> Encoder:
    """A table encoder directory as an :class:`Encoder`. With a ``mix`` entry in its encoder.json
    (``{"model", "task", "weight", "default_threshold"}``), the table encoder (weight
    ``1 - weight``) mixed with that model's ``task`` probabilities: a :class:`ConcatEncoder`
    named as the table, with the mix's threshold. ``model`` is a shipped model's name, a
    directory relative to the encoder's, or any path or hub id. With a ``words`` entry
    (``{"path", "weight", "default_threshold"}``), that is mixed in turn with the domain word
    vectors in ``path`` (:class:`~.words.WordVectorEncoder`) at ``weight``, with its threshold."""
    d = Path(directory)
    spec = TableEncoder.read_spec(d)
    base = _table_with_mix(d, spec)
    words = spec.get("words")
    if not words:
        return base
    try:
        path, weight, threshold = str(words["path"]), float(words["weight"]), float(words["default_threshold"])
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFormatError(f"{d / 'encoder.json'}: 'words' needs path, weight and default_threshold ({e})") from None
    if not 0 < weight < 1:
        raise ModelFormatError(f"{d / 'encoder.json'}: words weight must be in (0, 1), got {weight}")
    from .words import WordVectorEncoder

    return ConcatEncoder([(base, 1 - weight), (WordVectorEncoder.from_pretrained(d / path), weight)],
                         name=base.name, default_threshold=threshold)


def _table_with_mix(d: Path, spec: dict) -> Encoder:
    """The table encoder of ``d``, mixed with a model's posteriors when its spec has a ``mix``."""
    table = TableEncoder.from_pretrained(d, spec)
    mix = spec.get("mix")
    if not mix:
        return table
    try:
        ref, weight = str(mix["model"]), float(mix["weight"])
        threshold = float(mix["default_threshold"])
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFormatError(f"{d / 'encoder.json'}: 'mix' needs model, weight and default_threshold ({e})") from None
    if not 0 < weight < 1:
        raise ModelFormatError(f"{d / 'encoder.json'}: mix weight must be in (0, 1), got {weight}")
    model_dir = shipped_path(ref, "model.json") or (d / ref if (d / ref).is_dir() else ref)
    posterior = PosteriorEncoder.from_pretrained(model_dir, mix.get("task", "issue_types"))
    return ConcatEncoder([(table, 1 - weight), (posterior, weight)], name=table.name, default_threshold=threshold)


def semantic_ngram(weight: float, threshold: float, name: str = SEMANTIC_NGRAM[0],
                   semantic: Union[str, Path, None] = None, **ngram_params) -> ConcatEncoder:
    """The shipped ``semantic`` encoder (or the encoder directory ``semantic``, e.g. a candidate)
    mixed with an ``ngram`` sketch (``ngram_params``: its :class:`TextVectorizer` settings) at
    ``weight``, clustering at ``threshold``."""
    return ConcatEncoder([(load_encoder_dir(semantic or semantic_encoder_path()), 1 - weight),
                          (NgramEncoder(**ngram_params), weight)], name=name, default_threshold=threshold)


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
        return load_encoder_dir(semantic_encoder_path())
    if isinstance(spec, str) and spec == SEMANTIC_NGRAM[0]:
        return semantic_ngram(SEMANTIC_NGRAM[1], SEMANTIC_NGRAM[2], name=SEMANTIC_NGRAM[0], **ngram_params)
    if isinstance(spec, str) and spec in PRETRAINED:
        return PRETRAINED[spec]()
    p = Path(spec)
    if p.is_dir():
        return load_encoder_dir(p)
    raise ValueError(f"unknown encoder {str(spec)!r}: use one of {', '.join(ENCODER_NAMES)} or an encoder directory")
