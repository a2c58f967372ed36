"""Reliability: arbitrary Unicode never breaks analysis, threads and forked processes agree,
unsafe or corrupted model files are refused clearly, hostile input rows (random bytes,
5,000 nested brackets, huge numbers, NUL bytes...) each become that row's error and never
stop a run, and (opt-in, --runslow) the CLI keeps count and order over many rows with
malformed ones.

Example counts are modest so the suite stays fast; raise them locally with
``--hypothesis-profile`` settings if needed.
"""
from __future__ import annotations

import json
import math
import multiprocessing
import os
import shutil
import sys
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO
from feedback_nlp import FIELDS, FeedbackAnalyzer, ModelFormatError, NgramModel, normalize
from feedback_nlp.pipeline import default_model_path
from feedback_nlp.tasks import ISSUE_TYPES, SENTIMENTS, SEVERITIES, SPAM_TYPES

# Any code point, lone surrogates included (st.text()'s default leaves them out).
ANY_CHAR = st.characters(exclude_categories=())
SHORT = st.text(ANY_CHAR, max_size=300)
# Long texts: a random unit repeated (up to ~20k characters), or long random text.
LONG = st.one_of(st.builds(lambda s, k: s * k, st.text(ANY_CHAR, min_size=1, max_size=40), st.integers(50, 500)),
                 st.text(ANY_CHAR, min_size=1000, max_size=3000))
CJKISH = st.text(st.sampled_from(list("的快递质量很好差客服退款骗子中毒微信加我0123456789 ，。！?\n\t　ＡＢＣ這個質")),
                 max_size=200)
TEXT = st.one_of(SHORT, CJKISH, LONG)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.data_too_large])


def check_result(r, text=None) -> dict:
    """Every field present, typed and consistent (the contract of FeedbackResult)."""
    d = r.to_dict()
    assert tuple(d) == FIELDS
    json.dumps(d, ensure_ascii=False)
    assert isinstance(d["is_spam"], bool) and isinstance(d["needs_review"], bool)
    assert (d["spam_type"] in SPAM_TYPES) if d["is_spam"] else d["spam_type"] is None
    for key, lo in (("spam_score", 0.0), ("sentiment_score", -1.0)):
        assert isinstance(d[key], float) and math.isfinite(d[key]) and lo <= d[key] <= 1.0
    assert set(d["issue_types"]) <= set(ISSUE_TYPES) and len(set(d["issue_types"])) == len(d["issue_types"])
    assert d["primary_issue"] == (d["issue_types"][0] if d["issue_types"] else None)
    assert all(k in ISSUE_TYPES and 0.0 <= v <= 1.0 for k, v in d["issue_scores"].items())
    assert d["sentiment"] in SENTIMENTS
    assert d["severity"] in SEVERITIES and d["severity_reasons"]
    assert all(isinstance(x, str) for x in d["severity_reasons"])
    assert d["route"] is None or (set(d["route"]) == {"team", "sla_hours"} and isinstance(d["route"]["team"], str))
    if d["is_spam"]:
        assert d["issue_types"] == [] and d["route"] is None
    if text is not None and not normalize(text):
        assert d["severity_reasons"] == ["empty text"] and d["sentiment_score"] == 0.0
    return d


# --------------------------------------------------------------------------- arbitrary Unicode
@SETTINGS
@given(text=TEXT)
def test_analyze_any_text_never_raises(analyzer, text):
    check_result(analyzer.analyze(text, id="x"), text)


@settings(SETTINGS, max_examples=100)  # each example analyses up to 12 texts twice
@given(texts=st.lists(TEXT, max_size=12), batch_size=st.integers(1, 8))
def test_analyze_batch_any_texts_same_as_one_by_one(analyzer, texts, batch_size):
    """Length, order and ids kept; a text's result does not depend on its batch neighbours."""
    res = analyzer.analyze_batch(texts, batch_size=batch_size)
    assert [r.id for r in res] == list(range(1, len(texts) + 1))
    for i, (t, r) in enumerate(zip(texts, res), 1):
        assert check_result(r, t) == analyzer.analyze(t, id=i).to_dict()


@SETTINGS
@given(texts=st.lists(st.one_of(SHORT, CJKISH), max_size=10), normalise=st.booleans())
def test_fast_featuriser_lookup_equals_plain_rule(analyzer, texts, normalise):
    """The packed-key numpy lookup finds exactly the (text, n-gram id) pairs of the dict rule."""
    f = analyzer.task_models["sentiment"].featurizer
    if normalise:
        texts = [normalize(t) for t in texts]
    table = f._key_table()
    assert table is not None
    a = f._lookup_packed(texts, *table)
    b = f._lookup_dict(texts)
    key = lambda rows_ids: np.sort(rows_ids[0] * f.n_features + rows_ids[1])  # noqa: E731
    np.testing.assert_array_equal(key(a), key(b))


def test_huge_and_pathological_texts(analyzer):
    texts = ["好" * 200_000, "\ud800" * 10_000, "\x00" * 5000, "🙂" * 50_000, "a\u0301" * 20_000,
             "ﷺ" * 3000, "\u2028\u2029\x85" * 1000 + "好评", "𪸩煇" * 10, "١٢٣٤٥٦٧٨٩"]
    for t, r in zip(texts, analyzer.analyze_batch(texts)):
        check_result(r, t)


# --------------------------------------------------------------------------- threads and processes
THREAD_TEXTS = ["快递十天都没到，客服也不回消息，什么垃圾平台", "质量很好，很满意", "這個商品質量很差，退貨還要自己付運費",
                "吃了你们家的外卖全家食物中毒住院了", "加微信 abc12345 兼职刷单日结三百", "", "👍👍", "房间很脏"] * 8


def test_many_threads_match_single_thread():
    """A fresh analyzer hit by 16 threads at once (cold featuriser cache, one OpenCC
    converter per thread) gives exactly the single-threaded results."""
    expected = [r.to_dict() for r in FeedbackAnalyzer.load().analyze_batch(THREAD_TEXTS)]
    fa = FeedbackAnalyzer.load()
    n_threads = 16
    barrier = threading.Barrier(n_threads)
    got: dict[int, list] = {}
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            barrier.wait()
            # different batch compositions per thread: rotated order, varying batch sizes
            order = [(i + k) % len(THREAD_TEXTS) for i in range(len(THREAD_TEXTS))]
            res = fa.analyze_batch([THREAD_TEXTS[i] for i in order], ids=[i + 1 for i in order], batch_size=1 + k % 7)
            got[k] = sorted((r.to_dict() for r in res), key=lambda d: d["id"])
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for k in range(n_threads):
        assert got[k] == expected, k


_FORK_ANALYZER = None


def _fork_child(texts):
    return [r.to_dict() for r in _FORK_ANALYZER.analyze_batch(texts)]


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this platform")
def test_fork_after_use_matches_parent():
    """Load and use an analyzer (OpenCC converter created), then fork workers: each child
    creates its own converter state on first use and returns the parent's results."""
    global _FORK_ANALYZER
    _FORK_ANALYZER = FeedbackAnalyzer.load()
    expected = [r.to_dict() for r in _FORK_ANALYZER.analyze_batch(THREAD_TEXTS)]
    chunks = [THREAD_TEXTS[i:i + 16] for i in range(0, len(THREAD_TEXTS), 16)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        parts = pool.map(_fork_child, chunks)
    got = [d for part in parts for d in part]
    for g, e in zip(got, expected):
        g.pop("id"), e.pop("id")
    assert got == [dict(e) for e in expected]


# --------------------------------------------------------------------------- unsafe / corrupted model files
@pytest.fixture
def model_copy(tmp_path):
    d = tmp_path / "model"
    shutil.copytree(default_model_path(), d, ignore=shutil.ignore_patterns("model.onnx"))
    return d


@pytest.mark.parametrize("name", ["heads/evil.pkl", "weights.joblib", "model.pt", "loader.py", "x.so", "M.PICKLE",
                                  "noextension", "heads/sub/deep.npz"])
def test_refuses_unexpected_file_types_anywhere(model_copy, name):
    p = model_copy / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(ModelFormatError, match="unexpected file"):
        NgramModel.from_pretrained(model_copy)
    with pytest.raises(ModelFormatError):
        FeedbackAnalyzer.load(model_copy)


@pytest.mark.parametrize("target, damage", [
    ("heads/sentiment.weight.npy", "truncate"),
    ("heads/spam.bias.npy", "garbage"),
    ("idf.npy", "truncate"),
    ("idf.npy", "wrong_shape"),
    ("vocab.txt", "duplicate"),
    ("heads/severity.weight.npy", "missing"),
    ("model.json", "missing"),
])
def test_corrupted_model_files_are_clear_errors(model_copy, target, damage):
    p = model_copy / target
    if damage == "truncate":
        p.write_bytes(p.read_bytes()[: 200])
    elif damage == "garbage":
        p.write_bytes(b"\x93NUMPY garbage" * 10)
    elif damage == "wrong_shape":
        np.save(p, np.ones(10, np.float32), allow_pickle=False)
    elif damage == "duplicate":
        lines = p.read_text(encoding="utf-8").split("\n")
        lines[1] = lines[0]
        p.write_text("\n".join(lines), encoding="utf-8")
    elif damage == "missing":
        p.unlink()
    with pytest.raises(ModelFormatError):
        NgramModel.from_pretrained(model_copy)


@pytest.mark.parametrize("damage", ["truncated", "empty", "bitflip_header"])
def test_corrupted_real_onnx_graph_is_a_clear_error(tmp_path, damage):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from feedback_nlp.export import OnnxScorer, build_onnx

    model = NgramModel.from_pretrained(default_model_path())
    good = build_onnx(model).SerializeToString()
    bad = {"truncated": good[: len(good) // 2], "empty": b"", "bitflip_header": bytes([good[0] ^ 0xFF]) + good[1:64]}[damage]
    path = tmp_path / "model.onnx"
    path.write_bytes(bad)
    with pytest.raises(ModelFormatError, match="cannot load ONNX"):
        OnnxScorer(path, model.tasks)


# --------------------------------------------------------------------------- the CLI at scale (opt-in)
@pytest.mark.slow
def test_cli_many_rows_with_malformed_keeps_count_order_and_memory(shared_data, tmp_path):
    """``FEEDBACK_NLP_RELIABILITY_ROWS`` rows (default 20,000; 1,000,000 for the full run,
    see benchmarks/bench_reliability.py) with 1% malformed rows and 200k-character texts."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_reliability import run_check

    rows = int(os.environ.get("FEEDBACK_NLP_RELIABILITY_ROWS", "20000"))
    r = run_check(rows, tmp_path, malformed_rate=0.01)
    assert r["malformed"] > 0 and r["huge_texts"] > 0
    assert r["peak_rss_mb"] < 300, r


# --------------------------------------------------------------------------- hostile input rows
# Lines that must each become an error record (never a crash, never a lost or extra row).
HOSTILE = [
    b"[" * 5000 + b"]" * 5000,                      # RecursionError inside json
    b'{"text": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"a":' * 100_000 + b"1" + b"}" * 100_000,    # deep enough to crash orjson 3.8's C stack
    b"9" * 100_000,                                 # a huge number, not an object
    b'{"text": 1' + b"0" * 5000 + b"}",             # a huge number as text
    b'{"text": 1e999}', b'{"text": NaN}', b"NaN",
    b'{"text": "a\x00b"}'.replace(b"\\x00", b"\x00"),  # raw NUL inside a string
    b"\x00" * 50,
    b'{"text": "\xed\xa0\x80"}',                   # UTF-8-encoded surrogate
    b"\xff\xfe\x00\x00", b"null", b"[]", b'"text"', b"{", b'{"text": "unterminated', b"   ",
    b'{"text": "ok"} trailing',
]
# Rows that look hostile but are valid and must be scored with this exact text.
TRICKY_OK = [
    ({"id": 10 ** 30, "text": "\ud800 lone surrogate escape"}, "\ufffd lone surrogate escape"),  # U+FFFD
    ({"id": 1.5, "text": "[[[[[[" * 200}, "[[[[[[" * 200),   # many brackets inside a string: json path
    ({"text": "a\u0000b", "x": [[[[1]]]]}, "a\u0000b"),
]


def _good_line(k: int, text: str) -> bytes:
    return json.dumps({"id": f"g{k}", "text": text}, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _expected_ok(line: bytes):
    """The oracle: the standard library's reading of a line (None = must be an error), lone surrogates
    replaced by U+FFFD as the reader does (no writer could encode them)."""
    from feedback_nlp.io import replace_lone_surrogates

    try:
        obj = json.loads(line.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    ok = isinstance(obj, dict) and isinstance(obj.get("text"), str)
    return replace_lone_surrogates(obj["text"]) if ok else None


def _expected_refusal(lines_):
    """The oracle of the one refusal of a whole JSONL file: no JSON object among the first records the reader
    reads ahead has the text field (the reader stops at the first that has it), or, with no object among them, a
    first line that reads as a CSV header naming it."""
    import re

    from feedback_nlp.io.reading import CHECKED_RECORDS

    objects = []
    for line in lines_[:CHECKED_RECORDS]:
        try:
            obj = json.loads(line.decode("utf-8"))
        except (ValueError, RecursionError):
            continue
        if isinstance(obj, dict) and obj:
            if "text" in obj:
                return None
            objects.append(obj)
    if objects:
        return "no field 'text' in the first"
    first = lines_[0].decode("utf-8", "replace").strip() if lines_ else ""
    try:
        json.loads(lines_[0].decode("utf-8"))
    except (ValueError, RecursionError):
        if "text" in (c.strip().strip('"') for c in re.split(r"[,\t]", first)):
            return "looks like a CSV/TSV header"
    return None


def _check_rows(path, lines_, encoding="utf-8"):
    from feedback_nlp.io import InputFormatError, read_records

    refusal = _expected_refusal(lines_) if encoding == "utf-8" else None
    if refusal:  # a misnamed field (or a CSV read as JSONL) is refused before any record, as a CSV header is
        with pytest.raises(InputFormatError, match=refusal):
            read_records(str(path), encoding=encoding)
        return []
    with read_records(str(path), encoding=encoding) as reader:
        recs = list(reader)
    assert len(recs) == len(lines_) and [r.row for r in recs] == list(range(1, len(lines_) + 1))
    for rec, line in zip(recs, lines_):
        want = _expected_ok(line)
        if want is None:
            assert rec.error and rec.text is None, (line[:80], rec)
        else:
            assert rec.error is None and rec.text == want, (line[:80], rec)
    return recs


def test_hostile_rows_each_become_their_error(tmp_path):
    lines_ = [_good_line(0, "第一条")] + HOSTILE + [json.dumps(o).encode("ascii") for o, _ in TRICKY_OK] \
        + [_good_line(1, "最后一条")]
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(b"\n".join(lines_) + b"\n")
    recs = _check_rows(path, lines_)
    assert recs[1].error.startswith("invalid JSON") and "recursion" in recs[1].error
    assert recs[-1 - len(TRICKY_OK)].id == 10 ** 30  # an id beyond 64 bits stays exact
    assert [r.text for r in recs[-1 - len(TRICKY_OK):-1]] == [t for _, t in TRICKY_OK]


def test_score_survives_hostile_rows_and_keeps_count_and_order(tmp_path):
    """The issue's case: 5,000 nested brackets made `score` die with a RecursionError and
    leave the output empty."""
    from feedback_nlp.cli import main
    from tiny_model import build_tiny_model

    model = build_tiny_model(tmp_path / "m")
    lines_ = [_good_line(k, f"第{k}条，快递很快") for k in range(5)] + HOSTILE + [_good_line(9, "最后")]
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_bytes(b"\n".join(lines_) + b"\n")
    for workers in ("1", "2"):
        assert main(["score", str(inp), "-o", str(out), "--model", str(model), "--batch-size", "4", "-q",
                     "--workers", workers]) == 0
        recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
        assert len(recs) == len(lines_)
        assert [("error" in r) for r in recs] == [_expected_ok(x) is None for x in lines_]
        assert [r["id"] for r in recs[:5]] == [f"g{k}" for k in range(5)] and recs[-1]["id"] == "g9"


_LINE_BYTES = st.binary(max_size=60).map(lambda b: b.replace(b"\n", b" "))
_HOSTILE_JSON = st.one_of(
    st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1, 3000).map(lambda n: b'{"text":' + b"[" * n + b"]" * n + b"}"),
    st.integers(1, 400).map(lambda n: b'{"text": "x", "id": ' + b"9" * n + b"}"),
    st.sampled_from(HOSTILE[3:]),
    st.text(ANY_CHAR, max_size=20).map(lambda t: json.dumps({"text": t}).encode("ascii")),  # \\u escapes, surrogates
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                 lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
                 max_leaves=8).map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8")),
)


@settings(SETTINGS, max_examples=150)
@given(lines_=st.lists(st.one_of(_LINE_BYTES, _HOSTILE_JSON,
                                 st.builds(_good_line, st.integers(0, 99), CJKISH.filter(lambda t: "\n" not in t))),
                       min_size=1, max_size=12))
def test_fuzz_rows_in_equal_rows_out(tmp_path_factory, lines_):
    """Random bytes and hostile JSON lines: one record per line, in order, an error exactly
    on the lines the standard library cannot read as an object with a string text."""
    lines_ = [x.rstrip(b"\r") for x in lines_]
    path = tmp_path_factory.mktemp("fuzz") / "in.jsonl"
    path.write_bytes(b"\n".join(lines_) + b"\n")
    _check_rows(path, lines_)
