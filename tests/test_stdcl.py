"""STD-CL: the vectorised loss against a per-sample reference, its behaviour, the memory bank."""
import pytest
import torch
import torch.nn.functional as F

from model import build_model
from model.stdcl import STDCLHead, bank_contrastive_loss


def reference_loss(anchors, labels, bank, bank_labels, filled, positives, negatives, temperature, order):
    """Straight from the definition, one anchor at a time, with sorting and Python lists."""
    rows = []
    for anchor, label in zip(anchors, labels):
        pos_idx = [j for j in range(len(bank)) if filled[j] and bank_labels[j] == label]
        neg_idx = [j for j in range(len(bank)) if filled[j] and bank_labels[j] != label]
        if len(pos_idx) < positives or len(neg_idx) < negatives:
            continue
        sims = bank @ anchor
        pos = torch.sort(sims[pos_idx]).values[:positives]  # hardest: least similar
        hard = torch.sort(sims[neg_idx], descending=True).values[:negatives]  # hardest: most similar
        neg_set = set(neg_idx)
        rand = sims[[j for j in order.tolist() if j in neg_set][:negatives]]
        for negs in (hard, rand):
            for p in pos:
                row = torch.cat([p.view(1), negs]) / temperature
                rows.append(-F.log_softmax(row, dim=0)[0])
    return torch.stack(rows).mean() if rows else anchors.sum() * 0


def _bank(size=240, classes=4, dim=8, seed=0, unfilled=30):
    gen = torch.Generator().manual_seed(seed)
    bank_labels = torch.randint(0, classes, (size,), generator=gen)
    bank_labels[:6] = classes  # a rare class: too few positives, its anchors are skipped
    bank = F.normalize(torch.randn(size, dim, generator=gen), dim=1)
    filled = torch.ones(size, dtype=torch.bool)
    filled[torch.randperm(size, generator=gen)[:unfilled]] = False
    return bank, bank_labels, filled, gen


def test_vectorised_loss_equals_per_sample_reference_value_and_gradient():
    bank, bank_labels, filled, gen = _bank()
    anchors = F.normalize(torch.randn(10, 8, generator=gen), dim=1).requires_grad_()
    labels = torch.tensor([0, 1, 2, 3, 4, 0, 1, 2, 3, 4])
    order = torch.randperm(len(bank), generator=gen)
    settings = dict(positives=7, negatives=20, temperature=0.5)
    fast = bank_contrastive_loss(anchors, labels, bank, bank_labels, filled, order=order, **settings)
    (grad_fast,) = torch.autograd.grad(fast, anchors)
    slow = reference_loss(anchors, labels, bank, bank_labels, filled, order=order, **settings)
    (grad_slow,) = torch.autograd.grad(slow, anchors)
    torch.testing.assert_close(fast, slow, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(grad_fast, grad_slow, rtol=1e-4, atol=1e-6)
    assert grad_fast[labels == 4].abs().sum() == 0  # skipped anchors contribute nothing


def test_no_eligible_anchor_gives_a_differentiable_zero():
    bank, bank_labels, filled, gen = _bank()
    anchors = F.normalize(torch.randn(3, 8, generator=gen), dim=1).requires_grad_()
    loss = bank_contrastive_loss(anchors, torch.tensor([4, 4, 4]), bank, bank_labels, filled,
                                 positives=7, negatives=20, temperature=0.5)
    loss.backward()
    assert float(loss.detach()) == 0.0 and anchors.grad is not None


def test_clustered_embeddings_give_lower_loss_than_shuffled_labels():
    gen = torch.Generator().manual_seed(1)
    classes, per_class, dim = 5, 60, 16
    centres = F.normalize(torch.randn(classes, dim, generator=gen), dim=1)
    bank_labels = torch.arange(classes).repeat_interleave(per_class)
    bank = F.normalize(centres[bank_labels] + 0.3 * torch.randn(len(bank_labels), dim, generator=gen), dim=1)
    filled = torch.ones(len(bank), dtype=torch.bool)
    labels = torch.arange(classes).repeat(4)
    anchors = F.normalize(centres[labels] + 0.3 * torch.randn(len(labels), dim, generator=gen), dim=1)
    settings = dict(positives=16, negatives=64, temperature=0.8)
    clustered = bank_contrastive_loss(anchors, labels, bank, bank_labels, filled, **settings)
    shuffled_bank = bank_labels[torch.randperm(len(bank_labels), generator=gen)]
    shuffled = bank_contrastive_loss(anchors, labels, bank, shuffled_bank, filled, **settings)
    assert clustered < shuffled - 0.5


def _head(num_samples=100, classes=3, **settings):
    labels = torch.arange(num_samples) % classes
    return STDCLHead(channels=16, num_joints=5, temporal_length=4, num_person=2, bank_labels=labels,
                     positives=4, negatives=8, **settings), labels


def test_bank_is_written_at_the_batch_indices_only():
    torch.manual_seed(0)
    head, bank_labels = _head()
    features = torch.randn(6, 16, 4, 5)  # 3 samples x 2 persons
    indices = torch.tensor([7, 42, 99])
    head(features, torch.randn(3, 3), bank_labels[indices], indices)
    spatial, temporal = (F.normalize(z, dim=1) for z in head.embed(features))
    torch.testing.assert_close(head.bank_spatial[indices], spatial)
    torch.testing.assert_close(head.bank_temporal[indices], temporal)
    assert head.filled.nonzero().flatten().tolist() == [7, 42, 99]
    others = torch.ones(100, dtype=torch.bool)
    others[indices] = False
    assert head.bank_spatial[others].abs().sum() == 0 and head.bank_temporal[others].abs().sum() == 0


def test_total_is_cross_entropy_plus_weighted_mean_of_branches():
    torch.manual_seed(0)
    head, bank_labels = _head(weight=0.3)
    head.filled.fill_(True)
    with torch.no_grad():
        head.bank_spatial.copy_(F.normalize(torch.randn(100, 256), dim=1))
        head.bank_temporal.copy_(F.normalize(torch.randn(100, 256), dim=1))
    logits, indices = torch.randn(3, 3), torch.tensor([1, 2, 3])
    out = head(torch.randn(6, 16, 4, 5), logits, bank_labels[indices], indices)
    assert out.spatial > 0 and out.temporal > 0
    torch.testing.assert_close(out.cross_entropy, F.cross_entropy(logits, bank_labels[indices]))
    torch.testing.assert_close(out.total, out.cross_entropy + 0.3 * (out.spatial + out.temporal) / 2)


def test_persons_are_averaged_in_the_embeddings():
    head, _ = _head()
    one = torch.randn(1, 16, 4, 5)
    other = torch.randn(1, 16, 4, 5)
    pair = head.embed(torch.cat([one, other]))
    singles = [head.embed(torch.cat([f, f])) for f in (one, other)]
    for branch in range(2):
        torch.testing.assert_close(pair[branch], (singles[0][branch] + singles[1][branch]) / 2)


def test_head_sized_from_backbone_window_and_refuses_other_lengths():
    model = build_model("agcn", 4, layout="ucla20", num_person=1)
    model.train()
    head = STDCLHead.for_backbone(model, 16, torch.arange(20) % 4)
    assert (head.temporal_length, head.num_joints, head.num_person) == (4, 20, 1)
    assert model.training  # probing does not change the mode
    with pytest.raises(ValueError, match="T'=4"):
        head.embed(torch.randn(2, 256, 8, 20))
    assert not any("bank" in k or "project" in k for k in model.state_dict())  # the head stays apart


@pytest.mark.parametrize("branch", ["spatial", "temporal"])
def test_one_branch_alone_is_the_whole_term_and_the_other_is_not_banked(branch):
    torch.manual_seed(0)
    both, bank_labels = _head(weight=0.5)
    alone, _ = _head(weight=0.5, branches=branch)
    alone.load_state_dict(both.state_dict())
    for head in (both, alone):
        head.filled[:50] = True
        with torch.no_grad():
            head.bank_spatial[:50] = F.normalize(torch.randn(50, 256, generator=torch.Generator().manual_seed(1)), dim=1)
            head.bank_temporal[:50] = F.normalize(torch.randn(50, 256, generator=torch.Generator().manual_seed(2)), dim=1)
    features, logits, indices = torch.randn(6, 16, 4, 5), torch.randn(3, 3), torch.tensor([60, 70, 80])
    torch.manual_seed(3)
    full = both(features, logits, bank_labels[indices], indices)
    torch.manual_seed(3)
    part = alone(features, logits, bank_labels[indices], indices)
    kept, dropped = ("spatial", "temporal") if branch == "spatial" else ("temporal", "spatial")
    if kept == "spatial":  # drawn first, it sees the same random negatives as with both branches on
        torch.testing.assert_close(part.spatial, full.spatial)
    else:
        torch.manual_seed(3)
        z = F.normalize(alone.embed(features)[1], dim=1)
        expected = bank_contrastive_loss(z, bank_labels[indices], alone.bank_temporal, alone.bank_labels,
                                         alone.filled, 4, 8, 0.8)
        torch.testing.assert_close(part.temporal, expected)
    assert getattr(part, dropped) == 0 and getattr(full, dropped) > 0
    torch.testing.assert_close(part.total, part.cross_entropy + 0.5 * getattr(part, kept))
    assert getattr(alone, f"bank_{dropped}")[indices].abs().sum() == 0
    assert getattr(alone, f"bank_{kept}")[indices].abs().sum() > 0


def test_unknown_branch_is_refused():
    with pytest.raises(ValueError, match="branches must be one of"):
        _head(branches="spatio")
