"""How a prompt and a response become the one text an encoder sees.

The paper embeds each response together with the prompt it answers, as an HH-RLHF style
transcript ("Human: ...\\n\\nAssistant: ..."), so one format is used everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from causalpref.errors import ConfigError

HUMAN = "Human:"
ASSISTANT = "Assistant:"
TURN_SEP = "\n\n"
ROLE_PREFIX = {
    "system": "System:",
    "user": HUMAN,
    "human": HUMAN,
    "assistant": ASSISTANT,
}


def join_prompt_response(prompt: str | None, response: str) -> str:
    """Join `prompt` and `response` into one transcript, so the encoder sees the context.

    Rules, first match wins:
    1. no prompt (None, "" or only whitespace) -> `response` unchanged;
    2. the prompt already ends with "Assistant:" (trailing whitespace ignored), as HH-RLHF
       prompts do -> prompt.rstrip() + " " + response;
    3. the prompt contains "Human:" turns (an HH-RLHF transcript) ->
       prompt.rstrip() + "\\n\\nAssistant: " + response;
    4. any other prompt -> "Human: " + prompt + "\\n\\nAssistant: " + response.
    Nothing else is stripped: the response is never altered.
    """
    if not isinstance(response, str):
        raise ConfigError(
            f"join_prompt_response: response must be a string, got {type(response).__name__} "
            f"({response!r}); fill or drop rows whose response is missing"
        )
    if prompt is not None and not isinstance(prompt, str):
        raise ConfigError(
            f"join_prompt_response: prompt must be a string or None, got {type(prompt).__name__}"
        )
    if prompt is None or not prompt.strip():
        return response
    trimmed = prompt.rstrip()
    if trimmed.endswith(ASSISTANT):
        return f"{trimmed} {response}"
    if HUMAN in prompt:
        return f"{trimmed}{TURN_SEP}{ASSISTANT} {response}"
    return f"{HUMAN} {prompt}{TURN_SEP}{ASSISTANT} {response}"


def render_chat(messages: Sequence[Mapping[str, Any]]) -> str:
    """Render [{"role", "content"}, ...] as the same Human:/Assistant: transcript.

    Roles: "user"/"human" -> "Human:", "assistant" -> "Assistant:", "system" -> "System:";
    turns are separated by a blank line. Content may be a string or a list of parts
    ({"type": "text", "text": ...}), whose texts are concatenated.
    """
    if isinstance(messages, str | bytes) or not isinstance(messages, Sequence):
        raise ConfigError(
            f"render_chat: messages must be a list of {{'role', 'content'}} dicts, "
            f"got {type(messages).__name__}"
        )
    return TURN_SEP.join(_render_turn(i, m) for i, m in enumerate(messages))


def _render_turn(index: int, message: Mapping[str, Any]) -> str:
    """One turn as "<Role>: <content>"."""
    if not isinstance(message, Mapping) or "role" not in message or "content" not in message:
        raise ConfigError(
            f"render_chat: message #{index} must be a dict with 'role' and 'content', "
            f"got {message!r}"
        )
    role = str(message["role"])
    prefix = ROLE_PREFIX.get(role.lower(), f"{role.capitalize()}:")  # e.g. tool -> "Tool:"
    return f"{prefix} {content_text(message['content'], index)}"


def content_text(content: Any, index: int = 0) -> str:
    """Text of a message content: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence) and all(isinstance(p, Mapping) for p in content):
        return "".join(str(p.get("text", "")) for p in content if p.get("type", "text") == "text")
    raise ConfigError(
        f"render_chat: message #{index} content must be a string or a list of text parts, "
        f"got {type(content).__name__}"
    )
