"""Backbones by name: ``build_model`` and ``available_models``, with the user's mistakes (unknown
name, layout or argument) reported as InputError."""
from __future__ import annotations

import inspect
from typing import Any

from core.errors import InputError
from model.backbones.agcn import AGCN
from model.backbones.base import Backbone
from model.backbones.ctrgcn import CTRGCN
from model.backbones.hcn import HCN
from model.backbones.hyperformer import Hyperformer
from pose.layouts import LAYOUTS

BACKBONES: dict[str, type[Backbone]] = {"hcn": HCN, "agcn": AGCN, "ctrgcn": CTRGCN, "hyperformer": Hyperformer}
_COMMON = ("num_classes", "layout", "num_person", "in_channels")


def available_models() -> list[str]:
    """Names accepted by :func:`build_model`."""
    return list(BACKBONES)


def backbone_options(name: str) -> dict[str, Any]:
    """The backbone-specific keyword arguments of ``name`` and their defaults."""
    cls = _backbone_class(name)
    params = inspect.signature(cls.__init__).parameters
    return {p: v.default for p, v in params.items() if p not in ("self",) + _COMMON}


def _backbone_class(name: str) -> type[Backbone]:
    try:
        return BACKBONES[name]
    except KeyError:
        raise InputError(f"unknown model {name!r}; known: {', '.join(BACKBONES)}") from None


def build_model(name: str, num_classes: int, layout: str = "ntu25", num_person: int = 2, in_channels: int = 3,
                **kwargs: Any) -> Backbone:
    """Build backbone ``name`` for ``num_classes`` classes on joint ``layout``; ``kwargs`` are the
    backbone's own options (see :func:`backbone_options`). The model remembers its full arguments
    in ``backbone_name`` and ``backbone_args`` (used by the checkpoint)."""
    cls = _backbone_class(name)
    options = backbone_options(name)
    unknown = sorted(set(kwargs) - set(options))
    if unknown:
        raise InputError(f"unknown option {unknown[0]!r} for model {name}; "
                         f"accepted: {', '.join(options) or 'none'}")
    if layout not in LAYOUTS:
        raise InputError(f"unknown joint layout {layout!r} for model {name}; known: {', '.join(LAYOUTS)}")
    for field, value in (("num_classes", num_classes), ("num_person", num_person), ("in_channels", in_channels)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"model {field} must be a positive integer, got {value!r}")
    args = {**options, **kwargs}
    try:
        model = cls(num_classes, layout=layout, num_person=num_person, in_channels=in_channels, **args)
    except ValueError as err:
        raise InputError(f"model {name}: {err}") from None
    model.backbone_name = name
    model.backbone_args = args
    return model
