"""Load a recogniser on a background thread, so that work not needing it can start at once.

Importing torch and building and warming up the model take about a second; ``--video`` and the
GUI run the pose stage on the first frames meanwhile (:mod:`app.analysis_runner`). This module
does not import torch itself: it is imported on the loading thread. :class:`RecognizerLoad`
starts loading only when asked, so that ``--video`` can first start its pose worker process
(importing torch holds the interpreter lock most of the time and would delay it).
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


class RecognizerLoad:
    """A recogniser to load in the background once :meth:`start` is called (loading starts once)."""

    def __init__(self, checkpoint: str | Path, device: str = "auto") -> None:
        self.checkpoint, self.device = Path(checkpoint), device
        self._future: Future[Recognizer] | None = None

    def start(self) -> Future[Recognizer]:
        """The future of the recogniser, loading it from now on if not yet started."""
        if self._future is None:
            self._future = load_in_background(self.checkpoint, self.device)
        return self._future

    @property
    def future(self) -> Future[Recognizer] | None:
        """The loading's future once started, else None."""
        return self._future

    def failed(self) -> bool:
        """Whether loading has ended with an error (a bad checkpoint)."""
        return self._future is not None and self._future.done() and self._future.exception() is not None
