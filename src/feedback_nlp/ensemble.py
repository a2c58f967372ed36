"""Weighted averages of task models' probabilities (soft voting), with their own thresholds.

Why: a fine-tuned transformer and the n-gram model err on different records. On issue
types the average of the two beats either alone (docs/TRANSFORMER.md, "Ensembles"), at the
transformer's speed. An :class:`EnsembleModel` has the task-model interface the pipeline
uses (``heads``, ``predict_proba``, ``routing``, ``card``), so it serves a task next to the
default model: ``FeedbackAnalyzer.load(tasks={"issue_types": "my-ensemble"})``.

The directory holds only ``model.json``: the members are referenced by path (relative to
the ensemble directory, or absolute) or hub id, never copied.
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np

from .modeling import ModelFormatError, open_model_dir
from .tasks.base import MULTILABEL, HeadSpec

FORMAT = "feedback-nlp/ensemble"
FORMAT_VERSION = 1
#: Weight grid of :meth:`EnsembleModel.fit`: the first of two members' weight, or each member's of more.
DEFAULT_GRID = tuple(np.round(np.arange(0.0, 1.0001, 0.1), 2))


def is_ensemble_dir(path: str | Path) -> bool:
    """True when ``path`` is a local directory whose model.json says ``feedback-nlp/ensemble``."""
    try:
        return json.loads((Path(path) / "model.json").read_text(encoding="utf-8")).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


class EnsembleModel:
    """Soft voting over task models for the tasks in ``weights``.

    Parameters
    ----------
    members : sequence of task models
        Each has a head for every task of the ensemble, with the same label set (any order).
    weights : mapping task -> sequence of float
        One non-negative weight per member; normalised to sum to 1.
    heads : mapping task -> HeadSpec, optional
        Decision thresholds per task; by default the first member's (choose them on dev
        with :meth:`fit`, the members' thresholds were chosen for other probabilities).
    member_paths : sequence of str, optional
        Where the members are loaded from; needed by :meth:`save_pretrained`.
    """

    def __init__(self, members: Sequence[Any], weights: Mapping[str, Sequence[float]],
                 heads: Optional[Mapping[str, HeadSpec]] = None, member_paths: Optional[Sequence[str]] = None,
                 card: Optional[dict] = None):
        if len(members) < 2:
            raise ValueError("an ensemble needs at least two members")
        if not weights:
            raise ValueError("an ensemble needs at least one task (weights={task: [w, ...]})")
        self.members = list(members)
        self.member_paths = list(member_paths) if member_paths is not None else None
        self.weights: dict[str, np.ndarray] = {}
        self.heads: dict[str, HeadSpec] = {}
        self._columns: dict[str, list[np.ndarray]] = {}  # task -> per member, its columns in our label order
        for task, w in weights.items():
            self.set_weights(task, w)
            first = self._member_head(0, task)
            given = (heads or {}).get(task)
            self.heads[task] = HeadSpec(task, first.kind, list(first.labels),
                                        dict(given.thresholds if given is not None else first.thresholds))
            for i in range(len(self.members)):
                h = self._member_head(i, task)
                if h.kind != first.kind or set(h.labels) != set(first.labels):
                    raise ValueError(f"ensemble member {i} has a different {task!r} head "
                                     f"({h.kind}: {h.labels}) from member 0 ({first.kind}: {first.labels})")
            self._columns[task] = [np.array([self._member_head(i, task).labels.index(lab) for lab in first.labels])
                                   for i in range(len(self.members))]
        self.tasks = list(self.heads)
        self.routing = next((m.routing for m in self.members if getattr(m, "routing", None)), None)
        self.card = dict(card or {})
        self._fitting = False

    def _member_head(self, i: int, task: str) -> HeadSpec:
        heads = self.members[i].heads
        if task not in heads:
            raise ValueError(f"ensemble member {i} has no {task!r} head (it has {', '.join(heads)})")
        return heads[task]

    def set_weights(self, task: str, weights: Sequence[float]) -> None:
        w = np.asarray(list(weights), dtype=np.float64)
        if w.shape != (len(self.members),) or not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
            raise ValueError(f"{task}: weights must be {len(self.members)} non-negative numbers with a positive sum, "
                             f"got {list(weights)}")
        self.weights[task] = w / w.sum()

    # -- scoring -------------------------------------------------------------------------------
    def _member_probs(self, norm_texts: Sequence[str]) -> list[Optional[dict[str, np.ndarray]]]:
        """Each member's probabilities; None for a member no task weighs (dev may choose weight 0
        for one: it is not run), except while :meth:`fit` is choosing the weights."""
        return [m.predict_proba(norm_texts) if self._fitting or any(w[i] > 0 for w in self.weights.values()) else None
                for i, m in enumerate(self.members)]

    def predict_proba(self, norm_texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Probabilities per task for already-normalised texts: the weighted mean of the members'."""
        return self.combine(self._member_probs(list(norm_texts)))

    def reads(self, norm_texts: Sequence[str], task: Optional[str] = None) -> np.ndarray:
        """Whether some member weighed for ``task`` (any task when None) reads each text
        (:meth:`NgramModel.reads`): a member with weight 0 for the task adds nothing to its
        probabilities, so it cannot make them read. A member without ``reads`` reads every text."""
        if task is not None and task not in self.weights:
            raise ValueError(f"the ensemble does not serve {task!r}; it serves {', '.join(self.weights)}")
        texts = list(norm_texts)
        weights = self.weights.values() if task is None else [self.weights[task]]
        known = np.zeros(len(texts), dtype=bool)
        for i, m in enumerate(self.members):
            if any(w[i] > 0 for w in weights):
                known |= m.reads(texts) if hasattr(m, "reads") else True
        return known

    def combine(self, per_member: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """The weighted mean of the members' probabilities (one ``{task: [n, k]}`` per member, in
        each member's own label order), in the ensemble's label order: what :meth:`predict_proba`
        returns, for members scored elsewhere (e.g. a teacher's cached probabilities). A member no
        task weighs may be None."""
        n = len(next(iter(next(p for p in per_member if p is not None).values())))
        out = {}
        for task in self.tasks:
            acc = np.zeros((n, len(self.heads[task].labels)), np.float64)
            for w, cols, probs in zip(self.weights[task], self._columns[task], per_member):
                if w:
                    acc += w * np.asarray(probs[task], np.float64)[:, cols]
            out[task] = acc.astype(np.float32)
        return out

    # -- fitting ---------------------------------------------------------------------------------
    def fit(self, dev: Mapping[str, Any], grid: Sequence[float] = DEFAULT_GRID,
            score: Optional[Callable[["EnsembleModel", str, dict], float]] = None, **tune_kwargs) -> "EnsembleModel":
        """Choose, per task in ``dev`` (task -> LabelledData), the members' weights and the
        thresholds at them, both on ``dev`` (:func:`feedback_nlp.train.tune_thresholds`).
        Two members: ``grid`` holds the first one's weight (the second gets the rest); more:
        every mix whose weights are all in ``grid`` and sum to 1 (:func:`weight_mixes`). The
        criterion: micro + macro F1 (multilabel), spam-vs-not F1 (spam), quadratic weighted kappa
        (severity), else accuracy; ``score(model, task, dev_metrics)`` replaces it (e.g. to add
        other dev data: the members' probabilities are kept per text during the fit). Ties go to the
        more even mix. The dev score of each mix goes on ``card["ensemble_fit"]``."""
        from .train import evaluate_head, tune_thresholds

        mixes = weight_mixes(len(self.members), grid)
        even = 1.0 / len(self.members)
        members, self._fitting = self.members, True
        self.members = [m if isinstance(m, _TextMemo) else _TextMemo(m) for m in members]  # each text scored once
        try:
            report = {}
            for task, data in dev.items():
                if task not in self.heads:
                    continue
                tried = []
                for mix in mixes:
                    self.set_weights(task, mix)
                    if task != "sentiment":  # sentiment is read by argmax
                        tune_thresholds(self, task, data, **tune_kwargs)
                    m = evaluate_head(self, task, data)
                    value = score(self, task, m) if score is not None else dev_score(self.heads[task], m)
                    tried.append((float(value), mix, dict(self.heads[task].thresholds)))
                best = max(tried, key=lambda x: (round(x[0], 10), -sum((w - even) ** 2 for w in x[1])))
                self.set_weights(task, best[1])
                self.heads[task].thresholds = best[2]
                report[task] = {"weights": [round(w, 6) for w in best[1]], "dev_score": round(best[0], 6),
                                "grid": {_mix_key(mix): round(v, 6) for v, mix, _ in tried}, "n_dev": len(data.texts)}
            self.card["ensemble_fit"] = report
        finally:
            self.members, self._fitting = members, False
        return self

    def cross_validate(self, dev: Mapping[str, Any], folds: int = 5, seed: int = 0,
                       grid: Sequence[float] = DEFAULT_GRID,
                       score: Optional[Callable[["EnsembleModel", str, dict], float]] = None,
                       **tune_kwargs) -> dict[str, dict]:
        """What :meth:`fit`'s choice is worth on dev rows it did not see: per task in ``dev``, the
        metrics (:func:`feedback_nlp.train.evaluate_head`'s) of the out-of-fold decisions when weights
        and thresholds are chosen by :meth:`fit` on the other ``folds - 1`` folds.

        Why: every weight and threshold is chosen on the same dev rows, so the in-sample dev
        figure reads high. This ensemble is not changed; each member scores each text once."""
        from .text import normalize
        from .train import head_predictions, report_predictions

        if folds < 2:
            raise ValueError(f"folds must be at least 2, got {folds}")
        cached = [_TextMemo(m) for m in self.members]
        out = {}
        for task, data in dev.items():
            if task not in self.heads:
                continue
            if len(data) < folds:
                raise ValueError(f"{task}: {len(data)} dev records cannot make {folds} folds")
            for m in cached:  # every dev text scored once, not once per fold
                m.predict_proba([normalize(t) for t in data.texts])
            fold = np.random.default_rng(seed).permutation(len(data)) % folds
            pred: list = [None] * len(data)
            probs = np.zeros((len(data), len(self.heads[task].labels)), np.float32)
            for f in range(folds):
                inner = EnsembleModel(cached, {task: self.weights[task]})
                inner.fit({task: _rows(data, np.flatnonzero(fold != f))}, grid, score, **tune_kwargs)
                held = np.flatnonzero(fold == f)
                decided, probs[held] = head_predictions(inner, task, _rows(data, held))
                for i, d in zip(held, decided):
                    pred[i] = d
            out[task] = {**report_predictions(self.heads[task], data.labels, pred, probs), "folds": folds, "seed": seed}
        return out

    def without_unused(self) -> "EnsembleModel":
        """A copy without the members no task weighs (dev chose weight 0 for them everywhere):
        they are never run, but every load would still read them. Weights, thresholds and so every
        decision stay the same; the card keeps the members the weights were chosen from
        (``candidates``, the order of ``ensemble_fit``'s grid) and those left out (``left_out``).
        At least two members stay."""
        keep = [i for i in range(len(self.members)) if any(w[i] > 0 for w in self.weights.values())]
        if len(keep) == len(self.members):
            return self
        if len(keep) < 2:  # an ensemble has two members; keep the first unused one beside the used one
            keep = sorted(set(keep) | {next(i for i in range(len(self.members)) if i not in keep)})
        paths = self.member_paths
        card = {**self.card, "candidates": list(paths) if paths is not None else self.card.get("candidates"),
                "left_out": [paths[i] if paths is not None else i for i in range(len(self.members)) if i not in keep]}
        heads = {t: HeadSpec(t, h.kind, list(h.labels), dict(h.thresholds)) for t, h in self.heads.items()}
        return EnsembleModel([self.members[i] for i in keep], {t: w[keep] for t, w in self.weights.items()}, heads,
                             [paths[i] for i in keep] if paths is not None else None, card)

    # -- persistence -----------------------------------------------------------------------------
    def save_pretrained(self, directory: str | Path) -> Path:
        """Write ``model.json`` (members by path, weights, heads) into ``directory``."""
        if self.member_paths is None:
            raise ValueError("save_pretrained needs member_paths: where each member is loaded from")
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        card = {"version": "0.1.0", **self.card, "format": FORMAT, "format_version": FORMAT_VERSION,
                "members": [{"path": _portable(p, out), "name": (getattr(m, "card", None) or {}).get("name"),
                             "version": (getattr(m, "card", None) or {}).get("version")}
                            for p, m in zip(self.member_paths, self.members)],
                "tasks": {t: {**(self.card.get("tasks", {}).get(t, {})), "kind": h.kind, "labels": h.labels,
                              "weights": [round(float(x), 6) for x in self.weights[t]], "thresholds": h.thresholds}
                          for t, h in self.heads.items()}}
        (out / "model.json").write_text(json.dumps(card, ensure_ascii=False, indent=1), encoding="utf-8")
        self.card = card
        return out

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, load_member: Optional[Callable[[str], Any]] = None
                        ) -> "EnsembleModel":
        """Load an ensemble directory and its members (n-gram, transformer or ensemble directories).

        ``load_member(source)`` loads one member (default: by what its model.json says); e.g. a
        transformer member's int8 graph instead of its float32 one."""
        from .pipeline import _load_model

        load_member = load_member or _load_model

        directory, card = open_model_dir(name_or_path, FORMAT, FORMAT_VERSION)
        try:
            paths = [str(m["path"]) for m in card["members"]]
            weights = {t: list(e["weights"]) for t, e in card["tasks"].items()}
            heads = {t: HeadSpec(t, e["kind"], list(e["labels"]), dict(e.get("thresholds", {})))
                     for t, e in card["tasks"].items()}
        except (KeyError, TypeError, ValueError) as e:
            raise ModelFormatError(f"{directory}: model.json is not a valid ensemble card: {e}") from None
        members, sources = [], []  # sources: where each member was found, so a re-save points there
        for p in paths:
            local = directory / p
            source = str(local) if local.is_dir() else p
            try:
                members.append(load_member(source))
            except (ModelFormatError, FileNotFoundError) as e:
                raise ModelFormatError(f"{directory}: cannot load ensemble member {p!r}: {e}") from None
            sources.append(source)
        try:
            model = cls(members, weights, heads, sources, card)
        except ValueError as e:
            raise ModelFormatError(f"{directory}: {e}") from None
        return model


class _TextMemo:
    """A member whose probabilities are kept per text, so that choosing weights and thresholds
    (:meth:`EnsembleModel.fit`, :meth:`EnsembleModel.cross_validate`) scores each text once."""

    def __init__(self, member: Any):
        self.member, self.heads, self.routing = member, member.heads, getattr(member, "routing", None)
        self._rows: dict[str, dict[str, np.ndarray]] = {}
        self._last: tuple[tuple, dict] = ((), {})  # the last batch: fit asks for the same texts once per mix

    def predict_proba(self, norm_texts: Sequence[str]) -> dict[str, np.ndarray]:
        if not norm_texts:
            return self.member.predict_proba([])
        key = tuple(norm_texts)
        if key == self._last[0]:
            return self._last[1]
        new = list(dict.fromkeys(t for t in norm_texts if t not in self._rows))
        if new:
            probs = self.member.predict_proba(new)
            for i, t in enumerate(new):
                self._rows[t] = {task: p[i] for task, p in probs.items()}
        out = {task: np.array([self._rows[t][task] for t in norm_texts]) for task in self._rows[norm_texts[0]]}
        self._last = (key, out)
        return out


def _rows(data, idx: np.ndarray):
    """The records ``idx`` of a LabelledData."""
    from .labelled_data import LabelledData

    return LabelledData([data.texts[i] for i in idx], [data.labels[i] for i in idx],
                        [data.ids[i] for i in idx] if data.ids else [], multilabel=data.multilabel)


def _portable(path: str, directory: Path) -> str:
    """A member path relative to the ensemble directory when it is a local directory, else as given."""
    p = Path(path)
    if not p.is_dir():
        return str(path)
    try:
        import os

        return os.path.relpath(p.resolve(), directory.resolve())
    except ValueError:  # another drive (Windows)
        return str(p.resolve())


def weight_mixes(n_members: int, grid: Sequence[float] = DEFAULT_GRID) -> list[tuple[float, ...]]:
    """The weight vectors :meth:`EnsembleModel.fit` tries: ``(w, 1 - w)`` for each ``w`` in
    ``grid`` with two members; with more, every tuple of ``grid`` values summing to 1."""
    if n_members < 2:
        raise ValueError("an ensemble fit needs at least two members")
    if n_members == 2:
        return [(float(w), round(1.0 - float(w), 6)) for w in grid]
    values = sorted({round(float(w), 6) for w in grid if 0.0 <= w <= 1.0})
    mixes = [m for m in itertools.product(values, repeat=n_members) if abs(sum(m) - 1.0) < 1e-6]
    if not mixes:
        raise ValueError(f"no weights in the grid {list(grid)} sum to 1 over {n_members} members")
    return mixes


def _mix_key(mix: Sequence[float]) -> str:
    """The card's name of a mix: the first weight for two members (as before), else all of them."""
    return str(mix[0]) if len(mix) == 2 else "/".join(str(w) for w in mix)


def dev_score(head: HeadSpec, m: dict) -> float:
    """What :meth:`EnsembleModel.fit` maximises on dev."""
    if head.kind == MULTILABEL:
        return m["micro_f1"] + m["macro_f1"]
    if "spam_binary" in m:  # spam: accuracy is mostly not_spam; the thresholds are chosen for spam F1 too
        return m["spam_binary"]["f1"]
    if "quadratic_weighted_kappa" in m:
        return m["quadratic_weighted_kappa"]
    return m["accuracy"]
