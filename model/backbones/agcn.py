"""2s-AGCN (Shi et al., CVPR 2019): the adaptive graph convolutional network, one stream.

Ten blocks (64, 64, 64, 64, 128, 128, 128, 256, 256, 256 channels, stride 2 at blocks 5 and 8),
each an adaptive graph convolution followed by a 9 x 1 temporal convolution, with residuals.
The graph convolution sums three subsets (ST-GCN's self / inward / outward partition); subset k
uses ``A_k + B_k + C_k``: the fixed normalised partition ``A_k``, a free learned matrix ``B_k``
(initialised at 1e-6) and a sample-dependent matrix ``C_k`` = softmax over joints of the
embedded-Gaussian similarity of two 1x1 embeddings (out_channels / 4 channels), scaled by the
embedding size. Initialisation follows the reference code (He fan-out convolutions, branch-scaled
subset convolutions, graph-block BatchNorm at 1e-6, classifier N(0, 2/classes)).

The subsets share one convolution for their six embeddings and one batched product for their
similarities; each subset's 1x1 transform is a batched matrix product that accumulates into the
output in place (no per-subset temporaries or reordering copies). The reference's three
transform biases, which only ever add up, are one.
"""
from __future__ import annotations

import torch
from torch import nn

from model.backbones.blocks import (
    GraphStackBackbone, GraphTemporalBlock, TemporalUnit, bn_const_, kaiming_fan_out_,
)


class AdaptiveGraphConv(nn.Module):
    """Adaptive graph convolution over joints with the three-subset partition (unit_gcn)."""

    def __init__(self, in_channels: int, out_channels: int, partition: torch.Tensor, embed_ratio: int = 4) -> None:
        super().__init__()
        self.subsets = k = partition.shape[0]
        self.inter = out_channels // embed_ratio
        self.register_buffer("A", partition.clone(), persistent=False)
        self.PA = nn.Parameter(torch.full_like(partition, 1e-6))
        self.embed = nn.Conv2d(in_channels, 2 * k * self.inter, 1)  # theta_k then phi_k per subset
        # W_k of each subset's 1x1 convolution, and their biases summed (they only ever add up)
        self.weight = nn.Parameter(torch.empty(k, out_channels, in_channels))
        self.bias = nn.Parameter(torch.zeros(out_channels, 1))
        self.bn = nn.BatchNorm2d(out_channels)
        if in_channels != out_channels:
            self.down = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1), nn.BatchNorm2d(out_channels))
            kaiming_fan_out_(self.down[0])
            bn_const_(self.down[1], 1.0)
        else:
            self.down = nn.Identity()
        kaiming_fan_out_(self.embed, fan_out=self.inter)
        nn.init.normal_(self.weight, 0.0, (2.0 / (out_channels * in_channels * k)) ** 0.5)
        bn_const_(self.bn, 1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, t, v = x.shape
        k, ci = self.subsets, self.inter
        theta, phi = self.embed(x).view(n, 2, k, ci * t, v).unbind(1)
        similarity = torch.matmul(theta.transpose(-1, -2), phi) / (ci * t)  # (n, k, v, v)
        graph = similarity.softmax(dim=-2) + (self.A + self.PA)  # (n, k, v, v)
        flat = x.reshape(n, c * t, v)
        y = self.bias
        for i in range(k):  # y += W_k (x G_k), the sum fused into the batched product
            aggregated = torch.bmm(flat, graph[:, i]).view(n, c, t * v)
            y = torch.baddbmm(y, self.weight[i].expand(n, -1, -1), aggregated)
        return torch.relu(self.bn(y.view(n, -1, t, v)) + self.down(x))


def agcn_block(in_channels: int, out_channels: int, partition: torch.Tensor, stride: int = 1,
               residual: bool = True) -> GraphTemporalBlock:
    """Adaptive graph convolution, 9 x 1 temporal convolution, block residual, ReLU (TCN_GCN_unit)."""
    return GraphTemporalBlock(AdaptiveGraphConv(in_channels, out_channels, partition),
                              TemporalUnit(out_channels, out_channels, kernel_size=9, stride=stride),
                              in_channels, out_channels, stride, residual)


class AGCN(GraphStackBackbone):
    """2s-AGCN single stream (feed it joints or bones); ``dropout`` before the classifier (0 in
    the reference)."""

    make_block = staticmethod(agcn_block)
