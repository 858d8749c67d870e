"""Write files so that they appear complete or not at all (temporary name, fsync, check, rename).

Only regular files are ever replaced: a destination that is a device, a FIFO, a socket or a folder
is refused before anything is written (replacing ``/dev/null`` with a file, as root, would break the
system). A symbolic link is followed, so the file it points to is replaced and the link stays.
A write that fails (no room on the disk, a file-size limit, a folder that cannot be created) is a
:class:`core.errors.WriteError` (an InputError and an OSError) naming the destination, and the
temporary file is removed.
"""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Callable, Iterator

from core.errors import InputError, WriteError

_TEMP_NAME_CHARS = 40  # of the destination's name kept in the temporary name (NAME_MAX is 255 bytes)
_TEMP_SUFFIX_CHARS = 24


def writable_target(path: str | os.PathLike, kind: str = "") -> Path:
    """``path`` with symbolic links resolved; InputError when it exists and is not a regular file.
    ``kind`` names what is written in messages ("video", "checkpoint", ...)."""
    what = f"{kind} " if kind else ""
    target = Path(os.path.realpath(path))
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    except OSError as err:
        raise InputError(f"cannot write {what}{path}: {err.strerror or err}") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"cannot write {what}{path}: it is a folder; give a file name")
    if not stat.S_ISREG(mode):
        raise InputError(f"refusing to write {what}{path}: it is not a regular file (a device, FIFO or socket), "
                         f"and replacing it could break whatever uses it")
    return target


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None,
                verify: Callable[[Path], None] | None = None, kind: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is checked and renamed onto ``path``.

    The temporary name keeps the final suffix (or ``suffix``) so that writers which pick a format
    by extension (OpenCV, matplotlib, numpy) behave. ``verify(tmp)`` runs after the data is on the
    disk and raises (InputError) if what was written is not right; ``kind`` names the file in
    messages ("cannot write video ..."). On any error the temporary file
    is removed and the destination is left untouched.
    """
    shown = f"{kind} {path}" if kind else str(path)
    target = writable_target(path, kind)
    suffix = suffix or target.suffix
    if len(suffix) > _TEMP_SUFFIX_CHARS:
        suffix = ""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:_TEMP_NAME_CHARS]}.",
                                   suffix=suffix)
    except OSError as err:
        raise WriteError(f"cannot write {shown}: {err.strerror or err} ({err.filename or target.parent})") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        try:
            yield tmp_path
            with open(tmp_path, "rb+") as f:
                os.fsync(f.fileno())
            if verify is not None:
                verify(tmp_path)
            os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
            os.replace(tmp_path, target)
        except OSError as err:  # no room, a file-size limit, an I/O error: say which file
            raise WriteError(f"cannot write {shown}: {err.strerror or err}; nothing was written") from None
    finally:
        tmp_path.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _same_size(size: int, path: Path) -> Callable[[Path], None]:
    def check(tmp: Path) -> None:
        if tmp.stat().st_size != size:
            raise InputError(f"cannot write {path}: {tmp.stat().st_size} of {size} bytes reached the disk")
    return check


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Atomically write a binary file (its size checked before it replaces ``path``)."""
    with atomic_path(path, verify=_same_size(len(data), Path(path))) as tmp:
        tmp.write_bytes(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Atomically write a UTF-8 text file."""
    write_bytes(path, text.encode("utf-8"))
