"""Image reading normalises what users have; writing is atomic."""

import os

import cv2
import numpy as np
import pytest

from stylecast.runtime import color
from stylecast.runtime.errors import UserError
from stylecast.runtime.image_header import jpeg_frame
from stylecast.runtime.imageio import check_output_path, read_image, to_bgr8, write_image


def test_sixteen_bit_maps_full_range():
    deep = np.array([[[0, 257, 65535]]], np.uint16)
    assert to_bgr8(deep).tolist() == [[[0, 1, 255]]]


def test_alpha_composites_over_white():
    bgra = np.array([[[0, 0, 200, 255], [0, 0, 200, 0], [0, 0, 200, 51]]], np.uint8)
    out = to_bgr8(bgra)
    assert out[0, 0].tolist() == [0, 0, 200]
    assert out[0, 1].tolist() == [255, 255, 255]
    assert out[0, 2].tolist() == [204, 204, 244]  # 0.2 * colour + 0.8 * 255


def test_gray_becomes_three_equal_channels():
    out = to_bgr8(np.array([[7, 9]], np.uint8))
    assert out.shape == (1, 2, 3) and out[0, 1].tolist() == [9, 9, 9]


def test_round_trip_and_atomic_write(tmp_path):
    image = (np.arange(5 * 7 * 3) % 256).astype(np.uint8).reshape(5, 7, 3)
    path = write_image(tmp_path / "sub" / "a.png", image)
    assert np.array_equal(read_image(path), image)
    assert [p.name for p in path.parent.iterdir()] == ["a.png"]


def test_failed_encode_leaves_old_file_untouched(tmp_path):
    path = tmp_path / "keep.png"
    write_image(path, np.zeros((4, 4, 3), np.uint8))
    before = path.read_bytes()
    with pytest.raises(Exception):
        write_image(path, np.zeros((0, 4, 3), np.uint8))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.png"]


def test_output_extension_is_checked_before_work(tmp_path):
    with pytest.raises(UserError, match=r"\.png, \.jpg"):
        check_output_path(tmp_path / "out.gif")


def test_jpeg_component_count():
    ok, buffer = cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))
    assert jpeg_frame(buffer.tobytes())[0] == 3
    assert jpeg_frame(b"\x89PNG....") is None


def test_yiq_round_trip_and_luminance_matching():
    rng = np.random.default_rng(0)
    bgr = rng.random((6, 5, 3), dtype=np.float32)
    assert np.allclose(color.yiq_to_bgr(color.bgr_to_yiq(bgr)), bgr, atol=1e-5)
    content = rng.random((6, 5, 3), dtype=np.float32) * 0.5
    matched = color.match_luminance(bgr, content)[..., 0]
    y_content = color.bgr_to_yiq(content)[..., 0]
    assert matched.mean() == pytest.approx(y_content.mean(), abs=1e-5)
    assert matched.std() == pytest.approx(y_content.std(), rel=1e-4)


def test_written_files_get_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_image(tmp_path / "p.png", np.zeros((2, 2, 3), np.uint8))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644
