"""Several datasets as one training set: merged labels, common frame rate, splits per source, and the
label aliases a checkpoint keeps so that --eval scores a dataset folder against the merged classes."""
import warnings

import numpy as np
import pytest

import main
from core.errors import InputError
from model.config import load_config
from model.data.mixture import aliases, check_label_set, merge_sets
from model.data.sets import SkeletonSet
from model.train import load_sets, class_weights

LABELS = {"wave": {"a": ["hand wave"], "b": ["high wave", "low wave"]}, "walk": {"b": ["walking"]}}


def _set(dataset, class_names, labels, frames, layout="utd20", subject=None):
    rng = np.random.default_rng(len(dataset))
    samples = [rng.normal(size=(3, frames, 20, 1)).astype(np.float32) + [[[[0]]], [[[0]]], [[[3]]]]
               for _ in labels]
    meta = {"subject": subject if subject is not None else list(range(len(labels)))}
    return SkeletonSet(samples, labels, [f"s{i}" for i in range(len(labels))], tuple(class_names), layout,
                       dataset, meta)


def test_merge_relabels_resamples_and_leaves_out_unlisted_classes():
    a = _set("a", ["hand wave", "kick"], [0, 1, 0], frames=30)
    b = _set("b", ["high wave", "walking", "low wave"], [2, 1, 0], frames=15)
    with pytest.warns(UserWarning, match="a: 1 samples of classes outside"):
        merged = merge_sets([(a, 30.0), (b, 15.0)], LABELS, "ntu25", 30.0)
    assert merged.class_names == ("wave", "walk") and merged.layout == "ntu25"
    assert merged.labels.tolist() == [0, 0, 0, 1, 0]
    assert merged.meta["source"].tolist() == [0, 0, 1, 1, 1]
    assert merged.names[2] == "b/s0" and merged.dataset == "a+b"
    # 15 frames at 15 fps span 14/15 s: 29 frames at 30 fps; the 30 fps part is unchanged
    assert [s.shape[1] for s in merged.samples] == [30, 30, 29, 29, 29]
    np.testing.assert_allclose(merged.samples[2][:, ::2], b.to_layout("ntu25").samples[0], atol=1e-5)


def test_label_sets_are_checked():
    with pytest.raises(InputError, match="listed under both"):
        check_label_set({"x": {"a": ["one"]}, "y": {"a": ["One"]}})
    with pytest.raises(InputError, match="must be a list of class names"):
        check_label_set({"x": {"a": "one"}})
    with pytest.raises(InputError, match="background 'other' is not a class"):
        check_label_set(LABELS, ["other"])
    with pytest.raises(InputError, match="does not have: jump"):
        merge_sets([(_set("a", ["hand wave"], [0], 5), 30.0)], {"x": {"a": ["jump"]}}, "ntu25", 30.0)
    assert aliases(LABELS) == {"wave": ["hand wave", "high wave", "low wave"], "walk": ["walking"]}


def test_class_weights_balance_class_sizes():
    labels = np.array([0] * 90 + [1] * 10)
    w = class_weights(labels, 1.0)
    assert w[:90].sum() == pytest.approx(w[90:].sum())
    w = class_weights(labels, 0.5)
    assert w[:90].sum() / w[90:].sum() == pytest.approx(3.0)
    assert class_weights(labels, 0.0) is None


def test_default_recipe_reads_three_datasets_with_held_out_subjects(utd_dir, ucla_dir, msr_dir):
    config = load_config("configs/default_model.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train, val = load_sets(config, 0, 1, False)
    assert train.dataset == val.dataset == "utd_mhad+nw_ucla+msr_action3d"
    assert train.class_names == val.class_names == tuple(config.data.labels)
    for source, held_out in enumerate(s.val["subject"] for s in config.data.sources):
        in_val = set(val.meta["subject"][val.meta["source"] == source].tolist())
        in_train = set(train.meta["subject"][train.meta["source"] == source].tolist())
        assert in_val == set(held_out) and not in_val & in_train
    assert set(np.unique(train.labels)) == set(range(train.num_classes))  # every class has data


def test_a_mixture_trains_and_its_checkpoint_scores_a_single_dataset(tmp_path, utd_dir, capsys):
    """Tiny run on three UTD-MHAD classes merged under new names; --eval on UTD-MHAD files then maps
    the dataset's class names onto the merged classes through the checkpoint's aliases."""
    recipe = tmp_path / "mix.yaml"
    recipe.write_text(f"""
data:
  sources: [{{path: {utd_dir}, train: {{subject: [1, 3]}}, val: {{subject: [7]}}}}]
  labels: {{wave: {{utd_mhad: [right hand wave]}}, rest: {{utd_mhad: [two hand front clap, squat (two arms stretch out)]}}}}
  background: [rest]
  layout: ntu25
  num_person: 1
  window: 16
  min_crop: 16
  normalization: canonical
model: {{name: hcn}}
stdcl: {{enabled: false}}
train: {{epochs: 1, max_steps_per_epoch: 2, batch_size: 8, out_dir: {tmp_path / "run"}, progress: false}}
""")
    assert main.main(["--train", "--config", str(recipe)]) == 0
    from model.checkpoint import load_checkpoint

    ckpt = tmp_path / "run" / "last.pt"
    _, meta = load_checkpoint(ckpt)
    assert meta["class_names"] == ["wave", "rest"] and meta["background_classes"] == ["rest"]
    assert meta["label_aliases"]["rest"] == ["squat (two arms stretch out)", "two hand front clap"]
    assert meta["split"] == "utd_mhad: train subject 1,3 / val subject 7"
    folder = tmp_path / "utd"
    folder.mkdir()
    for name in ("a3_s7_t1", "a4_s7_t1", "a27_s7_t2"):
        (folder / f"{name}_skeleton.mat").symlink_to(utd_dir / f"{name}_skeleton.mat")
    capsys.readouterr()
    assert main.main(["--eval", "--checkpoint", str(ckpt), "--data", str(folder)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].endswith("n=3")
    (folder / "a5_s7_t1_skeleton.mat").symlink_to(utd_dir / "a5_s7_t1_skeleton.mat")  # a class it lacks
    assert main.main(["--eval", "--checkpoint", str(ckpt), "--data", str(folder)]) == 2
    assert "'right arm throw' is not one of the 2 classes" in capsys.readouterr().err


def test_fine_background_recipe_splits_the_default_background_and_keeps_its_actions(utd_dir, ucla_dir, msr_dir):
    """configs/fine_background_model.yaml: the default's 15 actions unchanged, and every dataset
    class of the default's "other" in exactly one of its background classes."""
    default, fine = load_config("configs/default_model.yaml"), load_config("configs/fine_background_model.yaml")
    actions = {n: v for n, v in default.data.labels.items() if n not in default.data.background}
    assert {n: fine.data.labels[n] for n in actions} == actions
    assert set(fine.data.labels) - set(actions) == set(fine.data.background)
    claimed = sorted((d, c) for n in fine.data.background for d, cs in fine.data.labels[n].items() for c in cs)
    other = sorted((d, c) for d, cs in default.data.labels["other"].items() for c in cs)
    assert claimed == other
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train, _ = load_sets(fine, 0, 1, False)
    assert set(np.unique(train.labels)) == set(range(train.num_classes)) and train.num_classes == 34
