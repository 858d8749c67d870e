"""Training on a small real UTD-MHAD subset: learning, outputs, resume (in process and after
SIGKILL), refusal of a changed recipe, and a 2-process DistributedDataParallel run on CPU (gloo)."""
import csv
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from core.errors import InputError
from model.checkpoint import load_checkpoint, read_checkpoint
from model.config import load_config
from model.data.loader import load_dataset
from model.evaluate import evaluate
from model.train import learning_rate, train
from model.train_state import STATE_FILE

ROOT = Path(__file__).resolve().parents[1]
CLASSES = 4  # UTD-MHAD actions 1-4, subjects 1 and 3 train, subject 5 validates


@pytest.fixture(scope="module")
def utd_sets(utd_dir):
    full = load_dataset(utd_dir, progress=False)
    keep = full.labels < CLASSES
    part = replace(full.subset(keep), class_names=full.class_names[:CLASSES])
    train_set = part.subset(np.isin(part.meta["subject"], [1, 3]))
    val_set = part.subset(part.meta["subject"] == 5)
    return train_set, val_set


def tiny_config(out_dir, *extra):
    """HCN on 16-frame windows: a few seconds per epoch on a CPU; float32 (``train.amp=false``) so
    that a run is the same on every CPU, with or without native bfloat16."""
    return load_config(None, [
        "model.name=hcn", "model.args.dropout=0.1", "data.layout=ntu25", "data.window=16", "data.num_person=1", "data.min_crop=8",
        "data.augmentation={rotate: {max_angle: 0.1}}",
        "stdcl.positives=2", "stdcl.negatives=8", "stdcl.dim=32",
        "optim.name=adam", "optim.lr=0.005", "optim.warmup_epochs=0", "optim.schedule=constant",
        "train.batch_size=8", "train.threads=1", "train.amp=false", "train.progress=false", f"train.out_dir={out_dir}",
        *extra])


@pytest.fixture(scope="module")
def trained(utd_sets, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    lines = []
    result = train(tiny_config(out, "train.epochs=10"), *utd_sets, log=lines.append)
    return result, lines


def test_training_reduces_the_loss_and_beats_chance(trained, utd_sets):
    result, _ = trained
    losses = [row["cross_entropy"] for row in result.history]
    assert len(losses) == 10
    assert losses[-1] < 0.75 * losses[0]
    assert max(row["stdcl"] for row in result.history) > 0  # the STD-CL term was active
    assert result.metrics["n"] == len(utd_sets[1])
    assert result.metrics["top1"] > 1.5 / CLASSES


def test_outputs_and_checkpoint_metadata(trained, utd_sets):
    result, lines = trained
    out = result.out_dir
    model, meta = load_checkpoint(result.best_checkpoint)
    assert meta["class_names"] == list(utd_sets[0].class_names)
    assert (meta["backbone"], meta["layout"], meta["window"], meta["stream"]) == ("hcn", "ntu25", 16, "joint")
    assert meta["normalization"] == "center_first_spine" and meta["num_person"] == 1
    assert meta["dataset"] == "utd_mhad" and meta["window_seconds"] > 0
    assert meta["stdcl"]["positives"] == 2 and meta["trained"]["config"]["model"]["name"] == "hcn"
    best_row = max(result.history, key=lambda r: r["val_top1"])
    assert meta["accuracy"]["top1"] == pytest.approx(best_row["val_top1"])
    assert meta["trained"]["epochs"] == result.best_epoch == best_row["epoch"]
    assert read_checkpoint(result.last_checkpoint)["meta"]["trained"]["epochs"] == 10
    report = json.loads((out / "metrics.json").read_text())
    assert report["top1"] == pytest.approx(meta["accuracy"]["top1"])
    assert set(report["per_class"]) == set(meta["class_names"])
    assert np.asarray(report["confusion"]).sum() == len(utd_sets[1])
    assert (out / "confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert [int(r["epoch"]) for r in rows] == list(range(1, 11))
    assert all(int(r["samples"]) == 4 * 8 for r in rows)  # 32 samples, 4 full batches
    assert any(p.name.startswith("events.out.tfevents") for p in (out / "tensorboard").iterdir())
    assert any(line.startswith("epoch 10/10") for line in lines)


def test_eval_of_the_best_checkpoint_matches_validation(trained, utd_sets):
    result, _ = trained
    report = evaluate([result.best_checkpoint], utd_sets[1])
    assert (report["top1"], report["top5"], report["n"]) == pytest.approx(
        (result.metrics["top1"], result.metrics["top5"], result.metrics["n"]))
    assert report["confusion"] == result.metrics["confusion"]


@pytest.mark.parametrize("backbone", ["hcn", "agcn"])
def test_bfloat16_steps_on_cpu_train_and_save_plain_float32_weights(utd_sets, tmp_path, monkeypatch, backbone):
    """``train.amp`` on a CPU with native bfloat16: the forward pass runs in bfloat16 (HCN with
    channels-last weights), the checkpoint holds float32 weights that load and predict as usual."""
    import model.train as train_module

    monkeypatch.setattr(train_module, "autocast_dtype", lambda device: torch.bfloat16)
    seen = set()

    def record(module, inputs, output):
        if isinstance(module, torch.nn.Conv2d) and module.training:
            seen.add((output.dtype, output.is_contiguous(memory_format=torch.channels_last)))

    hook = torch.nn.modules.module.register_module_forward_hook(record)
    try:
        result = train(tiny_config(tmp_path, f"model.name={backbone}", "train.amp=true", "train.epochs=2",
                                   "train.max_steps_per_epoch=3"), *utd_sets, log=lambda s: None)
    finally:
        hook.remove()
    assert {dtype for dtype, _ in seen} == {torch.bfloat16}
    if backbone == "hcn":  # 1x1 and 3x1 convolutions of a channels-last input stay channels-last
        assert any(last for _, last in seen)
    assert all(np.isfinite(row["loss"]) for row in result.history)
    model, _ = load_checkpoint(result.last_checkpoint)
    weights = list(model.state_dict().values())
    assert all(w.dtype in (torch.float32, torch.int64) for w in weights)
    assert all(w.is_contiguous() for w in weights)
    report = evaluate([result.last_checkpoint], utd_sets[1])
    assert report["n"] == len(utd_sets[1])


def test_resume_continues_with_the_same_optimiser_state(utd_sets, tmp_path):
    straight = train(tiny_config(tmp_path / "a", "train.epochs=2"), *utd_sets, log=lambda s: None)
    first = train(tiny_config(tmp_path / "b", "train.epochs=1"), *utd_sets, log=lambda s: None)
    assert [r["epoch"] for r in first.history] == [1]
    lines = []
    resumed = train(tiny_config(tmp_path / "b", "train.epochs=2"), *utd_sets, log=lines.append)
    assert any("resuming" in line and "after epoch 1" in line for line in lines)
    assert [r["epoch"] for r in resumed.history] == [1, 2]
    a = torch.load(tmp_path / "a" / STATE_FILE, weights_only=True)
    b = torch.load(tmp_path / "b" / STATE_FILE, weights_only=True)
    for key, value in a["backbone"].items():
        assert torch.equal(value, b["backbone"][key]), key
    for key, value in a["head"].items():  # STD-CL head and its memory banks
        assert torch.equal(value, b["head"][key]), key
    for slot, state in a["optimizer"]["state"].items():
        for name, value in state.items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(b["optimizer"]["state"][slot][name]))
    assert a["history"][1]["loss"] == pytest.approx(b["history"][1]["loss"], rel=1e-6)


def test_resume_refuses_a_changed_recipe(utd_sets, tmp_path):
    train(tiny_config(tmp_path, "train.epochs=1"), *utd_sets, log=lambda s: None)
    with pytest.raises(InputError, match="data.stream was 'joint', now 'bone'"):
        train(tiny_config(tmp_path, "train.epochs=2", "data.stream=bone"), *utd_sets, log=lambda s: None)


def test_learning_rate_schedules():
    optim = load_config(None, ["optim.lr=0.1", "optim.warmup_epochs=5", "optim.steps=[35, 55]"]).optim
    assert [round(learning_rate(e, optim, 65), 6) for e in (0, 4, 5, 34, 35, 55, 64)] == \
        [0.02, 0.1, 0.1, 0.1, 0.01, 0.001, 0.001]
    exp = load_config(None, ["optim.lr=0.001", "optim.warmup_epochs=0", "optim.schedule=exp",
                             "optim.gamma=0.99"]).optim
    assert learning_rate(10, exp, 400) == pytest.approx(0.001 * 0.99 ** 10)


def _recipe(tmp_path, utd_dir, **train_fields):
    recipe = {
        "model": {"name": "hcn"},
        "data": {"path": str(utd_dir), "layout": "ntu25", "window": 16, "num_person": 1, "min_crop": 8,
                 "train": {"subject": [1]}, "val": {"subject": [3]}},
        "stdcl": {"positives": 2, "negatives": 8, "dim": 32},
        "optim": {"name": "adam", "lr": 0.001, "warmup_epochs": 0, "schedule": "constant"},
        "train": {"batch_size": 8, "threads": 1, "max_steps_per_epoch": 2, "progress": False, **train_fields},
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def test_sigkill_then_resume_finishes(utd_dir, tmp_path):
    out = tmp_path / "run"
    recipe = _recipe(tmp_path, utd_dir, epochs=4, out_dir=str(out))
    cmd = [sys.executable, str(ROOT / "main.py"), "--train", "--config", str(recipe), "data.val=null"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 240
    while not (out / STATE_FILE).exists():
        assert proc.poll() is None, proc.stdout.read().decode()
        assert time.time() < deadline, "no training state written"
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = torch.load(out / STATE_FILE, weights_only=True)["epoch"]
    assert 1 <= saved < 4
    done = subprocess.run(cmd, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"resuming {out} after epoch {saved}" in done.stdout
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]
    assert read_checkpoint(out / "last.pt")["meta"]["trained"]["epochs"] == 4


def test_two_process_gloo_run(utd_dir, tmp_path):
    out = tmp_path / "ddp"
    recipe = _recipe(tmp_path, utd_dir)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(ROOT / "main.py"), "--train", "--config", str(recipe), "--device", "cpu",
           "train.epochs=2", f"train.out_dir={out}"]
    done = subprocess.run(cmd, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "x2 processes" in done.stdout
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert [int(r["samples"]) for r in rows] == [2 * 2 * 8] * 2  # 2 processes x 2 steps x batch 8
    assert "without validation" not in done.stdout  # only rank 0 reports (rank 1 once printed it, racing)
    assert done.stdout.strip().splitlines()[-1].startswith("top1="), done.stdout[-2000:]
    model, meta = load_checkpoint(out / "best.pt")
    assert meta["accuracy"]["n"] == 108 and meta["num_classes"] == 27
