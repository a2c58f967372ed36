"""Generate large JSONL inputs for ``feedback-nlp score`` by sampling the shared corpora.

Every row is ``{"id": <row number>, "text": <a corpus review>}``. With
``--malformed-rate`` a share of the rows is replaced by the malformed kinds the
CLI must keep in place (bad JSON, missing text, non-string text, invalid UTF-8,
empty line) or by a valid but huge 200,000-character text. The row numbers of
each kind are returned / printed so a checker knows exactly which output
records must be errors.

    python benchmarks/gen_feedback_jsonl.py OUT.jsonl --rows 1000000 [--malformed-rate 0.01]

Used by benchmarks/bench_analyze.py (scaling) and tests/test_reliability.py.
Data come from ``$FEEDBACK_NLP_DATA`` or ../shared/data; the file is written
wherever OUT points (never inside the repository by the callers).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

#: Kinds of odd rows, in the order they are cycled through.
ODD_KINDS = ("bad_json", "missing_text", "null_text", "number_text", "invalid_utf8", "empty_line", "huge_text")
#: Kinds that must come out as error records (huge_text is valid and gets scored).
ERROR_KINDS = frozenset(ODD_KINDS) - {"huge_text"}
HUGE_CHARS = 200_000


def corpus_texts(data_dir: str | Path | None = None) -> list[str]:
    """All reviews of the three shared corpora (every split)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from feedback_nlp.labelled_data import CORPORA, load_corpus

    return [r["text"] for c in CORPORA for r in load_corpus(c, data_dir=data_dir)]


def _odd_row(kind: str, row: int, text: str, rng: random.Random) -> bytes:
    if kind == "bad_json":
        return ('{"id": %d, "text": "%s' % (row, text[:20])).encode("utf-8")  # unterminated
    if kind == "missing_text":
        return json.dumps({"id": row, "body": text}, ensure_ascii=False).encode("utf-8")
    if kind == "null_text":
        return json.dumps({"id": row, "text": None}).encode("utf-8")
    if kind == "number_text":
        return json.dumps({"id": row, "text": rng.randint(0, 10**6)}).encode("utf-8")
    if kind == "invalid_utf8":
        good = json.dumps({"id": row, "text": text[:10]}, ensure_ascii=False).encode("utf-8")
        return good[:-2] + b"\xff\xfe" + good[-2:]
    if kind == "empty_line":
        return b""
    if kind == "huge_text":
        body = (text * (HUGE_CHARS // max(len(text), 1) + 1))[:HUGE_CHARS]
        return json.dumps({"id": row, "text": body}, ensure_ascii=False).encode("utf-8")
    raise ValueError(kind)


def generate(path: str | Path, rows: int, malformed_rate: float = 0.0, seed: int = 0,
             texts: list[str] | None = None, data_dir=None) -> dict[str, list[int]]:
    """Write ``rows`` JSONL rows to ``path``; return ``{kind: [row numbers]}`` of the odd rows."""
    rng = random.Random(seed)
    texts = texts if texts is not None else corpus_texts(data_dir)
    odd: dict[str, list[int]] = {k: [] for k in ODD_KINDS}
    n_odd = int(round(rows * malformed_rate))
    odd_rows = set(rng.sample(range(1, rows + 1), n_odd)) if n_odd else set()
    k = 0
    with open(path, "wb", buffering=1 << 20) as f:
        for row in range(1, rows + 1):
            text = texts[rng.randrange(len(texts))]
            if row in odd_rows:
                kind = ODD_KINDS[k % len(ODD_KINDS)]
                k += 1
                odd[kind].append(row)
                f.write(_odd_row(kind, row, text, rng) + b"\n")
            else:
                f.write(json.dumps({"id": row, "text": text}, ensure_ascii=False).encode("utf-8") + b"\n")
    return odd


def error_rows(odd: dict[str, list[int]]) -> set[int]:
    """Rows that must come out as error records."""
    return {r for kind, rs in odd.items() if kind in ERROR_KINDS for r in rs}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("output")
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--malformed-rate", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    odd = generate(args.output, args.rows, args.malformed_rate, args.seed)
    print(json.dumps({k: len(v) for k, v in odd.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
