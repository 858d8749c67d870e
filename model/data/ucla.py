"""NW-UCLA Multiview Action 3D ``.json`` skeleton files (Kinect v1, 20 joints, ``ucla20`` layout).

A file ``aAA_sSS_eEE_vVV.json`` holds ``{"file_name", "skeletons": frames x 20 x 3, "label": 1..10}``:
action id AA, subject SS, repetition EE, view VV. Labels become 0..9. The standard cross-view
benchmark trains on views 1 and 2 and tests on view 3.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from core.errors import InputError
from model.data.classes import UCLA_ACTION_IDS
from model.data.sets import Sample

SUFFIX = ".json"
LAYOUT = "ucla20"
NAME_PATTERN = re.compile(r"a(\d+)_s(\d+)_e(\d+)_v(\d+)")
META_FIELDS = ("subject", "repetition", "view")
TRAIN_VIEWS = frozenset((1, 2))


def read_sample(path: str | Path) -> Sample:
    """Read one NW-UCLA file -> ``(3, T, 20, 1)`` float32; the label is checked against the name."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror or err}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"{path}: not valid JSON ({err})") from None
    except RecursionError:
        raise InputError(f"{path}: not an NW-UCLA skeleton file (JSON nested too deeply)") from None
    if not isinstance(record, dict) or "skeletons" not in record:
        raise InputError(f"{path}: not an NW-UCLA skeleton file (no 'skeletons' field)")
    try:
        joints = np.asarray(record["skeletons"], dtype=np.float32)
    except (TypeError, ValueError):
        raise InputError(f"{path}: 'skeletons' is not a frames x 20 x 3 array of numbers") from None
    if joints.ndim != 3 or joints.shape[1:] != (20, 3) or len(joints) == 0:
        raise InputError(f"{path}: 'skeletons' has shape {joints.shape}, expected (frames>0, 20, 3)")
    label = record.get("label")
    if not isinstance(label, int) or not 1 <= label <= len(UCLA_ACTION_IDS):
        raise InputError(f"{path}: 'label' must be an integer 1..{len(UCLA_ACTION_IDS)}, got {label!r}")
    match = NAME_PATTERN.fullmatch(path.stem)
    meta = dict(zip(("action",) + META_FIELDS, map(int, match.groups()))) if match else {}
    if match and meta["action"] != UCLA_ACTION_IDS[label - 1]:
        raise InputError(f"{path}: label {label} is action a{UCLA_ACTION_IDS[label - 1]:02d}, "
                         f"but the file name says a{meta['action']:02d}")
    return Sample(
        array=np.ascontiguousarray(joints.transpose(2, 0, 1)[..., None]),
        label=label - 1,
        name=path.stem,
        layout=LAYOUT,
        meta={k: meta.get(k, -1) for k in META_FIELDS},
    )
