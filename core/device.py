"""Pick the torch device from a user's choice: ``auto`` means CUDA when present, else CPU."""
from __future__ import annotations

import torch

from core.errors import InputError


def resolve_device(choice: str = "auto") -> torch.device:
    """Return the torch device for ``auto``, ``cpu``, ``cuda`` or ``cuda:N``."""
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice.startswith("cuda") and not torch.cuda.is_available():
        raise InputError("--device cuda was asked for but no CUDA GPU is available (use --device cpu)")
    try:
        return torch.device(choice)
    except RuntimeError:
        raise InputError(f"unknown device {choice!r}; use auto, cpu or cuda") from None
