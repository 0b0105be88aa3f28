"""`smp:<arch>:<encoder>`: any segmentation-models-pytorch architecture and encoder (timm via `tu-`).

segmentation_models_pytorch is imported only when such a model is built (it takes seconds to import).
Encoder weights are off by default and never downloaded: `encoder_weights_path` loads a local file.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmark.errors import CmrbenchError
from benchmark.models import MODELS

from .common import PadToMultiple


def smp_factory(spec: str):  # type: ignore[no-untyped-def]
    """The factory behind 'smp:ARCH:ENCODER'."""
    arch, _, encoder = spec.partition(":")
    if not arch or not encoder:
        raise CmrbenchError(f"model 'smp:{spec}': expected smp:<arch>:<encoder>, e.g. smp:unet:resnet34")

    def build(in_channels: int = 1, num_classes: int = 4, encoder_weights: str | None = None,
              encoder_weights_path: str | None = None, **kwargs: Any):
        import segmentation_models_pytorch as smp
        import torch

        if encoder_weights is not None:
            raise CmrbenchError(
                f"model 'smp:{spec}': encoder_weights='{encoder_weights}' would download weights, and cmrbench "
                "never downloads at run time; save the encoder's state dict to a file and pass "
                "encoder_weights_path=FILE instead")
        archs = sorted(getattr(smp, "MODEL_ARCHITECTURES_MAPPING", {}))
        if archs and arch.lower() not in archs:
            raise CmrbenchError(f"model 'smp:{spec}': unknown architecture '{arch}' (known: {', '.join(archs)})")
        try:
            net = smp.create_model(arch, encoder_name=encoder, encoder_weights=None, in_channels=in_channels,
                                   classes=num_classes, **kwargs)
        except (KeyError, ValueError, RuntimeError) as exc:
            raise CmrbenchError(f"model 'smp:{spec}': {exc}") from None
        if encoder_weights_path is not None:
            path = Path(encoder_weights_path)
            if not path.is_file():
                raise CmrbenchError(f"model 'smp:{spec}': encoder weights file {path} does not exist")
            state = torch.load(path, map_location="cpu", weights_only=True)
            net.encoder.load_state_dict(state)
        depth = kwargs.get("encoder_depth", 5)
        return PadToMultiple(net, 2**depth)

    return build


MODELS.add_namespace("smp", smp_factory, pattern="<arch>:<encoder>",
                     note="segmentation-models-pytorch; timm encoders via tu-<name>")
