"""What a training run reports: the per-epoch CSV, TensorBoard, the progress bar and log lines."""
from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from torch.utils.data import DataLoader

from core.atomic import write_text

CSV_FIELDS = ("epoch", "lr", "samples", "loss", "cross_entropy", "stdcl", "train_top1", "val_loss",
              "val_top1", "val_top5", "seconds")


def write_csv(path: Path, history: list[dict]) -> None:
    """Rewrite the per-epoch CSV log atomically from the whole history."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for row in history:
        writer.writerow({k: ("" if row.get(k) is None else row[k]) for k in CSV_FIELDS})
    write_text(path, buf.getvalue())


def tensorboard(out_dir: Path):
    """A TensorBoard writer for ``out_dir/tensorboard``."""
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(str(out_dir / "tensorboard"))


def progress_bar(loader: DataLoader, steps: int, epoch: int, epochs: int, enabled: bool):
    """The epoch's tqdm bar over ``loader`` (the loader itself when disabled)."""
    if not enabled:
        return loader
    from tqdm import tqdm

    return tqdm(loader, total=steps, desc=f"epoch {epoch + 1}/{epochs}", unit="step", leave=False,
                dynamic_ncols=True, mininterval=0.5 if sys.stderr.isatty() else 30.0)


def hms(seconds: float) -> str:
    """``h:mm:ss``."""
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def epoch_line(row: dict, epochs: int) -> str:
    """One line summarising an epoch's history row."""
    text = (f"epoch {row['epoch']}/{epochs} lr {row['lr']:.4g} loss {row['loss']:.4f} "
            f"(ce {row['cross_entropy']:.4f}, stdcl {row['stdcl']:.4f}) train {row['train_top1']:.1%}")
    if row.get("val_top1") is not None:
        text += f" | val top1 {row['val_top1']:.1%} top5 {row['val_top5']:.1%}"
    return text + f" | {row['seconds']:.0f} s"
