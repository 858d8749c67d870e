"""Test-time views: a window scored as seen from a few nearby viewpoints and mirrored, probabilities averaged.

A model trained with random turns and mirroring should not depend on the exact angle a clip was
turned to, but on one camera's skeletons it does, and the angle of a live skeleton is only known up
to the error of its hip and shoulder lines (worst from the side). Averaging the class probabilities
over the input turned by a few yaw angles about the vertical axis, and over its mirror image (left
and right swapped), removes much of that dependence at the price of one batch of views per window.
A checkpoint asks for it in its meta (``test_views``: ``{"yaw": [degrees, ...], "mirror": bool}``);
training, ``--eval`` and the live recogniser all go through :func:`predict_probs`.

The views act on the network input ``(N, C, T, V, M)`` directly: turning and mirroring are linear
in the coordinates and map bones to bones, so they commute with the bone and motion streams.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import torch
from torch import nn

from core.errors import InputError
from pose.layouts import get_layout

MAX_VIEWS = 16


def parse_views(meta_views: Mapping[str, Any] | None) -> tuple[tuple[float, ...], bool]:
    """``(yaw angles in degrees, mirror)`` from a checkpoint's ``test_views`` (None: the input only)."""
    if not meta_views:
        return (0.0,), False
    wanted = f"test_views must be {{yaw: [degrees, ...], mirror: true|false}} with at most {MAX_VIEWS} views"
    if not isinstance(meta_views, Mapping) or set(meta_views) - {"yaw", "mirror"}:
        raise InputError(f"{wanted}, got {meta_views!r}")
    try:
        yaw = tuple(float(a) for a in meta_views.get("yaw") or (0.0,))
    except (TypeError, ValueError):
        raise InputError(f"{wanted}, got {meta_views!r}") from None
    mirror = meta_views.get("mirror", False)
    if (not isinstance(mirror, bool) or len(yaw) * (2 if mirror else 1) > MAX_VIEWS
            or not all(math.isfinite(a) and abs(a) <= 180 for a in yaw)):
        raise InputError(f"{wanted} and yaw angles within +-180, got {meta_views!r}")
    return yaw, mirror


def expand(x: torch.Tensor, layout: str, yaw: tuple[float, ...], mirror: bool) -> torch.Tensor:
    """``x`` (N, 3, T, V, M) -> (N * views, 3, T, V, M), the views of each sample next to each other."""
    views = []
    flip = torch.as_tensor(get_layout(layout).flip_permutation, device=x.device)
    for degrees in yaw:
        a = math.radians(degrees)
        c, s = math.cos(a), math.sin(a)
        turned = torch.stack([c * x[:, 0] + s * x[:, 2], x[:, 1], -s * x[:, 0] + c * x[:, 2]], dim=1)
        views.append(turned)
        if mirror:
            mirrored = turned[:, :, :, flip].clone()
            mirrored[:, 0] = -mirrored[:, 0]
            views.append(mirrored)
    return torch.stack(views, dim=1).flatten(0, 1)


@torch.no_grad()
def predict_probs(model: nn.Module, x: torch.Tensor, layout: str, meta_views: Mapping[str, Any] | None) -> torch.Tensor:
    """Class probabilities (N, classes) of ``x``, averaged over the checkpoint's test views."""
    yaw, mirror = parse_views(meta_views)
    if yaw == (0.0,) and not mirror:
        return torch.softmax(model(x).float(), dim=1)
    count = len(yaw) * (2 if mirror else 1)
    probs = torch.softmax(model(expand(x, layout, yaw, mirror)).float(), dim=1)
    return probs.view(x.shape[0], count, -1).mean(dim=1)
