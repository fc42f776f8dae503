"""GET /info describes what is served; GET /metrics counts requests, errors, latency and
forward-pass sizes in Prometheus text."""

from prometheus_client.parser import text_string_to_metric_families

from causalpref.methods import load_model
from causalpref.serve import ServeOptions, create_app
from tests.serve.conftest import run, served


def samples_by_name(text: str) -> dict:
    """{(sample name, frozenset of labels): value} of a Prometheus exposition."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_info_names_method_encoder_fingerprint_contexts_and_limits(context_dir):
    model = load_model(context_dir)
    app = create_app(model, ServeOptions(max_batch=16, max_items=100))

    async def go():
        async with served(app) as client:
            return (await client.get("/info")).json()

    info = run(go())
    mean, sd = model.reward_normalization()
    assert info["method"] == "multihead" and info["encoder"] == "hashing"
    assert info["fingerprint"] == model.encoder_["fingerprint"]
    assert info["uses_context"] is True and info["contexts"] == ["helpful", "safe"]
    assert info["normalize"] is False
    assert (info["reward_mean"], info["reward_sd"]) == (mean, sd)
    assert info["limits"]["max_batch"] == 16 and info["limits"]["max_items"] == 100


def test_metrics_count_requests_errors_latency_and_batch_sizes(hashing_model):
    app = create_app(hashing_model)
    three = {"items": [{"response": "a"}, {"response": "b"}, {"response": "c"}]}

    async def go():
        async with served(app) as client:
            await client.post("/rewards", json=three)
            await client.post("/get_reward", json={"query": ["x", "y"]})
            await client.post("/get_reward", json={"query": "not a list"})
            await client.get("/health")
            await client.get("/nowhere")
            return (await client.get("/metrics")).text

    got = samples_by_name(run(go()))

    def value(name: str, **labels) -> float:
        return got[(name, frozenset(labels.items()))]

    assert value("causalpref_requests_total", route="rewards", status="200") == 1
    assert value("causalpref_requests_total", route="get_reward", status="200") == 1
    assert value("causalpref_requests_total", route="get_reward", status="422") == 1
    assert value("causalpref_requests_total", route="health", status="200") == 1
    assert value("causalpref_request_errors_total", route="get_reward", status="422") == 1
    assert value("causalpref_request_errors_total", route="unrouted", status="404") == 1
    assert (
        "causalpref_request_errors_total",
        frozenset({"route": "rewards", "status": "200"}.items()),
    ) not in got
    assert value("causalpref_request_latency_seconds_count", route="get_reward") == 2
    assert value("causalpref_request_latency_seconds_sum", route="rewards") > 0
    assert value("causalpref_batch_size_count") == 2  # one pass per request here
    assert value("causalpref_batch_size_sum") == 5
    assert value("causalpref_batch_size_bucket", le="2.0") == 1  # the 2-item pass
