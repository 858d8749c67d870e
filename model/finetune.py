"""Teach the model the user's own actions: ``python main.py --train --data CLIPS [--base CKPT] [--out CKPT]``.

The clips folder (:mod:`model.data.clips`: one sub-folder per action, videos and/or ``.npz``
sequences) is read, extracting skeletons from videos not processed yet. The base checkpoint (the
shipped ``assets/models/default.pt`` unless ``--base``) fixes the backbone and what it sees (layout,
window, stream, normalisation, persons, fps); its weights start the backbone and a new classifier is
trained for the folder's actions with the STD-CL head and augmentation on (recipe
``configs/finetune_clips.yaml``, ``key=value`` overrides allowed), by :func:`model.train.train`.

Two runs: the first trains on about 80% of each action's clips and scores the held-out rest (the
accuracy reported and stored in the checkpoint); the second trains the same way on every clip and
gives the checkpoint, written to the user models folder (:mod:`model.user_models`, listed by the
GUI's model picker) unless ``--out`` says otherwise. Run logs go to ``runs/<name>/`` beside it.
"""
from __future__ import annotations

import argparse
import math
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from core.errors import InputError
from core.labels import is_reserved_label
from core.outputs import check_outputs
from model.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from model.config import Config, load_config
from model.data.clips import is_clip_folder, load_clips, scan
from model.data.sets import SkeletonSet
from model.train import train
from model.user_models import user_models_dir

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BASE = ROOT / "assets" / "models" / "default.pt"
RECIPE = ROOT / "configs" / "finetune_clips.yaml"
FEW_CLIPS = 5  # warn when an action has fewer clips than this
HOLDOUT_FRACTION = 0.2  # share of each action's clips scored by the first run
MIN_CLIPS_TO_HOLD_OUT = 3  # an action with fewer clips keeps them all for training
# Settings taken from the base checkpoint (a fine-tuned model must see its input as the base did).
FROM_BASE = ("model", "data.layout", "data.window", "data.stream", "data.normalization",
             "data.num_person", "data.fps", "data.timing")
_BASE_META = ("window", "stream", "normalization", "fps", "backbone_args")


@dataclass
class FinetuneResult:
    """What :func:`finetune` produced."""

    checkpoint: Path
    class_names: list[str]
    counts: dict[str, int]  # clips per action
    holdout: dict | None  # classification report on the held-out clips (None: too few clips)
    seconds: float  # wall time, extraction included
    warnings: list[str] = field(default_factory=list)


def default_output(folder: Path) -> Path:
    """``<user models folder>/<clips folder name>.pt``."""
    name = re.sub(r"[^\w.-]+", "_", folder.resolve().name).strip("._") or "my_actions"
    return user_models_dir() / f"{name}.pt"


def finetune_config(base_meta: dict, overrides: Sequence[str] = ()) -> Config:
    """The recipe with ``overrides``, and the base checkpoint's backbone and input settings."""
    for item in overrides:
        key = item.partition("=")[0].strip()
        if any(key == f or key.startswith(f + ".") for f in FROM_BASE):
            raise InputError(f"{key} comes from the base checkpoint when fine-tuning; choose another "
                             f"--base instead of overriding it")
    config = load_config(RECIPE, overrides)
    config.model.name = base_meta["backbone"]
    config.model.args = dict(base_meta["backbone_args"])
    dc = config.data
    dc.layout, dc.window, dc.stream = base_meta["layout"], int(base_meta["window"]), base_meta["stream"]
    dc.normalization, dc.num_person = base_meta["normalization"], int(base_meta["num_person"])
    dc.fps = float(base_meta["fps"])
    dc.timing = base_meta.get("timing", "clip")
    if dc.normalization == "canonical":  # bone lengths are fixed by the normalisation: keep them so
        dc.augmentation.pop("body_shape", None)
        dc.augmentation["retarget"] = {}
    dc.path, dc.split, dc.train, dc.val = "", "", {}, {}
    config.train.resume = False
    return config


def holdout_split(data: SkeletonSet, fraction: float = HOLDOUT_FRACTION,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(training indices, held-out indices): a seeded random ``fraction`` of each action's clips,
    at least one, for actions with at least :data:`MIN_CLIPS_TO_HOLD_OUT` clips."""
    rng = np.random.default_rng(seed)
    held = []
    for c in range(data.num_classes):
        idx = np.flatnonzero(data.labels == c)
        if len(idx) >= MIN_CLIPS_TO_HOLD_OUT:
            held.extend(rng.choice(idx, size=max(1, round(len(idx) * fraction)), replace=False))
    mask = np.zeros(len(data), dtype=bool)
    mask[np.asarray(held, dtype=np.int64)] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def _fit_to(config: Config, train_set: SkeletonSet) -> Config:
    """Adapt STD-CL's positives / negatives and the passes per epoch to a (small) training set."""
    counts = np.bincount(train_set.labels, minlength=train_set.num_classes)
    sc = config.stdcl
    sc.positives = max(1, min(sc.positives, int(counts.min())))
    sc.negatives = max(1, min(sc.negatives, int(len(train_set) - counts.max())))
    config.data.repeat = max(config.data.repeat, math.ceil(config.train.batch_size / len(train_set)))
    return config


def _check_base(path: Path) -> dict:
    meta = read_checkpoint(path)["meta"]
    missing = [k for k in _BASE_META if meta.get(k) is None]
    if missing:
        raise InputError(f"base checkpoint {path} lacks {', '.join(missing)} in its meta; it cannot be "
                         f"fine-tuned (train it with --train --config)")
    return meta


def finetune(folder: str | Path, base: str | Path | None = None, out: str | Path | None = None,
             overrides: Sequence[str] = (), device: str = "auto", persons: int | None = None,
             log: Callable[[str], None] = print, progress: bool = True) -> FinetuneResult:
    """Fine-tune ``base`` (default: the shipped model) on the clips in ``folder``; see the module
    docstring. InputError for a folder that is not a clips folder, has one action, or an empty one."""
    start = time.perf_counter()
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"--data {folder}: no such folder")
    if not is_clip_folder(folder):
        raise InputError(f"--data {folder} is not a clips folder (one sub-folder per action holding its "
                         f"videos or .npz sequences); to train on a dataset add --config RECIPE.yaml")
    base = Path(base) if base else DEFAULT_BASE
    if not base.is_file():
        hint = " (the shipped default model is missing)" if base == DEFAULT_BASE else ""
        raise InputError(f"base checkpoint {base} not found{hint}; pass --base CHECKPOINT")
    out = Path(out) if out else default_output(folder)
    if out.suffix != ".pt":
        raise InputError(f"--out {out}: a fine-tuned checkpoint is a .pt file")
    check_outputs([("--out", out)], [("--base" if base != DEFAULT_BASE else "base (the shipped default)", base)])
    reserved = next((name for name in scan(folder) if is_reserved_label(name)), None)
    if reserved is not None:
        raise InputError(f"clips folder {folder}: an action may not be called {reserved!r}, which is what the app "
                         f"shows when it recognises nothing; rename the folder {folder / reserved}")
    meta = _check_base(base)
    config = finetune_config(meta, overrides)
    config.train.device = device
    config.train.progress = progress and config.train.progress

    pending = sum(clip.needs_extraction for clips in scan(folder).values() for clip in clips)
    if pending:
        log(f"extracting skeletons from {pending} new video{'s' * (pending != 1)} (once; the sequences are "
            f"saved beside them)")
    read_start = time.perf_counter()
    data = load_clips(folder, persons=persons or config.data.num_person, fps=config.data.fps,
                      progress=progress)
    if pending:
        log(f"extraction took {time.perf_counter() - read_start:.0f} s")
    counts = {name: int((data.labels == i).sum()) for i, name in enumerate(data.class_names)}
    if len(counts) < 2:
        raise InputError(f"clips folder {folder} has one action ({data.class_names[0]!r}); teaching needs "
                         f"at least two actions to tell apart")
    notes = [f"action {name!r} has only {n} clip{'s' * (n != 1)}; record at least {FEW_CLIPS} (10 is "
             f"better) for it to be recognised reliably" for name, n in counts.items() if n < FEW_CLIPS]
    log(f"{folder}: {len(data)} clips of {len(counts)} actions: "
        + ", ".join(f"{name} {n}" for name, n in counts.items()))
    for note in notes:
        log(f"warning: {note}")
    log(f"base {base}: {meta['backbone']}, {meta['normalization']} normalisation, window {meta['window']}, "
        f"{meta['num_person']} person(s)")

    runs = out.parent / "runs" / out.stem
    train_idx, held_idx = holdout_split(data, seed=config.train.seed)
    holdout = None
    if len(held_idx):
        log(f"held-out check: training on {len(train_idx)} clips, then scoring {len(held_idx)} "
            f"held-out clips")
        check = finetune_config(meta, overrides)
        check.train.device, check.train.progress = device, config.train.progress
        check.train.out_dir = str(runs / "heldout")
        check.train.eval_interval = check.train.epochs
        train_set, held_set = data.subset(train_idx), data.subset(held_idx)
        holdout = train(_fit_to(check, train_set), train_set, held_set, init_from=base, log=log).metrics
        log(f"held-out accuracy {holdout['top1']:.1%} ({round(holdout['top1'] * holdout['n'])} of "
            f"{holdout['n']} clips); per action: " + ", ".join(
                f"{name} {acc:.0%}" for name, acc in holdout["per_class"].items() if acc is not None))
    else:
        notes.append("too few clips to hold any out (an action needs 3): no accuracy estimate")
        log(f"warning: {notes[-1]}")

    log(f"final model: training on all {len(data)} clips")
    config.train.out_dir = str(runs / "final")
    result = train(_fit_to(config, data), data, None, init_from=base, log=log)
    model, final_meta = load_checkpoint(result.last_checkpoint)
    accuracy = {k: holdout[k] for k in ("top1", "top5", "n")} if holdout else None
    split = (f"held-out clips {len(held_idx)} of {len(data)} scored by a model trained on the rest; "
             f"this model trained on all" if holdout else "all clips, none held out")
    final_meta.update(accuracy=accuracy, split=split, dataset=f"clips:{folder.resolve().name}",
                      base=str(base))
    save_checkpoint(out, model, final_meta)
    seconds = time.perf_counter() - start
    log(f"wrote {out} ({len(counts)} actions: {', '.join(counts)}) in {seconds:.0f} s")
    return FinetuneResult(out, list(data.class_names), counts, holdout, seconds, notes)


def run_cli(args: argparse.Namespace) -> int:
    """``--train --data CLIPS [--base CKPT] [--out CKPT] [--persons N] [key=value ...]``."""
    if not args.data:
        raise InputError("--train needs --config RECIPE.yaml (a dataset) or --data CLIPS_FOLDER (your clips)")
    result = finetune(args.data, base=args.base, out=args.out, overrides=args.overrides, device=args.device,
                      persons=args.persons, progress=sys.stderr.isatty())
    if result.checkpoint.parent.resolve() != user_models_dir().resolve():
        print(f"note: the GUI's model picker lists {user_models_dir()}; open {result.checkpoint} there "
              f"with Ctrl+M")
    if result.holdout:
        print(f"held-out top1={result.holdout['top1']:.4f} n={result.holdout['n']}")
    return 0
