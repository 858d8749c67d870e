"""Read YAML that a user hands us without letting it take the machine: a size limit on the file,
only regular files (``/dev/zero`` or a FIFO would be read for ever), a nesting limit (a list nested
20,000 deep exhausts the recursion of any reader) and a limit on the data after alias expansion (a
"billion laughs" document of 700 bytes stands for gigabytes). Plain data only (``yaml.SafeLoader``).
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from core.errors import InputError

MAX_BYTES = 1 << 20  # a recipe is a few kilobytes
MAX_DEPTH = 50
MAX_NODES = 100_000  # values after expanding aliases (a recipe holds a few hundred)


class _Bounded(Exception):
    """The document exceeds a limit (the message says which)."""


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses deep nesting while composing and large alias expansions before
    constructing anything."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):  # noqa: ANN001 (PyYAML's signature)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Bounded(f"nests deeper than {MAX_DEPTH} levels")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_document(self, node):  # noqa: ANN001
        _check_expansion(node)
        return super().construct_document(node)


def _check_expansion(root: yaml.Node) -> None:
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = 1  # a node that refers back to itself (a recursive alias) adds nothing
        total = 1
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            children = []
        for child in children:
            total += size(child)
            if total > MAX_NODES:
                raise _Bounded(f"expands to more than {MAX_NODES} values (aliases repeated inside aliases?)")
        sizes[id(node)] = total
        return total

    size(root)


def parse_yaml(text: str, name: str) -> Any:
    """The plain data of YAML ``text``; InputError naming ``name`` when it exceeds the limits;
    ``yaml.YAMLError`` for text that is not valid YAML."""
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    except _Bounded as err:
        raise InputError(f"{name} {err}; refusing to read it") from None
    finally:
        loader.dispose()


def read_yaml_text(path: str | os.PathLike, what: str = "YAML file") -> str:
    """The text of a small regular file; InputError for a missing, special, oversized or binary file."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}") from None
    except OSError as err:
        raise InputError(f"cannot read {what} {path}: {err.strerror}") from None
    if not stat.S_ISREG(mode):
        raise InputError(f"{what} {path} is not a regular file (a folder, device or FIFO); refusing to read it")
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as err:
        raise InputError(f"cannot read {what} {path}: {err.strerror}") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"{what} {path} is larger than {MAX_BYTES // 1024} KiB; refusing to read it")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{what} {path}: not a text file (a YAML recipe is expected)") from None
