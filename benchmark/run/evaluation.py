"""Evaluations of one training: which cases each scores, which checkpoint each selection rule takes, scoring."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..atomic import write_csv_atomic, write_text_atomic
from ..console import console, track
from ..evaluate import error_row, score_case_rows
from ..results import CALIBRATION_COLUMNS, CASE_COLUMNS, ERROR_COLUMNS, EXPECTED_COLUMNS, META_COLUMNS
from .datasets import RunData
from .jobs import EvalPlan, TrainPlan, build_policy, model_label, preprocess_for
from .store import JobDir

UNCERTAINTY_COLUMNS = ["uncertainty", "tta_disagreement"]  # per case: mean predictive entropy, flip-TTA disagreement
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: object) -> str:
    """A file name from a subject or data set name: never a path, never hidden."""
    name = _UNSAFE.sub("_", str(text)).strip("._") or "_"
    return name[:120]


def prediction_path(folder: Path, row: pd.Series) -> Path:
    """FOLDER/<dataset>/<subject>_<phase>.nii.gz from sanitised names, checked to lie inside FOLDER."""
    path = folder / safe_name(row["dataset"]) / f"{safe_name(row['subject'])}_{safe_name(row['phase'])}.nii.gz"
    if not path.resolve().is_relative_to(folder.resolve()):
        raise ValueError(f"prediction path {path} would leave {folder}")
    return path


def eval_rows(data: RunData, plan: TrainPlan, ev: EvalPlan, part: str | None = None) -> pd.DataFrame:
    """The labelled cases of an evaluation (or of its `part`, e.g. a target's oracle_val)."""
    df = data.frame(ev.dataset)
    part = part or ev.part
    if ev.dataset in data.sources:
        domain = df["dataset"] if data.domain_by == "dataset" else df[data.domain_by].astype(str)
        keep = (domain == plan.heldout) if part == "heldout" else (df["split"] == part) & (domain != plan.heldout)
    else:
        keep = pd.Series(True, index=df.index) if part == "all" else df["split"] == part
    out = df[keep & (df["label"] != "")]
    out.attrs.update(df.attrs)
    return out


def _weights(jd: JobDir, rule: str, snapshot: Path | None) -> dict:
    import torch

    if rule == "oracle":
        assert snapshot is not None
        return torch.load(snapshot, map_location="cpu", weights_only=True)["model"]
    name = "best.pt" if rule == "source_val" else "last.pt"
    return torch.load(jd.path / name, map_location="cpu", weights_only=True)["model"]


class Scorer:
    """Predicts and scores cases of one training with whatever weights are loaded into its model."""

    def __init__(self, plan: TrainPlan, ctx: Any, device_name: str) -> None:
        import torch

        from ..algorithms import create_algorithm
        from ..losses import create_loss
        from ..models import create_model
        from ..preprocess import PreparedStore

        suite = ctx.suite
        self.plan, self.suite = plan, suite
        self.device = torch.device(device_name)
        self.precision = torch.bfloat16 if ctx.precision == "bf16" else None
        self.model = create_model(plan.model.name, **plan.model.kwargs).to(self.device)
        # predictions go through the algorithm's predict (plain inference for the built-ins)
        self.predictor = create_algorithm(plan.algorithm.name, self.model, create_loss(suite.training.loss),
                                          **plan.algorithm.kwargs)
        policy = build_policy(plan.policy, suite.preprocess.crop)
        self.store = PreparedStore(ctx.cache / "prepared", preprocess_for(suite, policy))
        self.job = {"job": plan.id, "model": model_label(plan.model), "policy": plan.policy.name, "seed": plan.seed}
        self.temperature: float | None = None  # fitted on the source validation split, when asked
        self.calibration: list[dict] = []  # bin sums of the cases scored since the last take_calibration()

    def load(self, state: dict) -> None:
        """Load a checkpoint's weights."""
        self.model.load_state_dict(state)

    def predict(self, prepared: Any) -> Any:
        """Labels, probabilities and flip-TTA copies of one prepared case with the loaded weights."""
        from ..infer import predict_case_output

        return predict_case_output(self.predictor, prepared, self.suite.preprocess.crop, self.device,
                                   self.suite.evaluation.tta_flip, precision=self.precision)

    def assess(self, row: pd.Series, reference: Any, prepared: Any) -> tuple[list[dict], np.ndarray]:
        """One case: its cases.csv rows (with uncertainty and flip-TTA disagreement) and its label map; its
        calibration bin sums (raw, and after the fitted temperature) are kept in self.calibration."""
        from ..labels import parse_present
        from ..robustness import calibration as cal

        out = self.predict(prepared)
        scored = score_case_rows(self.job, row, reference, out.label)
        heart = out.label > 0
        extra = {"uncertainty": cal.predictive_entropy(out.probs, out.label),
                 "tta_disagreement": cal.flip_disagreement(out.members, heart) if out.members else np.nan}
        present = set(parse_present(row.get("labels_present", "")) or ("LV", "MYO", "RV"))
        key = {"dataset": row["dataset"], "subject": row["subject"], "phase": row["phase"]}
        versions = [("1", out.probs)] + ([("fitted", cal.apply_temperature(out.probs, self.temperature))]
                                         if self.temperature is not None else [])
        for name, probs in versions:
            self.calibration += [{**key, "temperature": name, **r}
                                 for r in cal.calibration_rows(probs, reference.label, reference.spacing)
                                 if r["structure"] in present]
        return [{**r, **extra} for r in scored], out.label

    def take_calibration(self) -> list[dict]:
        """The calibration rows gathered so far, handed over once."""
        rows, self.calibration = self.calibration, []
        return rows

    def score(self, rows: pd.DataFrame, save: Path | None = None, label: str = "") -> tuple[list[dict], list[dict]]:
        """cases.csv rows and errors.csv rows of these cases (a case that cannot be read is an error row)."""
        from ..data.isolate import case_problem, image_file
        from ..data.loader import load_case
        from ..infer import save_label

        cases, errors = [], []
        root = rows.attrs["root"]
        for _, row in track(list(rows.iterrows()), label or "evaluating"):
            if not self.store.path(row).is_file():
                continue  # could not be prepared: recorded once under job 'data', counted as expected
            try:  # whatever fails in one case is that case's error row; the others go on
                reference = load_case(row, root)
                scored, pred = self.assess(row, reference, self.store.load(row))
                if save is not None:
                    save_label(pred, reference.affine, reference.header, prediction_path(save, row))
            except Exception as exc:
                errors.append(error_row(self.plan.id, case_problem(exc, Path(root) / image_file(row), row)))
                continue
            cases += scored
        return cases, errors


def _oracle_snapshot(scorer: Scorer, jd: JobDir, rows: pd.DataFrame) -> tuple[Path, float]:
    """The snapshot with the best mean Dice on a target's labelled validation part (an upper bound)."""
    import torch

    snaps = sorted((jd.path / "snapshots").glob("step_*.pt"))
    if not snaps:
        raise RuntimeError(f"{jd.path}: no snapshots for oracle selection (trained without the oracle rule)")
    best, best_dice = snaps[-1], -1.0
    for snap in snaps:
        scorer.load(torch.load(snap, map_location="cpu", weights_only=True)["model"])
        cases, _ = scorer.score(rows, label=f"oracle selection {snap.stem}")
        dice = float(np.mean([c["dice"] for c in cases])) if cases else -1.0
        if dice > best_dice:
            best, best_dice = snap, dice
    return best, best_dice


def expected_rows(plan: TrainPlan, rows: pd.DataFrame, rule: str, part: str) -> list[dict]:
    """Every case an evaluation should score under a selection rule: counted even when it cannot be scored."""
    return [{"job": plan.id, **{c: r.get(c, "") for c in EXPECTED_COLUMNS[1:]}, "selection": rule, "part": part}
            for r in rows.to_dict("records")]


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    write_csv_atomic(frame, path, index=False, float_format="%.6g")


def evaluate_training(plan: TrainPlan, evals: list[EvalPlan], ctx: Any, jd: JobDir, device_name: str) -> None:
    """Run each pending evaluation of a trained model and mark it done."""
    scorer = Scorer(plan, ctx, device_name)
    chosen: dict[str, tuple[Path, float]] = {}
    temperatures: dict[str, float] = {}
    columns = [*dict.fromkeys([*CASE_COLUMNS, *META_COLUMNS, *UNCERTAINTY_COLUMNS, "selection", "part"])]
    for ev in evals:
        folder = jd.eval_dir(ev.id)
        folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(folder / "config.json", json.dumps(ev.config, indent=1, sort_keys=True))
        rows = eval_rows(ctx.data, plan, ev)
        info: dict[str, Any] = {"rule": ev.rule}
        snapshot = None
        if ev.rule == "oracle":
            if ev.dataset not in chosen:
                chosen[ev.dataset] = _oracle_snapshot(scorer, jd, eval_rows(ctx.data, plan, ev, "oracle_val"))
            snapshot, info["oracle_val_dice"] = chosen[ev.dataset]
            info["checkpoint"] = snapshot.name
        scorer.load(_weights(jd, ev.rule, snapshot))
        scorer.temperature = _temperature(scorer, plan, ctx, ev.rule, temperatures, info)
        scorer.take_calibration()  # what oracle selection or fitting scored is not this evaluation's
        cases, errors, extra = _score(scorer, ev, rows, folder, ctx.suite, plan.method)
        scored = [c for c in columns if c not in ("selection", "part")] + extra
        frame = pd.DataFrame(cases, columns=scored).assign(selection=ev.rule, part=ev.part)
        _write_csv(frame[columns + extra], folder / "cases.csv")
        _write_csv(pd.DataFrame(errors, columns=ERROR_COLUMNS), folder / "errors.csv")
        calibration = pd.DataFrame(scorer.take_calibration()).assign(job=plan.id, selection=ev.rule)
        if "shift" not in calibration:
            calibration = calibration.assign(shift="", severity=0)
        write_csv_atomic(calibration.reindex(columns=CALIBRATION_COLUMNS), folder / "calibration.csv", index=False,
                         float_format="%.10g")
        _write_csv(pd.DataFrame(expected_rows(plan, rows, ev.rule, ev.part),
                                columns=[*EXPECTED_COLUMNS, "selection", "part"]), folder / "expected.csv")
        write_text_atomic(folder / "info.json", json.dumps(info, indent=1))
        write_text_atomic(folder / "done", "ok\n")
        under = f", {ev.shift} at severities {ctx.suite.evaluation.severities}" if ev.shift else ""
        console.print(f"evaluated {plan.method} seed {plan.seed} on {ev.dataset} ({ev.part}, {ev.rule}{under}): "
                      f"{frame[['subject', 'phase']].drop_duplicates().shape[0]} of {len(rows)} case(s) scored")


def _temperature(scorer: Scorer, plan: TrainPlan, ctx: Any, rule: str, fitted: dict[str, float],
                 info: dict[str, Any]) -> float | None:
    """With evaluation.temperature_scaling: the temperature of the loaded weights, fitted once per selection rule
    on the source validation split (voxels of the reference heart's box), recorded in info.json."""
    if not ctx.suite.evaluation.temperature_scaling or rule == "oracle":
        return None
    if rule not in fitted:
        from .temperature import fit_on_source_val

        fitted[rule] = fit_on_source_val(scorer, plan, ctx)
    info["temperature"] = fitted[rule]
    return fitted[rule]


def _score(scorer: Scorer, ev: EvalPlan, rows: pd.DataFrame, folder: Path, suite: Any,
           method: str) -> tuple[list[dict], list[dict], list[str]]:
    """Score the cases as they are, or under the evaluation's shift; the extra columns the rows carry."""
    label = f"evaluating {method} on {ev.dataset} ({ev.rule}{', ' + ev.shift if ev.shift else ''})"
    if ev.shift:
        from .shifted import SHIFT_COLUMNS, score_shifted

        ec = suite.evaluation
        write = folder / "shifted" if ec.write_shifted else None
        return (*score_shifted(scorer, rows, ev.shift, ec.severities, ec.shift_seed, write, label), SHIFT_COLUMNS)
    save = folder / "predictions" if suite.save_predictions else None
    return (*scorer.score(rows, save, label), [])
