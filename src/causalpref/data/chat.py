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


def exchange_text(prompt: Any, completion: Any) -> tuple[str, str]:
    """(prompt text, response text) of one TRL sample, plain or conversational.

    Message lists are rendered as the `chat` layout renders them: the prompt as a Human:/
    Assistant: transcript, the completion as its assistant contents (a transcript when other
    roles speak too); a completion that repeats the prompt messages has them removed.
    """
    if isinstance(prompt, list):
        prompt = plain_messages(prompt)
        if isinstance(completion, list):
            completion = plain_messages(completion)
            if completion[: len(prompt)] == prompt:
                completion = completion[len(prompt) :]
        prompt = render_chat(prompt)
    if isinstance(completion, list):
        completion = completion_text(completion)
    if not isinstance(prompt, str) or not isinstance(completion, str):
        raise ConfigError(
            "a TRL prompt and completion must each be a string or a list of chat messages, got "
            f"{type(prompt).__name__} and {type(completion).__name__}"
        )
    return prompt, completion


def completion_text(messages: list[Any]) -> str:
    """A completion's chat messages as text, the way the `chat` layout reads a response."""
    return reply_text(plain_messages(messages))


def plain_messages(turns: list[Any]) -> list[dict[str, str]]:
    """Chat messages reduced to role and text content (render_chat checks their shape)."""
    render_chat(turns)
    return [{"role": str(m["role"]), "content": content_text(m["content"])} for m in turns]


def reply_text(turns: list[dict[str, str]]) -> str:
    """What a completion adds: its assistant contents, or a transcript if other roles speak."""
    if all(m["role"] == "assistant" for m in turns):
        return TURN_SEP.join(m["content"] for m in turns)
    return render_chat(turns)
