"""Rewriters: change one attribute of a response and nothing else, to build counterfactual pairs.

A rewriter is any object with a `name`, an `effect` and a `rewrite` method (the `Rewriter`
protocol below). `effect` says what the change does to the true reward: 0 for a *neutral*
rewrite that only touches a spurious attribute (the pair is a tie), -1 for a rewrite that
degrades a causal quality (the original is preferred), +1 for one that upgrades it.

The rule-based rewriters here work on plain sentences and markdown lists and add the
content-free text of `causalpref.features.neutral_text` (never a scenario's sentences);
`InstructionRewriter` wraps any text-completion function (an LLM client) behind the same
protocol. Rewriters are registered by name in `REWRITERS` so that methods can store them in a
JSON config. A source that knows its own text registers rewriters for it under its own prefix:
the `spurious_text` scenario registers `spurious_text.padding`, ...,
`spurious_text.degrade_points`, which know its filler sentences and helpful points.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from causalpref.errors import ConfigError, UnknownNameError
from causalpref.features import neutral_text
from causalpref.registry import Registry

EFFECTS = (-1, 0, 1)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
MAX_HEADER_WORDS = 8  # a longer line ending in ':' is content, not a list header


@runtime_checkable
class Rewriter(Protocol):
    """Changes one attribute of each response; None where the change does not apply."""

    name: str
    effect: int

    def rewrite(
        self, prompts: Sequence[str | None], responses: Sequence[str], *, seed: int
    ) -> list[str | None]:
        """One rewritten response per input response (None: no rewrite for that one)."""
        ...


def sentences(text: str) -> list[str]:
    """Split prose into sentences at '.', '!' or '?' followed by whitespace."""
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


# -- neutral rewriters (spurious attributes) -------------------------------------------------------
class PaddingRewriter:
    """Length: remove the padding sentences a response has, or append 1 to `max_add` of them."""

    effect = 0

    def __init__(
        self,
        padding: Sequence[str] = neutral_text.PADDING,
        *,
        max_add: int = 2,
        name: str = "padding",
    ):
        self.name = name
        self.padding = list(padding)
        self.max_add = max_add

    def rewrite(self, prompts, responses, *, seed):
        rng = np.random.default_rng(seed)
        return [self._one(text, rng) for text in responses]

    def _one(self, text: str, rng: np.random.Generator) -> str | None:
        stripped = self._strip_padding(text)
        if stripped != text.rstrip():
            return stripped or None
        if not text.strip():
            return None
        n = int(rng.integers(1, self.max_add + 1))
        extra = [str(s) for s in rng.choice(self.padding, size=n, replace=False)]
        return text.rstrip() + " " + " ".join(extra)

    def _strip_padding(self, text: str) -> str:
        """`text` without the padding sentences it ends with."""
        out, changed = text.rstrip(), True
        while changed:
            changed = False
            for s in self.padding:
                if out.endswith(s):
                    out, changed = out[: -len(s)].rstrip(), True
        return out


class MarkerRewriter:
    """A content-free marker phrase: drop it where the response opens with it, else prepend it."""

    effect = 0

    def __init__(self, phrase: str = neutral_text.MARKER, *, name: str = "marker"):
        if not phrase.strip():
            raise ConfigError("MarkerRewriter: phrase is empty; give the marker text to toggle")
        self.name = name
        self.phrase = phrase.strip()

    def rewrite(self, prompts, responses, *, seed):
        return [self._one(text) for text in responses]

    def _one(self, text: str) -> str | None:
        if text.startswith(self.phrase):
            rest = text[len(self.phrase) :].lstrip()
            return rest or None
        return f"{self.phrase} {text}" if text.strip() else None


class ListFormatRewriter:
    """Formatting: prose becomes a markdown list (one sentence an item), a list becomes prose."""

    effect = 0

    def __init__(self, header: str | None = neutral_text.LIST_HEADER, *, name: str = "formatting"):
        self.name = name
        self.header = header

    def rewrite(self, prompts, responses, *, seed):
        return [self._one(text) for text in responses]

    def _one(self, text: str) -> str | None:
        lines = [line for line in text.strip().split("\n") if line.strip()]
        items = [line for line in lines if _BULLET.match(line)]
        if items:
            body = [_BULLET.sub("", line) for line in items]
            before = [x for x in lines if not _BULLET.match(x) and not self._is_header(x)]
            return " ".join([*before, *body])
        parts = sentences(text)
        if len(parts) < 2:
            return None
        head = [self.header] if self.header else []
        return "\n".join([*head, *(f"- {s}" for s in parts)])

    def _is_header(self, line: str) -> bool:
        """A list's lead-in line: this rewriter's header, or any short line ending in ':'."""
        line = line.strip()
        return line == self.header or (line.endswith(":") and len(line.split()) <= MAX_HEADER_WORDS)


# -- causal rewriters ------------------------------------------------------------------------------
class SentenceSwapRewriter:
    """Replace one sentence found in `targets` with one from `replacements`.

    With targets = helpful points and replacements = vague non-answers this removes one unit of
    quality (effect -1); the reverse lists add one (effect +1).
    """

    def __init__(
        self, targets: Sequence[str], replacements: Sequence[str], *, effect: int, name: str
    ):
        _check_effect(effect, name)
        if targets and not replacements:
            raise ConfigError(f"rewriter '{name}': targets but no replacements; give both lists")
        self.name = name
        self.effect = effect
        self.targets = set(targets)
        self.replacements = list(replacements)

    def rewrite(self, prompts, responses, *, seed):
        rng = np.random.default_rng(seed)
        return [self._one(text, rng) for text in responses]

    def _one(self, text: str, rng: np.random.Generator) -> str | None:
        found = [s for s in self.targets if s in text]
        if not found:
            return None
        old = sorted(found)[int(rng.integers(len(found)))]
        fresh = [r for r in self.replacements if r not in text] or self.replacements
        return text.replace(old, str(rng.choice(fresh)), 1)


class InstructionRewriter:
    """A rewriter backed by a text-completion function, e.g. an LLM client.

    `complete(prompt) -> str` receives `template` filled with the conversation prompt and the
    response, and must return the rewritten response only. The instruction must ask for exactly
    one change (for example "make it longer without adding information", effect 0, or "remove one
    correct fact", effect -1); the label of the counterfactual pair rests on that promise.
    """

    TEMPLATE = (
        "Rewrite the assistant response below. {instruction} Change nothing else: keep every "
        "fact, the tone and the format unless the instruction names them. Reply with the "
        "rewritten response only.\n\nConversation:\n{prompt}\n\nResponse:\n{response}"
    )

    def __init__(
        self,
        complete: Callable[[str], str],
        instruction: str,
        *,
        effect: int,
        name: str,
        template: str = TEMPLATE,
    ):
        _check_effect(effect, name)
        self.complete = complete
        self.instruction = instruction
        self.effect = effect
        self.name = name
        self.template = template

    def rewrite(self, prompts, responses, *, seed):
        out = []
        for prompt, response in zip(prompts, responses, strict=True):
            query = self.template.format(
                instruction=self.instruction, prompt=prompt or "", response=response
            )
            text = self.complete(query)
            out.append(text.strip() if isinstance(text, str) and text.strip() else None)
        return out


# -- registry --------------------------------------------------------------------------------------
REWRITERS: Registry[Callable[[], Rewriter]] = Registry("rewriter", argument_hint="<phrase>")
REWRITERS.register("padding", PaddingRewriter)
REWRITERS.register("marker", MarkerRewriter)
REWRITERS.register("formatting", ListFormatRewriter)


@REWRITERS.register("degrade_points")
def degrade_points() -> SentenceSwapRewriter:
    """Swap one known helpful point for a vague sentence (effect -1).

    The library knows no helpful points of its own, so this default makes no pairs: register
    a causal rewriter that knows what helps in your data (rule-based or an `InstructionRewriter`)
    and name it in `rewriters=`, as `spurious_text.degrade_points` does for that scenario.
    """
    return SentenceSwapRewriter((), (), effect=-1, name="degrade_points")


def register_rewriter(name: str, factory: Callable[[], Rewriter], *, replace: bool = False) -> None:
    """Make `factory()` available as rewriter `name` (e.g. an InstructionRewriter on a client)."""
    REWRITERS.register(name, factory, replace=replace)


def available_rewriters() -> list[str]:
    """Registered rewriter names, sorted."""
    return sorted(REWRITERS.names())


def get_rewriter(name: str) -> Rewriter:
    """A fresh rewriter by name; `marker:<phrase>` toggles a phrase of your choice."""
    if isinstance(name, str) and name.startswith("marker:"):
        return MarkerRewriter(name.removeprefix("marker:"))
    try:
        factory = REWRITERS.get(name)
    except UnknownNameError as err:
        raise UnknownNameError(f"{err.args[0]}, or marker:<phrase>") from None
    rewriter = factory()
    if not isinstance(rewriter, Rewriter) or rewriter.effect not in EFFECTS:
        raise ConfigError(
            f"rewriter '{name}' does not follow the Rewriter protocol (name, effect in "
            f"{EFFECTS}, rewrite(prompts, responses, *, seed))"
        )
    return rewriter


def _check_effect(effect: int, name: str) -> None:
    if effect not in EFFECTS:
        raise ConfigError(
            f"rewriter '{name}': effect={effect!r}; expected -1 (degrades), 0 (neutral) or +1"
        )
