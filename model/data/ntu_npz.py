"""Preprocessed NTU archives as made by the public CTR-GCN / SGN scripts (``NTU60_CS.npz`` style).

Keys ``x_train``, ``y_train``, ``x_test``, ``y_test``: x is ``(N, 300, 150)`` float32 (frames padded
with zeros; 150 = 2 persons x 25 joints x xyz), y is one-hot ``(N, classes)``. The data are already
cleaned and centred on the first frame's spine (so ``center_first_spine`` leaves them unchanged).
Samples are read in chunks straight from the archive, so memory holds only the trimmed sequences.
"""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import Iterator

import numpy as np

from core.errors import InputError
from model.data.classes import NTU60_CLASSES, NTU120_CLASSES
from model.data.sets import SkeletonSet

PARTS = ("train", "test")
CHUNK_SAMPLES = 512
LAYOUT = "ntu25"


def is_ntu_archive(path: str | Path) -> bool:
    """True for an ``.npz`` file holding ``x_train`` / ``x_test`` style arrays."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (OSError, zipfile.BadZipFile):
        return False
    return any({f"x_{p}.npy", f"y_{p}.npy"} <= names for p in PARTS)


def _iter_rows(zf: zipfile.ZipFile, member: str, path: Path) -> Iterator[np.ndarray]:
    """Chunks of rows of a numeric .npy member, read without loading the whole array."""
    with zf.open(member) as f:
        version = np.lib.format.read_magic(f)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read_header(f)
        if dtype.hasobject:
            raise InputError(f"{path}: {member} holds Python objects; refusing to unpickle it")
        if fortran or len(shape) != 3 or shape[2] != 150:
            raise InputError(f"{path}: {member} has shape {shape}, expected C-ordered (N, T, 150)")
        row = int(np.prod(shape[1:])) * dtype.itemsize
        for start in range(0, shape[0], CHUNK_SAMPLES):
            n = min(CHUNK_SAMPLES, shape[0] - start)
            buf = f.read(n * row)
            if len(buf) != n * row:
                raise InputError(f"{path}: {member} is truncated")
            yield np.frombuffer(buf, dtype=dtype).reshape((n,) + tuple(shape[1:]))


def _to_canonical(rows: np.ndarray) -> Iterator[np.ndarray]:
    """(n, T, 150) rows -> (3, T', 25, 2) float32 each, trailing all-zero frames removed."""
    for row in rows:
        present = np.flatnonzero(np.any(row != 0, axis=1))
        length = present[-1] + 1 if len(present) else 0
        x = row[:length].reshape(length, 2, 25, 3).transpose(3, 0, 2, 1)
        yield np.ascontiguousarray(x, dtype=np.float32)


def load_ntu_npz(path: str | Path, parts: tuple[str, ...] = PARTS, progress: bool = False) -> SkeletonSet:
    """Read the archive's ``parts``; metadata ``part`` is 0 for train and 1 for test samples."""
    from tqdm import tqdm

    path = Path(path)
    samples, labels, names, part_ids = [], [], [], []
    classes = 0
    try:
        with np.load(path, allow_pickle=False) as archive, zipfile.ZipFile(path) as zf:
            for part in parts:
                if f"y_{part}" not in archive.files or f"x_{part}.npy" not in zf.namelist():
                    raise InputError(f"{path}: no x_{part} / y_{part} arrays (keys: {archive.files})")
                onehot = archive[f"y_{part}"]
                if onehot.ndim != 2:
                    raise InputError(f"{path}: y_{part} has shape {onehot.shape}, expected one-hot (N, classes)")
                classes = max(classes, onehot.shape[1])
                bar = tqdm(total=len(onehot), desc=f"reading {path.name} {part}", unit="sample",
                           disable=not progress)
                count = 0
                for rows in _iter_rows(zf, f"x_{part}.npy", path):
                    samples.extend(_to_canonical(rows))
                    bar.update(len(rows))
                    count += len(rows)
                bar.close()
                if count != len(onehot):
                    raise InputError(f"{path}: x_{part} has {count} samples but y_{part} has {len(onehot)}")
                labels.append(onehot.argmax(axis=1))
                names += [f"{part}_{i}" for i in range(count)]
                part_ids += [PARTS.index(part)] * count
    except (OSError, zipfile.BadZipFile, ValueError, EOFError, zlib.error) as err:  # zlib: compressed
        raise InputError(f"{path}: not a readable .npz archive ({err})") from None
    if classes not in (60, 120):
        raise InputError(f"{path}: {classes} classes in the one-hot labels; expected 60 or 120")
    class_names = NTU60_CLASSES if classes == 60 else NTU120_CLASSES
    return SkeletonSet(
        samples=samples, labels=np.concatenate(labels), names=names, class_names=class_names,
        layout=LAYOUT, dataset=f"ntu{classes}_npz", meta={"part": np.array(part_ids)},
    )
