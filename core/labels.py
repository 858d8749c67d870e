"""The label the app shows when it recognises nothing: no class of the user's may be called so."""
from __future__ import annotations

NO_ACTION = "no action"


def is_reserved_label(name: str) -> bool:
    """True for "no action" in any case or spacing (it would be confused with nothing recognised)."""
    return " ".join(name.split()).casefold() == NO_ACTION
