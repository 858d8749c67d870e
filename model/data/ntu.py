"""NTU RGB+D 60 / 120 raw skeleton files: sample names, benchmark splits and per-file reading.

File names are ``SsssCcccPpppRrrrAaaa``: setup, camera, performer (subject), replication, action.
NTU 60 has setups 1-17 and actions 1-60; NTU 120 adds setups 18-32 and actions 61-120.

Benchmarks (the datasets' papers; also the public CTR-GCN preprocessing):
    NTU 60 cross-subject (xsub): train on :data:`TRAIN_SUBJECTS`, test on the other subjects.
    NTU 60 cross-view (xview):   train on cameras 2 and 3, test on camera 1.
    NTU 120 cross-subject:       train on :data:`TRAIN_SUBJECTS` (53 of 106), test on the rest.
    NTU 120 cross-setup (xset):  train on even setup numbers, test on odd ones.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from core.errors import InputError
from model.data.classes import NTU60_CLASSES, NTU120_CLASSES
from model.data.ntu_skeleton import read_ntu_skeleton
from model.data.sets import Sample

SUFFIX = ".skeleton"
LAYOUT = "ntu25"
NAME_PATTERN = re.compile(r"S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})")
META_FIELDS = ("setup", "camera", "subject", "replication")

# Official NTU 120 cross-subject training subjects; those <= 40 are NTU 60's training subjects.
TRAIN_SUBJECTS = frozenset((
    1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38, 45, 46, 47, 49, 50,
    52, 53, 54, 55, 56, 57, 58, 59, 70, 74, 78, 80, 81, 82, 83, 84, 85, 86, 89, 91, 92, 93, 94,
    95, 97, 98, 100, 103,
))
TRAIN_CAMERAS = frozenset((2, 3))
NTU60_MAX_SETUP = 17
MISSING_LIST = Path(__file__).with_name("ntu_missing_skeletons.txt")

# benchmark -> (metadata field, predicate "is a training sample")
BENCHMARKS = {
    "xsub": ("subject", lambda v: v in TRAIN_SUBJECTS),
    "xview": ("camera", lambda v: v in TRAIN_CAMERAS),
    "xset": ("setup", lambda v: v % 2 == 0),
}


def parse_name(name: str) -> dict[str, int] | None:
    """``{'setup', 'camera', 'subject', 'replication', 'action'}`` from a sample name, or None."""
    match = NAME_PATTERN.search(name)
    if match is None:
        return None
    return dict(zip(META_FIELDS + ("action",), map(int, match.groups())))


def is_training(name: str, benchmark: str) -> bool:
    """Whether sample ``name`` is in the training part of ``benchmark`` (xsub, xview or xset)."""
    fields = parse_name(name)
    if fields is None:
        raise InputError(f"{name}: not an NTU sample name (SsssCcccPpppRrrrAaaa)")
    try:
        key, is_train = BENCHMARKS[benchmark]
    except KeyError:
        raise InputError(f"unknown NTU benchmark {benchmark!r}; use one of {', '.join(BENCHMARKS)}") from None
    return bool(is_train(fields[key]))


@lru_cache(maxsize=1)
def missing_skeleton_names() -> frozenset[str]:
    """The officially listed samples with missing or incomplete skeletons (NTU 60 and 120)."""
    lines = MISSING_LIST.read_text(encoding="ascii").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def read_sample(path: str | Path) -> Sample:
    """Read and clean one ``.skeleton`` file; label and metadata come from its name (-1 if absent)."""
    path = Path(path)
    fields = parse_name(path.stem) or {}
    return Sample(
        array=read_ntu_skeleton(path),
        label=fields.get("action", 0) - 1,
        name=path.stem,
        layout=LAYOUT,
        meta={k: fields.get(k, -1) for k in META_FIELDS},
    )


def dataset_variant(samples: list[Sample]) -> tuple[str, tuple[str, ...]]:
    """("ntu60", 60 names) unless a sample is from NTU 120's setups or actions."""
    ntu120 = any(s.label >= 60 or s.meta.get("setup", 0) > NTU60_MAX_SETUP for s in samples)
    return ("ntu120", NTU120_CLASSES) if ntu120 else ("ntu60", NTU60_CLASSES)
