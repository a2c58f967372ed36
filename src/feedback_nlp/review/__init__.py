"""The review loop with Label Studio: send the model's decisions to people, learn from their labels.

Plain JSON/XML (Label Studio itself is not needed to use them), one idea per module:

* :mod:`.config` — :func:`label_config_xml`, the labelling interface for the codebook's five
  labels (is_spam + spam_type, issue_types, sentiment, severity, problem), generated from the
  label lists in :mod:`feedback_nlp.tasks`; :class:`LabelConfig` reads a user's own config.
  Choice *values* are the codebook ids (what results and our import use); the Chinese names
  are only displayed (``html``).
* :mod:`.export` — :class:`TaskExporter`: analysed records become Label Studio import tasks:
  ``data`` holds the text, the id and the row's other input fields; ``predictions`` holds the
  model's decisions as pre-annotations, so reviewers correct instead of typing.
* :mod:`.importing` — :func:`import_annotations`: a Label Studio JSON export (tasks with
  ``annotations``) becomes training records in the annotations' format (``id, source, channel,
  text, is_spam, spam_type, issue_types, sentiment, severity, problem``), which ``feedback-nlp
  train`` reads. Every task that gives no record is reported.
* :mod:`.client` — :class:`LabelStudioClient`: the same tasks sent to a Label Studio project,
  and its export fetched, over the server's API (``feedback-nlp review push`` / ``pull``).

Which annotation wins when a task has several: cancelled (skipped) annotations and
drafts never count; among the rest an annotation marked ``ground_truth`` wins, then the
most recently updated one (``updated_at``, else ``created_at``), then the highest id.
"""
from .client import LabelStudioClient, LabelStudioError
from .config import CONTROLS, REQUIRED, Control, LabelConfig, LabelConfigError, label_config_xml, print_warnings
from .export import (CONFIDENCE_HEADS, ExportSummary, TaskExporter, head_confidences, model_version,
                     prediction_result)
from .importing import (ImportResult, ImportSummary, ReviewImportError, checked_export, import_annotations,
                        read_export, record_from_annotation, write_records)
from .listing import MAX_LISTED

__all__ = ["CONTROLS", "REQUIRED", "Control", "LabelConfig", "LabelConfigError", "label_config_xml", "print_warnings",
           "CONFIDENCE_HEADS", "ExportSummary", "TaskExporter", "head_confidences", "model_version",
           "prediction_result", "ImportResult", "ImportSummary", "ReviewImportError", "import_annotations",
           "read_export", "checked_export", "record_from_annotation", "write_records", "MAX_LISTED",
           "LabelStudioClient", "LabelStudioError"]
