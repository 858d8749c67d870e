"""The backbone benchmark's measuring pieces: FLOP counting, the STD-CL step it times, its table."""
import pytest
import torch
from torch import nn

from app.benchmark import format_table
from model.benchmark import count_flops, count_parameters, ntu_head, random_batch, train_step
from model.registry import build_model


def test_flops_and_parameters_match_a_hand_count():
    model = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 5))
    assert count_parameters(model) == 10 * 20 + 20 + 20 * 5 + 5
    assert count_flops(model, torch.zeros(3, 10)) == 2 * 3 * (10 * 20 + 20 * 5)


def test_timed_stdcl_step_trains_backbone_and_head_and_writes_the_batch_rows():
    model = build_model("hcn", 60)
    head = ntu_head(model)  # full NTU-60-sized bank: every class has the P=128 positives the loss needs
    assert bool(head.filled.all()) and torch.allclose(head.bank_spatial.norm(dim=1), torch.ones(len(head.filled)))
    x, labels, indices = random_batch(8)
    before_bank = head.bank_temporal.clone()
    before_weight = model.fc8.weight.detach().clone()
    step = train_step(model, head, x, labels, indices, micro_batch=4)
    step()
    changed = (head.bank_temporal != before_bank).any(dim=1)
    assert changed.nonzero().flatten().tolist() == sorted(indices.tolist())
    assert not torch.equal(before_weight, model.fc8.weight.detach())
    assert head.project_s.weight.grad.abs().sum() > 0  # only the contrastive terms reach the head


def test_table_has_one_row_per_backbone_and_dashes_for_missing_columns():
    rows = [{"model": "hcn", "params": 1234567, "flops": 3.9e8, "latency_s": 0.0058, "stdcl_overhead": 0.091},
            {"model": "agcn", "params": 10, "flops": 1e9, "latency_s": 0.04}]
    lines = format_table(rows).splitlines()
    assert len(lines) == 4 and lines[0].startswith("model")
    assert "1,234,567" in lines[2] and "5.8" in lines[2] and "+9.1%" in lines[2]
    assert lines[3].split()[-1] == "-"


@pytest.mark.parametrize("native", [True, False])
def test_precision_step_times_mixed_precision_only_where_the_cpu_has_it(monkeypatch, native):
    import model.benchmark as benchmark

    monkeypatch.setattr(benchmark, "autocast_dtype", lambda device: torch.bfloat16 if native else None)
    row = benchmark.precision_step_times("hcn", batch=4, repeats=1)
    assert row["fp32_s"] > 0 and row["threads"] == torch.get_num_threads()
    if native:
        assert row["mixed_dtype"] == "bfloat16" and row["speedup"] == pytest.approx(row["fp32_s"] / row["mixed_s"])
    else:
        assert row["mixed_dtype"] is None and "mixed_s" not in row and "speedup" not in row
