"""TOML study specs: read, validate whole (every error at once), and build `Study` objects.

A spec names a title, how its results render (`report`), shared `[defaults]`, and one or more
`[study.<name>]` tables, each with a data source (`scenario` + `knobs`, or a `data` file), a knob
`grid`, `methods` and a `baseline`. See docs/studies.md for the format with a complete example.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from causalpref.errors import CausalPrefError, ConfigError
from causalpref.evaluate.selection import SELECT_RULES
from causalpref.evaluate.sources import RESAMPLERS, FileSource, ScenarioSource
from causalpref.evaluate.study import MethodSpec, Study, StudyResult, run_studies, split_point

REPORTS = ("study", "demo", "bench", "hh-confounding")
TOP_KEYS = {"title", "description", "report", "jobs", "defaults", "study"}
SHARED_KEYS = {
    "seeds",
    "baseline",
    "settings",
    "method_settings",
    "early_stopping",
    "clean_ceiling",
    "methods",
    "padding_probe",
    "select",
}
SOURCE_KEYS = {
    "scenario",
    "knobs",
    "shift_split",
    "data",
    "layout",
    "encoder",
    "cache_dir",
    "split_column",
    "resample",
}
STUDY_KEYS = SHARED_KEYS | SOURCE_KEYS | {"grid", "title"}
ALL_METHODS = "all"
METHOD_GRID = "grid"  # in a methods-table entry: the method's own candidate settings


@dataclass(frozen=True)
class StudySpec:
    """A validated spec: its studies, ready to run, and how to render them."""

    title: str
    report: str
    studies: tuple[Study, ...]
    jobs: int
    source: str
    raw: dict[str, Any]


def _shipped_folder() -> Path:
    return Path(str(resources.files("causalpref.evaluate") / "specs"))


def shipped_specs() -> list[str]:
    """Names of the specs shipped with the package (`causalpref study NAME`)."""
    return sorted(p.stem for p in _shipped_folder().glob("*.toml"))


def spec_path(name_or_path: str | Path) -> Path:
    """The file of a spec given by path, or by the name of a shipped spec."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ConfigError(
                f"study spec {path}: file not found; pass a .toml file or one of "
                f"the shipped specs: {', '.join(shipped_specs())}"
            )
        return path
    if str(name_or_path) in shipped_specs():
        return _shipped_folder() / f"{name_or_path}.toml"
    raise ConfigError(
        f"study spec '{name_or_path}': no such file or shipped spec; shipped: "
        + ", ".join(shipped_specs())
    )


def load_spec(
    name_or_path: str | Path,
    overrides: dict[str, Any] | None = None,
    *,
    only: Sequence[str] | None = None,
    settings: dict[str, Any] | None = None,
) -> StudySpec:
    """Read a spec file (or shipped spec), apply dotted `overrides` (e.g.
    {"defaults.seeds": 3, "study.hh.data": "x.jsonl"}), keep `only` the named studies, force
    `settings` on every method, then validate it whole and build its studies."""
    path = spec_path(name_or_path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"study spec {path}: not valid TOML ({err})") from None
    data_dir = Path.cwd() if path.parent == _shipped_folder() else path.parent
    return parse_spec(
        raw, base_dir=data_dir, source=str(path), overrides=overrides, only=only, settings=settings
    )


def parse_spec(
    raw: dict[str, Any],
    *,
    base_dir: Path = Path("."),
    source: str = "<spec>",
    overrides: dict[str, Any] | None = None,
    only: Sequence[str] | None = None,
    settings: dict[str, Any] | None = None,
) -> StudySpec:
    """Validate a spec given as a dict; raise one ConfigError listing every problem.

    Relative data paths are read from `base_dir` (a user spec's folder; the working folder for
    the shipped specs)."""
    raw = copy.deepcopy(raw)
    for dotted, value in (overrides or {}).items():
        _set_dotted(raw, dotted, value)
    errors: list[str] = []
    if only:
        known = list(raw.get("study", {}))
        errors += [
            f"study '{n}' is not in the spec (studies: {known})" for n in only if n not in known
        ]
        raw["study"] = {k: v for k, v in raw.get("study", {}).items() if k in only}
    if settings:
        for table in raw.get("study", {}).values():
            if isinstance(table, dict):
                table["settings"] = {**table.get("settings", {}), **settings}
    errors += [f"unknown key '{k}' (valid: {sorted(TOP_KEYS)})" for k in raw if k not in TOP_KEYS]
    report = raw.get("report", "study")
    if report not in REPORTS:
        errors.append(f"report = {report!r}: expected one of {list(REPORTS)}")
    jobs = raw.get("jobs", 2)
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        errors.append(f"jobs = {jobs!r}: expected a positive number of worker processes")
    defaults = raw.get("defaults", {})
    if not isinstance(defaults, dict):
        errors.append("[defaults] must be a table")
        defaults = {}
    errors += [
        f"[defaults]: unknown key '{k}' (valid: {sorted(SHARED_KEYS)})"
        for k in defaults
        if k not in SHARED_KEYS
    ]
    tables = raw.get("study", {})
    if not isinstance(tables, dict) or not tables:
        errors.append("no studies: add at least one [study.<name>] table")
        tables = {}
    studies = []
    for name, table in tables.items():
        study, problems = _study(name, table, defaults, base_dir)
        errors += [f"[study.{name}]: {p}" for p in problems]
        if study is not None:
            studies.append(study)
    if errors:
        raise ConfigError(
            f"study spec {source}: {len(errors)} problem(s):\n"
            + "\n".join(f"  - {e}" for e in errors)
        )
    return StudySpec(
        title=raw.get("title", source),
        report=report,
        studies=tuple(studies),
        jobs=jobs,
        source=source,
        raw=raw,
    )


def _study(name: str, table: Any, defaults: dict, base_dir: Path) -> tuple[Study | None, list[str]]:
    if not isinstance(table, dict):
        return None, ["must be a table"]
    errors = [
        f"unknown key '{k}' (valid: {sorted(STUDY_KEYS)})" for k in table if k not in STUDY_KEYS
    ]
    merged = {**defaults, **table}
    settings = {**defaults.get("settings", {}), **table.get("settings", {})}
    seeds, problems = _seeds(merged.get("seeds", 3))
    errors += problems
    grid, problems = _grid(merged.get("grid", {}))
    errors += problems
    knob_grid, swept = split_point(grid)
    source, problems = _source(merged, knob_grid, base_dir)
    errors += problems
    methods, problems = _swept_methods(merged, settings, swept)
    errors += problems + _flag_problems(merged) + _select_problems(merged, methods, swept)
    errors += _probe_problems(merged, settings)
    baseline = merged.get("baseline")
    if errors or source is None:
        return None, errors
    study = Study(
        name=name,
        source=source,
        methods=tuple(methods),
        seeds=tuple(seeds),
        grid=grid,
        baseline=baseline,
        settings=settings,
        early_stopping=merged.get("early_stopping", True),
        clean_ceiling=merged.get("clean_ceiling", False),
        padding_probe=merged.get("padding_probe", False),
        select=merged.get("select"),
    )
    return study, []


def _swept_methods(
    merged: dict, settings: dict, swept: dict[str, tuple]
) -> tuple[list[MethodSpec], list[str]]:
    """The study's methods, each checked with the shared settings and every swept value."""
    first = {k: v[0] for k, v in swept.items()}
    per_method = merged.get("method_settings", {})
    methods, errors = _methods(
        merged.get("methods"), merged.get("baseline"), {**settings, **first}, per_method
    )
    for key, values in swept.items():  # every swept setting value, beside the others' first
        for value in values[1:]:
            trial = {**settings, **first, key: value}
            errors += [
                p
                for p in _methods(merged.get("methods"), None, trial, per_method)[1]
                if p not in errors
            ]
    baseline = merged.get("baseline")
    if baseline is not None and methods and baseline not in [m.label for m in methods]:
        errors.append(
            f"baseline '{baseline}' is not among the methods {[m.label for m in methods]}"
        )
    return methods, errors


def _flag_problems(merged: dict) -> list[str]:
    errors = [
        f"{key} = {merged[key]!r}: expected true or false"
        for key in ("early_stopping", "clean_ceiling", "padding_probe")
        if not isinstance(merged.get(key, False), bool)
    ]
    if merged.get("clean_ceiling") is True and "scenario" not in merged:
        errors.append(
            "clean_ceiling = true needs a scenario (a data file has no clean counterpart)"
        )
    return errors


def _select_problems(merged: dict, methods: list[MethodSpec], swept: dict) -> list[str]:
    """`select` names a rule; a method's own grid needs one (else its candidates would share
    one table row)."""
    select = merged.get("select")
    if select is not None and select not in SELECT_RULES:
        return [f"select = {select!r}: expected one of {list(SELECT_RULES)}"]
    if select is None:
        return [
            f"method '{m.label}' has its own grid {sorted(m.grid)}: set select = \"validation\" "
            "to choose among its settings on validation data, or give each setting its own label"
            for m in methods
            if m.grid
        ]
    return [
        f"setting '{k}' is swept by the grid and by method '{m.label}''s own grid; sweep it once"
        for m in methods
        for k in m.grid
        if k in swept
    ]


def _probe_problems(merged: dict, settings: dict) -> list[str]:
    """The padding probe re-encodes padded text: a scenario's methods must own a text encoder."""
    if not merged.get("padding_probe") or "scenario" not in merged:
        return []
    if settings.get("encoder", "precomputed") != "precomputed":
        return []
    return [
        "padding_probe = true on a scenario needs methods that encode text themselves: set "
        'settings = { encoder = "hashing", ... } (a data file is encoded by its own encoder)'
    ]


def _seeds(value: Any) -> tuple[list[int], list[str]]:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            return [], [f"seeds = {value}: expected at least 1 (a count) or a list of seeds"]
        return list(range(value)), []
    if (
        isinstance(value, list)
        and value
        and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in value)
    ):
        if len(set(value)) != len(value):
            return [], [f"seeds = {value}: a seed is repeated; seeds pair the comparisons"]
        return list(value), []
    return [], [f"seeds = {value!r}: expected a count (>= 1) or a list of distinct seeds >= 0"]


def _grid(value: Any) -> tuple[dict[str, tuple], list[str]]:
    if not isinstance(value, dict):
        return {}, [f"grid = {value!r}: expected a table of knob = [values]"]
    bad = [k for k, v in value.items() if not isinstance(v, list) or not v]
    return {k: tuple(v) for k, v in value.items() if k not in bad}, [
        f"grid.{k} = {value[k]!r}: expected a non-empty list of values" for k in bad
    ]


def _source(
    merged: dict, grid: dict, base_dir: Path
) -> tuple[ScenarioSource | FileSource | None, list[str]]:
    if ("scenario" in merged) == ("data" in merged):
        return None, ['give exactly one data source: scenario = "<name>" or data = "<file>"']
    if "scenario" in merged:
        return _scenario_source(merged, grid)
    return _file_source(merged, grid, base_dir)


def _scenario_source(merged: dict, grid: dict) -> tuple[ScenarioSource | None, list[str]]:
    from causalpref import simulate

    name = merged["scenario"]
    try:
        simulate.get_scenario(name)
    except CausalPrefError as err:
        return None, [str(err)]
    knobs = merged.get("knobs", {})
    if not isinstance(knobs, dict):
        return None, [f"knobs = {knobs!r}: expected a table of knob = value"]
    errors = simulate.knob_problems(name, {**knobs, **grid})
    errors += [f"knob '{k}' is both fixed (knobs) and varied (grid)" for k in knobs if k in grid]
    errors += [
        f"key '{k}' applies to data files, not scenarios"
        for k in ("layout", "encoder", "cache_dir", "split_column", "resample")
        if k in merged
    ]
    source = ScenarioSource(name, knobs, merged.get("shift_split"))
    return (None if errors else source), errors


def _file_source(merged: dict, grid: dict, base_dir: Path) -> tuple[FileSource | None, list[str]]:
    errors = []
    path = merged["data"]
    if not isinstance(path, str) or not path:
        return None, [
            'data is empty: give the path of a file of pairs (data = "<file>", or on the command '
            "line --data FILE / --set study.<name>.data=FILE)"
        ]
    path = Path(path) if Path(path).is_absolute() else base_dir / path
    if not path.is_file():
        errors.append(f"data file {path} not found")
    if "knobs" in merged:
        errors.append("knobs apply to scenarios; a data file takes grid knobs only with resample")
    resample = merged.get("resample")
    name, settings = None, {}
    if resample is not None:
        if not isinstance(resample, dict) or resample.get("name") not in RESAMPLERS:
            errors.append(
                f"resample = {resample!r}: expected {{ name = one of {list(RESAMPLERS)}, ... }}"
            )
        else:
            settings = {k: v for k, v in resample.items() if k != "name"}
            name = resample["name"]
            errors += _resample_problems(name, settings, grid)
    elif grid:
        errors.append(f"grid {sorted(grid)} on a data file needs a resample table")
    errors += _encoder_problems(merged.get("encoder", "precomputed"))
    source = FileSource(
        path=path,
        layout=merged.get("layout", "auto"),
        encoder=merged.get("encoder", "precomputed"),
        cache_dir=Path(merged["cache_dir"]) if merged.get("cache_dir") else None,
        split_column=merged.get("split_column", "split"),
        shift_split=merged.get("shift_split"),
        resample=name,
        resample_settings=settings,
    )
    return (None if errors else source), errors


def _resample_problems(name: str, settings: dict, grid: dict) -> list[str]:
    """Every setting of the resampler known, every required one given (fixed or in the grid)."""
    known = RESAMPLERS[name].settings()
    given = {**settings, **grid}
    errors = [
        f"resample '{name}' has no setting '{k}' (its settings: {sorted(known)})"
        for k in given
        if k not in known
    ]
    errors += [
        f"resample '{name}' needs setting '{k}' (in the resample table or the grid)"
        for k, required in known.items()
        if required and k not in given
    ]
    errors += [
        f"resample setting '{k}' is both fixed and in the grid" for k in settings if k in grid
    ]
    return errors


def _encoder_problems(spec: Any) -> list[str]:
    if spec == "precomputed":
        return []
    try:
        from causalpref.features.encoders import ENCODERS

        ENCODERS.split(spec)
    except ImportError:
        return []
    except CausalPrefError as err:
        return [str(err)]
    return []


def _methods(
    value: Any, baseline: str | None, settings: dict, per_method: Any = None
) -> tuple[list[MethodSpec], list[str]]:
    from causalpref.methods import available_methods, make_method

    if value is None:
        return [], ['no methods: methods = ["bt", ...] or a table of label = { method = ... }']
    if value == ALL_METHODS or value == [ALL_METHODS]:
        names = available_methods()
        ordered = [baseline] * (baseline in names) + [m for m in names if m != baseline]
        specs = [MethodSpec(m, m) for m in ordered]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        specs = [MethodSpec(m, m) for m in value]
    elif isinstance(value, dict):
        specs, errors = _method_table(value)
        if errors:
            return [], errors
    else:
        return [], [f'methods = {value!r}: expected a list of names, "all", or a table']
    specs, errors = _with_method_settings(specs, per_method or {})
    for spec in specs:
        for candidate in _first_and_each(spec.grid):
            try:
                make_method(
                    spec.method, **{**settings, **spec.settings, **candidate}
                ).validate_params()
            except CausalPrefError as err:
                if f"method '{spec.label}': {err}" not in errors:
                    errors.append(f"method '{spec.label}': {err}")
    return specs, errors


def _method_table(value: dict) -> tuple[list[MethodSpec], list[str]]:
    """Specs from `label = { method = ..., grid = { setting = [values] }, setting = value }`."""
    specs, errors = [], []
    for label, entry in value.items():
        entry = dict(entry) if isinstance(entry, dict) else {}
        grid, problems = _grid(entry.pop(METHOD_GRID, {}))
        errors += [f"method '{label}': {p}" for p in problems]
        errors += [
            f"method '{label}': setting '{k}' is both fixed and in its grid"
            for k in grid
            if k in entry
        ]
        specs.append(MethodSpec(label, entry.pop("method", label), entry, grid))
    return specs, errors


def _first_and_each(grid: dict[str, tuple]) -> list[dict[str, Any]]:
    """Grid points to check: the first values, then each other value beside the others' first."""
    first = {k: v[0] for k, v in grid.items()}
    return [first] + [{**first, k: v} for k, values in grid.items() for v in values[1:]]


def _with_method_settings(
    specs: list[MethodSpec], per_method: Any
) -> tuple[list[MethodSpec], list[str]]:
    """Specs with `method_settings = { method = { setting = value } }` merged in (spec wins)."""
    from causalpref.methods import available_methods

    tables = isinstance(per_method, dict) and all(isinstance(v, dict) for v in per_method.values())
    if not tables:
        return specs, [
            f"method_settings = {per_method!r}: expected {{ method = {{ key = value }} }}"
        ]

    errors = [
        f"method_settings names '{m}', which is not a registered method "
        f"({', '.join(available_methods())})"
        for m in per_method
        if m not in available_methods()
    ]
    merged = [
        MethodSpec(s.label, s.method, {**per_method.get(s.method, {}), **s.settings}, s.grid)
        for s in specs
    ]
    return merged, errors


def _set_dotted(raw: dict, dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = raw
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value


def run_spec(
    spec: StudySpec, *, jobs: int | None = None, progress: Callable[[str], None] | None = None
) -> list[StudyResult]:
    """Run every study of a validated spec as one pool of tasks (`jobs` overrides the spec's)."""
    return run_studies(spec.studies, jobs=jobs or spec.jobs, progress=progress)
