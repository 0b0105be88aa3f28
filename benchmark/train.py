"""Training with the study's recipe: SGD, step decay, cross-entropy, model selection by validation mean IoU.

The trainer owns data, seeds, the learning-rate schedule, checkpoints and selection; how a batch updates the
model is the algorithm's (benchmark/algorithms; erm is the study's training).

Every step draws its batch and augmentation from generators seeded by (seed, step), so a run resumed
from its last checkpoint replays exactly the steps an uninterrupted run would have taken.
"""
from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .atomic import temporary_name
from .augment import Policy
from .errors import CmrbenchError
from .losses import create_loss
from .precision import autocast, describe_precision, resolve_precision, uses_channels_last
from .slices import SliceSet
from .suite import Training


@dataclass
class TrainResult:
    """Where training ended and what it selected."""

    steps: int
    best_step: int
    best_metric: float
    seconds: float
    first_step_unix: float | None = None  # when this process finished its first step (None: nothing left to do)


def step_seed(seed: int, step: int, stream: int) -> int:
    """A distinct, reproducible seed per (job seed, step, purpose)."""
    return (seed * 1_000_003 + step * 7_919 + stream * 104_729) % (2**63 - 1)


def learning_rate(cfg: Training, step: int, steps_per_epoch: int) -> float:
    """Step decay: lr x gamma^(completed decay periods)."""
    period = max(1, int(round(cfg.schedule.step_epochs * steps_per_epoch)))
    return cfg.optimizer.lr * cfg.schedule.gamma ** (step // period)


def total_steps(cfg: Training, steps_per_epoch: int) -> int:
    """Iterations, or epochs converted to steps."""
    if cfg.iterations is not None:
        return int(cfg.iterations)
    assert cfg.epochs is not None  # Training requires exactly one of epochs, iterations
    return max(1, math.ceil(cfg.epochs * steps_per_epoch))


def mean_iou(pred: torch.Tensor, ref: torch.Tensor, classes: int = 4) -> tuple[float, float]:
    """Mean IoU and mean Dice over the foreground classes, pooled over all pixels given."""
    ious, dices = [], []
    for c in range(1, classes):
        p, r = pred == c, ref == c
        inter, union = (p & r).sum().item(), (p | r).sum().item()
        total = p.sum().item() + r.sum().item()
        if union:
            ious.append(inter / union)
            dices.append(2 * inter / total)
    return (float(np.mean(ious)) if ious else float("nan"), float(np.mean(dices)) if dices else float("nan"))


def make_optimizer(cfg: Training, model: torch.nn.Module) -> torch.optim.Optimizer:
    """SGD with momentum (the study) or Adam."""
    o = cfg.optimizer
    if o.name == "adam":
        return torch.optim.Adam(model.parameters(), lr=o.lr, weight_decay=o.weight_decay)
    return torch.optim.SGD(model.parameters(), lr=o.lr, momentum=o.momentum, weight_decay=o.weight_decay)


class Trainer:
    """Trains one job's model; checkpoints to `folder` (last.pt for resuming, best.pt for inference).

    `precision` ("bf16"/"fp32") and `amp_dtype` (torch.bfloat16 or None) say what cfg.precision resolved to;
    `algorithm` is a registered algorithm's name and hyperparameters.
    """

    def __init__(self, model: torch.nn.Module, policy: Policy, cfg: Training, train: SliceSet, val: SliceSet,
                 folder: Path, seed: int, device: torch.device, best_meta: dict,
                 algorithm: tuple[str, dict] = ("erm", {})) -> None:
        from .algorithms import create_algorithm

        self.model, self.policy, self.cfg = model.to(device), policy, cfg
        self.train_set, self.val_set = train, val
        self.folder, self.seed, self.device, self.best_meta = folder, seed, device, best_meta
        self.channels_last = uses_channels_last(device)
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        # the compiled wrapper shares the parameters; state_dicts are always taken from self.model (no prefix)
        self.net: Callable[[torch.Tensor], torch.Tensor] = torch.compile(self.model) if cfg.compile else self.model
        self.opt = make_optimizer(cfg, self.model)
        self.steps_per_epoch = max(1, math.ceil(len(train) / cfg.batch_size))
        self.total = total_steps(cfg, self.steps_per_epoch)
        self.validate_every = cfg.validate_every or self.steps_per_epoch
        self.amp_dtype = resolve_precision(cfg.precision, device)
        self.precision = describe_precision(self.amp_dtype)
        self.step, self.best_metric, self.best_step = 0, -1.0, -1
        self.loss = create_loss(cfg.loss)
        self.algorithm = create_algorithm(algorithm[0], self.model, self.loss, self.opt, self.amp_dtype,
                                          **algorithm[1])
        self.algorithm.use_network(self.net)
        self.snapshots = "oracle" in cfg.selection.rules

    # ------------------------------------------------------------------------------------ batches
    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The augmented batch of a step: permutation by (seed, epoch), augmentation by (seed, step)."""
        epoch, k = divmod(step, self.steps_per_epoch)
        perm = torch.randperm(len(self.train_set), generator=torch.Generator().manual_seed(
            step_seed(self.seed, epoch, 1)))
        idx = np.sort(perm[k * self.cfg.batch_size:(k + 1) * self.cfg.batch_size].numpy())
        images = torch.from_numpy(np.array(self.train_set.images[idx])).unsqueeze(1).to(self.device)
        labels = torch.from_numpy(np.array(self.train_set.labels[idx])).long().to(self.device)
        return self.policy(images, labels, torch.Generator().manual_seed(step_seed(self.seed, step, 2)))

    def lr(self, step: int) -> float:
        """The learning rate of a step (0-based) under the schedule."""
        return learning_rate(self.cfg, step, self.steps_per_epoch)

    def train_step(self, step: int, images: torch.Tensor, labels: torch.Tensor) -> float:
        """One step of the algorithm at this step's learning rate; returns the loss."""
        for group in self.opt.param_groups:
            group["lr"] = self.lr(step)
        torch.manual_seed(step_seed(self.seed, step, 3))  # dropout and the algorithm's own draws
        self.model.train()
        return self.algorithm.update(images, labels)["loss"]

    # --------------------------------------------------------------------------------- validation
    @torch.no_grad()
    def validate(self) -> tuple[float, float]:
        """Mean IoU and Dice on the validation slices (augmented with a fixed seed if configured)."""
        self.model.eval()
        preds, refs = [], []
        for start in range(0, len(self.val_set), 32):
            images = torch.from_numpy(np.array(self.val_set.images[start:start + 32])).unsqueeze(1)
            labels = torch.from_numpy(np.array(self.val_set.labels[start:start + 32])).long()
            images, labels = images.to(self.device), labels.to(self.device)
            if self.cfg.selection.augment_validation:
                images, labels = self.policy(images, labels, torch.Generator().manual_seed(start))
            if self.channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            with autocast(self.device, self.amp_dtype):
                preds.append(self.algorithm.predict(images).argmax(1).cpu())
            refs.append(labels.cpu())
        if not preds:
            return float("nan"), float("nan")
        return mean_iou(torch.cat(preds), torch.cat(refs))

    # ----------------------------------------------------------------------------- checkpointing
    def _save(self, name: str, payload: dict) -> None:
        target = self.folder / name
        tmp = temporary_name(target)
        torch.save(payload, tmp)
        tmp.replace(target)

    def save_last(self) -> None:
        """Everything needed to resume."""
        self._save("last.pt", {"model": self.model.state_dict(), "optimizer": self.opt.state_dict(),
                               "algorithm": self.algorithm.extra_state(), "precision": self.precision,
                               "step": self.step, "best_metric": self.best_metric, "best_step": self.best_step})

    def resume(self) -> bool:
        """Load last.pt if present; True when resumed."""
        path = self.folder / "last.pt"
        if not path.is_file():
            return False
        try:
            state = torch.load(path, map_location=self.device, weights_only=True)
            self.model.load_state_dict(state["model"])
            self.opt.load_state_dict(state["optimizer"])  # a "scaler" entry (fp16 runs before bf16) is ignored
            self.algorithm.load_extra_state(state.get("algorithm", {}))
            self.step, self.best_metric, self.best_step = state["step"], state["best_metric"], state["best_step"]
        except Exception as exc:  # written atomically by this trainer: a damaged one was changed by hand
            why = " ".join(str(exc).split())[:200]
            raise CmrbenchError(f"{path}: not a resumable checkpoint ({type(exc).__name__}: {why}); delete it to "
                                "train this job from step 0") from None
        return True

    def log(self, **fields: object) -> None:
        """Append one JSON line to log.jsonl."""
        with open(self.folder / "log.jsonl", "a") as fh:
            fh.write(json.dumps(fields) + "\n")

    # ----------------------------------------------------------------------------------- the loop
    def fit(self, progress: Callable[[int, int, float], None] | None = None) -> TrainResult:
        """Train to the end (resuming if a checkpoint exists), selecting the best validation model."""
        start = time.perf_counter()
        if self.resume():
            self.log(event="resumed", step=self.step)
        losses: list[float] = []
        first_step: float | None = None
        while self.step < self.total:
            images, labels = self.batch(self.step)
            losses.append(self.train_step(self.step, images, labels))
            self.step += 1
            first_step = first_step or time.time()
            if progress:
                progress(self.step, self.total, losses[-1])
            at_end = self.step == self.total
            if self.step % self.validate_every == 0 or at_end:
                iou, dice = self.validate()
                metric = iou if self.cfg.selection.metric == "mean_iou" else dice
                improved = not math.isnan(metric) and metric > self.best_metric
                if improved or self.best_step < 0:
                    self.best_metric, self.best_step = (metric if not math.isnan(metric) else -1.0), self.step
                    self._save("best.pt", {**self.best_meta, "model": self.model.state_dict(), "step": self.step,
                                           "val_metric": metric})
                if self.snapshots:  # for oracle selection: the weights at every validation
                    (self.folder / "snapshots").mkdir(exist_ok=True)
                    self._save(f"snapshots/step_{self.step:07d}.pt", {"model": self.model.state_dict(),
                                                                      "step": self.step})
                self.log(step=self.step, loss=float(np.mean(losses)), lr=self.lr(self.step - 1), val_iou=iou,
                         val_dice=dice, best_step=self.best_step)
                losses = []
            if self.step % self.cfg.checkpoint_every == 0 or at_end:
                self.save_last()
        return TrainResult(self.step, self.best_step, self.best_metric, time.perf_counter() - start, first_step)
