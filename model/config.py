"""Training configuration: plain dataclasses loaded from YAML recipes plus ``key.sub=value`` overrides.

A recipe file may ``include`` other files (paths relative to it; later ones win, the including file
wins over all) and may hold a ``per_backbone`` table: ``per_backbone.<model name>`` is merged on top
once the backbone is known (after the command-line overrides), so one file per dataset carries every
backbone's published recipe. Unknown fields, wrong types and values out of their range (declared
beside each field as ``Annotated[type, Range]``; every number must be finite) raise
:class:`InputError` naming the field, with a suggestion for a likely typo. Recipe files are read
with limits (:mod:`core.bounded_yaml`): regular files only, at most 1 MiB, 50 levels, 100,000
values after alias expansion.
"""
from __future__ import annotations

import dataclasses
import difflib
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml

from core.bounded_yaml import parse_yaml, read_yaml_text
from core.errors import InputError
from core.schema import Range, at_least, check, positive

MAX_WINDOW = 1024  # frames per sample (NTU clips are at most 300)
MAX_WINDOW_SECONDS = 60.0
MAX_FPS = 1000.0
MAX_PERSONS = 2  # the pose stage tracks at most two people


@dataclass
class SourceConfig:
    """One dataset of a mixture (``data.sources``): where it is, its frame rate and its split."""

    path: str = ""  # dataset folder
    fps: Annotated[float, positive(MAX_FPS)] = 30.0  # its capture rate; resampled to data.fps when mixed
    train: dict[str, list] = field(default_factory=dict)  # metadata filter, as data.train
    val: Union[dict[str, list], None] = field(default_factory=dict)  # as data.val


@dataclass
class DataConfig:
    """Which samples to read and how the model sees them (mirrors model.preprocess.InputSpec)."""

    path: str = ""  # dataset folder (NTU .skeleton folder or .npz archive, NW-UCLA, UTD-MHAD)
    sources: list[SourceConfig] = field(default_factory=list)  # several datasets instead of path
    labels: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # merged class -> dataset -> its classes
    background: list[str] = field(default_factory=list)  # classes of `labels` that stand for "none of the actions" (shown as no action)
    cache: str = ""  # folder for the parsed one-file cache ("": the data module's default, cache/)
    split: str = ""  # name recorded in the checkpoint; NTU benchmarks xsub, xview, xset select it
    train: dict[str, list] = field(default_factory=dict)  # metadata filter, e.g. {subject: [1, 3, 5]}
    val: Union[dict[str, list], None] = field(default_factory=dict)  # {}: the rest; null: none
    layout: str = "ntu25"  # joint layout the model is trained in
    stream: Literal["joint", "bone", "joint_motion", "bone_motion"] = "joint"
    window: Annotated[int, at_least(1, MAX_WINDOW)] = 64  # frames per sample fed to the model
    # live time one window spans (None: median clip)
    window_seconds: Union[Annotated[float, positive(MAX_WINDOW_SECONDS)], None] = None
    fps: Annotated[float, positive(MAX_FPS)] = 30.0  # capture rate of the dataset
    normalization: str = "center_first_spine"  # a scheme registered in model.preprocess
    num_person: Annotated[int, at_least(1, MAX_PERSONS)] = 2
    timing: Literal["clip", "window"] = "clip"  # clip: whole clips resized; window: window_seconds as live
    # random temporal crop (timing clip): [low, high] fractions of the clip
    crop_ratio: Annotated[list[float], Range(gt=0, le=1)] = field(default_factory=lambda: [0.5, 1.0])
    min_crop: Annotated[int, at_least(1)] = 64  # shortest random crop in frames (whole clip when shorter)
    # window length factor (timing window): [low, high]
    speed: Annotated[list[float], Range(gt=0, le=10)] = field(default_factory=lambda: [0.8, 1.25])
    repeat: Annotated[int, at_least(1, 1000)] = 1  # passes over the training set per epoch (CTR-GCN's NW-UCLA recipe uses 5)
    # draw samples of a class of n with weight n**-balance (0: as they come, 1: classes equal)
    balance: Annotated[float, Range(ge=0, le=1)] = 0.0
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
    weight: Annotated[float, at_least(0)] = 1.0  # loss = cross-entropy + weight * contrastive loss
    positives: Annotated[int, at_least(1)] = 128  # P: hardest positives taken from the memory bank per anchor
    negatives: Annotated[int, at_least(1)] = 512  # K: negatives (hardest and random) per anchor
    tau: Annotated[float, positive()] = 0.8  # temperature
    dim: Annotated[int, at_least(1, 4096)] = 256  # embedding size
    branches: Literal["both", "spatial", "temporal"] = "both"  # one alone: the ablation of the other


@dataclass
class OptimConfig:
    """Optimiser and learning-rate schedule (per epoch, linear warm-up first)."""

    name: Literal["sgd", "adam"] = "sgd"
    lr: Annotated[float, positive(10)] = 0.1
    momentum: Annotated[float, Range(ge=0, lt=1)] = 0.9
    nesterov: bool = True  # needs momentum > 0
    weight_decay: Annotated[float, at_least(0, 1)] = 4e-4
    warmup_epochs: Annotated[int, at_least(0)] = 5
    schedule: Literal["step", "exp", "cosine", "constant"] = "step"
    # epochs where lr *= gamma (step)
    steps: Annotated[list[int], at_least(1)] = field(default_factory=lambda: [35, 55])
    gamma: Annotated[float, positive(1)] = 0.1  # decay factor (step: per milestone, exp: per epoch)
    grad_clip: Union[Annotated[float, positive()], None] = None  # max gradient norm, None: no clipping


@dataclass
class TrainConfig:
    """Loop settings: length, batch, reproducibility, devices, outputs."""

    epochs: Annotated[int, at_least(1, 100_000)] = 65
    batch_size: Annotated[int, at_least(1, 65_536)] = 64
    eval_batch_size: Annotated[int, at_least(1, 65_536)] = 64
    seed: Annotated[int, at_least(0, 2**63 - 1)] = 1
    workers: Annotated[int, at_least(0, 256)] = 0  # DataLoader worker processes
    threads: Annotated[int, at_least(0, 1024)] = 0  # torch CPU threads (0: torch's default)
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    amp: bool = True  # mixed precision: float16 on CUDA, bfloat16 on a CPU with native bf16 (else off)
    out_dir: str = ""  # "": runs/<recipe>/<backbone>_<stream>[_stdcl]
    eval_interval: Annotated[int, at_least(1)] = 1  # validate every N epochs (and always after the last)
    resume: bool = True  # continue from out_dir's training state when present
    # cut epochs short (smoke tests, timing)
    max_steps_per_epoch: Union[Annotated[int, at_least(1)], None] = None
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

def load_config(path: str | Path | None = None, overrides: typing.Sequence[str] = (),
                files_read: list[Path] | None = None) -> Config:
    """Read a recipe (with its includes and ``per_backbone`` table) and apply ``key=value`` overrides.
    ``files_read``, when given, receives the resolved path of every recipe file read."""
    raw: dict = _read_recipe(Path(path), files_read=files_read) if path is not None else {}
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
        value = parse_yaml(text, f"config override {key}") if text.strip() else ""
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
    """Build and check a :class:`Config` from nested plain data (as read from YAML): fields, types,
    ranges, and the settings that depend on each other (:func:`check_config`)."""
    return check_config(_build(Config, data, ""))


def config_to_dict(config: Config) -> dict:
    """Plain nested data (YAML/JSON-able) for a config."""
    return dataclasses.asdict(config)


def dump_config(config: Config) -> str:
    """YAML text of a config, loadable again with :func:`load_config`."""
    return yaml.safe_dump(config_to_dict(config), sort_keys=False)


def _read_recipe(path: Path, seen: tuple[Path, ...] = (), files_read: list[Path] | None = None) -> dict:
    path = path.resolve()
    if path in seen:
        raise InputError(f"config: {path} includes itself")
    text = read_yaml_text(path, "config")
    if files_read is not None:
        files_read.append(path)
    try:
        data = parse_yaml(text, f"config {path}")
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
        _merge(merged, _read_recipe(path.parent / inc, seen + (path,), files_read))
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
    hints = typing.get_type_hints(cls, include_extras=True)
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
            values[name] = check(value, hint, f"config: {dotted}")
    return cls(**values)


_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?")


def check_config(config: Config) -> Config:
    """Check every field's type and range (also of a config changed in code, e.g. by fine-tuning)
    and the settings that depend on each other; InputError naming the field. Returns ``config``."""
    from model.preprocess import NORMALIZATIONS  # torch-free, but kept out of import time
    from model.registry import available_models
    from pose.layouts import LAYOUTS

    for section in dataclasses.fields(config):
        part = getattr(config, section.name)
        hints = typing.get_type_hints(type(part), include_extras=True)
        for f in dataclasses.fields(part):
            check(getattr(part, f.name), hints[f.name], f"config: {section.name}.{f.name}")
    dc, oc = config.data, config.optim

    def refuse(field_name: str, value: Any, wanted: str) -> None:
        raise InputError(f"config: {field_name} must be {wanted}, got {value!r}")

    if dc.layout not in LAYOUTS:
        refuse("data.layout", dc.layout, "one of " + ", ".join(LAYOUTS))
    if dc.normalization not in NORMALIZATIONS:
        refuse("data.normalization", dc.normalization, "one of " + ", ".join(NORMALIZATIONS))
    if config.model.name not in available_models():
        refuse("model.name", config.model.name, "one of " + ", ".join(available_models()))
    if len(dc.crop_ratio) != 2 or dc.crop_ratio[0] > dc.crop_ratio[1]:
        refuse("data.crop_ratio", dc.crop_ratio, "[low, high] with 0 < low <= high <= 1")
    if len(dc.speed) != 2 or dc.speed[0] > dc.speed[1]:
        refuse("data.speed", dc.speed, "[low, high] with 0 < low <= high <= 10")
    if oc.name == "sgd" and oc.nesterov and oc.momentum == 0:
        refuse("optim.momentum", oc.momentum, "> 0 with optim.nesterov=true (or set optim.nesterov=false)")
    if not _DEVICE.fullmatch(config.train.device):
        refuse("train.device", config.train.device, "auto, cpu, cuda or cuda:N")
    return config
