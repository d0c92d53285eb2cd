"""The arbitrary-style model (issue 30): its loss, warm start, export in two files with parity, and --style in the
runtime: vectors deterministic and cached, strength endpoints, blends, errors, no torch in the runtime."""

import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxscript")

from conftest import synthetic_painting, synthetic_photo  # noqa: E402

from stylecast.runtime.cli import main  # noqa: E402
from stylecast.runtime.errors import UserError  # noqa: E402
from stylecast.runtime.stylizer import Stylizer, StylizeOptions  # noqa: E402
from stylecast.training import losses  # noqa: E402
from stylecast.training.architectures import build_model  # noqa: E402
from stylecast.training.arbitrary.trainer import per_sample_style_loss  # noqa: E402
from stylecast.training.macs import macs_per_pixel  # noqa: E402


@pytest.fixture(scope="module")
def arbitrary(tmp_path_factory):
    """(checkpoint, frame model path, style side path, parity) of a tiny exported arbitrary-style model."""
    from helpers import make_checkpoint

    from stylecast.export.onnx_export import export_checkpoint

    root = tmp_path_factory.mktemp("arbitrary")
    ckpt = make_checkpoint(root / "tiny.pt", "arbitrary-lite")
    path = root / "tiny-arbitrary.onnx"
    parity = export_checkpoint(ckpt, path)
    return ckpt, path, root / "tiny-arbitrary.style.onnx", parity


@pytest.fixture
def paintings(tmp_path):
    files = []
    for seed in (1, 2):
        files.append(tmp_path / f"painting{seed}.png")
        cv2.imwrite(str(files[-1]), synthetic_painting(80, 64, seed=seed))
    return files


def test_per_sample_style_loss_by_hand():
    gram = torch.tensor([[[1.0, 2.0], [2.0, 5.0]], [[0.0, 1.0], [1.0, 0.0]]])
    target = torch.tensor([[[1.0, 1.0], [1.0, 1.0]], [[2.0, 0.0], [0.0, 2.0]]])
    # sample 1: errors 0,1,1,16 -> mse 4.5, target ms 1 -> 4.5; sample 2: errors 4,1,1,4 -> 2.5, target ms 2 -> 1.25
    assert float(per_sample_style_loss(gram, target)) == pytest.approx((4.5 + 1.25) / 2, rel=1e-6)
    assert float(per_sample_style_loss(gram[:1], target[:1])) == pytest.approx(
        float(losses.style_loss(gram[:1], target[:1])), rel=1e-6)


def test_warm_start_from_a_lite_net_reproduces_it_and_stays_in_the_budget():
    lite = build_model("lite", {"width": 4, "residual_blocks": 2}).eval()
    with torch.no_grad():
        for p in lite.parameters():
            p.add_(0.3 * torch.randn_like(p))
    net = build_model("arbitrary-lite", {"width": 4, "residual_blocks": 2, "embedding": 6, "hidden": 8})
    net.start_from_lite(lite)
    with torch.no_grad():
        net.to_norm_params.weight.zero_()
        x = torch.rand(1, 3, 37, 45)
        assert torch.allclose(net.eval()(x, torch.randn(1, 6)), lite(x), atol=1e-6)
    assert macs_per_pixel(build_model("arbitrary-lite")) == macs_per_pixel(build_model("lite")) <= 20_000
    with pytest.raises(ValueError):
        build_model("arbitrary-lite", {"width": 8}).start_from_lite(lite)


def test_export_writes_two_files_with_parity_and_the_style_swaps(arbitrary):
    from stylecast.runtime.models import read_model_metadata

    _, path, style_path, parity = arbitrary
    assert parity["passed"] and parity["worst"]["max_abs"] <= 1 and parity["worst"]["style_vector_max_abs"] <= 1e-3
    assert any("style image 1" in case["input"] and "photo" in case["input"] for case in parity["cases"])
    meta = read_model_metadata(path)
    assert meta.method == "perceptual" or meta.conditional["role"] == "frame"
    assert len(meta.conditional["default_vector"]) == 8 and style_path.is_file()
    assert read_model_metadata(style_path).conditional["role"] == "style-encoder"


def test_runtime_matches_pytorch_for_a_painting_given_at_run_time(arbitrary, paintings):
    from stylecast.training.checkpoint import load_checkpoint, model_from_checkpoint
    from stylecast.training.tensors import bgr8_to_tensor, tensor_to_bgr8

    ckpt, path, _, _ = arbitrary
    net = model_from_checkpoint(load_checkpoint(ckpt)).eval()
    photo = synthetic_photo(48, 72)
    with torch.no_grad():
        painting = cv2.imread(str(paintings[0]))
        side = cv2.resize(painting, (round(64 * 512 / 80), 512), interpolation=cv2.INTER_LINEAR)  # as the runtime
        expected = tensor_to_bgr8(net(bgr8_to_tensor(photo), net.embed(bgr8_to_tensor(side))))
    for backend in ("onnxruntime", "torch"):
        out = Stylizer(model=str(path), backend=backend, style=[paintings[0]]).stylize(photo)
        assert np.abs(out.astype(int) - expected).max() <= 1, backend
    default = Stylizer(model=str(path)).stylize(photo)
    assert np.abs(default.astype(int) - expected).mean() > 1  # the painting changed the output


def test_style_vectors_are_deterministic_cached_and_blend_by_weight(arbitrary, paintings):
    _, path, _, _ = arbitrary
    stylizer = Stylizer(model=str(path), style=[paintings[0]])
    encoder = stylizer.encoder
    first = encoder.vector_of_file(paintings[0])
    assert np.array_equal(first, encoder.vector_of_file(paintings[0])) and len(encoder._cache) == 1
    assert np.array_equal(first, encoder.vector(cv2.imread(str(paintings[0]))))
    second = encoder.vector_of_file(paintings[1])
    assert len(encoder._cache) == 2 and not np.allclose(first, second)
    np.testing.assert_allclose(encoder.mixed(paintings, [3, 1]), 0.75 * first + 0.25 * second, rtol=1e-6)
    photo = synthetic_photo(40, 48)
    only_first = Stylizer(model=str(path), style=paintings, style_blend=[1, 0]).stylize(photo)
    assert np.array_equal(only_first, stylizer.stylize(photo))


def test_strength_interpolates_toward_the_photos_own_style(arbitrary, paintings, tmp_path):
    _, path, _, _ = arbitrary
    photo = synthetic_photo(40, 48, seed=3)
    photo_file = tmp_path / "photo.png"
    cv2.imwrite(str(photo_file), photo)
    full = Stylizer(model=str(path), style=[paintings[0]]).stylize(photo)
    assert np.array_equal(full, Stylizer(model=str(path), style=[paintings[0]],
                                         options=StylizeOptions(strength=1.0)).stylize(photo))
    none = Stylizer(model=str(path), style=[paintings[0]], options=StylizeOptions(strength=0.0)).stylize(photo)
    own = Stylizer(model=str(path), style=[photo_file]).stylize(photo)
    assert np.abs(none.astype(int) - own).max() <= 1
    half = Stylizer(model=str(path), style=[paintings[0]], options=StylizeOptions(strength=0.5))
    out = half.stylize(photo)
    assert not np.array_equal(out, full) and not np.array_equal(out, none)
    with half.clip():  # a video: the own vector of the first frame is kept for the next frames
        half.stylize(photo)
        kept = half._own_vector.copy()
        half.stylize(synthetic_photo(40, 48, seed=9))
        assert np.array_equal(kept, half._own_vector)


def test_style_errors_are_one_line(arbitrary, paintings, tmp_path, capsys, exported_model):
    _, path, style_path, _ = arbitrary
    photo = tmp_path / "p.png"
    cv2.imwrite(str(photo), synthetic_photo(32, 32))
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    _, plain, _ = exported_model("lite")
    cases = [
        (["--style", str(tmp_path / "missing.jpg")], "missing.jpg"),
        (["--style", str(tmp_path / "broken.jpg")], "broken.jpg"),
        (["--style", str(paintings[0]), "--style-blend", "1,2"], "2 style weights given for 1 style images"),
        (["--style", str(paintings[0]), "--style-blend", "0"], "not all zero"),
        (["--model", str(plain), "--style", str(paintings[0])], "paints one style"),
        (["--model", str(style_path)], "style side"),
    ]
    for extra, message in cases:
        argv = ["stylize", str(photo), "--out", str(tmp_path / "o.png")]
        if "--model" not in extra:
            argv += ["--model", str(path)]
        assert main(argv + extra) != 0
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err and "Traceback" not in err, (extra, err)
        assert not (tmp_path / "o.png").exists()
    moved = tmp_path / "alone.onnx"
    shutil.copy(path, moved)  # without its style side: its built-in style still runs, a painting cannot be encoded
    assert Stylizer(model=str(moved)).stylize(synthetic_photo(24, 24)).shape == (24, 24, 3)
    with pytest.raises(UserError, match="style side"):
        Stylizer(model=str(moved), style=[paintings[0]])


def test_the_runtime_with_a_style_imports_no_torch(arbitrary, paintings, tmp_path):
    _, path, _, _ = arbitrary
    photo = tmp_path / "p.png"
    cv2.imwrite(str(photo), synthetic_photo(32, 40))
    code = ("import sys; from stylecast.runtime.cli import main; "
            f"rc = main(['stylize', {str(photo)!r}, '--model', {str(path)!r}, '--style', {str(paintings[0])!r}, "
            f"'--strength', '0.5', '--out', {str(tmp_path / 'o.png')!r}, '--quiet']); "
            "print(rc, 'torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.split() == ["0", "False"], result.stderr
    assert cv2.imread(str(tmp_path / "o.png")).shape == (32, 40, 3)


def test_a_few_training_steps_lower_the_loss_and_resume(tmp_path):
    from stylecast.training.arbitrary.trainer import ArbitrarySettings, train_arbitrary
    from stylecast.training.checkpoint import load_checkpoint

    photos, styles = tmp_path / "photos", tmp_path / "styles"
    photos.mkdir()
    styles.mkdir()
    for i in range(4):
        cv2.imwrite(str(photos / f"p{i}.png"), synthetic_photo(48, 48, seed=i))
    for i in range(3):
        cv2.imwrite(str(styles / f"s{i}.png"), synthetic_painting(64, 64, seed=i))
    settings = ArbitrarySettings(steps=12, batch_size=2, size=32, views=2, photo_views=1, lr=5e-3, log_every=4,
                                 checkpoint_every=6, preview_every=100, progress=False, lr_decay=0.0)
    out = tmp_path / "a.pt"
    config = {"width": 4, "residual_blocks": 1, "embedding": 4, "hidden": 8}
    data = train_arbitrary(settings, photos, styles, out, ["s2"], model_settings=config)
    assert data["step"] == 12 and data["style"]["held_out"] == ["s2.png"] and "vector" in data["default_style"]
    rows = (tmp_path / "a_train" / "log.csv").read_text().splitlines()[1:]
    totals = [float(r.split(",")[4]) for r in rows]
    assert totals[-1] < totals[0]
    settings.steps = 14
    assert train_arbitrary(settings, photos, styles, out, ["s2"], resume=True)["step"] == 14
    assert load_checkpoint(out)["method"] == "arbitrary"
    with pytest.raises(UserError, match="s1.png"):
        train_arbitrary(settings, photos, styles, tmp_path / "b.pt", ["nope"])


def test_tensorrt_rtx_engine_builds_with_the_built_in_style_and_refuses_another(arbitrary, paintings, tmp_path):
    pytest.importorskip("tensorrt_rtx", reason="tensorrt-rtx-cu13 is not installed (pip install 'stylecast[trt]')")
    from stylecast.export.tensorrt_build import build_engine

    _, path, _, _ = arbitrary
    build_engine(path, [(64, 64), (96, 128)], out=tmp_path / "a.plan", trt_choice="tensorrt_rtx",
                 cache_dir=tmp_path / "cache")
    assert (tmp_path / "a.plan").stat().st_size > 10_000
    with pytest.raises(UserError, match="style is built in"):
        Stylizer(model=str(tmp_path / "a.plan"), backend="tensorrt", style=[paintings[0]])
