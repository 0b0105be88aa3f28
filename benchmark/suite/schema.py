"""The suite schema (pydantic, unknown keys rejected): every key, its range and the names that must be unique."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

# Ranges of the suite's numbers (validate refuses anything outside them, NaN and infinities included).
MAX_SEED = 2**32 - 1  # numpy's legacy seed range; torch and default_rng take it too
MAX_SUBJECTS = 100_000  # per synthetic cohort
MAX_STEPS = 10**9  # iterations, validate_every, checkpoint_every
MAX_EPOCHS = 10**6
MIN_CROP, MAX_CROP = 16, 4096  # pixels; the networks downsample 16-fold
MIN_SPACING, MAX_SPACING = 0.1, 20.0  # mm: cardiac MR is acquired at about 0.6 to 3 mm in plane
MAX_BATCH = 4096
MAX_LR = 10.0
DEVICES = "auto, cpu, cuda, cuda:N, mps"
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:[0-9]+)?")
# Names that become file names (the suite's default run folder, each data set's manifest): no path parts.
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")

Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]


class Strict(BaseModel):
    """Base: unknown keys are errors, floats are finite."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _file_name(kind: str, value: str) -> str:
    if not _FILE_NAME.fullmatch(value):
        raise ValueError(f"{kind} name {value!r} may use only letters, digits and . _ + - (at most 64, starting "
                         "with a letter or digit): it names files")
    return value


def _unique(what: str, values: Iterable[Any], hint: str = "") -> None:
    """Refuse a list in which a value that keys something appears twice."""
    dup = [v for v, n in Counter(values).items() if n > 1]
    if dup:
        raise ValueError(f"{what} {', '.join(repr(v) for v in dup)} listed more than once{hint}")


class Synth(Strict):
    """A built-in synthetic cohort, generated on first use."""

    cohort: str
    subjects: int = Field(default=20, ge=1, le=MAX_SUBJECTS)
    seed: Seed = 0


class Split(Strict):
    """Subject-level split sizes of the source data set, or a CSV (subject,split) naming them."""

    train: int | None = Field(default=None, ge=1)
    val: int | None = Field(default=None, ge=0)
    test: int | None = Field(default=None, ge=0)
    file: str | None = None


class DataSource(Strict):
    """One data set: a synthetic cohort, a download read by an adapter, or a manifest CSV."""

    name: str
    synth: Synth | None = None
    adapter: str | None = None
    root: str | None = None
    manifest: str | None = None
    split: Split | None = None

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        return _file_name("data set", value)

    @model_validator(mode="after")
    def _one_kind(self) -> DataSource:
        kinds = [k for k in ("synth", "adapter", "manifest") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"data set '{self.name}' needs exactly one of synth, adapter (+ root), manifest")
        if self.adapter is not None and not self.root:
            raise ValueError(f"data set '{self.name}': adapter '{self.adapter}' needs a root")
        return self


# Pydantic names the member of a union in an error's location; these tags are left out of the message.
_ONE, _SEVERAL = "[one data set]", "[list of data sets]"
TAGS = {_ONE, _SEVERAL}


class Data(Strict):
    """The source data set(s) (trained on together) and the targets (tested unchanged)."""

    # one data set or a list: validated as whichever the YAML holds, so an error is about that one
    source: Annotated[Annotated[DataSource, Tag(_ONE)] | Annotated[list[DataSource], Tag(_SEVERAL)],
                      Discriminator(lambda v: _SEVERAL if isinstance(v, list) else _ONE)]
    targets: list[DataSource] = Field(default_factory=list)
    cache: str | None = None  # where prepared data and generated cohorts go (default OUT/cache)

    @property
    def sources(self) -> list[DataSource]:
        """The source data sets as a list (one or several)."""
        return list(self.source) if isinstance(self.source, list) else [self.source]

    @property
    def all(self) -> list[DataSource]:
        """Sources then targets."""
        return [*self.sources, *self.targets]

    @model_validator(mode="after")
    def _unique_names(self) -> Data:
        names = [d.name for d in self.all]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"data set name(s) {dup} used twice: every source and target needs its own name")
        if not self.sources:
            raise ValueError("data.source needs at least one data set")
        return self


class PreprocessCfg(Strict):
    """Preprocessing shared by training and testing."""

    target_spacing: float = Field(default=1.25, ge=MIN_SPACING, le=MAX_SPACING)  # mm
    normalise: Literal["zscore", "percentile", "none"] = "zscore"
    crop: int = Field(default=256, ge=MIN_CROP, le=MAX_CROP)
    # training slices are padded/cropped to `canvas` before the random crop
    canvas: int | None = Field(default=None, ge=MIN_CROP, le=MAX_CROP)


class Optimizer(Strict):
    """SGD (the study's) or Adam."""

    name: Literal["sgd", "adam"] = "sgd"
    lr: float = Field(default=1e-3, gt=0, le=MAX_LR)
    momentum: float = Field(default=0.9, ge=0, lt=1)
    weight_decay: float = Field(default=0.0, ge=0)


class Schedule(Strict):
    """Step decay: multiply the learning rate by `gamma` every `step_epochs` epochs."""

    step_epochs: float = Field(default=50, gt=0, le=MAX_EPOCHS)
    gamma: float = Field(default=0.5, gt=0, le=1)


SelectionRule = Literal["source_val", "last", "oracle"]


def _default_rules() -> list[SelectionRule]:
    return ["source_val"]


class Selection(Strict):
    """Model selection rules, reported side by side: source_val (the study's), last, oracle (an upper bound)."""

    rules: list[SelectionRule] = Field(default_factory=_default_rules, min_length=1)
    metric: Literal["mean_iou", "mean_dice"] = "mean_iou"
    augment_validation: bool = False  # the study validated on augmented images; default is without
    oracle_fraction: float = Field(default=0.2, gt=0, lt=1)  # share of each target's subjects that oracle selects on

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"rules": [value]}
        if isinstance(value, list):
            return {"rules": value}
        return value

    @field_validator("rules")
    @classmethod
    def _unique_rules(cls, value: list[SelectionRule]) -> list[SelectionRule]:
        _unique("selection rule", value)
        return value


class Training(Strict):
    """The study's recipe by default."""

    epochs: float | None = Field(default=None, gt=0, le=MAX_EPOCHS)
    iterations: int | None = Field(default=None, ge=1, le=MAX_STEPS)
    batch_size: int = Field(default=20, ge=1, le=MAX_BATCH)
    optimizer: Optimizer = Field(default_factory=Optimizer)
    schedule: Schedule = Field(default_factory=Schedule)
    loss: str = "ce"  # a name in the loss registry: ce, dice, ce+dice
    selection: Selection = Field(default_factory=Selection)
    validate_every: int | None = Field(default=None, ge=1, le=MAX_STEPS)  # steps; default once per epoch
    checkpoint_every: int = Field(default=50, ge=1, le=MAX_STEPS)  # steps
    precision: Literal["auto", "fp32", "bf16"] = "auto"  # auto: bf16 where the device runs it natively
    compile: bool = False  # torch.compile the network (pays for long runs and large evaluations)

    @model_validator(mode="after")
    def _length(self) -> Training:
        if (self.epochs is None) == (self.iterations is None):
            raise ValueError("training needs exactly one of epochs, iterations")
        return self


class ModelSpec(Strict):
    """A network from the registry, its keyword arguments and the label shown in tables."""

    name: str
    kwargs: dict[str, Any] = Field(default_factory=dict)
    label: str | None = None


class PolicySpec(Strict):
    """A registered policy by name, or one defined here from operations."""

    name: str
    resample: bool | None = None
    ops: list[dict[str, Any]] | None = None


class AlgorithmSpec(Strict):
    """A training algorithm from the registry, its hyperparameters and the label shown in tables."""

    name: str
    kwargs: dict[str, Any] = Field(default_factory=dict)
    label: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _by_name(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value  # `- mixstyle` is `- {name: mixstyle}`

    @property
    def shown(self) -> str:
        """How tables name it: its label, else its name."""
        return self.label or self.name

    @property
    def plain(self) -> bool:
        """Today's training (erm, default hyperparameters): left out of method names and training ids."""
        return self.name == "erm" and not self.kwargs and self.label in (None, "erm")


def _default_algorithms() -> list[AlgorithmSpec]:
    return [AlgorithmSpec(name="erm")]


class JobSpec(Strict):
    """An explicit job (for ablations): model, policy and algorithm by name or label, optional seeds."""

    model: str
    policy: str
    algorithm: str | None = None  # default: each of the suite's algorithms
    seeds: list[Seed] | None = Field(default=None, min_length=1)

    @field_validator("seeds")
    @classmethod
    def _unique_seeds(cls, value: list[int] | None) -> list[int] | None:
        _unique("seed", value or [])
        return value


class Evaluation(Strict):
    """How a trained model is scored on each target (never part of a training's identity)."""

    tta_flip: bool = False
    # graded test-time shifts (benchmark/shifts): each applied to every target case at each severity
    shifts: list[str] = Field(default_factory=list)  # names, or ["all"]
    severities: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5])
    shift_seed: int = Field(default=0, ge=0)
    shift_reference: str | None = None  # the method mean corruption error is relative to (e.g. "unet16 + none")
    write_shifted: bool = False  # also write each shifted image as NIfTI (copies; off by default)
    # fit a softmax temperature on the source validation split; calibration is then reported before and after
    temperature_scaling: bool = False

    @field_validator("severities")
    @classmethod
    def _severities(cls, value: list[int]) -> list[int]:
        if not value or any(s not in (1, 2, 3, 4, 5) for s in value) or len(set(value)) != len(value):
            raise ValueError(f"severities {value} must be distinct levels from 1 to 5")
        return sorted(value)

    @field_validator("shifts")
    @classmethod
    def _unique_shifts(cls, value: list[str]) -> list[str]:
        _unique("shift", value)
        return value


class Protocol(Strict):
    """standard: train on the source(s); leave_one_domain_out: one training per held-out domain."""

    name: Literal["standard", "leave_one_domain_out"] = "standard"
    by: str = "dataset"  # what a domain is: a source data set, or a manifest column (vendor, site, scanner, ...)
    domains: list[str] | None = Field(default=None, min_length=1)  # default: every value in the source data

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @field_validator("domains")
    @classmethod
    def _unique_domains(cls, value: list[str] | None) -> list[str] | None:
        _unique("domain", value or [])
        return value


class LauncherSpec(BaseModel):
    """Where jobs run: a registered launcher's name and its own options (checked by the launcher)."""

    model_config = ConfigDict(extra="allow")
    name: str = "local"

    @property
    def options(self) -> dict[str, Any]:
        """The launcher's options: everything but its name."""
        return dict(self.model_extra or {})


class MlflowSpec(Strict):
    """An MLflow tracking store and the experiment a suite's runs go to."""

    uri: str = Field(min_length=1)  # file:///abs/mlruns, sqlite:///mlflow.db, http://host:5000 (no credentials here)
    experiment: str | None = Field(None, min_length=1)  # default: the suite's name
    # where a new experiment keeps its artifacts; default: MLflow's, except beside the file of a SQLite store
    artifact_location: str | None = Field(None, min_length=1)


class TrackingSpec(Strict):
    """Experiment trackers that a run also logs to (never part of a training's or an evaluation's identity)."""

    mlflow: MlflowSpec | None = None

    @property
    def configured(self) -> list[str]:
        """The names of the trackers that are set."""
        return [name for name in type(self).model_fields if getattr(self, name) is not None]


class Suite(Strict):
    """A whole benchmark: data, preprocessing, training, the models x policies x algorithms x seeds grid, extra
    jobs."""

    name: str
    seeds: list[Seed] = Field(default_factory=lambda: [0], min_length=1)
    plugins: list[str] = Field(default_factory=list)
    data: Data
    preprocess: PreprocessCfg = Field(default_factory=PreprocessCfg)
    training: Training
    evaluation: Evaluation = Field(default_factory=Evaluation)
    protocol: Protocol = Field(default_factory=Protocol)
    models: list[ModelSpec] = Field(default_factory=list)
    policies: list[PolicySpec] = Field(default_factory=list)
    algorithms: list[AlgorithmSpec] = Field(default_factory=_default_algorithms, min_length=1)
    grid: bool = True  # models x policies x algorithms x seeds; false: only the explicit jobs
    jobs: list[JobSpec] = Field(default_factory=list)
    leaderboards: list[str] | None = None
    launcher: LauncherSpec = Field(default_factory=lambda: LauncherSpec(name="local"))
    device: str = "auto"
    # CPU threads per job. On a CPU, results depend on it (reductions split differently), so fix it to compare
    # runs across launchers; unset: the launcher's allotment (ray num_cpus, slurm cpus_per_job; local: torch's)
    threads: int | None = Field(None, ge=1, le=1024)
    save_predictions: bool = True
    tracking: TrackingSpec = Field(default_factory=TrackingSpec)

    @field_validator("launcher", mode="before")
    @classmethod
    def _launcher_by_name(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value  # `launcher: ray` is `launcher: {name: ray}`

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        return _file_name("suite", value)  # the default run folder is runs/<name>

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        if not _DEVICE.fullmatch(value):
            raise ValueError(f"device {value!r} is not one of {DEVICES}")
        return value

    @field_validator("seeds")
    @classmethod
    def _unique_seeds(cls, value: list[int]) -> list[int]:
        _unique("seed", value)
        return value

    @field_validator("leaderboards")
    @classmethod
    def _unique_leaderboards(cls, value: list[str] | None) -> list[str] | None:
        _unique("leaderboard", value or [])
        return value

    @model_validator(mode="after")
    def _unique_labels(self) -> Suite:
        """Model labels and policy names name rows of every table; a job is one (model, policy) pair."""
        from ..run.jobs import model_label

        _unique("model label", [model_label(m) for m in self.models],
                ": give each model its own `label` (tables name models by label)")
        _unique("policy name", [p.name for p in self.policies], ": give each policy its own name")
        _unique("algorithm label", [a.shown for a in self.algorithms],
                ": give each algorithm its own `label` (tables name algorithms by label)")
        _unique("algorithm", [(a.name, repr(sorted(a.kwargs.items()))) for a in self.algorithms],
                " with the same hyperparameters: it would be one training under two labels")
        _unique("job (model, policy)", [(j.model, j.policy) + ((j.algorithm,) if j.algorithm else ())
                                        for j in self.jobs], ": list its seeds in one job")
        return self
