"""Skeleton action models: the backbones by name, their checkpoints, and (in submodules) data,
preprocessing, training with the STD-CL head, evaluation and export."""
from model.checkpoint import load_checkpoint, save_checkpoint
from model.registry import available_models, build_model

__all__ = ["available_models", "build_model", "load_checkpoint", "save_checkpoint"]
