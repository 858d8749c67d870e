"""Reading the few dataset files from other toolkits that are Python pickles, and only on request.

A pickle can run any code while it is read, so this program never opens one unless the user says
they trust it: ``--trust-pickle`` on the command line (``main.py`` runs the command inside
:func:`trusting_pickles`). Even then the file goes through :class:`_PlainUnpickler`, which builds
nothing but plain data (lists, tuples, dicts, sets, strings, numbers, ``None``) and numpy arrays,
scalars and dtypes; a pickle naming any other class or function is refused without running it.

Which files: the ``{train,val}_label.pkl`` label files of the 2s-AGCN / MS-G3D NTU preprocessing
(:mod:`model.data.ntu_agcn`). Everything else the program reads is pickle-free: checkpoints and
training state go through ``torch.load(weights_only=True)``, ``.npz`` / ``.npy`` files through
numpy with ``allow_pickle=False`` (an ``.npz`` with object arrays is refused, flag or not).
"""
from __future__ import annotations

import contextlib
import os
import pickle
from pathlib import Path
from typing import Any, Iterator

from core.errors import InputError

_trusted = False

# (module, name) of the only globals a trusted pickle may name: numpy's array and scalar rebuilding
# (under numpy 1 and 2 module names), OrderedDict, and _codecs.encode (protocol 2's way to store bytes).
_NUMPY = (("multiarray", "_reconstruct"), ("multiarray", "scalar"), ("numeric", "_frombuffer"))
_ALLOWED_GLOBALS = frozenset(
    [(prefix + module, name) for prefix in ("numpy.core.", "numpy._core.") for module, name in _NUMPY]
    + [("numpy", "ndarray"), ("numpy", "dtype"), ("collections", "OrderedDict"), ("_codecs", "encode")])


@contextlib.contextmanager
def trusting_pickles() -> Iterator[None]:
    """Within this block pickled dataset files may be read: what ``--trust-pickle`` turns on."""
    global _trusted
    before, _trusted = _trusted, True
    try:
        yield
    finally:
        _trusted = before


class _Forbidden(pickle.UnpicklingError):
    """The pickle names a global outside the allowed list (the message is its dotted name)."""


class _PlainUnpickler(pickle.Unpickler):
    """An unpickler that resolves only numpy's array-rebuilding globals."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise _Forbidden(f"{module}.{name}")
        return super().find_class(module, name)


def load_pickle(path: str | os.PathLike) -> Any:
    """The plain data in the pickle file ``path``.

    InputError without ``--trust-pickle`` (the file is not opened), for a pickle that names any
    class or function besides numpy's arrays (nothing of it runs), and for a damaged file."""
    path = Path(path)
    if not _trusted:
        raise InputError(f"{path} is a Python pickle, which can run code when it is read; pass "
                         f"--trust-pickle if you trust where it came from")
    try:
        with open(path, "rb") as f:
            return _PlainUnpickler(f, encoding="latin1").load()
    except _Forbidden as err:
        raise InputError(f"{path}: refusing to unpickle {err}: only plain data and numpy arrays are "
                         f"read, even with --trust-pickle") from None
    except pickle.UnpicklingError as err:
        raise InputError(f"{path}: not a readable pickle ({err})") from None
    except (OSError, EOFError, ValueError, TypeError, AttributeError, ImportError, IndexError,
            KeyError, MemoryError) as err:
        raise InputError(f"{path}: not a readable pickle ({type(err).__name__}: {err})") from None
