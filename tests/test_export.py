"""Export: ONNX and TorchScript files whose outputs match PyTorch, checked before they are written."""
import argparse
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from core.errors import InputError
from model import build_model, save_checkpoint
from model import export as export_module
from model.export import run_cli

CLASSES = ["wave", "clap", "kick"]
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    model = build_model("hcn", 3, layout="ucla20", num_person=1, window=16).train()
    with torch.no_grad():
        model(torch.randn(8, 3, 16, 20, 1))
    path = tmp_path_factory.mktemp("ckpt") / "hcn.pt"
    save_checkpoint(path, model.eval(), {"class_names": CLASSES, "window": 16})
    return path, model


def _args(path, fmt, out):
    return argparse.Namespace(export=str(path), format=fmt, out=str(out) if out else None)


def test_onnx_export_matches_pytorch_with_any_batch_and_carries_meta(checkpoint, tmp_path, capsys):
    path, model = checkpoint
    out = tmp_path / "model.onnx"
    assert run_cli(_args(path, "onnx", out)) == 0
    assert "max |difference|" in capsys.readouterr().out
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    x = torch.randn(5, 3, 16, 20, 1)
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    with torch.no_grad():
        np.testing.assert_allclose(got, model(x).numpy(), rtol=1e-4, atol=1e-4)
    props = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert json.loads(props["stdcl_meta"])["class_names"] == CLASSES


def test_torchscript_export_matches_pytorch_and_defaults_beside_checkpoint(checkpoint):
    path, model = checkpoint
    assert run_cli(_args(path, "torchscript", None)) == 0
    out = path.with_name("hcn.torchscript.pt")
    files = {"meta.json": ""}
    loaded = torch.jit.load(str(out), _extra_files=files)
    x = torch.randn(2, 3, 16, 20, 1)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x), rtol=1e-4, atol=1e-4)
    assert json.loads(files["meta.json"])["window"] == 16


def test_mismatching_export_fails_and_writes_nothing(checkpoint, tmp_path, monkeypatch, capsys):
    path, _ = checkpoint
    exporter, runner = export_module.EXPORTERS["torchscript"]
    monkeypatch.setitem(export_module.EXPORTERS, "torchscript",
                        (exporter, lambda file, inputs: [y + 1e-3 for y in runner(file, inputs)]))
    assert run_cli(_args(path, "torchscript", tmp_path / "m.pt")) == 1
    assert "differ from PyTorch" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_export_refuses_to_overwrite_its_checkpoint(checkpoint):
    path, _ = checkpoint
    with pytest.raises(InputError, match="overwrite"):
        run_cli(_args(path, "torchscript", path))
