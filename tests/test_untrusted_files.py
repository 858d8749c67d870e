"""Files that could carry code never run it. Every payload here would create a marker file if it
were unpickled (or YAML-constructed); each test checks the refusal message and that the marker does
not exist. Covers checkpoints on every command and in the window, training state, the dataset
cache, numpy archives, clip sequences, YAML recipes, and the 2s-AGCN label pickles that are read
only with ``--trust-pickle`` (and even then only as plain data). Also an audit of the source: every
load call in the program uses its safe form."""
from __future__ import annotations

import ast
import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from app_fakes import make_checkpoint
from skeleton_files import write_ucla

import main
from core.errors import InputError
from model.data import cache
from model.data.classes import NTU60_CLASSES
from model.data.loader import load_dataset
from model.data.pickles import load_pickle, trusting_pickles
from model.data.sets import DataWarning

ROOT = Path(__file__).resolve().parents[1]


class _Payload:
    """Unpickling this calls open(marker, "w"): the marker file appearing means code ran."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "payload_ran"
    yield path
    assert not path.exists(), "a payload hidden in a file was executed"


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "DEFAULT_DIR", tmp_path / "cache")


def _evil_checkpoint(path: Path, marker: Path, good: Path) -> Path:
    """A real checkpoint with a payload added to its meta (torch.save pickles it)."""
    payload = torch.load(good, weights_only=True)
    payload["meta"]["note"] = _Payload(marker)
    torch.save(payload, path)
    return path


def _ucla_folder(folder: Path, n: int = 4) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        write_ucla(folder / f"a01_s{i + 1:02d}_e00_v01.json", rng.normal(size=(12, 20, 3)), 1)
    return folder


def _last_error(capsys) -> str:
    return capsys.readouterr().err.strip().splitlines()[-1]


# --- checkpoints -------------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("command", ["video", "eval", "train_base", "export", "plain_pickle"])
def test_checkpoint_with_a_payload_is_refused_on_every_command(tmp_path, capsys, marker, command):
    good = make_checkpoint(tmp_path / "good.pt")
    evil = _evil_checkpoint(tmp_path / "evil.pt", marker, good)
    data = _ucla_folder(tmp_path / "ucla")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"model: {{name: hcn}}\ndata: {{path: {data}, window: 16, num_person: 1, min_crop: 8, "
                      f"val: null}}\nstdcl: {{enabled: false}}\ntrain: {{batch_size: 2, progress: false, "
                      f"out_dir: {tmp_path / 'run'}}}\n")
    if command == "plain_pickle":  # an old-style torch.save / plain pickle file
        with open(evil, "wb") as f:
            pickle.dump({"state_dict": _Payload(marker)}, f)
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 25, (64, 48))
    for _ in range(3):
        writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.release()
    args = {
        "video": ["--video", str(video), "--model", str(evil)],
        "eval": ["--eval", "--checkpoint", str(evil), "--data", str(data)],
        "train_base": ["--train", "--config", str(recipe), "--base", str(evil)],
        "export": ["--export", str(evil), "--out", str(tmp_path / "m.onnx")],
        "plain_pickle": ["--video", str(video), "--model", str(evil)],
    }[command]
    assert main.main(args) == 2
    assert f"checkpoint {evil} contains pickled Python objects; refusing to load it" in _last_error(capsys)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_window_refuses_a_checkpoint_with_a_payload(qtbot, tmp_path, marker):
    from app.gui.main_window import MainWindow, WindowOptions

    good = make_checkpoint(tmp_path / "good.pt")
    evil = _evil_checkpoint(tmp_path / "evil.pt", marker, good)
    window = MainWindow(WindowOptions(source=str(tmp_path / "no_video.mp4"), model=good, device="cpu",
                                      output_dir=tmp_path / "out"))
    qtbot.addWidget(window)
    window.show()
    window.start_up()
    try:
        assert not window.load_model(str(evil))
        assert "contains pickled Python objects" in window.message.text()
        assert window.recognizer.path == good
    finally:
        window.close()


def test_training_state_with_a_payload_is_not_resumed(tmp_path, capsys, marker):
    data = _ucla_folder(tmp_path / "ucla")
    run = tmp_path / "run"
    run.mkdir()
    torch.save({"epoch": 1, "config": _Payload(marker)}, run / "state.pt")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"model: {{name: hcn}}\ndata: {{path: {data}, window: 16, num_person: 1, min_crop: 8, "
                      f"val: null}}\nstdcl: {{enabled: false}}\ntrain: {{batch_size: 2, progress: false, "
                      f"out_dir: {run}}}\n")
    assert main.main(["--train", "--config", str(recipe)]) == 2
    err = _last_error(capsys)
    assert f"cannot resume from {run / 'state.pt'} (it contains pickled Python objects, refused)" in err
    torch.save({"weight": torch.zeros(2)}, run / "state.pt")  # some other torch file
    assert main.main(["--train", "--config", str(recipe)]) == 2
    assert "state.pt: not a training state file; delete it or set train.resume=false" in _last_error(capsys)


# --- numpy files: caches, archives, clip sequences ----------------------------------------------------

def test_dataset_cache_with_pickled_objects_is_ignored_and_rebuilt(tmp_path, marker):
    folder = _ucla_folder(tmp_path / "ucla")
    where = cache.cache_path(folder, "ucla", tmp_path / "cache")
    where.parent.mkdir(parents=True)
    np.savez(where, key=np.array([_Payload(marker)], dtype=object))
    with pytest.warns(DataWarning, match="unreadable dataset cache"):
        ds = load_dataset(folder, cache_dir=tmp_path / "cache", progress=False)
    assert len(ds) == 4
    with np.load(where, allow_pickle=False) as z:  # rebuilt without objects
        assert z["data"].dtype == np.float32


@pytest.mark.parametrize("member", ["x_train", "y_train"])
def test_ntu_archive_with_pickled_objects_is_refused(tmp_path, marker, member):
    arrays = {"x_train": np.zeros((1, 300, 150), np.float32), "y_train": np.eye(60)[:1]}
    arrays[member] = np.array([_Payload(marker)], dtype=object)
    np.savez(tmp_path / "NTU60_CS.npz", **arrays)
    with pytest.raises(InputError, match="NTU60_CS.npz: .*(Python objects|allow_pickle=False)"):
        load_dataset(tmp_path / "NTU60_CS.npz", progress=False)


def test_clip_sequence_with_pickled_objects_is_refused(tmp_path, marker):
    from model.data.clips import read_sequence

    np.savez(tmp_path / "seq.npz", skeleton=np.array([_Payload(marker)], dtype=object))
    with pytest.raises(InputError, match="seq.npz: not a readable .npz file"):
        read_sequence(tmp_path / "seq.npz")


def test_yaml_recipe_cannot_construct_python_objects(tmp_path, capsys, marker):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"train: !!python/object/apply:builtins.open ['{marker}', 'w']\n")
    assert main.main(["--train", "--config", str(recipe)]) == 2
    assert "not valid YAML" in _last_error(capsys)


# --- 2s-AGCN / MS-G3D folders: label pickles only with --trust-pickle ---------------------------------

NAMES = ["S001C001P001R001A001.skeleton", "S002C002P003R001A005.skeleton", "S001C003P008R002A058.skeleton"]


def _agcn_folder(folder: Path, labels_object=None, data: np.ndarray | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if data is None:
        data = np.zeros((3, 3, 300, 25, 2), np.float32)
        for i, length in enumerate((40, 25, 60)):
            data[i, :, :length] = np.random.default_rng(i).normal(size=(3, length, 25, 2))
        data[0, ..., 1] = 0  # one person only
    np.save(folder / "train_data_joint.npy", data)
    np.save(folder / "val_data_joint.npy", data[:1])
    with open(folder / "train_label.pkl", "wb") as f:
        pickle.dump(labels_object if labels_object is not None else (NAMES, [0, 4, 57]), f)
    with open(folder / "val_label.pkl", "wb") as f:
        pickle.dump((NAMES[:1], [0]), f, protocol=2)
    return folder


def test_agcn_labels_are_not_read_without_trust_pickle(tmp_path, capsys, marker):
    folder = _agcn_folder(tmp_path / "xsub", labels_object=(NAMES, _Payload(marker)))
    ckpt = make_checkpoint(tmp_path / "m.pt", num_person=2, class_names=list(NTU60_CLASSES))
    assert main.main(["--eval", "--checkpoint", str(ckpt), "--data", str(folder)]) == 2
    err = _last_error(capsys)
    assert "train_label.pkl is a Python pickle, which can run code when it is read; pass --trust-pickle" \
        in err


def test_trust_pickle_still_reads_only_plain_data(tmp_path, capsys, marker):
    folder = _agcn_folder(tmp_path / "xsub", labels_object=(NAMES, _Payload(marker)))
    ckpt = make_checkpoint(tmp_path / "m.pt", num_person=2, class_names=list(NTU60_CLASSES))
    assert main.main(["--eval", "--trust-pickle", "--checkpoint", str(ckpt), "--data", str(folder)]) == 2
    err = _last_error(capsys)
    assert "train_label.pkl: refusing to unpickle io.open: only plain data and numpy arrays" in err
    with pytest.raises(InputError, match="--trust-pickle"):  # the trust ended with the command
        load_pickle(folder / "val_label.pkl")


def test_trusted_agcn_folder_is_read(tmp_path, capsys):
    folder = _agcn_folder(tmp_path / "xsub")
    with trusting_pickles():
        ds = load_dataset(folder, progress=False)
    assert ds.dataset == "ntu60_agcn" and ds.layout == "ntu25" and ds.num_classes == 60
    assert ds.names == [n.split(".")[0] for n in NAMES + NAMES[:1]]
    assert ds.labels.tolist() == [0, 4, 57, 0] and ds.meta["part"].tolist() == [0, 0, 0, 1]
    assert ds.meta["subject"].tolist() == [1, 3, 8, 1] and ds.meta["camera"].tolist() == [1, 2, 3, 1]
    assert ds.lengths.tolist() == [40, 25, 60, 40]  # trailing empty frames dropped
    assert not ds.samples[0][..., 1].any() and ds.samples[2].shape == (3, 60, 25, 2)
    ckpt = make_checkpoint(tmp_path / "m.pt", num_person=2, class_names=list(NTU60_CLASSES))
    assert main.main(["--eval", "--trust-pickle", "--checkpoint", str(ckpt), "--data", str(folder)]) == 0
    # --eval scores the folder's test part (val_*), as for a preprocessed NTU archive
    assert capsys.readouterr().out.strip().splitlines()[-1].endswith("n=1")


def test_agcn_data_array_with_objects_is_refused_even_when_trusted(tmp_path, marker):
    folder = _agcn_folder(tmp_path / "xsub", data=np.array([_Payload(marker)] * 3, dtype=object))
    with trusting_pickles(), pytest.raises(InputError, match="train_data_joint.npy: not a readable numeric"):
        load_dataset(folder, progress=False)


@pytest.mark.parametrize("content, message", [
    (b"", "not a readable pickle"),
    (b"\x80\x04not really", "not a readable pickle"),
    (pickle.dumps({"names": NAMES}), "expected (sample names, labels)"),
    (pickle.dumps((NAMES, [0, 1])), "3 sample names but 2 labels"),
    (pickle.dumps((NAMES, [0, 1, 200])), "labels span 0..200"),
])
def test_damaged_agcn_label_files_are_input_errors(tmp_path, content, message):
    folder = _agcn_folder(tmp_path / "xsub")
    (folder / "train_label.pkl").write_bytes(content)
    with trusting_pickles(), pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_dataset(folder, progress=False)


# --- audit of the source ------------------------------------------------------------------------------

SOURCES = sorted(p for d in ("core", "pose", "model", "app", "tools") for p in (ROOT / d).rglob("*.py")) \
    + [ROOT / "main.py"]


def _calls(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            keywords = {k.arg: ast.unparse(k.value) for k in node.keywords if k.arg}
            yield ast.unparse(node.func), keywords, node.lineno


def test_every_load_in_the_program_is_the_safe_kind():
    problems = []
    for path in SOURCES:
        rel = path.relative_to(ROOT).as_posix()
        for func, kwargs, line in _calls(path):
            where = f"{rel}:{line} {func}"
            if func == "torch.load" and kwargs.get("weights_only") != "True":
                problems.append(f"{where} without weights_only=True")
            if func in ("np.load", "numpy.load") and kwargs.get("allow_pickle") != "False":
                problems.append(f"{where} without allow_pickle=False")
            if func in ("yaml.load", "yaml.unsafe_load", "yaml.full_load", "yaml.load_all"):
                problems.append(f"{where}: use yaml.safe_load")
            if (func.startswith("pickle.") or func in ("Unpickler",)) and rel != "model/data/pickles.py":
                problems.append(f"{where}: pickles are read only by model/data/pickles.py")
            if func == "torch.jit.load" and rel != "model/export.py":  # export checks its own output
                problems.append(f"{where}: TorchScript files can hold code")
    assert not problems, "\n".join(problems)
