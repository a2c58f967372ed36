"""What the use-multi conversion costs (numbers quoted in ``docs/TRANSFORMER.md``): the torch
rebuild fed the wheel's own piece ids against the wheel's numpy forward pass, and how many dev
annotations the pruned pieces tokenize exactly as the wheel does.

    python training/use_parity_check.py [--data DIR] [--n-dev 300]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="shared data folder (default: $FEEDBACK_NLP_DATA or ../shared/data)")
    ap.add_argument("--n-dev", type=int, default=300, help="first N dev annotations")
    args = ap.parse_args(argv)
    from feedback_nlp.labelled_data import load_annotations
    from feedback_nlp.text import normalize
    from feedback_nlp.transformer.convert import convert_use_multi, use_multi_parity

    texts = [normalize(r["text"]) for r in load_annotations("dev", args.data)][: args.n_dev]
    with tempfile.TemporaryDirectory() as tmp:
        out = convert_use_multi(Path(tmp) / "use-multi")
        rows = json.loads((out / "PROVENANCE.json").read_text(encoding="utf-8"))["vocab_size"]
        print(json.dumps({"n_texts": len(texts), "rows": rows, **use_multi_parity(out, texts)}))


if __name__ == "__main__":
    main()
