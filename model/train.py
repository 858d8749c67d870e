"""Train a backbone, with or without the STD-CL head, from a :class:`model.config.Config`.

``python main.py --train --config RECIPE.yaml [key=value ...]`` runs :func:`train`, which other code
(e.g. fine-tuning on a user's clips) calls directly with its own sets. CUDA with mixed precision
when present, else CPU; several processes under ``torchrun`` train with DistributedDataParallel
(NCCL on GPUs, gloo on CPU). Every epoch ends with an atomic write of the resumable training
state, so a run that is killed (even with SIGKILL) continues from its last finished epoch when
started again with the same ``train.out_dir``. Randomness is seeded per epoch from ``train.seed``,
so a resumed run draws what an uninterrupted one would.

Outputs in ``train.out_dir``: ``best.pt`` and ``last.pt`` (model.checkpoint format), ``state.pt``
(resume), ``config.yaml``, ``log.csv``, ``tensorboard/``, and at the end ``metrics.json`` (top-1,
top-5, per-class accuracy, confusion matrix of the best checkpoint) and ``confusion.png``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from core.atomic import write_text
from core.errors import InputError
from core.outputs import check_outputs
from model.checkpoint import check_expected, load_checkpoint, model_meta, read_checkpoint, save_checkpoint
from model.config import (MAX_WINDOW_SECONDS, Config, OptimConfig, check_config, config_to_dict, dump_config,
                          load_config)
from model.data.dataset import SkeletonDataset
from model.data.loader import load_dataset
from model.data.mixture import aliases, check_label_set, merge_sets
from model.data.sets import SkeletonSet
from model.data.transforms import build_augmentations
from model.distributed import EpochSampler, barrier, process_rank, setup_distributed, sync_banks
from model.evaluate import predict
from model.metrics import classification_report, save_confusion_png
from model.preprocess import InputSpec
from model.registry import backbone_options, build_model
from model.splits import describe_split, split_sets
from model.stdcl import STDCLHead
from model.train_log import epoch_line, hms, progress_bar, tensorboard, write_csv
from model.train_state import STATE_FILE, load_state, save_state


@dataclass
class TrainResult:
    """What a finished run produced."""

    out_dir: Path
    best_checkpoint: Path
    last_checkpoint: Path
    metrics: dict  # classification_report of the best checkpoint on the validation set ({} without one)
    best_epoch: int
    epochs: int
    seconds: float  # training time summed over all sessions of the run
    history: list[dict] = field(default_factory=list)


# --- command line ----------------------------------------------------------------------------------

def run_cli(args: argparse.Namespace) -> int:
    """``--train --config RECIPE [key=value ...]``; ``--data`` and ``--device`` override the recipe.
    Without ``--config``, ``--train --data CLIPS`` fine-tunes on the user's clips (model.finetune)."""
    if not args.config:
        if args.data:
            from model.finetune import run_cli as finetune_cli

            return finetune_cli(args)
        raise InputError("--train needs --config RECIPE.yaml (recipes are in configs/) or --data CLIPS_FOLDER "
                         "(your own clips)")
    for option, setting in (("out", "train.out_dir=DIR"), ("persons", "data.num_person=N")):
        if getattr(args, option) is not None:
            raise InputError(f"--{option} applies to --train --data CLIPS (your own clips); with --config "
                             f"set {setting} instead")
    recipe_files: list[Path] = []
    config = load_config(args.config, args.overrides, files_read=recipe_files)
    if args.data:
        config.data.path = args.data
    if args.device != "auto":
        config.train.device = args.device
    if not config.train.out_dir:
        config.train.out_dir = default_out_dir(config, Path(args.config).stem)
    check_outputs([("train.out_dir file", Path(config.train.out_dir) / "config.yaml")],
                  [("recipe", f) for f in recipe_files])
    result = train(config, init_from=args.base)
    if process_rank() == 0:
        m = result.metrics
        if m:
            print(f"best epoch {result.best_epoch}: {result.best_checkpoint}")
            print(f"top1={m['top1']:.4f} top5={m['top5']:.4f} n={m['n']}")
        else:
            print(f"trained {result.epochs} epochs without validation: {result.last_checkpoint}")
    return 0


def default_out_dir(config: Config, recipe: str) -> str:
    """``runs/<recipe>/<backbone>_<stream>[_stdcl]``: one folder per experiment of a recipe."""
    suffix = "_stdcl" if config.stdcl.enabled else ""
    return str(Path("runs") / recipe / f"{config.model.name}_{config.data.stream}{suffix}")


# --- schedule --------------------------------------------------------------------------------------

def learning_rate(epoch: int, optim: OptimConfig, epochs: int) -> float:
    """Learning rate of ``epoch`` (0-based): linear warm-up to ``optim.lr`` over ``warmup_epochs``,
    then the schedule (``step``: times gamma at each of ``steps``; ``exp``: times gamma per epoch;
    ``cosine``: half cosine to zero at the last epoch; ``constant``)."""
    if epoch < optim.warmup_epochs:
        return optim.lr * (epoch + 1) / optim.warmup_epochs
    if optim.schedule == "step":
        return optim.lr * optim.gamma ** sum(epoch >= s for s in optim.steps)
    if optim.schedule == "exp":
        return optim.lr * optim.gamma ** (epoch - optim.warmup_epochs)
    if optim.schedule == "cosine":
        span = max(epochs - optim.warmup_epochs, 1)
        return optim.lr * 0.5 * (1 + math.cos(math.pi * (epoch - optim.warmup_epochs) / span))
    return optim.lr


def _optimizer(params: list[nn.Parameter], optim: OptimConfig) -> torch.optim.Optimizer:
    if optim.name == "adam":
        return torch.optim.Adam(params, lr=optim.lr, weight_decay=optim.weight_decay)
    return torch.optim.SGD(params, lr=optim.lr, momentum=optim.momentum, nesterov=optim.nesterov,
                           weight_decay=optim.weight_decay)


def _seed_epoch(seed: int, epoch: int, rank: int) -> None:
    """Seed every generator for one epoch of one process (dropout, STD-CL's random negatives)."""
    s = (seed * 1_000_003 + epoch * 1009 + rank) % 2**31
    random.seed(s)
    np.random.seed(s)
    torch.manual_seed(s)


# --- the network trained: backbone plus the optional STD-CL head ----------------------------------

def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """The mixed-precision type of training steps on ``device``: float16 on CUDA, bfloat16 on a CPU
    that computes it natively (AVX-512 BF16 or AMX; measured 1.2-2.3x faster steps), else None:
    emulated bfloat16 would be slower than float32."""
    if device.type == "cuda":
        return torch.float16
    native = (getattr(torch.cpu, name, lambda: False)() for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return torch.bfloat16 if device.type == "cpu" and any(native) else None


class _TrainNet(nn.Module):
    """Backbone and STD-CL head in one module, so that DistributedDataParallel sees every
    parameter used in the step. ``forward`` returns (loss, cross-entropy, STD-CL term, logits)."""

    def __init__(self, backbone: nn.Module, head: STDCLHead | None):
        super().__init__()
        self.backbone, self.head = backbone, head

    def forward(self, x: torch.Tensor, labels: torch.Tensor, indices: torch.Tensor):
        features = self.backbone.features(x)
        logits = self.backbone.classify(features, x.shape[-1])
        if self.head is None:
            ce = F.cross_entropy(logits, labels)
            return ce, ce, torch.zeros((), device=x.device), logits
        parts = self.head(features.float(), logits.float(), labels, indices)
        return parts.total, parts.cross_entropy, parts.contrastive, logits


# --- data ------------------------------------------------------------------------------------------

def _window_seconds(config: Config, train_set: SkeletonSet) -> float:
    if config.data.window_seconds is not None:
        return config.data.window_seconds
    seconds = round(float(np.median(train_set.lengths)) / config.data.fps, 2)
    if not 0 < seconds <= MAX_WINDOW_SECONDS:  # checked now, not when the first checkpoint is written
        raise InputError(f"the median training clip lasts {seconds:g} s at data.fps={config.data.fps:g}; set "
                         f"data.window_seconds (at most {MAX_WINDOW_SECONDS:g} s) to the live time one window spans")
    return seconds


def class_weights(labels: np.ndarray, balance: float) -> torch.Tensor | None:
    """Per-sample drawing weights ``n_c ** -balance`` (n_c: samples of the sample's class); None for 0."""
    if balance == 0:
        return None
    counts = np.bincount(labels)
    return torch.as_tensor(counts[labels].astype(np.float64) ** -balance)


def _read(path: str, cache_dir: str | None, rank: int, world: int, progress: bool) -> SkeletonSet:
    if rank == 0:  # the first process parses and caches; the others then read the cache
        full = load_dataset(path, cache_dir=cache_dir, progress=progress)
    barrier(world)
    if rank != 0:
        full = load_dataset(path, cache_dir=cache_dir, progress=False)
    return full


def load_sets(config: Config, rank: int = 0, world: int = 1, progress: bool = False) -> tuple[SkeletonSet, SkeletonSet | None]:
    """The recipe's training and validation sets (``data.path`` split, or ``data.sources`` merged)."""
    dc = config.data
    cache_dir = dc.cache or None
    if not dc.sources:
        if not dc.path:
            raise InputError("config: data.path is empty; set it in the recipe or pass --data DIR")
        return split_sets(_read(dc.path, cache_dir, rank, world, progress), dc)
    if dc.path:
        raise InputError("config: give either data.path or data.sources, not both")
    check_label_set(dc.labels, dc.background)
    trains, vals = [], []
    for source in dc.sources:
        full = _read(source.path, cache_dir, rank, world, progress)
        train_part, val_part = split_sets(full, replace(dc, train=source.train, val=source.val, split=""))
        trains.append((train_part, source.fps))
        if val_part is not None:
            vals.append((val_part, source.fps))
    merged_val = merge_sets(vals, dc.labels, dc.layout, dc.fps) if vals else None
    return merge_sets(trains, dc.labels, dc.layout, dc.fps), merged_val


def training_data(config: Config, train_set: SkeletonSet) -> SkeletonDataset:
    """``train_set`` as the recipe trains on it: random crops, camera and other augmentations."""
    dc = config.data
    spec = InputSpec(layout=dc.layout, window=dc.window, window_seconds=_window_seconds(config, train_set),
                     stream=dc.stream, normalization=dc.normalization, num_person=dc.num_person,
                     timing=dc.timing, fps=dc.fps)
    return SkeletonDataset(train_set, spec, train=True, augment=build_augmentations(dc.augmentation, dc.layout),
                           camera=build_augmentations(dc.camera_augmentation, dc.layout),
                           crop_ratio=tuple(dc.crop_ratio), min_crop=dc.min_crop, seed=config.train.seed,
                           speed=tuple(dc.speed))


def _check_sets(train_set: SkeletonSet, val_set: SkeletonSet | None, config: Config) -> None:
    if val_set is not None and tuple(val_set.class_names) != tuple(train_set.class_names):
        raise InputError("validation and training sets have different class lists")
    if len(train_set) * config.data.repeat < config.train.batch_size:
        raise InputError(f"the training set has {len(train_set)} samples, fewer than "
                         f"train.batch_size={config.train.batch_size}")


def _check_stdcl_pairs(config: Config, train_set: SkeletonSet, say: Callable[[str], None]) -> None:
    """STD-CL contrasts an anchor only when the bank holds ``positives`` samples of its class and
    ``negatives`` of the others: refuse settings under which no class ever qualifies (the term
    would stay 0 for the whole run), warn about classes that never do."""
    sc = config.stdcl
    counts = np.bincount(train_set.labels, minlength=train_set.num_classes)
    present = counts > 0
    usable = present & (counts >= sc.positives) & (len(train_set) - counts >= sc.negatives)
    fix = (f"lower stdcl.positives (largest class: {counts.max()} samples) or stdcl.negatives "
           f"({len(train_set)} samples in all), or set stdcl.enabled=false")
    if not usable.any():
        raise InputError(f"config: stdcl.positives={sc.positives} and stdcl.negatives={sc.negatives} cannot be "
                         f"met by any class of the training set, so STD-CL would add nothing; {fix}")
    short = [train_set.class_names[c] for c in np.flatnonzero(present & ~usable)]
    if short:
        say(f"warning: STD-CL skips the samples of {len(short)} class(es) with fewer than stdcl.positives="
            f"{sc.positives} samples or fewer than stdcl.negatives={sc.negatives} others (e.g. {short[0]!r}); "
            f"{fix}")


def _diverged(value: float, epoch: int, step: int) -> None:
    raise InputError(f"training diverged: the loss is {value} at epoch {epoch + 1}, step {step + 1}; "
                     f"nothing was saved for this epoch (lower optim.lr, or set optim.grad_clip)")


# --- the run ---------------------------------------------------------------------------------------

def _init_weights(backbone: nn.Module, path: str | os.PathLike, log: Callable[[str], None]) -> None:
    """Start from a checkpoint's weights; tensors whose shape differs (a new classifier) are kept.
    A checkpoint of another backbone, joint layout or input channels is refused (InputError):
    almost nothing of it would fit, and the run would silently start from scratch."""
    payload = read_checkpoint(path)
    own_fields = model_meta(backbone)
    check_expected(path, payload["meta"], {k: own_fields[k] for k in ("backbone", "layout", "in_channels")})
    source = payload["state_dict"]
    own = backbone.state_dict()
    taken = {k: v for k, v in source.items() if k in own and own[k].shape == v.shape}
    backbone.load_state_dict(taken, strict=False)
    log(f"initialised {len(taken)} of {len(own)} tensors from {path}")


def train(config: Config, train_set: SkeletonSet | None = None, val_set: SkeletonSet | None = None,
          init_from: str | os.PathLike | None = None, log: Callable[[str], None] | None = None) -> TrainResult:
    """Train as ``config`` says and return the result (see module docstring for the outputs).

    ``train_set`` / ``val_set`` replace reading ``config.data.path`` (then ``val_set`` None means no
    validation); ``init_from`` is a checkpoint whose matching weights start the backbone.
    """
    tc = config.train
    check_config(config)
    out_dir = Path(tc.out_dir or default_out_dir(config, "train"))
    if init_from is not None:
        check_outputs([("train.out_dir file", out_dir / name) for name in ("best.pt", "last.pt", STATE_FILE)],
                      [("--base", init_from)])
    rank, world, device = setup_distributed(tc.device)
    say = (log or (lambda s: print(s, flush=True))) if rank == 0 else (lambda s: None)
    if tc.threads > 0:
        torch.set_num_threads(tc.threads)
    progress = tc.progress and rank == 0
    if train_set is None:
        train_set, val_set = load_sets(config, rank, world, progress)
    _check_sets(train_set, val_set, config)
    if config.stdcl.enabled:
        _check_stdcl_pairs(config, train_set, say)

    dc = config.data
    train_data = training_data(config, train_set)
    spec = train_data.spec
    val_data = SkeletonDataset(val_set, spec) if val_set is not None else None
    class_names = list(train_set.class_names)
    say(f"{train_set.dataset}: {len(train_set)} training samples"
        + (f", {len(val_set)} validation samples" if val_set is not None else ", no validation")
        + f"; {len(class_names)} classes; {config.model.name}, stream {dc.stream}, window {dc.window}, "
        + f"STD-CL {'on' if config.stdcl.enabled else 'off'}; device {device}"
        + (f" x{world} processes" if world > 1 else ""))

    torch.manual_seed(tc.seed)
    model_args = dict(config.model.args)
    if "window" in backbone_options(config.model.name):
        model_args.setdefault("window", dc.window)
    backbone = build_model(config.model.name, len(class_names), layout=dc.layout, num_person=dc.num_person,
                           **model_args).to(device)
    if init_from is not None:
        _init_weights(backbone, init_from, say)
    head = None
    if config.stdcl.enabled:
        sc = config.stdcl
        head = STDCLHead.for_backbone(
            backbone, dc.window, torch.as_tensor(train_set.labels), embed_dim=sc.dim,
            positives=sc.positives, negatives=sc.negatives, temperature=sc.tau, weight=sc.weight,
            branches=sc.branches).to(device)
    net = _TrainNet(backbone, head)
    optimizer = _optimizer(list(net.parameters()), config.optim)
    use_amp = tc.amp and device.type == "cuda"
    precision = autocast_dtype(device) if tc.amp else None
    if precision == torch.bfloat16 and backbone.prefers_channels_last:
        backbone.to(memory_format=torch.channels_last)
    scaler = torch.amp.GradScaler(device.type, enabled=use_amp)

    state_path = out_dir / STATE_FILE
    start_epoch, seconds_before, history = 0, 0.0, []
    best = {"top1": -1.0, "epoch": 0}
    if tc.resume and state_path.exists():
        state = load_state(state_path, config)
        backbone.load_state_dict(state["backbone"])
        if head is not None:
            head.load_state_dict(state["head"])
        optimizer.load_state_dict(state["optimizer"])
        scaler.load_state_dict(state["scaler"])
        start_epoch, best, history = state["epoch"], state["best"], state["history"]
        seconds_before = state["seconds"]
        say(f"resuming {out_dir} after epoch {start_epoch}")
    if rank == 0:
        out_dir.mkdir(parents=True, exist_ok=True)
        write_text(out_dir / "config.yaml", dump_config(config))

    runner: nn.Module = net
    if world > 1:
        runner = nn.parallel.DistributedDataParallel(
            net, device_ids=[device.index] if device.type == "cuda" else None, broadcast_buffers=False)
    sampler = EpochSampler(len(train_data), tc.seed, dc.repeat, rank, world, class_weights(train_set.labels, dc.balance))
    # Workers are not persistent: started anew each epoch, they see the dataset's epoch number.
    loader = DataLoader(train_data, batch_size=tc.batch_size, sampler=sampler, drop_last=True,
                        num_workers=tc.workers, pin_memory=device.type == "cuda")
    steps = len(loader) if tc.max_steps_per_epoch is None else min(len(loader), tc.max_steps_per_epoch)
    writer = tensorboard(out_dir) if rank == 0 else None

    meta_common = {
        "class_names": class_names, **{k: v for k, v in spec.to_dict().items() if k != "layout"},
        "fps": dc.fps, "dataset": train_set.dataset, "split": describe_split(dc),
        "stdcl": asdict(config.stdcl) if config.stdcl.enabled else None,
    }
    if dc.sources:
        meta_common["label_aliases"] = aliases(dc.labels)
    if dc.background:
        meta_common["background_classes"] = list(dc.background)

    def save_model(path: Path, epoch: int, accuracy: dict | None, seconds: float) -> None:
        trained = {"epochs": epoch, "seconds": round(seconds, 1),
                   "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                   "config": config_to_dict(config)}
        save_checkpoint(path, backbone, {**meta_common, "accuracy": accuracy, "trained": trained})

    session_start = time.perf_counter()
    steps_done = 0
    for epoch in range(start_epoch, tc.epochs):
        epoch_start = time.perf_counter()
        _seed_epoch(tc.seed, epoch, rank)
        sampler.set_epoch(epoch)
        train_data.set_epoch(epoch)
        lr = learning_rate(epoch, config.optim, tc.epochs)
        for group in optimizer.param_groups:
            group["lr"] = lr
        runner.train()
        visited = torch.zeros(len(train_data), dtype=torch.bool, device=device)
        sums = torch.zeros(4, dtype=torch.float64)  # loss, ce, stdcl, correct (summed over samples)
        seen = 0
        bar = progress_bar(loader, steps, epoch, tc.epochs, progress)
        for step, (x, y, idx) in enumerate(bar):
            if step >= steps:
                break
            x, y, idx = x.to(device, non_blocking=True), y.to(device), idx.to(device)
            with torch.autocast(device.type, dtype=precision or torch.float32, enabled=precision is not None):
                loss, ce, cl, logits = runner(x, y, idx)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            loss_value = loss.item()
            if world == 1 and not math.isfinite(loss_value):  # with DDP: the epoch's sums, below
                _diverged(loss_value, epoch, step)
            if config.optim.grad_clip is not None:
                scaler.unscale_(optimizer)
                nn.utils.clip_grad_norm_(net.parameters(), config.optim.grad_clip)
            scaler.step(optimizer)
            scaler.update()
            visited[idx] = True
            n = len(y)
            correct = (logits.argmax(1) == y).sum().item()
            sums += torch.tensor([loss_value * n, ce.item() * n, cl.item() * n, correct], dtype=torch.float64)
            seen += n
            steps_done += 1
            if writer is not None:
                global_step = epoch * steps + step
                writer.add_scalar("train/loss", loss_value, global_step)
                writer.add_scalar("train/stdcl", cl.item(), global_step)
            if progress:
                elapsed = time.perf_counter() - session_start
                left = (tc.epochs - epoch) * steps - step - 1
                bar.set_postfix(loss=f"{sums[0].item() / seen:.3f}", acc=f"{sums[3].item() / seen:.1%}",
                                eta=hms(elapsed / steps_done * left), refresh=False)
        if world > 1:
            totals = torch.cat([sums, torch.tensor([float(seen)], dtype=torch.float64)])
            dist.all_reduce(totals)
            sums, seen = totals[:4], int(totals[4].item())
            if not math.isfinite(sums[0].item()):
                _diverged(sums[0].item(), epoch, steps - 1)
            if head is not None:
                sync_banks(head, visited, world)
        row = {"epoch": epoch + 1, "lr": lr, "samples": seen, "loss": sums[0].item() / seen,
               "cross_entropy": sums[1].item() / seen, "stdcl": sums[2].item() / seen,
               "train_top1": sums[3].item() / seen}
        last_epoch = epoch + 1 == tc.epochs
        if rank == 0:
            accuracy = None
            if val_data is not None and ((epoch + 1) % tc.eval_interval == 0 or last_epoch):
                scores, labels = predict(backbone, val_data, device, tc.eval_batch_size, use_amp, tc.workers)
                report = classification_report(scores, labels, class_names)
                val_loss = float(-np.log(np.maximum(scores[np.arange(len(labels)), labels], 1e-12)).mean())
                accuracy = {k: report[k] for k in ("top1", "top5", "n")}
                row.update(val_loss=val_loss, val_top1=report["top1"], val_top5=report["top5"])
            seconds = seconds_before + time.perf_counter() - session_start
            row["seconds"] = round(time.perf_counter() - epoch_start, 1)
            history.append(row)
            improved = accuracy is not None and accuracy["top1"] > best["top1"]
            if improved or (val_data is None and last_epoch):
                best = {"top1": accuracy["top1"] if accuracy else -1.0, "epoch": epoch + 1}
                save_model(out_dir / "best.pt", epoch + 1, accuracy, seconds)
            save_model(out_dir / "last.pt", epoch + 1, accuracy, seconds)
            save_state(state_path, net, optimizer, scaler, epoch + 1, best, history, config, seconds)
            write_csv(out_dir / "log.csv", history)
            for key, value in row.items():
                if key != "epoch" and value is not None:
                    writer.add_scalar(f"epoch/{key}", value, epoch + 1)
            writer.flush()
            say(epoch_line(row, tc.epochs))
        barrier(world)

    total_seconds = seconds_before + time.perf_counter() - session_start
    metrics: dict = {}
    if rank == 0:
        writer.close()
        if val_data is not None and (out_dir / "best.pt").exists():
            metrics = _final_report(out_dir, val_data, class_names, device, tc, best, config)
            say(f"best epoch {best['epoch']}: top1 {metrics['top1']:.2%} top5 {metrics['top5']:.2%} "
                f"(n={metrics['n']}); {out_dir / 'confusion.png'}")
    barrier(world)
    if world > 1:
        dist.destroy_process_group()
    return TrainResult(out_dir=out_dir, best_checkpoint=out_dir / "best.pt", last_checkpoint=out_dir / "last.pt",
                       metrics=metrics, best_epoch=best["epoch"], epochs=tc.epochs, seconds=total_seconds,
                       history=history)


def _final_report(out_dir: Path, val_data: SkeletonDataset, class_names: list[str], device: torch.device,
                  tc, best: dict, config: Config) -> dict:
    """Evaluate best.pt on the validation set: metrics.json and confusion.png."""
    model, meta = load_checkpoint(out_dir / "best.pt", device=device)
    scores, labels = predict(model, val_data, device, tc.eval_batch_size, tc.amp, tc.workers)
    report = classification_report(scores, labels, class_names, config.data.background)
    report.update(checkpoint=str(out_dir / "best.pt"), epoch=best["epoch"], backbone=config.model.name,
                  stream=config.data.stream, stdcl=config.stdcl.enabled, split=meta["split"],
                  dataset=meta["dataset"])
    write_text(out_dir / "metrics.json", json.dumps(report, indent=1))
    save_confusion_png(out_dir / "confusion.png", report["confusion"], class_names,
                       title=f"{config.model.name} {config.data.stream} "
                             f"{'+STD-CL ' if config.stdcl.enabled else ''}"
                             f"epoch {best['epoch']}: top-1 {report['top1']:.1%}")
    return report
