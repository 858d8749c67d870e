"""Atomic writes: the destination appears complete or not at all, with normal permissions."""
import os

import pytest

from core.atomic import atomic_path, write_text


def test_failed_write_leaves_previous_file_and_no_temp(tmp_path):
    dest = tmp_path / "out.json"
    write_text(dest, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(dest) as tmp:
            tmp.write_text("half")
            raise RuntimeError("writer crashed")
    assert dest.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_temp_keeps_suffix_and_result_is_world_readable(tmp_path):
    dest = tmp_path / "sub" / "video.mp4"
    with atomic_path(dest) as tmp:
        assert tmp.suffix == ".mp4" and tmp.parent == dest.parent
        tmp.write_bytes(b"data")
    assert dest.read_bytes() == b"data"
    assert os.stat(dest).st_mode & 0o044 == 0o044 & ~_current_umask()


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
