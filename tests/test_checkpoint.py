"""Checkpoint format: round trip, refusal of files that do not fit or carry pickled objects."""
import os
import pickle

import pytest
import torch

from core.errors import InputError
from model import build_model, load_checkpoint, save_checkpoint
from model.checkpoint import read_checkpoint
from model.stdcl import STDCLHead

META = {"class_names": ["wave", "clap", "kick"], "window": 8, "stream": "joint", "normalization": "center",
        "dataset": "utd_mhad", "split": "subject", "accuracy": {"top1": 0.5, "top5": 1.0, "n": 4},
        "stdcl": {"weight": 1.0, "positives": 4}, "trained": {"epochs": 1, "seconds": 2.5, "date": "2026-01-01"}}


def _trained_model(name="agcn", **kwargs):
    torch.manual_seed(0)
    model = build_model(name, 3, layout="utd20", num_person=1, **kwargs)
    model.train()
    with torch.no_grad():
        model(torch.randn(4, 3, kwargs.get("window", 8), 20, 1))  # move BatchNorm statistics
        for p in model.parameters():
            p.add_(0.01 * torch.randn_like(p))
    return model.eval()


def test_round_trip_rebuilds_the_same_model_and_meta(tmp_path):
    model = _trained_model()
    path = save_checkpoint(tmp_path / "m.pt", model, META)
    loaded, meta = load_checkpoint(path, expect={"num_classes": 3, "layout": "utd20", "backbone": "agcn"})
    x = torch.randn(2, 3, 8, 20, 1)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x), rtol=0, atol=0)
    assert not loaded.training
    assert meta["class_names"] == META["class_names"] and meta["accuracy"]["top1"] == 0.5
    assert (meta["backbone"], meta["num_person"], meta["in_channels"]) == ("agcn", 1, 3)
    assert meta["backbone_args"] == {"dropout": 0.0}
    assert not [p.name for p in tmp_path.iterdir() if p.name != "m.pt"]  # no temporary left behind


def test_backbone_options_survive_the_round_trip(tmp_path):
    model = _trained_model("hcn", window=16, dropout=0.25)
    loaded, meta = load_checkpoint(save_checkpoint(tmp_path / "h.pt", model, {"window": 16}))
    assert meta["backbone_args"] == {"window": 16, "dropout": 0.25} and loaded.window == 16


def test_a_model_trained_with_stdcl_loads_into_the_plain_backbone(tmp_path):
    model = build_model("ctrgcn", 3, layout="utd20", num_person=1).train()
    head = STDCLHead.for_backbone(model, 8, torch.arange(12) % 3, positives=1, negatives=2)
    optimizer = torch.optim.SGD(list(model.parameters()) + list(head.parameters()), lr=0.1)
    x, labels, indices = torch.randn(6, 3, 8, 20, 1), torch.arange(6) % 3, torch.arange(6)
    features = model.features(x)
    head(features, model.classify(features, 1), labels, indices).total.backward()
    optimizer.step()
    loaded, _ = load_checkpoint(save_checkpoint(tmp_path / "s.pt", model.eval()))
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x))


@pytest.mark.parametrize("field,value,message", [
    ("num_classes", 60, "num_classes is 3, expected 60"),
    ("layout", "ntu25", "layout is 'utd20', expected 'ntu25'"),
    ("backbone", "ctrgcn", "backbone is 'agcn', expected 'ctrgcn'"),
    ("num_person", 2, "num_person is 1, expected 2"),
])
def test_checkpoint_that_does_not_fit_the_caller_is_refused(tmp_path, field, value, message):
    path = save_checkpoint(tmp_path / "m.pt", _trained_model(), META)
    with pytest.raises(InputError, match=message):
        load_checkpoint(path, expect={field: value})


def test_weights_that_do_not_fit_the_declared_model_are_refused(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", _trained_model(), META)
    payload = torch.load(path, weights_only=True)
    payload["meta"]["num_classes"] = 5
    payload["meta"]["class_names"] = None
    torch.save(payload, tmp_path / "bad.pt")
    with pytest.raises(InputError, match=r"bad\.pt does not fit model agcn.*size mismatch"):
        load_checkpoint(tmp_path / "bad.pt")


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):  # unpickling this would create the marker file
        return (open, (self.marker, "w"))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_pickled_objects_are_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"format": "stdcl-action", "version": 1, "state_dict": {}, "meta": {"x": _Payload(str(marker))}},
               path)
    with pytest.raises(InputError, match="contains pickled Python objects; refusing to load it"):
        load_checkpoint(path)
    with open(tmp_path / "plain.pkl", "wb") as f:
        pickle.dump(_Payload(str(marker)), f)
    with pytest.raises(InputError, match="pickled Python objects"):
        load_checkpoint(tmp_path / "plain.pkl")
    assert not marker.exists()


@pytest.mark.parametrize("content,message", [
    (b"", "is not a checkpoint file"),
    (b"name,label\nwave,1\n", "is not a checkpoint file"),
])
def test_files_that_are_not_checkpoints_are_refused(tmp_path, content, message):
    path = tmp_path / "x.pt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_checkpoint(path)


def test_other_torch_files_and_missing_files_are_refused(tmp_path):
    torch.save({"weight": torch.zeros(2)}, tmp_path / "sd.pt")
    with pytest.raises(InputError, match="not a stdcl-action checkpoint"):
        read_checkpoint(tmp_path / "sd.pt")
    torch.save({"format": "stdcl-action", "version": 9, "state_dict": {}, "meta": {}}, tmp_path / "v9.pt")
    with pytest.raises(InputError, match="version 9"):
        read_checkpoint(tmp_path / "v9.pt")
    with pytest.raises(InputError, match="no such file"):
        load_checkpoint(tmp_path / "missing.pt")


def test_meta_must_be_plain_and_agree_with_the_model(tmp_path):
    model = _trained_model()
    with pytest.raises(TypeError, match="meta.dataset"):
        save_checkpoint(tmp_path / "m.pt", model, {"dataset": tmp_path})
    with pytest.raises(ValueError, match="num_classes"):
        save_checkpoint(tmp_path / "m.pt", model, {"num_classes": 4})
    with pytest.raises(ValueError, match="2 class names"):
        save_checkpoint(tmp_path / "m.pt", model, {"class_names": ["a", "b"]})
    assert not os.listdir(tmp_path)
