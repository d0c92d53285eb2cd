"""Generator architectures: any input size, MAC counts against hand counts, config round trip."""

import pytest

torch = pytest.importorskip("torch")

from stylecast.runtime.errors import UserError  # noqa: E402
from stylecast.training.architectures import ARCHITECTURES, build_model, model_config  # noqa: E402
from stylecast.training.macs import macs_per_pixel  # noqa: E402


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
@pytest.mark.parametrize("size", [(37, 51), (64, 64), (17, 9), (1, 1)])
def test_output_has_input_size_and_range(arch, size):
    model = build_model(arch).eval()
    with torch.no_grad():
        out = model(torch.rand(2, 3, *size))
    assert out.shape == (2, 3, *size)
    assert out.min() >= 0 and out.max() <= 1


def transformer_macs_by_hand(w: int, blocks: int) -> int:
    """Per output pixel: each conv's k*k*cin*cout times the fraction of output pixels it runs at."""
    return (9 * 9 * 3 * w + 9 * w * 2 * w / 4 + 9 * 2 * w * 4 * w / 16 + blocks * 2 * 9 * (4 * w) ** 2 / 16
            + 9 * 4 * w * 2 * w / 4 + 9 * 2 * w * w + 9 * 9 * w * 3)


def test_transformer_macs_match_hand_count():
    assert macs_per_pixel(build_model("transformer", {"width": 2, "residual_blocks": 1})) == \
        transformer_macs_by_hand(2, 1) == 1224
    assert macs_per_pixel(build_model("transformer")) == transformer_macs_by_hand(32, 5) == 153_792


def test_lite_macs_match_hand_count_and_budget():
    w, blocks = 2, 1
    c = 4 * w
    by_hand = (9 * 3 * w / 4 + 9 * w * 2 * w / 16 + 9 * 2 * w * 4 * w / 64
               + blocks * 2 * (9 * c + c * c) / 64
               + 9 * 4 * w * 2 * w / 16 + 9 * 2 * w * w / 4 + 9 * w * 3)
    assert macs_per_pixel(build_model("lite", {"width": w, "residual_blocks": blocks})) == pytest.approx(by_hand)
    assert macs_per_pixel(build_model("lite")) <= 5000


def test_texture_net_without_content_ignores_the_image_and_is_deterministic_in_eval():
    model = build_model("texture", {"use_content": False, "scales": 3}).eval()
    a = model(torch.zeros(1, 3, 32, 32))
    assert torch.equal(a, model(torch.ones(1, 3, 32, 32)))
    model.train()
    assert not torch.equal(model(torch.zeros(1, 3, 32, 32)), model(torch.zeros(1, 3, 32, 32)))


def test_unknown_architecture_and_setting_list_the_valid_ones():
    with pytest.raises(UserError, match="transformer, lite, texture, unet, pix2pixhd, resnet"):
        build_model("vgg")
    with pytest.raises(UserError, match="residual_blocks, width"):
        build_model("transformer", {"depth": 3})


def test_config_round_trip_rebuilds_identical_model():
    model = build_model("lite", {"width": 8, "residual_blocks": 2})
    clone = build_model("lite", model_config(model))
    clone.load_state_dict(model.state_dict())
    x = torch.rand(1, 3, 40, 24)
    assert torch.equal(model.eval()(x), clone.eval()(x))
