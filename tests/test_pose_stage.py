"""The pose stage: fixed slots, absent people and camera placement on replayed landmarks; on the real
NTU clip (when ../shared is present): two tracked people, stable identities, skeletons on them."""
import cv2
import numpy as np
import pytest

from app_fakes import make_checkpoint
from blazepose_synth import project, standing_world
from core.errors import InputError
from pose.drawing import draw_skeleton
from pose.extract import extract_skeleton
from pose.layouts import NTU25
from pose.mapping import KINECT_AXES
from pose.mediapipe_estimator import (MASK_LEVELS, MediaPipePoseEstimator, PersonLandmarks,
                                      _landmark_model_path, paint_out, same_person)
from pose.stage import PoseStage

J = NTU25.index
SIZE = (640, 480)


class _Replay:
    """Stands in for MediaPipe: returns the people scripted for each call."""

    def __init__(self, script):
        self.script, self.calls, self.closed = script, 0, False

    def estimate(self, frame):
        people = self.script(self.calls)
        self.calls += 1
        return people

    def close(self):
        self.closed = True


def _person(x: float, z: float = 3.0) -> PersonLandmarks:
    world = standing_world()
    return PersonLandmarks(project(world, (x, 0.1, z), SIZE), world, np.full(33, 0.9))


def _frame():
    return np.zeros((SIZE[1], SIZE[0], 3), np.uint8)


def test_slots_presence_and_camera_space_placement():
    script = lambda i: [] if 10 <= i < 15 else [_person(0.6), _person(-0.6)]  # noqa: E731
    stage = PoseStage(persons=2, estimator=_Replay(script), hfov_deg=60)
    poses = [stage.process(_frame(), i / 30) for i in range(20)]
    stage.close()
    assert stage.estimator.closed
    first = poses[0]
    assert first.joints3d.shape == (2, 25, 3) and first.joints2d.shape == (2, 25, 2)
    assert first.confidence.shape == (2, 25) and first.present.tolist() == [True, True]
    # slot 0 is the person on the image left (MediaPipe x = -0.6), i.e. Kinect x = +0.6
    base = first.joints3d[:, J("spine_base")]
    np.testing.assert_allclose(base[0, [0, 2]], [0.6, 3.0], atol=0.05)
    np.testing.assert_allclose(base[1, [0, 2]], [-0.6, 3.0], atol=0.05)
    assert (first.joints3d[:, J("head"), 1] > base[:, 1] + 0.5).all()
    assert first.joints2d[0, J("spine_base"), 0] < first.joints2d[1, J("spine_base"), 0]
    # nobody for five frames: zeros and not present; then the same people in the same slots
    for pose in poses[10:15]:
        assert not pose.present.any() and not pose.joints3d.any() and (pose.track_ids == -1).all()
    assert poses[15].track_ids.tolist() == first.track_ids.tolist() == [0, 1]
    np.testing.assert_allclose(poses[19].joints3d, first.joints3d, atol=1e-4)


def test_smoothing_restarts_for_a_new_person():
    script = lambda i: [_person(-0.5)] if i < 5 else [_person(0.5)]  # noqa: E731
    stage = PoseStage(persons=1, estimator=_Replay(script), max_missed_seconds=0.01)
    poses = [stage.process(_frame(), i / 30) for i in range(6)]
    assert poses[5].track_ids[0] != poses[4].track_ids[0]
    # no blending with the previous person: the new one is where it is, from its first frame
    np.testing.assert_allclose(poses[5].joints3d[0, J("spine_base"), 0], -0.5, atol=0.05)


# --- the real clip ------------------------------------------------------------------------------

# Hand-drawn boxes (x0, y0, x1, y1) in the 1920x1080 frames of ntu_sample.avi: slot 0 is the man in
# the grey T-shirt (image left at the start), slot 1 the man in the black jacket.
GROUND_TRUTH_BOXES = {
    0: [(655, 280, 900, 920), (910, 245, 1125, 875)],
    34: [(684, 280, 1068, 923), (898, 246, 1112, 873)],
    70: [(687, 297, 1037, 924), (839, 250, 1048, 880)],
}
STEP = 2  # every second frame: 36 frames keep the test short and still cover the hug
SCALE = 0.5  # frames are processed at 960x540


@pytest.fixture(scope="module")
def ntu_clip(videos_dir):
    capture = cv2.VideoCapture(str(videos_dir / "ntu_sample.avi"))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.resize(frame, None, fx=SCALE, fy=SCALE, interpolation=cv2.INTER_AREA))
    capture.release()
    hfov = 84.1  # NTU RGB+D's Kinect v2 colour camera
    with PoseStage(persons=2, hfov_deg=hfov) as stage:
        poses = {i: stage.process(frames[i], i / 30) for i in range(0, len(frames), STEP)}
    return frames, poses, hfov


def test_two_people_found_with_stable_identities(ntu_clip):
    frames, poses, _ = ntu_clip
    both = [p.present.all() for p in poses.values()]
    assert np.mean(both) >= 0.9
    assert {tuple(p.track_ids) for p in poses.values() if p.present.all()} == {(0, 1)}
    # no swap: slot 0's torso is the grey T-shirt, brighter than slot 1's black jacket, in every frame
    for i, pose in poses.items():
        if not pose.present.all():
            continue
        brightness = []
        for m in range(2):
            torso = pose.joints2d[m, [J("left_shoulder"), J("right_shoulder"), J("right_hip"), J("left_hip")]]
            mask = np.zeros(frames[i].shape[:2], np.uint8)
            cv2.fillPoly(mask, [np.round(torso).astype(np.int32)], 1)
            brightness.append(cv2.mean(frames[i], mask=mask)[0])
        assert brightness[0] > brightness[1] + 20, (i, brightness)


def _inside(points, box, margin):
    x0, y0, x1, y1 = np.array(box) * SCALE
    mx, my = margin * (x1 - x0), margin * (y1 - y0)
    x, y = points[:, 0], points[:, 1]
    return (x >= x0 - mx) & (x <= x1 + mx) & (y >= y0 - my) & (y <= y1 + my)


def test_skeletons_project_onto_their_person(ntu_clip):
    frames, poses, hfov = ntu_clip
    height, width = frames[0].shape[:2]
    f = (width / 2) / np.tan(np.radians(hfov) / 2)
    for i, boxes in GROUND_TRUTH_BOXES.items():
        pose = poses[i]
        for m, box in enumerate(boxes):
            sure = pose.confidence[m] >= 0.5
            assert sure.sum() >= 15
            assert _inside(pose.joints2d[m][sure], box, 0.05).all(), (i, m)
            # the 3-D camera-space skeleton, projected through the pinhole camera, lands there too
            cam = pose.joints3d[m] * KINECT_AXES
            projected = f * cam[:, :2] / cam[:, 2:] + [width / 2, height / 2]
            assert _inside(projected[sure], box, 0.1).mean() >= 0.9, (i, m)
            assert 2.0 < cam[J("spine_base"), 2] < 4.5  # NTU subjects stand 2-4.5 m from the Kinect


def test_drawing_marks_the_person(ntu_clip):
    frames, poses, _ = ntu_clip
    image = frames[0].copy()
    draw_skeleton(image, poses[0].joints2d[0], poses[0].confidence[0], label="0")
    changed = np.any(image != frames[0], axis=2)
    ys, xs = np.nonzero(changed)
    assert changed.sum() > 300
    assert np.mean(_inside(np.stack([xs, ys], 1), GROUND_TRUTH_BOXES[0][0], 0.1)) > 0.95


def test_extract_skeleton_writes_the_canonical_array(videos_dir, tmp_path):
    capture = cv2.VideoCapture(str(videos_dir / "ntu_sample.avi"))
    clip = tmp_path / "short.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (960, 540))
    for _ in range(12):
        writer.write(cv2.resize(capture.read()[1], (960, 540)))
    writer.release()
    capture.release()
    result = extract_skeleton(clip, persons=2, progress=False)
    skeleton, timestamps, visibility = result["skeleton"], result["timestamps"], result["visibility"]
    assert skeleton.shape == (3, 12, 25, 2) and skeleton.dtype == np.float32
    assert visibility.shape == (12, 25, 2) and 0 <= visibility.min() and visibility.max() <= 1
    np.testing.assert_allclose(timestamps, np.arange(12) / 30, atol=1e-3)
    assert (np.abs(skeleton).sum(axis=(0, 2)) > 0).all()  # both people in every frame
    assert (skeleton[1, :, J("head")] > skeleton[1, :, J("spine_base")]).all()  # y up
    assert (skeleton[0, :, J("spine_base"), 0] > skeleton[0, :, J("spine_base"), 1]).all()  # slot 0 at larger x


# --- the two-person search helpers --------------------------------------------------------------

def test_paint_out_hides_the_found_person_and_keeps_the_rest():
    rgb = np.random.default_rng(0).integers(0, 255, (SIZE[1], SIZE[0], 3), dtype=np.uint8)
    person = _person(-0.6)
    masked = paint_out(rgb, [person], MASK_LEVELS[0])
    changed = np.any(masked != rgb, axis=2)
    x0, y0, x1, y1 = person.box()
    torso = person.image_xy[[11, 12, 23, 24]].mean(axis=0).astype(int)
    assert changed[torso[1], torso[0]]
    assert not changed[:, int(x1) + 20:].any()  # nothing right of the person is touched
    assert changed.sum() > 0.1 * (x1 - x0) * (y1 - y0)
    wider = np.any(paint_out(rgb, [person], MASK_LEVELS[-1]) != rgb, axis=2)
    assert wider.sum() > changed.sum()


def test_same_person_tells_overlapping_people_apart():
    a = _person(-0.1)
    assert same_person(a, PersonLandmarks(a.image_xy + 3.0, a.world, a.visibility))
    assert not same_person(a, _person(0.25))  # side by side, boxes overlapping


def test_estimator_refuses_bad_settings():
    with pytest.raises(InputError, match="persons"):
        MediaPipePoseEstimator(persons=3)
    with pytest.raises(InputError, match="model_complexity"):
        MediaPipePoseEstimator(model_complexity=5)
    if not _landmark_model_path(2).exists():  # not in the wheel: never try to download it
        with pytest.raises(InputError, match="pose_landmark_heavy"):
            MediaPipePoseEstimator(model_complexity=2)


def test_benchmark_pose_part_reports_one_and_two_people(videos_dir, tmp_path, capsys):
    import json

    import main

    out = tmp_path / "bench.json"
    assert main.main(["--benchmark", "--part", "pose", "--source", str(videos_dir / "ntu_sample.avi"),
                      "--frames", "120", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["backbones"] == [] and [r["persons"] for r in report["pose"]] == [1, 2]
    assert all(r["fps"] > 0 and r["frames"] == 120 for r in report["pose"])
    assert report["pose"][1]["persons_found"] >= 0.9  # both NTU actors in the 640x480 crop
    assert report["analysis"] is None
    printed = capsys.readouterr().out
    assert "(1 person(s), 640x480)" in printed and "(2 person(s), 640x480)" in printed
    ratio = report["pose"][1]["fps"] / report["pose"][0]["fps"]
    assert f"two people at {ratio:.2f}x the one-person frame rate" in printed


def test_benchmark_analysis_part_times_video_against_pose_alone(videos_dir, tmp_path, capsys):
    import json

    from app_fakes import cut_clip

    import main

    clip = cut_clip(videos_dir / "ntu_sample.avi", tmp_path / "short.avi", 0, 20)
    model = make_checkpoint(tmp_path / "m.pt")
    out = tmp_path / "bench.json"
    assert main.main(["--benchmark", "--part", "analysis", "--source", str(clip), "--runs", "1",
                      "--model", str(model), "--json", str(out)]) == 0
    analysis = json.loads(out.read_text())["analysis"]
    runs = analysis["all_runs"]
    assert [len(runs["pose alone"]), len(runs["--video"])] == [1, 1]
    assert all(r["wall_s"] > 0 and r["cpu_s"] > 0 for r in runs["pose alone"] + runs["--video"])
    assert analysis["wall_ratio"] == pytest.approx(runs["--video"][0]["wall_s"] / runs["pose alone"][0]["wall_s"])
    printed = capsys.readouterr().out
    assert f"ratio {analysis['wall_ratio']:.3f}" in printed and "(load " in printed


def test_pose_alone_reference_counts_every_frame(videos_dir, tmp_path):
    from app_fakes import cut_clip

    from pose.benchmark import mediapipe_alone

    clip = cut_clip(videos_dir / "ntu_sample.avi", tmp_path / "short.avi", 0, 12)
    assert mediapipe_alone(clip) == 12


@pytest.mark.parametrize("part", ["pose", "analysis"])
def test_benchmark_pose_part_without_a_clip_is_refused(capsys, part):
    import main

    assert main.main(["--benchmark", "--part", part]) == 2
    assert f"--part {part} needs a clip" in capsys.readouterr().err


def _crop_frames(path, count, size=(640, 480)):
    from pose.benchmark import _crop_resize

    capture = cv2.VideoCapture(str(path))
    frames = []
    while len(frames) < count:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(_crop_resize(frame, size))
    capture.release()
    return frames


def test_two_person_mode_on_a_one_person_clip_rarely_runs_the_second_instance(videos_dir):
    frames = _crop_frames(videos_dir / "waving.avi", 240)  # he swings both arms: false second finds
    with MediaPipePoseEstimator(persons=2) as estimator:
        second = estimator._instances[1]
        calls = []
        process = second.process
        second.process = lambda image: calls.append(image.shape) or process(image)
        found = [len(estimator.estimate(frame)) for frame in frames]
    assert min(found) >= 1 and np.mean([n == 2 for n in found]) < 0.1
    assert len(calls) < 0.35 * len(frames)  # was 1.6 calls per frame (a search, often two, every frame)


def test_two_person_mode_keeps_both_ntu_actors_over_a_loop(videos_dir):
    frames = _crop_frames(videos_dir / "ntu_sample.avi", 72)
    with PoseStage(persons=2) as stage:
        poses = [stage.process(frames[i % len(frames)], i / 30) for i in range(2 * len(frames))]
    assert np.mean([p.present.all() for p in poses]) >= 0.95


def test_extraction_in_a_worker_process_equals_the_serial_one(videos_dir, tmp_path):
    from app_fakes import cut_clip

    clip = cut_clip(videos_dir / "ntu_sample.avi", tmp_path / "cut.avi", 0, 24, size=(640, 360))
    serial = extract_skeleton(clip, persons=2, progress=False, threaded=False)
    concurrent = extract_skeleton(clip, persons=2, progress=False)
    assert serial.keys() == concurrent.keys()
    for key in serial:
        assert np.array_equal(serial[key], concurrent[key]), key
