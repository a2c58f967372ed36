"""Transformer backend: a BERT-style encoder with one linear head per task.

Inference (:mod:`.runtime`) needs only numpy + onnxruntime; training, export and
pretraining (:mod:`.torch_model`, :mod:`.training`) need the ``[transformer]`` extra
(torch, transformers). See ``docs/TRANSFORMER.md``.
"""
from .runtime import FORMAT, FORMAT_VERSION, TransformerModel, is_transformer_dir
from .unigram import UnigramTokenizer
from .wordpiece import WordPieceTokenizer, basic_tokenize

__all__ = ["FORMAT", "FORMAT_VERSION", "TransformerModel", "UnigramTokenizer", "WordPieceTokenizer", "basic_tokenize",
           "is_transformer_dir"]
