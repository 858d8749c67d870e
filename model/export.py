"""``--export``: a checkpoint to ONNX (for onnxruntime and other runtimes) or TorchScript.

The exported model takes ``x`` of shape (batch, C, window, V, M) float32 with a free batch size
and returns logits (batch, classes). The checkpoint's metadata (class names, layout, window,
stream, normalisation, ...) travels inside the file as JSON: ONNX metadata property
``stdcl_meta``, TorchScript extra file ``meta.json``. Before the file is put in place, its outputs
on random inputs (two batch sizes) are compared with PyTorch's: every logit must agree within
1e-4 + 1e-4 * |logit| (numpy's allclose with rtol = atol = 1e-4), else nothing is written and the
command fails. Both formats are serialised in memory and written by Python, so a full disk is an
InputError naming the file (and no temporary file is left), never a crash inside the exporter.
"""
from __future__ import annotations

import argparse
import io
import json
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.atomic import atomic_path
from core.errors import InputError
from core.outputs import same_file
from model.checkpoint import load_checkpoint
from pose.layouts import get_layout

TOLERANCE = 1e-4
CHECK_BATCHES = (1, 3)
SUFFIXES = {"onnx": ".onnx", "torchscript": ".torchscript.pt"}


class ExportMismatch(Exception):
    """The exported file's outputs differ from PyTorch's beyond the tolerance."""


def example_input(meta: dict[str, Any], batch: int, seed: int) -> torch.Tensor:
    """A random input for the checkpoint's model (window frames, layout joints, persons)."""
    window = meta.get("window") or meta["backbone_args"].get("window") or 64
    shape = (batch, meta["in_channels"], int(window), get_layout(meta["layout"]).num_joints, meta["num_person"])
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def _export_onnx(model: torch.nn.Module, x: torch.Tensor, path: Path, meta_json: str) -> None:
    batch = torch.export.Dim("batch", min=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(model, (x,), dynamo=True, input_names=["x"], output_names=["logits"],
                                     dynamic_shapes=({0: batch},), verbose=False)
    proto = program.model_proto
    proto.metadata_props.add(key="stdcl_meta", value=meta_json)
    path.write_bytes(proto.SerializeToString())


def _run_onnx(path: Path, inputs: list[torch.Tensor]) -> list[np.ndarray]:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return [session.run(None, {name: x.numpy()})[0] for x in inputs]


def _export_torchscript(model: torch.nn.Module, x: torch.Tensor, path: Path, meta_json: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(model, (x,), check_trace=False)
    buffer = io.BytesIO()
    torch.jit.save(traced, buffer, _extra_files={"meta.json": meta_json})
    path.write_bytes(buffer.getbuffer())


def _run_torchscript(path: Path, inputs: list[torch.Tensor]) -> list[np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript is deprecated but still served
        loaded = torch.jit.load(str(path), map_location="cpu")
    with torch.inference_mode():
        return [loaded(x).numpy() for x in inputs]


EXPORTERS = {"onnx": (_export_onnx, _run_onnx), "torchscript": (_export_torchscript, _run_torchscript)}


def export_checkpoint(checkpoint: str | Path, fmt: str, out: str | Path | None = None) -> tuple[Path, float]:
    """Export ``checkpoint`` to ``fmt`` at ``out`` (default: beside it) and verify it; returns the
    path and the largest absolute difference to PyTorch. Raises ExportMismatch (nothing written)."""
    if fmt not in EXPORTERS:
        raise InputError(f"unknown export format {fmt!r}; use {' or '.join(EXPORTERS)}")
    checkpoint = Path(checkpoint)
    out = Path(out) if out else checkpoint.with_name(checkpoint.name.split(".")[0] + SUFFIXES[fmt])
    if same_file(out, checkpoint):
        raise InputError(f"--out {out} would overwrite the input checkpoint {checkpoint}")
    model, meta = load_checkpoint(checkpoint)
    meta_json = json.dumps(meta)
    export, run = EXPORTERS[fmt]
    inputs = [example_input(meta, b, seed=b) for b in CHECK_BATCHES]
    with torch.inference_mode():
        expected = [model(x).numpy() for x in inputs]
    with atomic_path(out) as tmp:
        export(model, example_input(meta, 2, seed=0), tmp, meta_json)
        got = run(tmp, inputs)
        diff = max(float(np.abs(g - e).max()) for g, e in zip(got, expected))
        if not all(g.shape == e.shape and np.allclose(g, e, rtol=TOLERANCE, atol=TOLERANCE)
                   for g, e in zip(got, expected)):
            raise ExportMismatch(f"{fmt} outputs differ from PyTorch by up to {diff:.3g} "
                                 f"(allowed {TOLERANCE:g} + {TOLERANCE:g} x |logit|)")
    return out, diff


def run_cli(args: argparse.Namespace) -> int:
    """``python main.py --export CKPT --format onnx|torchscript [--out FILE]``."""
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    try:
        out, diff = export_checkpoint(args.export, args.format, args.out)
    except ExportMismatch as err:
        print(f"export failed: {err}; nothing written")
        return 1
    print(f"wrote {out} ({args.format}); outputs match PyTorch: max |difference| {diff:.3g} "
          f"on batches of {' and '.join(map(str, CHECK_BATCHES))} random windows")
    return 0
