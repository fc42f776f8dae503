"""Request bodies of both scoring routes parsed into what the model scores, or a RequestError.

`/get_reward` is OpenRLHF's remote reward protocol: `{"query": [prompt + response], "prompts":
[prompt], "labels": [...]}`; the response is what follows its prompt in the query. `/rewards`
is ours: `{"items": [{"prompt", "response", "context"?, "user_id"?}]}`, where prompt and
response may be chat message lists, rendered as the TRL conversational layout renders them, so
the server scores the same text the model was trained on. Every problem of a request is reported
at once, each naming its field and index.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from causalpref.data.chat import completion_text, render_chat
from causalpref.errors import CausalPrefError, ConfigError

MAX_LISTED = 20
MAX_MESSAGE = 300


class RequestError(CausalPrefError):
    """A request the server refuses: the HTTP status and the problems, each with its field."""

    def __init__(self, status: int, problems: Sequence[tuple[str | None, str]]):
        self.status = status
        self.problems = [(field, _shortened(message)) for field, message in problems]
        shown = [f"{field}: {msg}" if field else msg for field, msg in self.problems[:MAX_LISTED]]
        more = len(self.problems) - len(shown)
        text = "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
        super().__init__(text)

    def body(self) -> dict[str, Any]:
        """The JSON answer: one message, and each problem with its field."""
        return {
            "error": str(self),
            "problems": [{"field": f, "message": m} for f, m in self.problems[:MAX_LISTED]],
        }


@dataclass(frozen=True)
class ModelNeeds:
    """What the served model needs besides text: a context from a known vocabulary, or not."""

    uses_context: bool
    contexts: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScoreItems:
    """One request's responses to score, with their prompts, contexts and users."""

    prompts: list[str | None]
    responses: list[str]
    contexts: list[str] | None = None
    user_ids: list[Any] | None = None

    def __len__(self) -> int:
        return len(self.responses)


def parse_json(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object: 400 if it is not JSON, 422 if not an object."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as err:  # JSONDecodeError and UnicodeDecodeError
        raise RequestError(400, [(None, f"the body is not valid UTF-8 JSON ({err})")]) from None
    if not isinstance(payload, dict):
        raise RequestError(422, [(None, f"the body must be a JSON object, got {_kind(payload)}")])
    return payload


def parse_get_reward(payload: dict[str, Any], needs: ModelNeeds, max_items: int) -> ScoreItems:
    """OpenRLHF's request: each query split into its prompt and the response that follows it.

    `prompts` may be absent (older OpenRLHF sends only `query`): each query is then scored as a
    response without a prompt. `labels` and any other key are ignored.
    """
    if needs.uses_context:
        raise RequestError(
            422,
            [
                (
                    None,
                    "this model conditions on a context, which /get_reward cannot carry: "
                    "POST /rewards with a 'context' per item",
                )
            ],
        )
    if isinstance(payload.get("query"), list):  # counted before any entry is checked
        _check_count(len(payload["query"]), max_items, "query")
    problems: list[tuple[str | None, str]] = []
    queries = _string_list(payload, "query", problems, required=True)
    prompts = _string_list(payload, "prompts", problems, required=False)
    if problems:
        raise RequestError(422, problems)
    if prompts is None:
        return ScoreItems(prompts=[None] * len(queries), responses=list(queries))
    return ScoreItems(prompts=prompts, responses=_responses(queries, prompts))


def _responses(queries: list[str], prompts: list[str]) -> list[str]:
    """What follows each prompt in its query; 422 naming every query that does not start so."""
    if len(prompts) != len(queries):
        message = f"has {len(prompts)} items but query has {len(queries)}: one prompt per query"
        raise RequestError(422, [("prompts", message)])
    pairs = list(zip(queries, prompts, strict=True))
    bad = [i for i, (query, prompt) in enumerate(pairs) if not query.startswith(prompt)]
    if bad:
        raise RequestError(
            422,
            [
                (
                    f"query[{i}]",
                    f"does not start with prompts[{i}]: the query must be the prompt followed "
                    "by the response, as the policy decoded it",
                )
                for i in bad
            ],
        )
    return [query[len(prompt) :] for query, prompt in pairs]


def parse_rewards(payload: dict[str, Any], needs: ModelNeeds, max_items: int) -> ScoreItems:
    """Our request: `items`, each a prompt (optional) and a response, text or chat messages,
    with a context when the model needs one and an optional user_id."""
    items = payload.get("items")
    if not isinstance(items, list):
        what = "is missing" if items is None else f"must be a list, got {_kind(items)}"
        raise RequestError(
            422, [("items", f"{what}: send {{'items': [{{'prompt', 'response'}}]}}")]
        )
    _check_count(len(items), max_items, "items")
    problems: list[tuple[str | None, str]] = []
    parsed = [_item(item, f"items[{i}]", needs, problems) for i, item in enumerate(items)]
    if problems:
        raise RequestError(422, problems)
    users = [p[3] for p in parsed]
    return ScoreItems(
        prompts=[p[0] for p in parsed],
        responses=[p[1] for p in parsed],
        contexts=[p[2] for p in parsed] if needs.uses_context else None,
        user_ids=users if any(u is not None for u in users) else None,
    )


def _item(item: Any, where: str, needs: ModelNeeds, problems: list) -> tuple:
    """(prompt, response, context, user_id) of one item; its problems appended."""
    if not isinstance(item, dict):
        problems.append(
            (where, f"must be an object with 'prompt' and 'response', got {_kind(item)}")
        )
        return None, "", None, None
    prompt = _prompt_text(item.get("prompt"), f"{where}.prompt", problems)
    response = _response_text(item.get("response"), f"{where}.response", problems)
    context = _context(item.get("context"), f"{where}.context", needs, problems)
    user = item.get("user_id")
    if user is not None and (isinstance(user, bool) or not isinstance(user, str | int)):
        problems.append((f"{where}.user_id", f"must be a string or integer, got {_kind(user)}"))
    return prompt, response, context, user


def _prompt_text(value: Any, where: str, problems: list) -> str | None:
    """The prompt as text: a string, chat messages rendered as a transcript, or None."""
    if value is None:
        return None
    if isinstance(value, list):
        return _rendered(value, where, problems, render_chat)
    return _checked_string(value, where, problems, "a string, a list of chat messages or null")


def _response_text(value: Any, where: str, problems: list) -> str:
    """The response as text: a string, or the completion's chat messages (TRL convention)."""
    if value is None:
        problems.append((where, "is missing: every item needs a response"))
        return ""
    if isinstance(value, list):
        return _rendered(value, where, problems, completion_text)
    return _checked_string(value, where, problems, "a string or a list of chat messages") or ""


def _rendered(messages: list, where: str, problems: list, render) -> str:
    try:
        text = render(messages)
    except ConfigError as err:
        problems.append((where, str(err)))
        return ""
    return _checked_string(text, where, problems, "chat messages of text") or ""


def _checked_string(value: Any, where: str, problems: list, expected: str) -> str | None:
    """`value` if it is a string that can be encoded as UTF-8 (no lone surrogates)."""
    if not isinstance(value, str):
        problems.append((where, f"must be {expected}, got {_kind(value)}"))
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        problems.append((where, f"is not text: a lone surrogate at character {err.start}"))
        return None
    return value


def _context(value: Any, where: str, needs: ModelNeeds, problems: list) -> str | None:
    """The item's context, checked against the model's vocabulary (ignored by other models)."""
    if not needs.uses_context:
        return None
    if value is None:
        problems.append(
            (
                where,
                f"is missing: this model conditions on a context, one of {list(needs.contexts)}",
            )
        )
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        problems.append((where, f"must be a string or integer, got {_kind(value)}"))
        return None
    if str(value) not in needs.contexts:
        problems.append(
            (
                where,
                f"{str(value)!r} was not seen in training; this model knows {list(needs.contexts)}",
            )
        )
        return None
    return str(value)


def _string_list(payload: dict, name: str, problems: list, *, required: bool) -> list[str] | None:
    """Field `name` as a list of strings; each bad entry appended to `problems`."""
    value = payload.get(name)
    if value is None:
        if required:
            problems.append((name, "is missing: send a list of strings"))
        return None
    if not isinstance(value, list):
        problems.append((name, f"must be a list of strings, got {_kind(value)}"))
        return None
    texts = [_checked_string(v, f"{name}[{i}]", problems, "a string") for i, v in enumerate(value)]
    return [t or "" for t in texts]


def _check_count(n: int, max_items: int, field: str) -> None:
    if n > max_items:
        raise RequestError(
            413,
            [
                (
                    field,
                    f"has {n} items, more than this server's limit of {max_items} per request "
                    "(--max-items): split the request",
                )
            ],
        )


def _shortened(message: str) -> str:
    """`message` cut to MAX_MESSAGE characters: it may quote what the client sent."""
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


def _kind(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)
