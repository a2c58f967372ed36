"""``FeedbackAnalyzer``: load model directories and compose the task components.

One record's way through (spaCy-style: named components over one ``Doc``)::

    raw text -> normalize -> featurize once per model -> head probabilities
             -> spam -> issue_types -> sentiment -> severity -> routing -> review
             -> FeedbackResult
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np

from .modeling import ModelFormatError, NgramModel, resolve_model_path
from .operating_points import DEFAULT_POINTS, apply_thresholds, channel_points
from .floods import FloodMarker
from .result import FIELDS, FeedbackResult
from .tasks.base import MULTILABEL
from .tasks.chat import chat_names_no_problem
from .tasks.evidence import text_evidence
from .tasks.insult import insults_commenter
from .tasks.issue_types import decide_issue_types, illness_first
from .tasks.merchant import MERCHANT_CARD_REASON, is_merchant_card
from .tasks.negated import negated_names_no_problem
from .tasks.notice import POSTED_NOTICE_REASON, is_posted_notice
from .tasks.placeholder import placeholder_names_no_problem
from .tasks.question import question_names_no_problem
from .tasks.rating import rating_names_no_problem
from .tasks.reported_ad import is_reported_ad
from .tasks.review_form import REVIEW_FORM_TYPES, is_review_form, names_book, unpadded
from .tasks.routing import RoutingTable
from .tasks.sentiment import decide_sentiment, emoji_probs, neutral_probs, side_probs
from .tasks.severity import (SEVERITIES, critical_signalled, decide_severity, decide_severity_combined,
                             escalation_signals, ev_cuts, names_platform_penalty)
from .tasks.spam import decide_spam, no_words_spam
from .tasks.threat import threat_names_no_problem
from .tasks.verdict import has_words, names_no_problem
from .text import NOT_CHINESE_REASON, is_not_chinese, normalize, require_texts

REQUIRED_TASKS = ("spam", "issue_types", "sentiment", "severity")
#: The labels the standard decisions read by position: a model for one of these tasks must have them, in this order
#: (spam: ``not_spam`` first; its spam types are read by name).
DECISION_LABELS = {"sentiment": ("negative", "neutral", "positive"), "severity": tuple(SEVERITIES)}


def _check_decision_labels(models: Mapping[str, Any]) -> None:
    """Refuse a model whose labels the standard decisions would misread (a sentiment model trained on 正面 / 负面 /
    中性 reads its labels sorted, so its scores would be taken for other labels without a word)."""
    for task, model in models.items():
        labels = tuple(model.heads[task].labels) if task in getattr(model, "heads", {}) else None
        if labels is None:
            continue
        want = DECISION_LABELS.get(task)
        if (want is not None and labels != want) or (task == "spam" and labels[:1] != ("not_spam",)):
            need = list(want) if want is not None else "'not_spam' first"
            raise ModelFormatError(
                f"the {task} model has labels {list(labels)}; the analyzer's {task} decision needs {need} "
                f"(the codebook's, in that order). Train it with those labels, or as a task of its own name "
                f"(feedback-nlp train --task {task}_custom ...) added beside the standard ones: "
                f"load(tasks={{'{task}_custom': DIR}}), --task-model {task}_custom=DIR")
#: In ``severity_reasons`` of a text the sentiment model cannot read (README, "Output fields").
UNREAD_REASON = "unread: the model knows none of these characters, sentiment neutral"
#: In ``severity_reasons`` of a spam record that also reads as a complaint (README, "Output fields"),
#: followed by the issue types it raises.
SPAM_COMPLAINT_REASON = "needs review: spam, yet negative and raising"
#: Spam types of a text that repeats one unit: whether it still raises a problem is read without the issue gate.
REPEATED_SPAM = ("flood", "gibberish")
#: The ``severity_reasons`` of a bare verdict (``tasks.verdict``): no issue type, severity low.
BARE_VERDICT_REASON = "bare verdict: names no problem"
#: The first ``severity_reasons`` of a bare threat ("我要投诉", ``tasks.threat``): ``other``, severity high.
BARE_THREAT_REASON = "bare threat: names no problem"
#: The ``severity_reasons`` of a bare chat phrase ("收到", "有人吗", ``tasks.chat``): not spam, no issue type, low.
CHAT_REASON = "chat phrase: names no problem"
#: The ``severity_reasons`` of a bare star rating ("5星", ``tasks.rating``): not spam, no issue type, low.
RATING_REASON = "bare rating: names no problem"
#: Why a bare question ("怎么取消订单？") was decided by its rule (point ``issue_types.bare_question``, off by default).
QUESTION_REASON = "question: names no problem"
#: The ``severity_reasons`` of a platform placeholder ("此用户未填写评价内容", ``tasks.placeholder``): neutral, low.
PLACEHOLDER_REASON = "platform placeholder: no review written"
#: The ``severity_reasons`` of a bare negated complaint ("质量不差", ``tasks.negated``): not spam, no issue type, low.
NEGATED_REASON = "negated complaint: names no problem"
#: The ``severity_reasons`` of a text with no letter or digit ("🥰🥰！", "。"; ``tasks.verdict.has_words``).
NO_WORDS_REASON = "no words (emoji or punctuation alone): names no problem"
#: The first ``severity_reasons`` of records a decision-stage rule found to raise no problem: recurring problems
#: (``cluster.ProblemClusterer``) leave them out.
NO_PROBLEM_REASONS = frozenset({BARE_VERDICT_REASON, BARE_THREAT_REASON, CHAT_REASON, RATING_REASON, QUESTION_REASON,
                                PLACEHOLDER_REASON, NEGATED_REASON, NO_WORDS_REASON})
DEFAULT_MODEL_NAME = "feedback-zh-ngram"


def default_model_path() -> Path:
    """The shipped model: ``$FEEDBACK_NLP_MODEL``, else the copy installed with the
    package, else ``models/`` of a source checkout."""
    env = os.environ.get("FEEDBACK_NLP_MODEL")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    for candidate in (here / "shipped_models" / DEFAULT_MODEL_NAME,
                      here.parents[1] / "models" / DEFAULT_MODEL_NAME):
        if (candidate / "model.json").is_file():
            return candidate
    raise ModelFormatError(
        f"the shipped model {DEFAULT_MODEL_NAME!r} was not found next to the package; "
        "reinstall feedback-nlp or pass a model directory to FeedbackAnalyzer.load()")


def _load_model(name_or_path, backend: Optional[str] = None, loaded: Optional[dict] = None):
    """An n-gram, transformer or ensemble model directory, by ``backend`` or by what its model.json says.

    ``loaded``: models already loaded, by resolved directory (filled here): a directory in it is
    not loaded again, also as an ensemble member (an ensemble over the default model shares it)."""
    from .ensemble import EnsembleModel, is_ensemble_dir
    from .transformer.runtime import TransformerModel, is_transformer_dir  # torch-free

    if backend not in (None, "ngram", "transformer"):
        raise ValueError(f"unknown backend {backend!r}; use 'ngram' or 'transformer'")
    if backend == "ngram":
        return NgramModel.from_pretrained(name_or_path)
    if backend == "transformer":
        return TransformerModel.from_pretrained(name_or_path)
    local = resolve_model_path(name_or_path)  # once: a hub id is fetched here, then read as a local directory
    key = str(Path(local).resolve())
    if loaded is not None and key in loaded:
        return loaded[key]
    if is_ensemble_dir(local):
        member = None if loaded is None else (lambda source: _load_model(source, loaded=loaded))
        model = EnsembleModel.from_pretrained(local, load_member=member)
    elif is_transformer_dir(local):
        model = TransformerModel.from_pretrained(local)
    else:
        model = NgramModel.from_pretrained(local)
    if loaded is not None:
        loaded[key] = model
    return model


def _heads_only(model, task: str) -> None:
    """Turn off a task's decision stage: no combiner, the head's own thresholds (``head_thresholds``)."""
    head = model.heads[task]
    if head.combiner is None:
        return
    head.combiner = None
    head.thresholds = dict(model.card.get("tasks", {}).get(task, {}).get("head_thresholds", head.thresholds))


def _combiner_fits(model, task: str) -> bool:
    """Whether ``task``'s combiner finds every head it reads, with the labels it reads, in its
    own model. It reads its own model's probabilities (those it was fitted on), so a head that
    ``tasks=`` replaces elsewhere in the pipeline does not change what it sees."""
    comb = model.heads[task].combiner
    if comb is None:
        return True
    for name in comb.features:
        for part in name[2:].split("*") if name.startswith("x:") else [name]:
            kind, _, rest = part.partition(":")
            if kind in ("p", "logit"):
                other, _, label = rest.partition(":")
                if other not in model.heads or label not in model.heads[other].labels:
                    return False
    return True


@dataclass
class Doc:
    """One record on its way through the pipeline."""

    id: Any
    text: str
    norm: str
    probs: dict[str, np.ndarray] = field(default_factory=dict)
    result: FeedbackResult = field(default_factory=FeedbackResult)
    fired: list = field(default_factory=list)  # escalation rules that match ``norm``
    combined: dict[str, np.ndarray] = field(default_factory=dict)  # task -> combiner probabilities
    review_reasons: list[str] = field(default_factory=list)
    channel: Optional[str] = None  # where the record came from; picks its operating points
    unread: bool = False  # the sentiment model cannot read the text (UNREAD_REASON)
    not_chinese: bool = False  # text.is_not_chinese: to review; critical only with a signal (NOT_CHINESE_REASON)
    spam_issues: list[str] = field(default_factory=list)  # the issue types a spam record would have had
    bare_verdict: bool = False  # a verdict naming no problem ("差评！"): no issue type, low
    bare_threat: bool = False  # a threat naming no problem ("我要投诉"): other, high
    #: The reason of a rule that decides the record alone: a bare chat phrase ("收到", CHAT_REASON), star
    #: rating ("5星", RATING_REASON), platform placeholder ("此用户未填写评价内容", PLACEHOLDER_REASON), negated
    #: complaint ("质量不差", NEGATED_REASON) or question ("怎么取消订单？", QUESTION_REASON): not spam, no issue
    #: type, low, no review for the heads' doubts.
    ruled: Optional[str] = None
    no_words: bool = False  # emoji / punctuation alone ("🥰🥰！"), decision stage: no issue type, low, emoji sentiment
    #: The reason of a rule that makes a kept record an ad, decision stage: a shop's own review-for-reward card
    #: (MERCHANT_CARD_REASON) or a posted notice sending readers to a contact channel (POSTED_NOTICE_REASON).
    posted_ad: Optional[str] = None


class FeedbackAnalyzer:
    """Per-record analysis: spam, issue types, sentiment, severity, routing.

    Build with :meth:`load`. Instances hold only read-only state after
    construction and are safe to share between threads.

    ``channel_thresholds`` (``{channel: {task: {key: value}}}``) gives records of a channel
    (``analyze(text, channel=...)``) their own operating points: a review feed and a ticket queue
    need different critical points (README, "Critical on a stream of ordinary reviews"). A record
    without a channel, or of a channel not named here, gets the heads' points.
    """

    def __init__(self, models: Mapping[str, NgramModel], routing: Optional[RoutingTable] = None,
                 channel_thresholds: Optional[Mapping[str, Mapping[str, Mapping[str, Any]]]] = None):
        missing = [t for t in REQUIRED_TASKS if t not in models]
        if missing:
            raise ModelFormatError(
                f"no model for task(s) {', '.join(missing)}; a model for single tasks goes next to the default "
                "model: FeedbackAnalyzer.load(tasks={TASK: DIR}), on the command line --task-model TASK=DIR")
        _check_decision_labels(models)
        self.task_models = dict(models)
        #: Custom tasks beyond the four standard ones: each adds output fields (``FeedbackResult.extra``).
        self.extra_tasks = [t for t in self.task_models if t not in REQUIRED_TASKS]
        taken = set(FIELDS) | {"error", "text", "cluster_id", "cluster_label"}
        clash = [f for t in self.extra_tasks for f in (t, f"{t}_scores") if f in taken or t.endswith("_scores")]
        if clash:
            raise ValueError(f"custom task name(s) clash with output fields: {', '.join(clash)}; rename the task")
        # Group tasks by model so each model featurises a text once for all its tasks.
        self._groups: list[tuple[NgramModel, list[str]]] = []
        for task in (*REQUIRED_TASKS, *self.extra_tasks):
            model = self.task_models[task]
            for m, tasks in self._groups:
                if m is model:
                    tasks.append(task)
                    break
            else:
                self._groups.append((model, [task]))
        if routing is None:
            table = next((m.routing for m, _ in self._groups if m.routing), None)
            routing = RoutingTable(table)
        elif not isinstance(routing, RoutingTable):
            raise TypeError(f"routing must be a RoutingTable, a mapping or a file path, got {type(routing).__name__}")
        routing.require_teams(self._head("issue_types").labels)
        self.routing = routing
        #: ``{channel: {task: the head's points with the channel's on top}}``, checked once here.
        self.channel_thresholds = channel_points(self.task_models, channel_thresholds or {})
        self.components: list[tuple[str, Callable[[Doc], None]]] = [
            ("spam", self._spam), ("issue_types", self._issue_types), ("sentiment", self._sentiment),
            ("severity", self._severity), ("routing", self._route), ("review", self._review)]
        if self.extra_tasks:
            self.components.append(("custom_tasks", self._custom_tasks))
        #: Whether a decision stage runs (a head has a combiner; not with ``load(decisions=False)``). Its rules
        #: beside the combiners (bare verdicts, texts with no words) are not applied to the heads alone.
        self.decision_stage = any(self._head(t).combiner is not None for t in REQUIRED_TASKS)

    @property
    def output_fields(self) -> list[str]:
        """Keys of ``FeedbackResult.to_dict()`` in order: :data:`FIELDS`, then per custom task
        ``TASK`` and ``TASK_scores``."""
        return [*FIELDS, *(f for t in self.extra_tasks for f in (t, f"{t}_scores"))]

    @property
    def pipe_names(self) -> list[str]:
        return [name for name, _ in self.components]

    @classmethod
    def load(cls, path: str | Path | None = None, *, backend: Optional[str] = None,
             tasks: Optional[Mapping[str, str | Path]] = None,
             routing: str | Path | RoutingTable | dict | None = None,
             thresholds: Optional[Mapping[str, Any]] = None, decisions: bool = True) -> "FeedbackAnalyzer":
        """Load a model directory (default: the shipped model) or a hub id.

        ``backend`` is "ngram" or "transformer"; by default the directory's model.json decides.

        ``tasks`` replaces single tasks with other model directories, e.g. a custom
        issue-type model: ``load(tasks={"issue_types": "my_issue_model"},
        routing="my_routing.yaml")``. A task name that is not one of the four standard
        tasks adds that task (a model trained with ``feedback-nlp train --task topic``):
        its decision and scores become the output fields ``topic`` and ``topic_scores``.
        ``routing`` is a JSON/YAML file, a dict or a RoutingTable; by default the
        table saved with the model (or the codebook's) is used.

        ``thresholds`` moves operating points without retraining: ``{"severity.critical": 0.7}``
        or ``{"severity": {"critical": 0.7}}``. The keys a head has (and the dev precision and
        recall at other values) are in ``model.json`` and the model card; an unknown task or
        key raises ValueError naming the known ones. ``"severity.critical@order_review": 0.1``
        sets the point for records of channel ``order_review`` only (``analyze(text, channel=...)``).

        ``decisions=False`` runs the heads alone with their own thresholds (``head_thresholds``
        in ``model.json``): what a host that implements only the heads (the Node example)
        computes, and a baseline for the decision stage. A decision stage reads the heads of its
        own model (those it was fitted on), also where ``tasks=`` replaced one of them in the
        pipeline: replacing issue types keeps the default model's spam and severity decisions.
        """
        # one object per directory, ensemble members included: one pass per text for all its tasks
        loaded: dict[str, Any] = {}
        base = _load_model(path if path is not None else default_model_path(), backend,
                           loaded=loaded if backend is None else None)
        models = {t: base for t in base.heads}
        for task, p in (tasks or {}).items():
            override = _load_model(Path(p).expanduser() if isinstance(p, (str, Path)) and Path(p).expanduser().is_dir()
                                   else p, loaded=loaded)
            if task not in override.heads:
                raise ModelFormatError(f"{p} has no {task!r} head (it has {', '.join(override.heads)})")
            models[task] = override
        for task in (t for t in REQUIRED_TASKS if t in models):  # a missing task is reported by __init__
            if not decisions or not _combiner_fits(models[task], task):
                _heads_only(models[task], task)
        per_channel = apply_thresholds(models, thresholds) if thresholds else {}
        if isinstance(routing, (str, Path)):
            routing = RoutingTable.from_file(routing)
        elif isinstance(routing, Mapping):
            routing = RoutingTable(dict(routing))
        return cls(models, routing, channel_thresholds=per_channel)

    # -- components -------------------------------------------------------------------
    def _head(self, task: str):
        return self.task_models[task].heads[task]

    def _points(self, task: str, doc: Doc) -> Mapping[str, float]:
        """The operating points of ``task`` for this record: its channel's, else the head's."""
        if doc.channel is not None and self.channel_thresholds:
            points = self.channel_thresholds.get(doc.channel, {}).get(task)
            if points is not None:
                return points
        return self._head(task).thresholds

    def _spam(self, doc: Doc) -> None:
        points = self._points("spam", doc)
        r = doc.result
        r.is_spam, r.spam_type, score = decide_spam(
            doc.probs["spam"], doc.norm, points.get("spam", 0.5), points.get("repeat"),
            combined=doc.combined.get("spam"),
            flood_repetition=points.get("flood_repetition", DEFAULT_POINTS["spam"]["flood_repetition"]))
        if r.is_spam and r.spam_type == "flood" and self.decision_stage and critical_signalled(doc.fired):
            r.is_spam, r.spam_type = False, None  # a critical complaint pasted again and again is still one (J6)
        if (r.is_spam and r.spam_type in REVIEW_FORM_TYPES and self.decision_stage and is_review_form(doc.norm)
                and points.get("review_forms", DEFAULT_POINTS["spam"]["review_forms"])):
            r.is_spam, r.spam_type = False, None  # "女朋友很喜欢", "这本书…": a review (rules EF, EG); score stays
        if r.is_spam and r.spam_type == "ad" and self._reports_ad(doc, points):
            r.is_spam, r.spam_type = False, None  # a quoted ad or an evidence link: a report (rules FB, FC)
        if doc.no_words:  # decision stage: emoji of one side are a review; other flagged non-words are gibberish
            r.is_spam, r.spam_type = no_words_spam(r.is_spam, doc.norm)
        if doc.ruled:  # decision stage: a chat phrase, rating, placeholder, negated complaint or question is not spam
            r.is_spam, r.spam_type = False, None
        elif not r.is_spam and (reason := self._posted_ad(doc, points)) and not self._reports_ad(doc, points):
            doc.posted_ad, r.is_spam, r.spam_type = reason, True, "ad"
        elif (not r.is_spam and self.decision_stage and not doc.fired and not doc.no_words
              and points.get("commenter_abuse", DEFAULT_POINTS["spam"]["commenter_abuse"])
              and insults_commenter(doc.norm)):
            r.is_spam, r.spam_type = True, "abuse"  # "楼上那个…智障一个": other commenters insulted (rule FA)
        r.spam_score = round(score, 6)

    def _reports_ad(self, doc: Doc, points: Mapping[str, float]) -> bool:
        """Decision stage: whether the record reports an ad rather than posts one (a quoted ad, an evidence link:
        :func:`~feedback_nlp.tasks.reported_ad.is_reported_ad`). Off with the point ``spam.reported_ads`` at 0."""
        return bool(self.decision_stage and points.get("reported_ads", DEFAULT_POINTS["spam"]["reported_ads"])
                    and is_reported_ad(doc.norm))

    def _posted_ad(self, doc: Doc, points: Mapping[str, float]) -> Optional[str]:
        """Decision stage: the reason a record the spam decision kept is an ad because its poster advertises
        (codebook), else None. A notice sending readers to a contact channel
        (:func:`~feedback_nlp.tasks.notice.is_posted_notice`), or a shop's own review-for-reward card
        (:func:`~feedback_nlp.tasks.merchant.is_merchant_card`) that does not read negative (a buyer reporting
        such a card complains); neither when an escalation signal fires. Off with the point ``spam.posted_ad`` at 0."""
        if not self.decision_stage or doc.fired:  # (a text with no words is neither: both need words)
            return None
        if not points.get("posted_ad", DEFAULT_POINTS["spam"]["posted_ad"]):
            return None
        if is_posted_notice(doc.norm):
            return POSTED_NOTICE_REASON
        if is_merchant_card(doc.norm):  # (its test first: it leaves early on almost every text)
            labels = self._head("sentiment").labels
            if labels[int(np.argmax(doc.probs["sentiment"]))] != "negative":
                return MERCHANT_CARD_REASON
        return None

    def _issue_types(self, doc: Doc) -> None:
        """Issue types over their thresholds. The decision stage gives none to a bare verdict ("差评！",
        "不推荐") on which no escalation signal fires (codebook v1.1), a bare chat phrase ("收到") or rating ("5星"),
        ``other`` alone to a bare threat ("我要投诉") on which none of the critical kind fires (v1.2; these
        rules: the point ``bare_verdict``, on unless 0), and puts ``product_quality`` first when the text
        reports illness."""
        head, points = self._head("issue_types"), self._points("issue_types", doc)
        r = doc.result
        # a repeated complaint ("退款退款…", spam) reads as raising nothing to the gate: its labels decide whether
        # it goes to review as spam that reads as a complaint
        gated = not (r.is_spam and r.spam_type in REPEATED_SPAM)
        chosen, scores = decide_issue_types(doc.probs["issue_types"], head.labels, points,
                                            raised=doc.combined.get("issue_types") if gated else None)
        r.issue_scores = scores
        if head.combiner is not None:  # decision stage: bare verdicts, the codebook's illness rule
            if not r.is_spam and points.get("bare_verdict", DEFAULT_POINTS["issue_types"]["bare_verdict"]):
                if names_no_problem(doc.norm, doc.fired):
                    doc.bare_verdict, chosen = True, []
                elif "other" in head.labels and threat_names_no_problem(doc.norm, doc.fired):
                    doc.bare_threat, chosen = True, ["other"]
            chosen = illness_first(chosen, doc.norm, head.labels)
        if doc.no_words or doc.ruled:  # decision stage: these name no problem
            chosen = []
        r.issue_types = [] if r.is_spam else chosen
        r.primary_issue = r.issue_types[0] if r.issue_types else None
        if r.is_spam:
            doc.spam_issues = list(chosen)

    def _sentiment(self, doc: Doc) -> None:
        label, score = decide_sentiment(doc.probs["sentiment"])
        doc.result.sentiment, doc.result.sentiment_score = label, round(score, 6)

    def _severity(self, doc: Doc) -> None:
        r = doc.result
        if r.is_spam:
            r.severity, r.severity_reasons = "low", ["spam", doc.posted_ad] if doc.posted_ad else ["spam"]
            return
        if doc.bare_verdict:
            r.severity, r.severity_reasons = "low", [BARE_VERDICT_REASON]
            return
        if doc.bare_threat:  # codebook: an explicit threat of a complaint is high
            r.severity, r.severity_reasons = "high", [BARE_THREAT_REASON, *(x.reason for x in doc.fired)]
            return
        if doc.no_words:
            r.severity, r.severity_reasons = "low", [NO_WORDS_REASON]
            return
        if doc.ruled:
            r.severity, r.severity_reasons = "low", [doc.ruled]
            return
        points = self._points("severity", doc)
        if "severity" in doc.combined:
            penalty = not critical_signalled(doc.fired) and names_platform_penalty(doc.norm)
            r.severity, r.severity_reasons, review = decide_severity_combined(
                doc.combined["severity"], doc.fired, points, not_chinese=doc.not_chinese, penalty=penalty)
            if review:
                doc.review_reasons.append(review)
                r.severity_reasons.append(f"needs review: {review}")
            return
        r.severity, r.severity_reasons = decide_severity(
            doc.probs["severity"], doc.fired, points.get("critical", 0.5), ev_cuts(points))

    def _custom_tasks(self, doc: Doc) -> None:
        """Custom tasks: a multiclass head gives its most probable label, a multilabel head
        every label over its threshold (0.5 unless chosen on dev), most likely first."""
        for task in self.extra_tasks:
            head = self._head(task)
            probs = doc.probs[task]
            chosen, scores = decide_issue_types(probs, head.labels, self._points(task, doc))
            value = chosen if head.kind == MULTILABEL else head.labels[int(np.argmax(probs))]
            doc.result.extra[task], doc.result.extra[f"{task}_scores"] = value, scores

    def _route(self, doc: Doc) -> None:
        """Every non-spam record at ``medium`` or above gets an owner: with no issue type
        chosen, the most likely one is taken when its score reaches half its threshold, else
        ``other`` (a threat or alarm naming no concrete problem, codebook v1.2)."""
        r = doc.result
        if r.is_spam:
            r.route = None
            return
        if not r.issue_types and SEVERITIES.index(r.severity) >= SEVERITIES.index("medium"):
            head, points = self._head("issue_types"), self._points("issue_types", doc)
            best = max(r.issue_scores, key=r.issue_scores.get) if r.issue_scores else None
            if best is not None and r.issue_scores[best] >= 0.5 * points.get(best, 0.5):
                fallback = best
            else:
                fallback = "other" if "other" in head.labels else best
            if fallback is not None:
                r.issue_types, r.primary_issue = [fallback], fallback
                r.severity_reasons.append(f"routed by severity: no issue type reached its threshold, {fallback} taken")
        r.route = self.routing.route(r.primary_issue, r.severity)

    def _review(self, doc: Doc) -> None:
        """``needs_review``: a decision a person should check.

        True when the severity decision put a record in the critical review band (just below a
        critical point: kept at ``high``, the reason is in ``severity_reasons``), when the spam
        score is within ``review_margin`` (default 0.15) of the spam point, when a spam record
        reads as a complaint (negative, and an issue type reached its threshold; spam's
        ``review_complaints``, on unless 0: a real complaint must not be discarded unseen), or the
        (temperature-calibrated) sentiment or severity confidence — the head's max probability —
        is below that head's ``thresholds["review"]``, or the text is not Chinese
        (:func:`feedback_nlp.text.is_not_chinese`; the reason is added to ``severity_reasons``).
        training/train_baseline.py chooses the sentiment ``review`` threshold on dev so that the
        records *not* sent to review reach 0.92 accuracy; the shipped severity ``review``
        threshold is 0 (severity confidence alone sends nothing to review; the band does).
        """
        r = doc.result
        t, d = self._points("spam", doc), DEFAULT_POINTS
        spam_margin = abs(r.spam_score - t.get("spam", 0.5)) < t.get("review_margin", d["spam"]["review_margin"])
        sent_conf = float(doc.probs["sentiment"].max()) < self._points("sentiment", doc).get(
            "review", d["sentiment"]["review"])
        sev_conf = float(doc.probs["severity"].max()) < self._points("severity", doc).get(
            "review", d["severity"]["review"])
        complaint = bool(r.is_spam and doc.spam_issues and r.sentiment == "negative"
                         and t.get("review_complaints", d["spam"]["review_complaints"]))
        if complaint:
            r.severity_reasons = [*r.severity_reasons, f"{SPAM_COMPLAINT_REASON} {', '.join(doc.spam_issues)}"]
        if doc.ruled:  # decided by its rule alone ("收到", "5星"): the heads' doubts send nothing to review
            spam_margin = sent_conf = sev_conf = False
        r.needs_review = bool(spam_margin or complaint or sent_conf or sev_conf or doc.review_reasons)
        if doc.unread and not doc.no_words:
            r.severity_reasons = [*r.severity_reasons, UNREAD_REASON]
        if doc.not_chinese:  # outside what the models cover
            r.needs_review, r.severity_reasons = True, [*r.severity_reasons, NOT_CHINESE_REASON]

    # -- public API ------------------------------------------------------------------------
    def analyze(self, text: str, id: Any = None, channel: Optional[str] = None) -> FeedbackResult:
        """Analyse one text. Raises TypeError if ``text`` is not a string. ``channel``: where it came
        from (``order_review``, ``cs_chat``, ...), for the channel's operating points. ``id`` is the result's id
        (None unless given)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        return self.analyze_batch([text], ids=[id], channels=[channel])[0]

    def analyze_batch(self, texts: Sequence[str], ids: Optional[Sequence[Any]] = None,
                      batch_size: int = 256, detect_floods: bool = False,
                      flood_min_group: int = 3, channels: Optional[Sequence[Optional[str]]] = None
                      ) -> list[FeedbackResult]:
        """Analyse texts; the output has the same length and order as the input.

        ``ids`` defaults to the 1-based position. ``channels`` (one per text, None for none) picks
        each record's operating points (``channel_thresholds``); a value that is not a string is
        read as its ``str``. A non-string element raises
        TypeError naming its position (nothing is silently dropped). A text that
        is empty after normalisation (empty, whitespace, control characters) gets
        the neutral result: not spam, no issue, neutral, score 0, severity low,
        reason "empty text". A text the sentiment model cannot read (no n-gram it
        knows: ``🙂``) gets sentiment neutral at 0 and :data:`UNREAD_REASON`.

        ``detect_floods=True`` also looks for posts repeated *across* the batch
        (:class:`feedback_nlp.dedup.NearDuplicateIndex`: SimHash over character
        3-grams of the canonical text, Hamming distance <= 3 of 64 bits, texts of
        at least 6 letters/digits). A record becomes spam type ``flood`` only when

        1. it is one of at least ``flood_min_group`` near-identical posts in the batch, and
        2. on its own it raises nothing: not already spam, no issue type, and
           severity ``low`` (no escalation signal such as 12315 / 食物中毒 fired).

        A copied complaint therefore always stays a complaint (it may be a real
        problem many users report); only copied praise, filler and chatter are
        marked. Marked records get ``severity_reasons`` ``["spam", "flood: one of
        N near-identical posts in this batch"]`` and no route.
        """
        if isinstance(texts, (str, bytes, Mapping)):  # list("快递") would analyse each character as a text
            raise TypeError(f"analyze_batch takes a sequence of texts, got a {type(texts).__name__}; use "
                            "analyze(text) or analyze_batch([text])")
        for name, seq in (("ids", ids), ("channels", channels)):
            if isinstance(seq, (str, bytes, Mapping)):
                raise TypeError(f"{name} takes one value per text, got a {type(seq).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int):
            raise TypeError(f"batch_size must be an int, got {type(batch_size).__name__}")
        texts = list(texts)
        if ids is None:
            ids = list(range(1, len(texts) + 1))
        else:
            ids = list(ids)
            if len(ids) != len(texts):
                raise ValueError(f"{len(texts)} texts but {len(ids)} ids")
        if channels is None:
            channels = [None] * len(texts)
        else:
            channels = [None if c is None else str(c) for c in channels]
            if len(channels) != len(texts):
                raise ValueError(f"{len(texts)} texts but {len(channels)} channels")
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        out: list[FeedbackResult] = []
        for start in range(0, len(texts), batch_size):
            stop = start + batch_size
            out.extend(self._analyze_chunk(texts[start:stop], ids[start:stop], start, channels[start:stop]))
        if detect_floods:  # FloodMarker checks flood_min_group; a batch smaller than it marks nothing
            FloodMarker(flood_min_group).mark(texts, out)
        return out

    def _analyze_chunk(self, texts: list, ids: list, offset: int, channels: list) -> list[FeedbackResult]:
        require_texts(texts, offset)
        norms = [normalize(t) for t in texts]
        docs = [Doc(id=i, text=t, norm=n, result=FeedbackResult(id=i), channel=c)
                for i, t, n, c in zip(ids, texts, norms, channels)]
        live = [d for d in docs if d.norm]
        for d in docs:
            if not d.norm:  # the neutral result: every score key there, at 0 (a fixed shape for readers)
                d.result.severity_reasons = ["empty text"]
                d.result.issue_scores = dict.fromkeys(self._head("issue_types").labels, 0.0)
                for task in self.extra_tasks:  # the neutral result of a custom task
                    d.result.extra[task] = [] if self._head(task).kind == MULTILABEL else None
                    d.result.extra[f"{task}_scores"] = dict.fromkeys(self._head(task).labels, 0.0)
        if live:
            live_norms = [d.norm for d in live]
            by_model: dict[int, dict[str, np.ndarray]] = {}  # every head of each model, for its combiners
            for model, tasks in self._groups:
                probs = by_model[id(model)] = model.predict_proba(live_norms)
                for task in tasks:
                    for d, p in zip(live, probs[task]):
                        d.probs[task] = p
            self._mark_unread(live, live_norms)
            if self.decision_stage:
                self._mark_no_words(live)
            for d in live:
                d.fired = escalation_signals(d.norm)
                d.not_chinese = is_not_chinese(d.norm)
            if self.decision_stage:
                self._mark_story(live)  # before the rules that read the signals
                self._mark_ruled(live)
            self._combine(live, live_norms, by_model)
            if self.decision_stage:
                self._read_unpadded(live)
            for d in live:
                for _, component in self.components:
                    component(d)
        return [d.result for d in docs]

    def _mark_unread(self, live: list[Doc], norms: list[str]) -> None:
        """A text the sentiment model cannot read (no n-gram it knows: ``🙂``, ``〠``) gets sentiment
        neutral at score 0 instead of the head's prior, which would be a confident-looking guess;
        the other heads' priors already mean no issue and severity low. A transformer reads a text
        with a piece other than [UNK]; a model without ``reads`` reads every text."""
        model = self.task_models["sentiment"]
        labels = list(self._head("sentiment").labels)
        if not hasattr(model, "reads") or "neutral" not in labels:
            return
        neutral = neutral_probs(labels)
        for d, known in zip(live, model.reads(norms, task="sentiment")):
            if not known:
                d.unread, d.probs["sentiment"] = True, neutral

    def _mark_no_words(self, live: list[Doc]) -> None:
        """Decision stage: a text with no letter or digit ("🥰🥰！", "。", "？？？") names no problem (no issue
        type and ``low`` unless spam) and is decided on the sentiment its emoji take
        (:func:`feedback_nlp.tasks.sentiment.emoji_probs`): the heads read only its punctuation, which gave
        "🥰🥰！" critical and negative. Only the decisions change; the combiners read the heads' own output."""
        labels = list(self._head("sentiment").labels)
        if not {"negative", "neutral", "positive"} <= set(labels):
            return
        for d in live:
            if not has_words(d.norm):
                d.no_words, d.probs["sentiment"] = True, emoji_probs(d.norm, labels)

    def _mark_ruled(self, live: list[Doc]) -> None:
        """Decision stage: a bare chat phrase ("收到", "好的谢谢", "有人吗"; :func:`~feedback_nlp.tasks.chat.
        is_bare_chat_phrase`) or a bare star rating ("5星", "只能给1星"; :func:`~feedback_nlp.tasks.rating.rating_side`)
        on which no escalation signal fires names no problem: not spam, no issue type, ``low``. A chat
        phrase's negative reading becomes neutral (the heads read "收到" as in "还没收到", "人呢" as abuse); a
        rating's sentiment is its number's (the heads read "1星" and "5星" alike). A platform placeholder ("此用户未填写
        评价内容"; :func:`~feedback_nlp.tasks.placeholder.is_placeholder`) is decided the same way, neutral, and a bare
        negated complaint ("质量不差", "没有色差"; :func:`~feedback_nlp.tasks.negated.negated_side`) on the side its
        negation takes (positive; neutral when only softened: "没那么慢"). Off with the
        point ``issue_types.bare_verdict`` at 0, as the other texts that name no problem. Where the point
        ``issue_types.bare_question`` is 1 (off by default; for chat channels), a bare question ("怎么取消订单？";
        :func:`~feedback_nlp.tasks.question.is_bare_question`) is decided the same way, neutral."""
        labels = list(self._head("sentiment").labels)
        if self._head("issue_types").combiner is None or not {"negative", "neutral", "positive"} <= set(labels):
            return
        defaults = DEFAULT_POINTS["issue_types"]
        for d in live:
            if d.no_words:
                continue
            points = self._points("issue_types", d)
            if points.get("bare_verdict", defaults["bare_verdict"]):
                if chat_names_no_problem(d.norm, d.fired):
                    d.ruled = CHAT_REASON
                    if labels[int(np.argmax(d.probs["sentiment"]))] == "negative":
                        d.probs["sentiment"] = neutral_probs(labels)
                    continue
                if side := rating_names_no_problem(d.norm, d.fired):
                    d.ruled, d.probs["sentiment"] = RATING_REASON, side_probs(side, labels)
                    continue
                if placeholder_names_no_problem(d.norm, d.fired):
                    d.ruled, d.probs["sentiment"] = PLACEHOLDER_REASON, neutral_probs(labels)
                    continue
                if side := negated_names_no_problem(d.norm, d.fired):
                    d.ruled, d.probs["sentiment"] = NEGATED_REASON, side_probs(side, labels)
                    continue
            if points.get("bare_question", defaults["bare_question"]) and question_names_no_problem(d.norm, d.fired):
                d.ruled, d.probs["sentiment"] = QUESTION_REASON, neutral_probs(labels)

    def _mark_story(self, live: list[Doc]) -> None:
        """Decision stage: in a book review that reads positive (it names the book, its author, characters or reading:
        :func:`~feedback_nlp.tasks.review_form.names_book`; the sentiment head's most probable label is positive), the
        escalation rules' matches are its story's (手术, 律师, 媒体, 毒死), not the reader's harm or threat: it fires no
        signal, for the combiners and the decisions alike (rule EJ; 37 of the 45 critical train / dev book reviews of
        the shopping corpus were positive). Off with the point ``severity.book_story`` at 0."""
        labels = list(self._head("sentiment").labels)
        if "positive" not in labels:
            return
        positive = labels.index("positive")
        for d in live:
            if (d.fired and int(np.argmax(d.probs["sentiment"])) == positive and names_book(d.norm)
                    and self._points("severity", d).get("book_story", DEFAULT_POINTS["severity"]["book_story"])):
                d.fired = []

    def _combine(self, live: list[Doc], norms: list[str], by_model: Mapping[int, Mapping[str, np.ndarray]]) -> None:
        """Second-stage decisions (combiners) for a chunk at once: each reads every head of its own model."""
        fired = texts = None
        for task in ("spam", "issue_types", "severity"):
            comb = self._head(task).combiner
            if comb is None:
                continue
            model = self.task_models[task]
            batch = by_model[id(model)]
            labels = {t: model.heads[t].labels for t in batch}
            if fired is None:
                fired = [{r.reason for r in d.fired} for d in live]
            if texts is None and any("text:" in f for f in comb.features):
                texts = [text_evidence(n) for n in norms]  # once per chunk, shared by the combiners
            P = comb.predict_proba(norms, batch, labels, fired=fired, texts=texts)
            for d, p in zip(live, P):
                d.combined[task] = p

    def _read_unpadded(self, live: list[Doc]) -> None:
        """Decision stage: padding does not make a text spam. A text the spam combiner flags that holds padding (a
        run of one punctuation mark, laughter: :data:`~feedback_nlp.tasks.review_form.PADDING`) takes the spam
        reading of the same text without it (:func:`~feedback_nlp.tasks.review_form.unpadded`) when that reading is
        under the point: "不错。。。。。。。。" and "包装破损了。。。。。。" had been ``gibberish``, "非常好哈哈哈哈哈"
        ``irrelevant``. It only un-flags; the other heads keep their reading of the whole text. Off with the point
        ``spam.review_forms`` at 0."""
        comb = self._head("spam").combiner
        if comb is None:
            return
        todo = []
        for d in live:
            points = self._points("spam", d)
            point = points.get("spam", 0.5)
            if (d.no_words or not points.get("review_forms", DEFAULT_POINTS["spam"]["review_forms"])
                    or float(d.combined["spam"][1]) < point):
                continue
            bare = unpadded(d.norm)
            if bare and bare != d.norm:
                todo.append((d, bare, point))
        if not todo:
            return
        model = self.task_models["spam"]
        norms = [bare for _, bare, _ in todo]
        probs = model.predict_proba(norms)  # every head: the combiner reads them all
        labels = {t: model.heads[t].labels for t in probs}
        # the combiner matches its own rule and text evidence on the texts without padding (evidence_matrix)
        for i, (p, (d, _, point)) in enumerate(zip(comb.predict_proba(norms, probs, labels), todo)):
            if float(p[1]) < point:
                d.combined["spam"], d.probs["spam"] = p, probs["spam"][i]

    def analyze_frame(self, df, text_col: str = "text", id_col: Optional[str] = None, batch_size: int = 256,
                      channel_col: Optional[str] = None):
        """pandas in, pandas out: ``df`` plus one column per result field and ``error`` (index kept).

        A text that is not a string (NaN, None, or a number pandas read from a numeric-looking
        column such as "666") gets the neutral empty-text result and, in ``error``, the message
        ``feedback-nlp score`` writes for it ("text field must be a string, got number"): read
        such columns as text (``dtype=str``). ``error`` is None for every other row.
        ``channel_col``: the column naming each record's channel (missing values: no channel).
        """
        import pandas as pd

        from .io import ERROR_FIELD, record_from_object

        for col in (text_col, id_col, channel_col):
            if col is not None and col not in df.columns:
                raise KeyError(f"column {col!r} not in the frame (columns: {', '.join(map(str, df.columns))})")
            if col is not None and not isinstance(df[col], pd.Series):
                raise ValueError(f"the frame has more than one column named {col!r}")
        column = df[text_col].astype(object)
        values = column.where(column.notna(), None).tolist()
        texts = [t if isinstance(t, str) else "" for t in values]
        ids = df[id_col].tolist() if id_col else list(df.index)
        channels = [None if pd.isna(c) else str(c) for c in df[channel_col].tolist()] if channel_col else None
        results = self.analyze_batch(texts, ids=ids, batch_size=batch_size, channels=channels)
        res = pd.DataFrame([r.to_dict() for r in results], index=df.index, columns=self.output_fields).drop(
            columns=["id"])
        errors = [None if isinstance(t, str) else record_from_object({text_col: t}, i, text_field=text_col).error
                  for i, t in enumerate(values, 1)]
        res[ERROR_FIELD] = pd.Series(errors, index=df.index, dtype=object)  # None stays None, not NaN
        overlap = [c for c in res.columns if c in df.columns]
        if overlap:
            res = res.rename(columns={c: f"{c}_pred" for c in overlap})
        return pd.concat([df, res], axis=1)
