"""Score a Spark DataFrame: the ``score`` records as typed columns, via ``mapInPandas``.

>>> from feedback_nlp.spark import analyze_spark                 # doctest: +SKIP
>>> scored = analyze_spark(spark.read.parquet("feedback/"), text_col="text", id_col="id")
>>> scored.write.parquet("scored/")

Needs the ``[spark]`` extra (pyspark, pandas, pyarrow) on the driver and on the
executors, and feedback-nlp itself on the executors (see ``examples/spark/``).

How it runs: Arrow batches of the DataFrame go to Python workers
(``mapInPandas``); each worker loads the model **once**, the first time it needs
it, into a per-process cache keyed by (model, routing) -- nothing but the model
*path* travels from the driver. Every batch goes through
:func:`feedback_nlp.io.record_from_object` and :func:`feedback_nlp.io.score_records`,
the code behind ``feedback-nlp score``, so a row gets the same values the CLI
writes for ``{"text": <its text>}``; a null (or non-string) text gets the CLI's
error record: ``error`` = ``"text field must be a string, got null"``, every
other output column null. Rows keep all their columns, ids included, and their
count: one output row per input row.

Output columns (types from :class:`feedback_nlp.result.FeedbackResult`'s
annotations, see :func:`result_schema`): ``is_spam`` boolean, ``spam_type``
string, ``spam_score`` double, ``issue_types`` array<string>, ``primary_issue``
string, ``issue_scores`` map<string,double>, ``sentiment`` string,
``sentiment_score`` double, ``severity`` string, ``severity_reasons``
array<string>, ``route`` struct<team:string,sla_hours:double>, ``needs_review``
boolean, ``error`` string. An input column with one of these names keeps its
name and the output one gets ``_pred`` appended (as in ``analyze_frame``).
"""
from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path
from typing import Any, Iterator, Optional, Union

from .io import CHANNEL_FIELD, ERROR_FIELD, record_from_object, score_records
from .result import FIELDS, FeedbackResult

EXTRA_MESSAGE = 'Spark scoring needs the [spark] extra: pip install "feedback-nlp[spark]"'
#: Result fields appended to the DataFrame: every output field but ``id`` (the
#: input keeps its own id column), then ``error``.
OUTPUT_FIELDS = tuple(f for f in FIELDS if f != "id") + (ERROR_FIELD,)

# Per Python worker process: (model, routing, thresholds as JSON) -> FeedbackAnalyzer. Filled on
# the executors on first use, never on the driver, never pickled.
_ANALYZERS: dict = {}


def require_spark_extra() -> None:
    """Raise ImportError with :data:`EXTRA_MESSAGE` when pyspark, pandas or pyarrow is missing."""
    try:
        import pandas  # noqa: F401
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as e:
        raise ImportError(EXTRA_MESSAGE) from e


def _spark_type(tp):
    """The Spark type of a result annotation (bool, float, str, list, dict, TypedDict, Optional)."""
    from pyspark.sql import types as T

    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Union:
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            return _spark_type(inner[0])
    elif tp is bool:
        return T.BooleanType()
    elif tp in (float, int):
        return T.DoubleType()
    elif tp is str:
        return T.StringType()
    elif origin is list:
        return T.ArrayType(_spark_type(args[0]))
    elif origin is dict:
        return T.MapType(_spark_type(args[0]), _spark_type(args[1]))
    elif typing.is_typeddict(tp):
        return T.StructType([T.StructField(k, _spark_type(v)) for k, v in typing.get_type_hints(tp).items()])
    raise TypeError(f"no Spark type for result annotation {tp!r}")


def result_schema():
    """``StructType`` of :data:`OUTPUT_FIELDS`, derived from ``FeedbackResult``'s annotations
    (all nullable: error records hold nulls)."""
    require_spark_extra()
    from pyspark.sql import types as T

    hints = typing.get_type_hints(FeedbackResult)
    names = {f.name for f in dataclasses.fields(FeedbackResult)}
    missing = [f for f in FIELDS if f not in names]
    if missing:  # FIELDS and the dataclass must describe the same record
        raise TypeError(f"FIELDS names {missing} that FeedbackResult lacks")
    fields = [T.StructField(f, _spark_type(hints[f]), nullable=True) for f in OUTPUT_FIELDS if f != ERROR_FIELD]
    return T.StructType(fields + [T.StructField(ERROR_FIELD, T.StringType(), nullable=True)])


def worker_analyzer(model: Optional[str], routing: Optional[str], thresholds: Optional[str] = None):
    """The analyzer of this Python process for (model, routing, thresholds), loaded on first use.
    ``thresholds``: the operating points as a JSON object (a hashable cache key)."""
    key = (model, routing, thresholds)
    analyzer = _ANALYZERS.get(key)
    if analyzer is None:
        from .pipeline import FeedbackAnalyzer

        points = json.loads(thresholds) if thresholds else None
        analyzer = _ANALYZERS[key] = FeedbackAnalyzer.load(model, routing=routing, thresholds=points)
    return analyzer


def _column(pdf, name: str) -> list:
    col = pdf[name].astype(object)
    return col.where(col.notna(), None).tolist()


def score_frame(pdf, analyzer, text_col: str, out_names: dict[str, str], batch_size: int = 256,
                channel_col: Optional[str] = None):
    """``pdf`` (pandas) with one column per output field appended, named by ``out_names``.

    Each row is read as the JSON object ``{text_col: value}`` (null -> None), so it
    gets exactly the record ``feedback-nlp score`` writes for it; with ``channel_col``,
    that column's value is the record's channel.
    """
    texts = _column(pdf, text_col)
    key = CHANNEL_FIELD if text_col != CHANNEL_FIELD else f"_{CHANNEL_FIELD}"
    channels = _column(pdf, channel_col) if channel_col else [None] * len(texts)
    records = [record_from_object({text_col: t, key: c}, i, text_field=text_col)
               for i, (t, c) in enumerate(zip(texts, channels), 1)]
    outs = score_records(analyzer, records, batch_size, channel_field=key)
    pdf = pdf.copy()
    for name in OUTPUT_FIELDS:
        pdf[out_names[name]] = [o.get(name) for o in outs]
    return pdf


def analyze_spark(df, text_col: str = "text", id_col: Optional[str] = "id", model: str | Path | None = None,
                  batch_size: int = 256, routing: str | Path | None = None, thresholds: Optional[dict] = None,
                  channel_col: Optional[str] = None):
    """``df`` with the analysis of ``text_col`` appended as typed columns (see the module doc).

    ``model``: a model directory (or hub id) readable *on the executors*; default
    the shipped model, or ``$FEEDBACK_NLP_MODEL`` in the executors' environment.
    ``routing``: a routing table file, also read on the executors. ``id_col``: a
    column that must exist and is kept as it is (None: no id column). Arrow batch
    size is Spark's ``spark.sql.execution.arrow.maxRecordsPerBatch``; ``batch_size``
    is the analyzer's batch inside it. ``thresholds``: operating points, as for
    ``FeedbackAnalyzer.load`` (``{"severity.critical@order_review": 0.1}``; checked on the
    driver when the model is readable there); ``channel_col``: the column naming each
    row's channel, for points given per channel.
    """
    require_spark_extra()
    from pyspark.sql import types as T

    if model is not None and not isinstance(model, (str, Path)):
        raise TypeError("model must be a model directory (str or Path), not a loaded analyzer: each "
                        "Spark worker loads the model itself, once")
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    for c in (text_col, id_col, channel_col):
        if c is not None and c not in df.columns:
            raise ValueError(f"column {c!r} not in the DataFrame (columns: {', '.join(df.columns)})")
    model_s = str(model) if model is not None else None
    routing_s = str(routing) if routing is not None else None
    thresholds_s = _checked_thresholds(thresholds, model_s, routing_s)
    taken = set(df.columns)
    out_names = {f: f"{f}_pred" if f in taken else f for f in OUTPUT_FIELDS}
    schema = T.StructType(list(df.schema.fields) + [
        T.StructField(out_names[f.name], f.dataType, f.nullable) for f in result_schema().fields])

    def score_batches(batches: Iterator[Any]) -> Iterator[Any]:
        analyzer = worker_analyzer(model_s, routing_s, thresholds_s)  # this process's cached one
        for pdf in batches:
            yield score_frame(pdf, analyzer, text_col, out_names, batch_size, channel_col)

    return df.mapInPandas(score_batches, schema)


def _checked_thresholds(thresholds: Optional[dict], model: Optional[str], routing: Optional[str]) -> Optional[str]:
    """``thresholds`` as the JSON the executors load them from; an unknown task or key, or a value
    that is not a number, raises ValueError here on the driver when the model is readable here
    (else the executors raise it)."""
    if not thresholds:
        return None
    try:
        text = json.dumps(thresholds, sort_keys=True)
    except (TypeError, ValueError) as e:
        raise ValueError(f"thresholds must be a JSON-like dict of numbers: {e}") from None
    if model is None or Path(model).is_dir():
        from .pipeline import FeedbackAnalyzer

        FeedbackAnalyzer.load(model, routing=routing, thresholds=thresholds)  # raises ValueError naming the keys
    return text
