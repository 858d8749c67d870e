"""CTR-GCN (Chen et al., ICCV 2021): channel-wise topology refinement graph convolution.

Ten blocks with the 2s-AGCN widths and strides (64 x4, 128 x3, 256 x3; stride 2 at blocks 5 and 8).
Each block: a CTR graph convolution, then the multi-scale temporal convolution (kernel 5,
dilations 1 and 2, plus max-pool and 1x1 branches), block residual, ReLU.

The CTR graph convolution has one CTR-GC per subset of the three-subset partition. A CTR-GC
pools two 1x1 embeddings (in_channels / 8 channels; 8 for a 3- or 9-channel input) over time,
takes tanh of their pairwise joint differences, lifts that to one (V, V) topology per output
channel with a 1x1 convolution, scales it by a learned ``alpha`` (shared by the subsets, starts
at 0) and adds the subset's learned shared topology (initialised with the partition). The
output channel c of a third 1x1 transform is aggregated over joints with topology c.

Implementation notes, all exact rewrites of the reference: the three subsets run as one
convolution per role and one batched product (the per-subset lift is a batched matrix product
with ``alpha`` folded into its weights); the embeddings are pooled over time before their 1x1
convolutions (a 1x1 convolution commutes with the mean); initialisation keeps each reference
convolution's own fan.
"""
from __future__ import annotations

import torch
from torch import nn

from model.backbones.blocks import (
    GraphStackBackbone, GraphTemporalBlock, MultiScaleTemporalConv, bn_const_, kaiming_fan_out_,
)


class CTRGraphConv(nn.Module):
    """Sum over the partition subsets of channel-wise refined graph convolutions, BatchNorm,
    residual, ReLU (unit_gcn with its CTRGC modules)."""

    def __init__(self, in_channels: int, out_channels: int, partition: torch.Tensor, rel_reduction: int = 8) -> None:
        super().__init__()
        self.subsets = k = partition.shape[0]
        self.out_channels = out_channels
        self.rel = rel = 8 if in_channels in (3, 9) else in_channels // rel_reduction
        self.embed = nn.Conv2d(in_channels, 2 * k * rel, 1)  # conv1 then conv2 of each subset
        self.transform = nn.Conv2d(in_channels, k * out_channels, 1)  # conv3 of each subset
        self.lift_weight = nn.Parameter(torch.empty(k, out_channels, rel))  # conv4 of each subset
        self.lift_bias = nn.Parameter(torch.zeros(k, out_channels))
        self.PA = nn.Parameter(partition.clone())
        self.alpha = nn.Parameter(torch.zeros(1))
        self.bn = nn.BatchNorm2d(out_channels)
        if in_channels != out_channels:
            self.down = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1), nn.BatchNorm2d(out_channels))
            kaiming_fan_out_(self.down[0])
            bn_const_(self.down[1], 1.0)
        else:
            self.down = nn.Identity()
        kaiming_fan_out_(self.embed, fan_out=rel)
        kaiming_fan_out_(self.transform, fan_out=out_channels)
        nn.init.normal_(self.lift_weight, 0.0, (2.0 / out_channels) ** 0.5)  # He fan-out of conv4
        bn_const_(self.bn, 1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, t, v = x.shape
        k, rel, co = self.subsets, self.rel, self.out_channels
        pooled = self.embed(x.mean(dim=2, keepdim=True)).view(n, 2, k, rel, v)
        relation = torch.tanh(pooled[:, 0].unsqueeze(-1) - pooled[:, 1].unsqueeze(-2))  # (n, k, rel, v, v)
        # topology = alpha * conv4(relation) + PA, with alpha folded into conv4's weight and bias
        shift = (self.lift_bias * self.alpha).unsqueeze(-1) + self.PA.view(k, 1, v * v)
        topology = torch.matmul(self.lift_weight * self.alpha, relation.view(n, k, rel, v * v)) + shift
        values = self.transform(x).view(n * k * co, t, v)
        # y[n, c, t, u] = sum_k sum_w values[n, k, c, t, w] * topology[n, k, c, u, w]
        y = torch.bmm(values, topology.view(n * k * co, v, v).transpose(1, 2)).view(n, k, co, t, v).sum(dim=1)
        return torch.relu(self.bn(y) + self.down(x))


def ctrgcn_block(in_channels: int, out_channels: int, partition: torch.Tensor, stride: int = 1,
                 residual: bool = True) -> GraphTemporalBlock:
    """CTR graph convolution, multi-scale temporal convolution, block residual, ReLU."""
    return GraphTemporalBlock(CTRGraphConv(in_channels, out_channels, partition),
                              MultiScaleTemporalConv(out_channels, out_channels, kernel_size=5, stride=stride),
                              in_channels, out_channels, stride, residual)


class CTRGCN(GraphStackBackbone):
    """CTR-GCN single stream; ``dropout`` before the classifier (0 in the reference configs)."""

    make_block = staticmethod(ctrgcn_block)
