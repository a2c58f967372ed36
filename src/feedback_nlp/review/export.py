"""Analysed records become Label Studio import tasks, the model's decisions as predictions."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Optional, Sequence

from ..io import record_channel
from .config import LabelConfig
from .listing import listed


def model_version(analyzer) -> str:
    """``name@version`` of the model card behind each task, joined by ``+`` when tasks use
    different models (``--task-model``)."""
    seen: list[str] = []
    for model in analyzer.task_models.values():
        card = getattr(model, "card", {}) or {}
        tag = f"{card.get('name', 'model')}@{card.get('version', '0')}"
        if tag not in seen:
            seen.append(tag)
    return "+".join(seen)


def _choices(name: str, values: Sequence[str], config: LabelConfig, score: Optional[float] = None) -> Optional[dict]:
    ctl = config.controls.get(name)
    if ctl is None:
        return None
    kept = [v for v in values if ctl.values is None or v in ctl.values]
    if not kept:
        return None
    item = {"from_name": name, "to_name": ctl.to_name, "type": "choices", "value": {"choices": kept}}
    if score is not None:
        item["score"] = round(score, 6)
    return item


#: Heads whose top probability is the confidence ``needs_review`` checks (FeedbackResult holds no probability for them).
CONFIDENCE_HEADS = ("sentiment", "severity")


def head_confidences(analyzer, texts: Sequence[str]) -> list[dict[str, dict[str, float]]]:
    """Per text, ``{task: {label: probability}}`` of the sentiment and severity heads (empty for a
    text that is empty after normalisation, which the analyzer gives the neutral result).

    A second pass of the same public ``predict_proba`` the analyzer runs; it exists because a
    :class:`~feedback_nlp.result.FeedbackResult` keeps no probability for these two heads.
    """
    from ..text import normalize

    norms = [normalize(t) for t in texts]
    live = [i for i, n in enumerate(norms) if n]
    out: list[dict] = [{} for _ in texts]
    groups: dict[int, tuple[Any, list[str]]] = {}
    for task in CONFIDENCE_HEADS:
        model = analyzer.task_models[task]
        groups.setdefault(id(model), (model, []))[1].append(task)
    for model, tasks in groups.values():
        if not live:
            break
        probs = model.predict_proba([norms[i] for i in live])
        for task in tasks:
            labels = model.heads[task].labels
            for row, i in zip(probs[task], live):
                out[i][task] = {lab: float(p) for lab, p in zip(labels, row)}
    return out


def prediction_result(result, config: LabelConfig,
                      confidences: Optional[Mapping[str, Mapping[str, float]]] = None) -> tuple[list[dict], float]:
    """A :class:`~feedback_nlp.result.FeedbackResult` (or its dict) as Label Studio result
    items, and the prediction's ``score``.

    ``problem`` is not predicted (the analyzer does not name problems; reviewers type it).
    An empty issue list gives no ``issue_types`` item: that is how Label Studio stores
    "nothing selected". The score is the model's least confident decision (0 = unsure,
    1 = sure), so that sorting by prediction score in Label Studio shows the doubtful
    records first: ``max(p, 1 - p)`` of the spam score and of every issue-type score, and,
    given ``confidences`` (:func:`head_confidences`), the top probability of the sentiment
    and severity heads (what ``needs_review`` compares with its per-head thresholds, so the
    score ranks records but is not the needs_review rule). Items carry the probability of
    their choice where the model has one (for severity: the head's probability of the final
    label, which escalation rules may have raised above the head's own choice).
    """
    r = result if isinstance(result, Mapping) else result.to_dict()
    conf = confidences or {}
    spam_p = float(r["spam_score"])
    spam_conf = spam_p if r["is_spam"] else 1.0 - spam_p
    items = [_choices("is_spam", ["true" if r["is_spam"] else "false"], config, spam_conf)]
    if r["is_spam"] and r.get("spam_type"):
        items.append(_choices("spam_type", [r["spam_type"]], config))
    items.append(_choices("issue_types", list(r["issue_types"]), config))
    for task in CONFIDENCE_HEADS:
        items.append(_choices(task, [r[task]], config, conf.get(task, {}).get(r[task])))
    sure = [max(spam_p, 1.0 - spam_p)] + [max(float(p), 1.0 - float(p)) for p in (r.get("issue_scores") or {}).values()]
    sure += [max(conf[t].values()) for t in CONFIDENCE_HEADS if conf.get(t)]
    return [i for i in items if i is not None], round(min(sure), 6)


@dataclass
class ExportSummary:
    """What an export read, wrote and left out, for the command's summary line."""

    n_read: int = 0
    n_tasks: int = 0
    n_confident: int = 0  # analysed but left out by only_needs_review
    n_malformed: int = 0
    malformed_rows: list[int] = field(default_factory=list)
    stopped_at_limit: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    def message(self, verb: str = "exported") -> str:
        """The summary line; ``verb``: what happened to the tasks (``review push``: "sent")."""
        msg = f"{verb} {self.n_tasks} tasks from {self.n_read} records"
        if self.n_confident:
            msg += f", {self.n_confident} not needing review left out"
        if self.n_malformed:
            msg += f", {self.n_malformed} malformed rows not {verb} (rows: {listed(self.malformed_rows)})"
        if self.stopped_at_limit:
            msg += "; stopped at --limit"
        return msg


class TaskExporter:
    """Analyse input records and turn them into Label Studio import tasks, in input order.

    ``only_needs_review`` keeps the records the analyzer marks ``needs_review``; ``limit``
    stops after that many tasks. Malformed rows (``InputRecord.error``) give no task and
    are counted in :attr:`summary`, never raised.
    """

    def __init__(self, analyzer, config: Optional[LabelConfig] = None, *, only_needs_review: bool = False,
                 limit: Optional[int] = None, batch_size: int = 256, text_field: str = "text",
                 id_field: str = "id"):
        if limit is not None and limit < 0:
            raise ValueError("limit must be >= 0")
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.analyzer, self.config = analyzer, config or LabelConfig.default()
        self.only_needs_review, self.limit, self.batch_size = only_needs_review, limit, batch_size
        self.input_fields = (text_field, id_field)  # already in data as the text key and "id"
        self.model_version = model_version(analyzer)
        self.summary = ExportSummary()

    def task(self, text: str, id: Any, fields: Mapping, result,
             confidences: Optional[Mapping[str, Mapping[str, float]]] = None) -> dict:
        """One import task: ``data`` (the id under ``id``, the text under the config's key, then
        the row's other fields, which never override those two) and one prediction."""
        data = {"id": id, self.config.text_key: text}
        for k, v in fields.items():
            data.setdefault(k, v)
        items, score = prediction_result(result, self.config, confidences)
        return {"data": data, "predictions": [{"model_version": self.model_version, "score": score,
                                               "result": items}]}

    def iter_tasks(self, records: Iterable) -> Iterator[dict]:
        """Tasks for ``records`` (:class:`~feedback_nlp.io.InputRecord`, as :func:`feedback_nlp.io.read_records`
        yields them), analysed in batches."""
        s = self.summary
        if self.limit == 0:
            s.stopped_at_limit = True
            return
        batch: list = []
        it = iter(records)
        while True:
            batch.clear()
            for rec in it:
                batch.append(rec)
                if len(batch) >= self.batch_size:
                    break
            if not batch:
                return
            good = [r for r in batch if r.error is None]
            texts = [r.text for r in good]
            results = iter(self.analyzer.analyze_batch(texts, ids=[r.id for r in good], batch_size=self.batch_size,
                                                       channels=[record_channel(r) for r in good]) if good else [])
            confs = iter(head_confidences(self.analyzer, texts) if good else [])
            for rec in batch:
                s.n_read += 1
                if rec.error is not None:
                    s.n_malformed += 1
                    s.malformed_rows.append(rec.row)
                    continue
                res, conf = next(results), next(confs)
                if self.only_needs_review and not res.needs_review:
                    s.n_confident += 1
                    continue
                fields = {k: v for k, v in rec.fields.items() if k not in self.input_fields}
                yield self.task(rec.text, rec.id, fields, res, conf)
                s.n_tasks += 1
                if self.limit is not None and s.n_tasks >= self.limit:
                    s.stopped_at_limit = True
                    return

    def write(self, records: Iterable, path: str | Path) -> ExportSummary:
        """Write the tasks as one JSON array (one task per line), streaming. An input that breaks off (a
        truncated ``.gz``) still leaves a valid array of the tasks before the break, as ``score`` leaves
        the records before it; the error is raised after."""
        with open(path, "w", encoding="utf-8") as f:
            f.write("[")
            try:
                for i, t in enumerate(self.iter_tasks(records)):
                    f.write(("\n" if i == 0 else ",\n") + json.dumps(t, ensure_ascii=False))
            finally:
                f.write("\n]\n")
        return self.summary
