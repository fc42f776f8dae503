"""How a prompt and a response become the one text an encoder sees.

The paper embeds each response together with the prompt it answers, as an HH-RLHF style
transcript ("Human: ...\\n\\nAssistant: ..."), so one format is used everywhere. Chat lists
are rendered to the same transcript by `causalpref.data.chat.render_chat` when data is read.
"""

from __future__ import annotations

from causalpref.data.chat import ASSISTANT, HUMAN, TURN_SEP
from causalpref.errors import ConfigError


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
