"""Dataset readers, format detection, splits and the one-file cache (synthetic and real data)."""
import os
import shutil
import zipfile

import numpy as np
import pytest

from core.errors import InputError
from model.data import cache, loader, ntu
from model.data.sets import DataWarning
from model.data.loader import detect_format, load_dataset, read_file
from model.data.ntu_npz import load_ntu_npz
from pose.layouts import UCLA20, UTD20
from skeleton_files import body_track, write_skeleton, write_ucla, write_utd


def _ucla_folder(folder, n=4):
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        action, label = ((1, 1), (8, 7), (12, 10), (4, 4))[i % 4]
        write_ucla(folder / f"a{action:02d}_s{i + 1:02d}_e00_v0{1 + i % 3}.json",
                   rng.normal(size=(10 + i, 20, 3)), label)
    return folder


@pytest.mark.parametrize("name, subject_train, camera_train, setup_train", [
    ("S001C001P001R001A001", True, False, False),
    ("S002C002P003R002A010", False, True, True),
    ("S017C003P040R001A060", False, True, False),
    ("S018C001P045R001A061", True, False, True),
    ("S032C003P106R002A120", False, True, True),
])
def test_benchmark_membership_from_file_names(name, subject_train, camera_train, setup_train):
    assert ntu.is_training(name, "xsub") == subject_train
    assert ntu.is_training(name, "xview") == camera_train
    assert ntu.is_training(name, "xset") == setup_train
    assert ntu.parse_name(name + ".skeleton")["action"] == int(name[-3:])


def test_training_subject_lists_match_the_benchmarks():
    ntu60 = sorted(s for s in ntu.TRAIN_SUBJECTS if s <= 40)
    assert ntu60 == [1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38]
    assert len(ntu.TRAIN_SUBJECTS) == 53 and max(ntu.TRAIN_SUBJECTS) < 107
    with pytest.raises(InputError, match="benchmark"):
        ntu.is_training("S001C001P001R001A001", "xcam")
    with pytest.raises(InputError, match="not an NTU sample name"):
        ntu.is_training("clip_01", "xsub")


def test_ntu_folder_splits_and_missing_list(tmp_path):
    folder = tmp_path / "nturgb+d_skeletons"
    folder.mkdir()
    names = ["S001C001P001R001A001", "S001C002P003R001A002", "S002C003P002R002A003",
             "S001C002P005R002A008"]  # the last is on the official missing-skeleton list
    assert names[-1] in ntu.missing_skeleton_names() and len(ntu.missing_skeleton_names()) == 535
    for i, name in enumerate(names):
        write_skeleton(folder / f"{name}.skeleton", [[("b", j)] for j in body_track(20, seed=i)])
    with pytest.warns(DataWarning, match="left out 1 samples"):
        ds = load_dataset(folder, use_cache=False, progress=False)
    assert ds.names == names[:3] and ds.dataset == "ntu60" and ds.num_classes == 60
    assert ds.labels.tolist() == [0, 1, 2] and ds.meta["subject"].tolist() == [1, 3, 2]
    assert [ntu.is_training(n, "xsub") for n in ds.names] == [True, False, True]
    assert ds.meta["camera"].tolist() == [1, 2, 3] and ds.meta["setup"].tolist() == [1, 1, 2]


def test_damaged_file_is_skipped_with_a_warning_naming_it(tmp_path):
    folder = _ucla_folder(tmp_path / "ucla")
    (folder / "a01_s09_e00_v01.json").write_text('{"skeletons": [[[0, 0')
    with pytest.warns(DataWarning, match="a01_s09_e00_v01.json"):
        ds = load_dataset(folder, use_cache=False, progress=False)
    assert len(ds) == 4 and len(ds.skipped) == 1 and "a01_s09_e00_v01.json" in ds.skipped[0]


def test_ucla_label_must_match_file_name(tmp_path):
    path = write_ucla(tmp_path / "a05_s01_e00_v01.json", np.zeros((3, 20, 3)) + 1, label=6)
    with pytest.raises(InputError, match="label 6 is action a06, but the file name says a05"):
        read_file(path)


def test_folder_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no skeleton files"):
        load_dataset(tmp_path / "empty")
    mixed = _ucla_folder(tmp_path / "mixed")
    write_utd(mixed / "a1_s1_t1_skeleton.mat", np.ones((5, 20, 3)))
    with pytest.raises(InputError, match="mixes file formats"):
        detect_format(mixed)
    with pytest.raises(InputError, match="no such file"):
        load_dataset(tmp_path / "nope")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a01_s01_e00_v01.json").write_text("[]")
    with pytest.raises(InputError, match="none of its 1 .json files could be read"):
        with pytest.warns(DataWarning):
            load_dataset(bad, use_cache=False, progress=False)


def test_read_file_layouts(tmp_path):
    joints = np.random.default_rng(1).normal(size=(7, 20, 3))
    s = read_file(write_utd(tmp_path / "a27_s8_t4_skeleton.mat", joints))
    assert (s.label, s.layout, s.meta) == (26, "utd20", {"subject": 8, "trial": 4})
    np.testing.assert_allclose(s.array[:, :, UTD20.index("head"), 0], joints[:, 0].T, rtol=1e-6)
    s = read_file(write_ucla(tmp_path / "a12_s03_e02_v03.json", joints, 10))
    assert (s.label, s.layout, s.meta) == (9, "ucla20", {"subject": 3, "repetition": 2, "view": 3})
    np.testing.assert_allclose(s.array[:, :, UCLA20.index("hip_center"), 0], joints[:, 0].T, rtol=1e-6)
    with pytest.raises(InputError, match="unsupported"):
        read_file(tmp_path / "clip.txt")


def test_cache_hit_is_identical_and_a_change_invalidates_it(tmp_path, monkeypatch):
    folder = _ucla_folder(tmp_path / "ucla")
    first = load_dataset(folder, cache_dir=tmp_path / "cache", progress=False)
    cached_files = list((tmp_path / "cache").iterdir())
    assert len(cached_files) == 1 and cached_files[0].suffix == ".npz"
    with np.load(cached_files[0], allow_pickle=False) as z:  # plain arrays, no pickle
        assert "data" in z.files and z["names"].dtype.kind == "U"

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed again although the cache is valid")

    with monkeypatch.context() as m:
        m.setattr(loader, "_read_folder", no_parsing)
        second = load_dataset(folder, cache_dir=tmp_path / "cache", progress=False)
    assert second.names == first.names and second.class_names == first.class_names
    assert second.layout == first.layout and second.dataset == first.dataset
    np.testing.assert_array_equal(second.labels, first.labels)
    for key in first.meta:
        np.testing.assert_array_equal(second.meta[key], first.meta[key])
    for a, b in zip(first.samples, second.samples):
        assert a.shape == b.shape and b.dtype == np.float32
        np.testing.assert_array_equal(a, b)

    changed = folder / "a08_s02_e00_v02.json"
    write_ucla(changed, np.full((9, 20, 3), 0.5), 7)
    os.utime(changed, ns=(1, 1))  # a different mtime even on a coarse clock
    third = load_dataset(folder, cache_dir=tmp_path / "cache", progress=False)
    changed_sample = third.samples[third.names.index(changed.stem)]
    assert changed_sample.shape[1] == 9 and np.all(changed_sample == 0.5)
    (folder / "a04_s04_e00_v01.json").unlink()
    assert len(load_dataset(folder, cache_dir=tmp_path / "cache", progress=False)) == 3


def test_damaged_cache_is_rebuilt(tmp_path):
    folder = _ucla_folder(tmp_path / "ucla")
    where = cache.cache_path(folder, "ucla", tmp_path / "cache")
    where.parent.mkdir()
    where.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.warns(DataWarning, match="unreadable dataset cache"):
        ds = load_dataset(folder, cache_dir=tmp_path / "cache", progress=False)
    assert len(ds) == 4 and zipfile.is_zipfile(where)


def _ntu_archive(path, n_train=3, n_test=2, classes=60, x_dtype=np.float32):
    rng = np.random.default_rng(0)
    arrays = {}
    for part, n in (("train", n_train), ("test", n_test)):
        x = np.zeros((n, 300, 150), dtype=x_dtype)
        for i in range(n):
            x[i, :20 + 10 * i] = rng.normal(size=(20 + 10 * i, 150))
        x[0, :, 75:] = 0  # one person only
        arrays[f"x_{part}"] = x
        arrays[f"y_{part}"] = np.eye(classes)[rng.integers(0, classes, size=n)]
    np.savez(path, **arrays)
    return arrays


def test_ntu_archive_is_read_trimmed(tmp_path):
    arrays = _ntu_archive(tmp_path / "NTU60_CS.npz")
    assert detect_format(tmp_path / "NTU60_CS.npz") == "ntu_npz" and detect_format(tmp_path) == "ntu_npz"
    ds = load_dataset(tmp_path / "NTU60_CS.npz", progress=False)
    assert len(ds) == 5 and ds.dataset == "ntu60_npz" and ds.num_classes == 60
    assert ds.lengths.tolist() == [20, 30, 40, 20, 30] and ds.meta["part"].tolist() == [0, 0, 0, 1, 1]
    assert ds.labels.tolist() == (list(arrays["y_train"].argmax(1)) + list(arrays["y_test"].argmax(1)))
    # frame 5 of test sample 1: 150 values = person, joint, xyz
    expected = arrays["x_test"][1, 5].reshape(2, 25, 3).transpose(2, 1, 0)
    np.testing.assert_array_equal(ds.samples[4][:, 5], expected)
    assert not ds.samples[0][..., 1].any()
    assert len(load_ntu_npz(tmp_path / "NTU60_CS.npz", parts=("test",))) == 2


def test_pickled_archive_is_refused(tmp_path):
    path = tmp_path / "NTU60_CV.npz"
    x = np.empty((1, 300, 150), dtype=object)
    np.savez(path, x_train=x, y_train=np.eye(60)[:1])
    with pytest.raises(InputError, match="Python objects"):
        load_dataset(path, progress=False)


def test_subset_and_layout_conversion(tmp_path):
    ds = load_dataset(_ucla_folder(tmp_path / "ucla"), use_cache=False, progress=False)
    sub = ds.subset(ds.meta["view"] == 1)
    assert sub.names == [n for n in ds.names if n.endswith("v01")] and sub.meta["view"].tolist() == [1, 1]
    ntu25 = ds.to_layout("ntu25")
    assert ntu25.samples[0].shape == (3, 10, 25, 1) and ntu25.layout == "ntu25"
    assert ds.samples[0].shape == (3, 10, 20, 1)


def test_real_utd_mhad(utd_dir, tmp_path):
    ds = load_dataset(utd_dir, cache_dir=tmp_path, progress=False)
    # subjects 1, 3, 5, 7 x 27 actions x 4 trials = 432, less a8_s1_t4 missing from the release
    assert len(ds) == len(list(utd_dir.glob("*.mat"))) == 431 and not ds.skipped
    assert ds.dataset == "utd_mhad" and ds.layout == "utd20" and ds.num_classes == 27
    assert ds.labels.min() == 0 and ds.labels.max() == 26 and len(set(ds.labels.tolist())) == 27
    assert set(ds.meta["subject"].tolist()) == {1, 3, 5, 7} and set(ds.meta["trial"].tolist()) == {1, 2, 3, 4}
    assert all(s.shape[0] == 3 and s.shape[2:] == (20, 1) for s in ds.samples)
    assert all(41 <= s.shape[1] <= 125 for s in ds.samples)


def test_real_nw_ucla(ucla_dir, tmp_path):
    ds = load_dataset(ucla_dir, cache_dir=tmp_path, progress=False)
    assert len(ds) == 1020 and not ds.skipped and ds.dataset == "nw_ucla" and ds.layout == "ucla20"
    assert ds.labels.min() == 0 and ds.labels.max() == 9 and len(set(ds.labels.tolist())) == 10
    assert set(ds.meta["view"].tolist()) == {1, 2}
    assert all(s.shape[0] == 3 and s.shape[2:] == (20, 1) for s in ds.samples)
    head, hip = UCLA20.index("head"), UCLA20.index("hip_center")
    assert np.mean([np.mean(s[1, :, head] > s[1, :, hip]) for s in ds.samples]) > 0.95


def test_real_ntu_samples_folder(ntu_samples_dir, tmp_path):
    folder = tmp_path / "ntu"
    shutil.copytree(ntu_samples_dir, folder)
    ds = load_dataset(folder, cache_dir=tmp_path / "cache", progress=False)
    assert ds.names == ["S001C001P001R001A011", "S001C003P008R002A058", "S002C001P003R001A003"]
    assert ds.labels.tolist() == [10, 57, 2] and ds.lengths.tolist() == [82, 70, 100]
    assert ds.class_names[57] == "handshaking" and ds.num_person == 2
