"""The schema of a checkpoint's ``meta``: types and ranges of its fields and their consistency.

Checked whenever a checkpoint is read or written (:mod:`model.checkpoint`), so that a damaged or
hostile file is an InputError naming the field instead of a traceback, a MemoryError or minutes of
work later (``window: 10000000``, ``fps: "thirty"``, fewer class names than classes, a list shared
a million times inside ``trained``). Fields a newer program adds are accepted unchecked, except
``background_classes``, each of which must name one of ``class_names``. The name of the normalisation is
checked where the input is prepared (:class:`model.preprocess.InputSpec`), so a scheme registered
by a plug-in is not refused here.
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from core.errors import InputError
from core.schema import Range, at_least, check, check_size, positive
from model.config import MAX_FPS, MAX_PERSONS, MAX_WINDOW, MAX_WINDOW_SECONDS
from model.preprocess import STREAMS
from pose.layouts import LAYOUTS

MAX_META_ITEMS = 100_000  # values in all, shared references counted each time (a real meta: ~500)
MAX_META_DEPTH = 32
MAX_CLASSES = 10_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FRACTION = Union[Annotated[float, Range(ge=0, le=1)], None]

# field -> accepted values; a field that is absent is not checked here (MODEL_FIELDS are required
# by model.checkpoint).
SCHEMA: dict[str, Any] = {
    "backbone": str,
    "backbone_args": dict[str, Any],
    "num_classes": Annotated[int, at_least(1, MAX_CLASSES)],
    "layout": Literal[tuple(LAYOUTS)],
    "num_person": Annotated[int, at_least(1, MAX_PERSONS)],
    "in_channels": Annotated[int, at_least(1, 16)],
    "class_names": Union[list[str], None],
    "window": Union[Annotated[int, at_least(1, MAX_WINDOW)], None],
    "window_seconds": Union[Annotated[float, positive(MAX_WINDOW_SECONDS)], None],
    "fps": Union[Annotated[float, positive(MAX_FPS)], None],
    "stream": Literal[STREAMS],
    "normalization": Union[str, None],
    "dataset": Union[str, None],
    "split": Union[str, None],
    "accuracy": Union[dict[str, Any], None],
    "stdcl": Union[dict[str, Any], None],
    "trained": Union[dict[str, Any], None],
    "background_classes": Union[list[str], None],
}
ACCURACY = {"top1": _FRACTION, "top5": _FRACTION, "n": Union[Annotated[int, at_least(0)], None]}


def check_meta(meta: dict[str, Any], where: str) -> None:
    """InputError "``where``: meta field ... must be ..." for the first field that does not fit."""
    check_size(meta, f"{where}: meta", MAX_META_ITEMS, MAX_META_DEPTH)
    for key, hint in SCHEMA.items():
        if key in meta:
            check(meta[key], hint, f"{where}: meta field {key!r}")
    for key, hint in ACCURACY.items():
        if isinstance(meta.get("accuracy"), dict) and key in meta["accuracy"]:
            check(meta["accuracy"][key], hint, f"{where}: meta field 'accuracy.{key}'")
    names = meta.get("class_names")
    if names is not None:
        if len(names) != meta.get("num_classes"):
            raise InputError(f"{where}: meta lists {len(names)} class names for a {meta.get('num_classes')}-class "
                             f"model")
        bad = next((n for n in names if not n.strip() or _CONTROL.search(n)), None)
        if bad is not None:
            raise InputError(f"{where}: meta field 'class_names' holds {bad!r}; a class name is a line of text")
        folded = [n.strip().casefold() for n in names]
        twice = next((n for n, f in zip(names, folded) if folded.count(f) > 1), None)
        if twice is not None:
            raise InputError(f"{where}: meta field 'class_names' names {twice!r} twice")
    for background in meta.get("background_classes") or ():
        if background not in (names or ()):
            raise InputError(f"{where}: meta field 'background_classes' names {background!r}, which is not "
                             f"one of its class names")
    own_window = meta.get("backbone_args", {}).get("window")
    if own_window is not None and meta.get("window") is not None and own_window != meta["window"]:
        raise InputError(f"{where}: meta field 'window' is {meta['window']!r} but the backbone was built for "
                         f"windows of {own_window!r} frames")
