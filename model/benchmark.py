"""Speed and size of the backbones: parameters, FLOPs, CPU latency of one window, training-step
time with and without the STD-CL head, and the STD-CL overhead on NTU RGB+D shapes.

Times are medians over repeats after warm-up runs, in seconds, on the current torch thread count.
A training step is forward, loss, backward and an SGD (momentum, Nesterov) update; with STD-CL the
loss is the head's (cross-entropy + contrastive terms against a full memory bank of NTU-60
cross-subject size), so the step includes the bank update and the hard-negative mining. For the
graph networks a step of 64 accumulates gradients over micro-batches of 16 (the head runs on
each), which bounds memory (see ``MICRO_BATCH``); HCN's runs in one piece. The overhead is reported
twice: as the ratio of the two step times, and as the time of the head alone on the whole batch
at once (forward and backward on the step's feature map) over the plain step, which is far less
sensitive to a busy machine than the difference of two full steps.

:func:`precision_step_times` compares a float32 training step with the mixed-precision step that
training uses on the CPU (``train.amp``: bfloat16 autocast where the CPU computes it natively,
HCN's weights channels-last), on the single-person recipes' shapes (UTD-MHAD: 27 classes, 64 frames).
"""
from __future__ import annotations

import statistics
import time
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from model.backbones.base import Backbone
from model.registry import available_models, backbone_options, build_model
from model.stdcl import STDCLHead
from model.train import autocast_dtype

NTU_CLASSES = 60
NTU_TRAIN_SAMPLES = 40091  # NTU RGB+D 60 cross-subject training set: one bank row each
WINDOW = 64
INFERENCE_SHAPE = (1, 3, WINDOW, 25, 2)
# Steps accumulate gradients over micro-batches of at most this many samples, to bound memory:
# per 16 samples a training step holds ~0.4 GB of activations for HCN, 2-2.5 GB for 2s-AGCN and
# CTR-GCN, ~5 GB for Hyperformer (a batch of 64 in one piece would need ~20 GB).
MICRO_BATCH = {"hcn": 64}
DEFAULT_MICRO_BATCH = 16


def count_parameters(model: torch.nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_flops(model: torch.nn.Module, x: torch.Tensor) -> int:
    """Floating-point operations of one inference forward pass (a multiply-add counts 2)."""
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        model(x)
    return int(counter.get_total_flops())


def median_seconds(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs after ``warmup`` untimed runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def inference_latency(model: Backbone, x: torch.Tensor, repeats: int = 20, warmup: int = 3) -> float:
    """Median seconds of ``model(x)`` in eval and inference mode."""
    model.eval()
    with torch.inference_mode():
        return median_seconds(lambda: model(x), repeats, warmup)


def ntu_head(model: Backbone, window: int = WINDOW, bank_size: int = NTU_TRAIN_SAMPLES, seed: int = 0) -> STDCLHead:
    """An STD-CL head for ``model`` with default settings and a full bank of ``bank_size`` random
    unit embeddings over NTU-60's classes (the steady state of training)."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, NTU_CLASSES, (bank_size,), generator=gen)
    head = STDCLHead.for_backbone(model, window, labels)
    with torch.no_grad():
        for bank in (head.bank_spatial, head.bank_temporal):
            bank.copy_(F.normalize(torch.randn(bank.shape, generator=gen), dim=1))
        head.filled.fill_(True)
    return head


def train_step(model: Backbone, head: STDCLHead | None, x: torch.Tensor, labels: torch.Tensor,
               indices: torch.Tensor, micro_batch: int = DEFAULT_MICRO_BATCH) -> Callable[[], None]:
    """A closure running one SGD training step of ``model`` (and ``head`` when given) on a batch,
    as gradient accumulation over micro-batches of at most ``micro_batch`` samples."""
    params = list(model.parameters()) + (list(head.parameters()) if head is not None else [])
    optimizer = torch.optim.SGD(params, lr=0.01, momentum=0.9, nesterov=True, weight_decay=4e-4)
    model.train()
    chunks = list(zip(x.split(micro_batch), labels.split(micro_batch), indices.split(micro_batch)))

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        for xc, lc, ic in chunks:
            features = model.features(xc)
            logits = model.classify(features, xc.shape[-1])
            loss = F.cross_entropy(logits, lc) if head is None else head(features, logits, lc, ic).total
            (loss * (len(xc) / len(x))).backward()
        optimizer.step()

    return step


def random_batch(batch: int, num_classes: int = NTU_CLASSES, bank_size: int = NTU_TRAIN_SAMPLES,
                 shape: tuple[int, ...] = INFERENCE_SHAPE[1:], seed: int = 0):
    """Random inputs (batch, *shape), labels and distinct dataset indices."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((batch,) + tuple(shape), generator=gen)
    labels = torch.randint(0, num_classes, (batch,), generator=gen)
    indices = torch.randperm(bank_size, generator=gen)[:batch]
    return x, labels, indices


def train_step_times(name: str, batch: int, repeats: int = 3, warmup: int = 1) -> dict[str, float]:
    """Median seconds of a training step of backbone ``name`` at ``batch`` on NTU shapes, without
    and with STD-CL (runs interleaved so that both see the same machine load), and the overhead."""
    x, labels, indices = random_batch(batch)
    torch.manual_seed(0)
    plain_model = build_model(name, NTU_CLASSES)
    stdcl_model = build_model(name, NTU_CLASSES)
    head = ntu_head(stdcl_model)
    micro = MICRO_BATCH.get(name, DEFAULT_MICRO_BATCH)
    plain = train_step(plain_model, None, x, labels, indices, micro)
    stdcl = train_step(stdcl_model, head, x, labels, indices, micro)
    for _ in range(warmup):
        plain()
        stdcl()
    times: dict[str, list[float]] = {"plain": [], "stdcl": []}
    for _ in range(repeats):
        for key, fn in (("plain", plain), ("stdcl", stdcl)):
            start = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - start)
    plain_s, stdcl_s = statistics.median(times["plain"]), statistics.median(times["stdcl"])
    head_s = head_seconds(stdcl_model, head, x, labels, indices, repeats=max(repeats, 3))
    return {"plain_s": plain_s, "stdcl_s": stdcl_s, "overhead": stdcl_s / plain_s - 1.0, "head_s": head_s,
            "head_share": head_s / plain_s}


def head_seconds(model: Backbone, head: STDCLHead, x: torch.Tensor, labels: torch.Tensor, indices: torch.Tensor,
                 repeats: int = 3) -> float:
    """Median seconds of the STD-CL head alone in a step (embeddings, bank update, mining, loss,
    backward into the feature map): the cost a training step pays for STD-CL, measured without
    the noise of two full steps."""
    model.train()
    with torch.no_grad():
        features = torch.cat([model.features(xc) for xc in x.split(DEFAULT_MICRO_BATCH)])
        logits = model.classify(features, x.shape[-1])

    def run() -> None:
        f = features.detach().requires_grad_()
        head(f, logits, labels, indices).total.backward()

    return median_seconds(run, repeats)


def benchmark_backbone(name: str, train_repeats: int = 3, overhead_batch: int = 64,
                       overhead_repeats: int | None = None) -> dict[str, Any]:
    """All measurements for one backbone on NTU shapes (25 joints, 2 persons, 64 frames, 60 classes).

    ``overhead_repeats`` None sizes the batch-64 rounds to about 15 s per variant (2 to 9): a cheap
    step such as HCN's (under a second) is noisy at a few rounds, a graph network's is not."""
    torch.manual_seed(0)
    model = build_model(name, NTU_CLASSES)
    x = torch.randn(INFERENCE_SHAPE)
    row: dict[str, Any] = {"model": name, "params": count_parameters(model), "flops": count_flops(model.eval(), x),
                           "latency_s": inference_latency(model, x)}
    b16 = train_step_times(name, 16, repeats=train_repeats)
    row.update(train16_s=b16["plain_s"], train16_stdcl_s=b16["stdcl_s"])
    if overhead_batch:
        if overhead_repeats is None:
            estimate = b16["plain_s"] * overhead_batch / 16
            overhead_repeats = max(2, min(9, int(15 / estimate)))
        b64 = train_step_times(name, overhead_batch, repeats=overhead_repeats)
        row.update(overhead_batch=overhead_batch, train64_s=b64["plain_s"], train64_stdcl_s=b64["stdcl_s"],
                   stdcl_overhead=b64["overhead"], stdcl_head_s=b64["head_s"], stdcl_head_share=b64["head_share"],
                   overhead_repeats=overhead_repeats)
    return row


def benchmark_all(names: list[str] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    """:func:`benchmark_backbone` for each name (all backbones by default)."""
    return [benchmark_backbone(name, **kwargs) for name in (names or available_models())]


def precision_step_times(name: str, batch: int = 16, window: int = 64, classes: int = 27, repeats: int = 5,
                         bank_size: int = 324) -> dict[str, Any]:
    """Median seconds of an STD-CL training step of backbone ``name`` on one-person inputs in
    float32 and in the CPU's mixed precision (None where it has none), runs interleaved, on the
    current thread count; ``speedup`` is float32 over mixed."""
    dtype = autocast_dtype(torch.device("cpu"))
    x, labels, indices = random_batch(batch, classes, bank_size, shape=(3, window, 25, 1))
    gen = torch.Generator().manual_seed(1)
    bank_labels = torch.randint(0, classes, (bank_size,), generator=gen)
    bank_labels[indices] = labels
    args = {"window": window} if "window" in backbone_options(name) else {}
    steps: dict[str, Callable[[], None]] = {}
    for key, precision in (("fp32", None), ("mixed", dtype)):
        if key == "mixed" and precision is None:
            continue
        torch.manual_seed(0)
        model = build_model(name, classes, num_person=1, **args).train()
        if precision == torch.bfloat16 and model.prefers_channels_last:
            model.to(memory_format=torch.channels_last)
        head = STDCLHead.for_backbone(model, window, bank_labels, positives=8, negatives=128)
        head.filled.fill_(True)
        optimizer = torch.optim.SGD(list(model.parameters()) + list(head.parameters()), lr=0.01, momentum=0.9)

        def step(model=model, head=head, optimizer=optimizer, precision=precision) -> None:
            with torch.autocast("cpu", dtype=precision or torch.float32, enabled=precision is not None):
                features = model.features(x)
                logits = model.classify(features, 1)
                loss = head(features.float(), logits.float(), labels, indices).total
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

        steps[key] = step
    for step in steps.values():
        step()
    times: dict[str, list[float]] = {key: [] for key in steps}
    for _ in range(repeats):
        for key, step in steps.items():
            start = time.perf_counter()
            step()
            times[key].append(time.perf_counter() - start)
    row: dict[str, Any] = {"model": name, "threads": torch.get_num_threads(), "batch": batch,
                           "mixed_dtype": str(dtype).replace("torch.", "") if dtype else None,
                           "fp32_s": statistics.median(times["fp32"])}
    if "mixed" in times:
        row["mixed_s"] = statistics.median(times["mixed"])
        row["speedup"] = row["fp32_s"] / row["mixed_s"]
    return row
