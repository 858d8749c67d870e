"""Layers shared by the graph backbones: the ST-GCN temporal unit, the multi-scale temporal
convolution of CTR-GCN / Hyperformer, and the initialisation rules of their reference code."""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn

from model.backbones.base import Backbone, InputNorm, PooledClassifier
from pose.layouts import spatial_partition


def kaiming_fan_out_(conv: nn.Conv2d | nn.Conv1d, fan_out: int | None = None) -> None:
    """He-normal weights scaled by the output fan, zero bias (the references' ``conv_init``).

    ``fan_out`` overrides the fan when one convolution computes several of the reference's
    convolutions side by side (their fan is that of one of them)."""
    if fan_out is None:
        nn.init.kaiming_normal_(conv.weight, mode="fan_out")
    else:
        nn.init.normal_(conv.weight, 0.0, math.sqrt(2.0 / fan_out))
    if conv.bias is not None:
        nn.init.constant_(conv.bias, 0.0)


def bn_const_(bn: nn.BatchNorm2d, scale: float) -> None:
    """BatchNorm with constant scale and zero shift (``bn_init``)."""
    nn.init.constant_(bn.weight, scale)
    nn.init.constant_(bn.bias, 0.0)


def bn_jitter_(bn: nn.BatchNorm2d) -> None:
    """BatchNorm scale drawn from N(1, 0.02), zero shift (the multi-scale TCN's ``weights_init``)."""
    nn.init.normal_(bn.weight, 1.0, 0.02)
    nn.init.constant_(bn.bias, 0.0)


class TemporalUnit(nn.Module):
    """Convolution along time (kernel k x 1, optional stride) followed by BatchNorm, no activation:
    ST-GCN's ``unit_tcn``, also the strided 1x1 residual projection of every graph backbone."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 9, stride: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, (kernel_size, 1),
                              padding=((kernel_size - 1) // 2, 0), stride=(stride, 1))
        self.bn = nn.BatchNorm2d(out_channels)
        kaiming_fan_out_(self.conv)
        bn_const_(self.bn, 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x))


class MultiScaleTemporalConv(nn.Module):
    """CTR-GCN's multi-scale temporal convolution: the output channels are split over four branches,
    two dilated k x 1 convolutions (dilations 1 and 2), a 3 x 1 max-pool and a strided 1x1.

    Every branch opens with a 1x1 convolution and BatchNorm; the three branches that also share a
    ReLU compute theirs as one convolution (identical weights, biases and per-channel statistics to
    three separate ones, one kernel call instead of three). No internal residual (both references
    switch it off)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 5, stride: int = 1,
                 dilations: tuple[int, ...] = (1, 2)) -> None:
        super().__init__()
        branches = len(dilations) + 2
        if out_channels % branches:
            raise ValueError(f"out_channels {out_channels} is not a multiple of {branches} branches")
        self.branch_channels = bc = out_channels // branches
        self.num_dilated = len(dilations)
        opened = len(dilations) + 1  # dilated branches + max-pool branch
        self.open = nn.Sequential(nn.Conv2d(in_channels, opened * bc, 1), nn.BatchNorm2d(opened * bc),
                                  nn.ReLU(inplace=True))
        self.dilated = nn.ModuleList()
        for d in dilations:
            pad = (kernel_size + (kernel_size - 1) * (d - 1) - 1) // 2
            self.dilated.append(nn.Sequential(
                nn.Conv2d(bc, bc, (kernel_size, 1), padding=(pad, 0), stride=(stride, 1), dilation=(d, 1)),
                nn.BatchNorm2d(bc)))
        self.pool = nn.Sequential(nn.MaxPool2d((3, 1), stride=(stride, 1), padding=(1, 0)), nn.BatchNorm2d(bc))
        self.point = nn.Sequential(nn.Conv2d(in_channels, bc, 1, stride=(stride, 1)), nn.BatchNorm2d(bc))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                kaiming_fan_out_(m, fan_out=bc * m.kernel_size[0])
            elif isinstance(m, nn.BatchNorm2d):
                bn_jitter_(m)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        opened = self.open(x).split(self.branch_channels, dim=1)
        outs = [branch(y) for branch, y in zip(self.dilated, opened)]
        outs.append(self.pool(opened[-1]))
        outs.append(self.point(x))
        return torch.cat(outs, dim=1)


def block_residual(in_channels: int, out_channels: int, stride: int = 1) -> nn.Module:
    """The residual path around a graph backbone's block: identity when the shape is kept, else a
    strided 1x1 :class:`TemporalUnit`."""
    if in_channels == out_channels and stride == 1:
        return nn.Identity()
    return TemporalUnit(in_channels, out_channels, kernel_size=1, stride=stride)


class GraphTemporalBlock(nn.Module):
    """The unit 2s-AGCN and CTR-GCN stack: a graph convolution, a temporal convolution, the block
    residual (:func:`block_residual`, or none for the first block), then ReLU."""

    def __init__(self, gcn: nn.Module, tcn: nn.Module, in_channels: int, out_channels: int, stride: int = 1,
                 residual: bool = True) -> None:
        super().__init__()
        self.gcn, self.tcn = gcn, tcn
        self.residual = block_residual(in_channels, out_channels, stride) if residual else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.tcn(self.gcn(x))
        if self.residual is not None:
            y = y + self.residual(x)
        return torch.relu(y)


# the ten-block stack of 2s-AGCN and CTR-GCN: widths, and temporal stride of each block
STACK_WIDTHS = (64, 64, 64, 64, 128, 128, 128, 256, 256, 256)
STACK_STRIDES = (1, 1, 1, 1, 2, 1, 1, 2, 1, 1)


class GraphStackBackbone(Backbone):
    """What 2s-AGCN and CTR-GCN share around their graph convolution: per-joint input BatchNorm,
    ten :class:`GraphTemporalBlock` s (:data:`STACK_WIDTHS`, :data:`STACK_STRIDES`, no residual on
    the first), pooling over time, joints and persons, ``dropout``, a linear classifier. Subclasses
    set ``make_block(in_channels, out_channels, partition, stride, residual)``."""

    make_block: Callable[..., GraphTemporalBlock]

    def __init__(self, num_classes: int, layout: str = "ntu25", num_person: int = 2, in_channels: int = 3,
                 dropout: float = 0.0) -> None:
        super().__init__(num_classes, layout, num_person, in_channels)
        partition = torch.from_numpy(spatial_partition(layout).copy())
        self.data_bn = InputNorm(num_person, in_channels, self.num_joints)
        widths = (in_channels,) + STACK_WIDTHS
        self.blocks = nn.Sequential(*[
            type(self).make_block(widths[i], widths[i + 1], partition, STACK_STRIDES[i], i > 0)
            for i in range(len(STACK_WIDTHS))])
        self.classifier = PooledClassifier(STACK_WIDTHS[-1], num_classes, dropout)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.blocks(self.data_bn(x))

    def classify(self, features: torch.Tensor, num_person: int) -> torch.Tensor:
        return self.classifier(features, num_person)
