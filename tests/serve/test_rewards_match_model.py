"""Rewards from the server equal `load_model(dir).rewards(...)` on the same texts (1e-6), through
both routes, for hashing and MiniLM models, with unicode, chat-template tokens and chat lists."""

import json

import numpy as np
import pytest

from causalpref.data import read_preferences
from causalpref.methods import load_model
from causalpref.serve import ServeOptions, create_app
from tests.serve.conftest import run, served

TEMPLATE_PROMPT = "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"
PROMPTS = [
    "How do I bake bread?",
    TEMPLATE_PROMPT,
    "Human: Traduis « bonjour » en japonais\n\nAssistant:",
    "<s>[INST] Résume ce texte 🙂 [/INST]",
    "",
    "مرحبا، كيف حالك؟",
]
RESPONSES = [
    "Mix flour, water, salt and yeast; knead, rest, bake at 230 °C.",
    "4<|im_end|>\n<|endoftext|>",
    "こんにちは (konnichiwa) 👋🏽 — with a zero\u200dwidth joiner",
    "Un résumé : le texte parle de pain. </s>",
    "no prompt at all",
    "بخير، شكرا",
]


def server_rewards(model_dir, route: str, prompts, responses, **options) -> np.ndarray:
    """Rewards of the responses through one request to `route` of an in-process server."""
    app = create_app(load_model(model_dir), ServeOptions(**options))
    if route == "get_reward":
        body = {
            "query": [p + r for p, r in zip(prompts, responses, strict=True)],
            "prompts": prompts,
            "labels": [None] * len(prompts),
        }
    else:
        body = {
            "items": [{"prompt": p, "response": r} for p, r in zip(prompts, responses, strict=True)]
        }

    async def ask():
        async with served(app) as client:
            answer = await client.post(f"/{route}", json=body)
            assert answer.status_code == 200, answer.text
            return answer.json()

    payload = run(ask())
    if route == "get_reward":
        assert payload["scores"] == payload["rewards"] and payload["extra_logs"] == {}
    return np.asarray(payload["rewards"])


@pytest.mark.parametrize("route", ["get_reward", "rewards"])
@pytest.mark.parametrize("model", ["hashing_dir", "minilm_dir"])
def test_server_rewards_equal_the_loaded_model(model, route, request):
    model_dir = request.getfixturevalue(model)
    got = server_rewards(model_dir, route, PROMPTS, RESPONSES)
    expected = load_model(model_dir).rewards(prompts=PROMPTS, responses=RESPONSES)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    assert np.ptp(expected) > 0  # distinct texts get distinct rewards: the check can fail


def test_a_wrong_split_of_the_query_would_be_caught(hashing_dir):
    """Negative control: scoring the whole query as the response changes the rewards."""
    got = server_rewards(hashing_dir, "get_reward", PROMPTS, RESPONSES)
    whole = load_model(hashing_dir).rewards(
        prompts=PROMPTS, responses=[p + r for p, r in zip(PROMPTS, RESPONSES, strict=True)]
    )
    assert np.max(np.abs(got - whole)) > 1e-4


def test_normalize_standardises_with_the_training_mean_and_sd(hashing_dir):
    got = server_rewards(hashing_dir, "rewards", PROMPTS, RESPONSES, normalize=True)
    model = load_model(hashing_dir)
    mean, sd = model.reward_normalization()
    raw = model.rewards(prompts=PROMPTS, responses=RESPONSES)
    np.testing.assert_allclose(got, (raw - mean) / sd, rtol=0, atol=1e-6)
    assert not np.allclose(got, raw)


def test_chat_lists_score_as_the_trl_conversational_layout_reads_them(hashing_dir, tmp_path):
    """A prompt list and completion lists, read as training data and sent to the server."""
    rows = [
        {
            "prompt": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Capital of France? <|im_end|>"},
            ],
            "chosen": [{"role": "assistant", "content": "Paris 🇫🇷"}],
            "rejected": [{"role": "assistant", "content": [{"type": "text", "text": "Lyon"}]}],
        },
        {
            "prompt": [{"role": "user", "content": "2+2?"}],
            "chosen": [
                {"role": "assistant", "content": "4"},
                {"role": "user", "content": "sure?"},
                {"role": "assistant", "content": "yes"},
            ],
            "rejected": [{"role": "assistant", "content": "5"}],
        },
    ]
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    data = read_preferences(path, layout="chat")
    expected = load_model(hashing_dir).rewards(
        prompts=list(data.column("prompt")) * 2,
        responses=list(data.column("response_a")) + list(data.column("response_b")),
    )
    items = [
        {"prompt": r["prompt"], "response": r[side]}
        for side in ("chosen", "rejected")
        for r in rows
    ]
    app = create_app(load_model(hashing_dir))

    async def ask():
        async with served(app) as client:
            return (await client.post("/rewards", json={"items": items})).json()["rewards"]

    np.testing.assert_allclose(run(ask()), expected, rtol=0, atol=1e-6)


def test_a_context_model_scores_each_item_in_its_context(context_dir):
    model = load_model(context_dir)
    contexts = ["safe", "helpful", "safe", "helpful", "helpful", "safe"]
    items = [
        {"prompt": p, "response": r, "context": c, "user_id": i}
        for i, (p, r, c) in enumerate(zip(PROMPTS, RESPONSES, contexts, strict=True))
    ]
    app = create_app(model)

    async def ask():
        async with served(app) as client:
            return (await client.post("/rewards", json={"items": items})).json()["rewards"]

    expected = model.rewards(prompts=PROMPTS, responses=RESPONSES, context=contexts)
    np.testing.assert_allclose(run(ask()), expected, rtol=0, atol=1e-6)
    other = model.rewards(prompts=PROMPTS, responses=RESPONSES, context=["safe"] * 6)
    assert not np.allclose(expected, other)  # the context matters, so the check can fail
