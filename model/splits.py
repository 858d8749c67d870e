"""Training / validation parts of a dataset, chosen by a recipe's ``data`` section.

``data.train`` and ``data.val`` filter on per-sample metadata (``{subject: [1, 3, 5]}``,
``{view: [1]}``; every listed field must match). Without a ``train`` filter, the NTU benchmark named
by ``data.split`` (``xsub``, ``xview``, ``xset``) or the part of a preprocessed NTU archive picks the
training samples, else all samples train. ``val: {}`` validates on everything not trained on;
``val: null`` trains without validation (e.g. the shipped models trained on every subject).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from core.errors import InputError
from model.config import DataConfig
from model.data.ntu import BENCHMARKS
from model.data.sets import SkeletonSet


def _filter_mask(data: SkeletonSet, rules: dict[str, list], field: str) -> np.ndarray:
    mask = np.ones(len(data), dtype=bool)
    for key, values in rules.items():
        if key not in data.meta:
            known = ", ".join(data.meta) or "none"
            raise InputError(f"config: {field} filters on {key!r}, but {data.dataset} samples have "
                             f"the metadata fields {known}")
        if not isinstance(values, list) or not all(isinstance(v, int) and not isinstance(v, bool)
                                                   for v in values):
            raise InputError(f"config: {field}.{key} must be a list of integers, got {values!r}")
        mask &= np.isin(data.meta[key], values)
    return mask


def _default_train_mask(data: SkeletonSet, split: str) -> np.ndarray:
    if split in BENCHMARKS and data.dataset in ("ntu60", "ntu120"):
        key, is_train = BENCHMARKS[split]
        return np.array([bool(is_train(int(v))) for v in data.meta[key]], dtype=bool)
    if "part" in data.meta:  # preprocessed NTU archive: part 0 = train, 1 = test
        return data.meta["part"] == 0
    return np.ones(len(data), dtype=bool)


def split_sets(data: SkeletonSet, cfg: DataConfig) -> tuple[SkeletonSet, SkeletonSet | None]:
    """The training set and the validation set (None when there is none) of ``data``."""
    train_mask = (_filter_mask(data, cfg.train, "data.train") if cfg.train
                  else _default_train_mask(data, cfg.split))
    if not train_mask.any():
        raise InputError(f"config: no sample of {data.dataset} ({len(data)} read) is in the training "
                         f"part (data.train={cfg.train}, data.split={cfg.split!r})")
    if cfg.val is None:
        return data.subset(train_mask), None
    val_mask = _filter_mask(data, cfg.val, "data.val") if cfg.val else ~train_mask
    if (val_mask & train_mask).any():
        raise InputError(f"config: data.val shares {int((val_mask & train_mask).sum())} samples with "
                         f"the training part; validation must be held out")
    if not val_mask.any():
        return data.subset(train_mask), None
    return data.subset(train_mask), data.subset(val_mask)


def describe_split(cfg: DataConfig) -> str:
    """The split as recorded in a checkpoint: ``data.split`` or a description of the filters."""
    if cfg.split:
        return cfg.split

    def text(rules: dict[str, list]) -> str:
        return "; ".join(f"{k} {','.join(map(str, v))}" for k, v in rules.items()) or "all"

    def part(train: dict[str, list], val: dict[str, list] | None) -> str:
        return f"train {text(train)} / val {'none' if val is None else (text(val) if val else 'rest')}"

    if cfg.sources:
        return "; ".join(f"{Path(s.path).name}: {part(s.train, s.val)}" for s in cfg.sources)
    return part(cfg.train, cfg.val)
