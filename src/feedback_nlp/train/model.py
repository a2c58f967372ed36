"""The one path from labelled sets to a saved model: one featuriser over every text, one head per task, its
points chosen on dev (:func:`train_model`)."""
from __future__ import annotations

import time
from typing import Mapping, Optional, Sequence

import numpy as np

from ..labelled_data import LabelledData, check_labelled
from ..features import NgramFeaturizer
from ..modeling import NgramModel
from ..tasks.base import MULTICLASS, MULTILABEL, HeadSpec
from ..tasks.spam import SPAM_CLASSES
from ..text import normalize
from .evaluate import evaluate_head
from .fit import _require_sklearn, fit_linear_head
from .tune import calibrate_temperature, out_of_fold_proba, tune_review, tune_thresholds


#: Default label sets of the built-in tasks (a user's taxonomy replaces them).
DEFAULT_KINDS = {"spam": MULTICLASS, "issue_types": MULTILABEL, "sentiment": MULTICLASS, "severity": MULTICLASS}


def train_model(train_sets: Mapping[str, LabelledData], dev_sets: Optional[Mapping[str, LabelledData]] = None, *,
                labels: Optional[Mapping[str, Sequence[str]]] = None,
                featurizer: Optional[NgramFeaturizer] = None, extra_texts: Sequence[str] = (),
                C: Mapping[str, float] | float = 4.0, class_weight: Mapping[str, object] | None = None,
                sample_weights: Optional[Mapping[str, np.ndarray]] = None,
                nb_scale: Optional[Mapping[str, tuple[str, str]]] = None,
                calibrate: Sequence[str] = (), spam_max_flag_rate: float = 0.01,
                min_critical_recall: float = 0.95, review_accuracy: Optional[Mapping[str, float]] = None,
                threshold_folds: Optional[Mapping[str, int]] = None,
                card: Optional[dict] = None, verbose: bool = True) -> NgramModel:
    """Train one model with a head per task from labelled data.

    Parameters
    ----------
    train_sets : task -> LabelledData
        Training data per task. The featuriser is fitted on the union of their
        texts (plus ``extra_texts``), so all heads share one feature space.
    dev_sets : task -> LabelledData, optional
        Dev data: decision thresholds are chosen there, and dev metrics go on the card.
    labels : task -> labels, optional
        Label order per task; default: built-in order for built-in tasks, else sorted.
    C : float or task -> float
        Inverse regularisation strength of the logistic regressions.
    class_weight, sample_weights : task -> ...
        Passed to :func:`fit_linear_head` (class weights may be keyed by label).
    nb_scale : task -> (positive label, negative label)
        NB-SVM log-count-ratio scaling for that task's head (folded into its weights).
    calibrate : tasks
        Multiclass heads whose weights and bias are divided by a temperature fitted on
        dev (minimum negative log-likelihood), so their probabilities are calibrated
        confidences; decisions by argmax do not change.
    spam_max_flag_rate, min_critical_recall : constraints of :func:`tune_thresholds`.
    threshold_folds : task -> k
        Choose that task's thresholds on k-fold out-of-fold predictions on train pooled
        with dev (:func:`out_of_fold_proba`; k more fits of the head) instead of on dev
        alone: for classes too rare on dev to set a threshold (e.g. 33 critical records).
        Ignored for tasks in ``calibrate`` (their out-of-fold probabilities would be uncalibrated).
    review_accuracy : task -> accuracy
        For ``sentiment`` / ``severity``: choose the head's ``review`` threshold on dev
        (see :func:`tune_review`) so that records *not* sent to review reach this accuracy.
    """
    _require_sklearn()
    t0 = time.time()
    log = print if verbose else (lambda *a, **k: None)
    for task, data in train_sets.items():  # lengths and types first: normalize needs strings
        check_labelled(task, data, (labels or {}).get(task))
    norm_sets = {t: [normalize(x) for x in d.texts] for t, d in train_sets.items()}
    for task, data in train_sets.items():
        check_labelled(task, data, (labels or {}).get(task), norms=norm_sets[task])
    if featurizer is None:
        featurizer = NgramFeaturizer()
    if not hasattr(featurizer, "vocabulary_"):
        seen, corpus = set(), []
        for norms in list(norm_sets.values()) + [[normalize(x) for x in extra_texts]]:
            for n in norms:
                if n not in seen:
                    seen.add(n)
                    corpus.append(n)
        log(f"fitting featurizer on {len(corpus)} distinct texts")
        featurizer.fit(corpus)
    heads, weights, pooled = {}, {}, {}
    for task, data in train_sets.items():
        labs = list((labels or {}).get(task) or _default_labels(task, data))
        kind = MULTILABEL if data.multilabel else MULTICLASS
        head = HeadSpec(task=task, kind=kind, labels=labs)
        X = featurizer.transform(norm_sets[task]).to_scipy(featurizer.n_features)
        c = C[task] if isinstance(C, Mapping) else C
        cw = (class_weight or {}).get(task)
        log(f"training {task}: {len(data)} texts, {len(labs)} labels, C={c}, class_weight={cw}")
        heads[task] = head
        fit_kwargs = {"C": c, "class_weight": cw, "nb_scale": (nb_scale or {}).get(task)}
        sw = (sample_weights or {}).get(task)
        weights[task] = fit_linear_head(X, data.labels, head, sample_weight=sw, **fit_kwargs)
        folds = (threshold_folds or {}).get(task)
        if folds and dev_sets and task in dev_sets and task not in calibrate:
            log(f"{task}: {folds}-fold out-of-fold predictions for threshold selection")
            pooled[task] = (out_of_fold_proba(X, data.labels, head, folds=folds, sample_weight=sw, **fit_kwargs),
                            norm_sets[task], data.labels)
    card = dict(card or {})
    card.setdefault("tasks", {})
    model = NgramModel(featurizer, heads, weights, card)
    for task in heads:
        entry = card["tasks"].setdefault(task, {})
        entry["training_data"] = {"n_texts": len(train_sets[task]), **entry.get("training_data", {})}
        if dev_sets and task in dev_sets:
            check_labelled(task, dev_sets[task], model.heads[task].labels, training=False)
            if task in calibrate:
                temp = calibrate_temperature(model, task, dev_sets[task])
                entry["temperature"] = round(temp, 4)
                log(f"calibrated {task}: temperature {temp:.3f}")
            tune_thresholds(model, task, dev_sets[task], spam_max_flag_rate=spam_max_flag_rate,
                            min_critical_recall=min_critical_recall, pooled=pooled.get(task))
            if task in pooled:
                entry["thresholds_chosen_on"] = (f"dev + {threshold_folds[task]}-fold out-of-fold predictions "
                                                 f"on train ({len(pooled[task][2])} records)")
            if task in (review_accuracy or {}):
                entry["review"] = tune_review(model, task, dev_sets[task], review_accuracy[task])
            entry["metrics"] = {"dev": evaluate_head(model, task, dev_sets[task])}
    card["training_seconds"] = round(time.time() - t0, 1)
    model.card = card
    return model


def _default_labels(task: str, data: LabelledData) -> list[str]:
    from ..tasks import ISSUE_TYPES, SENTIMENTS, SEVERITIES as SEV

    builtin = {"spam": SPAM_CLASSES, "issue_types": ISSUE_TYPES, "sentiment": SENTIMENTS, "severity": SEV}
    found = sorted({lab for y in data.labels for lab in (y if data.multilabel else [y])})
    if task in builtin and set(found) <= set(builtin[task]):
        return list(builtin[task])
    return found
