"""Warping error and the stabiliser, on synthetic videos with known motion."""

import re

import cv2
import numpy as np
import pytest

from conftest import load_benchmark, synthetic_photo
from stylecast.runtime.errors import UserError
from stylecast.runtime.stabilizer import Stabilizer, StabilizerSettings, matching
from stylecast.runtime.temporal import input_flows, inside, pair_error, warp, warping_error


def moving_frames(count=6, shift=3, size=(96, 128)):
    """A textured scene translating right by `shift` pixels per frame (np.roll keeps it exactly known)."""
    base = synthetic_photo(*size)
    base = cv2.GaussianBlur(base, (3, 3), 0)
    return [np.roll(base, shift * t, axis=1) for t in range(count)]


def test_static_video_has_zero_warping_error():
    frame = synthetic_photo(64, 80)
    frames = [frame.copy() for _ in range(4)]
    assert warping_error(frames, frames) == 0.0


def test_pure_translation_with_known_flow_has_zero_error():
    frames = moving_frames(shift=3)
    h, w = frames[0].shape[:2]
    flow = np.zeros((h, w, 2), np.float32)
    flow[..., 0] = -3.0  # current pixel p came from p - 3 in the previous frame
    flows = [flow] * (len(frames) - 1)
    # np.roll wraps around, so the first 3 columns are not explained by the motion: mask them out.
    mask = inside(flow)
    mask[:, :3] = False
    assert warping_error(frames, frames, flows=flows, masks=[mask] * len(flows)) == pytest.approx(0.0, abs=1e-10)
    # And the estimated (DIS) flow agrees closely on this textured scene.
    assert warping_error(frames, frames) < 2e-3


def test_warp_moves_content_by_the_flow():
    image = np.zeros((10, 10), np.float32)
    image[5, 5] = 1.0
    flow = np.zeros((10, 10, 2), np.float32)
    flow[..., 0] = 2.0
    assert warp(image, flow)[5, 3] == 1.0


def flicker(frames, seed=0, amount=25):
    """'Stylised' frames that flicker: each frame gets its own random texture, as per-frame stylisation does."""
    rng = np.random.default_rng(seed)
    return [np.clip(f.astype(np.int16) + rng.integers(-amount, amount + 1, f.shape), 0, 255).astype(np.uint8)
            for f in frames]


@pytest.mark.parametrize("flow_width", [320, 64])  # flow at the frames' 128 px, or at half of it and upscaled
def test_stabiliser_halves_warping_error_on_a_flickering_moving_video(flow_width):
    frames = moving_frames(count=8, shift=2)
    styled = flicker(frames)
    stabilizer = Stabilizer(StabilizerSettings(flow_width=flow_width))
    stable = [stabilizer(f, s) for f, s in zip(frames, styled)]
    raw_error, stable_error = warping_error(frames, styled), warping_error(frames, stable)
    assert stable_error < 0.5 * raw_error, (raw_error, stable_error)
    assert stabilizer.resets == 0


def small_object_frames(shift, count=8, size=(120, 160), side=20):
    """A 20 px textured square crossing a still background: a person walking past a fixed camera, in small."""
    background = cv2.GaussianBlur(synthetic_photo(*size), (3, 3), 0)
    square = cv2.GaussianBlur(synthetic_photo(side, side, seed=5), (3, 3), 0)
    frames, inner = [], []
    for t in range(count):
        frame, x, y = background.copy(), 30 + shift * t, 50
        frame[y:y + side, x:x + side] = square
        region = np.zeros(size, bool)
        region[y + 2:y + side - 2, x + 2:x + side - 2] = True  # inside the square, away from its edges
        frames.append(frame)
        inner.append(region)
    return frames, inner


@pytest.mark.parametrize("shift", [3, 4])
def test_stabiliser_follows_a_small_moving_object(shift):
    """DIS's ultrafast preset stops at a quarter of the width, where a small object is a few flow vectors and is
    lost at a few pixels per frame: flicker on it stays. The stabiliser refines the flow to its full width."""
    frames, inner = small_object_frames(shift)
    styled = flicker(frames)
    flows, masks = input_flows(frames)

    def error_on_object(outputs):
        return np.mean([pair_error(outputs[t - 1], outputs[t], flows[t - 1], masks[t - 1] & inner[t])
                        for t in range(1, len(frames))])

    def stabilised(settings):
        stabilizer = Stabilizer(settings)
        return [stabilizer(f, s) for f, s in zip(frames, styled)]

    raw = error_on_object(styled)
    default = error_on_object(stabilised(StabilizerSettings()))
    preset_scale = error_on_object(stabilised(StabilizerSettings(flow_finest_scale=2)))
    assert default < 0.5 * raw, (raw, default)
    assert default < preset_scale, (default, preset_scale)


def test_flow_detail_follows_the_network_cost():
    """The flow costs the same whatever the network: beside a light one it stops a level coarser, so that the
    frame time hides it; unknown cost (the stabiliser on its own) and costly networks get the finest flow."""
    settings = StabilizerSettings()
    assert [settings.finest_scale(m) for m in (4_150, 19_999, 20_000, 153_792, None)] == [1, 1, 0, 0, 0]
    assert StabilizerSettings(flow_finest_scale=2).finest_scale(153_792) == 2  # an explicit level is kept


def test_stylizer_tells_the_stabiliser_its_network_cost():
    from stylecast.runtime.stylizer import Stylizer

    stylizer, stabilizer = Stylizer(model="starry_night-lite"), Stabilizer()
    assert stylizer.model_file.meta.macs_per_pixel == 4150
    for frame in moving_frames(count=2, shift=2):
        stylizer.stylize(frame, stabilizer)
    assert stabilizer._dis.getFinestScale() == 1


def test_matching_forgives_one_pixel_of_misalignment_but_not_an_occlusion():
    warped = np.zeros((20, 30), np.uint8)
    warped[:, 10:] = 200  # a sharp edge at x = 10 ...
    current = np.zeros_like(warped)
    current[:, 11:] = 200  # ... one pixel off in the current frame
    assert np.count_nonzero(matching(warped, current, 20.0, 0) == 0) == 20  # the exact test fails column 10
    assert np.count_nonzero(matching(warped, current, 20.0, 1) == 0) == 0
    current[5:9, 20:24] = 150  # something that is not in the warped frame at all
    assert np.count_nonzero(matching(warped, current, 20.0, 1) == 0) == 16
    assert np.count_nonzero(matching(warped, current, 60.0, 1) == 0) == 0  # within the tolerance of 200


@pytest.mark.parametrize("bad, message", [({"interpolation": "nearest"}, "choose one of: linear, cubic"),
                                          ({"weight": 1.0}, "weight must be in [0, 1)"),
                                          ({"flow_finest_scale": 5}, "flow_finest_scale must be in 0..4"),
                                          ({"misalignment": -1}, "misalignment must be at least 0")])
def test_stabiliser_settings_refuse_bad_values(bad, message):
    with pytest.raises(UserError, match=re.escape(message)):
        StabilizerSettings(**bad)


def test_scene_cut_resets_the_stabiliser():
    first = moving_frames(count=3, shift=2)
    other = [cv2.flip(synthetic_photo(96, 128, seed=9), 0)] * 2
    frames = first + other
    styled = flicker(frames, seed=1)
    stabilizer = Stabilizer()
    outputs = [stabilizer(f, s) for f, s in zip(frames, styled)]
    assert stabilizer.resets == 1
    assert np.array_equal(outputs[3], styled[3])  # the first frame after the cut is taken as it is
    assert not np.array_equal(outputs[4], styled[4])  # and stabilisation resumes on the next


def test_tracking_ahead_of_blending_gives_the_same_frames():
    """`live` and `video` track frame t+1 (network thread) before they blend frame t (output thread)."""
    frames = moving_frames(count=5, shift=2)
    styled = flicker(frames, seed=2)
    together = Stabilizer()
    expected = [together(f, s) for f, s in zip(frames, styled)]
    split = Stabilizer()
    motions = [split.track(f) for f in frames]  # every frame tracked before the first blend
    assert motions[0].points is None and all(m.points is not None for m in motions[1:])
    assert all(np.array_equal(split.blend(m, s), e) for m, s, e in zip(motions, styled, expected))


def test_reset_blends_nothing_into_the_next_frame_only():
    frames = moving_frames(count=4, shift=2)
    styled = flicker(frames, seed=3)
    stabilizer = Stabilizer()
    outputs = [stabilizer(f, s) for f, s in zip(frames[:2], styled[:2])]
    stabilizer.reset()  # e.g. a model switch in `live`
    outputs += [stabilizer(f, s) for f, s in zip(frames[2:], styled[2:])]
    assert not np.array_equal(outputs[1], styled[1])
    assert np.array_equal(outputs[2], styled[2])  # taken as it is
    fresh = Stabilizer()  # the input's motion survived the reset: frame 3 blends as after a fresh frame 2
    fresh(frames[2], styled[2])
    assert np.array_equal(outputs[3], fresh(frames[3], styled[3])) and not np.array_equal(outputs[3], styled[3])


def test_sintel_flo_reader_round_trip(tmp_path):
    """The .flo reader behind the Sintel validation benchmark (benchmarks/temporal_sintel.py)."""
    module = load_benchmark("temporal_sintel")
    flow = np.random.default_rng(0).normal(size=(5, 7, 2)).astype(np.float32)
    with open(tmp_path / "f.flo", "wb") as handle:
        np.array([202021.25], np.float32).tofile(handle)
        np.array([7, 5], np.int32).tofile(handle)
        flow.tofile(handle)
    assert np.array_equal(module.read_flo(tmp_path / "f.flo"), flow)
    (tmp_path / "bad.flo").write_bytes(b"\0" * 40)
    with pytest.raises(ValueError, match="not a .flo file"):
        module.read_flo(tmp_path / "bad.flo")
