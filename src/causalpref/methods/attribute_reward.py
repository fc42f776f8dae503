"""The shared base of methods that read one per-response attribute (`invariant_mmd`, `odin`).

Such a method trains on `attr.<attribute>.a/.b`: columns the data carries (a simulation's
recorded length, a user's own ratings), or, when they are missing, values computed from the
response texts through the attribute registry (causalpref.features.attributes). The default,
`length_words`, is a registered attribute, so a fit on text needs nothing else.
`with_attribute_option` checks `fit --attribute NAME` before any data is read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from causalpref.data import PreferenceData
from causalpref.data.schema import RESPONSE_A, RESPONSE_B
from causalpref.errors import ConfigError, UnknownNameError
from causalpref.features.attributes import (
    COLUMN_PREFIX,
    REGEX_PREFIX,
    add_attributes,
    attribute_column,
    available_attributes,
    get_attribute,
)
from causalpref.features.featurizer import PRECOMPUTED
from causalpref.methods.base import RewardModel
from causalpref.methods.inputs import has_texts
from causalpref.methods.registry import available_methods, get_method
from causalpref.methods.settings import WIDTH, Satisfies, setting
from causalpref.metrics import group_balanced_loss
from causalpref.models.reward_nets import RewardNet, SingleRewardNet

ATTRIBUTE_KEY = "attribute"
DEFAULT_ATTRIBUTE = "length_words"


def _is_attribute_name(value: Any) -> bool:
    """A non-empty str; a `regex:` name must compile (raises, so the message says why)."""
    if not isinstance(value, str) or not value:
        return False
    if value.startswith(REGEX_PREFIX):
        get_attribute(value)
    return True


def registered(name: str) -> bool:
    """Whether `name` can be computed from text: a registered attribute or a valid regex:."""
    try:
        get_attribute(name)
    except (ConfigError, UnknownNameError):
        return False
    return True


def attribute_methods() -> list[str]:
    """Registered methods that read a per-response attribute (they have an `attribute` setting)."""
    return [
        name
        for name in available_methods()
        if ATTRIBUTE_KEY in {f.name for f in dataclasses.fields(get_method(name))}
    ]


def with_attribute_option(method: str, name: str, settings: dict[str, Any]) -> dict[str, Any]:
    """`settings` plus attribute=`name`, for `fit --attribute NAME`; checked before any data is
    read: the method must read an attribute and `name` must be computable from text."""
    get_method(method)  # an unknown name lists the registered methods
    users = attribute_methods()
    if method not in users:
        raise ConfigError(
            f"--attribute {name}: method '{method}' uses no attribute; the methods that do are "
            f"{users}: drop --attribute, or choose one of them, e.g. --method {users[0]}"
        )
    if name.startswith(REGEX_PREFIX):
        get_attribute(name)  # a pattern that does not compile: the error says why
    if not registered(name):
        raise ConfigError(
            f"--attribute {name}: not a registered attribute, so it cannot be computed from the "
            f"text; choose one of {available_attributes()} or regex:<pattern>, e.g. "
            f"--attribute {DEFAULT_ATTRIBUTE} (columns the data already has, attr.<name>.a/.b, "
            f"are named with --set attribute=<name>)"
        )
    chosen = settings.get(ATTRIBUTE_KEY, name)
    if chosen != name:
        raise ConfigError(
            f"--attribute {name} and --set attribute={chosen} disagree: give the attribute once"
        )
    return {**settings, ATTRIBUTE_KEY: name}


@dataclass(kw_only=True, eq=False, repr=False)
class AttributeReward(RewardModel):
    """A method that reads one per-response attribute `attr.<attribute>.a/.b` during training;
    when the data lacks those columns the attribute is computed from the response texts."""

    attribute: str = setting(
        DEFAULT_ATTRIBUTE,
        Satisfies(
            _is_attribute_name,
            "a registered attribute (length_words, ...), regex:<pattern>, or the <name> of "
            "columns attr.<name>.a / .b that the data has",
        ),
        hint="columns attr.<attribute>.a / .b are read when the data has them, else the "
        "attribute is computed from the response texts; the default, length_words, is the "
        "length a reward model can exploit, measured without a tokenizer (length_chars also "
        "counts spaces and markup; length_tokens needs the encoder's tokenizer)",
    )
    latent_dim: int = setting(64, WIDTH)

    def attribute_columns(self) -> list[str]:
        """The two training columns holding the attribute of responses a and b."""
        return [attribute_column(self.attribute, side) for side in ("a", "b")]

    def training_columns(self) -> list[str]:
        """The attribute is needed to fit, never to score."""
        return self.attribute_columns()

    def derivable_columns(self, columns: Sequence[str]) -> list[str]:
        """Training columns `fit` computes itself from data with `columns`: the attribute's,
        when it is registered and the response texts are there."""
        if RESPONSE_A in columns and RESPONSE_B in columns and registered(self.attribute):
            return self.attribute_columns()
        return []

    def _add_derived_columns(self, data: PreferenceData) -> PreferenceData:
        """attr.<attribute>.a/.b computed from the texts when missing and the name is known."""
        if all(data.has(c) for c in self.attribute_columns()) or not has_texts(data):
            return data
        if not registered(self.attribute):
            return data  # _check_columns names the missing columns and the fixes
        return add_attributes(data, [self.attribute], encoder=self._tokenizer())

    def _tokenizer(self) -> Any:
        """The model's encoder when the attribute counts tokens (it must have a tokenizer)."""
        if get_attribute(self.attribute).needs != "encoder":
            return None
        if self.featurizer().is_precomputed:
            raise ConfigError(
                f"attribute={self.attribute!r} counts tokens with the model's encoder, but "
                f"encoder={PRECOMPUTED!r} has no tokenizer: name a text encoder (--encoder "
                f"hashing, or encoder='minilm'), or count words instead with --attribute "
                f"{DEFAULT_ATTRIBUTE}"
            )
        return self.featurizer().encoder_object()

    def _check_columns(self, data: PreferenceData, what: str, training: bool = False) -> None:
        """As the base check, but missing attribute columns say how to get them."""
        columns = self.attribute_columns()
        if training and not all(data.has(c) for c in columns):
            raise ConfigError(f"{what} lacks column(s) {columns}: {self._fixes(data)}")
        super()._check_columns(data, what, training)

    def _fixes(self, data: PreferenceData) -> str:
        """Why the attribute is missing from `data` and how to supply it (every fix offered
        works on this data: tests/methods/test_attribute_option.py applies each)."""
        carried = data_attributes(data)
        named = (
            f"; or set attribute to the <name> of columns attr.<name>.a / .b the data has, one "
            f"of {carried} (--set attribute={carried[0]})"
            if carried
            else " (the data has no attr.<name>.a / .b columns to name instead)"
        )
        if registered(self.attribute):
            return (
                f"method '{self.name}' with attribute={self.attribute!r} computes them from the "
                f"response texts, but the data has no response_a / response_b: fit on data that "
                f"keeps the texts beside the vectors, or add the columns with "
                f"causalpref.features.attributes.add_attributes(data, {self.attribute!r}) while "
                f"the texts are at hand{named}"
            )
        unknown = (
            f"attribute={self.attribute!r} of method '{self.name}' is neither a registered "
            f"attribute ({available_attributes()} or regex:<pattern>) nor columns of the data"
        )
        if not has_texts(data):
            return (
                f"{unknown}, which has no response texts to compute one from: fit on data that "
                f"keeps the texts, with --attribute {DEFAULT_ATTRIBUTE} in place of --set "
                f"attribute={self.attribute}{named}"
            )
        return (
            f"{unknown}: set it to a registered one, computed from the texts (on the command "
            f"line --attribute {DEFAULT_ATTRIBUTE} in place of --set attribute={self.attribute})"
            f"{named}"
        )

    def _selects_by_groups(self, validation: PreferenceData) -> bool:
        """Early stopping scores the loss balanced over attribute groups when validation has
        the attribute."""
        return all(validation.has(c) for c in self.attribute_columns())

    def _selection_score(self, margins: np.ndarray, validation: PreferenceData) -> float:
        """Minus the group-balanced loss over pairs where the attribute agrees with the label
        and where it does not: a reward that leans on the attribute fails the second group."""
        a, b = (np.asarray(validation.column(c), dtype=float) for c in self.attribute_columns())
        agrees = np.sign(a - b) == np.sign(validation.labels - 0.5)
        return -group_balanced_loss(margins, validation.labels, agrees, validation.weights)

    def _pair_extras(self, data: PreferenceData) -> dict[str, np.ndarray]:
        """The attribute of both responses as an (n, 2) float array; every value must be finite."""
        columns = self.attribute_columns()
        values = np.column_stack([self._numeric(data, c) for c in columns])
        bad = ~np.isfinite(values)
        if bad.any():
            counts = {c: int(n) for c, n in zip(columns, bad.sum(axis=0), strict=True) if n}
            raise ConfigError(
                f"attribute={self.attribute!r}: non-finite or missing values {counts} in the "
                f"training data; method '{self.name}' needs the attribute of every training "
                f"response: drop or impute those rows"
            )
        return {ATTRIBUTE_KEY: values.astype(np.float32)}

    def _numeric(self, data: PreferenceData, column: str) -> np.ndarray:
        """Column `column` as float64 (nulls become NaN); text is an error naming the setting."""
        try:
            return data.column(column).astype(np.float64)
        except (TypeError, ValueError):
            raise ConfigError(
                f"column '{column}' (attribute={self.attribute!r}) holds non-numeric values; "
                f"method '{self.name}' needs a number per response, e.g. a length"
            ) from None

    def _build_net(self, input_dim: int, n_contexts: int) -> RewardNet:
        return SingleRewardNet(input_dim, hidden_dim=self.hidden_dim, latent_dim=self.latent_dim)


def data_attributes(data: PreferenceData) -> list[str]:
    """Names whose columns attr.<name>.a and attr.<name>.b are both in `data`."""
    suffix = ".a"
    names = [
        c[len(COLUMN_PREFIX) : -len(suffix)]
        for c in data.columns
        if c.startswith(COLUMN_PREFIX) and c.endswith(suffix)
    ]
    return [n for n in names if data.has(attribute_column(n, "b"))]
