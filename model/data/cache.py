"""One-file cache of a parsed dataset, so that a second run skips parsing.

The cache is a single ``.npz`` (no pickle): all samples' values back to back in ``data``, their
lengths, labels, names, class names, metadata and the list of skipped files. It is valid while its
``key`` matches: a hash of the cache format, the reader's version and options, and every source
file's relative path, size and modification time. Written atomically; a damaged or stale cache is
simply rebuilt.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
import zipfile
from pathlib import Path
from typing import Sequence

import numpy as np

from core.atomic import atomic_path
from model.data.sets import DataWarning, SkeletonSet

CACHE_FORMAT = 1
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "cache"


def cache_path(source: str | Path, fmt: str, cache_dir: str | Path | None = None) -> Path:
    """Where the cache of dataset folder ``source`` lives (one file per folder and format)."""
    source = Path(source).resolve()
    digest = hashlib.sha1(str(source).encode()).hexdigest()[:12]
    return Path(cache_dir or DEFAULT_DIR) / f"{fmt}-{source.name}-{digest}.npz"


def fingerprint(root: str | Path, files: Sequence[Path], reader: dict) -> str:
    """Hash of the reader description and every file's relative path, size and mtime."""
    root = Path(root)
    h = hashlib.sha256(json.dumps([CACHE_FORMAT, reader], sort_keys=True).encode())
    for f in files:
        st = os.stat(f)
        h.update(f"{f.relative_to(root).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _write_member(zf: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    with zf.open(f"{name}.npy", "w", force_zip64=True) as f:
        np.lib.format.write_array(f, np.asarray(array), allow_pickle=False)


def save(path: str | Path, key: str, ds: SkeletonSet) -> None:
    """Write ``ds`` to ``path`` atomically, streaming the samples (no big concatenated copy)."""
    lengths = ds.lengths
    v, m = (ds.samples[0].shape[2], ds.samples[0].shape[3]) if len(ds) else (0, 0)
    small = {
        "key": np.array(key), "layout": np.array(ds.layout), "dataset": np.array(ds.dataset),
        "lengths": lengths, "joints_persons": np.array([v, m], dtype=np.int64),
        "labels": ds.labels, "names": np.array(ds.names, dtype=str),
        "class_names": np.array(ds.class_names, dtype=str), "skipped": np.array(ds.skipped, dtype=str),
        "meta_keys": np.array(list(ds.meta), dtype=str),
        **{f"meta_{k}": values for k, values in ds.meta.items()},
    }
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        with zf.open("data.npy", "w", force_zip64=True) as f:
            header = {"descr": "<f4", "fortran_order": False, "shape": (int(lengths.sum()) * 3 * v * m,)}
            np.lib.format.write_array_header_2_0(f, header)
            for sample in ds.samples:
                f.write(np.ascontiguousarray(sample, dtype="<f4").tobytes())
        for name, array in small.items():
            _write_member(zf, name, array)


def load(path: str | Path, key: str) -> SkeletonSet | None:
    """The cached set at ``path`` if its key is ``key``; None when absent, stale or unreadable."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["key"]) != key:
                return None
            data, lengths = z["data"], z["lengths"]
            v, m = (int(n) for n in z["joints_persons"])
            meta = {str(k): z[f"meta_{k}"] for k in z["meta_keys"]}
            sizes = lengths * 3 * v * m
            if int(sizes.sum()) != data.size:
                return None
            ends = np.cumsum(sizes)
            samples = [data[e - n:e].reshape(3, t, v, m) for e, n, t in zip(ends, sizes, lengths)]
            return SkeletonSet(
                samples=samples, labels=z["labels"], names=[str(n) for n in z["names"]],
                class_names=tuple(str(c) for c in z["class_names"]), layout=str(z["layout"]),
                dataset=str(z["dataset"]), meta=meta, skipped=[str(s) for s in z["skipped"]],
            )
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as err:
        warnings.warn(f"ignoring unreadable dataset cache {path} ({err}); rebuilding it", DataWarning,
                      stacklevel=2)
        return None
