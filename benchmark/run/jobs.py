"""What a suite asks for: trainings (model x policy x algorithm x seed x held-out domain) and evaluations of each.

Two identities, kept apart (DomainBed's sweep, nnU-Net's written splits): a training's id hashes what
changes its weights (model, policy, algorithm, training settings, seed, preprocessing, the content of the cases it
trains and validates on); an evaluation's id hashes the training, the content of the target cases and how
they are scored (selection rule, TTA, precision). Adding a target only adds evaluations.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..augment import Policy, create_policy, policy_from_config
from ..digest import digest_json
from ..preprocess import CACHE_VERSION, Preprocess
from ..suite import AlgorithmSpec, ModelSpec, PolicySpec, Suite

TRAIN_FORMAT = 2  # bump when a change to training alters the weights a config produces
EVAL_FORMAT = 2  # bump when a change to inference or scoring alters the cases a config produces
# Training settings that never change the weights or the selected checkpoint: left out of the identity.
NOT_IDENTITY = {"checkpoint_every", "compile"}


def build_policy(spec: PolicySpec, crop: int) -> Policy:
    """A registered policy by name, or the suite's own definition from operations."""
    if spec.ops is not None:
        return policy_from_config({"resample": True if spec.resample is None else spec.resample, "ops": spec.ops},
                                  name=spec.name, crop=crop)
    policy = create_policy(spec.name, crop=crop)
    if spec.resample is not None:
        policy.resample = spec.resample
    return policy


def preprocess_for(suite: Suite, policy: Policy) -> Preprocess:
    """The preprocessing a policy implies: resampled to the target spacing unless the policy says not to."""
    p = suite.preprocess
    return Preprocess(target_spacing=p.target_spacing if policy.resample else None, normalise=p.normalise)


def model_label(spec: ModelSpec) -> str:
    """How a model is named in tables."""
    return spec.label or spec.name


@dataclass(frozen=True)
class TrainPlan:
    """One training: model, policy, seed, (leave-one-domain-out) the domain it never sees, and the algorithm."""

    model: ModelSpec = field(hash=False)
    policy: PolicySpec = field(hash=False)
    seed: int = 0
    heldout: str = ""
    id: str = ""
    config: dict = field(default_factory=dict, compare=False, hash=False)
    algorithm: AlgorithmSpec = field(default_factory=lambda: AlgorithmSpec(name="erm"), hash=False)

    @property
    def method(self) -> str:
        """The row name in tables: seeds are pooled into a method, held-out domains never are. The algorithm
        is part of it unless it is plain erm (today's training)."""
        name = f"{model_label(self.model)} + {self.policy.name}"
        name += "" if self.algorithm.plain else f" + {self.algorithm.shown}"
        return f"{name} (without {self.heldout})" if self.heldout else name


@dataclass(frozen=True)
class EvalPlan:
    """One evaluation: a training scored on one data set's cases under one selection rule."""

    train: str  # the training's id
    dataset: str
    part: str  # which cases: test | all | heldout
    rule: str  # source_val | last | oracle
    id: str = ""
    config: dict = field(default_factory=dict, compare=False, hash=False)
    shift: str = ""  # a graded shift (scored at the suite's severities), or "" for the cases as they are


def grid(suite: Suite, domains: list[str] | None = None) -> list[TrainPlan]:
    """models x policies x algorithms x seeds (unless grid is off) plus explicit jobs, once per held-out domain."""
    from ..algorithms import check_hyperparameters
    from ..losses import LOSSES
    from ..models import MODELS

    LOSSES.resolve(suite.training.loss)
    models = {model_label(m): m for m in suite.models}
    models.update({m.name: m for m in suite.models if m.name not in models})
    policies = {p.name: p for p in suite.policies}
    algorithms = {a.name: a for a in suite.algorithms}
    algorithms.update({a.shown: a for a in suite.algorithms})
    combos: list[tuple[ModelSpec, PolicySpec, AlgorithmSpec, int]] = []
    if suite.grid:
        combos += [(m, p, a, s) for m in suite.models for p in suite.policies for a in suite.algorithms
                   for s in suite.seeds]
    for j in suite.jobs:
        m = models.get(j.model) or ModelSpec(name=j.model)
        p = policies.get(j.policy) or PolicySpec(name=j.policy)
        algos = suite.algorithms if j.algorithm is None else [algorithms.get(j.algorithm)
                                                                or AlgorithmSpec(name=j.algorithm)]
        combos += [(m, p, a, s) for a in algos for s in (j.seeds or suite.seeds)]
    held = (domains or []) if suite.protocol.name == "leave_one_domain_out" else [""]
    plans: list[TrainPlan] = []
    for m, p, a, s in combos:
        if not m.name.startswith("smp:"):
            MODELS.resolve(m.name)
        build_policy(p, suite.preprocess.crop)  # a bad policy fails here, at validate time
        check_hyperparameters(a.name, a.kwargs)  # and so does an unknown algorithm or hyperparameter
        plans += [TrainPlan(m, p, s, h, algorithm=a) for h in held]
    unique = {digest_json([x.model.model_dump(), x.policy.model_dump(), x.seed, x.heldout,
                           x.algorithm.model_dump()]): x for x in plans}
    return list(unique.values())


def training_config(suite: Suite, plan: TrainPlan, data_digest: str, precision: str) -> dict:
    """Everything that changes a training's weights or its selected checkpoints (precision as resolved)."""
    policy = build_policy(plan.policy, suite.preprocess.crop)
    training = suite.training.model_dump(exclude=NOT_IDENTITY)
    training["precision"] = precision
    training["selection"]["snapshots"] = "oracle" in training["selection"].pop("rules")
    training["selection"].pop("oracle_fraction")
    return {"model": plan.model.model_dump(exclude={"label"}),
            "policy": {"name": plan.policy.name, "describe": policy.describe()},
            "seed": plan.seed, "training": training, "preprocess": suite.preprocess.model_dump(),
            "protocol": suite.protocol.model_dump(), "heldout": plan.heldout, "data": data_digest,
            "format": [TRAIN_FORMAT, CACHE_VERSION],
            # added after 0.1: in the identity unless erm at its defaults, so that earlier trainings keep their ids
            **({} if plan.algorithm.name == "erm" and not plan.algorithm.kwargs
               else {"algorithm": plan.algorithm.model_dump(exclude={"label"})})}


def with_id(plan: TrainPlan, config: dict) -> TrainPlan:
    """The plan with its content id and resolved config."""
    return TrainPlan(plan.model, plan.policy, plan.seed, plan.heldout, digest_json(config), config, plan.algorithm)


SHIFT_SETTINGS = {"shifts", "severities", "shift_seed", "shift_reference", "write_shifted"}


def eval_plan(train: TrainPlan, dataset: str, part: str, rule: str, cases_digest: str, suite: Suite,
              precision: str, shift: str = "") -> EvalPlan:
    """An evaluation with its content id (shift settings enter only a shifted evaluation's id)."""
    ev = suite.evaluation
    # settings added after 0.1 enter the id only when set, so that earlier evaluations keep theirs
    unset = SHIFT_SETTINGS | ({"temperature_scaling"} if not ev.temperature_scaling else set())
    config = {"train": train.id, "dataset": dataset, "part": part, "rule": rule, "cases": cases_digest,
              "evaluation": ev.model_dump(exclude=unset), "precision": precision, "format": EVAL_FORMAT}
    if shift:
        config["shift"] = {"name": shift, "severities": ev.severities, "seed": ev.shift_seed,
                           "write": ev.write_shifted}
    return EvalPlan(train.id, dataset, part, rule, digest_json(config), config, shift)
