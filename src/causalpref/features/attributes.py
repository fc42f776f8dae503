"""Interpretable per-response attributes (length, markdown, hedging, refusals, ...) by name.

An attribute maps a sequence of response texts to one float per text. Attributes are looked up
by name in a registry: the built-ins below, any registered with `register_attribute`, and
`regex:<pattern>`, built on demand, which counts matches of a user's pattern. `add_attributes`
stores them as `attr.<name>.a` / `attr.<name>.b` columns; `preferred_share` answers questions
such as "what fraction of chosen responses are longer?".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from causalpref.data.preference_data import PreferenceData
from causalpref.data.schema import RESPONSE_A, RESPONSE_B, SIDES, check_side
from causalpref.errors import ConfigError, UnknownNameError
from causalpref.registry import Registry

REGEX_PREFIX = "regex:"
COLUMN_PREFIX = "attr."
_APOSTROPHE = "['\u2019]"  # straight or curly: HH-RLHF uses both


@dataclass(frozen=True)
class Attribute:
    """A named extractor; `needs` says which extra input it takes: None, 'encoder' or 'side'."""

    name: str
    function: Callable[..., Any]
    needs: str | None = None
    description: str = ""

    def __call__(
        self, texts: Sequence[str], *, encoder: Any = None, side: str | None = None
    ) -> np.ndarray:
        """Values for `texts` as a float64 array of the same length."""
        texts = list(texts)
        if self.needs == "encoder":
            values = self.function(texts, _require_encoder(self.name, encoder))
        elif self.needs == "side":
            if side is None:
                raise ConfigError(f"attribute '{self.name}' needs side='a' or 'b'; got side=None")
            values = self.function(texts, check_side(side))
        else:
            values = self.function(texts)
        return _as_values(self.name, values, len(texts))


ATTRIBUTES: Registry[Attribute] = Registry("attribute")


def register_attribute(
    name: str, *, needs: str | None = None, description: str = "", replace: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator that registers `function(texts[, encoder | side]) -> values` under `name`."""
    if not name or not isinstance(name, str) or name.startswith(REGEX_PREFIX):
        raise ConfigError(
            f"attribute name {name!r} is not allowed: use a non-empty string that does not start "
            f"with {REGEX_PREFIX!r} (that prefix is built on demand)"
        )
    if needs not in (None, "encoder", "side"):
        raise ConfigError(f"needs={needs!r} is not supported; choose None, 'encoder' or 'side'")
    if name in ATTRIBUTES and not replace:
        raise ConfigError(f"attribute '{name}' is already registered; pass replace=True to swap it")

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        summary = description or (function.__doc__ or "").strip().split("\n")[0]
        ATTRIBUTES.register(name, Attribute(name, function, needs, summary), replace=True)
        return function

    return decorate


def available_attributes() -> list[str]:
    """Names of all registered attributes, sorted (regex:<pattern> is built on demand too)."""
    return sorted(ATTRIBUTES.names())


def get_attribute(name: str) -> Attribute:
    """The attribute called `name`; `regex:<pattern>` builds a match counter for the pattern."""
    if isinstance(name, str) and name.startswith(REGEX_PREFIX):
        return _regex_attribute(name)
    if not isinstance(name, str) or name not in ATTRIBUTES:
        try:
            ATTRIBUTES.get(name)
        except UnknownNameError as err:
            raise UnknownNameError(f"{err.args[0]}, or {REGEX_PREFIX}<pattern>") from None
    return ATTRIBUTES.get(name)


def describe_attributes() -> dict[str, str]:
    """One-line description of every registered attribute, by name."""
    return {name: ATTRIBUTES.get(name).description for name in available_attributes()}


def _regex_attribute(name: str) -> Attribute:
    pattern = name[len(REGEX_PREFIX) :]
    if not pattern:
        raise ConfigError(f"attribute {name!r}: the pattern after {REGEX_PREFIX!r} is empty")
    try:
        compiled = re.compile(pattern)
    except re.error as e:
        raise ConfigError(f"attribute {name!r}: invalid regular expression ({e})") from e
    return Attribute(name, _counter(compiled), None, f"matches of {pattern!r}")


def _counter(pattern: re.Pattern[str]) -> Callable[[list[str]], np.ndarray]:
    """Extractor counting non-overlapping matches of a compiled pattern in each text."""

    def count(texts: list[str]) -> np.ndarray:
        return np.array([sum(1 for _ in pattern.finditer(t)) for t in texts], dtype=np.float64)

    return count


def _require_encoder(name: str, encoder: Any) -> Any:
    if encoder is None or not callable(getattr(encoder, "count_tokens", None)):
        got = "none" if encoder is None else f"{type(encoder).__name__!r}, which has none"
        raise ConfigError(
            f"attribute '{name}' needs an encoder with count_tokens(texts) -> np.ndarray; "
            f"got {got}; pass encoder=..."
        )
    return encoder


def _as_values(name: str, values: Any, n: int) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (n,):
        raise ConfigError(
            f"attribute '{name}' returned shape {array.shape}; expected ({n},), one value per text"
        )
    return array


def _matcher(pattern: str, flags: int = 0) -> Callable[[list[str]], np.ndarray]:
    return _counter(re.compile(pattern, flags))


def _phrases(phrases: Iterable[str], start: str = r"\b") -> str:
    """Alternation of phrases, longest first, with word boundaries and flexible apostrophes."""
    parts = sorted(phrases, key=len, reverse=True)
    escaped = [re.escape(p).replace("'", _APOSTROPHE) for p in parts]
    return start + "(?:" + "|".join(escaped) + r")(?!\w)"


# -- built-ins ----------------------------------------------------------------------------
HEDGES = (
    "might",
    "may",
    "maybe",
    "perhaps",
    "possibly",
    "probably",
    "likely",
    "I think",
    "I believe",
    "I guess",
    "I suppose",
    "it seems",
    "seems to",
    "appears to",
    "not sure",
    "not certain",
    "could be",
    "it depends",
    "arguably",
    "in my opinion",
    "to some extent",
)
REFUSALS = (
    "I'm sorry",
    "I am sorry",
    "I apologize",
    "I apologise",
    "I cannot",
    "I can not",
    "I can't help",
    "I can't assist",
    "I can't provide",
    "I can't do that",
    "I won't",
    "I will not",
    "I'm not able to",
    "I am not able to",
    "I'm unable to",
    "I am unable to",
    "As an AI",
    "as a language model",
    "I'm not comfortable",
    "I don't feel comfortable",
    "I must decline",
    "I refuse",
)
SYCOPHANTIC_OPENERS = (
    "Great question",
    "What a great",
    "What an excellent",
    "What a wonderful",
    "Excellent question",
    "Good question",
    "That's a great",
    "That is a great",
    "Absolutely!",
    "You're right",
    "You are right",
    "You're absolutely right",
    "Certainly!",
    "Of course!",
    "Definitely!",
    "I love this question",
)
# Pictographs, emoticons, transport, supplemental symbols, flags, misc symbols and dingbats.
EMOJI = re.compile(
    "[\U0001f300-\U0001faff\U0001f000-\U0001f0ff\U0001f1e6-\U0001f1ff"
    "\u2600-\u27bf\u2b50\u2b55\u2b1b\u2b1c\u2934\u2935\u3030\u303d]"
)


@register_attribute("length_chars")
def length_chars(texts: list[str]) -> np.ndarray:
    """Number of characters (Unicode code points)."""
    return np.array([len(t) for t in texts], dtype=np.float64)


@register_attribute("length_words")
def length_words(texts: list[str]) -> np.ndarray:
    """Number of whitespace-separated words."""
    return np.array([len(t.split()) for t in texts], dtype=np.float64)


@register_attribute("length_tokens", needs="encoder")
def length_tokens(texts: list[str], encoder: Any) -> np.ndarray:
    """Number of tokens, from encoder.count_tokens(texts) (tokenizer-specific)."""
    return encoder.count_tokens(texts)


register_attribute(
    "markdown_list_items",
    description="Lines that start a markdown list item: '-', '*', '+', '1.' or '1)' then a space.",
)(_matcher(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]+\S", re.MULTILINE))
register_attribute(
    "markdown_headers", description="Lines that are markdown headers: '#'..'######' then a space."
)(_matcher(r"^[ \t]{0,3}#{1,6}[ \t]+\S", re.MULTILINE))
register_attribute("markdown_bold", description="Bold spans: **text** or __text__.")(
    _matcher(r"\*\*(?=\S)(?:.+?)(?<=\S)\*\*|__(?=\S)(?:.+?)(?<=\S)__")
)
register_attribute("exclamations", description="Number of '!' characters.")(_matcher("!"))
register_attribute("emoji", description="Emoji characters (by Unicode range; no dependency).")(
    _counter(EMOJI)
)
register_attribute(
    "hedging", description="Hedging phrases (might, perhaps, I think, not sure, ...)."
)(_matcher(_phrases(HEDGES), re.IGNORECASE))


@register_attribute("code_blocks")
def code_blocks(texts: list[str]) -> np.ndarray:
    """Fenced code blocks: pairs of lines starting with ``` (an unclosed fence does not count)."""
    fences = _matcher(r"^[ \t]*```", re.MULTILINE)(texts)
    return np.floor(fences / 2)


_REFUSAL = re.compile(_phrases(REFUSALS), re.IGNORECASE)
_OPENER = re.compile(_phrases(SYCOPHANTIC_OPENERS, start="^"), re.IGNORECASE)


@register_attribute("refusal")
def refusal(texts: list[str]) -> np.ndarray:
    """1 if the text has an apology or refusal marker (I'm sorry, I cannot, As an AI, ...)."""
    return np.array([_REFUSAL.search(t) is not None for t in texts], dtype=np.float64)


@register_attribute("sycophancy_opener")
def sycophancy_opener(texts: list[str]) -> np.ndarray:
    """1 if the text opens with flattery or eager agreement (Great question, You're right, ...)."""
    return np.array([_OPENER.search(t.lstrip()) is not None for t in texts], dtype=np.float64)


@register_attribute("position", needs="side")
def position(texts: list[str], side: str) -> np.ndarray:
    """1 for response a, 0 for response b: the null ruler 'always pick a'."""
    return np.full(len(texts), 1.0 if side == "a" else 0.0)


BUILTIN_ATTRIBUTES = tuple(available_attributes())


# -- on preference data -------------------------------------------------------------------
def attribute_column(name: str, side: str) -> str:
    """Column holding attribute `name` of response `side`: attr.<name>.<side>."""
    return f"{COLUMN_PREFIX}{name}.{check_side(side)}"


def add_attributes(
    data: PreferenceData, names: str | Sequence[str] | None = None, *, encoder: Any = None
) -> PreferenceData:
    """Add attr.<name>.a / .b columns; names=None adds every built-in that needs no encoder."""
    if names is None:
        names = [n for n in BUILTIN_ATTRIBUTES if get_attribute(n).needs != "encoder"]
    elif isinstance(names, str):
        names = [names]
    attributes = [get_attribute(name) for name in names]
    texts = {side: _texts(data, side) for side in SIDES}
    columns = {
        attribute_column(attr.name, side): attr(texts[side], encoder=encoder, side=side)
        for attr in attributes
        for side in SIDES
    }
    # The new float columns cannot break validity; skipping re-validation keeps rows that
    # loaders accepted (e.g. empty responses) loadable.
    return data.with_columns(columns, validate=False)


def attribute_differences(data: PreferenceData, name: str, *, encoder: Any = None) -> np.ndarray:
    """Attribute of a minus attribute of b per pair (stored columns are used when present)."""
    a, b = (_attribute_values(data, name, side, encoder) for side in SIDES)
    return a - b


def preferred_share(data: PreferenceData, name: str, *, encoder: Any = None) -> dict[str, float]:
    """Shares of decided pairs where the preferred response has a higher / lower / equal value.

    The preferred side is a when label > 0.5, else b (soft labels count for their likelier side).
    Returns {"higher", "lower", "equal", "n"}; shares are NaN when n == 0.
    """
    labels = data.labels
    decided = labels != 0.5
    diff = attribute_differences(data, name, encoder=encoder)[decided]
    signed = np.where(labels[decided] > 0.5, diff, -diff)
    n = int(decided.sum())
    if n == 0:
        return {"higher": float("nan"), "lower": float("nan"), "equal": float("nan"), "n": 0}
    return {
        "higher": float(np.mean(signed > 0)),
        "lower": float(np.mean(signed < 0)),
        "equal": float(np.mean(signed == 0)),
        "n": n,
    }


def _attribute_values(data: PreferenceData, name: str, side: str, encoder: Any) -> np.ndarray:
    column = attribute_column(name, side)
    if data.has(column):
        return data.column(column).astype(np.float64)
    return get_attribute(name)(_texts(data, side), encoder=encoder, side=side)


def _texts(data: PreferenceData, side: str) -> list[str]:
    column = RESPONSE_A if side == "a" else RESPONSE_B
    if not data.has(column):
        raise ConfigError(
            f"attributes need response texts, but the data has no column '{column}' "
            f"(columns: {data.columns}); load the texts, not only embeddings"
        )
    return data.table[column].to_pylist()


def preferred_share_table(
    data: PreferenceData, names: list[str] | None = None
) -> tuple[dict[str, dict[str, float]], list[str]]:
    """`preferred_share` of each named attribute (default: every one that needs no encoder)
    and the lines `causalpref attributes` prints for them, with a note when every label is 1
    (then `position` reflects the file's a = chosen convention, not what labellers saw)."""
    chosen = names or [n for n in available_attributes() if n != "length_tokens"]
    shares = {name: preferred_share(data, name) for name in chosen}
    lines = [
        f"{len(data)} pairs; share of decided pairs where the preferred response has",
        f"{'attribute':24s} {'more':>7s} {'less':>7s} {'equal':>7s}",
    ]
    for name, share in shares.items():
        lines.append(
            f"{name:24s} {share['higher']:7.1%} {share['lower']:7.1%} {share['equal']:7.1%}"
        )
    if "position" in shares and np.all(data.labels == 1.0):
        lines.append(
            "note: every label is 1 (a = chosen, the file's convention), so `position` "
            "reflects that convention, not the order labellers saw"
        )
    return shares, lines
