"""Training configuration: plain dataclasses loaded from YAML recipes plus ``key.sub=value`` overrides.

A recipe file may ``include`` other files (paths relative to it; later ones win, the including file
wins over all) and may hold a ``per_backbone`` table: ``per_backbone.<model name>`` is merged on top
once the backbone is known (after the command-line overrides), so one file per dataset carries every
backbone's published recipe. Unknown fields and wrong types raise :class:`InputError` naming the
field, with a suggestion for a likely typo.
"""
from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

import yaml

from core.errors import InputError

@dataclass
class SourceConfig:
    """One dataset of a mixture (``data.sources``): where it is, its frame rate and its split."""

    path: str = ""  # dataset folder
    fps: float = 30.0  # its capture rate; resampled to data.fps when mixed
    train: dict[str, list] = field(default_factory=dict)  # metadata filter, as data.train
    val: Union[dict[str, list], None] = field(default_factory=dict)  # as data.val


@dataclass
class DataConfig:
    """Which samples to read and how the model sees them (mirrors model.preprocess.InputSpec)."""

    path: str = ""  # dataset folder (NTU .skeleton folder or .npz archive, NW-UCLA, UTD-MHAD)
    sources: list[SourceConfig] = field(default_factory=list)  # several datasets instead of path
    labels: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # merged class -> dataset -> its classes
    background: str = ""  # a class of `labels` that stands for "none of the actions" (shown as no action)
    cache: str = ""  # folder for the parsed one-file cache ("": the data module's default, cache/)
    split: str = ""  # name recorded in the checkpoint; NTU benchmarks xsub, xview, xset select it
    train: dict[str, list] = field(default_factory=dict)  # metadata filter, e.g. {subject: [1, 3, 5]}
    val: Union[dict[str, list], None] = field(default_factory=dict)  # {}: the rest; null: none
    layout: str = "ntu25"  # joint layout the model is trained in
    stream: Literal["joint", "bone", "joint_motion", "bone_motion"] = "joint"
    window: int = 64  # frames per sample fed to the model
    window_seconds: Union[float, None] = None  # live time one window spans (None: median clip)
    fps: float = 30.0  # capture rate of the dataset
    normalization: str = "center_first_spine"  # a scheme registered in model.preprocess
    num_person: int = 2
    timing: Literal["clip", "window"] = "clip"  # clip: whole clips resized; window: window_seconds as live
    crop_ratio: list[float] = field(default_factory=lambda: [0.5, 1.0])  # random temporal crop (timing clip)
    min_crop: int = 64  # shortest random crop in frames (whole clip when shorter; timing clip)
    speed: list[float] = field(default_factory=lambda: [0.8, 1.25])  # window length factor (timing window)
    repeat: int = 1  # passes over the training set per epoch (CTR-GCN's NW-UCLA recipe uses 5)
    balance: float = 0.0  # draw samples of a class of n with weight n**-balance (0: as they come, 1: classes equal)
    camera_augmentation: dict[str, Any] = field(default_factory=dict)  # before normalisation, metres
    augmentation: dict[str, Any] = field(default_factory=dict)  # name -> options, in order


@dataclass
class ModelConfig:
    """Backbone name (see model.registry.available_models) and its keyword arguments."""

    name: str = "ctrgcn"
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class StdclConfig:
    """STD-CL training head: decoupled spatial/temporal embeddings with a memory-bank contrast."""

    enabled: bool = True
    weight: float = 1.0  # loss = cross-entropy + weight * contrastive loss
    positives: int = 128  # P: hardest positives taken from the memory bank per anchor
    negatives: int = 512  # K: negatives (hardest and random) per anchor
    tau: float = 0.8  # temperature
    dim: int = 256  # embedding size


@dataclass
class OptimConfig:
    """Optimiser and learning-rate schedule (per epoch, linear warm-up first)."""

    name: Literal["sgd", "adam"] = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 4e-4
    warmup_epochs: int = 5
    schedule: Literal["step", "exp", "cosine", "constant"] = "step"
    steps: list[int] = field(default_factory=lambda: [35, 55])  # epochs where lr *= gamma (step)
    gamma: float = 0.1  # decay factor (step: per milestone, exp: per epoch)
    grad_clip: Union[float, None] = None  # max gradient norm, None: no clipping


@dataclass
class TrainConfig:
    """Loop settings: length, batch, reproducibility, devices, outputs."""

    epochs: int = 65
    batch_size: int = 64
    eval_batch_size: int = 64
    seed: int = 1
    workers: int = 0  # DataLoader worker processes
    threads: int = 0  # torch CPU threads (0: torch's default)
    device: str = "auto"  # auto | cpu | cuda
    amp: bool = True  # mixed precision on CUDA (ignored on CPU)
    out_dir: str = ""  # "": runs/<recipe>/<backbone>_<stream>[_stdcl]
    eval_interval: int = 1  # validate every N epochs (and always after the last)
    resume: bool = True  # continue from out_dir's training state when present
    max_steps_per_epoch: Union[int, None] = None  # cut epochs short (smoke tests, timing)
    progress: bool = True  # tqdm progress bar


@dataclass
class Config:
    """A whole training recipe."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    stdcl: StdclConfig = field(default_factory=StdclConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


# --- reading ---------------------------------------------------------------------------------------

def load_config(path: str | Path | None = None, overrides: typing.Sequence[str] = ()) -> Config:
    """Read a recipe (with its includes and ``per_backbone`` table) and apply ``key=value`` overrides."""
    raw: dict = _read_recipe(Path(path)) if path is not None else {}
    per_backbone = raw.pop("per_backbone", None) or {}
    if not isinstance(per_backbone, dict):
        raise InputError(f"config: 'per_backbone' in {path} must be a mapping of backbone -> settings")
    override_tree: dict = {}
    for item in overrides:
        _merge(override_tree, parse_override(item))
    name = override_tree.get("model", {}).get("name", raw.get("model", {}).get("name"))
    if name is None:
        name = ModelConfig.name
    merged = _merge(_merge(raw, per_backbone.get(name, {}) or {}), override_tree)
    return config_from_dict(merged)


def parse_override(item: str) -> dict:
    """``a.b=value`` -> ``{"a": {"b": value}}`` with the value parsed as a YAML scalar or list."""
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise InputError(f"config override {item!r} must look like key.sub=value (e.g. train.epochs=5)")
    try:
        value = yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        raise InputError(f"config override {item!r}: cannot parse value {text!r}") from None
    tree: dict = {}
    node = tree
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return tree


def config_from_dict(data: dict) -> Config:
    """Build and check a :class:`Config` from nested plain data (as read from YAML)."""
    return _build(Config, data, "")


def config_to_dict(config: Config) -> dict:
    """Plain nested data (YAML/JSON-able) for a config."""
    return dataclasses.asdict(config)


def dump_config(config: Config) -> str:
    """YAML text of a config, loadable again with :func:`load_config`."""
    return yaml.safe_dump(config_to_dict(config), sort_keys=False)


def _read_recipe(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    path = path.resolve()
    if path in seen:
        raise InputError(f"config: {path} includes itself")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"config file not found: {path}") from None
    except OSError as err:
        raise InputError(f"cannot read config {path}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(f"config {path}: not a text file (a YAML recipe is expected)") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"config {path}{where}: not valid YAML") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"config {path}: top level must be a mapping of sections")
    includes = data.pop("include", None) or []
    if isinstance(includes, str):
        includes = [includes]
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        raise InputError(f"config {path}: 'include' must be a file name or a list of them")
    merged: dict = {}
    for inc in includes:
        _merge(merged, _read_recipe(path.parent / inc, seen + (path,)))
    return _merge(merged, data)


def _merge(base: dict, extra: dict) -> dict:
    """Deep-merge ``extra`` into ``base`` (mappings merge, everything else replaces); returns base."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


# --- checking --------------------------------------------------------------------------------------

def _all_fields(cls: type, prefix: str = "") -> list[str]:
    names = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        dotted = prefix + f.name
        names.append(dotted)
        if dataclasses.is_dataclass(hints[f.name]):
            names.extend(_all_fields(hints[f.name], dotted + "."))
    return names


def _unknown(dotted: str) -> InputError:
    close = difflib.get_close_matches(dotted, _all_fields(Config), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return InputError(f"config: unknown field {dotted!r}{hint}")


def _build(cls: type, data: Any, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise InputError(f"config: {prefix.rstrip('.') or 'top level'} must be a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in data:
        if key not in names:
            raise _unknown(prefix + str(key))
    values = {}
    for name, value in data.items():
        hint, dotted = hints[name], prefix + name
        if dataclasses.is_dataclass(hint):
            values[name] = _build(hint, value or {}, dotted + ".")
        elif typing.get_origin(hint) is list and dataclasses.is_dataclass(typing.get_args(hint)[0]):
            if not isinstance(value, list):
                raise InputError(f"config: {dotted} must be a list of mappings, got {value!r}")
            values[name] = [_build(typing.get_args(hint)[0], item, f"{dotted}[{i}].")
                            for i, item in enumerate(value)]
        else:
            values[name] = _check(value, hint, dotted)
    return cls(**values)


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(map(str, typing.get_args(hint)))
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(hint))
    if hint is type(None):
        return "null"
    if origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        return "a list" if item is Any else f"a list of {_describe(item).replace('an ', '').replace('a ', '')}s"
    if origin is dict:
        return "a mapping"
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false"}.get(
        hint, getattr(hint, "__name__", str(hint)))


def _check(value: Any, hint: Any, dotted: str) -> Any:
    """Return ``value`` (ints widened to float where a number is expected) or raise InputError."""
    ok, out = _conform(value, hint)
    if not ok:
        raise InputError(f"config: {dotted} must be {_describe(hint)}, got {value!r}")
    return out


def _conform(value: Any, hint: Any) -> tuple[bool, Any]:
    origin = typing.get_origin(hint)
    if hint is Any:
        return True, value
    if origin is Literal:
        return value in typing.get_args(hint), value
    if origin in (Union, types.UnionType):
        for arg in typing.get_args(hint):
            ok, out = _conform(value, arg)
            if ok:
                return True, out
        return False, value
    if hint is type(None):
        return value is None, value
    if origin is list:
        if not isinstance(value, list):
            return False, value
        (item,) = typing.get_args(hint) or (Any,)
        outs = [_conform(v, item) for v in value]
        return all(ok for ok, _ in outs), [o for _, o in outs]
    if origin is dict:
        return isinstance(value, dict) and all(isinstance(k, str) for k in value), value
    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if hint is float:
        if isinstance(value, str):  # YAML 1.1 reads "1e-3" (no dot) as a string
            try:
                return True, float(value)
            except ValueError:
                return False, value
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return ok, float(value) if ok else value
    if hint is str:
        return isinstance(value, str), value
    return isinstance(value, hint), value
