"""UTD-MHAD skeleton ``.mat`` files (Kinect v1, 20 joints, ``utd20`` layout).

A file ``aA_sS_tT_skeleton.mat`` (action 1-27, subject 1-8, trial 1-4) holds ``d_skel``, an array of
20 joints x 3 coordinates x frames. Actions become labels 0..26. The standard cross-subject benchmark
trains on the odd subjects and tests on the even ones.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import scipy.io

from core.errors import InputError
from model.data.sets import Sample

SUFFIX = ".mat"
LAYOUT = "utd20"
NAME_PATTERN = re.compile(r"a(\d+)_s(\d+)_t(\d+)(?:_skeleton)?")
META_FIELDS = ("subject", "trial")
NUM_ACTIONS = 27


def read_sample(path: str | Path) -> Sample:
    """Read one UTD-MHAD file -> ``(3, T, 20, 1)`` float32; label and metadata from the file name."""
    path = Path(path)
    try:
        content = scipy.io.loadmat(str(path), variable_names=["d_skel"])
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror or err}") from None
    except Exception as err:  # scipy raises many types (IndexError, MatReadError, ...) on damaged files
        raise InputError(f"{path}: not a readable MATLAB .mat file ({type(err).__name__}: {err})") from None
    if "d_skel" not in content:
        raise InputError(f"{path}: no 'd_skel' array (not a UTD-MHAD skeleton file)")
    d_skel = content["d_skel"]
    if d_skel.ndim != 3 or d_skel.shape[:2] != (20, 3) or d_skel.shape[2] == 0:
        raise InputError(f"{path}: 'd_skel' has shape {d_skel.shape}, expected (20, 3, frames>0)")
    if not np.issubdtype(d_skel.dtype, np.number):
        raise InputError(f"{path}: 'd_skel' holds {d_skel.dtype}, not numbers")
    match = NAME_PATTERN.fullmatch(path.stem)
    fields = dict(zip(("action",) + META_FIELDS, map(int, match.groups()))) if match else {}
    action = fields.get("action", 0)
    return Sample(
        array=np.ascontiguousarray(d_skel.transpose(1, 2, 0)[..., None], dtype=np.float32),
        label=action - 1 if 1 <= action <= NUM_ACTIONS else -1,
        name=path.stem,
        layout=LAYOUT,
        meta={k: fields.get(k, -1) for k in META_FIELDS},
    )
