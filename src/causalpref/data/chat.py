"""Chat messages rendered as one HH-RLHF style transcript ("Human: ...\\n\\nAssistant: ...").

Layouts that hold chat lists (TRL conversational, Arena conversations) turn them into the same
transcript text that HH-RLHF files already contain, so everything downstream sees plain text.
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


def render_chat(messages: Sequence[Mapping[str, Any]]) -> str:
    """Render [{"role", "content"}, ...] as a Human:/Assistant: transcript.

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
