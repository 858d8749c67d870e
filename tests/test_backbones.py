"""Backbones: shapes for every layout and person count, gradients, input checks, the registry."""
import pytest
import torch

from core.errors import InputError
from model import available_models, build_model
from model.backbones.hyperformer import body_part_labels
from pose.layouts import LAYOUTS

FRAMES = 8  # small windows keep the suite fast; the graph backbones stride time by 4 overall
HCN_FRAMES = 16  # HCN pools time four times


def _frames(name: str) -> int:
    return HCN_FRAMES if name == "hcn" else FRAMES


def _model(name: str, layout: str = "ntu25", num_person: int = 2, num_classes: int = 7):
    kwargs = {"window": HCN_FRAMES} if name == "hcn" else {}
    return build_model(name, num_classes, layout=layout, num_person=num_person, **kwargs)


def test_registry_lists_the_four_backbones():
    assert available_models() == ["hcn", "agcn", "ctrgcn", "hyperformer"]


@pytest.mark.parametrize("name", ["hcn", "agcn", "ctrgcn", "hyperformer"])
@pytest.mark.parametrize("layout,num_person", [("ntu25", 2), ("ntu25", 1), ("ucla20", 1), ("utd20", 2)])
def test_output_and_feature_shapes(name, layout, num_person):
    torch.manual_seed(0)
    model = _model(name, layout, num_person).eval()
    joints = LAYOUTS[layout].num_joints
    frames = _frames(name)
    x = torch.randn(3, 3, frames, joints, num_person)
    with torch.no_grad():
        features = model.features(x)
        logits = model(x)
    assert logits.shape == (3, 7)
    assert features.shape[0] == 3 * num_person
    if name == "hcn":  # conv6 map: 256 channels, T/16, conv2's 32 point channels / 16
        assert features.shape[1:] == (256, frames // 16, 2)
    else:
        assert features.shape[2:] == (frames // 4, joints)
    assert torch.isfinite(logits).all()
    torch.testing.assert_close(model.classify(features, num_person), logits)


@pytest.mark.parametrize("name", ["hcn", "agcn", "ctrgcn", "hyperformer"])
def test_gradients_reach_every_parameter(name):
    torch.manual_seed(0)
    model = _model(name).train()
    with torch.no_grad():  # the references start these gates at 0, which blocks the graph/attention
        for pname, p in model.named_parameters():  # gradients on the very first step; open them
            if pname.endswith("alpha"):
                p.fill_(0.5)
    x = torch.randn(2, 3, _frames(name), 25, 2)
    loss = torch.nn.functional.cross_entropy(model(x), torch.tensor([0, 1]))
    loss.backward()
    dead = [n for n, p in model.named_parameters() if p.grad is None or not (p.grad.abs().sum() > 0)]
    assert not dead, f"no gradient reaches {dead}"


def test_alpha_gates_start_closed_as_in_the_references():
    model = _model("ctrgcn")
    alphas = [p for n, p in model.named_parameters() if n.endswith("alpha")]
    assert len(alphas) == 10 and all(float(a.detach()) == 0.0 for a in alphas)


@pytest.mark.parametrize("name", ["hcn", "agcn", "ctrgcn", "hyperformer"])
def test_wrong_input_shape_is_refused_with_the_expected_shape(name):
    model = _model(name)
    with pytest.raises(ValueError, match="V=25"):
        model(torch.randn(1, 3, _frames(name), 20, 2))


def test_hcn_refuses_another_window():
    with pytest.raises(ValueError, match="16-frame"):
        _model("hcn")(torch.randn(1, 3, 2 * HCN_FRAMES, 25, 2))


def test_unknown_model_lists_known_ones():
    with pytest.raises(InputError, match="hcn, agcn, ctrgcn, hyperformer"):
        build_model("resnet", 10)


def test_unknown_option_and_bad_values_are_input_errors():
    with pytest.raises(InputError, match="'depth'.*accepted: dropout"):
        build_model("ctrgcn", 10, depth=3)
    with pytest.raises(InputError, match="layout"):
        build_model("agcn", 10, layout="coco17")
    with pytest.raises(InputError, match="num_classes"):
        build_model("agcn", 0)
    with pytest.raises(InputError, match="multiple of 16"):
        build_model("hcn", 10, window=40)


def test_build_args_are_remembered_with_defaults():
    model = build_model("hyperformer", 5, layout="ucla20", num_person=1)
    assert model.backbone_name == "hyperformer"
    assert model.backbone_args == {"num_heads": 9, "dropout": 0.0}


def test_hyperformer_body_parts_follow_joint_names_not_order():
    utd, ucla = LAYOUTS["utd20"], LAYOUTS["ucla20"]
    utd_parts = dict(zip(utd.joints, body_part_labels("utd20")))
    ucla_parts = dict(zip(ucla.joints, body_part_labels("ucla20")))
    assert utd_parts == ucla_parts
    assert ucla_parts["left_knee"] == ucla_parts["right_foot"] != ucla_parts["left_hand"]
    assert len(set(body_part_labels("ntu25"))) == 5
