"""Inference with the study's test pipeline: resample, centre crop/pad, normalise, predict, bilinear
upsampling of the class probabilities back to the original grid, argmax."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .precision import autocast
from .preprocess import Prepared, crop_or_pad


@torch.no_grad()
def predict_probabilities(model: torch.nn.Module, slices: np.ndarray, device: torch.device, tta_flip: bool = False,
                          chunk: int = 16, precision: torch.dtype | None = None,
                          members: list[list[torch.Tensor]] | None = None) -> torch.Tensor:
    """Float32 softmax probabilities [N, C, H, W] for slices [N, H, W] (optionally averaged with flipped copies);
    the network runs under autocast to `precision` (None: float32). With TTA, `members` (three lists) receives
    each copy's probabilities, chunk by chunk."""
    model.eval()

    def probs(x: torch.Tensor) -> torch.Tensor:
        with autocast(device, precision):
            logits = model(x)
        return torch.softmax(logits.float(), 1)

    out = []
    for start in range(0, len(slices), chunk):
        x = torch.from_numpy(np.ascontiguousarray(slices[start:start + chunk])).unsqueeze(1).to(device)
        p = probs(x)
        if tta_flip:
            copies = [p] + [probs(x.flip(dims)).flip(dims) for dims in ((-1,), (-2,))]
            if members is not None:
                for store, copy in zip(members, copies):
                    store.append(copy.cpu())
            p = sum(copies[1:], copies[0]) / 3
        out.append(p.cpu())
    return torch.cat(out)


@dataclass
class CaseOutput:
    """A case's prediction on its original grid: labels [X, Y, Z], probabilities [C, X, Y, Z] and, with flip TTA,
    each copy's labels."""

    label: np.ndarray
    probs: np.ndarray
    members: list[np.ndarray] | None = None


def predict_case(model: torch.nn.Module, prepared: Prepared, crop: int, device: torch.device,
                 tta_flip: bool = False, precision: torch.dtype | None = None) -> np.ndarray:
    """A canonical label map [X, Y, Z] on the case's original grid."""
    return predict_case_output(model, prepared, crop, device, tta_flip, precision).label


def predict_case_output(model: torch.nn.Module, prepared: Prepared, crop: int, device: torch.device,
                        tta_flip: bool = False, precision: torch.dtype | None = None) -> CaseOutput:
    """Labels, probabilities and (with TTA) each copy's labels of one case, on its original grid."""
    img = prepared.image  # [X', Y', Z], resampled and normalised
    zs = img.shape[2]
    slices = np.stack([crop_or_pad(img[..., z], (crop, crop), value=float(img[..., z].min())) for z in range(zs)])
    members: list[list[torch.Tensor]] | None = [[], [], []] if tta_flip else None
    probs = predict_probabilities(model, slices, device, tta_flip, precision=precision, members=members)
    full = _on_original_grid(probs, prepared)  # [Z, C, X, Y]
    copies = [_on_original_grid(torch.cat(m), prepared).argmax(1).numpy().astype(np.uint8).transpose(1, 2, 0)
              for m in members] if members else None
    return CaseOutput(full.argmax(1).numpy().astype(np.uint8).transpose(1, 2, 0),
                      full.numpy().astype(np.float32).transpose(1, 2, 3, 0), copies)


def _on_original_grid(probs: torch.Tensor, prepared: Prepared) -> torch.Tensor:
    """Slice probabilities [Z, C, crop, crop] placed back on the case's original grid [Z, C, X, Y]."""
    xs, ys, zs = prepared.image.shape
    # undo the crop/pad: outside the crop is background
    full = torch.zeros(zs, probs.shape[1], xs, ys)
    full[:, 0] = 1.0
    placed_np = np.stack([crop_or_pad(np.moveaxis(probs[z].numpy(), 0, -1), (xs, ys), value=np.nan)
                          for z in range(zs)])
    placed = torch.from_numpy(np.moveaxis(placed_np, -1, 1))
    mask = ~torch.isnan(placed[:, :1])
    full = torch.where(mask.expand_as(full), torch.nan_to_num(placed), full)
    ox, oy, _ = prepared.original_shape
    if (ox, oy) != (xs, ys):
        full = F.interpolate(full, size=(ox, oy), mode="bilinear", align_corners=False)
    return full


def save_label(label: np.ndarray, like_affine: np.ndarray, like_header, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Write a label map as NIfTI with the source image's geometry."""
    import nibabel as nib

    path.parent.mkdir(parents=True, exist_ok=True)
    header = like_header.copy()
    header.set_data_dtype(np.uint8)
    img = nib.Nifti1Image(label.astype(np.uint8), like_affine, header)
    img.header.set_zooms(like_header.get_zooms()[:3])
    nib.save(img, str(path))
