"""Standard train / test splits of each dataset, computed from per-sample metadata.

    ntu60       xsub (training subjects), xview (cameras 2, 3 train; camera 1 test)
    ntu120      xsub (training subjects), xset (even setups train; odd setups test)
    nw_ucla     xview (views 1, 2 train; view 3 test)
    utd_mhad    xsub (subjects 1, 3, 5, 7 train; 2, 4, 6, 8 test)
    ntu*_npz    archive (the archive's own x_train / x_test parts)
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from core.errors import InputError
from model.data import ntu, ucla
from model.data.sets import SkeletonSet

_NTU = {name: ntu.BENCHMARKS[name] for name in ("xsub", "xview", "xset")}
_ARCHIVE = {"archive": ("part", lambda v: v == 0)}
# dataset -> protocol -> (metadata field, "is a training sample" predicate)
PROTOCOLS: dict[str, dict[str, tuple[str, Callable[[int], bool]]]] = {
    "ntu60": {k: _NTU[k] for k in ("xsub", "xview")},
    "ntu120": {k: _NTU[k] for k in ("xsub", "xset")},
    "nw_ucla": {"xview": ("view", lambda v: v in ucla.TRAIN_VIEWS)},
    "utd_mhad": {"xsub": ("subject", lambda v: v % 2 == 1)},
    "ntu60_npz": _ARCHIVE,
    "ntu120_npz": _ARCHIVE,
}


def split_indices(ds: SkeletonSet, protocol: str) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, test indices) of ``ds`` under ``protocol``; samples whose metadata is
    unknown (-1) belong to neither."""
    known = PROTOCOLS.get(ds.dataset, {})
    if protocol not in known:
        raise InputError(f"split {protocol!r} is not defined for {ds.dataset}; "
                         f"use {', '.join(known) or 'no split (this set has none)'}")
    field, is_train = known[protocol]
    values = ds.meta[field]
    train = np.array([v >= 0 and is_train(int(v)) for v in values], dtype=bool)
    test = (values >= 0) & ~train
    return np.flatnonzero(train), np.flatnonzero(test)
