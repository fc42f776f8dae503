"""A causalpref reward model as a transformers sequence classifier with one label (the reward).

backbone (any AutoModel) -> pooling over the attention mask -> optional L2 normalisation ->
MLP head (Linear layers with exact GELU between them) -> logits[:, 0] = reward.
Positions are derived from the attention mask, so left and right padding give the same logits.
"""

import inspect

import torch
from torch import nn
from torch.nn import functional as F
from transformers import AutoModel, PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

from .configuration_causalpref import CausalprefRewardConfig


def reward_head(dims):
    """Linear layers of widths `dims` (input ... 1) with GELU between consecutive layers."""
    layers = []
    for i, (width_in, width_out) in enumerate(zip(dims[:-1], dims[1:], strict=True)):
        if i:
            layers.append(nn.GELU())
        layers.append(nn.Linear(width_in, width_out))
    return nn.Sequential(*layers)


def pool(hidden, mask, pooling):
    """Mean over unmasked tokens, or the first ("cls") or last unmasked token, for any padding."""
    if pooling == "mean":
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
    positions = torch.arange(mask.shape[1], device=mask.device)
    if pooling == "cls":
        index = (mask * (mask.shape[1] - positions)).argmax(dim=1)
    else:
        index = (mask * positions).argmax(dim=1)
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), index]


class CausalprefRewardModel(PreTrainedModel):
    """Scores a text (prompt and response joined as causalpref joins them) with one logit."""

    config_class = CausalprefRewardConfig
    base_model_prefix = "backbone"
    supports_gradient_checkpointing = True

    def __init__(self, config):
        super().__init__(config)
        self.backbone = AutoModel.from_config(config.encoder_config)
        self.head = reward_head(config.head_dims)
        params = inspect.signature(self.backbone.forward).parameters
        self._takes_position_ids = "position_ids" in params
        self.post_init()

    def _init_weights(self, module):
        """New head layers (absent from a checkpoint) start small; the backbone inits itself."""
        if isinstance(module, nn.Linear) and any(module is m for m in self.head.modules()):
            nn.init.normal_(module.weight, std=0.02)
            nn.init.zeros_(module.bias)
        elif hasattr(self.backbone, "_init_weights"):
            self.backbone._init_weights(module)

    def forward(
        self,
        input_ids=None,
        attention_mask=None,
        token_type_ids=None,
        position_ids=None,
        inputs_embeds=None,
        labels=None,
        return_dict=None,
        **kwargs,
    ):
        """logits (batch, 1): the reward; MSE loss against `labels` when given."""
        if attention_mask is None:
            shape = (input_ids if input_ids is not None else inputs_embeds).shape[:2]
            attention_mask = torch.ones(shape, dtype=torch.long, device=self.device)
        inputs = {"attention_mask": attention_mask, "token_type_ids": token_type_ids}
        if inputs_embeds is not None:
            inputs["inputs_embeds"] = inputs_embeds
        else:
            inputs["input_ids"] = input_ids
        if self._takes_position_ids:
            if position_ids is None:
                position_ids = (attention_mask.long().cumsum(dim=1) - 1).clamp(min=0)
            inputs["position_ids"] = position_ids
        output = self.backbone(**{k: v for k, v in inputs.items() if v is not None})
        hidden = output.last_hidden_state if hasattr(output, "last_hidden_state") else output[0]
        logits = self._score(pool(hidden, attention_mask, self.config.pooling))
        loss = None
        if labels is not None:
            loss = F.mse_loss(logits.squeeze(-1), labels.to(logits.dtype).view(-1))
        if return_dict is False:
            return (logits,) if loss is None else (loss, logits)
        return SequenceClassifierOutput(loss=loss, logits=logits)

    def _score(self, pooled):
        """Reward head on the pooled embedding, standardised when `normalize_reward` is set."""
        if self.config.normalize_embeddings:
            pooled = F.normalize(pooled, p=2, dim=1)
        logits = self.head(pooled)
        if self.config.normalize_reward and not self.training and self.config.reward_sd:
            logits = (logits - self.config.reward_mean) / self.config.reward_sd
        return logits
