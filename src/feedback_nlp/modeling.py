"""The model directory: one featuriser, one or more linear task heads, a card.

Layout (everything plain data, nothing executable, nothing unpickled)::

    model.json          card: format, version, featurizer config, heads (labels,
                        thresholds, metrics, training data), the command that made it
    vocab.txt, idf.npy  the featuriser (rule in feedback_nlp.features)
    heads/<task>.weight.npy, heads/<task>.bias.npy   float32 [n_features, k], [k]
    routing.json        optional routing table
    model.onnx          optional id-input graph for hosts (feedback_nlp.export)
    README.md           optional human-readable model card

``NgramModel.from_pretrained`` takes a local directory or a Hugging Face hub id
(downloaded with ``huggingface_hub`` when installed), like transformers.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Mapping, Optional

import numpy as np

from .features import NgramFeaturizer, SparseRows, linear_scores
from .tasks.base import HeadSpec

FORMAT = "feedback-nlp/ngram-linear"
FORMAT_VERSION = 1
#: File types a model directory may hold. Anything else (pickle, joblib, .pt,
#: code) is refused before any file is read.
ALLOWED_SUFFIXES = {".json", ".txt", ".npy", ".onnx", ".md", ".yaml", ".yml", ".png", ".csv", ".jsonl"}


class ModelFormatError(ValueError):
    """A model directory is missing, incomplete, corrupted or holds unsafe files."""


class ModelNotFoundError(ModelFormatError, FileNotFoundError):
    """No model at a path or hub id: neither a local directory nor downloadable.

    Both a :class:`ModelFormatError` (as before) and a ``FileNotFoundError``.
    """


#: Characters of the two parts of a Hugging Face hub id ``owner/name``.
_HUB_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def _is_hub_id(s: str) -> bool:
    """Whether ``s`` could be a hub id: exactly ``owner/name``, both parts non-empty, of
    [A-Za-z0-9._-] and not starting with "." (so ``./x``, ``../x``, ``/x``, ``~/x``,
    ``a/b/c`` and anything with a backslash are local paths)."""
    parts = s.split("/")
    return len(parts) == 2 and all(part and not part.startswith(".") and _HUB_ID_CHARS.issuperset(part)
                                   for part in parts)


def _download_from_hub(repo_id: str) -> Path:
    """``huggingface_hub.snapshot_download(repo_id)``, any failure as :class:`ModelNotFoundError`."""
    what = f"{repo_id!r} is neither an existing local directory nor a reachable Hugging Face hub id"
    try:
        from huggingface_hub import snapshot_download
    except ImportError as e:
        raise ModelNotFoundError(f"{what} (huggingface_hub is not installed: pip install huggingface_hub)") from e
    try:
        return Path(snapshot_download(repo_id=repo_id))
    except Exception as e:  # no network, repo not found or gated, invalid id, ...
        reason = " ".join(str(e).split()) or "no details"
        if len(reason) > 200:
            reason = reason[:197] + "..."
        raise ModelNotFoundError(f"{what} ({type(e).__name__}: {reason})") from e


def resolve_model_path(name_or_path: str | Path) -> Path:
    """Return a local directory for a path or a hub id (``owner/name``).

    An existing directory is returned as is. Otherwise a string shaped exactly
    like ``owner/name`` (characters ``A-Za-z0-9._-``, one slash, no leading
    ``.``, ``/`` or ``~``) is downloaded with ``huggingface_hub``; anything else
    raises :class:`ModelNotFoundError` (a ``FileNotFoundError``) naming the path,
    as does a hub id that cannot be downloaded (the hub's error is chained).
    An existing file raises :class:`ModelFormatError`.
    """
    p = Path(name_or_path).expanduser()
    if p.is_dir():
        return p
    s = str(name_or_path)
    if p.exists():
        raise ModelFormatError(f"{s} is a file; a model is a directory with model.json")
    if _is_hub_id(s):
        return _download_from_hub(s)
    shown = s if p == Path(name_or_path) else f"{s} ({p})"  # show where "~" led
    raise ModelNotFoundError(f"model directory not found: {shown} (no such local directory, and not a "
                             f"Hugging Face hub id of the form owner/name)")


def check_model_files(directory: Path) -> None:
    """Refuse a directory holding file types a model never needs (e.g. pickles)."""
    for f in directory.rglob("*"):
        if f.is_file() and f.suffix.lower() not in ALLOWED_SUFFIXES:
            raise ModelFormatError(
                f"refusing to load {directory}: unexpected file {f.relative_to(directory)} "
                f"(allowed: {', '.join(sorted(ALLOWED_SUFFIXES))}); model directories never hold pickles or code"
            )


def read_model_card(directory: Path, fmt: str, max_version: int) -> dict:
    """Read ``model.json`` and check it describes a model of format ``fmt`` this library can load."""
    card_path = directory / "model.json"
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFormatError(f"{directory} has no model.json") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelFormatError(f"{card_path} is not valid JSON: {e}") from None
    if not isinstance(card, dict):
        raise ModelFormatError(f"{card_path} must hold a JSON object")
    if card.get("format") != fmt:
        raise ModelFormatError(f"{directory}: format {card.get('format')!r} is not {fmt!r}")
    version = card.get("format_version", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise ModelFormatError(f"{card_path}: format_version must be an integer, got {version!r}")
    if version > max_version:
        raise ModelFormatError(f"{directory}: format_version {card['format_version']} is newer than this "
                               f"library supports ({max_version}); upgrade feedback-nlp")
    return card


def open_model_dir(name_or_path: str | Path, fmt: str, max_version: int) -> tuple[Path, dict]:
    """``(directory, card)`` of a model path or hub id: resolved, its files checked (no pickles),
    its ``model.json`` read and checked to be format ``fmt`` (the first step of every ``from_pretrained``)."""
    directory = resolve_model_path(name_or_path)
    check_model_files(directory)
    return directory, read_model_card(directory, fmt, max_version)


def heads_from_card(card: dict, directory: Path) -> dict[str, HeadSpec]:
    """The task heads (labels, kind, thresholds) a model card lists; at least one."""
    from .tasks.combiner import Combiner

    heads = {}
    tasks = card.get("tasks", {})
    if not isinstance(tasks, dict):
        raise ModelFormatError(f"{directory}: 'tasks' in model.json must be an object (task -> head)")
    for t, entry in tasks.items():
        try:
            combiner = Combiner.from_dict(entry["combiner"]) if entry.get("combiner") else None
            heads[t] = HeadSpec(task=t, kind=entry["kind"], labels=list(entry["labels"]),
                                thresholds=dict(entry.get("thresholds", {})), combiner=combiner)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ModelFormatError(f"{directory}: task {t!r} is malformed: {type(e).__name__}: {e}") from None
        bad = [k for k, v in heads[t].thresholds.items()
               if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)]
        if bad:
            raise ModelFormatError(f"{directory}: task {t!r}: thresholds {', '.join(map(str, bad))} must be numbers")
    if not heads:
        raise ModelFormatError(f"{directory}: model.json lists no tasks")
    return heads


def routing_from_card(card: dict, directory: Path) -> Optional[dict]:
    """The routing table saved with a model, or None."""
    if not card.get("routing"):
        return None
    try:
        table = json.loads((directory / card["routing"]).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, TypeError) as e:
        raise ModelFormatError(f"{directory}: cannot read routing table: {e}") from None
    if not isinstance(table, dict):
        raise ModelFormatError(f"{directory}: the routing table {card['routing']} must hold a JSON object")
    return table


def _load_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise ModelFormatError(f"missing model file {path}") from None
    except ValueError as e:
        raise ModelFormatError(f"cannot read {path}: {e}") from None


class NgramModel:
    """Featuriser + linear heads, scored together from one featurisation.

    Parameters
    ----------
    featurizer : NgramFeaturizer
        Fitted featuriser shared by every head.
    heads : dict[str, HeadSpec]
        Task name -> head description (labels, kind, thresholds).
    weights : dict[str, tuple[np.ndarray, np.ndarray]]
        Task name -> ``(W [n_features, k], b [k])``.
    card : dict
        Everything else ``model.json`` says (version, metrics, data, command).
    """

    def __init__(self, featurizer: NgramFeaturizer, heads: Mapping[str, HeadSpec],
                 weights: Mapping[str, tuple[np.ndarray, np.ndarray]], card: Optional[dict] = None,
                 routing: Optional[dict] = None):
        self.featurizer = featurizer
        self.heads = dict(heads)
        self.weights = {t: (np.asarray(w, np.float32), np.asarray(b, np.float32)) for t, (w, b) in weights.items()}
        self.card = dict(card or {})
        self.routing = routing
        self.path: Optional[Path] = None
        for task, head in self.heads.items():
            w, b = self.weights[task]
            if w.shape != (featurizer.n_features, len(head.labels)) or b.shape != (len(head.labels),):
                raise ModelFormatError(
                    f"head {task!r}: weight {w.shape} / bias {b.shape} do not fit "
                    f"{featurizer.n_features} features x {len(head.labels)} labels")
        self._stack()

    def _stack(self) -> None:
        # One [n_features, sum(k)] matrix: all heads come from one gather.
        self.tasks = list(self.heads)
        self._W = np.ascontiguousarray(np.concatenate([self.weights[t][0] for t in self.tasks], axis=1))
        self._b = np.concatenate([self.weights[t][1] for t in self.tasks])
        bounds = np.cumsum([0] + [len(self.heads[t].labels) for t in self.tasks])
        self._slices = {t: slice(int(bounds[i]), int(bounds[i + 1])) for i, t in enumerate(self.tasks)}

    # -- scoring ------------------------------------------------------------------
    def logits(self, rows: SparseRows) -> dict[str, np.ndarray]:
        out = linear_scores(rows, self._W, self._b)
        return {t: out[:, s] for t, s in self._slices.items()}

    def predict_proba(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Probabilities per task for already-normalised texts."""
        logits = self.logits(self.featurizer.transform(texts))
        return {t: self.heads[t].probabilities(z) for t, z in logits.items()}

    def reads(self, texts: list[str], task: Optional[str] = None) -> np.ndarray:
        """Whether each normalised text has an n-gram the model knows (:meth:`NgramFeaturizer.reads`);
        the same for every ``task``, since all heads read one featuriser."""
        return self.featurizer.reads(texts)

    # -- persistence ----------------------------------------------------------------
    def save_pretrained(self, directory: str | Path) -> Path:
        directory = Path(directory)
        (directory / "heads").mkdir(parents=True, exist_ok=True)
        card = dict(self.card)
        card["format"] = FORMAT
        card["format_version"] = FORMAT_VERSION
        card["featurizer"] = self.featurizer.save(directory)
        tasks = {}
        for t, head in self.heads.items():
            w, b = self.weights[t]
            np.save(directory / "heads" / f"{t}.weight.npy", w.astype(np.float32), allow_pickle=False)
            np.save(directory / "heads" / f"{t}.bias.npy", b.astype(np.float32), allow_pickle=False)
            entry = dict(card.get("tasks", {}).get(t, {}))
            entry.update({"kind": head.kind, "labels": head.labels, "thresholds": head.thresholds,
                          "weight": f"heads/{t}.weight.npy", "bias": f"heads/{t}.bias.npy"})
            if head.combiner is not None:
                entry["combiner"] = head.combiner.to_dict()
            else:
                entry.pop("combiner", None)
            tasks[t] = entry
        card["tasks"] = tasks
        if self.routing is not None:
            (directory / "routing.json").write_text(json.dumps(self.routing, ensure_ascii=False, indent=2),
                                                    encoding="utf-8")
            card["routing"] = "routing.json"
        (directory / "model.json").write_text(json.dumps(card, ensure_ascii=False, indent=2), encoding="utf-8")
        self.card = card
        self.path = directory
        return directory

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path) -> "NgramModel":
        directory, card = open_model_dir(name_or_path, FORMAT, FORMAT_VERSION)
        try:
            featurizer = NgramFeaturizer.load(directory, card["featurizer"])
        except (KeyError, OSError, ValueError, TypeError, AttributeError) as e:
            raise ModelFormatError(f"{directory}: cannot load the featurizer: {type(e).__name__}: {e}") from None
        heads = heads_from_card(card, directory)
        try:
            weights = {t: (_load_npy(directory / card["tasks"][t]["weight"]),
                           _load_npy(directory / card["tasks"][t]["bias"])) for t in heads}
        except KeyError as e:
            raise ModelFormatError(f"{directory}: a task in model.json lacks {e}") from None
        routing = routing_from_card(card, directory)
        model = cls(featurizer, heads, weights, card, routing)
        model.path = directory
        return model
