"""The one training and evaluation path for every task (shipped models and users' own).

Training needs the ``[train]`` extra (scikit-learn, scipy; no torch). A model is one
featuriser fitted on all training texts plus one linear head per task, so a
bundle of several tasks is scored from a single featurisation.

Modules: ``fit`` (one head), ``evaluate`` (decisions and reports), ``tune`` (points on held-out predictions),
``model`` (the whole path); every name below is importable from ``feedback_nlp.train``.
"""
from __future__ import annotations

from .evaluate import (decide, evaluate_decisions, evaluate_head, format_report, head_predictions, report_predictions,
                       write_report)
from .fit import fit_linear_head, fit_soft_head, nb_log_count_ratio
from .model import DEFAULT_KINDS, _default_labels, train_model
from .tune import (calibrate_temperature, out_of_fold_heads, out_of_fold_proba, tune_review, tune_severity,
                   tune_thresholds)

__all__ = ["train_model", "DEFAULT_KINDS", "fit_linear_head", "fit_soft_head", "nb_log_count_ratio", "decide",
           "evaluate_decisions", "evaluate_head", "head_predictions", "report_predictions", "write_report",
           "format_report",
           "tune_thresholds", "tune_severity", "out_of_fold_proba", "out_of_fold_heads", "calibrate_temperature",
           "tune_review", "_default_labels"]
