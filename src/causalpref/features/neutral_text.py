"""Content-free text the rule-based rewriters add by default: padding, a marker, a list header.

These belong to the rewriters, not to any scenario: on a user's data a neutral rewrite must add
text that carries no answer, whatever the data set. Each padding sentence is a complete,
topic-free sentence of ordinary length, so padding changes length and nothing else.
"""

from __future__ import annotations

PADDING: tuple[str, ...] = (
    "Put differently, the same idea can be looked at from a slightly different angle.",
    "That said, the general principle here applies in a good many situations.",
    "To sum up briefly, the points above are the heart of the matter.",
    "It may also help to read this again after some time has passed.",
    "In short, the details above are what matter most in practice.",
    "Naturally, every situation is a little different from the next one.",
    "As a general remark, patience tends to pay off with things like this.",
    "Hopefully this overview makes the whole topic a little easier to follow.",
)

MARKER = "Thank you for this thoughtful question!"
LIST_HEADER = "Key points:"
