"""The token (401 unless `Authorization: Bearer <token>`, /health open), the exposure warning,
and what fails at startup: a missing extra, bad options, --normalize on an older model."""

import json
import shutil
import sys

import pytest

from causalpref.errors import ConfigError
from causalpref.methods import load_model
from causalpref.serve import ServeOptions, create_app
from causalpref.serve.auth import is_authorized, read_token_file
from causalpref.serve.extra import require_serve_extra
from causalpref.serve.server import exposure_warning
from tests.serve.conftest import run, served

TOKEN = "s3cret-token"
ITEMS = {"items": [{"prompt": "Hi", "response": "Hello!"}]}


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", f"Bearer {TOKEN}x", f"bearer {TOKEN}", f"Basic {TOKEN}", TOKEN,
     f"Bearer  {TOKEN}", f"Bearer {TOKEN[:-1]}"],
)  # fmt: skip
def test_every_route_but_health_needs_the_token(hashing_model, header):
    app = create_app(hashing_model, ServeOptions(token=TOKEN))
    headers = {} if header is None else {"Authorization": header}

    async def go():
        async with served(app, **headers) as client:
            assert (await client.get("/health")).status_code == 200
            answers = [
                await client.post("/rewards", json=ITEMS),
                await client.post("/get_reward", json={"query": ["Hi"]}),
                await client.get("/info"),
                await client.get("/metrics"),
            ]
            assert all(a.status_code == 401 for a in answers), [a.status_code for a in answers]
            assert answers[0].headers["www-authenticate"] == "Bearer"
            assert "Authorization" in answers[0].json()["error"]

    run(go())


def test_the_right_token_is_served(hashing_model):
    app = create_app(hashing_model, ServeOptions(token=TOKEN))

    async def go():
        async with served(app, Authorization=f"Bearer {TOKEN}") as client:
            return [(await client.post("/rewards", json=ITEMS)).status_code,
                    (await client.get("/info")).status_code]  # fmt: skip

    assert run(go()) == [200, 200]


def test_token_comparison_and_token_file(tmp_path):
    assert is_authorized(f"Bearer {TOKEN}", TOKEN)
    assert not is_authorized("Bearer \udcff", TOKEN)  # undecodable header bytes
    path = tmp_path / "token"
    path.write_text(f"  {TOKEN}\n", encoding="utf-8")
    assert read_token_file(path) == TOKEN
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="the file is empty"):
        read_token_file(path)


def test_binding_beyond_loopback_without_a_token_warns():
    assert exposure_warning("127.0.0.1", None) is None
    assert exposure_warning("localhost", None) is None
    assert exposure_warning("::1", None) is None
    assert exposure_warning("0.0.0.0", TOKEN) is None
    for host in ("0.0.0.0", "192.168.1.5", "example.org"):
        assert "--token-file" in exposure_warning(host, None)


def test_a_missing_extra_names_the_install_command(monkeypatch):
    require_serve_extra()  # installed here
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # makes its import fail
    with pytest.raises(ConfigError, match=r"\['prometheus-client'\].*causalpref\[serve\]"):
        require_serve_extra()


def test_bad_options_are_refused_together():
    with pytest.raises(ConfigError) as caught:
        ServeOptions(max_batch=0, max_items=-1, max_wait_ms=-5, token="")
    message = str(caught.value)
    for name in ("max_batch", "max_items", "max_wait_ms", "token"):
        assert name in message


def test_normalize_on_a_model_without_reward_statistics_fails_at_startup(hashing_dir, tmp_path):
    old = tmp_path / "old-model"
    shutil.copytree(hashing_dir, old)
    config = json.loads((old / "config.json").read_text())
    del config["fitted"]["reward_stats_"]
    (old / "config.json").write_text(json.dumps(config))
    model = load_model(old)
    create_app(model)  # serving raw rewards still works
    with pytest.raises(ConfigError, match="refit it to normalise"):
        create_app(model, ServeOptions(normalize=True))


def test_a_model_on_precomputed_vectors_cannot_be_served():
    from causalpref.methods import make_method
    from causalpref.simulate import make

    data = make("latent_overlap", seed=0).train
    model = make_method("bt", hidden_dim=8, epochs=1).fit(data)
    with pytest.raises(ConfigError, match="precomputed vectors"):
        create_app(model)
