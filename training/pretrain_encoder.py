"""Pretrain our own small character-vocabulary BERT with masked language modelling.

    python training/pretrain_encoder.py [--data ../shared/data] -o runs/encoder-zh-char \\
        [--layers 4 --hidden 256 --heads 4 --max-len 128 --batch-size 32 --max-steps 2500 --max-minutes 14]

Texts: the train splits of every corpus in the shared data (the three review
corpora, COLD) and of the annotations, normalised with ``feedback_nlp.text.normalize``
and de-duplicated. Vocabulary: the special tokens plus every character with
frequency >= ``--min-freq`` in those texts (and ``##c`` continuation pieces for
latin letters / digits inside words), see
``feedback_nlp.transformer.training.build_char_vocab``. MLM dev loss and masked-token
accuracy are measured on the annotations' dev split + corpus dev texts.

The output folder is an ordinary ``transformers`` checkpoint (BertForMaskedLM,
safetensors, vocab.txt, tokenizer_config.json) to pass as ``--base`` to
``training/train_transformer.py``; ``pretraining.json`` records the run.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from feedback_nlp.labelled_data import CORPORA, load_annotations, load_cold, load_corpus, shared_data_dir  # noqa: E402
from feedback_nlp.text import distinct_normalized  # noqa: E402


def pretraining_texts(data_dir, split: str) -> list[str]:
    texts = [r["text"] for name in CORPORA for r in load_corpus(name, split, data_dir)]
    texts += [r["text"] for r in load_cold(split, data_dir)]
    texts += [r["text"] for r in load_annotations(split, data_dir)]
    return distinct_normalized(texts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=None, help="shared data folder (default: $FEEDBACK_NLP_DATA or ../shared/data)")
    ap.add_argument("-o", "--output", default=str(REPO / "runs" / "encoder-zh-char"))
    ap.add_argument("--min-freq", type=int, default=3)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--max-steps", type=int, default=2500)
    ap.add_argument("--max-minutes", type=float, default=None, help="stop (and save) after this much training time")
    ap.add_argument("--device", default="auto", help="auto (GPU when available), cpu, cuda")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    ap.add_argument("--dev-texts", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    from feedback_nlp.extras import require_extra

    require_extra("transformer", "training/pretrain_encoder.py")

    import torch

    from feedback_nlp.transformer.training import build_char_vocab, pretrain_mlm

    if args.threads:
        torch.set_num_threads(args.threads)
    data_dir = shared_data_dir(args.data)
    t0 = time.time()
    train = pretraining_texts(data_dir, "train")
    dev = pretraining_texts(data_dir, "dev")
    random.Random(args.seed).shuffle(dev)
    vocab = build_char_vocab(train, min_freq=args.min_freq)
    print(f"{len(train)} train texts, {len(dev)} dev texts, vocab {len(vocab)} ({time.time() - t0:.0f}s)")
    stats = pretrain_mlm(train, dev[:args.dev_texts], vocab, args.output, layers=args.layers, hidden=args.hidden,
                         heads=args.heads, max_len=args.max_len, batch_size=args.batch_size, lr=args.lr,
                         max_steps=args.max_steps, max_minutes=args.max_minutes, device=args.device, seed=args.seed)
    stats["command"] = "python training/pretrain_encoder.py " + " ".join(argv if argv is not None else sys.argv[1:])
    stats["data"] = {"train_texts": len(train), "sources": "train splits of " + ", ".join(CORPORA.values())
                     + ", COLD, annotations", "min_freq": args.min_freq}
    Path(args.output, "pretraining.json").write_text(json.dumps(stats, indent=2), encoding="utf-8")
    print(json.dumps({k: v for k, v in stats.items() if k != "history"}, indent=2))
    print("last", stats["history"][-1])
    return 0


if __name__ == "__main__":
    from feedback_nlp.extras import run_main

    raise SystemExit(run_main(main, "training/pretrain_encoder.py"))
