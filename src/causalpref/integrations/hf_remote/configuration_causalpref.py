"""Configuration of a causalpref reward model exported for transformers (no causalpref needed).

The backbone's own config is nested as `encoder_config`; the rest says how its hidden states
become one reward: pooling, optional L2 normalisation, the MLP head's layer widths, and the
training reward mean and sd for standardising (applied only when `normalize_reward` is true).
"""

from transformers import AutoConfig, PretrainedConfig

POOLINGS = ("mean", "cls", "last")


class CausalprefRewardConfig(PretrainedConfig):
    """Backbone config + pooling + reward head widths + training reward statistics."""

    model_type = "causalpref_reward"

    def __init__(
        self,
        encoder_config=None,
        pooling="mean",
        normalize_embeddings=False,
        head_dims=None,
        reward_mean=None,
        reward_sd=None,
        normalize_reward=False,
        causalpref=None,
        **kwargs,
    ):
        if isinstance(encoder_config, dict):
            settings = dict(encoder_config)
            encoder_config = AutoConfig.for_model(settings.pop("model_type"), **settings)
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        self.encoder_config = encoder_config
        self.pooling = pooling
        self.normalize_embeddings = bool(normalize_embeddings)
        self.head_dims = list(head_dims or [])
        self.reward_mean = reward_mean
        self.reward_sd = reward_sd
        self.normalize_reward = bool(normalize_reward)
        self.causalpref = dict(causalpref or {})
        kwargs.setdefault("num_labels", 1)
        super().__init__(**kwargs)

    def to_dict(self):
        """The config as JSON-able data, with the backbone's config as a nested object."""
        out = super().to_dict()
        if isinstance(self.encoder_config, PretrainedConfig):
            out["encoder_config"] = self.encoder_config.to_dict()
        return out
