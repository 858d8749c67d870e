"""Our backbones side by side with their official public implementations: parameters, CPU latency
of one window and training-step time, on the same input and thread count.

    python tools/official_benchmark.py [--external external] [--threads 2] [--models ctrgcn ...]
                                       [--rounds 5] [--train-rounds 3] [--out FILE.md]

The official code is not part of the project: fetch it yourself into one folder per backbone under
``--external`` (default ``external/``, git-ignored)::

    external/hcn          huguyuehuhu/HCN-pytorch    (model/HCN.py, utils/utils.py)
    external/agcn         lshiwjx/2s-AGCN            (model/agcn.py, graph/)
    external/ctrgcn       Uason-Chen/CTR-GCN         (model/ctrgcn.py, graph/)
    external/hyperformer  ZhouYuxuanYX/Hyperformer   (model/Hyperformer.py, graph/)

Each official model is built with its NTU RGB+D 60 cross-subject settings (60 classes, 25 joints,
2 persons, the repository's config) and loaded from its file under its own module name, so its
``model``/``graph``/``utils`` packages never meet ours. The few changes needed to run it on a
current CPU-only PyTorch are applied to the source text at load time and listed in ``PATCHES``
(nothing under ``external/`` is edited); missing third-party modules that the official files import
but never use for the model (torchvision, openpyxl in HCN's utils) are stubbed while loading.

Parameter counts: CTR-GCN and Hyperformer match the official ones exactly. 2s-AGCN has 2,816 fewer:
the official block has one bias per subset transform (3 x out_channels), which only ever add up,
ours one (2 x (4 x 64 + 3 x 128 + 3 x 256) = 2,816). HCN-pytorch gives conv2 ``window_size`` (64)
output channels where the paper has 32, as ours: its conv3-conv6 run on maps twice as wide and its
fc7 takes 256 x 4 x 4 inputs instead of 256 x 4 x 2 (1,048,576 + 12,352 more parameters), so
the HCN row compares against a network with about twice the work.

Measurements: a training step is forward, cross-entropy, backward and an SGD (momentum 0.9,
Nesterov, weight decay 4e-4) update on a (16, 3, 64, 25, 2) batch in one piece; latency is one
(1, 3, 64, 25, 2) window in eval mode under ``torch.inference_mode``. Ours and the official model run
alternately (ours, official, ours, official, ...) and each time is the median of its runs, so that
the load of a shared machine hits both alike; the load average is printed with the table.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import statistics
import sys
import time
import types
from pathlib import Path
from typing import Any, Callable, Iterator

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.atomic import write_text  # noqa: E402
from model import build_model  # noqa: E402
from model.benchmark import NTU_CLASSES, count_parameters, random_batch  # noqa: E402

TRAIN_SHAPE = (16, 3, 64, 25, 2)
INFER_SHAPE = (1, 3, 64, 25, 2)
NTU_GRAPH = {"graph": "graph.ntu_rgb_d.Graph", "graph_args": {"labeling_mode": "spatial"}}
# Hyperformer's NTU configs (config/nturgbd-cross-subject/joint.yaml): body part of each joint.
HYPERFORMER_NTU_PARTS = [0, 4, 2, 2, 2, 2, 1, 1, 2, 2, 1, 1, 2, 3, 3, 3, 2, 3, 3, 3, 1, 0, 1, 0, 1]

# Per backbone: folder under --external, the model file, the class, its NTU-60 keyword arguments,
# and whether forward takes a second argument (Hyperformer's forward(x, y) returns (logits, y)).
OFFICIAL: dict[str, dict[str, Any]] = {
    "hcn": {"file": "model/HCN.py", "cls": "HCN",
            "kwargs": {"in_channel": 3, "num_joint": 25, "num_person": 2, "out_channel": 64,
                       "window_size": 64, "num_class": NTU_CLASSES}},
    "agcn": {"file": "model/agcn.py", "cls": "Model",
             "kwargs": {"num_class": NTU_CLASSES, "num_point": 25, "num_person": 2, **NTU_GRAPH}},
    "ctrgcn": {"file": "model/ctrgcn.py", "cls": "Model",
               "kwargs": {"num_class": NTU_CLASSES, "num_point": 25, "num_person": 2, **NTU_GRAPH}},
    "hyperformer": {"file": "model/Hyperformer.py", "cls": "Model", "two_args": True,
                    "kwargs": {"num_class": NTU_CLASSES, "num_point": 25, "num_person": 2, **NTU_GRAPH,
                               "joint_label": HYPERFORMER_NTU_PARTS}},
}
# Source edits applied at load time: (backbone, old text, new text, why).
PATCHES = [
    ("agcn", "self.A.cuda(x.get_device())", "self.A.to(x.device)",
     "the fixed adjacency is moved with .cuda(), which fails on a CPU-only PyTorch"),
    ("ctrgcn", "self.A.cuda(x.get_device())", "self.A.to(x.device)",
     "same, on the non-adaptive path (unused with the NTU config, patched for safety)"),
]
STUBS = ("torchvision", "openpyxl")  # imported by HCN's files, unused by the model


@contextlib.contextmanager
def _isolated_imports(root: Path) -> Iterator[None]:
    """Import from ``root`` with a clean slate for the names the official repositories use for
    their top-level packages, restoring ours (``model``) and ``sys.path`` afterwards."""
    names = ("graph", "utils", "model", "feeders", "torchlight")
    saved = {k: v for k, v in sys.modules.items() if k.split(".")[0] in names}
    for key in saved:
        del sys.modules[key]
    stubbed = [name for name in STUBS if importlib.util.find_spec(name) is None]
    for name in stubbed:
        sys.modules[name] = types.ModuleType(name)
    sys.path.insert(0, str(root))
    try:
        yield
    finally:
        sys.path.remove(str(root))
        for key in [k for k in sys.modules if k.split(".")[0] in names + tuple(stubbed)]:
            del sys.modules[key]
        sys.modules.update(saved)


def load_official(name: str, external: str | Path = "external") -> nn.Module:
    """Build the official implementation of backbone ``name`` from ``external/<name>``."""
    spec = OFFICIAL[name]
    root = Path(external).resolve() / name
    path = root / spec["file"]
    if not path.is_file():
        raise FileNotFoundError(f"{path}: fetch the official {name} code first (see the module docstring)")
    source = path.read_text(encoding="utf-8-sig")
    for backbone, old, new, _ in PATCHES:
        if backbone == name:
            source = source.replace(old, new)
    with _isolated_imports(root):
        module = types.ModuleType(f"official_{name}")
        module.__file__ = str(path)
        exec(compile(source, str(path), "exec"), module.__dict__)
        model = getattr(module, spec["cls"])(**spec["kwargs"])
    return TwoArgs(model) if spec.get("two_args") else model


class TwoArgs(nn.Module):
    """Calls a ``forward(x, y) -> (logits, y)`` model as ``forward(x) -> logits``."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x, None)[0]


def train_step(model: nn.Module, x: torch.Tensor, labels: torch.Tensor) -> Callable[[], None]:
    """A closure running one SGD step of ``model`` on ``(x, labels)``, the whole batch at once."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=4e-4)

    def step() -> None:
        model.train()
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), labels).backward()
        optimizer.step()

    return step


def infer(model: nn.Module, x: torch.Tensor) -> Callable[[], None]:
    """A closure running ``model`` on ``x`` in eval and inference mode."""
    def run() -> None:
        model.eval()
        with torch.inference_mode():
            model(x)

    return run


def interleaved_medians(fns: list[Callable[[], Any]], rounds: int, warmup: int = 1) -> list[float]:
    """Median seconds of each of ``fns`` over ``rounds`` rounds that run each once in turn, after
    ``warmup`` untimed rounds: alternating keeps a changing machine load from favouring one."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(rounds):
        for fn, bucket in zip(fns, times):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def compare(name: str, external: str | Path, rounds: int = 20, train_rounds: int = 3) -> dict[str, Any]:
    """Parameters, latency and training-step time of our ``name`` and the official one."""
    torch.manual_seed(0)
    ours = build_model(name, NTU_CLASSES)
    official = load_official(name, external)
    row: dict[str, Any] = {"model": name, "params": (count_parameters(ours), count_parameters(official))}
    window = torch.randn(INFER_SHAPE, generator=torch.Generator().manual_seed(1))
    row["latency_s"] = tuple(interleaved_medians([infer(ours, window), infer(official, window)], rounds, warmup=3))
    x, labels, _ = random_batch(TRAIN_SHAPE[0], shape=TRAIN_SHAPE[1:])
    steps = [train_step(ours, x, labels), train_step(official, x, labels)]
    row["train_s"] = tuple(interleaved_medians(steps, train_rounds))
    row["load"] = os.getloadavg()[0]
    return row


def format_table(rows: list[dict[str, Any]]) -> str:
    """Markdown table of :func:`compare` rows; ratio = ours / official (below 1: ours is faster)."""
    lines = ["| backbone | params ours / official | latency ms ours / official | train step s ours / official "
             "| ratio latency / train | load (1 min) |", "|---|---|---|---|---|---|"]
    for r in rows:
        (po, pf), (lo, lf), (to, tf) = r["params"], r["latency_s"], r["train_s"]
        lines.append(f"| {r['model']} | {po:,} / {pf:,} | {lo * 1e3:.1f} / {lf * 1e3:.1f} | {to:.2f} / {tf:.2f} "
                     f"| {lo / lf:.2f} / {to / tf:.2f} | {r['load']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--external", default="external", help="folder with one official checkout per backbone")
    parser.add_argument("--models", nargs="+", default=list(OFFICIAL), choices=list(OFFICIAL))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=20, help="interleaved latency rounds")
    parser.add_argument("--train-rounds", type=int, default=3, help="interleaved training-step rounds")
    parser.add_argument("--out", help="also write the table (markdown) here, atomically")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    header = (f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {os.cpu_count()} cores; "
              f"train input {TRAIN_SHAPE}, latency input {INFER_SHAPE}; medians of interleaved runs "
              f"({args.rounds} latency, {args.train_rounds} train rounds)")
    print(header, flush=True)
    rows = []
    for name in args.models:
        rows.append(compare(name, args.external, args.rounds, args.train_rounds))
        print(f"  measured {name} (load {rows[-1]['load']:.2f})", flush=True)
    load_after = os.getloadavg()
    table = format_table(rows)
    loads = (f"load average (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in load_before)} before, "
             f"{', '.join(f'{v:.2f}' for v in load_after)} after")
    print(table)
    print(loads)
    if args.out:
        write_text(args.out, f"{header}\n\n{table}\n\n{loads}\n")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
