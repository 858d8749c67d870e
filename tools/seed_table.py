"""Markdown table of training arms over seeds: mean +- standard deviation of validation top-1 at the
last epoch (the honest figure: no epoch picked on the validation set) and at the best epoch, the
last training accuracy, and each arm's difference to the first arm, paired by seed.

    python tools/seed_table.py "STD-CL=runs/seeds/utd_hcn_stdcl_s*" "CE=runs/seeds/utd_hcn_ce_s*" ...

Each argument is NAME=GLOB over run folders (config.yaml, log.csv, as ``--train`` writes them); a
folder's seed is read from its config. Standard deviations are sample ones (n - 1).
"""
from __future__ import annotations

import csv
import glob
import statistics
import sys
from pathlib import Path

import yaml


def read_run(run: Path) -> dict:
    """Seed, last / best validation top-1, last training accuracy, epochs and minutes of a run."""
    config = yaml.safe_load((run / "config.yaml").read_text())
    history = [r for r in csv.DictReader((run / "log.csv").open())]
    evaluated = [r for r in history if r["val_top1"]]
    if not evaluated or int(history[-1]["epoch"]) != config["train"]["epochs"]:
        raise SystemExit(f"{run}: not finished ({len(history)} of {config['train']['epochs']} epochs)")
    return {"seed": config["train"]["seed"], "last": float(evaluated[-1]["val_top1"]),
            "best": max(float(r["val_top1"]) for r in evaluated), "train": float(history[-1]["train_top1"]),
            "epochs": len(history), "minutes": sum(float(r["seconds"]) for r in history) / 60}


def _mean_std(values: list[float], scale: float = 100.0) -> str:
    if len(values) < 2:
        return f"{values[0] * scale:.1f}"
    return f"{statistics.mean(values) * scale:.1f} +- {statistics.stdev(values) * scale:.1f}"


def table(arms: list[tuple[str, list[dict]]]) -> str:
    """The markdown table; differences are to the first arm, over the seeds both have."""
    lines = ["| arm | seeds | epochs | top-1 last epoch | top-1 best epoch | train acc. last | "
             "last-epoch diff. to " + arms[0][0] + " (paired) | minutes per run |",
             "|---|---|---|---|---|---|---|---|"]
    reference = {r["seed"]: r["last"] for r in arms[0][1]}
    for name, runs in arms:
        diffs = [r["last"] - reference[r["seed"]] for r in runs if r["seed"] in reference]
        diff = "-" if name == arms[0][0] or not diffs else _mean_std(diffs) + " points"
        seeds = ",".join(str(r["seed"]) for r in runs)
        lines.append(f"| {name} | {seeds} | {runs[0]['epochs']} | {_mean_std([r['last'] for r in runs])}% | "
                     f"{_mean_std([r['best'] for r in runs])}% | {_mean_std([r['train'] for r in runs])}% | "
                     f"{diff} | {statistics.mean(r['minutes'] for r in runs):.0f} |")
    return "\n".join(lines)


def main(specs: list[str]) -> None:
    arms = []
    for spec in specs:
        name, _, pattern = spec.partition("=")
        folders = sorted(Path(p) for p in glob.glob(pattern) if (Path(p) / "log.csv").is_file())
        if not name or not folders:
            raise SystemExit(f"{spec!r}: expected NAME=GLOB matching run folders")
        arms.append((name, sorted((read_run(f) for f in folders), key=lambda r: r["seed"])))
    print(table(arms))


if __name__ == "__main__":
    main(sys.argv[1:])
