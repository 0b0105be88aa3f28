"""Suites: the schema of a suite YAML (schema.py) and how a file and its --set overrides become one (loading.py)."""
from __future__ import annotations

from .loading import apply_overrides, load_suite
from .schema import (
    AlgorithmSpec,
    Data,
    DataSource,
    Evaluation,
    JobSpec,
    LauncherSpec,
    MlflowSpec,
    ModelSpec,
    Optimizer,
    PolicySpec,
    PreprocessCfg,
    Protocol,
    Schedule,
    Selection,
    Split,
    Suite,
    Synth,
    TrackingSpec,
    Training,
)

__all__ = ["AlgorithmSpec", "Data", "DataSource", "Evaluation", "JobSpec", "LauncherSpec", "MlflowSpec", "ModelSpec",
           "Optimizer", "PolicySpec", "PreprocessCfg", "Protocol", "Schedule", "Selection", "Split", "Suite", "Synth",
           "TrackingSpec", "Training", "apply_overrides", "load_suite"]
