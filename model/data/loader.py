"""Find out what a dataset path holds and read it into a :class:`SkeletonSet` (cached), or read one file.

Formats: ``ntu`` (folder of NTU RGB+D ``.skeleton`` files), ``ucla`` (NW-UCLA ``.json``), ``utd``
(UTD-MHAD ``.mat``), ``msr`` (MSR Action3D ``.txt``), ``ntu_npz`` (a preprocessed ``NTU60_CS.npz``-style archive), ``ntu_agcn`` (a
2s-AGCN / MS-G3D preprocessed folder; its label pickles need ``--trust-pickle``) and ``clips`` (the
user's own clips, one sub-folder per action: :mod:`model.data.clips`). A dataset folder is
searched recursively; it must hold exactly one format. A damaged file inside a folder is skipped with
a :class:`DataWarning` naming it, and the run goes on.
"""
from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from core.errors import InputError
from model.data import cache, clips, msr, ntu, ucla, utd
from model.data.classes import MSR_CLASSES, UCLA_CLASSES, UTD_CLASSES
from model.data.ntu_agcn import is_agcn_folder, load_ntu_agcn
from model.data.ntu_npz import is_ntu_archive, load_ntu_npz
from model.data.sets import DataWarning, Sample, SkeletonSet


@dataclass(frozen=True)
class FileFormat:
    """A per-file skeleton format: how to read a file and what the whole set is called."""

    name: str
    suffix: str
    version: int  # bump when the reader's output changes: it invalidates caches
    read: Callable[[Path], Sample]
    describe: Callable[[list[Sample]], tuple[str, tuple[str, ...]]]  # -> dataset name, classes
    excluded: Callable[[], frozenset[str]] = frozenset  # sample names to leave out


FORMATS: dict[str, FileFormat] = {f.name: f for f in (
    FileFormat("ntu", ntu.SUFFIX, 1, ntu.read_sample, ntu.dataset_variant, ntu.missing_skeleton_names),
    FileFormat("ucla", ucla.SUFFIX, 1, ucla.read_sample, lambda _: ("nw_ucla", UCLA_CLASSES)),
    FileFormat("utd", utd.SUFFIX, 1, utd.read_sample, lambda _: ("utd_mhad", UTD_CLASSES)),
    FileFormat("msr", msr.SUFFIX, 1, msr.read_sample, lambda _: ("msr_action3d", MSR_CLASSES)),
)}
ARCHIVE_SUFFIX = ".npz"
_BY_SUFFIX = {f.suffix: f.name for f in FORMATS.values()}


def file_suffix(path: Path) -> str:
    """The ending that names a file's format: a format's own ending (MSR Action3D's
    ``_skeleton3d.txt``, so that a stray ``README.txt`` is no skeleton file), else the suffix."""
    name = path.name.lower()
    return next((s for s in _BY_SUFFIX if s.startswith("_") and name.endswith(s)), path.suffix.lower())


def _suffix_counts(folder: Path) -> Counter:
    known = set(_BY_SUFFIX) | {ARCHIVE_SUFFIX}
    return Counter(file_suffix(p) for p in folder.rglob("*")
                   if file_suffix(p) in known and p.is_file() and not p.name.startswith("."))


def detect_format(path: str | Path) -> str:
    """``ntu``, ``ucla``, ``utd``, ``msr``, ``ntu_npz``, ``ntu_agcn`` or ``clips`` for a dataset folder or file;
    InputError otherwise."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if clips.is_clip_folder(path):
        return "clips"
    if is_agcn_folder(path):
        return "ntu_agcn"
    if path.is_file():
        suffix = file_suffix(path)
        if suffix == ARCHIVE_SUFFIX:
            if is_ntu_archive(path):
                return "ntu_npz"
            raise InputError(f"{path}: not an NTU archive (expected x_train/y_train or x_test/y_test)")
        if suffix in _BY_SUFFIX:
            return _BY_SUFFIX[suffix]
        raise InputError(f"{path}: unsupported file type {suffix or '(none)'}; "
                         f"expected {', '.join(sorted(_BY_SUFFIX))} or {ARCHIVE_SUFFIX}")
    counts = _suffix_counts(path)
    if not counts:
        raise InputError(f"{path}: no skeleton files ({', '.join(sorted(_BY_SUFFIX))}, "
                         f"{ARCHIVE_SUFFIX}) in this folder")
    if len(counts) > 1:
        found = ", ".join(f"{n} {s}" for s, n in counts.most_common())
        raise InputError(f"{path}: mixes file formats ({found}); point at one dataset's folder")
    suffix = next(iter(counts))
    if suffix == ARCHIVE_SUFFIX:
        archives = _files(path, ARCHIVE_SUFFIX)
        if len(archives) > 1:
            raise InputError(f"{path}: holds {len(archives)} .npz archives; name the one to read")
        return detect_format(archives[0])
    return _BY_SUFFIX[suffix]


def _files(folder: Path, suffix: str) -> list[Path]:
    return sorted((p for p in folder.rglob("*") if file_suffix(p) == suffix and p.is_file()
                   and not p.name.startswith(".")), key=lambda p: p.relative_to(folder).as_posix())


def read_file(path: str | Path) -> Sample:
    """Read one ``.skeleton``, ``.json``, ``.mat`` or MSR ``.txt`` file into a :class:`Sample` (its own layout)."""
    path = Path(path)
    fmt = FORMATS.get(_BY_SUFFIX.get(file_suffix(path), ""))
    if fmt is None:
        raise InputError(f"{path}: unsupported skeleton file type {path.suffix or '(none)'}; "
                         f"expected {', '.join(sorted(_BY_SUFFIX))}")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    return _checked(fmt.read(path), path)


def _checked(sample: Sample, path: Path) -> Sample:
    if not np.isfinite(sample.array).all():
        raise InputError(f"{path}: contains NaN or infinite coordinates")
    return sample


def _read_folder(folder: Path, fmt: FileFormat, files: list[Path], progress: bool) -> SkeletonSet:
    from tqdm import tqdm

    excluded = fmt.excluded()
    samples, skipped = [], []
    left_out = 0
    for path in tqdm(files, desc=f"reading {fmt.name} skeletons in {folder.name}", unit="file",
                     disable=not progress, mininterval=0.5):
        if path.stem in excluded:
            left_out += 1
            continue
        try:
            sample = _checked(fmt.read(path), path)
            if sample.label < 0:
                raise InputError(f"{path}: no action label (unexpected file name)")
        except InputError as err:
            skipped.append(str(err))
            warnings.warn(f"skipped {err}", DataWarning, stacklevel=3)
            continue
        samples.append(sample)
    if left_out:
        warnings.warn(f"left out {left_out} samples listed by the dataset authors as having missing "
                      f"skeletons", DataWarning, stacklevel=3)
    if not samples:
        raise InputError(f"{folder}: none of its {len(files)} {fmt.suffix} files could be read")
    dataset, class_names = fmt.describe(samples)
    beyond = next((s for s in samples if s.label >= len(class_names)), None)
    if beyond is not None:
        raise InputError(f"{folder}: {beyond.name} has label {beyond.label}, beyond the "
                         f"{len(class_names)} classes of {dataset}")
    return SkeletonSet.from_samples(samples, class_names, samples[0].layout, dataset, skipped)


def load_dataset(path: str | Path, *, use_cache: bool = True, cache_dir: str | Path | None = None,
                 progress: bool = True) -> SkeletonSet:
    """Read a dataset folder (or an NTU ``.npz`` archive) into a :class:`SkeletonSet`.

    Parsed folders are cached in ``cache_dir`` (default ``cache/`` at the repository root); the
    cache is rebuilt when any file is added, removed or changed. A clip folder keeps its sequences
    beside its videos instead (see :func:`model.data.clips.load_clips`).
    """
    path = Path(path)
    name = detect_format(path)
    if name == "clips":
        return clips.load_clips(path, progress=progress)
    if name == "ntu_agcn":
        return load_ntu_agcn(path)
    if name == "ntu_npz":
        archive = path if path.is_file() else _files(path, ARCHIVE_SUFFIX)[0]
        return load_ntu_npz(archive, progress=progress)
    if path.is_file():
        raise InputError(f"{path}: a single {path.suffix} file is not a dataset; give its folder "
                         f"(or use --convert for one file)")
    fmt = FORMATS[name]
    files = _files(path, fmt.suffix)
    where = cache.cache_path(path, name, cache_dir) if use_cache else None
    key = cache.fingerprint(path, files, {"format": name, "version": fmt.version}) if use_cache else ""
    if where is not None:
        cached = cache.load(where, key)
        if cached is not None:
            if cached.skipped:
                warnings.warn(f"{len(cached.skipped)} files of {path} were skipped when it was read "
                              f"(cached); first: {cached.skipped[0]}", DataWarning, stacklevel=2)
            return cached
    ds = _read_folder(path, fmt, files, progress)
    if where is not None:
        try:
            cache.save(where, key, ds)
        except OSError as err:
            warnings.warn(f"could not write the dataset cache {where}: {err}", DataWarning, stacklevel=2)
    return ds
