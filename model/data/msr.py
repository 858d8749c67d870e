"""MSR Action3D skeleton ``.txt`` files (Kinect v1-style 20 joints, ``msr20`` layout, about 15 fps).

A file ``aAA_sSS_eEE_skeleton3D.txt`` (action 1-20, subject 1-10, repetition) holds one line per joint
and 20 lines per frame: ``x y z confidence``, metres in camera space (y up, z away from the sensor,
a person facing the sensor has the right shoulder at the larger x). Frames whose joints are all zero
(the sensor lost the person) become absent frames. Actions become labels 0..19; the usual
cross-subject protocol trains on the odd subjects and tests on the even ones.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from core.errors import InputError
from model.data.sets import Sample

SUFFIX = "_skeleton3d.txt"  # matched case-insensitively: files end in _skeleton3D.txt
LAYOUT = "msr20"
NAME_PATTERN = re.compile(r"a(\d+)_s(\d+)_e(\d+)(?:_skeleton3D)?")
META_FIELDS = ("subject", "repetition")
NUM_ACTIONS = 20
JOINTS = 20
MAX_BYTES = 16 * 1024 * 1024  # the largest release file is about 60 kB


def read_sample(path: str | Path) -> Sample:
    """Read one MSR Action3D file -> ``(3, T, 20, 1)`` float32; label and metadata from the file name."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InputError(f"{path}: {path.stat().st_size} bytes, too large for an MSR Action3D file")
        text = path.read_text(encoding="ascii")
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text file (not an MSR Action3D skeleton file)") from None
    try:
        values = np.array(text.split(), dtype=np.float64)
    except ValueError:
        raise InputError(f"{path}: holds something other than numbers (not an MSR Action3D file)") from None
    if values.size == 0 or values.size % (JOINTS * 4):
        raise InputError(f"{path}: {values.size} numbers, not frames of {JOINTS} joints x "
                         f"(x, y, z, confidence)")
    joints = values.reshape(-1, JOINTS, 4)[..., :3]  # (T, V, 3)
    joints = joints[np.any(joints != 0, axis=(1, 2))]  # frames where the sensor saw the person
    if len(joints) == 0:
        raise InputError(f"{path}: every frame is empty")
    match = NAME_PATTERN.fullmatch(path.stem)
    fields = dict(zip(("action",) + META_FIELDS, map(int, match.groups()))) if match else {}
    action = fields.get("action", 0)
    return Sample(
        array=np.ascontiguousarray(joints.transpose(2, 0, 1)[..., None], dtype=np.float32),
        label=action - 1 if 1 <= action <= NUM_ACTIONS else -1,
        name=path.stem,
        layout=LAYOUT,
        meta={k: fields.get(k, -1) for k in META_FIELDS},
    )
