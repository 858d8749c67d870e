"""NTU folders preprocessed by the 2s-AGCN / MS-G3D scripts (``data/ntu/xsub`` and the like).

Per part (``train``, ``val``): ``{part}_data_joint.npy``, float32 ``(N, 3, 300, 25, 2)`` (xyz,
frames, joints, persons; already centred and rotated by their ``pre_normalization``, short clips
padded by repeating them), and ``{part}_label.pkl``, a Python pickle of ``(sample names, labels)``.
The arrays are read with ``allow_pickle=False`` (memory-mapped, one sample at a time); the label
file is a real pickle, so it is read only with ``--trust-pickle`` (:mod:`model.data.pickles`).
Samples keep their stored frames (trailing all-zero frames dropped); metadata ``part`` is 0 for
train and 1 for val, and setup/camera/subject/replication come from the sample names.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from core.errors import InputError
from model.data.classes import NTU60_CLASSES, NTU120_CLASSES
from model.data.ntu import META_FIELDS, NTU60_MAX_SETUP, parse_name
from model.data.pickles import load_pickle
from model.data.sets import SkeletonSet

PARTS = ("train", "val")
LAYOUT = "ntu25"
DATA_SUFFIX = "_data_joint.npy"
LABEL_SUFFIX = "_label.pkl"


def is_agcn_folder(path: str | Path) -> bool:
    """True for a folder holding ``{part}_data_joint.npy`` and ``{part}_label.pkl`` for a part."""
    path = Path(path)
    return path.is_dir() and any(
        (path / f"{p}{DATA_SUFFIX}").is_file() and (path / f"{p}{LABEL_SUFFIX}").is_file() for p in PARTS)


def _labels(path: Path) -> tuple[list[str], np.ndarray]:
    content = load_pickle(path)
    if not (isinstance(content, (tuple, list)) and len(content) >= 2):
        raise InputError(f"{path}: expected (sample names, labels), found {type(content).__name__}")
    names, labels = content[0], content[1]
    try:
        labels = np.asarray(labels, dtype=np.int64).reshape(-1)
        names = [Path(str(n)).stem for n in names]
    except (TypeError, ValueError):
        raise InputError(f"{path}: labels are not integers or names are not a list") from None
    if len(names) != len(labels):
        raise InputError(f"{path}: {len(names)} sample names but {len(labels)} labels")
    return names, labels


def _samples(path: Path, count: int) -> list[np.ndarray]:
    try:
        data = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: not a readable numeric .npy file ({err})") from None
    if data.ndim != 5 or data.shape[1] != 3 or data.shape[3] != 25:
        raise InputError(f"{path}: shape {data.shape}, expected (N, 3, frames, 25, persons)")
    if len(data) != count:
        raise InputError(f"{path}: {len(data)} samples but its label file lists {count}")
    samples = []
    for x in data:
        present = np.flatnonzero(np.any(x != 0, axis=(0, 2, 3)))
        length = max(int(present[-1]) + 1 if len(present) else 0, 1)
        samples.append(np.array(x[:, :length], dtype=np.float32))
    return samples


def load_ntu_agcn(folder: str | Path) -> SkeletonSet:
    """Read every part present in ``folder`` into one set (needs ``--trust-pickle``)."""
    folder = Path(folder)
    samples, labels, names, part_ids = [], [], [], []
    for index, part in enumerate(PARTS):
        data_path, label_path = folder / f"{part}{DATA_SUFFIX}", folder / f"{part}{LABEL_SUFFIX}"
        if not (data_path.is_file() and label_path.is_file()):
            continue
        part_names, part_labels = _labels(label_path)
        samples += _samples(data_path, len(part_names))
        names += part_names
        labels.append(part_labels)
        part_ids += [index] * len(part_names)
    if not samples:
        raise InputError(f"{folder}: no {{train,val}}{DATA_SUFFIX} with its {LABEL_SUFFIX}")
    labels = np.concatenate(labels)
    fields = [parse_name(n) or {} for n in names]
    ntu120 = labels.max() >= 60 or any(f.get("setup", 0) > NTU60_MAX_SETUP for f in fields)
    class_names = NTU120_CLASSES if ntu120 else NTU60_CLASSES
    if labels.min() < 0 or labels.max() >= len(class_names):
        raise InputError(f"{folder}: labels span {labels.min()}..{labels.max()}, "
                         f"outside 0..{len(class_names) - 1}")
    meta = {"part": np.array(part_ids)}
    meta.update({k: np.array([f.get(k, -1) for f in fields]) for k in META_FIELDS})
    return SkeletonSet(samples=samples, labels=labels, names=names, class_names=class_names, layout=LAYOUT,
                       dataset=f"ntu{120 if ntu120 else 60}_agcn", meta=meta)
