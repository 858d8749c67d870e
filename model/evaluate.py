"""Score checkpoints on a folder of labelled skeleton files: ``python main.py --eval``.

Every sample the data module finds in the folder (NTU ``.skeleton`` files, NW-UCLA ``.json``,
UTD-MHAD ``.mat``; of a preprocessed NTU ``.npz`` archive, its test part) is converted to each
checkpoint's joint layout and prepared by :func:`model.preprocess.prepare_input`, exactly as in
validation during training. Several checkpoints (e.g. the joint, bone and motion streams of one
recipe) are ensembled by summing their softmax scores. Classes are matched by name (or by the dataset
class names a checkpoint trained on merged datasets lists for each of its classes), so a folder
holding a subset of a checkpoint's classes is fine, and one with a class the checkpoint does not know is refused.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from core.atomic import write_text
from core.device import resolve_device
from core.errors import InputError
from model.checkpoint import load_checkpoint
from model.data.dataset import SkeletonDataset
from model.data.loader import load_dataset
from model.data.sets import SkeletonSet
from model.metrics import classification_report
from model.preprocess import InputSpec

TEST_PART = 1  # metadata "part" of a preprocessed NTU archive: 0 train, 1 test (ntu_npz.PARTS)


def run_cli(args: argparse.Namespace) -> int:
    """``--eval --checkpoint CKPT [CKPT ...] --data DIR [--json FILE]``; the last line printed is
    ``top1=... top5=... n=...``."""
    if not args.checkpoint:
        raise InputError("--eval needs --checkpoint CKPT [CKPT ...]")
    if not args.data:
        raise InputError("--eval needs --data DIR (a folder of skeleton files)")
    report = evaluate(args.checkpoint, args.data, device=resolve_device(args.device),
                      progress=sys.stderr.isatty())
    if args.json:
        write_text(args.json, json.dumps(report, indent=1))
    for name, acc in report["per_class"].items():
        if acc is not None:
            print(f"  {acc:7.2%}  {name}")
    if report["skipped"]:
        print(f"skipped {len(report['skipped'])} unreadable files, first: {report['skipped'][0]}")
    if "top1_named" in report:
        print(f"named right (background classes as no action): {report['top1_named']:.4f}")
    print(f"top1={report['top1']:.4f} top5={report['top5']:.4f} n={report['n']}")
    return 0


@torch.no_grad()
def predict(model: nn.Module, dataset: SkeletonDataset, device: torch.device, batch_size: int = 64,
            amp: bool = False, workers: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Softmax scores (N, classes) and labels (N,) of ``model`` on every item of ``dataset``."""
    model.eval()
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=workers)
    scores, labels = [], []
    for x, y, _ in loader:
        with torch.autocast(device.type, dtype=torch.float16, enabled=amp and device.type == "cuda"):
            logits = model(x.to(device, non_blocking=True))
        scores.append(torch.softmax(logits.float(), dim=1).cpu().numpy())
        labels.append(y.numpy())
    if not scores:
        return np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=np.int64)
    return np.concatenate(scores), np.concatenate(labels)


def _relabel(data: SkeletonSet, class_names: Sequence[str], checkpoint: str,
             aliases: dict[str, list[str]] | None = None) -> SkeletonSet:
    """``data`` with labels indexing ``class_names``, matched by name or by the dataset class names
    ``aliases`` lists for a class (a model trained on merged datasets); InputError for a class the
    checkpoint does not know."""
    lookup = {name.strip().lower(): i for i, name in enumerate(class_names)}
    for merged, names in (aliases or {}).items():
        if merged.strip().lower() in lookup:
            for name in names:
                lookup.setdefault(name.strip().lower(), lookup[merged.strip().lower()])
    present = sorted(set(data.labels.tolist()))
    mapping = {}
    for label in present:
        name = data.class_names[label]
        if name.strip().lower() not in lookup:
            raise InputError(
                f"{data.dataset} class {name!r} is not one of the {len(class_names)} classes checkpoint "
                f"{checkpoint} was trained on (e.g. {class_names[0]!r}); evaluate it on data of "
                f"its own classes")
        mapping[label] = lookup[name.strip().lower()]
    labels = np.array([mapping[label] for label in data.labels.tolist()], dtype=np.int64)
    return replace(data, labels=labels, class_names=tuple(class_names))


def evaluate(checkpoints: Sequence[str | os.PathLike], data: str | os.PathLike | SkeletonSet,
             device: torch.device | str = "cpu", batch_size: int = 64, progress: bool = False) -> dict:
    """Accuracy of one checkpoint, or of the softmax-sum ensemble of several, on ``data`` (a folder
    or a :class:`SkeletonSet`): :func:`model.metrics.classification_report` plus ``checkpoints``,
    ``data``, ``dataset`` and ``skipped`` (files that could not be read)."""
    device = torch.device(device)
    dataset = data if isinstance(data, SkeletonSet) else load_dataset(data, progress=progress)
    if "part" in dataset.meta and (dataset.meta["part"] == TEST_PART).any():
        dataset = dataset.subset(dataset.meta["part"] == TEST_PART)  # an NTU archive: its test part
    total, labels, class_names, background = None, None, None, ()
    for path in checkpoints:
        model, meta = load_checkpoint(path, device=device)
        names = meta.get("class_names")
        if not names:
            raise InputError(f"checkpoint {path} has no class names; cannot match them to {dataset.dataset}")
        if class_names is None:
            class_names, background = list(names), tuple(meta.get("background_classes") or ())
        elif sorted(n.lower() for n in names) != sorted(n.lower() for n in class_names):
            raise InputError(f"checkpoint {path} has other classes than {checkpoints[0]}; an ensemble "
                             f"needs checkpoints of the same classes")
        relabelled = _relabel(dataset, class_names, str(path), meta.get("label_aliases"))  # first one's order
        spec = InputSpec.from_dict(meta)
        scores, labels = predict(model, SkeletonDataset(relabelled, spec), device, batch_size)
        lower = [n.lower() for n in names]
        scores = scores[:, [lower.index(c.lower()) for c in class_names]]
        total = scores if total is None else total + scores
    report = classification_report(total, labels, class_names, background)
    report.update(checkpoints=[str(p) for p in checkpoints],
                  data=str(data) if not isinstance(data, SkeletonSet) else dataset.dataset,
                  dataset=dataset.dataset, skipped=list(dataset.skipped))
    return report
