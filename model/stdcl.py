"""STD-CL: spatial-temporal decoupling contrastive learning, the training-only head and its loss.

From the backbone's final feature map (N*M, C', T', V') the head builds two embeddings of size D:
spatial-specific (mean over time, 1x1 convolution to C'/8 channels, flattened over the joints,
linear to D) and temporal-specific (mean over joints, the same reduction, flattened over time,
linear to D); the persons of a sample are averaged. Each branch has a supervised contrastive loss
against a memory bank holding one L2-normalised embedding per training sample: every step the
batch's embeddings are first written at their dataset indices, then each anchor is compared
with the bank. Same-class filled entries are positives, other-class filled entries negatives.
For each of the anchor's P hardest positives (lowest similarity) two softmax rows are formed,
[positive, K hardest negatives] and [positive, K random negatives] (a uniform draw without
replacement from the anchor's negatives; one random bank order per step serves the whole batch),
with the positive as the target, at temperature tau; the loss is the mean over all rows of all
anchors that have at least P positives and K negatives in the bank (others are skipped). Total training loss =
cross-entropy + weight * (L_spatial + L_temporal) / 2. Defaults D=256, P=128, K=512, tau=0.8.
For ablations one branch can be kept alone (``branches``): the loss is then cross-entropy +
weight * that branch's term, and the other branch is neither computed nor banked.

The flattening over time needs a fixed T': the head is built for the training window (its T'
is read off the backbone with :meth:`STDCLHead.for_backbone`) and refuses another length.
The head holds its parameters and both banks (buffers) and is never part of the inference model.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from model.backbones.base import Backbone


class STDCLLoss(NamedTuple):
    """The parts of one step's loss; ``total`` is what to back-propagate."""

    total: torch.Tensor
    cross_entropy: torch.Tensor
    spatial: torch.Tensor  # zero when the branch is off
    temporal: torch.Tensor
    contrastive: torch.Tensor  # mean of the branches that are on, unweighted


def class_rows(bank_labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The bank rows of each class as a (classes, largest class size) table, short rows padded by
    repeating their last entry, and the number of rows of each class."""
    classes = int(bank_labels.max()) + 1 if bank_labels.numel() else 1
    counts = torch.bincount(bank_labels, minlength=classes)
    order = torch.argsort(bank_labels, stable=True)
    starts = torch.cumsum(counts, 0) - counts
    slot = torch.arange(max(int(counts.max()), 1), device=bank_labels.device)
    position = starts.unsqueeze(1) + torch.minimum(slot.unsqueeze(0), (counts - 1).clamp(min=0).unsqueeze(1))
    return order[position.clamp(max=max(order.numel() - 1, 0))], counts


def bank_contrastive_loss(anchors: torch.Tensor, labels: torch.Tensor, bank: torch.Tensor,
                          bank_labels: torch.Tensor, filled: torch.Tensor, positives: int, negatives: int,
                          temperature: float, order: torch.Tensor | None = None,
                          rows: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """Hard-mined supervised contrastive loss of L2-normalised ``anchors`` (n, D) against ``bank``.

    ``filled`` (S,) marks bank rows that hold an embedding. An anchor's K random negatives are its
    first K negatives in ``order``, a permutation of the bank rows (a fresh ``randperm`` when not
    given): a uniform draw without replacement for every anchor, the draw order shared by the
    batch. ``rows`` is :func:`class_rows` of ``bank_labels`` (computed when not given). Returns a
    scalar; zero (still differentiable) when no anchor has enough positives and negatives."""
    size = bank.shape[0]
    table, counts = class_rows(bank_labels) if rows is None else rows
    per_class = torch.bincount(bank_labels[filled], minlength=table.shape[0])
    pos_count = per_class[labels]
    valid = (pos_count >= positives) & (int(filled.sum()) - pos_count >= negatives)
    if not bool(valid.any()):
        return anchors.sum() * 0.0
    anchors, labels = anchors[valid], labels[valid]
    with torch.no_grad():
        sims = anchors @ bank.t()  # (a, S): the mining needs the whole product, its gradient does not
        own = table[labels]  # (a, width): rows of the anchor's class, padded with repeats
        real = torch.arange(own.shape[1], device=own.device).unsqueeze(0) < counts[labels].unsqueeze(1)
        work = sims.clone()
        inf = torch.finfo(work.dtype).max
        pos_sims = work.gather(1, own).masked_fill_(~(real & filled[own]), inf)
        hard_pos = own.gather(1, pos_sims.topk(positives, dim=1, largest=False).indices)
        work.scatter_(1, own, -inf)
        if not bool(filled.all()):
            work.masked_fill_(~filled, -inf)
        hard_neg = work.topk(negatives, dim=1).indices
        order = torch.randperm(size, device=bank.device) if order is None else order
        rand_neg = _first_negatives(order, labels, bank_labels, filled, negatives)
        index = torch.cat([hard_pos, hard_neg, rand_neg], dim=1)
    picked = _PickedSimilarity.apply(anchors, bank, index, sims.gather(1, index)) / temperature
    pos, hard, rand = picked.split([positives, negatives, negatives], dim=1)
    # each row: -log softmax of the positive among [positive, negatives]
    losses = [torch.logaddexp(pos, torch.logsumexp(neg, dim=1, keepdim=True)) - pos for neg in (hard, rand)]
    return torch.cat(losses, dim=1).mean()


class _PickedSimilarity(torch.autograd.Function):
    """``anchors[i] . bank[index[i, j]]`` as a function of the anchors, given those values (read off
    the mining's no-grad product): the backward sums only the picked bank rows (an embedding bag)
    instead of multiplying a mostly-zero (a, S) gradient with the whole bank."""

    @staticmethod
    def forward(ctx, anchors: torch.Tensor, bank: torch.Tensor, index: torch.Tensor,
                values: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(bank, index)
        return values.clone()

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        bank, index = ctx.saved_tensors
        return F.embedding_bag(index, bank, mode="sum", per_sample_weights=grad.to(bank.dtype)), None, None, None


def _first_negatives(order: torch.Tensor, labels: torch.Tensor, bank_labels: torch.Tensor, filled: torch.Tensor,
                     count: int) -> torch.Tensor:
    """For every anchor label, the first ``count`` filled other-class bank rows in ``order``."""
    length = min(order.numel(), 4 * count)
    while True:
        candidates = order[:length]
        ok = filled[candidates].unsqueeze(0) & (bank_labels[candidates].unsqueeze(0) != labels.unsqueeze(1))
        if length == order.numel() or bool((ok.sum(1) >= count).all()):
            break
        length = order.numel()
    take = ok & (ok.cumsum(1) <= count)
    return candidates[take.nonzero()[:, 1].view(len(labels), count)]


BRANCHES = ("both", "spatial", "temporal")


class STDCLHead(nn.Module):
    """Decoupled spatial / temporal embeddings, their memory banks and the STD-CL loss."""

    def __init__(self, channels: int, num_joints: int, temporal_length: int, num_person: int,
                 bank_labels: torch.Tensor, embed_dim: int = 256, reduction: int = 8, positives: int = 128,
                 negatives: int = 512, temperature: float = 0.8, weight: float = 1.0,
                 branches: str = "both") -> None:
        super().__init__()
        if branches not in BRANCHES:
            raise ValueError(f"branches must be one of {', '.join(BRANCHES)}, not {branches!r}")
        self.branches = branches
        reduced = max(channels // reduction, 1)
        self.num_joints, self.temporal_length, self.num_person = num_joints, temporal_length, num_person
        self.positives, self.negatives, self.temperature, self.weight = positives, negatives, temperature, weight
        self.reduce_s = nn.Conv1d(channels, reduced, 1)
        self.project_s = nn.Linear(reduced * num_joints, embed_dim)
        self.reduce_t = nn.Conv1d(channels, reduced, 1)
        self.project_t = nn.Linear(reduced * temporal_length, embed_dim)
        for linear in (self.project_s, self.project_t):
            nn.init.kaiming_normal_(linear.weight, mode="fan_out")
            nn.init.zeros_(linear.bias)
        bank_labels = torch.as_tensor(bank_labels, dtype=torch.long)
        size = bank_labels.numel()
        self.register_buffer("bank_labels", bank_labels.clone())
        self.register_buffer("bank_spatial", torch.zeros(size, embed_dim))
        self.register_buffer("bank_temporal", torch.zeros(size, embed_dim))
        self.register_buffer("filled", torch.zeros(size, dtype=torch.bool))
        table, counts = class_rows(bank_labels)
        self.register_buffer("class_table", table, persistent=False)
        self.register_buffer("class_counts", counts, persistent=False)

    @classmethod
    def for_backbone(cls, backbone: Backbone, window: int, bank_labels: torch.Tensor, **settings) -> "STDCLHead":
        """A head sized for ``backbone``'s feature map on ``window``-frame inputs; ``bank_labels``
        holds the class of every training sample (its dataset index is its bank row)."""
        probe = torch.zeros(1, backbone.in_channels, window, backbone.num_joints, backbone.num_person,
                            device=next(backbone.parameters()).device)
        was_training = backbone.training
        backbone.eval()
        with torch.no_grad():
            _, channels, length, joints = backbone.features(probe).shape
        backbone.train(was_training)
        return cls(channels, joints, length, backbone.num_person, bank_labels, **settings)

    def _check(self, features: torch.Tensor) -> int:
        nm, _, t, v = features.shape
        if (t, v) != (self.temporal_length, self.num_joints):
            raise ValueError(f"STD-CL head was built for feature maps with T'={self.temporal_length}, "
                             f"V'={self.num_joints}; got T'={t}, V'={v} (another window length?)")
        return nm // self.num_person

    # sums then scale: the same means, with a cheaper backward through the large feature map
    def _spatial(self, features: torch.Tensor) -> torch.Tensor:
        n = self._check(features)
        z = self.project_s(self.reduce_s(features.sum(dim=2) / features.shape[2]).flatten(1))
        return z.view(n, self.num_person, -1).mean(1)

    def _temporal(self, features: torch.Tensor) -> torch.Tensor:
        n = self._check(features)
        z = self.project_t(self.reduce_t(features.sum(dim=3) / features.shape[3]).flatten(1))
        return z.view(n, self.num_person, -1).mean(1)

    def embed(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Spatial and temporal embeddings (N, D) of a feature map (N*M, C', T', V')."""
        return self._spatial(features), self._temporal(features)

    def contrastive(self, features: torch.Tensor, labels: torch.Tensor,
                    indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(L_spatial, L_temporal) for a batch, after writing its embeddings into the banks at the
        samples' dataset ``indices``; a branch that is off is not computed and gives zero."""
        losses = []
        for name, embed, bank in (("spatial", self._spatial, self.bank_spatial),
                                  ("temporal", self._temporal, self.bank_temporal)):
            if self.branches not in ("both", name):
                losses.append(features.new_zeros((), dtype=torch.float32))
                continue
            z = F.normalize(embed(features).float(), dim=1)
            with torch.no_grad():
                bank[indices] = z.detach()
                self.filled[indices] = True
            losses.append(bank_contrastive_loss(z, labels, bank, self.bank_labels, self.filled, self.positives,
                                                self.negatives, self.temperature,
                                                rows=(self.class_table, self.class_counts)))
        return losses[0], losses[1]

    def forward(self, features: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor,
                indices: torch.Tensor) -> STDCLLoss:
        """The step's loss: cross-entropy of ``logits`` plus the weighted STD-CL term."""
        ce = F.cross_entropy(logits, labels)
        spatial, temporal = self.contrastive(features, labels, indices)
        term = (spatial + temporal) / (2 if self.branches == "both" else 1)
        return STDCLLoss(ce + self.weight * term, ce, spatial, temporal, term)

