"""The `causalpref` command line: demo, simulate, fit, evaluate, and registry listings."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

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
    config = replace(DemoConfig.quick() if quick else DemoConfig(), jobs=jobs)
    typer.echo(f"causalpref demo{' --quick' if quick else ''}: writing to {out}", err=True)
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


@app.command()
def fit(
    data: Annotated[Path, typer.Argument(help="Preference data with vector.a / vector.b columns.")],
    method: Annotated[str, typer.Option(help="Method name (see `causalpref methods`).")],
    out: Annotated[Path, typer.Option(help="Folder to save the fitted model to.")],
    context: Annotated[
        str, typer.Option(help="Context column for context-aware methods.")
    ] = "context",
    epochs: Annotated[int, typer.Option(help="Training epochs.")] = 10,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = 1e-4,
    hidden_dim: Annotated[int, typer.Option(help="Width of hidden layers.")] = 512,
    batch_size: Annotated[int, typer.Option(help="Pairs per batch.")] = 256,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    verbose: Annotated[bool, typer.Option("--verbose/--quiet", help="Per-epoch progress.")] = True,
) -> None:
    """Fit a reward model and save it (safetensors + JSON).

    Rows whose `split` is `train` are fitted and `validation` rows drive early stopping; without a
    split column, all rows are fitted and 10% are held out for early stopping.
    """
    from causalpref.data import read_preferences
    from causalpref.methods import get_method

    cls = get_method(method)
    settings = {
        "epochs": epochs,
        "lr": lr,
        "hidden_dim": hidden_dim,
        "batch_size": batch_size,
        "seed": seed,
        "verbose": verbose,
    }
    if cls.uses_context:
        settings["context"] = context
    model = cls(**settings)
    model.validate_params()
    table = read_preferences(data)
    train, validation = _train_validation(table)
    typer.echo(
        f"fitting '{method}' on {len(train)} pairs"
        + (f", early stopping on {len(validation)}" if validation is not None else ""),
        err=True,
    )
    model.fit(train, validation=validation)
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
) -> None:
    """Pairwise accuracy of a fitted model, overall and per split."""
    from causalpref._atomic import write_text
    from causalpref.data import read_preferences
    from causalpref.methods import load_model

    model = load_model(model_dir)
    table = read_preferences(data)
    result = {"accuracy": model.score(table), "n": len(table), "splits": {}}
    if table.has(split_by):
        result["splits"] = {name: model.score(part) for name, part in table.by(split_by).items()}
    typer.echo(f"accuracy {result['accuracy']:.4f} on {len(table)} pairs")
    for name, acc in result["splits"].items():
        typer.echo(f"  {split_by}={name}: {acc:.4f}")
    if json_out is not None:
        write_text(json_out, json.dumps(result, indent=2))


@app.command()
def methods() -> None:
    """List the registered training methods."""
    from causalpref.methods import available_methods, get_method

    for name in available_methods():
        cls = get_method(name)
        ctx = " (needs a context column)" if cls.uses_context else ""
        typer.echo(f"{name:12s} {cls.summary}{ctx}")


@app.command()
def scenarios() -> None:
    """List the simulation scenarios and their knobs."""
    from causalpref import simulate

    for name in simulate.available_scenarios():
        knobs = ", ".join(f"{k}={v!r}" for k, v in simulate.scenario_knobs(name).items())
        typer.echo(f"{name}: {knobs}")


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
