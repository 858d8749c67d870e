"""The one checkpoint format: backbone weights plus plain-Python metadata in a single file.

``{"format": "stdcl-action", "version": 1, "state_dict": {...}, "meta": {...}}`` written with
``torch.save`` and read with ``torch.load(weights_only=True)``, so loading never runs code from
the file. The STD-CL head is not in it: a model trained with STD-CL loads into the plain backbone.
``meta`` holds what is needed to rebuild and feed the model (see docs/architecture.md); its fields
are checked against :mod:`model.checkpoint_meta` whenever a file is read or written. A written file
is read back and compared before it replaces the destination (a full disk is an InputError naming
the file, and nothing is replaced).
"""
from __future__ import annotations

import io
import os
import pickle
from pathlib import Path
from typing import Any

import torch

from core.atomic import atomic_path
from core.errors import InputError
from model.backbones.base import Backbone
from model.checkpoint_meta import check_meta
from model.registry import available_models, build_model

FORMAT = "stdcl-action"
VERSION = 1
# Filled from the model by save_checkpoint; what a caller may check with ``expect=``.
MODEL_FIELDS = ("backbone", "backbone_args", "num_classes", "layout", "num_person", "in_channels")
META_DEFAULTS: dict[str, Any] = {
    "class_names": None, "window": None, "window_seconds": None, "fps": None, "stream": "joint",
    "normalization": None, "dataset": None, "split": None, "accuracy": None, "stdcl": None, "trained": None,
}
_PLAIN = (str, int, float, bool, type(None))
_ZIP_MAGIC = b"PK\x03\x04"  # torch.save's archive
_PICKLE_PROTO = b"\x80"  # a pickle (protocol 2+): older torch.save files, or plain pickles


def _check_plain(value: Any, where: str) -> None:
    """Refuse anything but nested dicts (str keys), lists, tuples, str, int, float, bool, None."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"checkpoint meta key {where}.{key!r} is not a string")
            _check_plain(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_plain(item, f"{where}[{i}]")
    elif not isinstance(value, _PLAIN):
        raise TypeError(f"checkpoint meta {where} has type {type(value).__name__}; only plain Python types")


def model_meta(model: Backbone) -> dict[str, Any]:
    """The fields that rebuild ``model`` (made by :func:`model.registry.build_model`)."""
    if not hasattr(model, "backbone_name"):
        raise TypeError("save_checkpoint needs a model made by model.build_model")
    return {"backbone": model.backbone_name, "backbone_args": dict(model.backbone_args),
            "num_classes": model.num_classes, "layout": model.layout, "num_person": model.num_person,
            "in_channels": model.in_channels}


def save_checkpoint(path: str | os.PathLike, model: Backbone, meta: dict[str, Any] | None = None) -> Path:
    """Write ``model``'s weights and metadata atomically; ``meta`` adds the data/training fields
    (class_names, window, stream, normalization, dataset, split, accuracy, stdcl, trained, ...).
    Model fields in ``meta`` must agree with the model. Returns the path."""
    fields = model_meta(model)
    extra = dict(meta or {})
    for key in MODEL_FIELDS:
        if key in extra and extra.pop(key) != fields[key]:
            raise ValueError(f"meta[{key!r}] disagrees with the model ({fields[key]!r})")
    full = {**META_DEFAULTS, **extra, **fields}
    _check_plain(full, "meta")
    names = full["class_names"]
    if names is not None and len(names) != fields["num_classes"]:
        raise ValueError(f"{len(names)} class names for a {fields['num_classes']}-class model")
    path = Path(path)
    check_meta(full, f"checkpoint {path}")
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    payload = {"format": FORMAT, "version": VERSION, "state_dict": state, "meta": full}
    buffer = io.BytesIO()  # serialised in memory: a failing disk is then a plain OSError on write
    torch.save(payload, buffer)

    def verify(tmp: Path) -> None:
        try:
            back = read_checkpoint(tmp)
        except InputError as err:
            raise InputError(f"checkpoint {path} was not written correctly ({err}); nothing was saved") from None
        if back["meta"] != full or back["state_dict"].keys() != state.keys() or not all(
                torch.equal(back["state_dict"][k], v) for k, v in state.items()):
            raise InputError(f"checkpoint {path} reads back differently from what was written; nothing was saved")

    with atomic_path(path, verify=verify, kind="checkpoint") as tmp:
        tmp.write_bytes(buffer.getbuffer())
    return path


def read_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Load and validate a checkpoint file without building the model; InputError if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"checkpoint {path}: no such file")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != _ZIP_MAGIC and magic[:1] != _PICKLE_PROTO:
        raise InputError(f"{path} is not a checkpoint file (neither a torch archive nor a pickle)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if "Weights only load failed" in str(err):
            raise InputError(f"checkpoint {path} contains pickled Python objects; refusing to load it") from None
        raise InputError(f"{path} is not a checkpoint file ({err})") from None
    except (RuntimeError, EOFError, KeyError, ValueError, OSError) as err:
        raise InputError(f"{path} is not a checkpoint file ({type(err).__name__}: {err})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise InputError(f"{path} is not a {FORMAT} checkpoint")
    if payload.get("version") != VERSION:
        raise InputError(f"checkpoint {path} has format version {payload.get('version')!r}; "
                         f"this program reads version {VERSION}")
    meta, state = payload.get("meta"), payload.get("state_dict")
    if not isinstance(meta, dict) or not isinstance(state, dict):
        raise InputError(f"checkpoint {path} lacks its meta or state_dict")
    missing = [k for k in MODEL_FIELDS if k not in meta]
    if missing:
        raise InputError(f"checkpoint {path} meta lacks {', '.join(missing)}")
    check_meta(meta, f"checkpoint {path}")
    try:
        _check_plain(meta, "meta")
    except TypeError as err:
        raise InputError(f"checkpoint {path}: {err}") from None
    broken = next((k for k, v in state.items() if torch.is_tensor(v) and v.is_floating_point()
                   and not torch.isfinite(v).all()), None)
    if broken is not None:  # a diverged training run or a damaged file: it would only answer NaN
        raise InputError(f"checkpoint {path} has NaN or infinite weights (in {broken})")
    return payload


def check_expected(path: str | os.PathLike, meta: dict[str, Any], expect: dict[str, Any]) -> None:
    """InputError when a meta field differs from what the caller needs (e.g. num_classes, layout)."""
    for key, wanted in expect.items():
        if key not in meta:
            raise InputError(f"checkpoint {path} has no {key!r} field")
        if meta[key] != wanted:
            raise InputError(f"checkpoint {path} does not fit: its {key} is {meta[key]!r}, expected {wanted!r}")


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu",
                    expect: dict[str, Any] | None = None) -> tuple[Backbone, dict[str, Any]]:
    """Rebuild the backbone from the checkpoint's meta, load its weights strictly and return
    ``(model in eval mode on device, meta)``. ``expect`` maps meta fields (backbone, num_classes,
    layout, num_person, in_channels, window, ...) to the values the caller needs."""
    payload = read_checkpoint(path)
    meta = payload["meta"]
    check_expected(path, meta, expect or {})
    if meta["backbone"] not in available_models():
        raise InputError(f"checkpoint {path} is for unknown model {meta['backbone']!r}; "
                         f"known: {', '.join(available_models())}")
    try:
        model = build_model(meta["backbone"], meta["num_classes"], layout=meta["layout"],
                            num_person=meta["num_person"], in_channels=meta["in_channels"],
                            **meta["backbone_args"])
    except InputError as err:
        raise InputError(f"checkpoint {path}: {err}") from None
    try:
        model.load_state_dict(payload["state_dict"], strict=True)
    except RuntimeError as err:
        detail = " ".join(str(err).split())
        raise InputError(f"checkpoint {path} does not fit model {meta['backbone']}: {detail[:300]}") from None
    return model.to(device).eval(), meta
