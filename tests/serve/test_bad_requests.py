"""A corpus of bad requests gets the right status codes, each naming what was wrong, never a
traceback; the server answers good requests after every one of them."""

import json

from causalpref.methods import load_model
from causalpref.serve import ServeOptions, create_app
from tests.serve.conftest import run, served

LIMITS = {"max_items": 8, "max_body_bytes": 4096}
GOOD = {"query": ["Hi there"], "prompts": ["Hi"]}


def deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


# (name, method, path, body: bytes | JSON value, status, text the error must contain)
CASES = [
    ("truncated JSON", "POST", "/get_reward", b'{"query": [', 400, "not valid UTF-8 JSON"),
    ("truncated JSON, ours", "POST", "/rewards", b"{", 400, "not valid UTF-8 JSON"),
    ("not UTF-8", "POST", "/rewards", b"\xff\xfe{}", 400, "not valid UTF-8 JSON"),
    ("empty body", "POST", "/get_reward", b"", 400, "not valid UTF-8 JSON"),
    ("nested too deeply", "POST", "/rewards", deep(2000), 400, "not valid UTF-8 JSON"),
    ("a list body", "POST", "/get_reward", [], 422, "must be a JSON object"),
    ("a string body", "POST", "/rewards", "items", 422, "must be a JSON object"),
    ("a null body", "POST", "/rewards", None, 422, "must be a JSON object"),
    ("query missing", "POST", "/get_reward", {"prompts": ["a"]}, 422, "query: is missing"),
    ("query a string", "POST", "/get_reward", {"query": "abc"}, 422, "query: must be a list"),
    ("query of numbers", "POST", "/get_reward", {"query": ["a", 2]}, 422, "query[1]: must be"),
    ("query with null", "POST", "/get_reward", {"query": [None]}, 422, "query[0]: must be"),
    ("query NaN", "POST", "/get_reward", b'{"query": [NaN]}', 422, "query[0]: must be"),
    (
        "lone surrogate",
        "POST",
        "/get_reward",
        b'{"query": ["a\\ud800"]}',
        422,
        "query[0]: is not text",
    ),
    (
        "prompts a string",
        "POST",
        "/get_reward",
        {"query": ["a"], "prompts": "a"},
        422,
        "prompts: must be",
    ),
    (
        "prompts too few",
        "POST",
        "/get_reward",
        {"query": ["ab", "c"], "prompts": ["a"]},
        422,
        "prompts: has 1 items",
    ),
    (
        "query not after its prompt",
        "POST",
        "/get_reward",
        {"query": ["ok", "hello"], "prompts": ["o", "bye"]},
        422,
        "query[1]: does not start with prompts[1]",
    ),
    ("too many queries", "POST", "/get_reward", {"query": ["x"] * 9}, 413, "limit of 8"),
    ("body too large", "POST", "/get_reward", {"query": ["x" * 5000]}, 413, "limit of 4096"),
    ("items missing", "POST", "/rewards", {"query": ["a"]}, 422, "items: is missing"),
    ("items a string", "POST", "/rewards", {"items": "x"}, 422, "items: must be a list"),
    (
        "item a number",
        "POST",
        "/rewards",
        {"items": [{"response": "ok"}, 1]},
        422,
        "items[1]: must be an object",
    ),
    (
        "response missing",
        "POST",
        "/rewards",
        {"items": [{"prompt": "p"}]},
        422,
        "items[0].response: is missing",
    ),
    (
        "response a number",
        "POST",
        "/rewards",
        {"items": [{"response": 5}]},
        422,
        "items[0].response: must be",
    ),
    (
        "prompt an object",
        "POST",
        "/rewards",
        {"items": [{"prompt": {"a": 1}, "response": "r"}]},
        422,
        "items[0].prompt: must be",
    ),
    (
        "message without content",
        "POST",
        "/rewards",
        {"items": [{"response": [{"role": "assistant"}]}]},
        422,
        "items[0].response",
    ),
    (
        "message content a number",
        "POST",
        "/rewards",
        {"items": [{"response": "r", "prompt": [{"role": "user", "content": 5}]}]},
        422,
        "items[0].prompt",
    ),
    (
        "message without role, quoted",
        "POST",
        "/rewards",
        {"items": [{"response": [{"content": "x" * 3000}]}]},
        422,
        "items[0].response: render_chat: message #0",
    ),
    (
        "user_id a list",
        "POST",
        "/rewards",
        {"items": [{"response": "r", "user_id": [1]}]},
        422,
        "items[0].user_id",
    ),
    (
        "every problem at once",
        "POST",
        "/rewards",
        {"items": [{"response": 1}, {"response": "ok"}, {}]},
        422,
        "items[2].response",
    ),
    ("too many items", "POST", "/rewards", {"items": [{"response": "r"}] * 9}, 413, "limit of 8"),
    ("GET a POST route", "GET", "/get_reward", None, 405, "GET is not allowed"),
    ("POST a GET route", "POST", "/health", {}, 405, "POST is not allowed"),
    ("unknown route", "GET", "/v1/score", None, 404, "no route /v1/score"),
]

CONTEXT_CASES = [
    (
        "context missing",
        {"items": [{"response": "r", "context": "safe"}, {"response": "r"}]},
        "items[1].context: is missing",
    ),
    (
        "context unknown",
        {"items": [{"response": "r", "context": "funny"}]},
        "'funny' was not seen in training",
    ),
    (
        "context an object",
        {"items": [{"response": "r", "context": {}}]},
        "items[0].context: must be",
    ),
]


async def send(client, method: str, path: str, body):
    if method == "GET":
        return await client.get(path)
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post(path, content=content)


def check_refusal(answer, status: int, needle: str) -> None:
    assert answer.status_code == status, (answer.status_code, answer.text)
    payload = answer.json()
    assert needle in payload["error"], payload
    assert "Traceback" not in answer.text
    assert len(answer.text) < 2000  # the client's input is never echoed at length


def test_the_corpus_is_large_enough():
    assert len(CASES) + len(CONTEXT_CASES) >= 25


def test_bad_requests_get_their_status_and_the_server_keeps_answering(hashing_model):
    app = create_app(hashing_model, ServeOptions(**LIMITS))

    async def go():
        async with served(app) as client:
            for name, method, path, body, status, needle in CASES:
                check_refusal(await send(client, method, path, body), status, needle)
                good = await client.post("/get_reward", json=GOOD)
                assert good.status_code == 200, (name, good.text)
            return (await client.get("/metrics")).text

    metrics = run(go())
    errors = sum(
        float(line.split()[-1])
        for line in metrics.splitlines()
        if line.startswith("causalpref_request_errors_total{")
    )
    assert errors == len(CASES)


def test_context_models_say_when_a_context_is_missing_or_unknown(context_dir):
    app = create_app(load_model(context_dir), ServeOptions(**LIMITS))
    good = {"items": [{"response": "fine", "context": "helpful"}]}

    async def go():
        async with served(app) as client:
            for _name, body, needle in CONTEXT_CASES:
                check_refusal(await client.post("/rewards", json=body), 422, needle)
                assert (await client.post("/rewards", json=good)).status_code == 200
            check_refusal(await client.post("/get_reward", json=GOOD), 422, "POST /rewards")

    run(go())


def test_an_unexpected_failure_is_a_500_without_traceback_and_spares_the_rest(hashing_dir):
    model = load_model(hashing_dir)
    rewards = model.rewards

    def fragile(**kwargs):
        if len(kwargs["vectors"]) == 3:
            raise RuntimeError("secret internal detail")
        return rewards(**kwargs)

    model.rewards = fragile
    app = create_app(model)

    async def go():
        async with served(app) as client:
            broken = await client.post("/rewards", json={"items": [{"response": "x"}] * 3})
            assert broken.status_code == 500
            assert "secret" not in broken.text and "Traceback" not in broken.text
            assert (await client.post("/get_reward", json=GOOD)).status_code == 200

    run(go())


def test_empty_requests_answer_empty_lists(hashing_model):
    app = create_app(hashing_model)

    async def go():
        async with served(app) as client:
            empty = await client.post(
                "/get_reward", json={"query": [], "prompts": [], "labels": []}
            )
            ours = await client.post("/rewards", json={"items": []})
            return empty.json(), ours.json()

    assert run(go()) == ({"rewards": [], "scores": [], "extra_logs": {}}, {"rewards": []})
