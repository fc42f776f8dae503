"""The sentences the text scenarios are built from: topics, their helpful points, and the
content-free material (vague filler, padding, a marker phrase, a formatting header).

Helpful points carry a topic's own vocabulary, so a reward that reads the prompt can tell an
on-topic answer from an off-topic one; vague sentences and padding carry no topic at all.
Padding sentences have close to the same length as content sentences, so length in words is
driven by how much padding a response has.
"""

from __future__ import annotations

TOPICS: dict[str, dict[str, list[str]]] = {
    "sourdough": {
        "prompts": [
            "How do I keep a sourdough starter healthy?",
            "My sourdough bread comes out flat. What should I change?",
            "What matters most when baking sourdough at home?",
        ],
        "points": [
            "Feed the starter equal weights of flour and water once a day.",
            "Use the starter when it has doubled and smells pleasantly sour.",
            "Let the dough bulk ferment until it has risen by about half.",
            "Shape the loaf tightly so the crust holds the gas while it proofs.",
            "Bake in a preheated covered pot so steam keeps the crust soft at first.",
            "Whole rye flour in the feed makes a sluggish starter more active.",
            "Score the top with a razor so the loaf expands where you want.",
            "Keep the dough near room temperature because cold slows the yeast.",
        ],
    },
    "budgeting": {
        "prompts": [
            "How can I start a monthly budget that I will actually follow?",
            "I keep running out of money before payday. What should I do?",
            "What is a sensible way to manage my household spending?",
        ],
        "points": [
            "List every fixed bill such as rent, insurance and loan payments first.",
            "Track each purchase for one month to see where the money really goes.",
            "Move a fixed amount into savings on the day your salary arrives.",
            "Keep an emergency fund that covers three months of essential costs.",
            "Pay off the credit card with the highest interest rate before the others.",
            "Cancel subscriptions you have not used in the last two months.",
            "Set a weekly cash limit for groceries and eating out.",
            "Review the budget every month and adjust categories that overflow.",
        ],
    },
    "running": {
        "prompts": [
            "How should a beginner train for a first five kilometre race?",
            "My knees hurt after running. How do I train more safely?",
            "What is a good plan to build running endurance?",
        ],
        "points": [
            "Increase your weekly mileage by no more than about ten percent.",
            "Run most sessions at an easy pace where you can still hold a conversation.",
            "Replace worn running shoes after roughly seven hundred kilometres.",
            "Add one interval session a week with short fast repeats and slow jogs.",
            "Schedule a rest day after a long run so the muscles can recover.",
            "Strengthen hips and calves with squats and heel raises twice a week.",
            "Warm up with five minutes of brisk walking before you start jogging.",
            "Drink water regularly and eat carbohydrates before long runs.",
        ],
    },
    "houseplants": {
        "prompts": [
            "How do I keep my houseplants from dying?",
            "The leaves of my indoor plant are turning yellow. What can I do?",
            "What are the basics of caring for plants indoors?",
        ],
        "points": [
            "Water only when the top few centimetres of soil feel dry to the touch.",
            "Use pots with drainage holes so the roots never sit in standing water.",
            "Place sun loving plants near a bright south facing window.",
            "Feed with diluted liquid fertiliser during spring and summer only.",
            "Repot into a slightly larger container when roots circle the pot.",
            "Wipe dust off broad leaves so they can absorb more light.",
            "Check the underside of leaves for pests such as spider mites.",
            "Keep tropical plants away from cold drafts and radiators.",
        ],
    },
}

VAGUE: list[str] = [
    "It really depends on your own particular situation and your goals.",
    "There are many different ways that people tend to approach this question.",
    "Everyone seems to have their own opinion about what works best here.",
    "This is something a lot of people wonder about at some point.",
    "You might want to think about it quite carefully before deciding anything.",
    "Results can vary quite a bit from one person to the next.",
    "It is hard to give a single answer that fits every case.",
    "Some people find one approach useful while others prefer another one.",
]

PADDING: list[str] = [
    "To put it another way, this is something worth keeping in mind.",
    "As mentioned, it helps to think about the whole picture here.",
    "In other words, there is a bit more that could be said about it.",
    "Overall, I hope this gives you a somewhat clearer picture.",
    "Just to restate the idea, these things tend to add up over time.",
    "Of course, all of this is simply meant as general background.",
    "On a related note, it is always good to stay patient with it.",
    "Finally, feel free to come back to this whenever it is useful.",
]

MARKER = "Great question, I am so glad you asked!"
FORMAT_HEADER = "Here is a summary:"
BULLET = "- "


def join_sentences(sentences: list[str], formatted: bool) -> str:
    """Prose (one paragraph) or a markdown list under FORMAT_HEADER."""
    if not formatted:
        return " ".join(sentences)
    return FORMAT_HEADER + "\n" + "\n".join(BULLET + s for s in sentences)


def split_sentences(text: str) -> tuple[list[str], bool]:
    """Inverse of join_sentences for texts built from this bank: (sentences, formatted)."""
    if text.startswith(FORMAT_HEADER + "\n"):
        lines = text[len(FORMAT_HEADER) + 1 :].split("\n")
        return [line.removeprefix(BULLET) for line in lines if line], True
    return _prose_sentences(text), False


def _prose_sentences(text: str) -> list[str]:
    """Sentences of a bank-built paragraph: each ends with '.', '?' or '!' followed by a space."""
    out, start = [], 0
    for i, ch in enumerate(text):
        if ch in ".?!" and (i + 1 == len(text) or text[i + 1] == " "):
            out.append(text[start : i + 1].strip())
            start = i + 1
    rest = text[start:].strip()
    return [*out, rest] if rest else out
