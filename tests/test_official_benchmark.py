"""tools/official_benchmark.py without the official code: loading from a stand-in checkout keeps our
``model`` package, applies the CPU patch, and the table reports ours / official."""
from __future__ import annotations

import sys

import torch

import model
from tools import official_benchmark as ob

FAKE_AGCN = '''
import torch
import torch.nn as nn
from graph.ntu_rgb_d import Graph

class Model(nn.Module):
    def __init__(self, num_class=60, num_point=25, num_person=2, graph=None, graph_args=dict()):
        super().__init__()
        self.A = torch.tensor(Graph(**graph_args).A)
        self.fc = nn.Linear(3, num_class)

    def forward(self, x):
        A = self.A.cuda(x.get_device())
        return self.fc(x.mean((2, 3, 4))) + A.sum() * 0
'''


def test_load_official_isolates_imports_and_patches_cuda(tmp_path):
    root = tmp_path / "agcn"
    (root / "model").mkdir(parents=True)
    (root / "graph").mkdir()
    (root / "model" / "agcn.py").write_text(FAKE_AGCN)
    (root / "graph" / "__init__.py").write_text("")
    (root / "graph" / "ntu_rgb_d.py").write_text(
        "class Graph:\n    def __init__(self, labeling_mode=None):\n        self.A = [[1.0]]\n")

    official = ob.load_official("agcn", tmp_path)

    assert sys.modules["model"] is model  # ours again, not the stand-in's package
    assert "graph" not in sys.modules
    assert official(torch.randn(2, 3, 8, 25, 2)).shape == (2, 60)  # .cuda() patched to .to(device)


def test_interleaved_medians_alternates_calls():
    calls = []
    medians = ob.interleaved_medians([lambda: calls.append("a"), lambda: calls.append("b")], rounds=3, warmup=1)
    assert calls == ["a", "b"] * 4
    assert len(medians) == 2 and all(m >= 0 for m in medians)


def test_format_table_ratio_is_ours_over_official():
    row = {"model": "ctrgcn", "params": (1446672, 1446672), "latency_s": (0.025, 0.050), "train_s": (1.2, 2.4),
           "load": 2.0}
    lines = ob.format_table([row]).splitlines()
    assert lines[0].startswith("| backbone |") and len(lines) == 3
    assert lines[2] == "| ctrgcn | 1,446,672 / 1,446,672 | 25.0 / 50.0 | 1.20 / 2.40 | 0.50 / 0.50 | 2.00 |"
