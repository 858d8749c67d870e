"""Check plain data (from YAML, JSON or a checkpoint) against type hints with value ranges.

A hint is a Python type (``int``, ``float``, ``str``, ``bool``), ``Literal[...]``, ``X | None``,
``list[X]``, ``dict[str, X]`` or ``Any``, optionally wrapped as ``Annotated[X, Range(...)]``.
Numbers must be finite; ints are widened to float where a number is expected. Also bounds on the
size of nested data: shared references (YAML aliases, a pickle's memo) count every time they
appear, so a small file that expands to gigabytes is refused before anything walks it.
"""
from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from core.errors import InputError


@dataclass(frozen=True)
class Range:
    """Inclusive (``ge``, ``le``) or exclusive (``gt``, ``lt``) bounds of a number, or of a list's
    length and of each of its items for ``Annotated[list[X], Range(...)]`` (items only)."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None

    def holds(self, value: float) -> bool:
        return ((self.ge is None or value >= self.ge) and (self.gt is None or value > self.gt)
                and (self.le is None or value <= self.le) and (self.lt is None or value < self.lt))

    def __str__(self) -> str:
        def num(x: float) -> str:
            return f"{x:g}"
        low = f">= {num(self.ge)}" if self.ge is not None else (f"> {num(self.gt)}" if self.gt is not None else "")
        high = f"<= {num(self.le)}" if self.le is not None else (f"< {num(self.lt)}" if self.lt is not None else "")
        return " and ".join(p for p in (low, high) if p)


def positive(le: float | None = None) -> Range:
    """``> 0`` (and ``<= le``)."""
    return Range(gt=0, le=le)


def at_least(ge: float, le: float | None = None) -> Range:
    """``>= ge`` (and ``<= le``)."""
    return Range(ge=ge, le=le)


def describe(hint: Any) -> str:
    """What ``hint`` accepts, in words ("an integer >= 1", "null or a number > 0", ...)."""
    origin = typing.get_origin(hint)
    if origin is Annotated:
        base, *extras = typing.get_args(hint)
        ranges = [str(r) for r in extras if isinstance(r, Range)]
        return describe(base) + "".join(f" {r}" for r in ranges)
    if origin is Literal:
        return "one of " + ", ".join(map(str, typing.get_args(hint)))
    if origin in (Union, types.UnionType):
        args = sorted(typing.get_args(hint), key=lambda a: a is not type(None))
        return " or ".join(describe(a) for a in args)
    if hint is type(None):
        return "null"
    if origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        return "a list" if item is Any else f"a list of {describe(item).replace('an ', '').replace('a ', '')}s"
    if origin is dict:
        _, item = typing.get_args(hint) or (str, Any)
        return "a mapping" if item is Any else f"a mapping of names to {describe(item)}"
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false", list: "a list",
            dict: "a mapping"}.get(
        hint, getattr(hint, "__name__", str(hint)))


def conform(value: Any, hint: Any) -> tuple[bool, Any]:
    """``(True, value)`` (ints widened to float where a number is expected) when ``value`` fits
    ``hint``, else ``(False, value)``."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return True, value
    if origin is Annotated:
        base, *extras = typing.get_args(hint)
        ok, out = conform(value, base)
        for r in extras:
            if ok and isinstance(r, Range):
                items = out if isinstance(out, list) else [out]
                ok = all(r.holds(v) for v in items)
        return ok, out
    if origin is Literal:
        return value in typing.get_args(hint), value
    if origin in (Union, types.UnionType):
        for arg in typing.get_args(hint):
            ok, out = conform(value, arg)
            if ok:
                return True, out
        return False, value
    if hint is type(None):
        return value is None, value
    if origin is list:
        if not isinstance(value, list):
            return False, value
        (item,) = typing.get_args(hint) or (Any,)
        outs = [conform(v, item) for v in value]
        return all(ok for ok, _ in outs), [o for _, o in outs]
    if origin is dict:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            return False, value
        _, item = typing.get_args(hint) or (str, Any)
        outs = {k: conform(v, item) for k, v in value.items()}
        return all(ok for ok, _ in outs.values()), {k: o for k, (_, o) in outs.items()}
    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if hint is float:
        if isinstance(value, str):  # YAML 1.1 reads "1e-3" (no dot) as a string
            try:
                value = float(value)
            except ValueError:
                return False, value
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        return ok, float(value) if ok else value
    if hint is str:
        return isinstance(value, str), value
    return isinstance(value, hint), value


def check(value: Any, hint: Any, name: str) -> Any:
    """``value`` conformed to ``hint``, or InputError "``name`` must be <what>, got <value>"."""
    ok, out = conform(value, hint)
    if not ok:
        shown = repr(value)
        raise InputError(f"{name} must be {describe(hint)}, got {shown[:80]}{'...' if len(shown) > 80 else ''}")
    return out


def check_size(value: Any, name: str, max_items: int, max_depth: int) -> None:
    """InputError when nested lists / dicts in ``value`` hold more than ``max_items`` entries in all
    (a shared container counts every time it appears), nest deeper than ``max_depth`` or contain
    themselves."""
    measured: dict[int, tuple[int, int]] = {}  # id -> (expanded size, height) of a container
    active: set[int] = set()

    def measure(node: Any, depth: int) -> tuple[int, int]:
        if not isinstance(node, (list, tuple, dict)):
            return 1, 0
        if depth > max_depth:
            raise InputError(f"{name} nests deeper than {max_depth} levels")
        key = id(node)
        if key in active:
            raise InputError(f"{name} contains itself")
        if key not in measured:
            active.add(key)
            total, height = 1, 0
            for child in (node.values() if isinstance(node, dict) else node):
                size, child_height = measure(child, depth + 1)
                total, height = total + size, max(height, child_height + 1)
                if total > max_items:
                    raise InputError(f"{name} holds more than {max_items} entries (counting repeated references)")
            active.discard(key)
            measured[key] = (total, height)
        total, height = measured[key]
        if depth + height > max_depth:
            raise InputError(f"{name} nests deeper than {max_depth} levels")
        return total, height

    measure(value, 0)
