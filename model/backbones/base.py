"""The contract every backbone keeps: input checks, ``features`` / ``classify`` / ``forward``.

A backbone maps a batch of skeleton windows ``x`` of shape ``(N, C, T, V, M)`` to class logits.
It is split in two so that the training-only STD-CL head can read the final feature map:
``features(x) -> (N*M, C', T', V')`` and ``classify(features, num_person) -> (N, num_classes)``.
"""
from __future__ import annotations

import torch
from torch import nn

from pose.layouts import get_layout


class Backbone(nn.Module):
    """Base class of the skeleton encoders; subclasses implement ``features`` and ``classify``."""

    # bfloat16 training on a CPU puts the weights in channels-last order when this is set: oneDNN's
    # NHWC kernels are faster for plain 2-D convolutions (HCN); the graph networks reshape their
    # feature maps and keep the default order
    prefers_channels_last = False

    def __init__(self, num_classes: int, layout: str, num_person: int, in_channels: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.layout = layout
        self.num_joints = get_layout(layout).num_joints
        self.num_person = num_person
        self.in_channels = in_channels

    def check_input(self, x: torch.Tensor) -> None:
        """Raise ValueError naming the mismatch when ``x`` is not (N, in_channels, T, V, num_person)."""
        if x.dim() != 5:
            raise ValueError(f"expected input (N, C, T, V, M), got shape {tuple(x.shape)}")
        _, c, _, v, m = x.shape
        if (c, v, m) != (self.in_channels, self.num_joints, self.num_person):
            raise ValueError(
                f"expected C={self.in_channels}, V={self.num_joints} ({self.layout}), "
                f"M={self.num_person}; got input shape {tuple(x.shape)}")

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Final feature map (N*M, C', T', V') of input (N, C, T, V, M)."""
        raise NotImplementedError

    def classify(self, features: torch.Tensor, num_person: int) -> torch.Tensor:
        """Logits (N, num_classes) from the feature map returned by :meth:`features`."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, num_classes) of input (N, C, T, V, M)."""
        return self.classify(self.features(x), x.shape[-1])


def person_batches(x: torch.Tensor) -> torch.Tensor:
    """(N, C, T, V, M) -> (N*M, C, T, V), persons of one sample adjacent."""
    n, c, t, v, m = x.shape
    return x.permute(0, 4, 1, 2, 3).reshape(n * m, c, t, v)


class InputNorm(nn.Module):
    """The ST-GCN family's data BatchNorm: one statistic per (person, joint, channel), over N and T;
    returns the persons folded into the batch, (N*M, C, T, V)."""

    def __init__(self, num_person: int, in_channels: int, num_joints: int) -> None:
        super().__init__()
        self.bn = nn.BatchNorm1d(num_person * in_channels * num_joints)
        nn.init.constant_(self.bn.weight, 1.0)
        nn.init.constant_(self.bn.bias, 0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, t, v, m = x.shape
        x = self.bn(x.permute(0, 4, 3, 1, 2).reshape(n, m * v * c, t))
        return x.view(n, m, v, c, t).permute(0, 1, 3, 4, 2).reshape(n * m, c, t, v)


class PooledClassifier(nn.Module):
    """Global average over time, joints and persons, dropout, then a linear layer (the GCN heads)."""

    def __init__(self, channels: int, num_classes: int, dropout: float) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(channels, num_classes)
        nn.init.normal_(self.fc.weight, 0.0, (2.0 / num_classes) ** 0.5)
        nn.init.constant_(self.fc.bias, 0.0)

    def forward(self, features: torch.Tensor, num_person: int) -> torch.Tensor:
        nm, c = features.shape[:2]
        pooled = features.reshape(nm // num_person, num_person, c, -1).mean(dim=(1, 3))
        return self.fc(self.dropout(pooled))
