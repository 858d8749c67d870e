"""Recipes: includes, per-backbone tables, command-line overrides, and errors that name the field."""
from pathlib import Path

import pytest

import main
from core.errors import InputError
from model.config import Config, config_from_dict, config_to_dict, dump_config, load_config, parse_override
from model.registry import available_models

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
RECIPES = sorted(p for p in CONFIGS.glob("*.yaml") if p.name != "ntu.yaml")


def test_override_values_are_yaml_scalars():
    assert parse_override("optim.steps=[10, 20]") == {"optim": {"steps": [10, 20]}}
    assert parse_override("data.val=null") == {"data": {"val": None}}
    assert parse_override("model.args.num_heads=3") == {"model": {"args": {"num_heads": 3}}}
    config = load_config(None, ["optim.lr=1e-3", "train.amp=false", "data.stream=bone"])
    assert config.optim.lr == pytest.approx(1e-3) and config.train.amp is False
    assert config.data.stream == "bone"


@pytest.mark.parametrize("override, field, hint", [
    ("optim.lrr=0.1", "optim.lrr", "optim.lr"),
    ("train.epoch=3", "train.epoch", "train.epochs"),
    ("model.nme=hcn", "model.nme", "model.name"),
    ("solver.lr=0.1", "solver", None),
])
def test_unknown_field_is_named_with_a_suggestion(override, field, hint):
    with pytest.raises(InputError) as err:
        load_config(None, [override])
    message = str(err.value)
    assert f"unknown field '{field}'" in message
    assert (f"did you mean '{hint}'" in message) if hint else ("did you mean" not in message)


@pytest.mark.parametrize("override, field", [
    ("train.epochs=ten", "train.epochs"),
    ("train.amp=1", "train.amp"),
    ("data.stream=skeleton", "data.stream"),
    ("optim.steps=[1, x]", "optim.steps"),
    ("optim.schedule=linear", "optim.schedule"),
])
def test_wrong_type_is_named(override, field):
    with pytest.raises(InputError, match=f"config: {field} must be"):
        load_config(None, [override])


def test_malformed_override_is_refused():
    with pytest.raises(InputError, match="key.sub=value"):
        load_config(None, ["epochs5"])


def test_typo_in_a_recipe_file_is_named(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("train:\n  epochs: 3\n  batch_sise: 8\n")
    with pytest.raises(InputError, match=r"unknown field 'train.batch_sise' \(did you mean 'train.batch_size'\?\)"):
        load_config(recipe)


def test_include_per_backbone_and_override_precedence(tmp_path):
    (tmp_path / "base.yaml").write_text(
        "data: {window: 48, num_person: 1}\n"
        "per_backbone:\n"
        "  hcn: {optim: {name: adam, lr: 0.001}, train: {epochs: 200}}\n"
        "  ctrgcn: {optim: {lr: 0.1}, train: {epochs: 65}}\n")
    (tmp_path / "recipe.yaml").write_text("include: base.yaml\ndata: {window: 32}\nmodel: {name: ctrgcn}\n")
    ctr = load_config(tmp_path / "recipe.yaml")
    assert (ctr.data.window, ctr.data.num_person, ctr.optim.lr, ctr.train.epochs) == (32, 1, 0.1, 65)
    hcn = load_config(tmp_path / "recipe.yaml", ["model.name=hcn", "train.epochs=7"])
    assert (hcn.optim.name, hcn.optim.lr, hcn.train.epochs) == ("adam", 0.001, 7)


def test_missing_recipe_and_self_include_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_config(tmp_path / "absent.yaml")
    loop = tmp_path / "loop.yaml"
    loop.write_text("include: loop.yaml\n")
    with pytest.raises(InputError, match="includes itself"):
        load_config(loop)


def test_dump_and_reload_round_trip(tmp_path):
    config = load_config(CONFIGS / "utd_mhad.yaml", ["model.name=hyperformer", "data.stream=joint_motion"])
    (tmp_path / "c.yaml").write_text(dump_config(config))
    assert load_config(tmp_path / "c.yaml") == config
    assert config_from_dict(config_to_dict(Config())) == Config()


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.stem)
@pytest.mark.parametrize("backbone", available_models())
def test_every_shipped_recipe_loads_for_every_backbone(recipe, backbone):
    config = load_config(recipe, [f"model.name={backbone}", "data.stream=bone_motion"])
    assert config.model.name == backbone and config.train.epochs > 0
    assert config.optim.lr > 0 and config.data.stream == "bone_motion"


def test_cli_reports_a_config_typo_with_exit_code_2(capsys):
    code = main.main(["--train", "--config", str(CONFIGS / "utd_mhad.yaml"), "optim.lrr=0.1"])
    assert code == 2
    assert "error: config: unknown field 'optim.lrr' (did you mean 'optim.lr'?)" in capsys.readouterr().err
