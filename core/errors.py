"""The one exception type for problems with the user's input (files, devices, configuration).

Raised anywhere in the project with a one-line message; `main.py` prints it as ``error: ...`` and
exits with status 2, and the GUI shows it in a message box. Anything else is a bug.
"""


class InputError(Exception):
    """A problem with a file, device, option or configuration the user gave us."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread (``main.py``) so that clean-up runs as for Ctrl+C:
    temporary files are removed and nothing half-written is left."""


class WriteError(InputError, OSError):
    """A file could not be written (no room on the disk, a file-size limit, a folder that cannot
    be made). An InputError for the user, and still an OSError for code that can do without the
    file (the dataset cache warns and goes on)."""
