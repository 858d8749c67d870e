"""tools/seed_table.py: arms over seeds from run folders, differences paired by seed."""
import importlib.util
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("seed_table", ROOT / "tools" / "seed_table.py")
seed_table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(seed_table)

HEADER = "epoch,lr,samples,loss,cross_entropy,stdcl,train_top1,val_loss,val_top1,val_top5,seconds\n"


def _run(folder: Path, seed: int, val: list[float], epochs: int | None = None) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(yaml.safe_dump({"train": {"seed": seed, "epochs": epochs or len(val)}}))
    rows = "".join(f"{i + 1},0.1,10,1,1,0,0.9,1,{v},1,60\n" for i, v in enumerate(val))
    (folder / "log.csv").write_text(HEADER + rows)
    return folder


def test_last_and_best_epochs_and_paired_differences(tmp_path, capsys):
    for seed, (ce, cl) in {1: (0.80, 0.90), 2: (0.70, 0.75), 3: (0.60, 0.50)}.items():
        _run(tmp_path / f"ce_s{seed}", seed, [0.1, ce + 0.05, ce])
        _run(tmp_path / f"cl_s{seed}", seed, [0.1, cl])
    seed_table.main([f"CE={tmp_path}/ce_s*", f"STD-CL={tmp_path}/cl_s*"])
    lines = capsys.readouterr().out.splitlines()
    ce_row, cl_row = lines[2].split(" | "), lines[3].split(" | ")
    assert ce_row[1:4] == ["1,2,3", "3", "70.0 +- 10.0%"] and ce_row[4] == "75.0 +- 10.0%"
    assert cl_row[3] == "71.7 +- 20.2%"
    assert cl_row[6] == "1.7 +- 10.4 points"  # +10, +5, -10 over the same seeds
    assert ce_row[6] == "-" and ce_row[7].startswith("3 ")  # 3 epochs of 60 s


def test_an_unfinished_run_is_refused(tmp_path):
    _run(tmp_path / "a_s1", 1, [0.5, 0.6], epochs=10)
    with pytest.raises(SystemExit, match="not finished"):
        seed_table.main([f"A={tmp_path}/a_s*"])
