"""The `causalpref` command line: demo, simulate, fit, evaluate, and registry listings."""

from __future__ import annotations

import json
import sys
import traceback
import warnings
from pathlib import Path
from typing import Annotated

import typer

from causalpref._json import dumps
from causalpref.errors import ConfigError
from causalpref.failures import bug_report, failure_message
from causalpref.outputs import FILE, OVERWRITE_HELP, check_folder_writable, check_output

app = typer.Typer(
    name="causalpref",
    help="Causal preference learning: audit preference data, train robust reward models, prove it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


Overwrite = Annotated[bool, typer.Option("--overwrite", help=OVERWRITE_HELP)]
Jobs = Annotated[int, typer.Option(min=1, help="Worker processes (each uses one core).")]


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
    jobs: Jobs = 2,
    precision: Annotated[str, typer.Option(help=RUN_PRECISION_HELP)] = "fp32",
    overwrite: Overwrite = False,
) -> None:
    """Reproduce the founding paper's Tables 1 and 2 in simulation (the shipped study spec
    `demo`, or `demo-quick`).

    Table 1: latent_overlap at rho_tr in 0, .3, .6, .9 (ID / OOD accuracy beside the analytic
    informative mass). Table 2: user_confounding at rho in .5 ... 1.0 with Base, Multihead and
    Adversarial, in the shared and type-specific feature regimes (consistent / inconsistent rows).
    """
    _run_spec(
        "demo-quick" if quick else "demo", out, jobs=jobs, precision=precision, overwrite=overwrite
    )


@app.command("simulate")
def simulate_cmd(
    name: Annotated[str, typer.Argument(help="Scenario name (see `causalpref scenarios`).")],
    out: Annotated[Path, typer.Option(help="Output file: .parquet, .jsonl, .jsonl.gz or .csv.")],
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 0,
    knob: Annotated[
        list[str] | None,
        typer.Option("--set", help="Scenario knob as KEY=VALUE, repeatable (e.g. --set rho=0.9)."),
    ] = None,
    overwrite: Overwrite = False,
) -> None:
    """Simulate a scenario and write all its splits (column `split`) to one file."""
    from causalpref import simulate
    from causalpref.data import write_preferences

    knobs = _parse_knobs(knob or [])
    check_output(out, kind=FILE, overwrite=overwrite, option="--out")
    data = simulate.make(name, seed=seed, **knobs)
    rows = data.all_rows()
    write_preferences(rows, out, overwrite=overwrite)
    sizes = ", ".join(f"{k}={len(v)}" for k, v in rows.by("split").items())
    typer.echo(f"wrote {len(rows)} pairs of scenario '{name}' (seed {seed}) to {out}: {sizes}")


ENCODER_HELP = "Text encoder: hashing, minilm, wordllama, hf:<path>, or precomputed (vectors)."
LAYOUT_HELP = (
    "Column layout of the input: auto (told from the columns), canonical, trl, hh, chat, "
    "arena or relabeled_hh (see docs/data-formats.md)."
)
FORMAT_HELP = "File format: jsonl, jsonl.gz, json, parquet or csv (default: from the suffix)."
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


SHARE_HELP = (
    "Share of the prompts held out for {role} when the data has no split column (default 0.1)."
)
ATTRIBUTE_HELP = (
    "Attribute that invariant_mmd and odin make the reward ignore, computed from the response "
    "texts: a registered name (`causalpref attributes DATA` shows each on the pairs) or "
    "regex:<pattern>. "
    "Default: the method's (length_words); a column pair the data has is --set attribute=NAME."
)


def _method_settings(method: str, setting: list[str] | None, attribute: str | None) -> dict:
    """--set KEY=VALUE settings, plus --attribute checked against the method and registry."""
    from causalpref.methods.attribute_reward import with_attribute_option

    settings = _parse_knobs(setting or [])
    return settings if attribute is None else with_attribute_option(method, attribute, settings)


@app.command()
def fit(
    data: Annotated[Path, typer.Argument(help="Preference data (text or vector.a / vector.b).")],
    method: Annotated[str, typer.Option(help="Method name (see `causalpref methods`).")],
    out: Annotated[Path, typer.Option(help="Folder to save the fitted model to.")],
    encoder: Annotated[
        str | None,
        typer.Option(
            help=ENCODER_HELP + " Default: the method's (precomputed, or hashing for "
            "methods that add text pairs)."
        ),
    ] = None,
    context: Annotated[str, typer.Option(help="Context column for context-aware methods.")] = (
        "context"
    ),
    layout: Annotated[str, typer.Option(help=LAYOUT_HELP)] = "auto",
    file_format: Annotated[str | None, typer.Option("--format", help=FORMAT_HELP)] = None,
    cache_dir: Annotated[Path | None, typer.Option(help=CACHE_HELP)] = None,
    epochs: Annotated[
        int | None,
        typer.Option(help="Training epochs. Default: derived from a step budget (--set steps=N)."),
    ] = None,
    lr: Annotated[float | None, typer.Option(help="Adam learning rate. Default: 1e-3.")] = None,
    hidden_dim: Annotated[
        int | None, typer.Option(help="Width of hidden layers. Default: 512.")
    ] = None,
    batch_size: Annotated[int | None, typer.Option(help="Pairs per batch. Default: 128.")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 0,
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
    attribute: Annotated[str | None, typer.Option(help=ATTRIBUTE_HELP)] = None,
    validation_share: Annotated[
        float | None, typer.Option(help=SHARE_HELP.format(role="validation (early stopping)"))
    ] = None,
    test_share: Annotated[float | None, typer.Option(help=SHARE_HELP.format(role="test"))] = None,
    overwrite: Overwrite = False,
) -> None:
    """Fit a reward model and save it (safetensors + JSON, with the encoder's fingerprint).

    Text is encoded with --encoder (prompt and response together, cached on disk). Rows whose
    `split` is `train` are fitted, `validation` rows drive early stopping and `test` rows are
    scored after the fit. Without a split column, 10% of the prompts are held out for
    validation and 10% for test (all rows of a prompt on one side, chosen by a hash of the
    prompt and --seed); the model records the rule, so `causalpref evaluate` on the same file
    scores only the test rows.
    """
    from causalpref.methods import make_method
    from causalpref.methods.fit_report import fit_summary, saved_summary
    from causalpref.methods.holdout import fit_on, fit_splits, requested_holdout
    from causalpref.methods.persistence import check_model_destination

    check_model_destination(out, overwrite=overwrite, inputs=[data], option="--out")
    _check_cache(cache_dir)
    given = dict(
        encoder=encoder, epochs=epochs, lr=lr, hidden_dim=hidden_dim, batch_size=batch_size
    )
    chosen = {name: value for name, value in given.items() if value is not None}
    model = make_method(
        method,
        **chosen,
        cache_dir=cache_dir,
        context=context,
        seed=seed,
        precision=_precision(precision),
        verbose=verbose,
    ).set_params(**_method_settings(method, setting, attribute))
    model.validate_params()
    holdout = requested_holdout(validation_share, test_share, seed)
    splits = fit_splits(model, _load(data, layout, file_format), holdout)
    typer.echo(f"fitting '{method}': {splits.describe()}", err=True)
    for note in splits.notes:
        typer.echo(f"note: {note}", err=True)
    fit_on(model, splits)
    for line in fit_summary(model, splits.part("test")):
        typer.echo(line)
    model.save(out, overwrite=overwrite)
    typer.echo(saved_summary(model, out))


@app.command()
def evaluate(
    model_dir: Annotated[Path, typer.Argument(help="Folder written by `causalpref fit`.")],
    data: Annotated[Path, typer.Argument(help="Preference data to score.")],
    split_by: Annotated[str, typer.Option(help="Column whose values name the splits.")] = "split",
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write metrics to this JSON file.")
    ] = None,
    layout: Annotated[str, typer.Option(help=LAYOUT_HELP)] = "auto",
    file_format: Annotated[str | None, typer.Option("--format", help=FORMAT_HELP)] = None,
    cache_dir: Annotated[Path | None, typer.Option(help=CACHE_HELP)] = None,
    rows: Annotated[
        str,
        typer.Option(
            help="Which rows to score: test (the file's test split, or the rows the model's "
            "fit held out of this same file) or all."
        ),
    ] = "test",
    overwrite: Overwrite = False,
) -> None:
    """Pairwise accuracy of a fitted model on test rows, overall and per split (text is encoded
    with the model's own encoder).

    By default only rows the model did not train on are scored: those whose split is test or
    test_<name>, or, in a file without a split column, the rows `causalpref fit` held out of
    that same file. The first line says which rows were scored; --rows all scores every row.
    """
    from causalpref._atomic import write_text
    from causalpref.methods import load_model
    from causalpref.methods.holdout import rows_to_score
    from causalpref.methods.scoring import accuracy_by_split, accuracy_lines

    if json_out is not None:
        inputs = [data, *_model_files(model_dir)]
        check_output(json_out, kind=FILE, overwrite=overwrite, inputs=inputs, option="--json")
    _check_cache(cache_dir)
    model = load_model(model_dir).set_params(cache_dir=cache_dir, verbose=True)
    scored, which = rows_to_score(model, _load(data, layout, file_format), rows)
    typer.echo(f"scoring {which}")
    result = {**accuracy_by_split(model, scored, split_by), "rows": rows, "scored": which}
    for line in accuracy_lines(result, split_by):
        typer.echo(line)
    if json_out is not None:
        write_text(json_out, dumps(result, indent=2))


@app.command()
def score(
    model_dir: Annotated[Path, typer.Argument(help="Folder written by `causalpref fit`.")],
    data: Annotated[Path, typer.Argument(help="Pairs to score.")],
    out: Annotated[Path, typer.Option(help="Output JSONL: one line per pair.")],
    layout: Annotated[str, typer.Option(help=LAYOUT_HELP)] = "auto",
    file_format: Annotated[str | None, typer.Option("--format", help=FORMAT_HELP)] = None,
    cache_dir: Annotated[Path | None, typer.Option(help=CACHE_HELP)] = None,
    overwrite: Overwrite = False,
) -> None:
    """Write the reward of each response: pair_id, reward_a, reward_b, and P(a preferred).

    Only reward differences within a prompt are identified; compare rewards within a pair.
    """
    from causalpref._atomic import write_text
    from causalpref.methods import load_model
    from causalpref.methods.scoring import reward_lines

    inputs = [data, *_model_files(model_dir)]
    check_output(out, kind=FILE, overwrite=overwrite, inputs=inputs, option="--out")
    _check_cache(cache_dir)
    model = load_model(model_dir).set_params(cache_dir=cache_dir, verbose=True)
    lines = reward_lines(model, _load(data, layout, file_format))
    write_text(out, "\n".join(lines) + "\n")
    typer.echo(f"wrote rewards of {len(lines)} pairs to {out}")


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
    layout: Annotated[str, typer.Option(help=LAYOUT_HELP)] = "auto",
    file_format: Annotated[str | None, typer.Option("--format", help=FORMAT_HELP)] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write shares as JSON.")] = None,
    overwrite: Overwrite = False,
) -> None:
    """How often the preferred response has more of each attribute (length, formatting, ...).

    A share far from 50% means the attribute alone predicts the label: a shortcut a reward model
    can learn instead of quality.
    """
    from causalpref._atomic import write_text
    from causalpref.features.attributes import preferred_share_table

    if json_out is not None:
        check_output(json_out, kind=FILE, overwrite=overwrite, inputs=[data], option="--json")
    shares, lines = preferred_share_table(_load(data, layout, file_format), names)
    for line in lines:
        typer.echo(line)
    if json_out is not None:
        write_text(json_out, dumps(shares, indent=2))


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
    layout: Annotated[str, typer.Option(help=LAYOUT_HELP)] = "auto",
    file_format: Annotated[str | None, typer.Option("--format", help=FORMAT_HELP)] = None,
    cache_dir: Annotated[Path | None, typer.Option(help=CACHE_HELP)] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of folds and bootstrap resamples.")] = 0,
    progress: Annotated[bool, typer.Option("--progress/--quiet", help="Progress bars.")] = True,
    overwrite: Overwrite = False,
) -> None:
    """Audit preference data: spurious attributes, latent overlap, labeller confounding, ...

    Prints a summary and writes OUT/audit.json (findings with evidence, figure data, verdicts)
    and OUT/audit.html (self-contained). Exit code 0 even when there are findings.
    """
    from causalpref.audit import run_audit
    from causalpref.features.attributes import REGEX_PREFIX, get_attribute
    from causalpref.report import audit_summary, write_audit_report

    names = [n.strip() for item in attribute or [] for n in item.split(",") if n.strip()]
    for name in names:  # stored attr.<name> columns are checked once the data is read
        if name.startswith(REGEX_PREFIX):
            get_attribute(name)
    if users is not None and not users.is_file():
        raise ConfigError(f"--users {users}: file not found; pass a users table (user_id, ...)")
    check_output(out, kind="audit", overwrite=overwrite, inputs=[data, users], option="--out")
    _check_cache(cache_dir)
    from causalpref.features.featurizer import Featurizer

    featurizer = Featurizer(encoder=encoder, cache_dir=cache_dir, progress=progress)
    featurizer.encoder_object()  # an unknown or unavailable encoder fails before reading data
    table = _load(data, layout, file_format)
    if users is not None:
        from causalpref.data import join_users

        table = join_users(table, users)
    report = run_audit(
        table,
        context=context,
        attributes=names or None,
        encoder=featurizer,
        seed=seed,
        progress=progress,
    )
    written = write_audit_report(report, out, progress=progress, overwrite=overwrite)
    typer.echo(audit_summary(report, len(table)))
    typer.echo("wrote " + ", ".join(str(p) for p in written))


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
    jobs: Jobs = 2,
    precision: Annotated[str, typer.Option(help=RUN_PRECISION_HELP)] = "fp32",
    overwrite: Overwrite = False,
) -> None:
    """Every applicable method on every scenario, scored by each scenario's shift metric (the
    shipped study spec `bench`, or `bench-quick`).

    Reports mean +- s.e. over seeds beside bt and the oracle, and the share of the bt-to-oracle
    gap each method closes. A method that needs a column a scenario lacks is skipped with the
    reason.
    """
    if seeds is not None and seeds < 2:
        raise ConfigError(f"--seeds {seeds}: a standard error needs at least 2 seeds")
    overrides = {"defaults.methods": ["bt", *[m for m in method if m != "bt"]]} if method else {}
    if seeds is not None:
        overrides["defaults.seeds"] = seeds
    spec = "bench-quick" if quick else "bench"
    _run_spec(
        spec,
        out,
        jobs=jobs,
        precision=precision,
        overrides=overrides,
        only=scenario,
        overwrite=overwrite,
    )


@app.command()
def export(
    model_dir: Annotated[Path, typer.Argument(help="Folder written by `causalpref fit`.")],
    out: Annotated[Path, typer.Option(help="Folder to write the exported model to.")],
    to: Annotated[
        str, typer.Option(help="Target: hf (a transformers sequence classifier, safetensors).")
    ] = "hf",
    context: Annotated[
        str | None,
        typer.Option(help="Context-aware methods: the context value whose reward to export."),
    ] = None,
    overwrite: Overwrite = False,
) -> None:
    """Export a fitted model for other stacks (docs/export.md).

    `--to hf` writes a folder that AutoModelForSequenceClassification.from_pretrained(DIR,
    trust_remote_code=True) loads; its logits[:, 0] on prompt and response, joined as causalpref
    joins them, are the model's rewards. The encoder must be a transformers model (minilm,
    hf:<path>); a context-aware model is exported under one --context value.
    """
    from causalpref.integrations.hf_export import TARGETS, export_hf

    if to not in TARGETS:
        raise ConfigError(f"--to {to!r}: unknown export target; choose one of {list(TARGETS)}")
    result = export_hf(model_dir, out, context=context, overwrite=overwrite)
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    typer.echo(
        f"exported to {result.path}: load it with AutoModelForSequenceClassification"
        f".from_pretrained('{result.path}', trust_remote_code=True)"
    )


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
    overwrite: Overwrite = False,
) -> None:
    """The paper's confounding case study (Table 2) on relabelled HH-RLHF (the shipped study
    spec `hh-confounding` on --data).

    Training sets with rho = P(prompt type = objective) in 0.5 ... 1.0 (prompt type hidden from
    the models); Base, Multihead and Adversarial on frozen embeddings; consistent / inconsistent
    accuracy, mean +- s.e. over resampling seeds.
    """
    if seeds < 2:
        raise ConfigError(f"--seeds {seeds}: a standard error needs at least 2 seeds")
    _check_cache(cache_dir)
    study = "study.hh_confounding"
    overrides = {f"{study}.data": str(data), f"{study}.seeds": seeds, f"{study}.encoder": encoder}
    if cache_dir is not None:
        overrides[f"{study}.cache_dir"] = str(cache_dir)
    _run_spec(
        "hh-confounding",
        out,
        jobs=None,
        precision=None,
        overrides=overrides,
        overwrite=overwrite,
        inputs=[data],
    )


@app.command()
def serve(
    model_dir: Annotated[Path, typer.Argument(help="Folder written by `causalpref fit`.")],
    host: Annotated[
        str, typer.Option(help="Address to bind; other than loopback, pass --token-file too.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 5000,
    token_file: Annotated[
        Path | None,
        typer.Option(
            help="File holding a token; every route but /health then needs "
            "'Authorization: Bearer <token>'."
        ),
    ] = None,
    max_batch: Annotated[
        int, typer.Option(min=1, help="Most responses per forward pass; 1 switches batching off.")
    ] = 64,
    max_wait_ms: Annotated[
        float, typer.Option(min=0, help="Longest wait for more requests to fill a batch.")
    ] = 5.0,
    max_items: Annotated[int, typer.Option(min=1, help="Most responses per request (413).")] = 1024,
    max_body_bytes: Annotated[
        int, typer.Option(min=1, help="Largest request body in bytes (413).")
    ] = 16 * 2**20,
    max_queue: Annotated[
        int, typer.Option(min=1, help="Most requests waiting for a batch (503 beyond).")
    ] = 4096,
    normalize: Annotated[
        bool,
        typer.Option("--normalize", help="Standardise rewards with the training mean and sd."),
    ] = False,
) -> None:
    """Serve a reward model over HTTP: OpenRLHF's POST /get_reward, POST /rewards, GET /health,
    /info and /metrics (see docs/serving.md).

    Concurrent requests are micro-batched into one forward pass. Needs the optional extra
    `serve` (its install command is in docs/serving.md).
    """
    from causalpref.serve import ServeOptions, load_served_model, run_server
    from causalpref.serve.auth import read_token_file
    from causalpref.serve.server import exposure_warning

    token = read_token_file(token_file) if token_file is not None else None
    options = ServeOptions(
        max_batch=max_batch,
        max_wait_ms=max_wait_ms,
        max_items=max_items,
        max_body_bytes=max_body_bytes,
        max_queue=max_queue,
        normalize=normalize,
        token=token,
    )
    warning = exposure_warning(host, token)
    if warning is not None:
        typer.secho(f"warning: {warning}", fg="yellow", err=True)
    model = load_served_model(model_dir)
    typer.echo(f"serving '{model.name}' from {model_dir} on http://{host}:{port}", err=True)
    run_server(model, options, host=host, port=port)


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
        scenario = simulate.get_scenario(name)
        knobs = ", ".join(f"{k}={v!r}" for k, v in simulate.scenario_knobs(name).items())
        typer.echo(f"{name}: {knobs}")
        typer.echo(f"  shift metric: {scenario.shift_split} ({scenario.shift_name})")
        typer.echo(f"  clean counterpart: {scenario.clean}")


@app.command()
def study(
    spec: Annotated[
        str, typer.Argument(help="Study spec: a .toml file, or a shipped spec's name.")
    ],
    out: Annotated[Path, typer.Option(help="Folder for results.json, report.md and figures.")],
    jobs: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default: the spec's `jobs`).")
    ] = None,
    precision: Annotated[
        str | None, typer.Option(help=RUN_PRECISION_HELP + " Default: the spec's.")
    ] = None,
    setting: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override a spec value as DOTTED.KEY=VALUE, repeatable (e.g. --set "
            "defaults.seeds=3 --set study.mine.data=pairs.jsonl).",
        ),
    ] = None,
    overwrite: Overwrite = False,
) -> None:
    """Run a study spec (TOML): data (a scenario or your file) x methods x seeds x knob grid.

    The spec is validated whole before anything runs. Prints and writes per-study tables: the
    shift metric, the paired gain over the baseline, the share of the gap closed towards the
    oracle and the clean-data ceiling. Shipped specs (docs/studies.md): demo, bench,
    hh-confounding, hh-length-selection, hh-confounding-robust and others; `make real-bench`
    runs the two real-text ones on ../shared/data.
    """
    overrides = _parse_knobs(setting or [])
    _run_spec(spec, out, jobs=jobs, precision=precision, overrides=overrides, overwrite=overwrite)


def _run_spec(
    name: str,
    out: Path,
    *,
    jobs: int | None,
    precision: str | None,
    overrides: dict | None = None,
    only: list[str] | None = None,
    overwrite: bool = False,
    inputs: list[Path] | None = None,
) -> None:
    """Check the output folder, load and validate a study spec, run it, write and print its
    report."""
    from causalpref.evaluate import load_spec, run_spec
    from causalpref.report.study import write_study_outputs

    if jobs is not None and jobs < 1:
        _fail(f"--jobs {jobs}: expected a positive number of worker processes")
    inputs = [Path(name), *(inputs or [])]
    check_output(out, kind="study", overwrite=overwrite, inputs=inputs, option="--out")
    resolved = _precision(precision) if precision is not None else None
    settings = {"precision": resolved} if resolved else None
    spec = load_spec(name, overrides, only=only, settings=settings)
    typer.echo(
        f"causalpref study {name}: {sum(len(s.tasks()) for s in spec.studies)} data sets, "
        f"writing to {out}"
        + (f"; training precision {resolved}" if resolved else "")
        + (" (auto: this CPU's choice)" if precision == "auto" else ""),
        err=True,
    )
    results = run_spec(spec, jobs=jobs)
    typer.echo(write_study_outputs(spec, results, out, overwrite=overwrite))


def _precision(value: str) -> str:
    """--precision resolved (auto -> this CPU's choice), or exit 2 naming the valid values."""
    from causalpref.models.precision import resolve_precision

    try:
        return resolve_precision(value)
    except ValueError as err:
        _fail(f"--precision: {err}")


def _load(path: Path, layout: str, file_format: str | None):
    from causalpref.data import read_preferences

    return read_preferences(path, layout=layout, format=file_format)


def _check_cache(cache_dir: Path | None) -> None:
    """--cache-dir must be a folder we can write in (checked before any work)."""
    if cache_dir is not None:
        check_folder_writable(cache_dir, option="--cache-dir")


def _model_files(model_dir: Path) -> list[Path]:
    """The files of a saved model (inputs that an output may not overwrite)."""
    return [model_dir / "config.json", model_dir / "model.safetensors"]


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


def main() -> None:
    """Entry point: every expected failure (our errors, OS errors, undecodable or too deeply
    nested input, no memory) ends in a one-line error and exit code 2, an interrupt in exit code
    130; only a bug shows a traceback, with a request to report it, and exit code 1."""
    warnings.showwarning = _show_warning
    try:
        app()
    except SystemExit as done:
        if done.code == INTERRUPTED:  # typer turns Ctrl-C into a silent exit 130
            typer.secho("interrupted", fg="red", err=True)
        raise
    except KeyboardInterrupt:
        typer.secho("interrupted", fg="red", err=True)
        sys.exit(INTERRUPTED)
    except Exception as err:  # noqa: BLE001 - the one place every failure is reported
        message = failure_message(err)
        if message is None:
            traceback.print_exc()
            typer.secho(bug_report(sys.argv[1:]), fg="red", err=True)
            sys.exit(1)
        typer.secho(f"error: {message}", fg="red", err=True)
        sys.exit(2)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Our warnings as 'warning: ...' lines; others (a library's) as Python prints them."""
    if category is UserWarning and filename.startswith(PACKAGE_DIR):
        typer.secho(f"warning: {message}", fg="yellow", err=True)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


PACKAGE_DIR = str(Path(__file__).resolve().parent)
INTERRUPTED = 130


if __name__ == "__main__":
    main()
