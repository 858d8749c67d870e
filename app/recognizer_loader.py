"""Load a recogniser on a background thread, so that work not needing it can start at once.

Importing torch and building and warming up the model take about a second; ``--video`` and the
GUI run the pose stage on the first frames meanwhile (:mod:`app.analysis_runner`). This module
does not import torch itself: it is imported on the loading thread.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.recognizer import Recognizer


def _load(checkpoint: Path, device: str) -> Recognizer:
    from app.recognizer import Recognizer

    return Recognizer(checkpoint, device)


def load_in_background(checkpoint: str | Path, device: str = "auto") -> Future[Recognizer]:
    """A future of ``Recognizer(checkpoint, device)``; its ``result()`` raises what loading raised
    (an InputError for a bad checkpoint)."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="load-recognizer")
    future = executor.submit(_load, Path(checkpoint), device)
    executor.shutdown(wait=False)
    return future
