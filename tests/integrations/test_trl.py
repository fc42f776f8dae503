"""TRL reward functions: the same rewards as `load_model(dir).rewards` on plain and
conversational samples, dataset columns as contexts, GRPO and RLOO training steps with the
function as their reward, and the remote variant against a running `causalpref serve`."""

import contextlib
import io
import math
import socket
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

from causalpref.data import PreferenceData, read_preferences
from causalpref.errors import ConfigError
from causalpref.integrations import trl as trl_module
from causalpref.integrations.trl import (
    RewardServerError,
    exchange_text,
    remote_reward_function,
    reward_function,
)
from causalpref.methods import load_model, make_method

TINY = {"encoder": "hashing", "hidden_dim": 16, "epochs": 3, "lr": 1e-2, "seed": 0}
GOOD = ["Sure, here is a clear answer.", "Yes, the capital is Paris.", "Happy to help: it is 4."]
BAD = ["No.", "Go away.", "I will not say."]
CONTEXTS = ("brief", "helpful")
PROMPTS = [
    "What is 2+2?",
    "Capital of France?",
    "Say hi",
    "¿Qué tal? 你好",
    "",
    "Explain <|im_end|>",
]
RESPONSES = ["4", "Paris, of course.", "Hi! 👋", "Muy bien, 谢谢.", "Empty prompt.", "<|eot_id|>"]


def training_pairs(n: int = 40) -> PreferenceData:
    """Text pairs where a helpful answer beats a curt one, each under one of two contexts."""
    return PreferenceData.from_columns(
        {
            "prompt": [f"Question {i}?" for i in range(n)],
            "response_a": [f"{GOOD[i % 3]} ({i})" for i in range(n)],
            "response_b": [BAD[i % 3] for i in range(n)],
            "label": [1.0] * n,
            "objective": [CONTEXTS[i % 2] for i in range(n)],
        }
    )


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory):
    """Saved models: 'bt' (text only) and 'multihead' (one head per context 'objective')."""
    root = tmp_path_factory.mktemp("models")
    data = training_pairs()
    for method, extra in (("bt", {}), ("multihead", {"context": "objective"})):
        model = make_method(method, cache_dir=root / "cache", **TINY, **extra).fit(data)
        model.save(root / method)
    return root


def assistant(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


# -- the same rewards as the model ------------------------------------------------------------
def test_plain_samples_get_the_models_rewards(model_dirs):
    expected = load_model(model_dirs / "bt").rewards(prompts=PROMPTS, responses=RESPONSES)
    got = reward_function(model_dirs / "bt")(prompts=PROMPTS, completions=RESPONSES)
    assert all(type(r) is float for r in got)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    assert np.ptp(expected) > 0  # the texts get different rewards, so a mix-up would show


@pytest.mark.parametrize("batch_size", [1, 4])
def test_smaller_batches_give_the_same_rewards_to_float32_rounding(model_dirs, batch_size):
    # the net runs in float32, whose matrix products round differently for other batch shapes
    expected = load_model(model_dirs / "bt").rewards(prompts=PROMPTS, responses=RESPONSES)
    f = reward_function(model_dirs / "bt", batch_size=batch_size)
    got = f(prompts=PROMPTS, completions=RESPONSES)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=0)


def test_conversational_samples_are_scored_as_the_rendered_transcript(model_dirs):
    prompts = [user("Hi") + assistant("Hello!") + user("2+2?"), user("Say hi")]
    completions = [assistant("4"), assistant("Hi!") + assistant("How are you?")]
    expected = load_model(model_dirs / "bt").rewards(
        prompts=["Human: Hi\n\nAssistant: Hello!\n\nHuman: 2+2?", "Human: Say hi"],
        responses=["4", "Hi!\n\nHow are you?"],
    )
    got = reward_function(model_dirs / "bt")(prompts=prompts, completions=completions)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    "prompt, completion",
    [
        (user("2+2?"), assistant("4")),
        (user("Hi") + assistant("Hello!") + user("Bye?"), assistant("Bye.") + assistant("Ciao.")),
        (user("Plan?"), assistant("First") + user("and then?") + assistant("Then this.")),
        (user("Repeat?"), user("Repeat?") + assistant("Yes.")),
        (user("Parts?"), [{"role": "assistant", "content": [{"type": "text", "text": "A"}]}]),
    ],
)
def test_rendering_agrees_with_the_chat_layout_that_reads_training_data(prompt, completion):
    row = {"prompt": prompt, "chosen": completion, "rejected": assistant("something else")}
    read = read_preferences([row, row], layout="chat")
    expected = (str(read.column("prompt")[0]), str(read.column("response_a")[0]))
    assert exchange_text(prompt, completion) == expected


def test_a_sample_that_is_neither_text_nor_messages_is_a_config_error(model_dirs):
    f = reward_function(model_dirs / "bt")
    with pytest.raises(ConfigError, match="string or a list of chat messages"):
        f(prompts=["Hi"], completions=[42])
    with pytest.raises(ConfigError, match="2 prompts for 1 completions"):
        f(prompts=["Hi", "Yo"], completions=["Hello"])


# -- dataset columns and options --------------------------------------------------------------
def test_the_context_column_reaches_a_context_aware_model(model_dirs):
    model = load_model(model_dirs / "multihead")
    n = len(RESPONSES)
    context = [CONTEXTS[i % 2] for i in range(n)]
    expected = model.rewards(prompts=PROMPTS, responses=RESPONSES, context=context)
    f = reward_function(model_dirs / "multihead")
    trainer_extras = {"trainer_state": object(), "log_metric": print, "log_extra": print}
    got = f(
        prompts=PROMPTS,
        completions=RESPONSES,
        completion_ids=[[1, 2]] * n,
        objective=context,
        user_id=[f"u{i}" for i in range(n)],
        **trainer_extras,
    )
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    other = [CONTEXTS[(i + 1) % 2] for i in range(n)]
    flipped = f(prompts=PROMPTS, completions=RESPONSES, objective=other)
    assert not np.allclose(flipped, got)  # the context changes the rewards, so it was used


def test_context_column_option_names_another_dataset_column(model_dirs):
    f = reward_function(model_dirs / "multihead", context_column="persona")
    expected = load_model(model_dirs / "multihead").rewards(
        prompts=["Hi"], responses=["Hello"], context=["helpful"]
    )
    np.testing.assert_allclose(
        f(prompts=["Hi"], completions=["Hello"], persona=["helpful"]), expected, atol=1e-9
    )


def test_a_missing_context_column_is_a_config_error_naming_it(model_dirs):
    f = reward_function(model_dirs / "multihead")
    with pytest.raises(ConfigError, match=r"column 'objective'.*add a 'objective' column"):
        f(prompts=["Hi"], completions=["Hello"], trainer_state=None, user_id=["u1"])


def test_normalize_standardises_with_the_training_reward_statistics(model_dirs):
    model = load_model(model_dirs / "bt")
    mean, sd = model.reward_normalization()
    raw = model.rewards(prompts=PROMPTS, responses=RESPONSES)
    got = reward_function(model, normalize=True)(prompts=PROMPTS, completions=RESPONSES)
    np.testing.assert_allclose(got, (raw - mean) / sd, rtol=0, atol=1e-9)
    assert sd != 1.0 or mean != 0.0  # otherwise normalising would change nothing


def test_normalize_on_a_model_without_training_statistics_is_a_config_error(model_dirs):
    model = load_model(model_dirs / "bt")
    del model.reward_stats_  # as saved by a causalpref that did not record them
    with pytest.raises(ConfigError, match="refit"):
        reward_function(model, normalize=True)
    assert reward_function(model)(prompts=["Hi"], completions=["Hello"])  # raw rewards still work


def test_the_function_is_named_for_trl_logs(model_dirs):
    assert reward_function(model_dirs / "bt").__name__ == "causalpref_bt"
    assert reward_function(model_dirs / "bt", name="helpfulness").__name__ == "helpfulness"
    with pytest.raises(ConfigError, match="batch_size"):
        reward_function(model_dirs / "bt", batch_size=0)


# -- in TRL's trainers ------------------------------------------------------------------------
CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }} : {{ m['content'] }} {% endfor %}"
    "{% if add_generation_prompt %}assistant : {% endif %}"
)
WORDS = "user assistant : what is two plus two say hi please the cat sat on a mat four yes no"


def tiny_causal_lm(folder) -> str:
    """A one-layer Llama with a word-level tokenizer and a chat template, built offline."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<unk>", "<pad>", "<s>", "</s>"]
    core = Tokenizer(models.WordLevel(unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.train_from_iterator([WORDS], trainers.WordLevelTrainer(special_tokens=specials))
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="<unk>", pad_token="<pad>", bos_token="<s>",
        eos_token="</s>", chat_template=CHAT_TEMPLATE,
    )  # fmt: skip
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=64,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )  # fmt: skip
    tokenizer.save_pretrained(folder)
    LlamaForCausalLM(config).save_pretrained(folder)
    return str(folder)


class Recorder:
    """A reward function that records what TRL passed it and what it answered."""

    def __init__(self, function):
        self.function = function
        self.__name__ = function.__name__
        self.calls: list[dict] = []

    def __call__(self, prompts, completions, **columns):
        rewards = self.function(prompts=prompts, completions=completions, **columns)
        self.calls.append({"prompts": prompts, "completions": completions, "rewards": rewards})
        self.calls[-1]["objective"] = columns.get("objective")
        return rewards


@pytest.mark.parametrize("trainer", ["GRPO", "RLOO"])
def test_trl_trains_two_steps_on_the_reward_of_conversational_samples(
    trainer, model_dirs, tmp_path
):
    trl = pytest.importorskip("trl")
    from datasets import Dataset

    recorder = Recorder(reward_function(model_dirs / "multihead"))
    prompts = [user("what is two plus two"), user("say hi please")] * 2
    dataset = Dataset.from_dict({"prompt": prompts, "objective": list(CONTEXTS) * 2})
    config_class = getattr(trl, f"{trainer}Config")
    args = config_class(
        output_dir=str(tmp_path / "out"), max_steps=2, per_device_train_batch_size=2,
        num_generations=2, max_completion_length=4, use_cpu=True, report_to="none",
        bf16=False, fp16=False, logging_steps=1, save_strategy="no", disable_tqdm=True, seed=0,
    )  # fmt: skip
    lm = tiny_causal_lm(tmp_path / "lm")
    run = getattr(trl, f"{trainer}Trainer")(
        model=lm, reward_funcs=[recorder], args=args, train_dataset=dataset
    )
    run.train()

    assert len(recorder.calls) == 2  # one batch of generations per step
    model = load_model(model_dirs / "multihead")
    for call in recorder.calls:
        completions = call["completions"]
        assert len(completions) == 2 and all(c[0]["role"] == "assistant" for c in completions)
        expected = model.rewards(
            prompts=["Human: " + p[0]["content"] for p in call["prompts"]],
            responses=[c[0]["content"] for c in completions],
            context=call["objective"],
        )
        np.testing.assert_allclose(call["rewards"], expected, rtol=0, atol=1e-9)
    logged = [e[f"rewards/{recorder.__name__}/mean"] for e in run.state.log_history if "loss" in e]
    means = [float(np.mean(c["rewards"])) for c in recorder.calls]
    assert all(math.isfinite(v) for v in logged)
    np.testing.assert_allclose(logged, means, rtol=1e-5)  # TRL logged our rewards


# -- the remote variant, against a running `causalpref serve` ----------------------------------
@contextlib.contextmanager
def serving(model_dir, **options):
    """`causalpref serve`'s app on 127.0.0.1 (a free port) in a thread; stopped on exit."""
    pytest.importorskip("starlette")
    uvicorn = pytest.importorskip("uvicorn")
    from causalpref.serve import ServeOptions, create_app

    app = create_app(load_model(model_dir), ServeOptions(**options))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def test_remote_rewards_equal_the_local_function(model_dirs):
    prompts = PROMPTS + [user("Hi") + assistant("Hello!") + user("2+2?")]
    completions = RESPONSES + [assistant("4") + assistant("Four.")]
    local = reward_function(model_dirs / "bt")(prompts=prompts, completions=completions)
    with serving(model_dirs / "bt") as url:
        for batch_size in (3, 256):
            f = remote_reward_function(url, batch_size=batch_size)
            got = f(prompts=prompts, completions=completions, trainer_state=None)
            np.testing.assert_allclose(got, local, rtol=0, atol=1e-6)
        assert remote_reward_function(url + "/rewards")(prompts=[], completions=[]) == []


def test_remote_normalised_rewards_are_the_servers(model_dirs):
    local = reward_function(model_dirs / "bt", normalize=True)
    with serving(model_dirs / "bt", normalize=True) as url:
        got = remote_reward_function(url)(prompts=PROMPTS, completions=RESPONSES)
    expected = local(prompts=PROMPTS, completions=RESPONSES)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_remote_context_comes_from_the_dataset_column(model_dirs):
    n = len(RESPONSES)
    context = [CONTEXTS[i % 2] for i in range(n)]
    local = reward_function(model_dirs / "multihead")
    expected = local(prompts=PROMPTS, completions=RESPONSES, objective=context)
    with serving(model_dirs / "multihead") as url:
        f = remote_reward_function(url, context_column="objective")
        got = f(prompts=PROMPTS, completions=RESPONSES, objective=context, user_id=["u"] * n)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
        with pytest.raises(ConfigError, match=r"HTTP 422.*items\[0\]\.context: is missing"):
            f(prompts=PROMPTS, completions=RESPONSES)


def test_remote_token_is_sent_as_a_bearer_header(model_dirs):
    with serving(model_dirs / "bt", token="s3cret") as url:
        with pytest.raises(ConfigError, match="HTTP 401.*pass token="):
            remote_reward_function(url)(prompts=["Hi"], completions=["Hello"])
        with pytest.raises(ConfigError, match="HTTP 401"):
            remote_reward_function(url, token="wrong")(prompts=["Hi"], completions=["Hello"])
        got = remote_reward_function(url, token="s3cret")(prompts=["Hi"], completions=["Hello"])
    expected = reward_function(model_dirs / "bt")(prompts=["Hi"], completions=["Hello"])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_remote_too_many_items_per_request_names_the_fix(model_dirs):
    with serving(model_dirs / "bt", max_items=2) as url:
        with pytest.raises(ConfigError, match="HTTP 413.*lower batch_size="):
            remote_reward_function(url)(prompts=PROMPTS, completions=RESPONSES)
        assert len(remote_reward_function(url, batch_size=2)(PROMPTS, RESPONSES)) == len(PROMPTS)


def count_attempts(monkeypatch, busy: int = 0) -> list[int]:
    """Requests the remote function makes; the first `busy` are answered 503 without sending."""
    monkeypatch.setattr(trl_module, "BACKOFF_S", 0.0)
    attempts: list[int] = []
    real_urlopen = urllib.request.urlopen

    def counting_urlopen(request, **kwargs):
        attempts.append(1)
        if len(attempts) <= busy:
            body = io.BytesIO(b'{"error": "the queue is full"}')
            raise urllib.error.HTTPError(request.full_url, 503, "busy", None, body)
        return real_urlopen(request, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", counting_urlopen)
    return attempts


def test_a_busy_server_is_retried(model_dirs, monkeypatch):
    expected = reward_function(model_dirs / "bt")(prompts=PROMPTS, completions=RESPONSES)
    with serving(model_dirs / "bt") as url:
        attempts = count_attempts(monkeypatch, busy=2)
        got = remote_reward_function(url, retries=2)(prompts=PROMPTS, completions=RESPONSES)
    assert len(attempts) == 3
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_an_unreachable_server_is_retried_then_reported(monkeypatch):
    attempts = count_attempts(monkeypatch)
    with socket.socket() as sock:  # a port that was free: nothing listens there
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    f = remote_reward_function(url, retries=2, timeout=5)
    with pytest.raises(RewardServerError, match="failed 3 time"):
        f(prompts=["Hi"], completions=["Hello"])
    assert len(attempts) == 3


def test_remote_options_are_checked():
    with pytest.raises(ConfigError, match="http"):
        remote_reward_function("127.0.0.1:5000")
    with pytest.raises(ConfigError, match="retries"):
        remote_reward_function("http://127.0.0.1:5000", retries=-1)
    assert remote_reward_function("http://127.0.0.1:5000/").url == "http://127.0.0.1:5000/rewards"
