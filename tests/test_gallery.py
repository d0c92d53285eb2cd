"""The README's gallery (benchmarks/gallery.py): each cell is what the runtime makes of the photo, in its place."""

import numpy as np
from conftest import load_benchmark


def test_models_are_grouped_by_style_and_kind():
    gallery = load_benchmark("gallery")
    names = ["b-lite", "a-transformer", "a-lite-stable", "a-lite", "custom"]
    assert gallery.models_by_style(names) == {
        "a": {"lite": "a-lite", "lite-stable": "a-lite-stable", "transformer": "a-transformer"},
        "b": {"lite": "b-lite"}}


def test_contact_sheet_cells_hold_the_runtime_output():
    from stylecast.runtime.stylizer import Stylizer

    gallery = load_benchmark("gallery")
    side, label = 64, gallery.LABEL_HEIGHT
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (80, 120, 3), dtype=np.uint8)
    painting = np.full((50, 50, 3), 40, np.uint8)
    stylizer = Stylizer(model="starry_night-lite")
    sheet = gallery.contact_sheet(photo, "p.png", {"starry_night": {"lite": stylizer}}, {"starry_night": painting},
                                  side)
    assert sheet.shape == (2 * (side + label), 4 * side, 3)

    def cell(row, column):
        top = row * (side + label) + label
        return sheet[top:top + side, column * side:(column + 1) * side]

    content = photo[:, 20:100]  # the centred 80x80 square
    assert np.abs(cell(0, 0).astype(int) - gallery.square(photo, side)).max() == 0
    assert np.abs(gallery.square(photo, side).astype(int) - gallery.square(content, side)).max() == 0
    assert (cell(1, 0) == 40).all()  # the painting
    expected = Stylizer(model="starry_night-lite").stylize(gallery.square(photo, side))  # a fresh one: same output
    assert np.array_equal(cell(1, 1), expected)
    assert (cell(1, 2) == 255).all() and (cell(1, 3) == 255).all()  # no lite-stable or transformer given
