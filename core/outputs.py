"""Checks that a command's outputs never land on its own inputs, and unique output names per input.

Paths are compared after resolving ``..`` and symbolic links, and by file identity (device and
inode) where both exist, so ``./x/../src.mp4``, a symbolic link and a hard link to an input all
count as that input. A folder given as input protects every file already inside it.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

from core.atomic import writable_target
from core.errors import InputError

Named = tuple[str, "str | os.PathLike | None"]  # (what the user called it, e.g. "--out"; the path)


def _keys(path: Path) -> list[object]:
    """What identifies a file: its resolved path and, when it exists, its device and inode."""
    keys: list[object] = [path.resolve()]
    try:
        st = os.stat(path)
        keys.append((st.st_dev, st.st_ino))
    except OSError:  # does not exist (yet)
        pass
    return keys


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True when ``a`` and ``b`` name the same file: equal resolved paths, or one inode."""
    return bool(set(_keys(Path(a))) & set(_keys(Path(b))))


def check_outputs(outputs: Iterable[Named], inputs: Iterable[Named] = (),
                  input_folders: Iterable[Named] = ()) -> None:
    """InputError naming both paths when an output would replace an input file, an existing file
    inside an input folder, or the file of another output, and when it is not a regular file (a
    device, a FIFO: refused now rather than after the work). Entries whose path is None are skipped."""
    known: dict[object, tuple[str, Path, bool]] = {}  # key -> (label, path, is an input)
    for label, p in inputs:
        if p is not None:
            for key in _keys(Path(p)):
                known.setdefault(key, (label, Path(p), True))
    folders = [(label, Path(p).resolve()) for label, p in input_folders if p is not None and Path(p).is_dir()]
    for label, p in outputs:
        if p is None:
            continue
        out = Path(p)
        if out.exists():  # a path that cannot be reached is left to the writer, which names what it writes
            writable_target(out)
        keys = _keys(out)
        for key in keys:
            if key in known:
                other_label, other, is_input = known[key]
                if is_input:
                    raise InputError(f"{label} {out} would overwrite the input {other_label} {other}; "
                                     f"choose another output path")
                raise InputError(f"{other_label} {other} and {label} {out} name the same file; "
                                 f"give each output its own path")
        if out.is_file():
            for folder_label, folder in folders:
                if keys[0].is_relative_to(folder):
                    raise InputError(f"{label} {out} would overwrite a file in the input folder "
                                     f"{folder_label} {folder}; choose another output path")
        for key in keys:
            known[key] = (label, out, False)


def unique_stems(files: Sequence[Path]) -> dict[Path, str]:
    """A name per file to build its outputs from: its stem, or its whole name where two files share
    a stem (``clip.avi`` and ``clip.mp4``; compared without case, as some file systems do).
    InputError if whole names still collide."""
    by_stem: dict[str, list[Path]] = {}
    for f in files:
        by_stem.setdefault(f.stem.casefold(), []).append(f)
    names = {f: (f.stem if len(by_stem[f.stem.casefold()]) == 1 else f.name) for f in files}
    seen: dict[str, Path] = {}
    for f, name in names.items():
        other = seen.setdefault(name.casefold(), f)
        if other != f:
            raise InputError(f"{other.name} and {f.name} would write outputs of the same name; rename one")
    return names
