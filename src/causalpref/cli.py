"""The `causalpref` command line: demo, simulate, fit, evaluate, and registry listings."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from causalpref.errors import CausalPrefError, ConfigError

app = typer.Typer(
    name="causalpref",
    help="Causal preference learning: audit preference data, train robust reward models, prove it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(code=2)


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option(help="Folder for results.json, report.md and figures.")
    ] = Path("runs/demo"),
    quick: Annotated[
        bool, typer.Option("--quick", help="Fewer seeds and pairs (about 2 min).")
    ] = False,
    jobs: Annotated[int, typer.Option(help="Worker processes (each uses one core).")] = 2,
    precision: Annotated[str, typer.Option(help=RUN_PRECISION_HELP)] = "fp32",
) -> None:
    """Reproduce the founding paper's Tables 1 and 2 in simulation.

    Table 1: latent_overlap at rho_tr in 0, .3, .6, .9 (ID / OOD accuracy beside the analytic
    informative mass). Table 2: user_confounding at rho in .5 ... 1.0 with Base, Multihead and
    Adversarial, in the shared and type-specific feature regimes (consistent / inconsistent rows).
    """
    from dataclasses import replace

    from causalpref.replicate.paper_tables import DemoConfig, run_demo
    from causalpref.replicate.report import write_demo_outputs

    if jobs < 1:
        _fail(f"--jobs {jobs}: expected a positive number of worker processes")
    resolved = _precision(precision)
    config = replace(DemoConfig.quick() if quick else DemoConfig(), jobs=jobs, precision=resolved)
    typer.echo(
        f"causalpref demo{' --quick' if quick else ''}: writing to {out}; training precision "
        f"{resolved}" + (" (auto: this CPU's choice)" if precision == "auto" else ""),
        err=True,
    )
    rows = run_demo(config)
    text = write_demo_outputs(rows, config, out)
    typer.echo(text)


@app.command("simulate")
def simulate_cmd(
    name: Annotated[str, typer.Argument(help="Scenario name (see `causalpref scenarios`).")],
    out: Annotated[Path, typer.Option(help="Output file: .parquet, .jsonl, .jsonl.gz or .csv.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    knob: Annotated[
        list[str] | None,
        typer.Option("--set", help="Scenario knob as KEY=VALUE, repeatable (e.g. --set rho=0.9)."),
    ] = None,
) -> None:
    """Simulate a scenario and write all its splits (column `split`) to one file."""
    from causalpref import simulate
    from causalpref.data import write_preferences

    knobs = _parse_knobs(knob or [])
    data = simulate.make(name, seed=seed, **knobs)
    rows = data.all_rows()
    write_preferences(rows, out)
    sizes = ", ".join(f"{k}={len(v)}" for k, v in rows.by("split").items())
    typer.echo(f"wrote {len(rows)} pairs of scenario '{name}' (seed {seed}) to {out}: {sizes}")


ENCODER_HELP = "Text encoder: hashing, minilm, wordllama, hf:<path>, or precomputed (vectors)."
FORMAT_HELP = "Input format: auto, canonical, trl, hh, chat, arena or relabeled_hh."
CACHE_HELP = "Embedding cache folder (default: $CAUSALPREF_CACHE or ~/.cache/causalpref)."
RUN_PRECISION_HELP = (
    "Training precision: fp32 (the recorded runs), bf16 (about half the time on CPUs with bf16 "
    "instructions; see docs/performance.md), or auto (bf16 where the CPU has them, else fp32)."
)
PRECISION_HELP = (
    "Training precision: fp32, bf16 (bfloat16 matrix products, fp32 weights; 1.7x-2.8x "
    "faster on CPUs with AVX512-BF16 or AMX, see docs/performance.md), or auto (bf16 where the "
    "CPU has those instructions, else fp32)."
)


@app.command()
def fit(
    data: Annotated[Path, typer.Argument(help="Preference data (text or vector.a / vector.b).")],
    method: Annotated[str, typer.Option(help="Method name (see `causalpref methods`).")],
    out: Annotated[Path, typer.Option(help="Folder to save the fitted model to.")],
    encoder: Annotated[str, typer.Option(help=ENCODER_HELP)] = "precomputed",
    context: Annotated[str, typer.Option(help="Context column for context-aware methods.")] = (
        "context"
    ),
    data_format: Annotated[str, typer.Option("--format", help=FORMAT_HELP)] = "auto",
    cache_dir: Annotated[Path | None, typer.Option(help=CACHE_HELP)] = None,
    epochs: Annotated[int, typer.Option(help="Training epochs.")] = 10,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = 1e-4,
    hidden_dim: Annotated[int, typer.Option(help="Width of hidden layers.")] = 512,
    batch_size: Annotated[int, typer.Option(help="Pairs per batch.")] = 256,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    precision: Annotated[str, typer.Option(help=PRECISION_HELP)] = "fp32",
    verbose: Annotated[bool, typer.Option("--verbose/--quiet", help="Per-epoch progress.")] = True,
    setting: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Method setting as KEY=VALUE, repeatable (e.g. --set penalty=3 "
            "--set env=source); `causalpref methods` lists the methods.",
        ),
    ] = None,
) -> None:
    """Fit a reward model and save it (safetensors + JSON, with the encoder's fingerprint).

    Text is encoded with --encoder (prompt and response together, cached on disk). Rows whose
    `split` is `train` are fitted and `validation` rows drive early stopping; without a split
    column, all rows are fitted and 10% are held out for early stopping.
    """
    from causalpref.methods import get_method

    cls = get_method(method)
    settings = {
        "epochs": epochs,
        "lr": lr,
        "hidden_dim": hidden_dim,
        "batch_size": batch_size,
        "seed": seed,
        "precision": _precision(precision),
        "verbose": verbose,
    }
    if cls.uses_context:
        settings["context"] = context
    if "encoder" in cls._param_names() and encoder != "precomputed":
        settings["encoder"] = encoder  # methods that encode new pairs use the data's encoder
    model = cls(**settings).set_params(**_parse_knobs(setting or []))
    model.validate_params()
    enc = _encoder(encoder)
    table = _featurize(_load(data, data_format), enc, cache_dir, verbose)
    train, validation = _train_validation(table)
    held_out = f"{model.validation_fraction:.0%} of them held out for early stopping"
    typer.echo(
        f"fitting '{method}' on {len(train)} pairs, "
        + (f"early stopping on {len(validation)}" if validation is not None else held_out),
        err=True,
    )
    model.fit(train, validation=validation)
    model.encoder_ = {"spec": encoder, "fingerprint": enc.fingerprint()}
    model.save(out)
    best = model.history_[model.best_epoch_ - 1]
    val = best.get("validation_accuracy")
    typer.echo(
        f"saved to {out} (best epoch {model.best_epoch_}"
        + (f", validation accuracy {val:.4f})" if val is not None else ")")
    )


@app.command()
def evaluate(
    model_dir: Annotated[Path, typer.Argument(help="Folder written by `causalpref fit`.")],
    data: Annotated[Path, typer.Argument(help="Preference data to score.")],
    split_by: Annotated[str, typer.Option(help="Column whose values name the splits.")] = "split",
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write metrics to this JSON file.")
    ] = None,
    data_format: Annotated[str, typer.Option("--format", help=FORMAT_HELP)] = "auto",
    cache_dir: Annotated[Path | None, typer.Option(help=CACHE_HELP)] = None,
) -> None:
    """Pairwise accuracy of a fitted model, overall and per split (text is encoded with the
    model's own encoder)."""
    from causalpref._atomic import write_text
    from causalpref.methods import load_model

    model = load_model(model_dir)
    table = _featurize_for(model, _load(data, data_format), cache_dir)
    result = {"accuracy": model.score(table), "n": len(table), "splits": {}}
    if table.has(split_by):
        result["splits"] = {name: model.score(part) for name, part in table.by(split_by).items()}
    typer.echo(f"accuracy {result['accuracy']:.4f} on {len(table)} pairs")
    for name, acc in result["splits"].items():
        typer.echo(f"  {split_by}={name}: {acc:.4f}")
    if json_out is not None:
        write_text(json_out, json.dumps(result, indent=2))


@app.command()
def score(
    model_dir: Annotated[Path, typer.Argument(help="Folder written by `causalpref fit`.")],
    data: Annotated[Path, typer.Argument(help="Pairs to score.")],
    out: Annotated[Path, typer.Option(help="Output JSONL: one line per pair.")],
    data_format: Annotated[str, typer.Option("--format", help=FORMAT_HELP)] = "auto",
    cache_dir: Annotated[Path | None, typer.Option(help=CACHE_HELP)] = None,
) -> None:
    """Write the reward of each response: pair_id, reward_a, reward_b, and P(a preferred).

    Only reward differences within a prompt are identified; compare rewards within a pair.
    """
    from causalpref._atomic import write_text
    from causalpref.methods import load_model

    model = load_model(model_dir)
    table = _featurize_for(model, _load(data, data_format), cache_dir)
    ra, rb = model.rewards(table, "a"), model.rewards(table, "b")
    ids = table.column("pair_id") if table.has("pair_id") else np.arange(len(table))
    prob = 1.0 / (1.0 + np.exp(-(ra - rb)))
    lines = (
        json.dumps(
            {"pair_id": _plain(i), "reward_a": float(a), "reward_b": float(b), "prob_a": float(p)}
        )
        for i, a, b, p in zip(ids, ra, rb, prob, strict=True)
    )
    write_text(out, "\n".join(lines) + "\n")
    typer.echo(f"wrote rewards of {len(table)} pairs to {out}")


@app.command()
def attributes(
    data: Annotated[Path, typer.Argument(help="Preference data with text responses.")],
    names: Annotated[
        list[str] | None,
        typer.Option(
            "--name",
            help="Attribute to report (repeatable; default: all that need no encoder); "
            "regex:<pattern> counts a marker.",
        ),
    ] = None,
    data_format: Annotated[str, typer.Option("--format", help=FORMAT_HELP)] = "auto",
    json_out: Annotated[Path | None, typer.Option("--json", help="Write shares as JSON.")] = None,
) -> None:
    """How often the preferred response has more of each attribute (length, formatting, ...).

    A share far from 50% means the attribute alone predicts the label: a shortcut a reward model
    can learn instead of quality.
    """
    from causalpref._atomic import write_text
    from causalpref.features.attributes import available_attributes, preferred_share

    table = _load(data, data_format)
    chosen = names or [n for n in available_attributes() if n != "length_tokens"]
    shares = {name: preferred_share(table, name) for name in chosen}
    typer.echo(f"{len(table)} pairs; share of decided pairs where the preferred response has")
    typer.echo(f"{'attribute':24s} {'more':>7s} {'less':>7s} {'equal':>7s}")
    for name, share in shares.items():
        typer.echo(f"{name:24s} {share['higher']:7.1%} {share['lower']:7.1%} {share['equal']:7.1%}")
    if "position" in shares and np.all(table.labels == 1.0):
        typer.echo(
            "note: every label is 1 (a = chosen, the file's convention), so `position` "
            "reflects that convention, not the order labellers saw"
        )
    if json_out is not None:
        write_text(json_out, json.dumps(shares, indent=2))


@app.command()
def audit(
    data: Annotated[
        Path, typer.Argument(help="Preference data (text and/or vector.a / vector.b).")
    ],
    out: Annotated[Path, typer.Option(help="Folder for audit.json and audit.html.")],
    context: Annotated[
        str | None,
        typer.Option(help="Column holding the labeller's objective or user group (e.g. context)."),
    ] = None,
    users: Annotated[
        Path | None, typer.Option(help="Users table (user_id + covariates) to join on user_id.")
    ] = None,
    attribute: Annotated[
        list[str] | None,
        typer.Option(
            "--attributes",
            help="Attribute to audit (repeatable or comma-separated; default: built-ins that need "
            "no encoder, plus stored attr.<name>.a/.b); regex:<pattern> counts a marker.",
        ),
    ] = None,
    encoder: Annotated[
        str, typer.Option(help=ENCODER_HELP + " Used for text without stored vectors.")
    ] = "hashing",
    data_format: Annotated[str, typer.Option("--format", help=FORMAT_HELP)] = "auto",
    cache_dir: Annotated[Path | None, typer.Option(help=CACHE_HELP)] = None,
    seed: Annotated[int, typer.Option(help="Seed of folds and bootstrap resamples.")] = 0,
    progress: Annotated[bool, typer.Option("--progress/--quiet", help="Progress bars.")] = True,
) -> None:
    """Audit preference data: spurious attributes, latent overlap, labeller confounding, ...

    Prints a summary and writes OUT/audit.json (findings with evidence, figure data, verdicts)
    and OUT/audit.html (self-contained). Exit code 0 even when there are findings.
    """
    from causalpref.audit import run_audit, write_audit
    from causalpref.features.attributes import REGEX_PREFIX, get_attribute

    names = [n.strip() for item in attribute or [] for n in item.split(",") if n.strip()]
    for name in names:  # stored attr.<name> columns are checked once the data is read
        if name.startswith(REGEX_PREFIX):
            get_attribute(name)
    if users is not None and not users.is_file():
        raise ConfigError(f"--users {users}: file not found; pass a users table (user_id, ...)")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a folder; pass a folder path")
    enc = _encoder(encoder)
    table = _load(data, data_format)
    if users is not None:
        from causalpref.data.loaders import join_users

        table = join_users(table, users)
    cache = None
    if enc.spec != "precomputed":
        from causalpref.features.cache import EmbeddingCache

        cache = EmbeddingCache(cache_dir) if cache_dir is not None else EmbeddingCache()
    report = run_audit(
        table,
        context=context,
        attributes=names or None,
        encoder=enc,
        cache=cache,
        seed=seed,
        progress=progress,
    )
    written = write_audit(report, out)
    typer.echo(_audit_summary(report, len(table)))
    typer.echo("wrote " + ", ".join(str(p) for p in written))


def _audit_summary(report, n_pairs: int) -> str:
    """Headline (worst severity and counts), one line per warning+ finding, then the verdicts."""
    from collections import Counter

    counts = Counter(f.severity for f in report.findings)
    tally = ", ".join(f"{counts[s]} {s}" for s in ("error", "warning", "notice") if counts[s])
    worst = report.worst_severity() or "none"
    lines = [f"audit of {n_pairs} pairs: worst severity {worst} ({tally or 'no findings'})"]
    lines += [f"  [{f.severity}] {f.code}: {f.message}" for f in report.at_least("warning")]
    skipped = [f"{c.name} ({c.skipped})" for c in report.checks if c.skipped]
    if skipped:
        lines.append("skipped: " + "; ".join(skipped))
    lines.append("identification:")
    lines += [f"  {v.status:15s} {v.estimand}" for v in report.verdicts]
    return "\n".join(lines)


@app.command()
def bench(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("runs/bench"),
    quick: Annotated[bool, typer.Option("--quick", help="Smaller data, 3 seeds.")] = False,
    method: Annotated[
        list[str] | None,
        typer.Option("--methods", help="Method to include (repeatable; default: all registered)."),
    ] = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option("--scenarios", help="Scenario to include (repeatable; default: all)."),
    ] = None,
    seeds: Annotated[int | None, typer.Option(help="Seeds (default 5, or 3 with --quick).")] = None,
    jobs: Annotated[int, typer.Option(help="Worker processes (each uses one core).")] = 2,
    precision: Annotated[str, typer.Option(help=RUN_PRECISION_HELP)] = "fp32",
) -> None:
    """Every applicable method on every scenario, scored by each scenario's shift metric.

    Reports mean +- s.e. over seeds beside bt and the oracle, and the share of the bt-to-oracle
    gap each method closes. A method that needs a column a scenario lacks is skipped with the
    reason.
    """
    from dataclasses import asdict

    from causalpref.evaluate.benchmark import BENCH_SCENARIOS, BenchConfig, run_bench
    from causalpref.methods import get_method
    from causalpref.report.bench import write_bench_outputs

    unknown = sorted(set(scenario or []) - set(BENCH_SCENARIOS))
    if unknown:
        raise ConfigError(
            f"--scenarios {unknown}: not in the benchmark; choose from {sorted(BENCH_SCENARIOS)}"
        )
    for name in method or []:
        get_method(name)
    config = BenchConfig(
        scenarios=tuple(scenario or BENCH_SCENARIOS),
        methods=tuple(method or ()),
        seeds=seeds if seeds is not None else (3 if quick else 5),
        quick=quick,
        jobs=jobs,
        precision=_precision(precision),
    )
    if config.seeds < 2:
        raise ConfigError(f"--seeds {config.seeds}: a standard error needs at least 2 seeds")
    rows = run_bench(config)
    settings = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()}
    typer.echo(write_bench_outputs(rows, settings, out))


replicate_app = typer.Typer(
    help="Reproduce the founding paper's experiments on real data.", no_args_is_help=True
)
app.add_typer(replicate_app, name="replicate")


@replicate_app.command("hh-confounding")
def replicate_hh_confounding(
    data: Annotated[Path, typer.Option(help="relabeled_hh_rlhf/test.jsonl.gz")],
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("runs/hh-confounding"),
    seeds: Annotated[int, typer.Option(help="Resampling seeds.")] = 5,
    encoder: Annotated[str, typer.Option(help=ENCODER_HELP)] = "minilm",
    cache_dir: Annotated[Path | None, typer.Option(help=CACHE_HELP)] = None,
) -> None:
    """The paper's confounding case study (Table 2) on relabelled HH-RLHF.

    Training sets with rho = P(prompt type = objective) in 0.5 ... 1.0 (prompt type hidden from
    the models); Base, Multihead and Adversarial on frozen embeddings; consistent / inconsistent
    accuracy, mean +- s.e. over resampling seeds.
    """
    from dataclasses import replace

    from causalpref.data.loaders import load_relabeled_hh
    from causalpref.replicate.hh_confounding import HHConfig, run_hh_confounding
    from causalpref.replicate.report import write_hh_outputs

    config = replace(HHConfig(), seeds=seeds, encoder=encoder)
    table = _featurize(load_relabeled_hh(data), _encoder(encoder), cache_dir, True)
    rows = run_hh_confounding(table, config)
    typer.echo(write_hh_outputs(rows, config.as_dict(), out, str(data)))


@app.command()
def methods() -> None:
    """List the registered training methods."""
    from causalpref.methods import available_methods, get_method

    for name in available_methods():
        cls = get_method(name)
        ctx = " (needs a context column)" if cls.uses_context else ""
        typer.echo(f"{name:15s} {cls.summary}{ctx}")


@app.command()
def scenarios() -> None:
    """List the simulation scenarios and their knobs."""
    from causalpref import simulate

    for name in simulate.available_scenarios():
        knobs = ", ".join(f"{k}={v!r}" for k, v in simulate.scenario_knobs(name).items())
        typer.echo(f"{name}: {knobs}")


def _precision(value: str) -> str:
    """--precision resolved (auto -> this CPU's choice), or exit 2 naming the valid values."""
    from causalpref.models.precision import resolve_precision

    try:
        return resolve_precision(value)
    except ValueError as err:
        _fail(f"--precision: {err}")


def _load(path: Path, data_format: str):
    from causalpref.data.loaders import load_pairs

    return load_pairs(path, format=data_format)


def _encoder(spec: str):
    from causalpref.features.encoders import get_encoder

    return get_encoder(spec)


def _featurize(table, enc, cache_dir: Path | None, progress: bool):
    """Add vector.a / vector.b by encoding prompt + response (cached), unless precomputed."""
    from causalpref.features.cache import EmbeddingCache
    from causalpref.features.encode import encode_pairs

    if enc.spec == "precomputed":
        return encode_pairs(table, enc)
    cache = EmbeddingCache(cache_dir) if cache_dir is not None else EmbeddingCache()
    return encode_pairs(table, enc, cache=cache, progress=progress)


def _featurize_for(model, table, cache_dir: Path | None):
    """Encode `table` with the encoder the model was fitted with; refuse a different one."""
    saved = getattr(model, "encoder_", None)
    if saved is None:
        return table
    enc = _encoder(saved["spec"])
    if enc.fingerprint() != saved["fingerprint"]:
        raise ConfigError(
            f"encoder '{saved['spec']}' here differs from the one the model was fitted with "
            f"(saved fingerprint {saved['fingerprint']}, found {enc.fingerprint()}): install the "
            "same encoder version or refit the model"
        )
    return _featurize(table, enc, cache_dir, progress=True)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _parse_knobs(items: list[str]) -> dict:
    knobs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. --set rho=0.9")
        try:
            knobs[key] = json.loads(value)
        except json.JSONDecodeError:
            knobs[key] = value
    return knobs


def _train_validation(table):
    if not table.has("split"):
        return table, None
    parts = table.by("split")
    if "train" not in parts:
        raise ConfigError(
            f"column 'split' has values {sorted(parts)} but no 'train' rows: fit uses split=train "
            f"(and split=validation for early stopping); drop the column to fit all rows"
        )
    return parts["train"], parts.get("validation")


def main() -> None:
    """Entry point: user mistakes end in a one-line error and exit code 2, not a traceback."""
    try:
        app()
    except CausalPrefError as err:
        typer.secho(f"error: {err}", fg="red", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
