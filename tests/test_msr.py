"""MSR Action3D reader: the text format, empty frames, names, damaged files, and the real release."""
import numpy as np
import pytest

from core.errors import InputError
from model.data.loader import detect_format, load_dataset, read_file
from pose.layouts import MSR20, NTU25, convert_ctvm


def _write(path, joints):
    """joints (T, 20, 3) -> MSR text: one line per joint, x y z confidence."""
    lines = [f"{x:.6f} {y:.6f} {z:.6f} 1.000000" for frame in joints for x, y, z in frame]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_reads_frames_joints_label_and_meta(tmp_path):
    joints = np.random.default_rng(0).normal(0, 0.3, size=(6, 20, 3)) + [0, 0, 2.5]
    joints[2] = 0  # the sensor lost the person for one frame
    s = read_file(_write(tmp_path / "a05_s03_e02_skeleton3D.txt", joints))
    assert (s.label, s.layout, s.meta) == (4, "msr20", {"subject": 3, "repetition": 2})
    assert s.array.shape == (3, 5, 20, 1)
    kept = np.delete(joints, 2, axis=0)
    np.testing.assert_allclose(s.array[:, :, MSR20.index("head"), 0], kept[:, 19].T, rtol=1e-5)
    np.testing.assert_allclose(s.array[:, :, MSR20.index("right_wrist"), 0], kept[:, 10].T, rtol=1e-5)


@pytest.mark.parametrize("content, message", [
    ("1 2 3 4\n", "not frames of 20 joints"),
    ("a b c d\n" * 20, "other than numbers"),
    ("0 0 0 0\n" * 40, "every frame is empty"),
    ("", "not frames of 20 joints"),
])
def test_damaged_files_are_refused_by_name(tmp_path, content, message):
    path = tmp_path / "a01_s01_e01_skeleton3D.txt"
    path.write_text(content)
    with pytest.raises(InputError, match=message) as err:
        read_file(path)
    assert str(path) in str(err.value)


def test_a_stray_text_file_is_not_taken_for_msr(tmp_path):
    """A folder of UTD-MHAD-like .mat files with a joint_order.txt is still one format."""
    _write(tmp_path / "a01_s01_e01_skeleton3D.txt", np.ones((3, 20, 3)))
    (tmp_path / "joint_order.txt").write_text("head\nneck\n")
    assert detect_format(tmp_path) == "msr"
    assert len(load_dataset(tmp_path, use_cache=False, progress=False)) == 1


def test_real_release(msr_dir, tmp_path):
    with pytest.warns(UserWarning, match="every frame is empty"):
        ds = load_dataset(msr_dir, cache_dir=tmp_path, progress=False)
    assert ds.dataset == "msr_action3d" and ds.num_classes == 20
    assert len(ds) == len(list(msr_dir.glob("*_skeleton3D.txt"))) - 1 == 566
    assert sorted(set(ds.meta["subject"].tolist())) == list(range(1, 11))
    # the README's joint order, checked: in "high arm wave" the right hand moves most and the person
    # faces the sensor with the right shoulder at the larger x (Kinect convention)
    waves = [s for s, y in zip(ds.samples, ds.labels) if y == 0]
    ntu = [convert_ctvm(s, "msr20", "ntu25") for s in waves]
    extent = np.median([np.ptp(x[..., 0], axis=1).max(axis=0) for x in ntu], axis=0)
    assert NTU25.joints[int(np.argmax(extent))].startswith("right_")
    shoulders = np.median([(x[0, :, NTU25.index("right_shoulder")] - x[0, :, NTU25.index("left_shoulder")]).mean()
                           for x in ntu])
    assert shoulders > 0.15
