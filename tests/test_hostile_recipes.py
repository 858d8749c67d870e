"""Recipes that are wrong or hostile (issue 16, items 5 and 6): every field's range is checked when
the recipe is loaded, with the field named; a loss that stops being finite ends training with an
``error:`` and no checkpoint; STD-CL settings that can never form a positive pair are refused; YAML
alias bombs, deep nesting, huge files and includes of devices are refused before they cost memory
or hang; the JSON dataset reader refuses deep nesting."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from skeleton_files import write_ucla

import main
from core.errors import InputError
from model.config import load_config
from model.data.sets import SkeletonSet
from model.train import train

ROOT = Path(main.__file__).resolve().parent


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: "), err
    return err


# --- 5. ranges -------------------------------------------------------------------------------------

@pytest.mark.parametrize("override, message", [
    ("train.batch_size=0", "train.batch_size must be an integer >= 1 and <= 65536, got 0"),
    ("train.workers=-1", "train.workers must be an integer >= 0 and <= 256, got -1"),
    ("train.eval_interval=0", "train.eval_interval must be an integer >= 1, got 0"),
    ("train.max_steps_per_epoch=0", "train.max_steps_per_epoch must be null or an integer >= 1, got 0"),
    ("data.fps=0", "data.fps must be a number > 0 and <= 1000, got 0"),
    ("train.epochs=0", "train.epochs must be an integer >= 1 and <= 100000, got 0"),
    ("optim.lr=.nan", "optim.lr must be a number > 0 and <= 10, got nan"),
    # variants
    ("optim.lr=.inf", "optim.lr must be a number > 0 and <= 10, got inf"),
    ("optim.lr=-0.1", "optim.lr must be a number > 0 and <= 10, got -0.1"),
    ("optim.gamma=0", "optim.gamma must be a number > 0 and <= 1, got 0"),
    ("optim.momentum=1", "optim.momentum must be a number >= 0 and < 1, got 1"),
    ("optim.weight_decay=-1e-4", "optim.weight_decay must be a number >= 0 and <= 1, got '-1e-4'"),
    ("optim.grad_clip=0", "optim.grad_clip must be null or a number > 0, got 0"),
    ("optim.steps=[10, -1]", "optim.steps must be a list of integers >= 1, got [10, -1]"),
    ("data.fps=-30", "data.fps must be a number > 0 and <= 1000, got -30"),
    ("data.window=0", "data.window must be an integer >= 1 and <= 1024, got 0"),
    ("data.window=10000000", "data.window must be an integer >= 1 and <= 1024, got 10000000"),
    ("data.window_seconds=1e7", "data.window_seconds must be null or a number > 0 and <= 60, got"),
    ("data.num_person=3", "data.num_person must be an integer >= 1 and <= 2, got 3"),
    ("data.repeat=0", "data.repeat must be an integer >= 1 and <= 1000, got 0"),
    ("data.min_crop=0", "data.min_crop must be an integer >= 1, got 0"),
    ("data.crop_ratio=[0.9, 0.5]", "data.crop_ratio must be [low, high] with 0 < low <= high <= 1, got [0.9, 0.5]"),
    ("data.crop_ratio=[0, 1]", "data.crop_ratio must be a list of numbers > 0 and <= 1, got [0, 1]"),
    ("data.crop_ratio=[0.5]", "data.crop_ratio must be [low, high] with 0 < low <= high <= 1, got [0.5]"),
    ("data.layout=kinect", "data.layout must be one of ntu25, utd20, ucla20, msr20, got 'kinect'"),
    ("data.normalization=zscore", "data.normalization must be one of none, center_first_spine, body_frame"),
    ("model.name=resnet", "model.name must be one of hcn, agcn, ctrgcn, hyperformer, got 'resnet'"),
    ("stdcl.positives=0", "stdcl.positives must be an integer >= 1, got 0"),
    ("stdcl.negatives=-5", "stdcl.negatives must be an integer >= 1, got -5"),
    ("stdcl.tau=0", "stdcl.tau must be a number > 0, got 0"),
    ("stdcl.weight=-1", "stdcl.weight must be a number >= 0, got -1"),
    ("stdcl.dim=0", "stdcl.dim must be an integer >= 1 and <= 4096, got 0"),
    ("train.seed=-1", "train.seed must be an integer >= 0"),
    ("train.threads=-2", "train.threads must be an integer >= 0 and <= 1024, got -2"),
    ("train.eval_batch_size=0", "train.eval_batch_size must be an integer >= 1 and <= 65536, got 0"),
    ("train.device=gpu", "train.device must be auto, cpu, cuda or cuda:N, got 'gpu'"),
    ("optim.momentum=0", "optim.momentum must be > 0 with optim.nesterov=true (or set optim.nesterov=false)"),
])
def test_out_of_range_recipe_value_is_refused_by_name(override, message, capsys, tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"data: {{path: {tmp_path / 'nothing'}}}\ntrain: {{out_dir: {tmp_path / 'run'}}}\n")
    assert main.main(["--train", "--config", str(recipe), override]) == 2
    assert _error(capsys).startswith(f"error: config: {message}")
    assert not (tmp_path / "run").exists()


def test_the_same_ranges_apply_inside_a_recipe_file(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("train:\n  batch_size: 0\n")
    with pytest.raises(InputError, match=r"^config: train.batch_size must be an integer >= 1"):
        load_config(recipe)


def test_the_shipped_settings_are_in_range():
    for recipe in sorted((ROOT / "configs").glob("*.yaml")):
        load_config(recipe)


def _synthetic_set(scale: float = 1.0, per_class: int = 4, classes: int = 2) -> SkeletonSet:
    rng = np.random.default_rng(0)
    n = per_class * classes
    samples = [(rng.normal(size=(3, 20, 25, 1)) * scale).astype(np.float32) for _ in range(n)]
    return SkeletonSet(samples=samples, labels=np.arange(n) % classes, names=[f"s{i}" for i in range(n)],
                       class_names=tuple(f"c{i}" for i in range(classes)), layout="ntu25", dataset="synthetic")


def _tiny(out_dir: Path, *extra: str):
    return load_config(None, ["model.name=hcn", "data.window=16", "data.num_person=1", "data.min_crop=8",
                              "data.normalization=none", "optim.name=adam", "optim.warmup_epochs=0",
                              "train.batch_size=4", "train.epochs=2", "train.threads=1", "train.progress=false",
                              f"train.out_dir={out_dir}", *extra])


def test_a_loss_that_stops_being_finite_ends_training_without_a_checkpoint(tmp_path):
    run = tmp_path / "run"
    with pytest.raises(InputError, match=r"^training diverged: the loss is nan at epoch 1, step \d+; nothing was "
                                         r"saved for this epoch \(lower optim.lr, or set optim.grad_clip\)"):
        train(_tiny(run, "stdcl.enabled=false"), _synthetic_set(scale=3e37), None, log=lambda s: None)
    assert not (run / "best.pt").exists() and not (run / "last.pt").exists() and not (run / "state.pt").exists()


def test_a_diverging_run_on_the_command_line_is_a_clean_error_line(tmp_path):
    """With the progress bar on screen, the message still starts a line of its own."""
    import subprocess

    data = tmp_path / "ucla"
    data.mkdir()
    rng = np.random.default_rng(0)
    for i in range(8):
        write_ucla(data / f"a{(1, 2)[i % 2]:02d}_s{i + 1:02d}_e00_v01.json", rng.normal(size=(16, 20, 3)) * 3e37,
                   (1, 2)[i % 2])
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"model: {{name: hcn}}\ndata: {{path: {data}, window: 16, num_person: 1, min_crop: 8, "
                      f"normalization: none, val: null, cache: {tmp_path / 'cache'}}}\nstdcl: {{enabled: false}}\n"
                      f"optim: {{name: adam, warmup_epochs: 0}}\n"
                      f"train: {{batch_size: 2, epochs: 2, threads: 1, progress: true, out_dir: {tmp_path / 'run'}}}\n")
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "--train", "--config", str(recipe)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert "epoch 1/2" in done.stderr  # the bar was drawn ...
    screen = _terminal_lines(done.stderr)
    assert screen[-1].startswith("error: training diverged: the loss is nan")  # ... and cleared
    assert "Traceback" not in done.stderr


def _terminal_lines(text: str) -> list[str]:
    """What a terminal shows for ``text``: carriage returns go back to the start of the line."""
    lines, line, col = [], [], 0
    for ch in text:
        if ch == "\n":
            lines.append("".join(line).rstrip())
            line, col = [], 0
        elif ch == "\r":
            col = 0
        else:
            if col < len(line):
                line[col] = ch
            else:
                line.append(ch)
            col += 1
    if line:
        lines.append("".join(line).rstrip())
    return [x for x in lines if x]


def test_a_window_derived_from_very_long_clips_is_refused_before_training(tmp_path):
    rng = np.random.default_rng(0)
    long_clips = SkeletonSet(samples=[rng.normal(size=(3, 2400, 25, 1)).astype(np.float32) for _ in range(4)],
                             labels=np.array([0, 1, 0, 1]), names=list("abcd"), class_names=("c0", "c1"),
                             layout="ntu25", dataset="synthetic")
    with pytest.raises(InputError, match=r"the median training clip lasts 80 s at data.fps=30; set "
                                         r"data.window_seconds \(at most 60 s\)"):
        train(_tiny(tmp_path / "run", "stdcl.enabled=false"), long_clips, None, log=lambda s: None)
    assert not (tmp_path / "run").exists()


def test_stdcl_that_cannot_form_a_positive_pair_is_refused(tmp_path):
    with pytest.raises(InputError, match=r"^config: stdcl.positives=5 and stdcl.negatives=4 cannot be met by any "
                                         r"class of the training set.*largest class: 4 samples"):
        train(_tiny(tmp_path / "run", "stdcl.positives=5", "stdcl.negatives=4"), _synthetic_set(), None,
              log=lambda s: None)
    with pytest.raises(InputError, match=r"stdcl.negatives=9 cannot be met"):
        train(_tiny(tmp_path / "run", "stdcl.positives=2", "stdcl.negatives=9"), _synthetic_set(), None,
              log=lambda s: None)
    assert not (tmp_path / "run" / "best.pt").exists()


def test_stdcl_that_skips_some_classes_is_warned_about(tmp_path):
    data = _synthetic_set(per_class=4, classes=2)
    uneven = data.subset(np.arange(7))  # c0: 4 samples, c1: 3
    lines: list[str] = []
    train(_tiny(tmp_path / "run", "stdcl.positives=4", "stdcl.negatives=3", "stdcl.dim=16", "train.epochs=1"),
          uneven, None, log=lines.append)
    warning = [x for x in lines if x.startswith("warning: STD-CL")]
    assert len(warning) == 1 and "1 class(es)" in warning[0] and "'c1'" in warning[0]


# --- 6. hostile YAML and JSON --------------------------------------------------------------------

ALIAS_BOMB = "\n".join(["a: &a [x, x, x, x, x, x, x, x, x, x]"]
                       + [f"{c}: &{c} [{', '.join(['*' + p] * 10)}]" for p, c in zip("abcdefgh", "bcdefghi")]
                       + ["train: {epochs: *i}"]) + "\n"


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path, capsys):
    assert len(ALIAS_BOMB) < 1000  # stands for 10**9 values
    recipe = tmp_path / "bomb.yaml"
    recipe.write_text(ALIAS_BOMB)
    assert main.main(["--train", "--config", str(recipe)]) == 2
    assert _error(capsys) == (f"error: config {recipe} expands to more than 100000 values (aliases repeated inside "
                              f"aliases?); refusing to read it")


def test_aliases_of_a_normal_size_still_work(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("optim: {steps: &s [10, 20]}\nper_backbone: {hcn: {optim: {steps: *s, lr: 0.01}}}\n")
    config = load_config(recipe, ["model.name=hcn"])
    assert config.optim.steps == [10, 20] and config.optim.lr == 0.01


@pytest.mark.parametrize("depth", [60, 20_000])
def test_deeply_nested_yaml_is_refused(tmp_path, capsys, depth):
    recipe = tmp_path / "deep.yaml"
    recipe.write_text("train: " + "[" * depth + "]" * depth + "\n")
    assert main.main(["--train", "--config", str(recipe)]) == 2
    assert _error(capsys) == f"error: config {recipe} nests deeper than 50 levels; refusing to read it"


def test_a_huge_recipe_is_refused_without_reading_it_all(tmp_path, capsys):
    recipe = tmp_path / "huge.yaml"
    with open(recipe, "w") as f:
        f.write("# " + "x" * (2 << 20) + "\ntrain: {epochs: 1}\n")
    assert main.main(["--train", "--config", str(recipe)]) == 2
    assert _error(capsys) == f"error: config {recipe} is larger than 1024 KiB; refusing to read it"


@pytest.mark.parametrize("special", ["/dev/zero", "fifo", "folder"])
def test_includes_and_recipes_are_regular_files_only(tmp_path, capsys, special):
    if special == "fifo":
        target = tmp_path / "pipe.yaml"
        os.mkfifo(target)  # opening it would wait for a writer for ever
    elif special == "folder":
        target = tmp_path / "dir.yaml"
        target.mkdir()
    else:
        target = Path(special)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"include: {target}\ntrain: {{epochs: 1}}\n")
    for config in (recipe, target):
        assert main.main(["--train", "--config", str(config)]) == 2
        assert _error(capsys) == (f"error: config {target} is not a regular file (a folder, device or FIFO); "
                                  f"refusing to read it")


def test_a_deeply_nested_json_dataset_file_is_skipped_by_name(tmp_path):
    from model.data.ucla import read_sample

    path = tmp_path / "a01_s01_e00_v01.json"
    path.write_text('{"skeletons": ' + "[" * 100_000 + "]" * 100_000 + ', "label": 1}')
    with pytest.raises(InputError, match="JSON nested too deeply"):
        read_sample(path)
