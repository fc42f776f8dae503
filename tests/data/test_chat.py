"""Chat messages rendered as HH-style transcripts."""

from __future__ import annotations

import pytest

from causalpref.data.chat import content_text, render_chat
from causalpref.errors import ConfigError
from tests.data.layouts.helpers import (
    message,
)


def test_render_chat_matches_hh_style():
    messages = [message("system", "Be kind."), message("user", "Hi"), message("assistant", "Hey")]
    assert render_chat(messages) == "System: Be kind.\n\nHuman: Hi\n\nAssistant: Hey"


def test_content_text_joins_text_parts_and_rejects_other_content():
    parts = [{"type": "text", "text": "Hel"}, {"type": "image", "url": "x"}, {"text": "lo"}]
    assert content_text(parts) == "Hello"
    assert content_text("plain") == "plain"
    with pytest.raises(ConfigError, match="message #2 content must be a string"):
        content_text(3, 2)
