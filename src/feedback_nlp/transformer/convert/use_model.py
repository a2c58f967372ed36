"""The torch module of Universal Sentence Encoder multilingual v3 (:mod:`.use` says where its
weights come from), registered with ``transformers`` so ``AutoModel.from_pretrained`` loads a
converted or fine-tuned directory like any other base.

It returns ``pooler_output``, USE's sentence vector before the L2 norm, and ``config.sentence_pooling
= "encoder"`` tells :class:`~feedback_nlp.transformer.torch_model.MultiTaskModel` to put its heads
there instead of on mean-pooled token states (USE pools inside: a sum over pieces divided by the square
root of their number, then a feed-forward net).
"""
from __future__ import annotations

from ...extras import require_extra

require_extra("transformer", "the use-multi teacher", ("torch", "transformers"))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from transformers import AutoConfig, AutoModel, PretrainedConfig, PreTrainedModel  # noqa: E402
from transformers.modeling_outputs import BaseModelOutputWithPooling  # noqa: E402

from .use import MODEL_TYPE, ORDERS  # noqa: E402


class UseMultiConfig(PretrainedConfig):
    model_type = MODEL_TYPE

    def __init__(self, vocab_size: int = 128010, hidden_size: int = 512, branch_size: int = 256,
                 orders=ORDERS, ffn_size: int = 320, layer_norm_eps: float = 1e-6,
                 initializer_range: float = 0.02, pad_token_id: int = 0, **kwargs):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.branch_size = branch_size
        self.orders = [list(o) for o in orders]  # (window width, pieces left of the centre) per branch
        self.ffn_size = ffn_size
        self.layer_norm_eps = layer_norm_eps
        self.initializer_range = initializer_range
        self.sentence_pooling = "encoder"
        self.int8_presets_apply = False  # torch_model.INT8_PRESETS name BERT modules this model lacks
        super().__init__(pad_token_id=pad_token_id, **kwargs)


class UseMultiModel(PreTrainedModel):
    config_class = UseMultiConfig
    base_model_prefix = "use"

    def __init__(self, config: UseMultiConfig):
        super().__init__(config)
        H, C, Fd, eps = config.hidden_size, config.branch_size, config.ffn_size, config.layer_norm_eps
        nb = len(config.orders)
        self.embeddings = nn.Embedding(config.vocab_size, H)
        self.branch_in = nn.Linear(H, nb * C)
        self.branch_norm = nn.LayerNorm(nb * C, eps=eps)
        self.conv1 = nn.ModuleList(nn.Linear(n * C, C) for n, _ in config.orders)
        self.conv2 = nn.ModuleList(nn.Linear(n * C, C) for n, _ in config.orders)
        self.norm = nn.LayerNorm(H + nb * C, eps=eps)
        self.pool = nn.Linear(H + nb * C, H)
        self.d0, self.p1 = nn.Linear(H, Fd, bias=False), nn.Linear(H, Fd, bias=False)
        self.d1, self.d2 = nn.Linear(Fd, Fd, bias=False), nn.Linear(Fd, H, bias=False)
        self.p3, self.d3 = nn.Linear(Fd, H, bias=False), nn.Linear(H, H, bias=False)
        self.post_init()

    def get_input_embeddings(self):
        return self.embeddings

    def set_input_embeddings(self, value):
        self.embeddings = value

    @staticmethod
    def _windows(x: torch.Tensor, width: int, left: int) -> torch.Tensor:
        """``[B, L, C]`` -> ``[B, L, width * C]``: the pieces ``t - left .. t - left + width - 1``
        of each position, zeros beyond the text (padded positions must already be zero)."""
        b, n, c = x.shape
        xp = F.pad(x, (0, 0, left, width - 1 - left))
        return torch.stack([xp[:, k:k + n] for k in range(width)], dim=2).reshape(b, n, width * c)

    def forward(self, input_ids: torch.Tensor, attention_mask=None, **kwargs) -> BaseModelOutputWithPooling:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        m = attention_mask.unsqueeze(-1).to(self.embeddings.weight.dtype)
        emb = self.embeddings(input_ids)
        x = self.branch_norm(self.branch_in(emb))
        C = self.config.branch_size
        feats = [emb]
        for i, (width, left) in enumerate(self.config.orders):
            xs = x[..., i * C:(i + 1) * C] * m
            h = (F.relu(self.conv1[i](self._windows(xs, width, left))) + xs) * m
            feats.append(F.relu(self.conv2[i](self._windows(h, width, left))) + h)
        tokens = self.norm(torch.cat(feats, dim=-1)) * m
        n = m.sum(1).clamp(min=1.0)
        # USE adds the pooling bias once per piece before dividing: ((sum f) W + n b) / sqrt(n)
        pooled = (tokens.sum(1) @ self.pool.weight.T + n * self.pool.bias) / n.sqrt()
        y0 = F.relu(self.d0(pooled))
        y1 = F.relu(self.p1(pooled) + self.d1(y0))
        z = torch.tanh(self.p3(y1) + self.d3(F.relu(self.d2(y1))))
        return BaseModelOutputWithPooling(last_hidden_state=tokens, pooler_output=z)


def register() -> None:
    """Make ``AutoModel.from_pretrained`` know :data:`~.use.MODEL_TYPE` (idempotent)."""
    AutoConfig.register(MODEL_TYPE, UseMultiConfig, exist_ok=True)
    AutoModel.register(UseMultiConfig, UseMultiModel, exist_ok=True)
