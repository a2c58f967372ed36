"""Does e5-small need its own tokenization? A linear probe on frozen embeddings says how much.

    python training/e5_tokenization_probe.py [--data DIR] [--n-train 4000]

The converted e5-small (``transformer/convert/e5.py``) is fed the same texts two ways:
e5's exact SentencePiece ids (every piece's own embedding row, through ``inputs_embeds``;
with and without the ``"query: "`` prefix e5 was trained with) and the ids of our WordPiece
``vocab.txt`` (``--base e5-small-wordpiece``, what the first e5 teachers were fed).
Mean-pooled, L2-normalised embeddings of the first ``--n-train`` train annotations train one
logistic regression per issue type; the thresholds are chosen on dev; micro / macro F1 on test is printed. A frozen probe is not
fine-tuning, but the gap shows what the WordPiece approximation throws away.
Needs the ``[transformer]`` and ``[e5]`` extras and scikit-learn.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="shared data folder (default: $FEEDBACK_NLP_DATA or ../shared/data)")
    ap.add_argument("--n-train", type=int, default=4000)
    ap.add_argument("--max-len", type=int, default=128)
    args = ap.parse_args(argv)
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from transformers import AutoModel

    from feedback_nlp.labelled_data import shared_data_dir
    from feedback_nlp.text import normalize
    from feedback_nlp.transformer.convert.e5 import (_mean_pooled, convert_e5_small, e5_small_file, read_e5_q4,
                                                     source_tokenizer)
    from feedback_nlp.transformer.wordpiece import WordPieceTokenizer

    data = shared_data_dir(args.data)

    def load(split: str, n: int | None = None):
        with open(data / "annotations" / f"{split}.jsonl", encoding="utf-8") as fh:
            recs = [json.loads(line) for line in fh][:n]
        return [normalize(r["text"]) for r in recs], [r.get("issue_types") or [] for r in recs]

    e5 = read_e5_q4(e5_small_file())
    sp = source_tokenizer(e5, max_len=args.max_len)
    word = e5.tensors["emb.word"]  # all 250k rows: exact ids need no vocabulary
    with tempfile.TemporaryDirectory() as tmp:
        d = convert_e5_small(Path(tmp) / "e5", tokenizer="wordpiece")
        model = AutoModel.from_pretrained(str(d)).eval()
        tok = WordPieceTokenizer.from_file(d / "vocab.txt", max_len=args.max_len, do_lower_case=False)
    pruned = model.get_input_embeddings().weight.detach().numpy()  # the vocab.txt rows

    def ids_of(text: str, mode: str, prefix: str) -> list[int]:
        if mode == "wordpiece":
            return tok.encode(prefix + text)
        return sp.encode(prefix + text)

    def embed(texts: list[str], mode: str, prefix: str) -> np.ndarray:
        """Mean-pooled unit rows (``convert.e5._mean_pooled``), batches of similar length."""
        seqs = [ids_of(t, mode, prefix) for t in texts]
        table = pruned if mode == "wordpiece" else word
        order = np.argsort([len(s) for s in seqs])
        batches = []
        for s in range(0, len(seqs), 64):
            ids, mask = (tok if mode == "wordpiece" else sp).pad([seqs[i] for i in order[s:s + 64]])
            batches.append((table[ids], mask))
        out = np.zeros((len(seqs), model.config.hidden_size), np.float32)
        out[order] = _mean_pooled(model, batches)
        return out

    train, dev, test = load("train", args.n_train), load("dev"), load("test")
    labels = sorted({label for ys in train[1] for label in ys})

    def onehot(ys):
        return np.array([[label in y for label in labels] for y in ys])

    for mode, prefix in (("exact", "query: "), ("exact", ""), ("wordpiece", "")):
        t0 = time.time()
        A, B, C = (embed(texts, mode, prefix) for texts, _ in (train, dev, test))
        p_dev, p_test = [], []
        for k in range(len(labels)):
            clf = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced").fit(A, onehot(train[1])[:, k])
            p_dev.append(clf.predict_proba(B)[:, 1])
            p_test.append(clf.predict_proba(C)[:, 1])
        p_dev, p_test = np.array(p_dev).T, np.array(p_test).T
        y_dev, y_test = onehot(dev[1]), onehot(test[1])
        grid = np.arange(0.1, 0.95, 0.05)
        ths = [max(grid, key=lambda t: f1_score(y_dev[:, k], p_dev[:, k] >= t, zero_division=0))
               for k in range(len(labels))]
        pred = p_test >= np.array(ths)
        print(f"{mode:9s} prefix {prefix!r:10s} test micro / macro F1 "
              f"{f1_score(y_test, pred, average='micro'):.3f} / "
              f"{f1_score(y_test, pred, average='macro', zero_division=0):.3f} ({time.time() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
