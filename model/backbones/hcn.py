"""HCN (Li et al., IJCAI 2018): hierarchical co-occurrence network.

Two streams, positions and their frame differences (motion, linearly resampled back to T frames),
each: conv1 1x1 (64) + ReLU, conv2 3x1 over time (32); then the joints are moved to the channel
axis so that conv3 3x3 (32) + max-pool and conv4 3x3 (64) + dropout + max-pool aggregate
co-occurrences of all joints. The streams are concatenated; conv5 3x3 (128) and conv6 3x3 (256),
each with ReLU, dropout and 2x2 max-pool. Persons are encoded separately and merged by an
element-wise maximum; fc7 (512) + ReLU + dropout, fc8 to the classes. Dropout 0.5; Xavier-uniform
initialisation with zero biases, as in the reference code. The persons run as one batch (the
reference loops over them), and fc7's dropout is element-wise (the reference's channel dropout
on a 2-D tensor drops whole samples in current PyTorch).

Feature map for STD-CL: the conv6 output (N*M, 256, T/16, 2). After conv2 the joint axis became
the channel axis, so the last axis of the final map is conv2's 32 point-level feature channels
max-pooled four times (32 / 16 = 2): it plays the spatial (joint) role, the third axis is time.
The classifier flattens that map, so the window length is fixed at construction (``window``,
a multiple of 16).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from model.backbones.base import Backbone, person_batches

POINT_CHANNELS = 32  # conv2 output: becomes the spatial axis of the global stage


def _stream(in_channels: int, num_joints: int, dropout: float) -> nn.ModuleDict:
    """conv1-conv4 of one stream: point-level, then co-occurrence (joints as channels)."""
    return nn.ModuleDict({
        "point": nn.Sequential(nn.Conv2d(in_channels, 64, 1), nn.ReLU(),
                               nn.Conv2d(64, POINT_CHANNELS, (3, 1), padding=(1, 0))),
        "cooccurrence": nn.Sequential(nn.Conv2d(num_joints, 32, 3, padding=1), nn.MaxPool2d(2),
                                      nn.Conv2d(32, 64, 3, padding=1), nn.Dropout2d(dropout), nn.MaxPool2d(2)),
    })


def _run_stream(stream: nn.ModuleDict, x: torch.Tensor) -> torch.Tensor:
    y = stream["point"](x)  # (B, 32, T, V)
    return stream["cooccurrence"](y.permute(0, 3, 2, 1))  # joints as channels: (B, V, T, 32)


class HCN(Backbone):
    """Hierarchical co-occurrence network for windows of ``window`` frames."""

    prefers_channels_last = True

    def __init__(self, num_classes: int, layout: str = "ntu25", num_person: int = 2, in_channels: int = 3,
                 window: int = 64, dropout: float = 0.5) -> None:
        super().__init__(num_classes, layout, num_person, in_channels)
        if window < 16 or window % 16:
            raise ValueError(f"HCN needs a window that is a multiple of 16 frames, got {window}")
        self.window = window
        self.position = _stream(in_channels, self.num_joints, dropout)
        self.motion = _stream(in_channels, self.num_joints, dropout)
        self.global_convs = nn.Sequential(
            nn.Conv2d(128, 128, 3, padding=1), nn.ReLU(), nn.Dropout2d(dropout), nn.MaxPool2d(2),
            nn.Conv2d(128, 256, 3, padding=1), nn.ReLU(), nn.Dropout2d(dropout), nn.MaxPool2d(2),
        )
        self.fc7 = nn.Sequential(nn.Linear(256 * (window // 16) * (POINT_CHANNELS // 16), 512), nn.ReLU(),
                                 nn.Dropout(dropout))
        self.fc8 = nn.Linear(512, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.constant_(m.bias, 0.0)

    def check_input(self, x: torch.Tensor) -> None:
        super().check_input(x)
        if x.shape[2] != self.window:
            raise ValueError(f"HCN was built for {self.window}-frame windows, got {x.shape[2]} frames")

    def features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        x = person_batches(x)  # (N*M, C, T, V)
        motion = F.interpolate(x[:, :, 1:] - x[:, :, :-1], size=x.shape[2:], mode="bilinear", align_corners=False)
        y = torch.cat([_run_stream(self.position, x), _run_stream(self.motion, motion)], dim=1)
        return self.global_convs(y)

    def classify(self, features: torch.Tensor, num_person: int) -> torch.Tensor:
        nm = features.shape[0]
        merged = features.reshape(nm // num_person, num_person, -1).amax(dim=1)
        return self.fc8(self.fc7(merged))
