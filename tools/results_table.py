"""Markdown table of finished training runs, read from their output folders (config.yaml, log.csv,
metrics.json), for the README's results section.

    python tools/results_table.py runs/exp/utd_ctrgcn_stdcl runs/exp/utd_ctrgcn_plain ...
"""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import yaml

COLUMNS = ("dataset", "split", "backbone", "STD-CL", "stream", "epochs", "top-1 best (epoch)",
           "top-1 last", "top-5 best", "n", "train time")


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min"


def row(run: Path) -> list[str]:
    """One table row for a run folder."""
    config = yaml.safe_load((run / "config.yaml").read_text())
    history = list(csv.DictReader((run / "log.csv").open()))
    metrics = json.loads((run / "metrics.json").read_text())
    evaluated = [r for r in history if r["val_top1"]]
    seconds = sum(float(r["seconds"]) for r in history)
    return [
        metrics.get("dataset") or Path(config["data"]["path"]).name,  # older runs lack the field
        metrics["split"], config["model"]["name"], "on" if config["stdcl"]["enabled"] else "off",
        config["data"]["stream"], str(len(history)),
        f"{metrics['top1']:.1%} ({metrics['epoch']})", f"{float(evaluated[-1]['val_top1']):.1%}",
        f"{metrics['top5']:.1%}", str(metrics["n"]), _minutes(seconds),
    ]


def main(runs: list[str]) -> None:
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for run in runs:
        print("| " + " | ".join(row(Path(run))) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
