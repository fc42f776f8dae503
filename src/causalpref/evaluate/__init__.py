"""The study engine (scenarios or user data x methods x seeds x knobs, paired gains over a
baseline), its TOML specs, and summaries of fitted reward models."""

from causalpref.evaluate.sources import FileSource, ScenarioSource
from causalpref.evaluate.spec import StudySpec, load_spec, parse_spec, run_spec, shipped_specs
from causalpref.evaluate.study import MethodSpec, Study, StudyResult, run_studies
from causalpref.metrics import mean_se, pairwise_accuracy, worst_group_accuracy

__all__ = [
    "FileSource",
    "MethodSpec",
    "ScenarioSource",
    "Study",
    "StudyResult",
    "StudySpec",
    "load_spec",
    "mean_se",
    "pairwise_accuracy",
    "parse_spec",
    "run_spec",
    "run_studies",
    "shipped_specs",
    "worst_group_accuracy",
]
