"""Numerical precision of training and inference: bf16 autocast where the device runs it natively, fp32 elsewhere.

bf16 keeps float32's exponent range, so no loss scaling is needed; float16 is not offered.
"""
from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from .errors import CmrbenchError

if TYPE_CHECKING:
    import torch

PRECISIONS = ("auto", "fp32", "bf16")


def _probe(module: Any, name: str) -> bool:
    """A torch capability check that may be missing, or fail, in this build: False then."""
    fn = getattr(module, name, None)
    try:
        return bool(fn()) if callable(fn) else False
    except Exception:  # noqa: BLE001  (old builds raise instead of answering)
        return False


def cpu_has_native_bf16() -> bool:
    """True when this CPU computes bf16 in hardware (AVX512-BF16 or AMX)."""
    import torch

    return any(_probe(torch.cpu, name) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))


def cuda_bf16(native: bool) -> bool:
    """True when the current CUDA device runs bf16 (natively, or at all when `native` is False)."""
    import torch

    if not torch.cuda.is_available():
        return False
    try:
        if "including_emulation" in inspect.signature(torch.cuda.is_bf16_supported).parameters:
            return bool(torch.cuda.is_bf16_supported(including_emulation=not native))
        return bool(torch.cuda.is_bf16_supported())
    except Exception:  # noqa: BLE001
        return False


def resolve_precision(name: str, device: torch.device | str) -> torch.dtype | None:
    """The autocast dtype for a suite's `precision` on `device`; None means plain float32."""
    import torch

    device = torch.device(device)
    if name not in PRECISIONS:
        raise CmrbenchError(f"precision {name!r}: expected one of {', '.join(PRECISIONS)}")
    if name == "fp32":
        return None
    if device.type == "cpu":
        return torch.bfloat16 if name == "bf16" or cpu_has_native_bf16() else None
    if device.type == "cuda":
        if cuda_bf16(native=name == "auto"):
            return torch.bfloat16
        if name == "auto":
            return None
        raise CmrbenchError("precision bf16: this CUDA device cannot run bfloat16 (use precision fp32 or auto)")
    if name == "auto":
        return None
    if not _autocast_available(device.type):
        raise CmrbenchError(f"precision bf16: no autocast on device {device.type!r} (use precision fp32 or auto)")
    return torch.bfloat16


def _autocast_available(device_type: str) -> bool:
    """Whether torch.autocast accepts this device type."""
    import torch

    check = getattr(torch.amp, "is_autocast_available", None)
    return bool(check(device_type)) if callable(check) else device_type in ("cpu", "cuda")


def autocast(device: torch.device | str, dtype: torch.dtype | None) -> Any:
    """A torch.autocast context for `device`, enabled only when dtype is not None."""
    import torch

    device = torch.device(device)
    if dtype is None:
        return torch.autocast(device.type, enabled=False)
    return torch.autocast(device.type, dtype=dtype)


def describe_precision(dtype: torch.dtype | None) -> str:
    """The short name recorded with results: bf16, fp16 or fp32."""
    import torch

    return {None: "fp32", torch.float32: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}.get(dtype, str(dtype))


def uses_channels_last(device: torch.device) -> bool:
    """NHWC for convolutions: faster on CUDA, and through oneDNN on CPUs (measured here: float32 1.2-1.4x,
    bf16 1.3-1.6x over NCHW; benchmarks/train_speed.py)."""
    return device.type in ("cuda", "cpu")
