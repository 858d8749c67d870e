"""MediaPipe -> NTU mapping on generated landmarks: sides, up, units, synthesised joints, gaps."""
import numpy as np
import pytest

from blazepose_synth import project, rotate_y, standing_world
from pose.layouts import NTU25
from pose.mapping import (BLAZEPOSE_LANDMARKS, KINECT_V2, camera_translation, mediapipe_image_to_ntu,
                          mediapipe_to_ntu)

J = NTU25.index
LM = BLAZEPOSE_LANDMARKS.index
VIS = np.full(33, 0.9)

# Bone lengths (metres) an adult's Kinect v2 skeleton has; NTU RGB+D samples give e.g. upper arm
# 0.23-0.25, forearm 0.23, thigh 0.33, shin 0.35, spine_base->spine_shoulder 0.50.
HUMAN_BONES = {
    ("spine_mid", "spine_base"): (0.2, 0.4), ("spine_shoulder", "spine_mid"): (0.15, 0.35),
    ("neck", "spine_shoulder"): (0.03, 0.15), ("head", "neck"): (0.08, 0.25),
    ("left_shoulder", "spine_shoulder"): (0.1, 0.25), ("left_elbow", "left_shoulder"): (0.2, 0.38),
    ("left_wrist", "left_elbow"): (0.18, 0.32), ("left_hand", "left_wrist"): (0.03, 0.12),
    ("left_hand_tip", "left_hand"): (0.03, 0.12), ("left_thumb", "left_hand"): (0.01, 0.1),
    ("left_hip", "spine_base"): (0.05, 0.2), ("left_knee", "left_hip"): (0.3, 0.55),
    ("left_ankle", "left_knee"): (0.3, 0.5), ("left_foot", "left_ankle"): (0.06, 0.2),
}


def _point(joints, name):
    return joints[..., J(name), :]


@pytest.mark.parametrize("turn", [-60, -20, 0, 20, 60])
def test_person_facing_camera_has_right_side_at_larger_kinect_x(turn):
    joints, conf = mediapipe_to_ntu(rotate_y(standing_world(), turn), VIS)
    for part in ("shoulder", "elbow", "wrist", "hand", "hip", "knee", "ankle", "foot", "hand_tip"):
        assert _point(joints, f"right_{part}")[0] > _point(joints, f"left_{part}")[0], part
    assert conf.shape == (25,) and np.all(conf > 0)


def test_axes_follow_kinect_conventions():
    world = standing_world()
    joints, _ = mediapipe_to_ntu(world, VIS)
    for name in ("left_elbow", "right_knee", "left_ankle"):
        np.testing.assert_allclose(_point(joints, name), world[LM(name)] * [-1, -1, 1], atol=1e-6)
    # the face points at the camera (smaller z): the head centre is behind the nose
    assert _point(joints, "head")[2] > world[LM("nose")][2] + 0.05
    y = lambda n: _point(joints, n)[1]  # noqa: E731
    assert y("head") > y("neck") > y("spine_shoulder") > y("spine_mid") > y("spine_base") > y("left_knee")


def test_head_above_spine_base_for_a_bending_person():
    world = standing_world()
    upper = world[:, 1] < 0  # bend everything above the hips forward (towards the camera) by 60 degrees
    a = np.radians(-60)
    rot = np.array([[1, 0, 0], [0, np.cos(a), np.sin(a)], [0, -np.sin(a), np.cos(a)]])
    world[upper] = world[upper] @ rot.T
    joints, _ = mediapipe_to_ntu(world, VIS)
    assert _point(joints, "head")[1] > _point(joints, "spine_base")[1]
    assert _point(joints, "head")[2] < _point(joints, "spine_base")[2]  # leaning towards the camera


@pytest.mark.parametrize("turn", [0, 45, 90, 180])
def test_bone_lengths_are_in_a_human_range(turn):
    joints, _ = mediapipe_to_ntu(rotate_y(standing_world(), turn), VIS)
    for (child, parent), (low, high) in HUMAN_BONES.items():
        mirrored = child.replace("left", "right"), parent.replace("left", "right")
        for side_child, side_parent in ((child, parent), mirrored):
            length = np.linalg.norm(_point(joints, side_child) - _point(joints, side_parent))
            assert low <= length <= high, (side_child, side_parent, length)


def test_synthesised_joints_follow_their_documented_definitions():
    world = standing_world() * [-1, -1, 1]  # Kinect axes, for computing expectations
    joints, conf = mediapipe_to_ntu(standing_world(), VIS)
    c = KINECT_V2
    hip_mid = (world[LM("left_hip")] + world[LM("right_hip")]) / 2
    sh_mid = (world[LM("left_shoulder")] + world[LM("right_shoulder")]) / 2
    torso = sh_mid - hip_mid
    length, up = np.linalg.norm(torso), torso / np.linalg.norm(torso)
    forward = np.array([0.0, 0.0, -1.0])  # the generated person faces the camera squarely
    expect = {
        "spine_base": hip_mid + length * (c.spine_base_up * up + c.spine_base_forward * forward),
        "spine_mid": hip_mid + length * (c.spine_mid_up * up + c.spine_mid_forward * forward),
        "spine_shoulder": hip_mid + length * (c.spine_shoulder_up * up + c.spine_shoulder_forward * forward),
        "head": (world[LM("left_ear")] + world[LM("right_ear")]) / 2
        + length * (c.head_above_ears * up + c.head_forward_of_ears * forward),
    }
    expect["neck"] = expect["spine_shoulder"] + c.neck_ratio * (expect["head"] - expect["spine_shoulder"])
    for side in ("left", "right"):
        wrist = world[LM(f"{side}_wrist")]
        knuckles = (world[LM(f"{side}_index")] + world[LM(f"{side}_pinky")]) / 2
        expect[f"{side}_hand"] = wrist + c.hand_ratio * (knuckles - wrist)
        expect[f"{side}_hand_tip"] = wrist + c.hand_tip_ratio * (knuckles - wrist)
        thumb_dir = world[LM(f"{side}_thumb")] - wrist
        thumb_dir /= np.linalg.norm(thumb_dir)
        expect[f"{side}_thumb"] = wrist + c.thumb_length_ratio * np.linalg.norm(knuckles - wrist) * thumb_dir
        ankle = world[LM(f"{side}_ankle")]
        expect[f"{side}_foot"] = ankle + c.foot_ratio * (world[LM(f"{side}_foot_index")] - ankle)
    for name, point in expect.items():
        np.testing.assert_allclose(_point(joints, name), point, atol=1e-5, err_msg=name)
    # the head is the head's centre (near the ears), not the nose in front of the face
    head_z = _point(joints, "head")[2]
    assert abs(head_z - world[LM("left_ear")][2]) < abs(head_z - world[LM("nose")][2])
    np.testing.assert_allclose(conf, 0.9)


def test_confidence_comes_from_visibility():
    vis = VIS.copy()
    vis[LM("left_wrist")] = 0.2
    vis[LM("right_ear")] = 0.4
    _, conf = mediapipe_to_ntu(standing_world(), vis)
    assert conf[J("left_wrist")] == pytest.approx(0.2)
    for name in ("left_hand", "left_hand_tip", "left_thumb"):  # built from the wrist
        assert conf[J(name)] == pytest.approx(0.2)
    assert conf[J("head")] == pytest.approx(0.4)
    assert conf[J("right_wrist")] == pytest.approx(0.9)


def test_missing_landmarks_never_produce_nan_and_collapse_to_parents():
    world, vis = standing_world(), VIS.copy()
    world[LM("left_wrist")] = np.nan
    world[LM("right_hip")] = np.nan
    vis[LM("left_knee")] = np.nan
    for name in ("left_ear", "right_ear", "left_eye", "right_eye"):
        world[LM(name)] = np.nan
    joints, conf = mediapipe_to_ntu(world, vis)
    assert np.isfinite(joints).all() and np.isfinite(conf).all()
    assert conf[J("left_wrist")] == 0
    np.testing.assert_allclose(_point(joints, "left_wrist"), _point(joints, "left_elbow"))
    assert conf[J("left_knee")] == 0  # visibility NaN counts as unseen
    # one hip missing: the body centre comes from the other hip, at half confidence
    np.testing.assert_allclose(_point(joints, "spine_base")[0], -world[LM("left_hip")][0], atol=0.02)
    assert 0 < conf[J("spine_base")] < 0.9
    # no ears nor eyes: the head falls back to the nose
    assert _point(joints, "head")[1] > _point(joints, "neck")[1]
    # hands without a wrist still sit near the forearm end
    assert np.linalg.norm(_point(joints, "left_hand") - _point(joints, "left_elbow")) < 0.4


def test_all_missing_maps_to_zeros_and_batches_keep_their_shape():
    world = np.stack([standing_world(), np.full((33, 3), np.nan)])[None].repeat(4, axis=0)  # (T, M, 33, 3)
    vis = np.broadcast_to(VIS, world.shape[:-1])
    joints, conf = mediapipe_to_ntu(world, vis)
    assert joints.shape == (4, 2, 25, 3) and conf.shape == (4, 2, 25)
    assert joints.dtype == np.float32 and conf.dtype == np.float32
    assert not joints[:, 1].any() and not conf[:, 1].any()
    np.testing.assert_allclose(joints[2, 0], mediapipe_to_ntu(standing_world(), VIS)[0])


def test_image_mapping_keeps_names_and_puts_head_above_hips():
    image = project(standing_world(), (0.3, -0.1, 3.0))
    joints, conf = mediapipe_image_to_ntu(image, VIS)
    assert joints.shape == (25, 2)
    # not mirrored: facing the camera, the person's right shoulder is on the image left
    assert _point(joints, "right_shoulder")[0] < _point(joints, "left_shoulder")[0]
    assert _point(joints, "head")[1] < _point(joints, "neck")[1] < _point(joints, "spine_base")[1]  # image y down
    np.testing.assert_allclose(_point(joints, "left_elbow"), image[LM("left_elbow")])
    lo, hi = image.min(axis=0) - 20, image.max(axis=0) + 20
    assert np.all((joints >= lo) & (joints <= hi))


def test_camera_translation_recovers_the_position_in_kinect_axes():
    world = rotate_y(standing_world(), 30)
    for t in [(0.5, -0.2, 2.5), (-1.0, 0.3, 4.0)]:
        image = project(world, t, hfov_deg=70)
        placed = camera_translation(world, image, VIS, (640, 480), hfov_deg=70)
        np.testing.assert_allclose(placed, np.array(t) * [-1, -1, 1], atol=1e-6)
    # barely visible people are still placed, from their most visible landmarks
    vis = np.full(33, 0.1)
    placed = camera_translation(world, project(world, (0, 0, 3)), vis, (640, 480), hfov_deg=60)
    np.testing.assert_allclose(placed, [0, 0, 3], atol=1e-6)
    assert camera_translation(np.full((33, 3), np.nan), np.zeros((33, 2)), VIS, (640, 480)) is None


@pytest.mark.parametrize("turn", [0, 30, 90])
def test_calibrated_joints_sit_where_kinect_v2_has_them(turn):
    """Kinect v2 facts measured by tools/domain_gap/stats.py, in torso units from the hip midpoint:
    spine_shoulder just above the shoulder line (1.04), spine_base on the hip line, the head centre
    about 1.46 up and not in front of the face, hips 0.27 apart (BlazePose's hip landmarks: 0.43)."""
    world = rotate_y(standing_world(), turn)
    joints, _ = mediapipe_to_ntu(world, VIS)
    hip_mid = (_point(joints, "left_hip") + _point(joints, "right_hip")) / 2
    sh_mid = (_point(joints, "left_shoulder") + _point(joints, "right_shoulder")) / 2
    torso = np.linalg.norm(sh_mid - hip_mid)
    up = (sh_mid - hip_mid) / torso
    height = {n: float((_point(joints, n) - hip_mid) @ up / torso) for n in
              ("spine_base", "spine_mid", "spine_shoulder", "neck", "head")}
    assert -0.05 < height["spine_base"] < 0.05
    assert 0.5 < height["spine_mid"] < 0.7
    assert 1.0 < height["spine_shoulder"] < 1.1 < height["neck"] < height["head"]
    assert 1.3 < height["head"] < 1.6
    np.testing.assert_allclose(hip_mid, (world[LM("left_hip")] + world[LM("right_hip")]) / 2 * [-1, -1, 1], atol=1e-6)
    raw = np.linalg.norm(world[LM("left_hip")] - world[LM("right_hip")])
    width = np.linalg.norm(_point(joints, "left_hip") - _point(joints, "right_hip"))
    assert width == pytest.approx(KINECT_V2.hip_width_ratio * raw, rel=1e-5)
    assert 0.2 < width / torso < 0.32
