"""``python main.py --convert INPUT --out OUTPUT.npz``: one skeleton file or video -> canonical array.

Skeleton files (``.skeleton``, ``.json``, ``.mat``) are read by the dataset readers (NTU bodies
cleaned the same way) and converted to the NTU 25-joint layout; videos go through the pose stage.
The ``.npz`` holds ``skeleton`` (3, T, 25, M) float32 camera metres, not normalised, ``label`` (-1 if
unknown), ``label_name``, ``source``, and for videos ``timestamps`` and ``visibility``.
"""
from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

import numpy as np

from core.atomic import atomic_path
from core.errors import InputError
from model.data.classes import NTU120_CLASSES, UCLA_CLASSES, UTD_CLASSES
from model.data.loader import read_file
from pose.layouts import convert_ctvm

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
CLASS_NAMES = {"ntu25": NTU120_CLASSES, "ucla20": UCLA_CLASSES, "utd20": UTD_CLASSES}


def convert_file(path: str | Path, persons: int | None = None) -> dict[str, np.ndarray]:
    """The arrays ``--convert`` saves for ``path`` (a skeleton file or a video)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.suffix.lower() in VIDEO_SUFFIXES:
        from pose.extract import extract_skeleton

        result = extract_skeleton(path, persons=persons or 1)
        return {
            "skeleton": np.asarray(result["skeleton"], dtype=np.float32),
            "label": np.array(-1), "label_name": np.array(""), "source": np.array(path.name),
            "timestamps": np.asarray(result["timestamps"], dtype=np.float64),
            "visibility": np.asarray(result["visibility"], dtype=np.float32),
        }
    sample = read_file(path)
    names = CLASS_NAMES[sample.layout]
    return {
        "skeleton": convert_ctvm(sample.array, sample.layout, "ntu25").astype(np.float32),
        "label": np.array(sample.label),
        "label_name": np.array(names[sample.label] if 0 <= sample.label < len(names) else ""),
        "source": np.array(path.name),
    }


def run_cli(args: argparse.Namespace) -> int:
    """Convert ``args.convert`` to ``args.out`` and print a one-line summary."""
    if not args.out:
        raise InputError("--convert needs --out OUTPUT.npz")
    out = Path(args.out)
    if out.suffix.lower() != ".npz":
        raise InputError(f"--out {out}: the output of --convert is an .npz file")
    arrays = convert_file(args.convert, args.persons)

    def verify(tmp: Path) -> None:  # read back: every array complete and equal
        try:
            with np.load(tmp, allow_pickle=False) as z:
                same = sorted(z.files) == sorted(arrays) and all(np.array_equal(z[k], v) for k, v in arrays.items())
        except (ValueError, EOFError, zipfile.BadZipFile):
            same = False
        if not same:
            raise InputError(f"{out} reads back differently from what was written; nothing was saved")

    with atomic_path(out, verify=verify) as tmp:
        np.savez(tmp, **arrays)
    _, t, v, m = arrays["skeleton"].shape
    label = f"label {int(arrays['label'])} ({arrays['label_name']})" if arrays["label"] >= 0 else "no label"
    print(f"{arrays['source']}: {t} frames, {v} joints, {m} person slot(s), {label} -> {out}")
    return 0
