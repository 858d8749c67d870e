"""The one exception type for problems with the user's input (files, devices, configuration).

Raised anywhere in the project with a one-line message; `main.py` prints it as ``error: ...`` and
exits with status 2, and the GUI shows it in a message box. Anything else is a bug.
"""


class InputError(Exception):
    """A problem with a file, device, option or configuration the user gave us."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread (``main.py``) so that clean-up runs as for Ctrl+C:
    temporary files are removed and nothing half-written is left."""
