"""Joint layouts: converters keep anatomy (bones to bones, left stays left, head above hips)."""
import numpy as np
import pytest

from pose.layouts import (LAYOUTS, NTU25, UCLA20, UTD20, adjacency, convert, convert_ctvm,
                          get_layout, hop_distance, spatial_partition)


def _kinect1_pose(layout):
    """A standing person facing the camera in Kinect camera space (right side at larger x)."""
    spots = {
        "head": (0, 0.65, 3), "shoulder_center": (0, 0.45, 3), "spine": (0, 0.15, 3),
        "hip_center": (0, 0.0, 3),
    }
    for side, sx in (("left", -1), ("right", 1)):
        spots.update({
            f"{side}_shoulder": (0.18 * sx, 0.42, 3), f"{side}_elbow": (0.25 * sx, 0.15, 3),
            f"{side}_wrist": (0.28 * sx, -0.1, 3), f"{side}_hand": (0.29 * sx, -0.18, 3),
            f"{side}_hip": (0.1 * sx, -0.05, 3), f"{side}_knee": (0.11 * sx, -0.5, 3),
            f"{side}_ankle": (0.12 * sx, -0.9, 3), f"{side}_foot": (0.12 * sx, -0.95, 2.9),
        })
    return np.array([spots[n] for n in layout.joints], dtype=np.float32).T  # (3, V)


@pytest.mark.parametrize("layout", [UTD20, UCLA20])
def test_kinect1_to_ntu_keeps_named_joints_and_sides(layout):
    pose = _kinect1_pose(layout)
    ntu = convert(pose, layout, NTU25)
    assert ntu.shape == (3, 25)
    for name in ("head", "left_elbow", "right_wrist", "left_ankle", "right_hip"):
        np.testing.assert_allclose(ntu[:, NTU25.index(name)], pose[:, layout.index(name)])
    np.testing.assert_allclose(ntu[:, NTU25.index("spine_base")], pose[:, layout.index("hip_center")])
    np.testing.assert_allclose(ntu[:, NTU25.index("spine_shoulder")], pose[:, layout.index("shoulder_center")])
    x = lambda n: ntu[0, NTU25.index(n)]
    assert x("right_shoulder") > x("left_shoulder") and x("right_hand_tip") > x("left_hand_tip")
    assert ntu[1, NTU25.index("head")] > ntu[1, NTU25.index("neck")] > ntu[1, NTU25.index("spine_shoulder")]
    assert ntu[1, NTU25.index("head")] > ntu[1, NTU25.index("spine_base")]
    # synthesised hand tips continue the forearm, beyond the hand
    for side in ("left", "right"):
        hand, wrist, tip = (ntu[:, NTU25.index(f"{side}_{j}")] for j in ("hand", "wrist", "hand_tip"))
        assert np.linalg.norm(tip - wrist) > np.linalg.norm(hand - wrist)


def test_bones_map_to_bones():
    """Every Kinect v1 bone is a bone (or a two-bone path through a synthesised joint) in NTU."""
    hops = hop_distance("ntu25")
    names = {"hip_center": "spine_base", "spine": "spine_mid", "shoulder_center": "spine_shoulder"}
    for layout in (UTD20, UCLA20):
        for c, p in layout.bones:
            a, b = (NTU25.index(names.get(layout.joints[j], layout.joints[j])) for j in (c, p))
            assert hops[a, b] <= 2, (layout.joints[c], layout.joints[p])
            if "head" not in (layout.joints[c], layout.joints[p]):
                assert hops[a, b] == 1


def test_kinect1_orders_convert_by_permutation_both_ways():
    x = np.random.default_rng(0).normal(size=(3, 7, 20, 2)).astype(np.float32)
    y = convert_ctvm(x, "utd20", "ucla20")
    np.testing.assert_array_equal(y[:, :, UCLA20.index("head")], x[:, :, UTD20.index("head")])
    np.testing.assert_array_equal(convert_ctvm(y, "ucla20", "utd20"), x)
    np.testing.assert_array_equal(convert_ctvm(convert_ctvm(x, "utd20", "ntu25"), "ntu25", "utd20"), x)


def test_flip_permutation_swaps_sides():
    for layout in LAYOUTS.values():
        perm = layout.flip_permutation
        assert sorted(perm) == list(range(layout.num_joints))
        for i, j in enumerate(perm):
            a, b = layout.joints[i], layout.joints[j]
            assert a.replace("left_", "right_") == b or a.replace("right_", "left_") == b


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_graphs_are_consistent(name):
    layout = get_layout(name)
    a = adjacency(name)
    assert (a == a.T).all() and a.sum() == 2 * (layout.num_joints - 1)  # a tree
    assert np.isfinite(hop_distance(name)).all()  # connected
    parts = spatial_partition(name)
    assert parts.shape == (3, layout.num_joints, layout.num_joints)
    np.testing.assert_array_equal(parts[0], np.eye(layout.num_joints))
    np.testing.assert_array_equal((parts[1] > 0), (parts[2] > 0).T)
    np.testing.assert_array_equal((parts[1] + parts[2]) > 0, a > 0)


def test_wrong_joint_count_and_unknown_layout_are_refused():
    with pytest.raises(ValueError, match="expected 20 joints"):
        convert(np.zeros((3, 25)), "utd20", "ntu25")
    with pytest.raises(ValueError, match="unknown joint layout"):
        get_layout("coco17")


def test_subtree_lists_parents_before_children():
    for lay in (NTU25, UTD20, UCLA20):
        everything = lay.subtree(lay.root)
        assert sorted(everything) == list(range(lay.num_joints))
        assert all(everything.index(lay.parents[j]) < everything.index(j) for j in everything[1:])
    arm = {NTU25.joints[j] for j in NTU25.subtree(NTU25.index("left_elbow"))}
    assert arm == {"left_elbow", "left_wrist", "left_hand", "left_hand_tip", "left_thumb"}
