"""Hyperformer (Zhou et al., 2022): hypergraph self-attention over joints plus multi-scale
temporal convolution.

Ten blocks of width 24 x heads (9 heads: 216 channels; stride 2 at blocks 5 and 8). Each block:
pre-LayerNorm hypergraph self-attention (residual; a bias-free 1x1 projection when the width
changes), the multi-scale temporal convolution of CTR-GCN, block residual, ReLU.

Hypergraph self-attention per frame, per head, between joints i (query) and j (key):
``score = q_i.k_j + q_i.r_hop(i,j) + q_i.e_j + w.e_j`` scaled by head_dim^-1/2 and softmaxed over
j, where ``r_hop`` is a learned embedding of the hop distance between the joints (k-hop relative
position), ``e_j`` is the hyperedge feature of j's body part (the mean of the part's joints, through
a bias-free 1x1 projection) and ``w`` a learned per-head vector. Values are mixed with
``alpha * softmax + outer`` (``alpha`` starts at 0, ``outer`` at the identity per head), then a
1x1 projection in six groups. The body parts are the reference's partitions: for NTU the
five-part labelling of its NTU configs, for the 20-joint Kinect v1 layouts torso / arms / legs as
in its NW-UCLA config; they are given by joint name, so every layout order gets the same parts.

Implementation notes, exact rewrites of the reference: ``q.k + q.e`` is one product
``q.(k + e)``; ``q.r_hop`` is computed once per distinct hop and gathered, instead of a
(V, V, C) table per head, and with ``w.e`` it is computed in the convolution layout (no
reordering copies); the score terms are summed in place and ``alpha * attn + outer`` is one
fused operation, so two (V, V) maps per frame and head are kept for the backward pass instead
of the reference's five or more.
"""
from __future__ import annotations

import torch
from torch import nn

from model.backbones.base import Backbone, InputNorm, PooledClassifier
from model.backbones.blocks import STACK_STRIDES, MultiScaleTemporalConv, block_residual
from pose.layouts import get_layout, hop_distance

HEAD_DIM = 24
PROJ_GROUPS = 6

_NTU_PARTS = {
    0: ("spine_base", "left_hand_tip", "right_hand_tip"),
    1: ("left_wrist", "left_hand", "right_wrist", "right_hand", "spine_shoulder", "left_thumb", "right_thumb"),
    2: ("neck", "head", "left_shoulder", "left_elbow", "right_shoulder", "right_elbow", "left_hip", "right_hip"),
    3: ("left_knee", "left_ankle", "left_foot", "right_knee", "right_ankle", "right_foot"),
    4: ("spine_mid",),
}
_KINECT1_PARTS = {
    0: ("hip_center", "spine", "shoulder_center", "head"),
    1: tuple(f"{s}_{j}" for s in ("left", "right") for j in ("shoulder", "elbow", "wrist", "hand")),
    2: tuple(f"{s}_{j}" for s in ("left", "right") for j in ("hip", "knee", "ankle", "foot")),
}
BODY_PARTS = {"ntu25": _NTU_PARTS, "utd20": _KINECT1_PARTS, "ucla20": _KINECT1_PARTS}


def body_part_labels(layout: str) -> list[int]:
    """Body part (hyperedge) index of every joint of ``layout``."""
    parts = BODY_PARTS[layout]
    by_name = {name: part for part, names in parts.items() for name in names}
    return [by_name[name] for name in get_layout(layout).joints]


class HypergraphAttention(nn.Module):
    """Multi-head hypergraph self-attention over the joints of each frame (MHSA)."""

    def __init__(self, dim_in: int, dim: int, num_heads: int, hops: torch.Tensor) -> None:
        super().__init__()
        self.heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.register_buffer("hops", hops, persistent=False)
        self.rpe = nn.Parameter(torch.zeros(int(hops.max()) + 1, dim))
        self.w1 = nn.Parameter(torch.zeros(num_heads, self.head_dim))
        v = hops.shape[0]
        self.outer = nn.Parameter(torch.eye(v).repeat(num_heads, 1, 1))
        self.alpha = nn.Parameter(torch.zeros(1))
        self.kv = nn.Conv2d(dim_in, 2 * dim, 1, bias=False)
        self.q = nn.Conv2d(dim_in, dim, 1, bias=False)
        self.proj = nn.Conv2d(dim, dim, 1, groups=PROJ_GROUPS)

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        n, _, t, v = x.shape
        h, c = self.heads, self.head_dim
        q = self.q(x).view(n, h, c, t * v)
        k, val = self.kv(x).view(n, 2, h, c, t * v).unbind(1)
        e = e.view(n, h, c, t * v)
        # terms with one operand per head: batched over (n, h) in the convolution layout
        rel = torch.matmul(self.rpe.view(-1, h, c).transpose(0, 1), q)  # q.r per hop: (n, h, hops, t*v)
        w_e = torch.matmul(self.w1.unsqueeze(1), e)  # w.e: (n, h, 1, t*v)
        # per frame and head: (n, t, h, v, c) matrices
        frames = (n, h, c, t, v)
        q = q.view(frames).permute(0, 3, 1, 4, 2)
        scores = torch.matmul(q, (k + e).view(frames).permute(0, 3, 1, 2, 4))  # q.k + q.e
        rel = rel.view(n, h, -1, t, v).permute(0, 3, 1, 4, 2)  # (n, t, h, v, hops)
        scores.add_(rel.gather(-1, self.hops.expand(n, t, h, v, v)))  # q.r_hop(i, j)
        scores.add_(w_e.view(n, h, t, 1, v).transpose(1, 2))  # w.e_j
        attn = scores.mul_(self.scale).softmax(dim=-1)
        mixed = torch.addcmul(self.outer, attn, self.alpha)  # alpha * attn + outer
        out = torch.matmul(mixed, val.view(frames).permute(0, 3, 1, 4, 2))  # (n, t, h, v, c)
        return self.proj(out.permute(0, 2, 4, 1, 3).reshape(n, h * c, t, v))


class HyperformerBlock(nn.Module):
    """LayerNorm + hypergraph attention (residual), multi-scale temporal conv, block residual, ReLU
    (TCN_ViT_unit)."""

    def __init__(self, in_channels: int, out_channels: int, num_heads: int, hops: torch.Tensor,
                 part_pool: torch.Tensor, part_expand: torch.Tensor, stride: int = 1) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(in_channels)
        self.attn = HypergraphAttention(in_channels, out_channels, num_heads, hops)
        self.pe_proj = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.skip_proj = nn.Conv2d(in_channels, out_channels, 1, bias=False) if in_channels != out_channels \
            else nn.Identity()
        self.register_buffer("part_pool", part_pool, persistent=False)  # (V, parts): mean of each part
        self.register_buffer("part_expand", part_expand, persistent=False)  # (parts, V): part of each joint
        self.tcn = MultiScaleTemporalConv(out_channels, out_channels, kernel_size=5, stride=stride)
        self.residual = block_residual(in_channels, out_channels, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hyperedges = self.pe_proj(torch.matmul(x, self.part_pool))  # (n, c, t, parts)
        e = torch.matmul(hyperedges, self.part_expand)  # each joint gets its part's feature
        normed = self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        y = self.skip_proj(x) + self.attn(normed, e)
        return torch.relu(self.tcn(y) + self.residual(x))


class Hyperformer(Backbone):
    """Hyperformer single stream; width 24 x ``num_heads``; ``dropout`` before the classifier."""

    def __init__(self, num_classes: int, layout: str = "ntu25", num_person: int = 2, in_channels: int = 3,
                 num_heads: int = 9, dropout: float = 0.0) -> None:
        super().__init__(num_classes, layout, num_person, in_channels)
        width = HEAD_DIM * num_heads
        hops = torch.from_numpy(hop_distance(layout).astype("int64"))
        one_hot = torch.nn.functional.one_hot(torch.tensor(body_part_labels(layout))).float()
        part_pool = one_hot / one_hot.sum(dim=0, keepdim=True)
        self.data_bn = InputNorm(num_person, in_channels, self.num_joints)
        widths = (in_channels,) + (width,) * len(STACK_STRIDES)
        self.blocks = nn.Sequential(*[
            HyperformerBlock(widths[i], widths[i + 1], num_heads, hops, part_pool, one_hot.t().contiguous(),
                             stride=STACK_STRIDES[i])
            for i in range(len(STACK_STRIDES))])
        self.classifier = PooledClassifier(width, num_classes, dropout)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.blocks(self.data_bn(x))

    def classify(self, features: torch.Tensor, num_person: int) -> torch.Tensor:
        return self.classifier(features, num_person)
