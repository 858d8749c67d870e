"""Where the shipped checkpoints are: assets/models/, ``default.pt`` first (GUI picker, --video)."""
from __future__ import annotations

from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parents[1] / "assets" / "models"
DEFAULT_MODEL = MODELS_DIR / "default.pt"


def shipped_models(folder: Path = MODELS_DIR) -> list[Path]:
    """Checkpoints in ``folder``: ``default.pt`` first, then the rest by name."""
    if not folder.is_dir():
        return []
    found = sorted(p for p in folder.glob("*.pt") if p.is_file())
    return sorted(found, key=lambda p: p.name != DEFAULT_MODEL.name)


def startup_model(folder: Path = MODELS_DIR) -> Path | None:
    """The model used when none is named: default.pt, else any shipped checkpoint, else None."""
    models = shipped_models(folder)
    return models[0] if models else None
