"""Skeleton action models: the backbones by name, their checkpoints, and (in submodules) data,
preprocessing, training with the STD-CL head, evaluation and export.

The four functions below are imported on first use: they bring torch, which the submodules the GUI
and the pose tools use at start-up (``model.data.clips``, ``model.user_models``) do not need."""
from importlib import import_module

_HOMES = {"available_models": "model.registry", "build_model": "model.registry",
          "load_checkpoint": "model.checkpoint", "save_checkpoint": "model.checkpoint"}

__all__ = ["available_models", "build_model", "load_checkpoint", "save_checkpoint"]


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'model' has no attribute {name!r}")
