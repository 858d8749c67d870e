"""Print dataset reading speed: per-file parse time of each reader, and a folder's first (parse and
write the cache) and second (cache hit) load.

    python tools/bench_datasets.py [../shared/data]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.data.loader import FORMATS, detect_format, load_dataset  # noqa: E402


def per_file_ms(fmt: str, files: list[Path], repeats: int) -> list[float]:
    times = []
    for path in files:
        start = time.perf_counter()
        for _ in range(repeats):
            FORMATS[fmt].read(path)
        times.append((time.perf_counter() - start) / repeats * 1e3)
    return times


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("root", nargs="?", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"),
                   help="folder whose sub-folders are datasets")
    p.add_argument("--files", type=int, default=50, help="files per reader for the per-file timing")
    args = p.parse_args(argv)
    for folder in sorted(Path(args.root).iterdir()):
        if not folder.is_dir():
            continue
        fmt = detect_format(folder)
        files = sorted(folder.rglob(f"*{FORMATS[fmt].suffix}"))[:args.files]
        ms = per_file_ms(fmt, files, repeats=3)
        frames = [FORMATS[fmt].read(f).array.shape[1] for f in files]
        with tempfile.TemporaryDirectory() as cache_dir:
            start = time.perf_counter()
            ds = load_dataset(folder, cache_dir=cache_dir, progress=False)
            first = time.perf_counter() - start
            start = time.perf_counter()
            load_dataset(folder, cache_dir=cache_dir, progress=False)
            second = time.perf_counter() - start
        print(f"{folder.name:12s} {fmt:5s} {len(ds):5d} samples | parse {statistics.mean(ms):6.2f} ms/file "
              f"(median {statistics.median(ms):.2f}, {statistics.mean(frames):.0f} frames, n={len(files)}) | "
              f"first load {first:6.2f} s | cached load {second:6.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
