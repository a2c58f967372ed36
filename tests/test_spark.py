"""feedback_nlp.spark: analyze_spark in Spark local[2] equals the local analyzer and the CLI."""
from __future__ import annotations

import builtins
import json
import os
import shutil
import sys

import pytest

from conftest import CRITICAL_TEXT, NEVER_CRITICAL_REVIEWS
from feedback_nlp import spark as fspark
from feedback_nlp.cli import main
from feedback_nlp.io import ERROR_FIELD
from feedback_nlp.result import FIELDS

# pyspark 4.3 warns that it "does not yet fully support pandas >= 3.0.0"; these tests check the results.
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")

LONG = "收到的手机屏幕有裂痕，联系客服三天没人回复，要求退货退款。" * 2000  # 58,000 characters
TEXTS = [
    "快递十天都没到，客服也不回消息，什么垃圾平台",
    "质量很好，物流也快，下次还来买",
    "加微信领优惠券，代购正品低价，加我vx",
    "吃了以后上吐下泻，已经投诉到12315了",
    "",
    "   \t ",
    "😡😡😡👎",
    "The parcel never arrived and support does not answer.",
    LONG,
    None,
    "付款扣了两次钱，订单还显示未支付",
    None,
    "app一直闪退，根本没法用",
]


@pytest.fixture(scope="session")
def spark():
    """A local[2] session: loopback only, no UI, small shuffles and Arrow batches."""
    pytest.importorskip("pyspark", reason="the [spark] extra (pyspark) is not installed")
    pytest.importorskip("pyarrow", reason="the [spark] extra (pyarrow) is not installed")
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        pytest.skip("Spark needs a Java runtime (e.g. apt-get install openjdk-17-jre-headless)")
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (SparkSession.builder.master("local[2]").appName("feedback-nlp-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "4")  # several batches per task
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def frame(spark):
    """TEXTS with ids, in 3 partitions, plus a column named like an output field."""
    rows = [(i, t, f"label-{i}", [i, i + 1]) for i, t in enumerate(TEXTS, 101)]
    rdd = spark.sparkContext.parallelize(rows, 3)
    return spark.createDataFrame(rdd, "id long, text string, severity string, tags array<int>")


@pytest.fixture(scope="module")
def scored(frame):
    return {r["id"]: r.asDict(recursive=True) for r in fspark.analyze_spark(frame).collect()}


def cli_records(tmp_path, monkeypatch) -> dict:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n"
                           for i, t in enumerate(TEXTS, 101)), "utf-8")
    monkeypatch.setattr(sys, "stderr", open(os.devnull, "w"))
    assert main(["score", str(src), "-o", str(out), "-q"]) == 0
    return {r["id"]: r for r in map(json.loads, out.read_text("utf-8").splitlines())}


def test_schema_types(frame):
    out = fspark.analyze_spark(frame)
    types = {f.name: f.dataType.simpleString() for f in out.schema.fields}
    assert types["issue_types"] == "array<string>"
    assert types["issue_scores"] == "map<string,double>"
    assert types["route"] == "struct<team:string,sla_hours:double>"
    assert types["severity_reasons"] == "array<string>"
    assert types["is_spam"] == types["needs_review"] == "boolean"
    assert types["spam_score"] == types["sentiment_score"] == "double"
    assert types[ERROR_FIELD] == "string"
    # input columns first and untouched; a clashing output name gets _pred
    assert out.columns[:4] == ["id", "text", "severity", "tags"]
    assert out.columns[4:] == [f"{f}_pred" if f == "severity" else f for f in fspark.OUTPUT_FIELDS]


def test_every_row_once_with_its_columns(frame, scored):
    assert len(scored) == frame.count() == len(TEXTS)  # ids unique: nothing lost or duplicated
    for i, t in enumerate(TEXTS, 101):
        row = scored[i]
        assert (row["text"], row["severity"], row["tags"]) == (t, f"label-{i}", [i, i + 1])


def test_equals_local_analyze_batch(scored, analyzer):
    ids = [i for i, t in enumerate(TEXTS, 101) if t is not None]
    local = analyzer.analyze_batch([TEXTS[i - 101] for i in ids], ids=ids)
    for r in local:
        want = r.to_dict()
        got = scored[r.id]
        for f in FIELDS[1:]:
            assert got[f + "_pred" if f == "severity" else f] == want[f], (r.id, f)
        assert got[ERROR_FIELD] is None
    assert scored[109]["severity_reasons"] == local[ids.index(109)].severity_reasons  # the long text


def test_equals_cli_records_including_null_texts(scored, tmp_path, monkeypatch):
    cli = cli_records(tmp_path, monkeypatch)
    for i, rec in cli.items():
        got = scored[i]
        for f in list(FIELDS[1:]) + [ERROR_FIELD]:
            assert got[f + "_pred" if f == "severity" else f] == rec.get(f), (i, f)
    assert scored[110][ERROR_FIELD] == "text field must be a string, got null"
    assert all(scored[110][f] is None for f in FIELDS[1:] if f != "severity")


def test_non_string_text_column(spark):
    df = spark.createDataFrame([(1, 5), (2, None)], "id int, text bigint")
    rows = {r["id"]: r for r in fspark.analyze_spark(df).collect()}
    assert rows[1][ERROR_FIELD] == "text field must be a string, got number"
    assert rows[2][ERROR_FIELD] == "text field must be a string, got null"
    assert rows[1]["sentiment"] is None


def test_model_loaded_once_per_worker_not_shipped(frame, scored, monkeypatch):
    """The function Spark ships holds the model path only; workers keep the analyzer cached."""
    from pyspark import cloudpickle

    shipped = {}
    monkeypatch.setattr(type(frame), "mapInPandas", lambda self, fn, schema: shipped.setdefault("fn", fn))
    fspark.analyze_spark(frame)
    assert len(cloudpickle.dumps(shipped["fn"])) < 100_000  # the model is ~20 MB
    monkeypatch.undo()

    def cache_state(batches):
        import pandas as pd

        from feedback_nlp import spark as worker_side

        for _ in batches:
            yield pd.DataFrame({"pid": [os.getpid()], "cached": [(None, None, None) in worker_side._ANALYZERS]})

    state = frame.mapInPandas(cache_state, "pid long, cached boolean").collect()
    assert state and all(r["cached"] for r in state)  # the scoring job left its analyzer in each worker


def test_worker_cache_loads_once(monkeypatch):
    calls = []
    from feedback_nlp.pipeline import FeedbackAnalyzer

    monkeypatch.setattr(FeedbackAnalyzer, "load",
                        classmethod(lambda cls, m, routing=None, thresholds=None: calls.append((m, thresholds))
                                    or object()))
    monkeypatch.setattr(fspark, "_ANALYZERS", {})
    a = fspark.worker_analyzer("m1", None)
    assert fspark.worker_analyzer("m1", None) is a and calls == [("m1", None)]
    assert fspark.worker_analyzer("m2", None) is not a and calls == [("m1", None), ("m2", None)]
    b = fspark.worker_analyzer("m1", None, '{"severity.critical": 0.5}')
    assert b is not a and calls[-1] == ("m1", {"severity.critical": 0.5})


def test_thresholds_and_channel_column(spark):
    text = CRITICAL_TEXT
    df = spark.createDataFrame([(1, text, "order_review"), (2, text, None), (3, text, "cs_chat")],
                               "id long, text string, src string")
    points = NEVER_CRITICAL_REVIEWS
    rows = fspark.analyze_spark(df, thresholds=points, channel_col="src").orderBy("id").collect()
    assert [r["severity"] for r in rows] == ["high", "critical", "critical"]
    no_channel = fspark.analyze_spark(df, thresholds=points).orderBy("id").collect()
    assert [r["severity"] for r in no_channel] == ["critical"] * 3
    with pytest.raises(ValueError, match="has no operating point"):
        fspark.analyze_spark(df, thresholds={"severity.nope": 0.5})
    with pytest.raises(ValueError, match="'nope'"):
        fspark.analyze_spark(df, channel_col="nope")


def test_bad_arguments(frame, analyzer):
    with pytest.raises(ValueError, match="'body'"):
        fspark.analyze_spark(frame, text_col="body")
    with pytest.raises(ValueError, match="'rid'"):
        fspark.analyze_spark(frame, id_col="rid")
    with pytest.raises(TypeError, match="model directory"):
        fspark.analyze_spark(frame, model=analyzer)
    assert fspark.analyze_spark(frame.drop("id"), id_col=None).count() == len(TEXTS)


def test_missing_extra_is_one_line(monkeypatch):
    real_import = builtins.__import__

    def no_pyspark(name, *args, **kwargs):
        if name.split(".")[0] == "pyspark":
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyspark)
    with pytest.raises(ImportError) as e:
        fspark.analyze_spark(None)
    assert str(e.value) == fspark.EXTRA_MESSAGE == 'Spark scoring needs the [spark] extra: pip install "feedback-nlp[spark]"'
