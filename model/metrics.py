"""Classification metrics shared by training and evaluation: top-k, per-class accuracy, confusion
matrix, and the confusion-matrix picture (matplotlib, Agg backend, written atomically)."""
from __future__ import annotations

from pathlib import Path
from typing import Collection, Sequence

import numpy as np

from core.atomic import atomic_path
from core.labels import named_action


def classification_report(scores: np.ndarray, labels: np.ndarray, class_names: Sequence[str],
                          background: Collection[str] = ()) -> dict:
    """Top-1, top-5, n, per-class accuracy and confusion matrix for ``scores`` (N, classes).

    Per-class accuracy is None for a class with no samples. The confusion matrix is indexed
    ``[true][predicted]``. With ``background`` classes, ``top1_named`` is the accuracy of what the
    app would show (:func:`core.labels.named_action`): a background sample is right when no action
    is named, any other when its own class is, so confusions among background classes do not count.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    n, num_classes = len(labels), len(class_names)
    if n == 0:
        return {"top1": None, "top5": None, "n": 0, "per_class": {c: None for c in class_names},
                "confusion": np.zeros((num_classes, num_classes), dtype=int).tolist(),
                "class_names": list(class_names)}
    k = min(5, scores.shape[1])
    topk = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    pred = topk[:, 0]
    confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(confusion, (labels, pred), 1)
    totals = confusion.sum(axis=1)
    per_class = {
        name: (float(confusion[i, i] / totals[i]) if totals[i] else None)
        for i, name in enumerate(class_names)
    }
    report = {
        "top1": float((pred == labels).mean()),
        "top5": float((topk == labels[:, None]).any(axis=1).mean()),
        "n": int(n),
        "per_class": per_class,
        "confusion": confusion.tolist(),
        "class_names": list(class_names),
    }
    if background:
        report["top1_named"] = named_accuracy(scores, labels, class_names, background)
    return report


def named_accuracy(scores: np.ndarray, labels: np.ndarray, class_names: Sequence[str],
                   background: Collection[str]) -> float:
    """Share of samples on which the named action (None: "no action") is right; see
    :func:`classification_report`."""
    is_background = np.array([name in background for name in class_names], dtype=bool)
    right = [named_action(row, class_names, background) == (None if is_background[y] else y)
             for row, y in zip(scores, labels)]
    return float(np.mean(right))


def save_confusion_png(path: str | Path, confusion: Sequence[Sequence[int]],
                       class_names: Sequence[str], title: str = "") -> None:
    """Draw a row-normalised confusion matrix (true classes down, predictions across) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(confusion, dtype=np.float64)
    rows = cm.sum(axis=1, keepdims=True)
    norm = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    n = len(class_names)
    size = max(5.0, 0.32 * n + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1.0, size))
    image = ax.imshow(norm, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="fraction of true class")
    labels = [name if len(name) <= 28 else name[:26] + "…" for name in class_names]
    font = 8 if n <= 30 else 5
    ax.set_xticks(range(n), labels, rotation=90, fontsize=font)
    ax.set_yticks(range(n), labels, fontsize=font)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if n <= 30:
        for i in range(n):
            for j in range(n):
                if cm[i, j]:
                    ax.text(j, i, int(cm[i, j]), ha="center", va="center", fontsize=font - 1,
                            color="white" if norm[i, j] > 0.5 else "black")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
